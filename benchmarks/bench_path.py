"""Benchmark of regularization paths and of scrubbing them (issue 5).

Prints three markdown tables:
1. solving a path: the working-set path (one certificate-priced working set shared along the
   path) against solving the full program at every beta, same betas, same run;
2. the caches: a second call (memory), a call after clearing memory (disk), a fresh solve;
3. scrubbing: time per slider step of the path dashboard (1-D function view and 2-D decision
   boundary), first visit of a point (figure update + PNG) and revisits (cached frame);
   the target is under 200 ms per step.

Run: ``python benchmarks/bench_path.py [--quick]``. The disk cache goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np

from pathconvex_lab import cache, data
from pathconvex_lab.convex import regularization_path, solve_three_layer, solve_two_layer
from pathconvex_lab.convex import path as cpath
from pathconvex_lab.widgets.sparsity import path_widget


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def table_solve(quick: bool) -> list[str]:
    cases = [("DS1, 3 layers, m1=2", *data.ds1(), 3, 2), ("DS3(8), 3 layers, m1=2", *data.ds3(8), 3, 2),
             ("DS2, 2 layers", *data.ds2(), 2, None)]
    num = 6 if quick else 12
    lines = ["| problem | groups | betas | working-set path (s) | max working set | full program at every beta (s) | "
             "max rel. difference |", "|---|---|---|---|---|---|---|"]
    for name, X, y, layers, m1 in cases[: 2 if quick else 3]:
        seconds, path = timed(lambda: regularization_path(X, y, num, layers, m1, cache=False))
        below = path.betas[path.betas < path.beta_max]

        def full_solves():
            solve = (lambda b: solve_two_layer(X, y, b)) if layers == 2 else (lambda b: solve_three_layer(X, y, b, m1))
            return [solve(b).objective for b in below]

        full_s, full = timed(full_solves)
        diff = np.max(np.abs(np.array(full) - path.objectives[: len(below)]) / np.array(full))
        lines.append(f"| {name} | {path.num_groups} | {num} | {seconds:.2f} | {path.working.max()} | {full_s:.2f} | "
                     f"{diff:.1e} |")
    return lines


def table_cache() -> list[str]:
    X, y = data.ds1()
    cpath.clear_memory_cache()
    cache.clear(cpath.CACHE_KIND)
    first, _ = timed(lambda: regularization_path(X, y, 10, 3, 2))
    memory, _ = timed(lambda: regularization_path(X, y, 10, 3, 2))
    cpath.clear_memory_cache()
    disk, _ = timed(lambda: regularization_path(X, y, 10, 3, 2))
    return ["| DS1, 3 layers, m1=2, 10 betas | seconds |", "|---|---|", f"| first call (solve + store) | {first:.3f} |",
            f"| second call (memory cache) | {memory:.5f} |", f"| after clearing memory (disk cache) | {disk:.4f} |"]


def table_scrub(quick: bool) -> list[str]:
    cases = [("1-D: DS1, 3 layers, m1=2", *data.ds1(), 3, 2), ("2-D: DS2, 2 layers", *data.ds2(), 2, None),
             ("2-D: 30 moons points, 2 layers, 2000 sampled patterns", *data.moons(30, seed=0), 2, None)]
    lines = ["| dashboard | points | first visit: median / max (ms) | revisit: median / max (ms) |", "|---|---|---|---|"]
    for name, X, y, layers, m1 in cases[: 2 if quick else 3]:
        groups = 2000 if "sampled" in name else "exact"
        path = regularization_path(X if X.shape[1] in (2, 3) and np.allclose(X[:, -1], 1) else data.add_bias(X), y,
                                   12, layers, m1, groups=groups)
        box = path_widget(path, start=0)
        first, again = [], []
        for i in range(1, len(path)):
            box.slider.value = i
            first.append(box.redraw_seconds)
        for i in range(len(path)):
            box.slider.value = i
            again.append(box.redraw_seconds)
        lines.append(f"| {name} | {len(path)} | {1e3 * statistics.median(first):.0f} / {1e3 * max(first):.0f} | "
                     f"{1e3 * statistics.median(again):.0f} / {1e3 * max(again):.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller cases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ[cache.ENV_VAR] = folder
        for title, lines in (("Solving a path", table_solve(args.quick)), ("Caches", table_cache()),
                             ("Scrubbing (target < 200 ms per step)", table_scrub(args.quick))):
            print(f"\n### {title}\n")
            print("\n".join(lines))


if __name__ == "__main__":
    main()
