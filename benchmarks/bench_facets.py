"""Facet presolve of the fast solver: the same programs with and without realizing directions.

Every chamber's cone is stated by all n rows of its pattern, but only a few are facets (a chamber of
60 points in the plane: about 4). Given realizing first-layer weights (``Groups.V``), the solver
leaves out the rows implied by the others (exact convex hulls) and stores the rest per block.
Rows: exact two-layer programs on 60 points in the plane (spiral, moons), and B1 data (benchmarks/README.md)
in 5 dimensions at n = 10^4 with 128 sampled patterns. Each case is solved to a certified 1e-6 by
the fast solver on one thread, without and with the presolve (the second time with the facet
cache warm, as on a regularization path), and by CLARABEL where it is quick.

    python benchmarks/bench_facets.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))


def cases(quick: bool) -> list[tuple[str, np.ndarray, np.ndarray, float, object]]:
    """``(name, X, y, beta, groups)`` of each benchmark problem."""
    from convex_solvers import b1_data, b1_patterns

    from pathconvex_lab import arrangements, data

    out = []
    for name, (X0, y) in (("spiral, 60 points", data.spiral(60, seed=0)), ("moons, 60 points", data.moons(60, seed=0))):
        X = data.add_bias(X0)
        out.append((name, X, y, 0.05, arrangements.groups_from_patterns(arrangements.enumerate_patterns(X))))
    if not quick:
        n, d, P = 10_000, 5, 128
        X, y = b1_data(n, d)
        D, U = b1_patterns(X, P)
        patterns = arrangements.Patterns(D.T, U / np.linalg.norm(U, axis=0), "sampled", False, 0.0)
        out.append((f"B1 data n={n}, d={d}, P={P}", X, y, 1e-3 * n, arrangements.groups_from_patterns(patterns)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the two small problems only")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from pathconvex_lab.convex.fast import facets, solve_group_program_fast

    print(f"{'problem':<28} {'groups':>6} {'rows/block':>14} {'all rows':>14} {'facets':>14} {'facets again':>13} {'speed-up':>9}")
    for name, X, y, beta, g in cases(args.quick):
        common = dict(tol=1e-6, device="cpu", threads=1, max_iter=300)
        a = solve_group_program_fast(X, y, beta, g.D1, g.sigma, g.D2, **common)
        facets.FACET_CACHE.clear()
        t = time.perf_counter()
        b = solve_group_program_fast(X, y, beta, g.D1, g.sigma, g.D2, directions=g.V, **common)
        first = time.perf_counter() - t
        t = time.perf_counter()
        c = solve_group_program_fast(X, y, beta, g.D1, g.sigma, g.D2, directions=g.V, **common)
        again = time.perf_counter() - t
        kept = facets.facet_rows(X, g.D1, g.V).sum(-1).mean()
        assert a.status == b.status == c.status == "optimal"
        assert abs(b.objective - a.objective) <= 2e-6 * abs(a.objective)
        plain = a.seconds.total
        print(f"{name:<28} {len(g.D1):>6} {X.shape[0]:>6} -> {kept:>5.1f} {plain:>6.2f}s {a.iterations:>3} it"
              f" {first:>6.2f}s {b.iterations:>3} it {again:>7.2f}s {plain / again:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
