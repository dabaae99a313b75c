"""Installed from a wheel, with no repository around, the kit still has its notebooks:
``pathconvex-lab notebooks`` copies them out (never overwriting without ``--force``) and one of
them runs top to bottom. The wheel goes into a clean virtual environment; the dependencies
(numpy, torch, JupyterLab, ...) are borrowed read-only from this environment's site-packages."""

from __future__ import annotations

import json
import os
import shlex
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from test_hosted_install import first_code_cell, install_line

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(argv: list, cwd: Path, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                          **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the kit's wheel (and only a path to this environment's dependencies)."""
    root = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", root / "dist",
                  ROOT], cwd=root)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = (root / "dist").glob("pathconvex_lab-*.whl")
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", venv], cwd=root)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root)
                   .stdout.strip())
    # the dependencies, not the kit: this environment's site-packages hold the kit only as an editable
    # finder (a .pth that a plain path entry does not run), so `import pathconvex_lab` finds the wheel
    (purelib / "borrowed-dependencies.pth").write_text("\n".join(site.getsitepackages() +
                                                                 [sysconfig.get_paths()["purelib"]]) + "\n")
    # installed by the very line a notebook's first cell prints in hosted Jupyter, where IPython's
    # %pip runs `python -m pip` through a shell (which expands the wildcard), next to the wheel;
    # offline here, so the dependencies stay the borrowed ones (--no-deps --no-index)
    line = install_line(first_code_cell(ROOT / "notebooks" / "00_tour.ipynb"))
    command = line.replace("%pip", f"{shlex.quote(str(python))} -m pip", 1) + " --no-deps --no-index -q"
    install = _run(["sh", "-c", command], cwd=wheel.parent)
    assert install.returncode == 0, install.stderr[-2000:]
    return venv


def test_the_installed_kit_is_the_wheel_not_the_repository(installed, tmp_path):
    where = _run([installed / "bin" / "python", "-c", "import pathconvex_lab; print(pathconvex_lab.__file__)"],
                 cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed) and not Path(where.stdout.strip()).is_relative_to(ROOT)


def test_notebooks_are_copied_out_of_the_wheel_and_one_runs(installed, tmp_path):
    cli = installed / "bin" / "pathconvex-lab"
    first = _run([cli, "notebooks", "--out", "mine", "--json"], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    copied = json.loads(first.stdout)
    assert Path(copied["source"]).is_relative_to(installed)
    assert "00_tour.ipynb" in copied["copied"] and "assignments/hw1_arrangements.ipynb" in copied["copied"]
    assert len(copied["copied"]) == len(list((ROOT / "notebooks").rglob("*.ipynb")))

    mine = tmp_path / "mine" / "00_tour.ipynb"
    mine.write_text(mine.read_text().replace("How the kit is organised", "My own notes"))
    again = json.loads(_run([cli, "notebooks", "--out", "mine", "--json"], cwd=tmp_path).stdout)
    assert again["copied"] == [] and "00_tour.ipynb" in again["kept"]
    assert "My own notes" in mine.read_text()  # never overwritten without --force
    forced = json.loads(_run([cli, "notebooks", "--out", "mine", "--force", "--json"], cwd=tmp_path).stdout)
    assert "00_tour.ipynb" in forced["copied"] and "My own notes" not in mine.read_text()

    run = _run([installed / "bin" / "python", "-c",
                "import nbformat, sys; from nbclient import NotebookClient; "
                "nb = nbformat.read(sys.argv[1], as_version=4); "
                "NotebookClient(nb, timeout=300, kernel_name='python3', "
                "resources={'metadata': {'path': sys.argv[2]}}).execute(); "
                "import pathconvex_lab; print('ran with', pathconvex_lab.__file__)", mine, mine.parent], cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert str(installed) in run.stdout
