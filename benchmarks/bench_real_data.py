"""Real data: the kit's default route vs. what a user would otherwise do, side by side in one run.

On scikit-learn's bundled data sets (``pathconvex_lab.data.load``: standardized features, bias
column appended) each row solves one path-regularized problem ``0.5 ||f - y||^2 + beta R`` three
ways:

* **Adam**: the best of 3 plain Adam runs (seeds 0, 1, 2) of a ``ParallelReLUNet`` with 200
  sub-networks, widths ``(d, 1)`` (two layers) or ``(d, 2, 1)`` (three layers), 5000 full-batch
  steps at lr 1e-2; its best recorded objective and the total wall time of the 3 runs.
* **pyscnn** (two-layer rows only): pyscnn's augmented Lagrangian (``AL`` at its defaults) on its
  ``ConvexReLU`` model over 5000 gate vectors from ``scnn.activations.sample_gate_vectors`` (its
  default seed 778). pyscnn minimizes ``1/(2n)||.||^2 + lam sum ||.||``, so ``lam = beta / n``;
  ``unitize_data=False`` (so it solves our problem, not one on rescaled columns) and float64, as
  ``convex_solvers.py`` runs it. Its weights are scored as the ReLU network they define:
  ``f = sum_i (X v_i)_+ - (X w_i)_+``, objective ``0.5 ||f - y||^2 + beta sum(||v_i|| + ||w_i||)``
  (its iterates may violate the cone constraints, so this can exceed its own convex objective).
  Unbounded, its defaults (10,000 inner iterations) take many minutes here (over 10 min on 120
  diabetes rows with 500 gates, 2 shared cores), so it is stopped after ``--pyscnn-cap`` seconds
  (default 60; 20 with ``--quick``) with its current iterate, through its own outer termination
  test; such times are marked ``*`` in the table.
* **route**: ``pathconvex_lab.experiments.solve_route`` with its defaults: the upper bound (attained by
  its network), the proved lower bound, the relative gap, whether it is certified, which route ran,
  and its wall time.

Side by side: ``U vs Adam`` is (route upper bound - best Adam) / |best Adam| (negative: the route
found a better network), ``Adam/route`` is Adam's 3-run wall time over the route's.

Rows: diabetes, breast_cancer and wine at beta 0.1 and 1.0 (two layers), plus diabetes at beta 0.1
with three layers (m1 = 2). Every run uses one torch thread (``torch.set_num_threads(1)``): the
problems are small (n <= 569), where more threads mostly add overhead and noise on a shared
machine, and it keeps the comparison fair between the three columns.

    python benchmarks/bench_real_data.py                     # full (about 27 min on 2 cores)
    python benchmarks/bench_real_data.py --quick             # first 120 rows, beta 0.1, short runs (~3 min)
    python benchmarks/bench_real_data.py --only wine --json rows.json

``--quick``: the first 120 rows of each set, Adam 500 steps, the route with ``time_limit=10``,
pyscnn with 500 gates, only the beta 0.1 rows. ``--json FILE`` rewrites FILE after every row, so
a cut-off run keeps what finished.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from typing import Any

import numpy as np
import torch

from pathconvex_lab import data

SETS = ("diabetes", "breast_cancer", "wine")
BETAS = (0.1, 1.0)
ADAM_SEEDS = (0, 1, 2)
SUBNETS = 200
PYSCNN_SEED = 778  # sample_gate_vectors' seed in scnn.optimize.optimize (its default)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.date.today().isoformat(),
        "loadavg_start": list(os.getloadavg()),
    }


def rows_to_run(quick: bool, only: str | None) -> list[dict[str, Any]]:
    """The (data set, beta, layers) rows of this run."""
    betas = BETAS[:1] if quick else BETAS
    rows = [{"data": name, "beta": beta, "layers": 2, "m1": 1} for name in SETS for beta in betas]
    rows.append({"data": "diabetes", "beta": 0.1, "layers": 3, "m1": 2})
    return [r for r in rows if only is None or r["data"] == only]


def relu_objective(X: np.ndarray, y: np.ndarray, beta: float, v: np.ndarray, w: np.ndarray) -> float:
    """``0.5 ||f - y||^2 + beta sum(||v_i|| + ||w_i||)`` for ``f = sum_i (X v_i)_+ - (X w_i)_+``
    (``v``, ``w``: ``(p, d)``)."""
    f = np.maximum(X @ v.T, 0.0).sum(axis=1) - np.maximum(X @ w.T, 0.0).sum(axis=1)
    reg = np.linalg.norm(v, axis=1).sum() + np.linalg.norm(w, axis=1).sum()
    return float(0.5 * np.sum((f - y) ** 2) + beta * reg)


def run_adam(X: np.ndarray, y: np.ndarray, beta: float, layers: int, m1: int, steps: int) -> dict[str, Any]:
    """Best of the Adam runs (seeds :data:`ADAM_SEEDS`) and their total wall time."""
    from pathconvex_lab.nets import ParallelReLUNet
    from pathconvex_lab.train import train

    widths = (X.shape[1], 1) if layers == 2 else (X.shape[1], m1, 1)
    objectives = []
    t0 = time.perf_counter()
    for s in ADAM_SEEDS:
        run = train(ParallelReLUNet(widths, SUBNETS, seed=s), X, y, beta, steps=steps, lr=1e-2, progress=False, seed=s)
        objectives.append(float(run.best_objective))
    return {"best": min(objectives), "objectives": objectives, "seconds": time.perf_counter() - t0, "steps": steps}


def pyscnn_available() -> bool:
    try:
        import scnn.activations  # noqa: F401
        import scnn.optimize  # noqa: F401
    except ImportError:
        return False
    return True


class _Deadline:
    """pyscnn's outer termination criterion, also true once ``deadline`` (perf_counter) has passed."""

    def __init__(self, criterion: Any, deadline: float):
        self.criterion, self.deadline, self.hit = criterion, deadline, False

    def __call__(self, *args: Any) -> bool:
        if time.perf_counter() > self.deadline:
            self.hit = True
            return True
        return bool(self.criterion(*args))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.criterion, name)


def run_pyscnn(X: np.ndarray, y: np.ndarray, beta: float, gates: int, cap: float) -> dict[str, Any]:
    """pyscnn's AL on ``gates`` sampled gate vectors, stopped after ``cap`` seconds with its current
    iterate if it has not converged by then; our objective of the network it defines."""
    import scnn.optimize as so
    from scnn.activations import sample_gate_vectors
    from scnn.metrics import Metrics
    from scnn.models import ConvexReLU
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL

    n, d = X.shape
    build, made = so.build_optimizer, []

    def build_with_deadline(*args: Any, **kw: Any) -> Any:
        proc = build(*args, **kw)
        proc.outer_term_criterion = _Deadline(proc.outer_term_criterion, t0 + cap)
        made.append(proc.outer_term_criterion)
        return proc

    t0 = time.perf_counter()
    so.build_optimizer = build_with_deadline  # optimize_model looks it up at call time
    try:
        G = sample_gate_vectors(PYSCNN_SEED, d, gates)
        model = ConvexReLU(G, c=1, bias=False)
        cvx, metrics = so.optimize_model(model, AL(model), Metrics(), X, y, regularizer=NeuronGL1(beta / n),
                                         return_convex=True, unitize_data=False, device="cpu", dtype="float64")
    finally:
        so.build_optimizer = build
    seconds = time.perf_counter() - t0
    v, w = (np.asarray(p, dtype=np.float64)[0] for p in cvx.parameters)  # (p, d) each
    al = float(metrics.objective[-1]) * n if len(metrics.objective) else None
    active = int((np.linalg.norm(v, axis=1) > 0).sum() + (np.linalg.norm(w, axis=1) > 0).sum())
    return {"objective": relu_objective(X, y, beta, v, w), "al_objective_times_n": al, "seconds": seconds,
            "gates": gates, "kept_gates": int(v.shape[0]), "active_neurons": active, "cap": cap,
            "capped": bool(made and made[0].hit)}


def run_route(X: np.ndarray, y: np.ndarray, beta: float, layers: int, m1: int, time_limit: float | None) -> dict[str, Any]:
    """The kit's default route."""
    from pathconvex_lab.experiments import solve_route

    kw: dict[str, Any] = {} if time_limit is None else {"time_limit": time_limit}
    t0 = time.perf_counter()
    res = solve_route(X, y, beta, layers=layers, m1=None if layers == 2 else m1, progress=False, **kw)
    seconds = time.perf_counter() - t0
    return {"upper": float(res.upper_bound), "lower": None if res.lower_bound is None else float(res.lower_bound),
            "gap": None if res.relative_gap is None else float(res.relative_gap), "certified": bool(res.certified),
            "route": res.route, "stopped": res.stopped, "solves": len(res.rounds), "seconds": seconds,
            "time_limit": time_limit}


def _guard(fn, *args: Any) -> dict[str, Any]:
    """Run one column; an exception becomes ``{"error": ...}`` so the other columns still run."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        print(f"    error: {type(exc).__name__}: {exc}", flush=True)
        return {"error": f"{type(exc).__name__}: {exc}"}


def run_row(spec: dict[str, Any], args: argparse.Namespace, have_pyscnn: bool) -> dict[str, Any]:
    X, y = data.load(spec["data"])
    if args.quick:
        X, y = X[:120], y[:120]
    n, d = X.shape
    beta, layers, m1 = spec["beta"], spec["layers"], spec["m1"]
    print(f"{spec['data']} n={n} d={d} beta={beta:g} layers={layers}" + (f" m1={m1}" if layers == 3 else ""),
          flush=True)
    row: dict[str, Any] = dict(spec, n=n, d=d)
    row["adam"] = _guard(run_adam, X, y, beta, layers, m1, 500 if args.quick else 5000)
    if "best" in row["adam"]:
        print(f"    Adam x3: best {row['adam']['best']:.6g}  {row['adam']['seconds']:.1f} s", flush=True)
    if layers == 2 and have_pyscnn:
        row["pyscnn"] = _guard(run_pyscnn, X, y, beta, 500 if args.quick else 5000, args.pyscnn_cap)
        if "objective" in row["pyscnn"]:
            p = row["pyscnn"]
            print(f"    pyscnn: {p['objective']:.6g}  {p['seconds']:.1f} s" + ("  (stopped at the cap)" if p["capped"] else ""),
                  flush=True)
    else:
        row["pyscnn"] = None
    row["route"] = _guard(run_route, X, y, beta, layers, m1, 10.0 if args.quick else None)
    r = row["route"]
    if "upper" in r:
        lower = "none" if r["lower"] is None else f"{r['lower']:.6g}"
        print(f"    route: U {r['upper']:.6g}  L {lower}  certified {r['certified']}  {r['seconds']:.1f} s  "
              f"({r['route']})", flush=True)
    a = row["adam"]
    if "upper" in r and "best" in a:
        row["upper_vs_adam"] = (r["upper"] - a["best"]) / abs(a["best"])
        row["time_adam_over_route"] = a["seconds"] / r["seconds"]
    return row


def _fmt(x: Any, spec: str = ".6g") -> str:
    return "" if x is None else format(x, spec)


def table(rows: list[dict[str, Any]]) -> str:
    head = ["data", "n x d", "L", "beta", "Adam best (3)", "Adam s", "pyscnn obj", "pyscnn s", "route U", "route L",
            "gap", "cert", "route s", "U vs Adam", "Adam/route", "route"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        a, p, r = row["adam"], row["pyscnn"] or {}, row["route"]
        layers = "2" if row["layers"] == 2 else f"3 (m1={row['m1']})"
        cells = [row["data"], f"{row['n']} x {row['d']}", layers, f"{row['beta']:g}",
                 _fmt(a.get("best")), _fmt(a.get("seconds"), ".1f"),
                 _fmt(p.get("objective")) if row["pyscnn"] is not None else "",
                 (_fmt(p.get("seconds"), ".1f") + ("*" if p.get("capped") else "")) if row["pyscnn"] is not None else "",
                 _fmt(r.get("upper")), _fmt(r.get("lower")), _fmt(r.get("gap"), ".2g"),
                 "" if "certified" not in r else ("yes" if r["certified"] else "no"),
                 _fmt(r.get("seconds"), ".1f"), _fmt(row.get("upper_vs_adam"), "+.2%"),
                 _fmt(row.get("time_adam_over_route"), ".2f"), r.get("route", r.get("error", ""))]
        if "error" in p:
            cells[6] = "error"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: str, meta: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"machine": meta, "rows": rows}, fh, indent=1)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="first 120 rows, beta 0.1 only, short runs")
    parser.add_argument("--json", metavar="FILE", help="write the rows to FILE (rewritten after each row)")
    parser.add_argument("--only", choices=SETS, help="run one data set")
    parser.add_argument("--pyscnn-cap", type=float, default=None,
                        help="seconds after which pyscnn is stopped with its current iterate (default 60, --quick 20)")
    args = parser.parse_args(argv)
    if args.pyscnn_cap is None:
        args.pyscnn_cap = 20.0 if args.quick else 60.0

    torch.set_num_threads(1)
    meta = machine()
    meta.update(quick=args.quick, threads=1, adam_steps=500 if args.quick else 5000,
                pyscnn_gates=500 if args.quick else 5000, pyscnn_cap=args.pyscnn_cap, route_time_limit=10.0 if args.quick else "default")
    have_pyscnn = pyscnn_available()
    if not have_pyscnn:
        print("pyscnn not installed (pip install --no-deps pyscnn)", flush=True)
    meta["pyscnn"] = have_pyscnn
    rows: list[dict[str, Any]] = []
    for spec in rows_to_run(args.quick, args.only):
        rows.append(run_row(spec, args, have_pyscnn))
        if args.json:
            write_json(args.json, meta, rows)
    meta["loadavg_end"] = list(os.getloadavg())
    if args.json:
        write_json(args.json, meta, rows)

    print()
    print(table(rows))
    print()
    print(f"machine: {meta['processor']}, {meta['cpu_count']} CPUs, torch {meta['torch']}, Python {meta['python']}, "
          f"1 torch thread; {meta['date']}; load {meta['loadavg_start'][0]:.1f} -> {meta['loadavg_end'][0]:.1f}"
          + (" (--quick)" if args.quick else ""))
    print("U vs Adam = (route upper - best Adam) / |best Adam| (negative: route better); "
          "Adam/route = Adam's 3-run wall time / route wall time; * pyscnn stopped at the cap")
    return 0


if __name__ == "__main__":
    sys.exit(main())
