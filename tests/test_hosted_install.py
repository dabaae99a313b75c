"""Hosted Jupyter (Colab and the like): every notebook's first code cell checks that the kit is
importable and, where it is not, stops with the one line that installs it. Where the kit is
installed (CI, ``make lab``) the cell does nothing. ``tests/test_wheel.py`` runs that very line
against a freshly built wheel."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
#: The IPython line the first cell prints; ``install_line`` finds it in the cell's text.
INSTALL_LINE = re.compile(r"^\s*(%pip install \S+)\s*$", re.MULTILINE)


def first_code_cell(path: Path) -> str:
    """The source of the first code cell of the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    return next(cell.source for cell in nb.cells if cell.cell_type == "code")


def install_line(text: str) -> str:
    """The one ``%pip install ...`` line in ``text`` (the message the first cell prints)."""
    [line] = INSTALL_LINE.findall(text.replace("\\n", "\n").replace('"', "\n"))
    return line


def run_cell(source: str, cwd: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *flags, "-c", source], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_every_notebook_starts_with_the_same_install_check():
    assert len(NOTEBOOKS) >= 11
    cells = {path.relative_to(ROOT).as_posix(): first_code_cell(path) for path in NOTEBOOKS}
    reference = cells["notebooks/00_tour.ipynb"]
    assert "import pathconvex_lab" in reference and install_line(reference) == "%pip install pathconvex_lab-*.whl"
    assert {name for name, source in cells.items() if source != reference} == set()


def test_without_the_kit_the_first_cell_stops_with_the_one_install_line(tmp_path):
    # -S: no site-packages, so the kit (and nothing else the cell does not need) is importable
    done = run_cell(first_code_cell(NOTEBOOKS[0]), tmp_path, "-S")
    assert done.returncode != 0
    message = done.stderr.split("ImportError: ", 1)[-1]
    assert message.startswith("pathconvex_lab is not installed in this kernel")
    assert "restart the kernel" in message
    assert install_line(message) == "%pip install pathconvex_lab-*.whl"


def test_with_the_kit_the_first_cell_does_nothing(tmp_path):
    done = run_cell(first_code_cell(NOTEBOOKS[0]), tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
