"""The documentation site builds offline with warnings as errors (``make docs`` does the same,
and also executes the notebooks, which tests/test_notebooks.py runs here), and it holds what a
reader looks for: the mathematics with its sections, every notebook, the API, the CLI, the
instructors' page and the benchmark results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "html"
    env = {**os.environ, "PATHCONVEX_DOCS_EXECUTE": "0"}
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def test_the_site_builds_without_a_warning_and_has_every_page(site):
    for page in ("index", "mathematics", "notebooks", "instructors", "api", "cli", "benchmarks"):
        assert (site / f"{page}.html").is_file(), page
    for notebook in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        assert (site / "notebooks" / f"{notebook.stem}.html").is_file(), notebook.name


def test_the_mathematics_page_has_its_derivations(site):
    html = (site / "mathematics.html").read_text()
    for section in ("3.5", "3.6", "3.7", "6."):
        assert section in html
    assert "checked by" in html and "test_dual_lower_bound_formula" in html


def test_the_reference_pages_are_generated_from_the_code(site):
    api, cli = (site / "api.html").read_text(), (site / "cli.html").read_text()
    for name in ("solve_route", "certificate", "enumerate_patterns", "grade_submission", "ParallelReLUNet"):
        assert name in api, name
    for command in ("patterns", "solve", "path", "train", "assign", "grade", "lab", "doctor"):
        assert f"pathconvex-lab {command}" in cli, command
    assert "--unsafe" in cli


def test_internal_links_of_the_site_resolve(site):
    import re

    broken = []
    for page in site.rglob("*.html"):
        for target in re.findall(r'href="([^"#:]+\.html)(?:#[^"]*)?"', page.read_text()):
            if not (page.parent / target).resolve().is_file():
                broken.append(f"{page.relative_to(site)} -> {target}")
    assert not broken, "\n".join(broken[:20])
