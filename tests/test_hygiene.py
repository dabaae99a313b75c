"""Stored notebooks are clean and follow the house rules:
no outputs or execution counts, a title first, a Setup cell, a ``parameters`` cell with
``SIZE = "small"``, no empty code cells, and only the public package API."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOKS_DIR.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
#: ``pathconvex_lab._x``, ``pathconvex_lab.sub._x``, ``from pathconvex_lab... import _x`` (dunders are public).
PRIVATE_ATTRIBUTE = re.compile(r"\bpathconvex_lab(?:\.[A-Za-z]\w*)*\._[A-Za-z]")
PRIVATE_IMPORT = re.compile(r"^\s*from\s+pathconvex_lab[\w.]*\s+import\s+\(?[^#\n]*(?<![\w_])_[A-Za-z]", re.M)
ALIAS = re.compile(r"^\s*import\s+pathconvex_lab(?:\.[\w.]+)?\s+as\s+(\w+)", re.M)
SIZE_LINE = re.compile(r'^SIZE\s*=\s*"small"', re.M)


def private_names(source: str) -> list[str]:
    """Private names of the package used in ``source`` (also through ``import pathconvex_lab as x``)."""
    patterns = [PRIVATE_ATTRIBUTE, PRIVATE_IMPORT]
    patterns += [re.compile(rf"\b{alias}(?:\.[A-Za-z]\w*)*\._[A-Za-z]") for alias in ALIAS.findall(source)]
    return [m.group(0) for p in patterns for m in p.finditer(source)]


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(NOTEBOOKS_DIR)) for p in paths]


def test_there_are_notebooks():
    assert any(p.name == "00_tour.ipynb" for p in NOTEBOOKS)


@pytest.fixture(params=NOTEBOOKS, ids=_ids(NOTEBOOKS))
def notebook(request) -> nbformat.NotebookNode:
    nb = nbformat.read(request.param, as_version=4)
    nbformat.validate(nb)
    return nb


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_no_outputs_or_execution_counts(notebook):
    dirty = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"cells {dirty} have outputs or execution counts; clear them before committing"


def test_first_cell_is_a_markdown_title(notebook):
    """The first cell is '# Title' (after otter's raw '# ASSIGNMENT CONFIG' cell in assignment masters)."""
    cells = list(notebook.cells)
    if cells and cells[0].cell_type == "raw" and cells[0].source.lstrip().startswith("# ASSIGNMENT CONFIG"):
        cells = cells[1:]
    first = cells[0]
    assert first.cell_type == "markdown" and re.match(r"#\s+\S", first.source), "first cell must be '# Title'"


def test_has_a_setup_cell(notebook):
    assert any("# Setup" in c.source for c in _code(notebook)), "no code cell containing '# Setup'"


def test_has_one_parameters_cell_with_small_size(notebook):
    tagged = [c for c in _code(notebook) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"expected one code cell tagged 'parameters', found {len(tagged)}"
    assert SIZE_LINE.search(tagged[0].source), 'the parameters cell must set SIZE = "small"'


def test_no_empty_code_cells(notebook):
    """Empty cells are skipped by Run All and leave '[ ]' prompts that confuse the browser tests."""
    assert all(c.source.strip() for c in _code(notebook))


def test_only_the_public_api(notebook):
    source = "\n".join(c.source for c in _code(notebook))
    assert not private_names(source), f"private names used in a notebook: {private_names(source)}"


def test_kernel_is_python3(notebook):
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize(
    ("source", "private"),
    [
        ("import pathconvex_lab._validate", True),
        ("from pathconvex_lab import _validate", True),
        ("from pathconvex_lab.convex import two_layer, _solve", True),
        ("x = pathconvex_lab.nets._as_array(X)", True),
        ("from pathconvex_lab import __version__, data", False),
        ("import pathconvex_lab as pcl\npcl.data.ds1()", False),
        ("import pathconvex_lab as pcl\npcl._validate.check_int(3, 'k')", True),
        ("import pathconvex_lab.convex as cx\ncx.two_layer._groups(X)", True),
        ("from pathconvex_lab.widgets.tour import relu_neuron_widget", False),
    ],
)
def test_private_name_detector(source, private):
    assert bool(private_names(source)) is private
