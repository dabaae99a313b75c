"""Convex-solver benchmark (problems B1 and B2 of benchmarks/README.md): the fast torch solver of
``pathconvex_lab.convex.fast`` side by side with cvxpy CLARABEL, cvxpy SCS and pyscnn's augmented
Lagrangian, in one run.

    python benchmarks/convex_solvers.py            # B1 (100,5,32), (100,5,128), (500,10,128); B2
    python benchmarks/convex_solvers.py --quick    # B1 (100,5,32) and DS1 m1=2 instead of B2
    python benchmarks/convex_solvers.py --gpu      # on a CUDA machine: B1 (500,10,128), B2 and
                                                   # B1 at n=1e5, d=50, P=1024 (fast, pyscnn)
    python benchmarks/convex_solvers.py --rescore rows.json   # re-print an earlier --json run

Every solver run happens in its own subprocess (hard time limit, its own peak-memory figure,
``--threads`` BLAS/torch threads, default 1: the shared machines are noisiest with more). Scoring:
``rel`` is (objective - reference) / reference with the CLARABEL default solve as reference;
a run *reaches* 1e-k when ``rel <= 1e-k`` and its relative violation (max violation / max |X v|)
is ``<= 1e-k``. Times are wall seconds including model building (cvxpy compilation);
``cpu`` is the worker's process time. For the fast solver, t(1e-4) is read from its per-iteration
history (first certified gap and violation <= 1e-4) and t(1e-6) is its certified stop; for
CLARABEL and SCS a separate run at 1e-4 tolerances gives t(1e-4); for pyscnn both come from its
metrics trace (objective within tolerance of the reference, on either side since its iterates may
be infeasible, and constraint-gap norm within tolerance times max |X v|). pyscnn solves
``1/(2n)||.||^2 + lam sum ||.||`` with ``lam = beta / n`` on the same gate vectors
(``unitize_data=False``); it reorders its gates, so its solution is scored with its own
activations. pyscnn cannot express three-layer groups, so it is absent from B2. CLARABEL and SCS
are not run in the --gpu configuration (they are CPU solvers; the default run gives the ratios).

"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

THRESHOLDS = (1e-4, 1e-6)


# --------------------------------------------------------------------------- problems


def b1_data(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """B1 data (benchmarks/README.md): ``X (n, d+1)`` with a ones column, teacher-network labels ``y``."""
    rng = np.random.default_rng([0, n, d])
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    f = np.maximum(X @ rng.standard_normal((d + 1, 4)), 0) @ np.array([1.0, -1.0, 1.0, -1.0])
    return X, np.sign(f - np.median(f)) + 0.1 * rng.standard_normal(n)


def b1_patterns(X: np.ndarray, P: int) -> tuple[np.ndarray, np.ndarray]:
    """B1 patterns: the first ``P`` distinct non-empty ``1[X u >= 0]`` in draw order
    (batches of ``2P`` Gaussian directions). Returns ``D (P, n)`` bool and the directions ``(d+1, P)``."""
    n, d1 = X.shape
    rng = np.random.default_rng([1, n, d1, P])
    seen: set[bytes] = set()
    patterns, directions = [], []
    while len(patterns) < P:
        U = rng.standard_normal((d1, 2 * P))
        for u, col in zip(U.T, (X @ U >= 0).T):
            key = col.tobytes()
            if col.any() and key not in seen:
                seen.add(key)
                patterns.append(col)
                directions.append(u)
                if len(patterns) == P:
                    break
    return np.array(patterns), np.array(directions).T


def build_problem(spec: dict[str, Any]) -> dict[str, Any]:
    """``X, y, beta, D1 (G, m1, n), sigma (G, m1), D2 (G, n)`` (and gate vectors for B1)."""
    if spec["kind"] == "b1":
        X, y = b1_data(spec["n"], spec["d"])
        D, gates = b1_patterns(X, spec["P"])
        return {
            "X": X,
            "y": y,
            "beta": 1e-3 * spec["n"],
            "D1": D[:, None, :],
            "sigma": np.ones((len(D), 1)),
            "D2": D,
            "gates": gates,
        }
    groups = np.load(spec["groups"])
    from pathconvex_lab.data import load_dataset

    X, y = load_dataset(spec["data"])
    return {"X": X, "y": y, "beta": spec["beta"], "D1": groups["D1"], "sigma": groups["sigma"], "D2": groups["D2"]}


def relative_violation(prob: dict[str, Any], V: np.ndarray) -> float:
    """Max violation of the cone constraints over max |X v|, for blocks ``V (2, G, d, m1)``."""
    XV = np.einsum("nd,sgdj->sgjn", prob["X"], V)
    h = np.einsum("gj,gjn,sgjn->sgn", prob["sigma"], prob["D1"], XV)
    worst = max(float(np.max(-(2.0 * prob["D1"] - 1) * XV)), float(np.max(-(2.0 * prob["D2"] - 1) * h)), 0.0)
    return worst / max(float(np.abs(XV).max()), 1e-300)


def objective(prob: dict[str, Any], V: np.ndarray) -> float:
    XV = np.einsum("nd,sgdj->sgjn", prob["X"], V)
    h = np.einsum("gj,gjn,sgjn->sgn", prob["sigma"], prob["D1"], XV)
    f = (prob["D2"] * (h[0] - h[1])).sum(0)
    return float(0.5 * np.sum((f - prob["y"]) ** 2) + prob["beta"] * np.sqrt((V**2).sum((2, 3))).sum())


# --------------------------------------------------------------------------- solver runs (in workers)


def run_fast(prob: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    import torch

    from pathconvex_lab.convex.fast import settings, solve_group_program_fast

    dtype = getattr(torch, opts.get("dtype", "float64"))
    for name, value in opts.get("constants", {}).items():  # experiment rows: the solver's tuning constants
        setattr(settings, name, value)
    with contextlib.redirect_stdout(sys.stderr):  # the iteration log goes to the run's log
        out = solve_group_program_fast(
            prob["X"],
            prob["y"],
            prob["beta"],
            prob["D1"],
            prob["sigma"],
            prob["D2"],
            tol=opts.get("tol", 1e-6),
            device=opts.get("device", "cpu"),
            dtype=dtype,
            max_iter=200,
            time_limit=opts["time_limit"],
            linear_solver=opts.get("linear_solver", "auto"),
            verbose=True,
        )
    times = {}
    for thr in THRESHOLDS:
        hit = [h.seconds for h in out.history if h.gap <= thr and h.violation <= thr]
        times[thr] = hit[0] if hit else None
    extra = {
        "certified_gap": out.gap,
        "iterations": out.iterations,
        "device": out.device,
        "dtype": out.dtype,
        "linear_solver": out.linear_solver,
        "krylov_steps": sum(h.linear_iterations for h in out.history),
    }
    if out.device.startswith("cuda"):
        extra["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    V = out.V
    norms = np.sqrt((V**2).sum((2, 3))).max(0)  # (G,): the larger block; "in" above 1e-3 of the largest
    extra["groups_in_solution"] = int((norms > 1e-3 * max(float(norms.max()), 1e-300)).sum())
    return {"V": V, "status": out.status, "times": times, "extra": extra}


def run_cvxpy(prob: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    import cvxpy as cp
    import scipy.sparse as sp

    X, y, D1, sigma, D2 = prob["X"], prob["y"], prob["D1"], prob["sigma"], prob["D2"]
    n, d = X.shape
    G, m1, _ = D1.shape
    E1 = (2.0 * D1 - 1).transpose(2, 0, 1).reshape(n, G * m1)
    S2 = (sigma[:, :, None] * D1).transpose(2, 0, 1).reshape(n, G * m1)
    blocks = sp.kron(sp.eye(G), np.ones((m1, 1)), format="csr")
    Vs, out, reg, cons = [], 0, 0, []
    for s in (1.0, -1.0):
        V = cp.Variable((d, G * m1))
        XV = X @ V
        h = cp.multiply(S2, XV) @ blocks
        cons += [cp.multiply(E1, XV) >= 0, cp.multiply((2.0 * D2 - 1).T, h) >= 0]
        out = out + s * cp.sum(cp.multiply(D2.T.astype(float), h), axis=1)
        reg = reg + cp.sum(cp.norm(cp.reshape(V, (d * m1, G), order="F"), 2, axis=0))
        Vs.append(V)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(out - y) + prob["beta"] * reg), cons)
    tol, cap = opts.get("tol"), opts["time_limit"]
    if opts["solver"] == "CLARABEL":
        settings = {"time_limit": cap}
        if tol is not None:
            settings.update(tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
    else:
        settings = {"eps_abs": tol, "eps_rel": tol, "time_limit_secs": cap, "max_iters": 10**7}
    start = time.perf_counter()
    problem.solve(solver=opts["solver"], **settings)
    seconds = time.perf_counter() - start
    if Vs[0].value is None:
        return {"V": None, "status": str(problem.status), "times": {}, "extra": {}}
    V = np.stack([v.value.reshape(d, G, m1).transpose(1, 0, 2) for v in Vs])
    extra = {"solver_seconds": problem.solver_stats.solve_time, "iterations": problem.solver_stats.num_iters}
    return {"V": V, "status": str(problem.status), "times": {"run": seconds}, "extra": extra}


def run_pyscnn(prob: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    from scnn.metrics import Metrics
    from scnn.models import ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL

    X, y, n = prob["X"], prob["y"], prob["X"].shape[0]
    model = ConvexReLU(prob["gates"], c=1, bias=False)
    metrics = Metrics(metric_freq=1, model_loss=True, constraint_gaps=True)
    device = opts.get("device", "cpu")
    target = y.reshape(-1, 1) if device == "cuda" else y  # its CUDA backend needs an (n, 1) target
    cvx, trace = optimize_model(
        model,
        AL(model),
        metrics,
        X,
        target,
        regularizer=NeuronGL1(prob["beta"] / n),
        return_convex=True,
        unitize_data=False,
        device=device,
        dtype=opts.get("dtype", "float64"),
    )
    # pyscnn reorders (and may drop) gates: score with its own gates, as blocks (2, G', d, 1)
    D = X @ cvx.G > 0
    v, w = cvx.parameters
    V = np.stack([v[0], w[0]])[..., None]
    own = dict(prob, D1=D.T[:, None, :], D2=D.T, sigma=np.ones((D.shape[1], 1)))
    return {
        "V": V,
        "status": "finished",
        "times": {},
        "extra": {
            "own": own,
            "trace": {
                "time": np.asarray(trace.time, float).tolist(),
                "objective": (np.asarray(trace.model_loss, float) * n).tolist(),
                "constraint_gaps": np.asarray(trace.constraint_gaps, float).tolist(),
            },
        },
    }


#: Modules each runner imports, loaded before the clock and the memory baseline start.
IMPORTS = {
    "fast": ["torch", "pathconvex_lab.convex.fast"],
    "cvxpy": ["cvxpy", "scipy.sparse"],
    "pyscnn": ["torch", "scnn.optimize", "scnn.models", "scnn.solvers", "scnn.metrics"],
}


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one solver on one problem; returns the scored result (no arrays)."""
    import importlib

    for module in IMPORTS[spec["runner"]]:
        importlib.import_module(module)
    if spec["runner"] != "cvxpy":
        import torch

        torch.set_num_threads(spec["threads"])
    prob = build_problem(spec["problem"])
    if str(spec["options"].get("device", "")).startswith("cuda"):
        import torch

        torch.zeros(1, device="cuda")  # the CUDA context is made before the clock starts
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runner = {"fast": run_fast, "cvxpy": run_cvxpy, "pyscnn": run_pyscnn}[spec["runner"]]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    res = runner(prob, spec["options"])
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "status": res["status"],
        "wall": wall,
        "cpu": cpu,
        "peak_mb": peak,
        "delta_mb": peak - base_rss,
        "times": {str(k): v for k, v in res["times"].items()},
        "extra": res["extra"],
    }
    if res["V"] is not None:
        scored = res["extra"].pop("own", prob)
        out.update(
            objective=objective(scored, res["V"]),
            violation=relative_violation(scored, res["V"]),
            scale=float(np.abs(np.einsum("nd,sgdj->sgjn", scored["X"], res["V"])).max()),
        )
    return out


# --------------------------------------------------------------------------- orchestration


def launch(
    problem: dict[str, Any],
    runner: str,
    options: dict[str, Any],
    threads: int,
    cap: float,
    log_file: Path | None = None,
) -> dict[str, Any]:
    """Run :func:`worker` in a subprocess with ``threads`` threads and a hard ``cap`` (seconds); its
    stderr goes to ``log_file`` when given."""
    env = dict(
        os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads)
    )
    spec = json.dumps({"problem": problem, "runner": runner, "options": options, "threads": threads})
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--worker", spec],
            env=env,
            capture_output=True,
            check=False,
            text=True,
            timeout=cap,
        )
    except subprocess.TimeoutExpired as exc:
        if log_file is not None:
            log_file.write_text(exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or ""))
        return {"status": f"not finished in {cap:.0f} s", "wall": cap}
    if log_file is not None:
        log_file.write_text(done.stderr)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"status": "error: " + (done.stderr.strip().splitlines() or ["?"])[-1][:120]}
    return json.loads(lines[-1])


def reached(res: dict[str, Any], ref: float, thr: float) -> bool:
    return "objective" in res and (res["objective"] - ref) / abs(ref) <= thr and res["violation"] <= thr


def planned_runs(problem: dict[str, Any], gpu: bool, device: str = "cuda") -> list[tuple[str, str, dict[str, Any]]]:
    """``(label, runner, options)`` of every run on ``problem``; the first CLARABEL run is the reference.
    In the GPU configuration the fast solver runs on ``device``, and the large problem (marked
    ``"large"``) is solved to its goal's 1e-4 only."""
    large = bool(problem.get("large"))
    runs: list[tuple[str, str, dict[str, Any]]] = []
    if not gpu:
        runs += [
            ("CLARABEL default", "cvxpy", {"solver": "CLARABEL", "tol": None}),
            ("CLARABEL 1e-4", "cvxpy", {"solver": "CLARABEL", "tol": 1e-4}),
            ("SCS 1e-4", "cvxpy", {"solver": "SCS", "tol": 1e-4}),
            ("SCS 1e-6", "cvxpy", {"solver": "SCS", "tol": 1e-6}),
        ]
    if not large:
        runs.append(("fast cpu float64", "fast", {"device": "cpu"}))
        cores = os.cpu_count() or 1
        if cores > 1 and not gpu:  # as a user runs it: threads=None picks 1 or all cores by size
            runs.append(("fast cpu own threads", "fast", {"device": "cpu", "process_threads": cores}))
    if gpu:
        goal = {"device": device, "tol": 1e-4} if large else {"device": device}
        runs.append((f"fast {device} float64", "fast", goal))
    if gpu and large:  # the O(n G)-memory Newton solves ("auto" where the dense plan does not fit), also
        # with four times the coupling kept exactly by the preconditioner
        iterative = dict(goal, linear_solver="iterative")
        runs.append((f"fast {device} iterative", "fast", iterative))
        runs.append((f"fast {device} iterative 8k", "fast", dict(iterative, constants={"KRYLOV_DENSE_SIZE": 8192})))
    if problem["kind"] == "b1" and (large or not gpu):
        runs.append(("pyscnn AL defaults", "pyscnn", {"device": device, "dtype": "float32"} if large else {}))
    if gpu and large:  # experiment: the dense solver without the centrality corrector
        runs.append((f"fast {device} no corrector", "fast", dict(goal, constants={"CORRECTOR_MIN_SIZE": 2**62})))
    return runs


def solver_rows(
    problem: dict[str, Any], name: str, args: argparse.Namespace, cap: float, log, done: list[dict]
) -> list[dict]:
    """All runs on one problem, scored against the reference objective; each raw row is also appended
    to ``done`` and, with ``--json``, written out at once (a run cut short keeps the rows before it)."""
    rows: list[dict] = []
    for label, runner, options in planned_runs(problem, args.gpu, args.device):
        if args.solvers and not any(label.lower().startswith(s) for s in args.solvers):
            continue
        log(f"  {name}: {label} ...")
        hard = (args.pyscnn_cap or cap) if runner == "pyscnn" else cap + (60 if args.gpu else 120)  # pyscnn: no limit
        log_file = args.log_dir / f"{name}_{label}.log".replace(" ", "_").replace("=", "") if args.log_dir else None
        threads = options.get("process_threads", args.threads)
        res = launch(problem, runner, dict(options, time_limit=cap), threads, hard, log_file)
        res.update(problem=name, solver=label)
        rows.append(res)
        done.append(res)
        if args.json:
            write_json(args.json, done)
        log(f"    {res.get('status')} in {res.get('wall', float('nan')):.1f} s")
    return score(rows)


def score(rows: list[dict]) -> list[dict]:
    """Sets ``reference``, ``rel`` and ``t`` of the rows of one problem: the reference is the CLARABEL
    default solve, else the best certified fast solve, else (nothing certified, as when every run of
    the large GPU problem stops at its time limit) the lowest objective of a fast run, which then
    scores only itself."""
    clarabel = [r for r in rows if r["solver"] == "CLARABEL default" and "objective" in r]
    fast = [r for r in rows if r["solver"].startswith("fast") and "objective" in r]
    if clarabel:
        reference = clarabel[0]["objective"]
    else:
        certified = [r for r in fast if r.get("status") == "optimal"] or fast
        reference = min((r["objective"] for r in certified), default=float("nan"))
    for r in rows:
        r["reference"] = reference
        r["rel"] = (r["objective"] - reference) / abs(reference) if "objective" in r else None
        r["t"] = {thr: time_to(r, reference, thr) for thr in THRESHOLDS}
    return rows


def write_json(path: Path, rows: list[dict]) -> None:
    """The rows as JSON at ``path`` (its folder made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, default=float, indent=1))


def time_to(r: dict[str, Any], ref: float, thr: float) -> float | None:
    """Seconds until run ``r`` reached ``thr`` (see the module docstring), or None."""
    if "objective" not in r:
        return None
    if r["solver"].startswith("fast"):
        t = r["times"].get(str(thr))
        return t if t is not None and reached(r, ref, max(thr, 1e-6)) else None
    if r["solver"].startswith("pyscnn"):
        trace = r["extra"]["trace"]
        for t, obj, cg in zip(trace["time"], trace["objective"], trace["constraint_gaps"]):
            if abs(obj - ref) <= thr * abs(ref) and cg <= thr * r["scale"]:  # its iterates may be infeasible
                return t
        return None
    return r["wall"] if reached(r, ref, thr) else None


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "—" if x is None else format(x, spec)


def table(rows: list[dict]) -> str:
    head = (
        f"{'problem':<22} {'solver':<20} {'t(1e-4)':>8} {'t(1e-6)':>8} {'wall':>7} {'cpu':>7} "
        f"{'rel':>9} {'cert.gap':>8} {'viol':>8} {'peakMB':>7} {'dMB':>6}  status"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cert = r.get("extra", {}).get("certified_gap")
        lines.append(
            f"{r['problem']:<22} {r['solver']:<20} {fmt(r['t'][1e-4]):>8} {fmt(r['t'][1e-6]):>8} "
            f"{fmt(r.get('wall'), '.1f'):>7} {fmt(r.get('cpu'), '.1f'):>7} {fmt(r.get('rel'), '.1e'):>9} "
            f"{fmt(cert, '.1e'):>8} {fmt(r.get('violation'), '.1e'):>8} {fmt(r.get('peak_mb'), '.0f'):>7} "
            f"{fmt(r.get('delta_mb'), '.0f'):>6}  {r.get('status')}"
        )
    return "\n".join(lines)


def ratios(rows: list[dict], main: str) -> str:
    """Speed-ups of the fast solver run ``main`` over each alternative, per problem and threshold."""
    lines = []
    for problem in dict.fromkeys(r["problem"] for r in rows):
        mine = [r for r in rows if r["problem"] == problem and r["solver"] == main]
        if not mine:
            continue
        for thr in THRESHOLDS:
            t = mine[0]["t"][thr]
            parts = []
            for family in ("CLARABEL", "SCS", "pyscnn"):
                other = [r for r in rows if r["problem"] == problem and r["solver"].startswith(family)]
                if not other:
                    continue
                best = min((r["t"][thr] for r in other if r["t"][thr] is not None), default=None)
                longest = max((r.get("wall") or 0) for r in other)
                if t is None:
                    parts.append(f"{family}: fast did not reach")
                elif best is None:
                    parts.append(f"{family}: > {longest / t:.0f}x (not reached in {longest:.0f} s)")
                else:
                    parts.append(f"{family}: {best / t:.1f}x")
            lines.append(f"{problem:<22} to {thr:.0e}: " + "; ".join(parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument(
        "--gpu",
        action="store_true",
        help="GPU configuration (run on a CUDA machine): B1 (500,10,128), B2 and B1 at n=1e5, d=50, "
        "P=1024; fast solver on CPU and CUDA, pyscnn on CUDA for the large problem",
    )
    parser.add_argument(
        "--solvers",
        type=lambda s: [x.strip().lower() for x in s.split(",")],
        default=None,
        help="comma list of solver-label prefixes to run (e.g. 'fast,pyscnn'); default all",
    )
    parser.add_argument("--device", default="cuda", help="device of the --gpu configuration (default cuda)")
    parser.add_argument(
        "--large",
        type=lambda s: tuple(int(x) for x in s.split(",")),
        default=(100_000, 50, 1024),
        help="n,d,P of the --gpu configuration's large B1 problem (default 100000,50,1024)",
    )
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads per solver run (default 1)")
    parser.add_argument("--cap", type=float, default=None, help="time limit per run in seconds")
    parser.add_argument("--pyscnn-cap", type=float, default=None, help="time limit of pyscnn runs (default --cap)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="write each run's stderr (the fast solver's iteration log) to this folder",
    )
    parser.add_argument("--rescore", type=Path, default=None, help="re-print the tables of an earlier --json file")
    parser.add_argument("--groups-cache", type=Path, default=None,
                        help="folder for the B2 groups (reused when present; default: a temporary folder)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker)), default=float))
        return 0
    if args.rescore:
        rows = json.loads(args.rescore.read_text())
        for problem in dict.fromkeys(r["problem"] for r in rows):  # rows written as runs ended lack scores
            score([r for r in rows if r["problem"] == problem])
        for main_run in dict.fromkeys(r["solver"] for r in rows if r["solver"].startswith("fast")):
            print(f"speed-up of {main_run}:\n" + ratios(rows, main_run) + "\n")
        print(table(rows))
        return 0
    cap = args.cap or (60.0 if args.quick else 300.0)
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    if args.quick:
        sizes = [(100, 5, 32)]
    elif args.gpu:
        sizes = [(500, 10, 128)]
    else:
        sizes = [(100, 5, 32), (100, 5, 128), (500, 10, 128)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.groups_cache or Path(tmp)
        problems = [(f"B1 n={n} d={d} P={P}", {"kind": "b1", "n": n, "d": d, "P": P}) for n, d, P in sizes]
        problems.append(
            groups_problem(folder, "ds1", 2, 0.1) if args.quick else groups_problem(folder, "ds2", 2, 0.05)
        )
        if args.gpu:
            n, d, P = args.large
            label = "B1 n=1e5 d=50 P=1024" if args.large == (100_000, 50, 1024) else f"B1 n={n} d={d} P={P}"
            problems.append((label, {"kind": "b1", "n": n, "d": d, "P": P, "large": True}))
        rows, done = [], []
        for name, problem in problems:
            log(f"{name}")
            rows += solver_rows(problem, name, args, cap, log, done)
    if args.json:
        write_json(args.json, rows)
    print(
        f"\nconvex solvers, {args.threads} thread(s) per run, cap {cap:.0f} s per run "
        f"(reference: CLARABEL default, else the best certified fast solve; '—': not reached)\n"
    )
    for main_run in dict.fromkeys(r["solver"] for r in rows if r["solver"].startswith("fast")):
        print(f"speed-up of {main_run}:\n" + ratios(rows, main_run) + "\n")
    print(table(rows))
    return 0


def groups_problem(folder: Path, data: str, m1: int, beta: float) -> tuple[str, dict[str, Any]]:
    """B2-type problem: exact groups (``arrangements.enumerate_groups``), enumerated once into ``folder`` for the workers
    (kept there when it already holds them: a GPU machine without HiGHS can reuse them)."""
    path = folder / f"{data}_{m1}.npz"
    if not path.exists():
        from pathconvex_lab import arrangements
        from pathconvex_lab.data import load_dataset

        start = time.perf_counter()
        g = arrangements.enumerate_groups(load_dataset(data)[0], m1)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(path, D1=g.D1, sigma=g.sigma, D2=g.D2)
        print(f"{data} m1={m1}: {len(g.D1)} groups enumerated in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    label = "B2 DS2 m1=2" if data == "ds2" else f"{data.upper()} m1={m1}"
    return label, {"kind": "groups", "data": data, "beta": beta, "groups": str(path)}


if __name__ == "__main__":
    sys.exit(main())
