"""Run All time of every notebook at SIZE = "small": each runs top to bottom in a fresh python3
kernel (nbclient, as JupyterLab's Run All does), on a private copy of notebooks/, one at a time.

    python benchmarks/bench_notebooks.py [--only 03] [--limit 60] [--json FILE] [--quick]

Prints one row per notebook (seconds, the slowest cell, within the limit or not) and exits 1
when any notebook takes longer than ``--limit`` seconds (the lecture budget, 60 s by default).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_notebooks import set_small_parameters  # noqa: E402 - the tests' own rule for SIZE = "small"


def run_notebook(path: Path) -> tuple[float, float, str]:
    """``(seconds, slowest cell's seconds, its first line)`` of one Run All of ``path``."""
    nb = nbformat.read(path, as_version=4)
    set_small_parameters(nb)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    slowest, line = 0.0, ""
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            from datetime import datetime

            began = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            ended = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            seconds = (ended - began).total_seconds()
            if seconds > slowest:
                slowest, line = seconds, cell.source.splitlines()[0][:50] if cell.source else ""
    return total, slowest, line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only the notebooks whose name contains this")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed per notebook (default 60)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    parser.add_argument("--quick", action="store_true", help="only the tour and notebook 01 (for `make bench`)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        paths = sorted(p for p in copy.rglob("*.ipynb") if args.only in p.name
                       and (not args.quick or p.name.startswith(("00_", "01_"))))
        print(f"{platform.node()}, {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
              f"{len(paths)} notebooks, SIZE = 'small', limit {args.limit:g} s")
        print(f"{'notebook':42s} {'Run All (s)':>11s} {'slowest cell (s)':>17s}  verdict   slowest cell")
        for path in paths:
            seconds, slowest, line = run_notebook(path)
            ok = seconds <= args.limit
            rows.append({"notebook": str(path.relative_to(copy)), "seconds": round(seconds, 1),
                         "slowest_cell_seconds": round(slowest, 1), "slowest_cell": line, "within_limit": ok})
            print(f"{rows[-1]['notebook']:42s} {seconds:11.1f} {slowest:17.1f}  {'ok' if ok else 'TOO SLOW':8s}  {line}",
                  flush=True)
    total = sum(r["seconds"] for r in rows)
    print(f"{'all':42s} {total:11.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0 if all(r["within_limit"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
