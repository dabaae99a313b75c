"""One solve of B1 at the GPU size (benchmarks/README.md: n = 1e5, d = 50, P = 1024) to 1e-4, the solver's
log printed line by line as it goes (a run stopped early has already printed every Newton step).

The same problem and options as the large row of ``convex_solvers.py --gpu``, without the other rows:
``python3 -u benchmarks/large_b1_probe.py --time-limit 140 > large.log``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from convex_solvers import build_problem  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=lambda s: tuple(int(x) for x in s.split(",")), default=(100_000, 50, 1024),
                        help="n,d,P (default 100000,50,1024)")
    parser.add_argument("--device", default="cuda", help="torch device (default cuda)")
    parser.add_argument("--tol", type=float, default=1e-4, help="certified gap and violation (default 1e-4)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds for the solver (default none)")
    args = parser.parse_args(argv)
    import torch

    from pathconvex_lab.convex.fast import solve_group_program_fast

    n, d, P = args.size
    t0 = time.perf_counter()
    prob = build_problem({"kind": "b1", "n": n, "d": d, "P": P})
    print(f"problem built in {time.perf_counter() - t0:.1f} s", flush=True)
    out = solve_group_program_fast(
        prob["X"], prob["y"], prob["beta"], prob["D1"], prob["sigma"], prob["D2"],
        tol=args.tol, device=args.device, verbose=True, time_limit=args.time_limit,
    )
    peak = torch.cuda.max_memory_allocated() / 2**30 if out.device.startswith("cuda") else float("nan")
    print(f"{out.status} {out.iterations} {out.seconds.total:.1f} s gap {out.gap:.2e} "
          f"viol {out.violation:.1e} peak {peak:.1f} GiB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
