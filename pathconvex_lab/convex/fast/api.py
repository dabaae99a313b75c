"""The fast solver's entry point: checks, memory and thread planning, scaling to unit data, the
facet presolve, the interior-point run and the typed result."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ...errors import ProblemTooLargeError
from ...nets import resolve_device, torch_threads
from ..program import BackendResult, Seconds
from . import settings
from .facets import facet_maps, facet_rows
from .inputs import Options, Problem, check_options, check_program
from .ipm import IpmOutcome, run_ipm
from .maps import Maps, build_maps
from .state import initial_state, warm_state


def solve_group_program_fast(
    X: Any,
    y: Any,
    beta: Any,
    D1: Any,
    sigma: Any,
    D2: Any,
    *,
    tol: float = 1e-6,
    max_iter: int = 100,
    warm_start: Any = None,
    device: str | torch.device = "auto",
    dtype: torch.dtype = torch.float64,
    time_limit: float | None = None,
    threads: int | None = None,
    directions: Any = None,
    linear_solver: str = "auto",
    verbose: bool = False,
) -> BackendResult:
    """Solve the group program (package docstring) by a structure-exploiting interior-point method.

    Parameters
    ----------
    X : (n, d) data (bias column included); y : (n,) targets; beta : > 0.
    D1 : bool (G, m1, n) first-layer patterns ((G, n) is read as m1 = 1); sigma : ±1 (G, m1);
    D2 : bool (G, n) second-layer patterns. Two layers: ``m1 = 1``, ``sigma = 1``, ``D2 = D1``.
    tol : target for both the certified relative duality gap and the relative violation.
    max_iter : Newton steps allowed (typically 12-30 are needed).
    warm_start : optional (2, G, d, m1) blocks to start from (e.g. the previous solution on a
        regularization path; zero blocks for newly added groups).
    device : "auto" (CUDA, then MPS for float32, then CPU, chosen at call time) or a torch device.
    dtype : torch.float64 (default) or torch.float32 (GPUs; a stall short of ``tol`` then returns
        status "precision_limit" instead of raising).
    time_limit : seconds, or None.
    threads : torch CPU threads for the solve (restored afterwards); None: one thread for problems
        below ``settings.MULTITHREAD_ROWS`` cone-row entries, torch's setting above.
    directions : optional (G, d, m1) first-layer weights realizing the groups (``Groups.V``,
        ``Patterns.directions``): they let a presolve leave out cone rows implied by the others
        (exact convex hulls, low dimensions only; see ``settings.FACET_MAX_DIM``). The answer is
        checked against every row and solved again with all of them if one is violated.
    linear_solver : how the Newton systems are solved: "direct" (a dense capacitance factorized every
        step, ``min(n, G p)`` rows; fastest), "iterative" (GMRES preconditioned group by group;
        memory ``O(n G)``, no dense matrix; several times slower where "direct" fits), or "auto"
        ("direct" when its memory plan fits, else "iterative"). The result's ``linear_solver`` says
        which ran.

    Returns
    -------
    :class:`~pathconvex_lab.convex.program.BackendResult` with ``solver="fast"``, ``V`` float64
    (2, G, d, m1) (index 0: s = +1), the objective of that point, the certified ``dual_bound``, gap
    and violation, status ("optimal", "max_iter", "time_limit" or "precision_limit"), ``message``,
    ``seconds`` (build: checks, scaling and presolve; solve: the iterations), ``device``, ``dtype``,
    ``linear_solver`` and one :class:`~pathconvex_lab.convex.program.IterationRecord` per iteration.

    Raises
    ------
    InputError for bad arguments; ProblemTooLargeError when no allowed Newton solver fits in memory;
    SolverError when the method stalls in float64 short of ``tol`` (the message gives the last
    gap, violation and residuals).
    """
    start = time.perf_counter()
    problem = check_program(X, y, beta, D1, sigma, D2, directions, warm_start)
    options = check_options(tol, max_iter, time_limit, threads, linear_solver, dtype, verbose)
    dev = resolve_device(device, dtype=options.dtype)
    n, d, G, m1 = problem.sizes
    planned = _plan_linear_solver(n, d, G, m1, dev, options.dtype, options.linear_solver)
    options = replace(options, linear_solver=planned)
    with torch_threads(_threads(problem, options, dev)):
        return _solve(problem, options, dev, start)


def _threads(problem: Problem, options: Options, dev: torch.device) -> int | None:
    """Torch CPU threads for the solve: as given, else one below ``MULTITHREAD_ROWS`` cone-row entries
    (``None``: torch's setting; always ``None`` off the CPU)."""
    if dev.type != "cpu":
        return None
    n, _d, G, m1 = problem.sizes
    if options.threads is None and 2 * G * _rows_per_block(n, m1) < settings.MULTITHREAD_ROWS:
        return 1
    return options.threads


def _solve(problem: Problem, options: Options, dev: torch.device, start: float) -> BackendResult:
    """:func:`solve_group_program_fast` after validation and planning.

    Unit data: with ``a = max_i ||x_i||`` and ``b = max_i |y_i|``, the solver works on ``X / a``,
    ``y / b`` and ``beta / (a b)``, whose blocks ``U`` give ``V = (b / a) U`` (objective times ``b^2``).
    """
    X, y = problem.X, problem.y
    a, b = float(np.sqrt((X * X).sum(1)).max()), float(np.abs(y).max())
    if a == 0 or b == 0:
        return _trivial_result(problem, options, dev, start)
    to = {"device": dev, "dtype": options.dtype}
    maps = build_maps(torch.as_tensor(X / a, **to), torch.as_tensor(y / b, **to), problem.beta / (a * b),
                      problem.D1, problem.sigma, problem.D2)
    reduced = _facet_presolve(problem, maps)
    work = maps if reduced is None else reduced
    if problem.warm_start is None:
        state = initial_state(work)
    else:
        state = warm_state(work, torch.as_tensor(problem.warm_start * (a / b), **to).permute(0, 1, 3, 2))
    built = time.perf_counter()
    outcome = run_ipm(work, state, options, start)
    if work is not maps:
        outcome = _check_every_row(maps, outcome, options, start)
    return BackendResult(
        V=(outcome.U.permute(0, 1, 3, 2) * (b / a)).to(torch.float64).cpu().numpy(),
        objective=outcome.cert.objective * b * b,
        status=outcome.status,
        solver="fast",
        gap=outcome.cert.gap,
        violation=outcome.cert.violation,
        iterations=len(outcome.history) - 1,
        seconds=Seconds(build=built - start, solve=time.perf_counter() - built),
        dual_bound=outcome.cert.dual * b * b,
        message=outcome.message,
        history=outcome.history,
        device=str(dev),
        dtype=_dtype_name(options.dtype),
        linear_solver=options.linear_solver,
    )


def _facet_presolve(problem: Problem, maps: Maps) -> Maps | None:
    """``maps`` with only the facets of each cone as rows (:mod:`.facets`), or ``None`` when there are
    no ``directions``, the dimension is out of reach, or the presolve would keep too many rows."""
    d = problem.X.shape[1]
    if problem.directions is None or not 1 <= d - 1 <= settings.FACET_MAX_DIM:
        return None
    keep = facet_rows(problem.X, problem.D1, problem.directions)
    return facet_maps(maps, torch.as_tensor(keep, device=maps.X.device))


def _check_every_row(maps: Maps, outcome: IpmOutcome, options: Options, start: float) -> IpmOutcome:
    """The outcome of a solve over the presolve's rows, checked against every row of ``maps``: its
    violation over all rows, or, when a row it left out is violated, a warm solve with all of them
    (the histories joined)."""
    violation = maps.violation(outcome.U)
    if violation <= options.tol:
        return replace(outcome, cert=replace(outcome.cert, violation=violation))
    again = run_ipm(maps, warm_state(maps, outcome.U), options, start)
    return replace(again, history=outcome.history + again.history)


def _dtype_name(dtype: torch.dtype) -> str:
    """``torch.float64 -> "float64"``."""
    return str(dtype).replace("torch.", "")


def _trivial_result(problem: Problem, options: Options, dev: torch.device, start: float) -> BackendResult:
    """``X = 0`` or ``y = 0``: every block is zero at the optimum, objective ``||y||^2 / 2``."""
    n, d, G, m1 = problem.sizes
    objective = 0.5 * float(problem.y @ problem.y)
    return BackendResult(
        V=np.zeros((2, G, d, m1)), objective=objective, status="optimal", solver="fast", gap=0.0, violation=0.0,
        iterations=0, seconds=Seconds(build=time.perf_counter() - start, solve=0.0), dual_bound=objective,
        device=str(dev), dtype=_dtype_name(options.dtype), linear_solver=options.linear_solver,
    )


# --------------------------------------------------------------------------- memory planning


def _rows_per_block(n: int, m1: int) -> int:
    """Cone rows ``q`` of one block: ``n m1`` first-layer rows, plus ``n`` second-layer rows when ``m1 > 1``
    (an upper bound: implied rows are dropped later)."""
    return n * (m1 + 1) if m1 > 1 else n


def _planned_bytes(n: int, d: int, G: int, m1: int, itemsize: int, linear_solver: str) -> int:
    """Rough peak memory in bytes of the solver: the cone-row arrays, the block matrices and the
    capacitance (none for the iterative solver, whose largest temporaries are ``(n, G m1)`` products
    and ``F_S``)."""
    p = m1 * d
    q = _rows_per_block(n, m1)
    rows = 16 * 2 * G * q
    blocks = 8 * 2 * G * (p + 1) ** 2 + 2 * G * m1 * m1 * n + n * d * d
    if linear_solver == "iterative":
        coupled = min(G * p, settings.KRYLOV_DENSE_SIZE)  # F_S (n x coupled) and its capacitance
        dense = 2 * G * m1 * n + n * coupled + min(n, coupled) ** 2
    else:
        dense = n * G * p + 2 * n * n if n <= G * p else 3 * (G * p) ** 2
    return itemsize * (rows + blocks + dense)


def _plan_linear_solver(
    n: int, d: int, G: int, m1: int, dev: torch.device, dtype: torch.dtype, linear_solver: str
) -> str:
    """The Newton-system solver to use ("direct" or "iterative") for ``linear_solver`` ("auto": "direct"
    when its memory plan fits the budget, else "iterative"); raises :class:`ProblemTooLargeError`
    before allocating anything when no allowed plan fits."""
    itemsize = torch.finfo(dtype).bits // 8
    budget = int(0.9 * torch.cuda.mem_get_info(dev)[0]) if dev.type == "cuda" else settings.CPU_MEMORY_BUDGET
    choices = ("direct", "iterative") if linear_solver == "auto" else (linear_solver,)
    for choice in choices:
        if _planned_bytes(n, d, G, m1, itemsize, choice) <= budget:
            return choice
    need = _planned_bytes(n, d, G, m1, itemsize, choices[-1])
    raise ProblemTooLargeError(
        f"the fast solver would need about {need / 2**30:.1f} GiB for n={n}, G={G}, d={d}, m1={m1} "
        f"with linear_solver={choices[-1]!r} (budget {budget / 2**30:.1f} GiB on {dev}); use fewer points "
        "or groups, float32, or the low-rank approximation"
    )
