"""Every cross-reference in the repository resolves inside it: no file points to a document the
kit's users do not have; each "docs/mathematics.md §N" names a section that exists; relative
links of the Markdown documents and notebooks lead to files; "notebook NN" names a notebook;
each test the mathematics document cites exists."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MATH_DOC = ROOT / "docs" / "mathematics.md"
#: Names of documents outside the repository (the team's internal notes) that nothing may cite.
OUTSIDE = re.compile(r"MATH\.md|MATH ?§|DESIGN\.md|BENCHMARKS\.md|\.\./shared|\bthe spec\b")
SECTION_REF = re.compile(r"docs/mathematics\.md ?§ ?(\d+(?:\.\d+)*b?)")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]]*\])?`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
NOTEBOOK_REF = re.compile(r"\bnotebooks? (0\d)\b")
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".yml", ".yaml", ".toml", ".sh", ".txt", ".cfg", ".json"}


def tracked_files() -> list[Path]:
    """The repository's files as git knows them (what a clone holds)."""
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


def text_files() -> list[Path]:
    return [p for p in tracked_files() if p.suffix in TEXT_SUFFIXES or p.name in ("Makefile",)]


def math_sections() -> set[str]:
    """Section numbers of docs/mathematics.md's headings (``## 3.`` -> "3", ``### 3.7b`` -> "3.7b")."""
    return {m.group(1) for m in re.finditer(r"^#{2,4} (\d+(?:\.\d+)*b?)\.? ", MATH_DOC.read_text(), re.M)}


def test_nothing_points_outside_the_repository():
    this = Path(__file__).resolve()
    bad = [f"{p.relative_to(ROOT)}:{i}: {line.strip()[:100]}" for p in text_files() if p.resolve() != this
           for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if OUTSIDE.search(line)]
    assert not bad, "\n".join(bad)


def test_every_mathematics_section_cited_exists():
    sections = math_sections()
    assert {"2", "3.5", "3.7", "5.4", "6", "8"} <= sections
    missing = [f"{p.relative_to(ROOT)}: §{m.group(1)}" for p in text_files()
               for m in SECTION_REF.finditer(p.read_text(errors="replace")) if m.group(1) not in sections]
    assert not missing, "\n".join(missing)


def _markdown_sources() -> list[tuple[Path, str]]:
    """(file, markdown text) of the Markdown documents and of every notebook's markdown cells."""
    sources = [(p, p.read_text()) for p in tracked_files() if p.suffix == ".md"]
    for nb in (p for p in tracked_files() if p.suffix == ".ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        sources.append((nb, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")))
    return sources


def test_relative_links_lead_to_files():
    broken = []
    for path, text in _markdown_sources():
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, "\n".join(broken)


def test_notebook_numbers_name_notebooks():
    numbers = {p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    wrong = [f"{p.relative_to(ROOT)}: notebook {n}" for p, text in _markdown_sources()
             for n in NOTEBOOK_REF.findall(text) if n not in numbers]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("doc", [MATH_DOC], ids=["docs/mathematics.md"])
def test_cited_tests_exist(doc):
    cited = TEST_REF.findall(doc.read_text())
    assert cited, "the mathematics document should name the tests that check its statements"
    missing = [f"{file}::{name}" for file, name in cited
               if not (ROOT / file).is_file() or not re.search(rf"^def {name}\(", (ROOT / file).read_text(), re.M)]
    assert not missing, "\n".join(missing)
