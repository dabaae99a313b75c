"""Dual certificate of global optimality for ANY network (docs/mathematics.md §3.7).

For a network with outputs ``f`` and path norm ``R`` on data ``(X, y)``:

1. residual ``r = y - f``;
2. ``sigma_A(r) = max_{g, s} max_{V in C_g, ||V||_F <= 1} s <M_g^T r, V>`` (the support function
   of the atom set), or any number above it;
3. ``t = max(0, min(beta / sigma_A, r.y / ||r||^2))`` and ``lambda = t r`` is dual feasible, so
   ``lambda.y - 1/2 ||lambda||^2 <= p_cvx <= P = 1/2 ||r||^2 + beta R``.

The lower bound is a proof only if the number used for ``sigma_A`` is never below it. The
default, ``support="projection"``, projects ``M_g^T r`` onto each cone by a small NNLS; its
value ``||c + A^T mu||`` with ``mu >= 0`` bounds the group's value from above by weak duality
whatever the NNLS's accuracy, and equals it at the exact projection. The work is done at unit
scale (``sigma_A`` is homogeneous in ``X`` and ``r``). ``support="socp"`` solves one small SOCP
per group and sign, all as ONE separable cvxpy problem: exact only to the conic solver's
tolerance, which at tiny residuals (beta near 1e-8) under-states ``sigma_A`` by 0.2% and lets
the "lower bound" pass the optimum. With ``support="bound"`` the cone-free bound is used: the
lower bound stays valid, just weaker.

Only groups that could exceed the running maximum are evaluated: every group first gets a
valid upper bound (the cone-free ``||M_g^T r||_F``, tightened by a batched first-order dual
method, :func:`dual_bounds`), and groups that cannot matter are skipped (DS2: about 1,300 of
16,160 groups evaluated at the optimum).

A certificate over sampled groups bounds the program restricted to those groups, not the
network problem: it is labelled "not a proof".
"""

from __future__ import annotations

import math

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import check_choice, check_int, check_positive
from ..errors import InputError
from .program import (
    CVXPY_SOLVERS,
    MAX_VARIABLES,
    check_group_arrays,
    check_problem,
    cvxpy_cones,
    cvxpy_order,
    group_adjoint,
    run_cvxpy,
)

SUPPORT_METHODS = ("socp", "projection", "bound")
#: Default relative gap under which an exact-group certificate says "certified".
GAP_TOL = 1e-5


# --------------------------------------------------------------------------- support function


def cheap_bounds(X: np.ndarray, r: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> np.ndarray:
    """Cone-free upper bounds ``||M_g^T r||_F`` on both signs' support values: ``(G,)``."""
    C = group_adjoint(X, D1, sigma, D2, r)
    return np.sqrt((C**2).sum(axis=(1, 2)))


def socp_support(
    X: np.ndarray, r: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, *, order: tuple[str, ...] = CVXPY_SOLVERS
) -> np.ndarray:
    """Exact support values ``max_{V in C_g, ||V||_F <= 1} s <M_g^T r, V>`` for every group of
    the given arrays and both signs, from ONE cvxpy problem (the sum of the separable
    per-group problems). Returns ``(2, G)``: row 0 for ``s = +1``, row 1 for ``s = -1``."""
    import cvxpy as cp

    d = X.shape[1]
    G, m1 = D1.shape[:2]
    C = group_adjoint(X, D1, sigma, D2, r)  # (G, d, m1)
    signed = np.concatenate([C, -C])  # (2G, d, m1), the layout of cvxpy_cones
    coef = signed.transpose(0, 2, 1).reshape(2 * G, m1 * d).T  # (d m1, 2G)
    W = cp.Variable((d * m1, 2 * G), name="W")
    cones, _ = cvxpy_cones(X, D1, sigma, D2, W)
    problem = cp.Problem(cp.Maximize(cp.sum(cp.multiply(coef, W))), [*cones, cp.norm(W, 2, axis=0) <= 1])
    run_cvxpy(problem, order)
    values = (coef * np.asarray(W.value)).sum(axis=0)
    return np.maximum(values, 0.0).reshape(2, G)


def cone_matrices(X: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> np.ndarray:
    """Rows ``A_g`` with ``C_g = {V : A_g vec(V) >= 0}``: ``(G, (m1 + 1) n, d m1)``, where ``vec``
    stacks ``v_1, ..., v_m1``; first the ``m1 n`` first-layer rows, then the ``n`` second-layer rows."""
    G, m1, n = D1.shape
    d = X.shape[1]
    A = np.zeros((G, m1 + 1, n, m1, d))
    for j in range(m1):
        A[:, j, :, j, :] = (2.0 * D1[:, j, :, None] - 1.0) * X
        A[:, m1, :, j, :] = ((2.0 * D2 - 1.0) * sigma[:, j, None] * D1[:, j])[:, :, None] * X
    return A.reshape(G, (m1 + 1) * n, m1 * d)


def projection_support(X: np.ndarray, r: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> np.ndarray:
    """Support values by projection, independent of any conic solver: ``(2, G)``, each a valid
    upper bound on the exact value and equal to it when the projection is solved exactly.

    For a closed convex cone ``K``, ``max_{v in K, ||v|| <= 1} <c, v> = ||P_K(c)||``, and by Moreau
    ``P_K(c) = c + A^T mu`` with ``mu = argmin_{mu >= 0} ||c + A^T mu||`` (a small NNLS per group
    and sign, where ``K = {v : A v >= 0}``), solved by bounded-variable least squares
    (``scipy.optimize.lsq_linear(method="bvls")``; scipy 1.17's ``nnls`` returns infeasible
    points on these degenerate matrices). Whatever ``mu >= 0`` the solver returns,
    ``<c, v> <= <c + A^T mu, v> <= ||c + A^T mu||`` on the feasible set (weak duality), so the
    value computed here never under-states the support function, whatever the solver's tolerance.
    """
    from scipy.optimize import lsq_linear

    G, m1 = D1.shape[:2]
    C = group_adjoint(X, D1, sigma, D2, r).transpose(0, 2, 1).reshape(G, -1)  # vec stacks v_j
    A = cone_matrices(X, D1, sigma, D2)
    values = np.zeros((2, G))
    for g in range(G):
        At = A[g].T
        for k, c in enumerate((C[g], -C[g])):
            mu = np.maximum(lsq_linear(At, -c, bounds=(0.0, np.inf), method="bvls", tol=1e-12).x, 0.0)
            values[k, g] = np.linalg.norm(c + At @ mu)
    return values


def dual_bounds(A: np.ndarray, C: np.ndarray, start: np.ndarray, target: float, iters: int) -> np.ndarray:
    """Tightened upper bounds on ``max_{v in K_g, ||v|| <= 1} s <c_g, v>`` with ``K_g = {v : A_g v >= 0}``.

    Weak duality: for every ``mu >= 0``, ``s <c, v> <= <s c + A^T mu, v> <= ||s c + A^T mu||`` on
    the feasible set, so each iterate of accelerated projected gradient on
    ``min_{mu >= 0} 1/2 ||s c + A^T mu||^2`` gives a *valid* bound, converging to the exact value
    (FISTA with adaptive restart, step ``1 / ||A_g||_2^2``). All groups and both signs run at
    once as batched matrix products; a problem stops once its bound is ``<= target`` (it
    cannot matter any more).

    ``A (G, R, k)`` cone rows, ``C (G, k)`` the vectors ``c_g``, ``start (2, G)`` known bounds
    (row 0 for ``s = +1``, row 1 for ``s = -1``). Returns the bounds ``(2, G)``.
    """
    best = start.astype(np.float64).copy()
    signed = np.stack([C, -C], axis=1)  # (G, 2, k)
    lipschitz = np.maximum(np.linalg.eigvalsh(A.transpose(0, 2, 1) @ A)[:, -1], 1e-300)
    mu = np.zeros((A.shape[0], 2, A.shape[1]))  # multipliers of every problem, kept across rebuilds
    live = np.flatnonzero((best > target).any(axis=0))
    it = 0
    chunk = 10
    while live.size and it < iters:
        Al, cl, step = A[live], signed[live], (1.0 / lipschitz[live])[:, None, None]
        AlT = np.ascontiguousarray(Al.transpose(0, 2, 1))
        old = mu[live]
        p_old = cl + old @ Al  # s c + A^T mu, kept in step with mu (the map is linear)
        z, p_z = old, p_old
        tk, prev = np.ones((live.size, 2, 1)), np.full((live.size, 2), np.inf)
        for _ in range(min(chunk, iters - it)):  # then drop the finished problems and rebuild
            new = np.maximum(z - step * (p_z @ AlT), 0.0)
            p_new = cl + new @ Al
            val = np.sqrt((p_new**2).sum(axis=2))  # (G', 2): valid bounds
            best[:, live] = np.minimum(best[:, live], val.T)
            restart = (val > prev)[:, :, None]  # adaptive restart (O'Donoghue & Candes)
            tn = np.where(restart, 1.0, 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * tk * tk)))
            momentum = np.where(restart, 0.0, (tk - 1.0) / tn)
            z, p_z = new + momentum * (new - old), p_new + momentum * (p_new - p_old)
            old, p_old, tk, prev = new, p_new, tn, val
            it += 1
        mu[live] = old
        live = live[(best[:, live] > target).any(axis=0)]
        chunk = min(2 * chunk, 80)
    return best


@dataclass(frozen=True)
class Support:
    """``sigma_A(r)`` over a group set: ``sigma`` is a valid upper bound (exact when ``exact``).

    ``values (2, G)`` holds the exact support values of the evaluated groups (NaN elsewhere),
    ``upper (2, G)`` valid upper bounds for every group and sign (exact where evaluated),
    ``bounds (G,)`` the cone-free bounds.
    """

    sigma: float
    exact: bool
    values: np.ndarray
    upper: np.ndarray
    bounds: np.ndarray
    evaluated: int


def support_function(
    X: np.ndarray,
    r: np.ndarray,
    D1: np.ndarray,
    sigma: np.ndarray,
    D2: np.ndarray,
    *,
    method: str = "projection",
    batch: int = 256,
    refine_iters: int = 200,
    max_variables: int = MAX_VARIABLES,
    order: tuple[str, ...] = CVXPY_SOLVERS,
) -> Support:
    """Compute ``sigma_A(r) = max_{g, s} max_{V in C_g, ||V||_F <= 1} s <M_g^T r, V>`` over the groups.

    The work is done at unit scale (``r / ||r||``, ``X`` over its largest row norm; ``sigma_A`` is
    homogeneous in both), so solver tolerances do not swamp tiny residuals or huge data.
    ``method="projection"`` (the default) gives values that are valid upper bounds whatever the
    solver's accuracy (see :func:`projection_support`), so the dual point it yields is feasible
    and the lower bound a proof. ``method="socp"`` takes each group's value from a conic solver
    (ONE cvxpy problem per batch of groups), exact only to that solver's tolerance.
    ``method="bound"``: the largest cone-free bound (cheap, valid, loose).

    "projection" and "socp" follow one schedule: (1) evaluate the ``batch`` groups with the
    largest cone-free bound ``||M_g^T r||``; call the best value found ``b``; (2) tighten the
    bounds of all groups that could still beat ``b`` by :func:`dual_bounds` (``refine_iters``
    iterations); (3) evaluate every group whose bound still exceeds ``b`` (in chunks within
    ``max_variables``, updating ``b``). Groups that cannot matter are never evaluated.
    """
    rnorm, xnorm = float(np.linalg.norm(r)), float(np.linalg.norm(X, axis=1).max(initial=0.0))
    if not (np.isfinite(rnorm) and np.isfinite(xnorm)):
        raise InputError("the residual r and the data X must be finite to compute the support function")
    if rnorm == 0.0 or xnorm == 0.0:
        G = D1.shape[0]
        return Support(0.0, True, np.full((2, G), np.nan), np.zeros((2, G)), np.zeros(G), 0)
    unit = _unit_support(X / xnorm, r / rnorm, D1, sigma, D2, method=method, batch=batch, refine_iters=refine_iters,
                         max_variables=max_variables, order=order)
    scale = rnorm * xnorm  # sigma_A is homogeneous of degree one in X and in r
    return Support(unit.sigma * scale, unit.exact, unit.values * scale, unit.upper * scale, unit.bounds * scale,
                   unit.evaluated)


def _unit_support(X: np.ndarray, r: np.ndarray, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, *, method: str,
                  batch: int, refine_iters: int, max_variables: int, order: tuple[str, ...]) -> Support:
    """:func:`support_function` for ``||r|| = 1`` and rows of ``X`` of norm at most one."""
    bounds = cheap_bounds(X, r, D1, sigma, D2)
    G = bounds.shape[0]
    values = np.full((2, G), np.nan)
    upper = np.tile(bounds, (2, 1))
    if method == "bound" or G == 0 or float(bounds.max(initial=0.0)) == 0.0:
        top = float(bounds.max(initial=0.0))
        return Support(top, top == 0.0, values, upper, bounds, 0)
    d, m1 = X.shape[1], D1.shape[1]
    chunk = max(1, max_variables // (2 * d * m1))

    def evaluate(idx: np.ndarray) -> float:
        if method == "projection":
            values[:, idx] = projection_support(X, r, D1[idx], sigma[idx], D2[idx])
        else:
            values[:, idx] = socp_support(X, r, D1[idx], sigma[idx], D2[idx], order=order)
        upper[:, idx] = values[:, idx]
        return float(np.nanmax(values[:, idx]))

    best = evaluate(np.argsort(-bounds, kind="stable")[: min(batch, chunk)])
    open_ = np.isnan(values[0]) & (upper.max(axis=0) > best)
    if open_.any() and refine_iters > 0:
        cand = np.flatnonzero(open_)
        C = group_adjoint(X, D1[cand], sigma[cand], D2[cand], r).transpose(0, 2, 1).reshape(cand.size, -1)
        A = cone_matrices(X, D1[cand], sigma[cand], D2[cand])
        upper[:, cand] = dual_bounds(A, C, upper[:, cand], best, refine_iters)
    evaluated = int((~np.isnan(values[0])).sum())
    while True:
        top = np.where(np.isnan(values[0]), upper.max(axis=0), -np.inf)
        cand = np.flatnonzero(top > best)
        if cand.size == 0:
            break
        cand = cand[np.argsort(-top[cand], kind="stable")][:chunk]
        best = max(best, evaluate(cand))
        evaluated += cand.size
    rest = np.isnan(values[0])
    remaining = float(upper[:, rest].max(initial=0.0))
    return Support(max(best, remaining), remaining <= best, values, upper, bounds, evaluated)


# --------------------------------------------------------------------------- the certificate


@dataclass(frozen=True, eq=False)
class Certificate:
    """Bounds on the convex optimum ``p_cvx`` from a candidate's residual (docs/mathematics.md §3.7).

    ``primal`` is ``P = 1/2 ||r||^2 + beta R`` of the candidate, ``lower_bound`` the dual value
    of ``lambda = t r``, ``gap = primal - lower_bound``; ``sigma`` is ``sigma_A(r)`` and
    ``ratio = sigma / beta`` (<= 1 at a global optimum). ``certified`` is True only when the
    groups are the exact (complete) set and ``rel_gap <= tol``; otherwise the bracket holds for
    the program over the given groups only ("not a proof" for the network problem).
    ``top_groups``/``top_signs``/``top_values`` list evaluated groups by decreasing support
    value (the most violating first; ``top_values`` are divided by ``beta``).
    """

    primal: float
    lower_bound: float
    gap: float
    rel_gap: float
    sigma: float
    ratio: float
    beta: float
    t: float
    certified: bool
    exact_groups: bool
    sigma_exact: bool
    support: str
    num_groups: int
    evaluated_groups: int
    tol: float
    seconds: float
    fit: float
    penalty: float
    top_groups: np.ndarray = field(repr=False)
    top_signs: np.ndarray = field(repr=False)
    top_values: np.ndarray = field(repr=False)
    residual: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    upper: np.ndarray = field(repr=False)

    @property
    def lam(self) -> np.ndarray:
        """The dual-feasible vector ``lambda = t r`` of shape ``(n,)``."""
        return self.t * self.residual

    def violating(self, threshold: float = 1.0) -> np.ndarray:
        """Indices of evaluated groups whose best sign has ``value / beta > threshold`` (most violating first)."""
        return self.top_groups[self.top_values > threshold]

    @property
    def excess(self) -> float:
        """``(primal - lower_bound) / lower_bound``: the candidate's objective is proved to be at most
        this fraction above the best possible one (inf when the lower bound is not positive)."""
        if self.lower_bound <= 0:
            return 0.0 if self.gap <= 0 else math.inf
        return max(self.gap, 0.0) / self.lower_bound

    def verdict(self) -> str:
        """What the certificate proves, in one plain sentence (the numbers follow in ``repr``).

        Over the complete group set the lower bound is a proof, so the sentence says how far above
        the best possible objective the candidate is proved to be at most; it calls the candidate
        optimal only within ``tol`` (the tolerance passed to :func:`certificate`, on the relative
        gap), and says "a better network exists" only when a neuron is proved to lower the objective."""
        if not self.exact_groups:
            return ("not a proof: the groups checked are not all the groups, so these bounds hold only for the "
                    "program over them")
        distance = (f"at most {percent(self.excess)} above the best possible objective" if math.isfinite(self.excess)
                    else "no distance to the best possible objective is proved (the lower bound is 0)")
        if self.certified:
            return f"certified optimal: {distance}, proved (tolerance {self.tol:g})"
        within = f"{distance}, proved; more than the tolerance {self.tol:g}"
        if self.ratio > 1 and self.sigma_exact:
            return (f"{within}. A better network exists: its best new neuron scores {self.ratio:.4g} x beta (above "
                    "beta), so adding that neuron lowers the objective")
        if self.ratio > 1:
            return (f"{within}. The bound on the best new neuron's score ({self.ratio:.4g} x beta) is above beta, "
                    "so it cannot rule out a better network")
        return within

    def headline(self) -> str:
        """A few words for a figure title: "certified optimal (at most 1e-06% above the best)",
        "at most 0.077% above the best, proved" or "not a proof (not all groups)"."""
        if not self.exact_groups:
            return "not a proof (not all groups)"
        if self.certified:
            return f"certified optimal (at most {percent(self.excess)} above the best)"
        return f"at most {percent(self.excess)} above the best, proved" + (
            "; a better network exists" if self.ratio > 1 and self.sigma_exact else "")

    def __repr__(self) -> str:
        score = "at most 1 at an optimum" + ("" if self.sigma_exact else "; this is an upper bound on the score")
        return (
            f"Certificate({self.verdict()};\n"
            f"  best possible objective: at least {self.lower_bound:.8g}, and this network reaches {self.primal:.8g} "
            f"(gap {self.gap:.3g}, relative {self.rel_gap:.3g}),\n"
            f"  best new neuron's score / beta: {self.ratio:.6g} ({score}),\n"
            f"  residual . prediction {self.fit:.6g} vs beta x path norm {self.penalty:.6g} (equal at an optimum),\n"
            f"  groups: {self.num_groups} ({'all of them' if self.exact_groups else 'not all of them'}), "
            f"{self.evaluated_groups} scored by the {self.support} method, {self.seconds:.2f} s)"
        )


def percent(fraction: float) -> str:
    """``0.00077 -> "0.077%"``, ``3e-9 -> "3.0e-07%"``, ``4.4 -> "440%"``: a fraction as a readable percentage."""
    if not math.isfinite(fraction):
        return "an unbounded distance"
    value = 100.0 * max(fraction, 0.0)
    if value >= 100:
        return f"{value:,.0f}%"
    return f"{value:.2g}%" if value >= 1e-3 or value == 0 else f"{value:.1e}%"


def dual_value(rr: float, ry: float, beta: float, sigma: float) -> tuple[float, float]:
    """``(t, lambda.y - 1/2 ||lambda||^2)`` for ``lambda = t r`` with
    ``t = max(0, min(beta / sigma, r.y / ||r||^2))`` (``beta / sigma`` left out when ``sigma <= 0``),
    from ``rr = ||r||^2`` and ``ry = r.y``; dual feasible whenever ``sigma >= sigma_A(r)``."""
    if rr == 0.0:
        return 0.0, 0.0
    t = ry / rr
    if sigma > 0:
        t = min(beta / sigma, t)
    t = max(0.0, t)
    return t, t * ry - 0.5 * t * t * rr


def dual_lower_bound(r: np.ndarray, y: np.ndarray, beta: float, sigma: float) -> tuple[float, float]:
    """:func:`dual_value` of the residual ``r (n,)`` and targets ``y (n,)``."""
    return dual_value(float(r @ r), float(r @ y), beta, sigma)


def certify_outputs(
    f: Any,
    path_norm: float,
    X: Any,
    y: Any,
    beta: Any,
    groups: Any,
    *,
    tol: float = GAP_TOL,
    support: str = "projection",
    top: int = 50,
    batch: int = 256,
    solver: str = "auto",
) -> Certificate:
    """Certificate for a candidate given by its outputs ``f (n,)`` and regularizer value
    ``path_norm`` (``R`` of the network, or ``sum ||V||_F`` of convex blocks) over ``groups``
    (an object with ``D1``, ``sigma``, ``D2`` and ``exact``). See :class:`Certificate`."""
    start = time.perf_counter()
    X, y, beta = check_problem(X, y, beta)
    check_choice(support, "support", SUPPORT_METHODS)
    tol = check_positive(tol, "tol")
    top = check_int(top, "top", minimum=1)
    f = np.asarray(f, dtype=np.float64).reshape(-1)
    if f.shape != y.shape:
        raise InputError(f"f must have shape {y.shape} (one output per row of X); got {f.shape}")
    D1, sig, D2 = check_group_arrays(groups.D1, groups.sigma, groups.D2, X.shape[0])
    order = CVXPY_SOLVERS if solver in ("cvxpy", "auto", "fast") else cvxpy_order(str(solver).upper())
    r = y - f
    sup = support_function(X, r, D1, sig, D2, method=support, batch=batch, order=order)
    t, lower = dual_lower_bound(r, y, beta, sup.sigma)
    primal = float(0.5 * r @ r + beta * path_norm)
    gap = primal - lower
    rel_gap = gap / primal if primal > 0 else 0.0
    exact_groups = bool(getattr(groups, "exact", False))
    best = np.fmax(sup.values[0], sup.values[1])
    ranked = np.argsort(-np.nan_to_num(best, nan=-1.0), kind="stable")[: min(top, sup.evaluated)]
    return Certificate(
        primal=primal,
        lower_bound=lower,
        gap=gap,
        rel_gap=rel_gap,
        sigma=sup.sigma,
        ratio=sup.sigma / beta,
        beta=beta,
        t=t,
        certified=exact_groups and rel_gap <= tol,
        exact_groups=exact_groups,
        sigma_exact=sup.exact,
        support=support,
        num_groups=D1.shape[0],
        evaluated_groups=sup.evaluated,
        tol=tol,
        seconds=time.perf_counter() - start,
        fit=float(r @ f),
        penalty=beta * float(path_norm),
        top_groups=ranked,
        top_signs=np.where(sup.values[0, ranked] >= sup.values[1, ranked], 1, -1).astype(np.int8),
        top_values=best[ranked] / beta,
        residual=r,
        values=sup.values,
        upper=sup.upper,
    )


def certificate(
    net: Any,
    X: Any,
    y: Any,
    beta: Any,
    groups: Any = "exact",
    *,
    tol: float = GAP_TOL,
    support: str = "projection",
    seed: Any = 0,
    top: int = 50,
    solver: str = "auto",
) -> Certificate:
    """Optimality certificate (docs/mathematics.md §3.7) for ANY 2- or 3-layer ``ParallelReLUNet``.

    Args:
        net: the candidate network (e.g. trained by SGD); no hidden biases (bias is a column of X).
        X, y, beta: the data and regularization of the path-regularized objective.
        groups: ``"exact"`` (a proof), a ``Groups`` object, or an ``int`` (sampled groups: not a proof).
        tol: relative gap under which ``certified`` is True (only with exact groups).
        support: ``"socp"`` (exact ``sigma_A`` by cvxpy), ``"projection"`` (exact, by NNLS) or
            ``"bound"`` (cone-free upper bound: cheap, still a valid lower bound, rarely tight).
    Returns:
        :class:`Certificate` bracketing ``p_cvx`` between a dual lower bound and ``P(net)``.
    """
    from .groups import network_m1, network_weights, resolve_groups

    X, y, beta = check_problem(X, y, beta)
    V, _, _ = network_weights(net)
    if V.shape[1] != X.shape[1]:
        raise InputError(f"X must have {V.shape[1]} columns to match the network; got {X.shape[1]}")
    pool, _ = resolve_groups(X, network_m1(net), groups, seed=seed)
    R = float(np.sqrt((V**2).sum(axis=(1, 2))).sum())  # path norm, docs/mathematics.md §3.2
    return certify_outputs(net.predict(X), R, X, y, beta, pool, tol=tol, support=support, top=top, solver=solver)


__all__ = [
    "certificate",
    "Certificate",
    "Support",
    "certify_outputs",
    "cheap_bounds",
    "socp_support",
    "dual_bounds",
    "projection_support",
    "cone_matrices",
    "support_function",
    "dual_lower_bound",
    "dual_value",
    "SUPPORT_METHODS",
    "GAP_TOL",
]
