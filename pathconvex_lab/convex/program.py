"""The group program of docs/mathematics.md §3.5 (two layers are its ``m1 = 1`` case), its linear maps in
numpy, a size estimate, and the solver backends.

A *group* ``g`` is a first-layer configuration ``(sigma_g (m1,), D1_g (m1, n))`` with a second-layer
pattern ``D2_g (n,)``. Its linear map and cone are::

    M_g V = D2_g * sum_j sigma_gj * D1_gj * (X v_j)                      (n,)
    C_g   = {V (d, m1): (2 D1_gj - 1) * X v_j >= 0 for all j,  (2 D2_g - 1) * H_g V >= 0}

with ``H_g V = sum_j sigma_gj D1_gj * X v_j``. The program is::

    min  1/2 || sum_{g, s} s M_g V_g^s - y ||^2 + beta sum_{g, s} ||V_g^s||_F,  V_g^s in C_g,

over blocks ``V`` of shape ``(2, G, d, m1)``: index 0 holds output sign ``s = +1``, index 1 ``s = -1``.

Backends: ``"auto"``, the default of every entry point of the kit (see below), ``"cvxpy"`` (CLARABEL, then SCS with a :class:`SolverFallbackWarning`), a named cvxpy
solver such as ``"SCS"`` (tried first, then the defaults), ``"fast"`` (the torch solver of
``pathconvex_lab.convex.fast``), or ``"auto"`` (``"fast"`` for problems of at least
:data:`AUTO_FAST_CONSTRAINTS` inequalities when that module is importable (it picks its own
number of CPU threads), else ``"cvxpy"``; when the
torch solver raises :class:`SolverError` / :class:`ProblemTooLargeError` or stops short of
``"optimal"``, ``"auto"`` warns :class:`SolverFallbackWarning` and solves with ``"cvxpy"``).
Every backend returns a :class:`BackendResult`.
"""

from __future__ import annotations

import importlib
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._validate import check_matrix, check_positive, check_targets
from ..errors import InputError, ProblemTooLargeError, SolverError, SolverFallbackWarning

#: cvxpy solvers tried in order by the ``"cvxpy"`` backend (never ECOS: cvxpy >= 1.6 ships without it).
CVXPY_SOLVERS = ("CLARABEL", "SCS")
#: From this many inequalities on, ``solver="auto"`` prefers the torch solver when it is importable
#: (CLARABEL's time follows the cone rows, B1 has 2,560 variables but 128,000 rows). Measured on 2
#: shared CPU cores, one torch thread: below ~12,000 rows (DS1 m1 = 2, working sets of <= 300
#: DS2 groups) both take 10-300 ms and neither wins reliably; from ~30,000 (DS3(8) m1 = 2,
#: moons(30) two layers) the torch solver is 2.5-4x faster, and 15-35x on B1/B2.
AUTO_FAST_CONSTRAINTS = 30_000
#: Default budgets checked before anything is allocated.
MAX_VARIABLES = 2_000_000
MAX_BYTES = 8 * 2**30
#: Bytes per nonzero of the constraint data through cvxpy's canonicalization and the solver's
#: factorization (calibrated on DS2, m1 = 2, 9,537 groups: estimate 640 MiB, peak RSS 700 MB).
BYTES_PER_NONZERO = 300
_SUCCESS = ("optimal", "optimal_inaccurate")


# --------------------------------------------------------------------------- backend results


@dataclass(frozen=True)
class Seconds:
    """Wall-clock seconds of a backend: ``build`` (checks, model building or presolve) and ``solve``."""

    build: float
    solve: float

    @property
    def total(self) -> float:
        """``build + solve``."""
        return self.build + self.solve


@dataclass(frozen=True)
class IterationRecord:
    """One iteration of the fast solver, in the scaled units it works in (data scaled to unit size).

    ``seconds`` since the call began; the certified relative ``gap`` and relative ``violation``; the
    complementarity ``mu``; the largest entries of the primal and dual residuals; the number of
    working ``groups``; and of the Newton step taken from this iterate, the Krylov steps of its linear
    solves (``linear_iterations``), the centrality ``correctors`` kept and the ``step_length``.
    """

    iteration: int
    seconds: float
    gap: float
    violation: float
    mu: float
    primal_residual: float
    dual_residual: float
    groups: int
    linear_iterations: int = 0
    correctors: int = 0
    step_length: float = 0.0


@dataclass(frozen=True, eq=False)
class BackendResult:
    """What every solver backend returns for the group program.

    ``V`` float64 ``(2, G, d, m1)``: the blocks (index 0 holds output sign ``s = +1``); ``objective``
    of ``V`` in the data's units; ``status`` in the backend's words ("optimal", "optimal_inaccurate",
    "max_iter", ...); ``solver`` the backend that ran ("fast", "CLARABEL", ...); ``gap`` the certified
    relative duality gap (NaN when the backend does not certify one) and ``dual_bound`` the certified
    lower bound on the optimum (NaN likewise); ``violation`` the relative cone violation
    ``max violation / max |X v|``; ``iterations`` of the backend; ``seconds`` wall-clock build and
    solve times; ``message`` why the result is not optimal (empty when it is); ``history`` one record
    per iteration (the fast solver only); ``device`` and ``dtype`` where and in which precision it
    ran; ``linear_solver`` the fast solver's Newton-system solver ("direct" or "iterative"; ``None``
    for the conic backends).
    """

    V: np.ndarray
    objective: float
    status: str
    solver: str
    gap: float
    violation: float
    iterations: int
    seconds: Seconds
    dual_bound: float = float("nan")
    message: str = ""
    history: tuple[IterationRecord, ...] = ()
    device: str = "cpu"
    dtype: str = "float64"
    linear_solver: str | None = None


# --------------------------------------------------------------------------- checks


def check_problem(X: Any, y: Any, beta: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate data: ``X`` float64 ``(n, d)``, ``y`` float64 ``(n,)``, ``beta > 0``."""
    X = check_matrix(X, "X")
    y = check_targets(y, X.shape[0], "y")
    return X, y, check_positive(beta, "beta")


def check_group_arrays(D1: Any, sigma: Any, D2: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate group arrays: ``D1`` bool or 0/1 ``(G, m1, n)`` (``(G, n)`` is read as ``m1 = 1``),
    ``sigma`` ±1 ``(G, m1)`` (``(G,)`` when ``m1 = 1``), ``D2`` bool or 0/1 ``(G, n)``, with ``G >= 1``.
    Returns ``D1`` and ``D2`` as bool and ``sigma`` as int8."""
    D1, D2 = np.asarray(D1), np.asarray(D2)
    if D1.ndim == 2:
        D1 = D1[:, None, :]
    if D1.ndim != 3 or D1.shape[2] != n or D1.shape[1] < 1:
        raise InputError(f"D1 must have shape (G, m1, n={n}) (or (G, n) for m1 = 1); got {D1.shape}")
    G, m1 = D1.shape[:2]
    if G == 0:
        raise InputError("the group set is empty (G = 0); sample or enumerate at least one group")
    try:
        sigma = np.asarray(sigma, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"sigma must be a numeric array of ±1 of shape (G, m1)=({G}, {m1})") from None
    if sigma.shape == (G,) and m1 == 1:
        sigma = sigma[:, None]
    if sigma.shape != (G, m1):
        raise InputError(f"sigma must have shape (G, m1)=({G}, {m1}); got {sigma.shape}")
    if not np.all(np.abs(sigma) == 1):
        raise InputError("sigma must hold only +1 and -1")
    if D2.shape != (G, n):
        raise InputError(f"D2 must have shape (G, n)=({G}, {n}); got {D2.shape}")
    for name, arr in (("D1", D1), ("D2", D2)):
        if arr.dtype != bool and not np.all((arr == 0) | (arr == 1)):
            raise InputError(f"{name} must hold booleans (or 0/1); found other values")
    return D1.astype(bool), sigma.astype(np.int8), D2.astype(bool)


# --------------------------------------------------------------------------- linear maps (numpy)


def first_layer(X: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``X v_j`` for every block: ``V (..., d, m1) -> (..., n, m1)``."""
    return np.einsum("nd,...dj->...nj", X, V)


def second_layer(X: np.ndarray, D1: np.ndarray, sigma: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``H_g V = sum_j sigma_gj D1_gj * X v_j``: ``V (..., G, d, m1) -> (..., G, n)``."""
    signed = sigma[:, :, None] * D1  # (G, m1, n)
    return np.einsum("gjn,...gnj->...gn", signed, first_layer(X, V))


def group_map(X: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``M_g V = D2_g * H_g V``: ``V (..., G, d, m1) -> (..., G, n)``."""
    return D2 * second_layer(X, D1, sigma, V)


def group_adjoint(X: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``M_g^T r`` for every group: ``r (n,) -> (G, d, m1)``, column ``j`` is ``sigma_gj X^T (D1_gj D2_g r)``."""
    weights = sigma[:, :, None] * D1 * (D2 * r)[:, None, :]  # (G, m1, n)
    return np.einsum("nd,gjn->gdj", X, weights)


def program_output(X: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, V: np.ndarray) -> np.ndarray:
    """``f = sum_{g,s} s M_g V_g^s`` for blocks ``V (2, G, d, m1)``: returns ``(n,)``."""
    out = group_map(X, D1, sigma, D2, V)  # (2, G, n)
    return out[0].sum(axis=0) - out[1].sum(axis=0)


def program_objective(
    X: np.ndarray, y: np.ndarray, beta: float, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, V: np.ndarray
) -> float:
    """``1/2 ||f - y||^2 + beta sum ||V_g^s||_F`` in float64 for blocks ``V (2, G, d, m1)``."""
    f = program_output(X, D1, sigma, D2, V)
    return float(0.5 * np.sum((f - y) ** 2) + beta * np.sqrt((V**2).sum(axis=(-2, -1))).sum())


def cone_violation(X: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, V: np.ndarray) -> float:
    """Largest violation of the cone constraints by blocks ``V (..., G, d, m1)``, relative to
    ``max |X v_j|`` over all blocks (0 when every block lies in its cone)."""
    XV = first_layer(X, V)
    scale = float(np.abs(XV).max()) if XV.size else 0.0
    if scale == 0.0:
        return 0.0
    first = (2.0 * np.swapaxes(D1, 1, 2) - 1.0) * XV
    second = (2.0 * D2 - 1.0) * second_layer(X, D1, sigma, V)
    worst = min(float(first.min()), float(second.min()))
    return max(0.0, -worst) / scale


def implied_second_layer(D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> np.ndarray:
    """Bool ``(G, n)``: where the second-layer constraint follows from the first-layer ones.

    At coordinate ``i``, ``(2 D2_i - 1) H_i >= 0`` holds automatically if every active neuron
    (``D1_gj[i] = 1``, so ``(X v_j)_i >= 0``) has ``sigma_gj = 2 D2_i - 1`` (this covers the
    whole two-layer case ``m1 = 1, sigma = +1, D2 = D1``) or no neuron is active (``H_i = 0``).
    """
    want = np.where(D2, 1, -1)[:, None, :]  # (G, 1, n)
    agrees = ~D1 | (sigma[:, :, None] == want)
    return agrees.all(axis=1)


# --------------------------------------------------------------------------- size estimate


@dataclass(frozen=True)
class ProblemSize:
    """Size of a group program before it is built: counts and an estimated peak memory in bytes."""

    groups: int
    variables: int
    constraints: int
    nonzeros: int
    bytes: int

    def __str__(self) -> str:
        return (
            f"{self.groups} groups, {self.variables:,} variables, {self.constraints:,} inequalities, "
            f"~{self.bytes / 2**20:,.0f} MiB"
        )


def estimate_size(n: int, d: int, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> ProblemSize:
    """Count variables ``2 G d m1``, inequalities (first layer ``2 G n m1`` plus the
    second-layer rows that are not implied) and constraint nonzeros; bytes are
    ``nonzeros * BYTES_PER_NONZERO`` (cvxpy canonicalization and solver factorization)."""
    G, m1 = D1.shape[:2]
    second = int(2 * (~implied_second_layer(D1, sigma, D2)).sum())
    first = 2 * G * n * m1
    nonzeros = first * d + second * d * m1 + 2 * G * n * d * m1 + 2 * G * d * m1
    return ProblemSize(G, 2 * G * d * m1, first + second, nonzeros, nonzeros * BYTES_PER_NONZERO)


def check_size(size: ProblemSize, max_variables: int, max_bytes: int) -> None:
    """Raise :class:`ProblemTooLargeError` (before any allocation) when ``size`` exceeds a budget."""
    if size.variables <= max_variables and size.bytes <= max_bytes:
        return
    raise ProblemTooLargeError(
        f"the group program is too large: {size} (budget: {max_variables:,} variables, "
        f"{max_bytes / 2**30:.1f} GiB). Shrink it: sample groups (groups=<number>, e.g. 2000) and "
        "check with a certificate or certify_and_grow, use fewer data points or a smaller m1, use the "
        "low-rank approximation (docs/mathematics.md §6), or raise max_variables / max_bytes if you have the memory"
    )


# --------------------------------------------------------------------------- cvxpy backend


def cvxpy_cones(X: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, W: Any) -> tuple[list, Any]:
    """Cone constraints ``V_g^s in C_g`` on the columns of ``W (d m1, 2 G)`` and ``H (n, 2 G)``.

    Column ``s G + g`` of ``W`` stacks the columns ``v_1, ..., v_m1`` of block ``V_g^s`` (both
    output signs share the cone). Masks are constant ``(n, 2 G)`` matrices and the only loop
    is over the ``m1`` neurons. Second-layer rows implied by the first layer are left out.
    """
    import cvxpy as cp

    d = X.shape[1]
    m1 = D1.shape[1]
    H = 0
    cones = []
    for j in range(m1):
        D1j = np.tile(D1[:, j, :].T, 2)  # (n, 2G)
        Z = X @ W[j * d : (j + 1) * d, :]  # X v_j for every block, (n, 2G)
        cones.append(cp.multiply(2.0 * D1j - 1.0, Z) >= 0)
        H = H + cp.multiply(np.tile(sigma[:, j], 2) * D1j, Z)
    needed = np.flatnonzero(~np.tile(implied_second_layer(D1, sigma, D2).T, 2).ravel(order="F"))
    if needed.size:
        S2 = 2.0 * np.tile(D2.T, 2) - 1.0
        cones.append(cp.vec(cp.multiply(S2, H), order="F")[needed] >= 0)
    return cones, H


def build_cvxpy_problem(
    X: np.ndarray, y: np.ndarray, beta: float, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray
) -> tuple[Any, Any]:
    """The vectorized cvxpy model of the group program; returns ``(problem, W)``.

    ``W`` has shape ``(d m1, 2 G)`` (layout of :func:`cvxpy_cones`); the output is
    ``f = sum over columns of s * D2 * H`` and the group norms are ``norm(W, 2, axis=0)``.
    """
    import cvxpy as cp

    d = X.shape[1]
    G, m1 = D1.shape[:2]
    W = cp.Variable((d * m1, 2 * G), name="W")
    cones, H = cvxpy_cones(X, D1, sigma, D2, W)
    signs = np.repeat([1.0, -1.0], G)  # output sign of each column
    f = cp.sum(cp.multiply(np.tile(D2.T, 2) * signs, H), axis=1)
    objective = 0.5 * cp.sum_squares(f - y) + beta * cp.sum(cp.norm(W, 2, axis=0))
    return cp.Problem(cp.Minimize(objective), cones), W


def blocks_from_columns(W: np.ndarray, d: int, m1: int) -> np.ndarray:
    """``W (d m1, 2G)`` -> blocks ``(2, G, d, m1)``."""
    G = W.shape[1] // 2
    return W.reshape(m1, d, 2, G).transpose(2, 3, 1, 0).copy()


def cvxpy_order(solver: str) -> tuple[str, ...]:
    """The cvxpy solvers to try for backend name ``solver``."""
    if solver == "cvxpy":
        return CVXPY_SOLVERS
    return (solver, *(s for s in CVXPY_SOLVERS if s != solver))


def run_cvxpy(problem: Any, order: tuple[str, ...], verbose: bool = False) -> tuple[str, str, int]:
    """Solve ``problem`` with the first solver of ``order`` that succeeds.

    Each failure after the first solver warns :class:`SolverFallbackWarning`; if all fail,
    raise :class:`SolverError` naming every solver and its status. Returns
    ``(solver used, status, iterations)``.
    """
    import cvxpy as cp

    tried = []
    for name in order:
        try:
            with warnings.catch_warnings():  # an inaccurate solution shows in `status` instead
                warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
                problem.solve(solver=name, verbose=verbose)
            status = str(problem.status)
        except (cp.error.SolverError, ArithmeticError) as exc:
            status = f"error: {' '.join(str(exc).split())[:120]}"
        if status in _SUCCESS and problem.variables()[0].value is not None:
            iterations = getattr(problem.solver_stats, "num_iters", None) or 0
            return name, status, int(iterations)
        tried.append(f"{name}: {status}")
        following = order[len(tried)] if len(tried) < len(order) else None
        if following is not None:
            warnings.warn(f"{name} failed ({status}); falling back to {following}", SolverFallbackWarning, stacklevel=3)
    raise SolverError("every solver failed: " + "; ".join(tried))


#: Scales of X (largest row norm) and y (largest |y_i|) that the conic solver takes as they are.
UNIT_RANGE = (1 / 16, 16.0)


def _unit_scale(size: float) -> float:
    """The factor a data set of this ``size`` is divided by before a conic solve: ``size``
    itself (0 for zero data), or 1 within :data:`UNIT_RANGE`."""
    return 1.0 if UNIT_RANGE[0] <= size <= UNIT_RANGE[1] else size


def solve_group_program_cvxpy(
    X: np.ndarray,
    y: np.ndarray,
    beta: float,
    D1: np.ndarray,
    sigma: np.ndarray,
    D2: np.ndarray,
    *,
    solver: str = "cvxpy",
    verbose: bool = False,
) -> BackendResult:
    """Solve the group program with cvxpy: a :class:`BackendResult` with ``V (2, G, d, m1)``,
    ``objective`` and ``violation`` recomputed in float64 from ``V``, and ``gap`` NaN (conic solvers
    do not expose it).

    The conic solver sees the problem at unit scale, as the torch solver does: with
    ``a = max_i ||x_i||`` and ``b = max_i |y_i|`` (each taken as 1 when it already lies within
    ``UNIT_RANGE``), it solves ``X / a``, ``y / b`` and ``beta / (a b)``, whose blocks times
    ``b / a`` solve the original (the objective scales by ``b^2``), so its absolute tolerances
    do not decide the answer for tiny or huge data.
    """
    n, d = X.shape
    G, m1 = D1.shape[:2]
    t0 = time.perf_counter()
    a, b = _unit_scale(float(np.linalg.norm(X, axis=1).max(initial=0.0))), _unit_scale(float(np.abs(y).max(initial=0.0)))
    if a == 0.0 or b == 0.0:  # the zero network is optimal
        V = np.zeros((2, G, d, m1))
        used, status, iterations, t1 = "none (zero data)", "optimal", 0, time.perf_counter()
    else:
        problem, W = build_cvxpy_problem(X / a, y / b, beta / (a * b), D1, sigma, D2)
        t1 = time.perf_counter()
        used, status, iterations = run_cvxpy(problem, cvxpy_order(solver), verbose)
        V = blocks_from_columns(np.asarray(W.value, dtype=np.float64), d, m1) * (b / a)
    t2 = time.perf_counter()
    return BackendResult(
        V=V,
        objective=program_objective(X, y, beta, D1, sigma, D2, V),
        status=status,
        solver=used,
        gap=float("nan"),
        violation=cone_violation(X, D1, sigma, D2, V),
        iterations=iterations,
        seconds=Seconds(build=t1 - t0, solve=t2 - t1),
    )


# --------------------------------------------------------------------------- dispatch


def _fast_solver() -> Any:
    """The torch solver function, or None when ``pathconvex_lab.convex.fast`` is not importable."""
    try:
        module = importlib.import_module(".fast", __package__)
    except ImportError:
        return None
    return getattr(module, "solve_group_program_fast", None)


def check_solver(solver: Any, name: str = "solver") -> str:
    """Check a ``solver`` argument before any work (``auto``, ``fast``, ``cvxpy`` or an installed
    cvxpy solver name); returns it unchanged."""
    if solver not in ("auto", "fast", "cvxpy"):
        try:
            resolve_backend(solver, None)
        except InputError as exc:
            raise InputError(str(exc).replace("solver must be", f"{name} must be", 1)) from None
    return solver


def resolve_backend(solver: Any, size: ProblemSize | None) -> str:
    """Map a ``solver`` argument to ``"fast"``, ``"cvxpy"`` or an upper-case cvxpy solver name."""
    if not isinstance(solver, str) or not solver:
        raise InputError(f"solver must be 'cvxpy', 'fast', 'auto' or a cvxpy solver name such as 'CLARABEL'; got {solver!r}")
    if solver == "auto":
        return "fast" if size.constraints >= AUTO_FAST_CONSTRAINTS and _fast_solver() is not None else "cvxpy"
    if solver in ("cvxpy", "fast"):
        return solver
    import cvxpy as cp

    name = solver.upper()
    if name == "ECOS" or name not in cp.installed_solvers():
        raise InputError(
            f"solver must be 'cvxpy', 'fast', 'auto' or an installed cvxpy solver "
            f"({', '.join(s for s in cp.installed_solvers() if s != 'ECOS')}); got {solver!r}"
        )
    return name


def solve_group_program(
    X: Any,
    y: Any,
    beta: Any,
    D1: Any,
    sigma: Any,
    D2: Any,
    *,
    solver: str = "auto",
    max_variables: int = MAX_VARIABLES,
    max_bytes: int = MAX_BYTES,
    verbose: bool = False,
    **fast_options: Any,
) -> BackendResult:
    """Validate, size-check and solve the group program of docs/mathematics.md §3.5.

    Parameters: ``X (n, d)``, ``y (n,)``, ``beta > 0``, groups ``D1 (G, m1, n)`` bool,
    ``sigma (G, m1)`` ±1, ``D2 (G, n)`` bool; ``solver`` as in the module docstring;
    ``max_variables`` / ``max_bytes`` budgets (:class:`ProblemTooLargeError` beyond them);
    ``fast_options`` go to the torch solver (``tol``, ``warm_start``, ``device``, ``dtype``).
    Returns the backend's :class:`BackendResult` (``V`` of shape ``(2, G, d, m1)``).
    """
    X, y, beta = check_problem(X, y, beta)
    D1, sigma, D2 = check_group_arrays(D1, sigma, D2, X.shape[0])
    size = estimate_size(*X.shape, D1, sigma, D2)
    backend = resolve_backend(solver, size)
    if backend == "fast":
        fast = _fast_solver()
        if fast is None:
            raise InputError("solver='fast' needs pathconvex_lab.convex.fast (the torch solver), which is not available")
        if solver != "auto":
            return run_fast(fast, X, y, beta, D1, sigma, D2, fast_options)
        try:
            out = run_fast(fast, X, y, beta, D1, sigma, D2, fast_options)
        except (SolverError, ProblemTooLargeError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        else:
            if out.status == "optimal":
                return out
            reason = f"status {out.status!r}"
        warnings.warn(f"the fast solver failed ({reason}); falling back to cvxpy (CLARABEL)",
                      SolverFallbackWarning, stacklevel=2)
        backend = "cvxpy"
    check_size(size, max_variables, max_bytes)
    return solve_group_program_cvxpy(X, y, beta, D1, sigma, D2, solver=backend, verbose=verbose)


def run_fast(fast: Any, X: np.ndarray, y: np.ndarray, beta: float, D1: np.ndarray, sigma: np.ndarray,
             D2: np.ndarray, fast_options: dict[str, Any]) -> BackendResult:
    """Call the torch solver ``fast`` (which returns a :class:`BackendResult`) and recompute
    ``objective`` and ``violation`` from its blocks ``V (2, G, d, m1)`` in numpy, float64."""
    out = fast(X, y, beta, D1, sigma, D2, **fast_options)
    V = np.asarray(out.V, dtype=np.float64)
    return replace(
        out,
        V=V,
        objective=program_objective(X, y, beta, D1, sigma, D2, V),
        violation=cone_violation(X, D1, sigma, D2, V),
    )


__all__ = [
    "CVXPY_SOLVERS",
    "ProblemSize",
    "estimate_size",
    "check_size",
    "solve_group_program",
    "check_solver",
    "build_cvxpy_problem",
    "group_map",
    "group_adjoint",
    "program_output",
    "program_objective",
    "cone_violation",
    "BackendResult",
    "IterationRecord",
    "Seconds",
]
