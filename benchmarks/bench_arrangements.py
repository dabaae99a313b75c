"""Benchmark of pattern and group enumeration (benchmark problems B2 and B3 of benchmarks/README.md).

Prints three markdown tables:
1. exact enumeration: time and count vs n for Gaussian data of rank 2, 3, 4 (count = C(n, r));
2. exact vs sampling: directions needed to reach a coverage, and their time, vs one exact run;
3. three-layer groups: exact enumeration time vs the LP-per-node prototype (reference times below),
   and vs this package's own LP depth-first search where that is quick enough, on the same machine.

Run: ``python benchmarks/bench_arrangements.py [--quick]``. Times are best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pathconvex_lab import arrangements as ar
from pathconvex_lab import data

#: Reference times of group enumeration, measured by an independent LP-per-node prototype on a 2-CPU machine.
PROTOTYPE_SECONDS = {("DS1", 2): 5.0, ("DS1", 3): 87.0, ("DS3(12)", 2): 65.0, ("DS3(8)", 3): 330.0,
                     ("DS2", 2): 486.0}


def best_time(fn, repeat: int):
    """Run ``fn`` ``repeat`` times; return (best wall seconds, last result)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def table_exact(quick: bool, repeat: int) -> list[str]:
    sizes = {2: (100, 1000, 10_000), 3: (50, 100, 200, 400), 4: (25, 50, 100)}
    if quick:
        sizes = {2: (100, 1000), 3: (50, 200), 4: (25, 50)}
    lines = ["| rank | n | patterns | C(n, r) | method | seconds |", "|---|---|---|---|---|---|"]
    for r, ns in sizes.items():
        for n in ns:
            X = data.gaussian(n, r, seed=np.random.default_rng([n, r]))
            seconds, p = best_time(lambda: ar.enumerate_patterns(X), repeat)
            lines.append(f"| {r} | {n} | {p.count:,} | {ar.pattern_bound(n, r):,} | {p.method} | {seconds:.3f} |")
    X = data.add_bias(data.gaussian(200, 2, seed=2))
    seconds, p = best_time(lambda: ar.enumerate_patterns(X), repeat)
    lines.append(f"| 3 (200 points in the plane + bias) | 200 | {p.count:,} | {ar.pattern_bound(200, 3):,} | "
                 f"{p.method} | {seconds:.3f} |")
    return lines


def table_sampling(quick: bool) -> list[str]:
    X = data.add_bias(data.gaussian(100, 2, seed=3))
    exact_s, exact = best_time(lambda: ar.enumerate_patterns(X), 3)
    counts = (10**3, 10**4, 10**5) if quick else (10**3, 10**4, 10**5, 10**6)
    lines = [f"100 points in the plane + bias: exact {exact.count:,} patterns in {exact_s:.3f} s.", "",
             "| directions | patterns found | coverage | seconds | time / exact time |", "|---|---|---|---|---|"]
    for num in counts:
        seconds, s = best_time(lambda: ar.sample_patterns(X, num, seed=0), 1)
        lines.append(f"| {num:,} | {s.count:,} | {ar.coverage(s, exact):.1%} | {seconds:.3f} | "
                     f"{seconds / exact_s:.2g} |")
    return lines


def table_groups(quick: bool, repeat: int) -> list[str]:
    cases = [("DS1", data.ds1()[0], 2), ("DS1", data.ds1()[0], 3), ("DS3(8)", data.ds3(8)[0], 2),
             ("DS3(12)", data.ds3(12)[0], 2), ("DS2", data.ds2()[0], 2)]
    if not quick:
        cases.append(("DS3(8)", data.ds3(8)[0], 3))
    lines = ["| data | m1 | groups | seconds | prototype | speed-up | LP-DFS here (same run) |",
             "|---|---|---|---|---|---|---|"]
    for name, X, m1 in cases:
        seconds, g = best_time(lambda: ar.enumerate_groups(X, m1), repeat if m1 == 2 else 1)
        proto = PROTOTYPE_SECONDS.get((name, m1))
        ratio = f"{proto / seconds:.0f}x" if proto else ""
        reference = ""
        if name == "DS1" and m1 == 2:
            lp_s, lp = best_time(lambda: ar.enumerate_groups(X, m1, method="lp"), 1)
            reference = f"{lp_s:.2f} s ({lp.count} groups)"
        lines.append(f"| {name} | {m1} | {g.count:,} | {seconds:.2f} | {f'{proto:.0f} s' if proto else 'n/a'} | "
                     f"{ratio} | {reference} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes (about 30 s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is reported")
    args = parser.parse_args()
    for title, lines in (("Exact pattern enumeration", table_exact(args.quick, args.repeat)),
                         ("Exact vs sampled patterns", table_sampling(args.quick)),
                         ("Three-layer groups (exact)", table_groups(args.quick, args.repeat))):
        print(f"\n## {title}\n")
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
