"""Inside the sandbox: run a submission's notebook, then answer the referee's questions about it.

``python -m pathconvex_lab.grading.runner NOTEBOOK SEED_VARIABLE SEED`` (empty strings for no
seed). The wire is this process's standard input and output as it started: one JSON object per
line. It is moved to private file descriptors first, so nothing the notebook (or a program it
starts) writes can land on it by accident. Messages:

- to the referee, once the kernel has started: ``{"op": "started"}``;
- once the notebook has run: ``{"op": "ran", "errors": [...], "failure": None | str}``;
- then, for each request line of the referee (:func:`.wire.answer`): ``{"reply": ...}``.

Everything here is untrusted: the referee believes only plain data (see :mod:`.wire`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from .wire import MIME

#: Most cell errors reported for one submission.
MAX_ERRORS = 20
_INIT_PREFIXES = ("# Initialize Otter", "grader.check", "import sys")


def seeded(nb: Any, seed_variable: str | None, seed: int | None) -> None:
    """Prepend ``SEED = seed`` to every code cell (as otter does when it grades), so a submission
    is graded on other random data than the student saw."""
    if not seed_variable or seed is None:
        return
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.source.startswith("%%"):
            cell.source = f"{seed_variable} = {seed}\n{cell.source}"


def cell_errors(nb: Any, seed_variable: str | None) -> list[str]:
    """``"cell starting 'x = 1/0': ZeroDivisionError: division by zero"`` for each error output of the
    student's own cells (otter's init and check cells are skipped)."""
    errors = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        lines = [ln for ln in cell.source.splitlines()
                 if ln.strip() and not (seed_variable and re.fullmatch(rf"{seed_variable} = -?\d+", ln.strip()))]
        if not lines or lines[0].startswith(_INIT_PREFIXES):
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"cell starting {lines[0][:60]!r}: {str(out.get('ename'))[:80]}: "
                              f"{str(out.get('evalue'))[:200]}")
    return errors[:MAX_ERRORS]


def _reply_of(cell: Any) -> Any:
    """The wire reply among a protocol cell's outputs (an undecodable marker when there is none)."""
    for out in cell.get("outputs", []):
        data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
        if MIME in data and isinstance(data[MIME], dict) and "reply" in data[MIME]:
            return data[MIME]["reply"]
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return {"t": "raised", "type": "ProtocolError", "message": ("; ".join(errors) or "no reply")[:500]}


def _send(wire: TextIO, message: dict[str, Any]) -> None:
    wire.write(json.dumps(message) + "\n")
    wire.flush()


def serve(notebook: Path, seed_variable: str | None, seed: int | None, wire_in: TextIO, wire_out: TextIO) -> None:
    """Run ``notebook`` in a fresh kernel (errors allowed), report, then answer requests until EOF."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(notebook, as_version=4)
    seeded(nb, seed_variable, seed)
    client = NotebookClient(nb, timeout=None, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    failure = None
    with client.setup_kernel():
        _send(wire_out, {"op": "started"})
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
        except Exception as exc:  # noqa: BLE001 - a dead kernel is the submission's failure, reported
            failure = f"the notebook stopped: {type(exc).__name__}: {str(exc)[:200]}"
        _send(wire_out, {"op": "ran", "errors": cell_errors(nb, seed_variable), "failure": failure})
        for line in wire_in:
            request = json.loads(line)
            if failure is not None:
                _send(wire_out, {"reply": {"t": "undefined"}})
                continue
            source = ("import pathconvex_lab.grading.wire as _pathconvex_wire\n"
                      f"_pathconvex_wire.serve(globals(), {json.dumps(request)!r})")
            cell = nbformat.v4.new_code_cell(source)
            nb.cells.append(cell)  # nbclient stores the executed cell at its index
            try:
                client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
                reply = _reply_of(cell)
            except DeadKernelError:
                failure = "the notebook's kernel died while being graded"
                reply = {"t": "undefined"}
            finally:
                nb.cells.pop()
            _send(wire_out, {"reply": reply})


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring."""
    if len(argv) != 3:
        sys.stderr.write("usage: python -m pathconvex_lab.grading.runner NOTEBOOK SEED_VARIABLE SEED\n")
        return 2
    wire_in = os.fdopen(os.dup(0), "r", encoding="utf-8")  # os.dup: not inherited by the kernel
    wire_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    notebook, seed_variable, seed = Path(argv[0]), argv[1] or None, int(argv[2]) if argv[2] else None
    serve(notebook, seed_variable, seed, wire_in, wire_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
