"""Every notebook under notebooks/ (assignments included) runs top to bottom with the small
parameters, in a fresh ``python3`` kernel of this environment, on a copy of the folder."""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(p.relative_to(NOTEBOOKS_DIR) for p in NOTEBOOKS_DIR.rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
CELL_TIMEOUT_S = 300
SIZE_LINE = re.compile(r"^SIZE\s*=.*$", re.M)


def set_small_parameters(nb: nbformat.NotebookNode) -> None:
    """Make the cell tagged ``parameters`` say ``SIZE = "small"`` (whatever it held)."""
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "a notebook needs exactly one code cell tagged 'parameters'"
    assert SIZE_LINE.search(cells[0].source), "the parameters cell must assign SIZE"
    cells[0].source = SIZE_LINE.sub('SIZE = "small"', cells[0].source, count=1)


def execute(path: Path, timeout: int = CELL_TIMEOUT_S) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` in its own folder; raises CellExecutionError on the first error."""
    nb = nbformat.read(path, as_version=4)
    set_small_parameters(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


@pytest.fixture(scope="module")
def notebooks_copy(tmp_path_factory) -> Path:
    """A private copy of notebooks/, so that files the notebooks write stay out of the repository."""
    target = tmp_path_factory.mktemp("notebooks") / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


@pytest.mark.slow
@pytest.mark.parametrize("relpath", NOTEBOOKS, ids=[str(p) for p in NOTEBOOKS])
def test_notebook_runs(relpath: Path, notebooks_copy: Path) -> None:
    start = time.perf_counter()
    nb = execute(notebooks_copy / relpath)
    elapsed = time.perf_counter() - start
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "some code cells did not run"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert not undrawn_figures(nb), f"figures shown as text instead of pictures: {undrawn_figures(nb)}"
    assert not placeholder_outputs(nb), f"outputs that print a placeholder: {placeholder_outputs(nb)}"
    assert not printed_tracebacks(nb), f"outputs that print a traceback: {printed_tracebacks(nb)}"
    print(f"{relpath}: {elapsed:.1f} s")


def _texts(output: nbformat.NotebookNode) -> list[str]:
    """The text a student reads in one output (a stream, or a result's text/plain)."""
    if output.output_type == "stream":
        return [output.text]
    return [output.get("data", {}).get("text/plain", "")]


def undrawn_figures(nb: nbformat.NotebookNode) -> list[str]:
    """Cells whose figure came out as its repr (``<Figure size ... with N Axes>``) with no picture."""
    bad = []
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        pictures = any(key.startswith("image/") or "plotly" in key
                       for o in cell.outputs for key in o.get("data", {}))
        if not pictures and any("<Figure size" in t for o in cell.outputs for t in _texts(o)):
            bad.append(f"code cell {i}: {cell.source.splitlines()[0][:60] if cell.source else ''}")
    return bad


def placeholder_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Cells that print ``Ellipsis`` (an unanswered ``...`` shown to the student as a value)."""
    return [f"code cell {i}" for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code")
            if any("Ellipsis" in t for o in cell.outputs for t in _texts(o))]


def printed_tracebacks(nb: nbformat.NotebookNode) -> list[str]:
    """Cells whose text output shows a Python traceback (e.g. a caught error printed to stderr)."""
    return [f"code cell {i}" for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code")
            if any("Traceback (most recent call last)" in t for o in cell.outputs for t in _texts(o))]


def test_kernel_is_this_environment(tmp_path: Path) -> None:
    """The ``python3`` kernel nbclient starts runs this interpreter (not a stray user kernel)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert Path(nb.cells[0].outputs[0].text.strip()).resolve() == Path(sys.executable).resolve()


def test_parameters_are_set_to_small() -> None:
    source = 'SIZE = "large"\nN = {"small": 3, "large": 30}[SIZE]'
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})
    nb = nbformat.v4.new_notebook(cells=[cell])
    set_small_parameters(nb)
    assert nb.cells[0].source == 'SIZE = "small"\nN = {"small": 3, "large": 30}[SIZE]'
