"""Pricing over ALL groups without enumerating them: a search that finds violating neurons, and
a bound that is valid at any time.

The dual certificate needs ``sigma_A(r) = max_{a in A} r^T a``, the largest correlation of the
residual with a unit-path-norm sub-network. Where the arrangement is too large to enumerate:

- :func:`search_neurons` / :func:`search_subnetworks` look for atoms with a *large* value (local
  ascent on the sphere from many starts): every atom found with ``r^T a > beta`` gives a group to
  add (a column), but a search never proves anything;
- :func:`pricing_bound` proves an *upper* bound on ``max_{||u|| <= 1} w^T (X u)_+`` for any weights
  ``w`` (a branch and bound over the sphere, stoppable at any time, every intermediate value valid);
  :func:`support_upper_bound` turns it into an upper bound ``sigma_bar >= sigma_A(r)`` for two and
  three layers, and :func:`~pathconvex_lab.convex.certificate.dual_lower_bound` turns that into a
  certified lower bound on the optimum.

Why a branch and bound is written here by hand: the pricing problem (maximize a sum of ReLUs of
mixed signs on the sphere) is NP-hard in general; mixed-integer solvers reachable from Python
(big-M models) give very weak bounds on it, and no library offers a spherical branch and bound.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import as_generator, check_int, check_matrix, check_positive
from ..errors import InputError

#: Ascent iterations per start (each is one matrix product; the patterns settle in ~10-30).
SEARCH_ITERS = 60


# --------------------------------------------------------------------------- the search


def _unit_rows(U: np.ndarray) -> np.ndarray:
    """Rows (or leading-axis blocks) scaled to unit Frobenius norm; zero rows stay zero."""
    norms = np.sqrt((U**2).reshape(U.shape[0], -1).sum(axis=1))
    return U / np.where(norms > 0, norms, 1.0).reshape((-1,) + (1,) * (U.ndim - 1))


def search_neurons(
    X: Any, r: Any, *, starts: int = 1000, init: Any = None, seed: Any = 0, iters: int = SEARCH_ITERS
) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of ``|r^T (X u)_+|`` over unit directions ``u`` (two-layer pricing).

    From each start (``starts`` Gaussian directions plus the rows of ``init (k, d)``, e.g. the
    current neurons), for both signs ``s = +-1``, iterate ``u <- X^T (s r * 1[X u > 0]) / ||.||``:
    for a fixed pattern this is the best direction, so the value rises until the pattern settles.
    Returns ``U (m, d)`` unit directions and ``values (m,)``, the larger of ``s r^T (X u)_+``
    over the two signs, sorted by decreasing value. Values are attained (lower bounds of the
    pricing value of the direction's group), never upper bounds.
    """
    X = check_matrix(X, "X")
    r = np.asarray(r, dtype=np.float64).reshape(-1)
    if r.shape[0] != X.shape[0]:
        raise InputError(f"r must have one entry per row of X ({X.shape[0]}); got {r.shape[0]}")
    starts = check_int(starts, "starts", minimum=0)
    rng = as_generator(seed)
    U0 = rng.standard_normal((starts, X.shape[1]))
    if init is not None:
        U0 = np.vstack([U0, np.asarray(init, dtype=np.float64).reshape(-1, X.shape[1])])
    U0 = _unit_rows(U0)
    found, values = [], []
    for s in (1.0, -1.0):
        U = best = U0.copy()
        top = s * r @ np.maximum(X @ U.T, 0.0)
        for _ in range(iters):  # the iteration may cycle between patterns: keep each start's best
            U = _unit_rows(((X @ U.T > 0) * (s * r)[:, None]).T @ X)
            value = s * r @ np.maximum(X @ U.T, 0.0)
            better = value > top
            best, top = np.where(better[:, None], U, best), np.where(better, value, top)
        found.append(best)
        values.append(top)
    U, v = np.vstack(found), np.concatenate(values)
    order = np.argsort(-v, kind="stable")
    return U[order], v[order]


def subnetwork_values(X: np.ndarray, r: np.ndarray, V: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``s r^T (sum_j sigma_j (X v_j)_+)_+`` for ``s = +1`` and ``-1``: ``(2, K)``, and the
    second-layer pre-activations ``h (K, n)``."""
    Z = np.einsum("nd,kdj->knj", X, V)
    h = (np.maximum(Z, 0.0) * sigma[:, None, :]).sum(axis=2)
    a = np.maximum(h, 0.0)
    return np.stack([a @ r, -(a @ r)]), h


def search_subnetworks(
    X: Any, r: Any, m1: int, *, starts: int = 1000, init: Any = None, seed: Any = 0, iters: int = SEARCH_ITERS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima of ``s r^T (sum_j sigma_j (X v_j)_+)_+`` over ``||V||_F = 1`` (three-layer pricing).

    Starts: ``starts`` Gaussian ``V (d, m1)`` with random ``sigma`` (at least one +1), plus
    ``init = (V (k, d, m1), sigma (k, m1))`` (e.g. the current sub-networks); each start runs
    with ``s = +1`` and ``s = -1``. Iteration: ``V <- G / ||G||_F`` with ``G`` the gradient for the
    current patterns (the best ``V`` for fixed patterns). Returns ``V (m, d, m1)``,
    ``sigma (m, m1)`` and attained ``values (m,)``, sorted by decreasing value.
    """
    X = check_matrix(X, "X")
    m1 = check_int(m1, "m1", minimum=1)
    r = np.asarray(r, dtype=np.float64).reshape(-1)
    if r.shape[0] != X.shape[0]:
        raise InputError(f"r must have one entry per row of X ({X.shape[0]}); got {r.shape[0]}")
    starts = check_int(starts, "starts", minimum=0)
    rng = as_generator(seed)
    d = X.shape[1]
    V0 = rng.standard_normal((starts, d, m1))
    S0 = np.where(rng.random((starts, m1)) < 0.5, 1, -1).astype(np.int8)
    S0[:, 0] = 1  # an all-negative sub-network is identically zero
    if init is not None:
        Vi, Si = init
        V0 = np.concatenate([V0, np.asarray(Vi, dtype=np.float64).reshape(-1, d, m1)])
        S0 = np.concatenate([S0, np.asarray(Si).reshape(-1, m1).astype(np.int8)])
    V0 = _unit_rows(V0)
    found, signs, values = [], [], []
    for s in (1.0, -1.0):
        V = best = V0.copy()
        top = subnetwork_values(X, r, V, S0)[0][0 if s > 0 else 1]
        for _ in range(iters):
            Z = np.einsum("nd,kdj->knj", X, V)
            h = (np.maximum(Z, 0.0) * S0[:, None, :]).sum(axis=2)
            weight = (h > 0) * (s * r)[None, :]  # (K, n)
            G = np.einsum("kn,knj,nd->kdj", weight, (Z > 0) * S0[:, None, :], X)
            V = _unit_rows(G)
            value = subnetwork_values(X, r, V, S0)[0][0 if s > 0 else 1]
            better = value > top
            best, top = np.where(better[:, None, None], V, best), np.where(better, value, top)
        found.append(best)
        signs.append(S0)
        values.append(top)
    V, S, v = np.concatenate(found), np.concatenate(signs), np.concatenate(values)
    order = np.argsort(-v, kind="stable")
    return V[order], S[order], v[order]


# --------------------------------------------------------------------------- the bound


@dataclass(frozen=True)
class PricingBound:
    """An upper bound on ``max_{||u|| <= 1} w^T (X u)_+`` (or on ``sigma_A(r)``).

    ``upper`` is valid whatever happened (time limit, Ctrl-C, node limit); ``incumbent`` is a
    value attained by ``direction`` (a unit vector ``(d,)`` in the coordinates of ``X``, or
    ``None``), so the maximum lies in ``[incumbent, upper]``; ``closed`` says the bound reached
    ``target`` (or met the incumbent); ``nodes`` counts the regions bounded; ``method`` names what
    gave ``upper``.
    """

    upper: float
    incumbent: float
    nodes: int
    seconds: float
    closed: bool
    method: str
    direction: np.ndarray | None = None


def _row_space(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(X Q, Q)`` with ``Q (d, rank)`` an orthonormal basis of the row space (``u = Q z``)."""
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    rank = int((s > s[0] * max(X.shape) * np.finfo(float).eps).sum()) if s.size and s[0] > 0 else 0
    return X @ Vt[:rank].T, Vt[:rank].T


def _cauchy_schwarz(A: np.ndarray, w: np.ndarray) -> float:
    """``sum_i w_i^+ (a_i^T z)_+ <= sqrt(sum w^+) sqrt(lambda_max(A^T diag(w^+) A))`` on the unit ball."""
    wp = np.maximum(w, 0.0)
    if not wp.any():
        return 0.0
    top = float(np.linalg.eigvalsh(A.T @ (wp[:, None] * A))[-1])
    return math.sqrt(float(wp.sum()) * max(top, 0.0))


def _node_bounds(A: np.ndarray, norms: np.ndarray, w: np.ndarray, M: np.ndarray, H: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Upper bounds on ``max w^T (A z)_+`` over the unit directions of each box, and the value at
    each box centre's direction.

    A box (centre ``M[b]`` on a face of the cube, half-widths ``H[b]``) lies in the ball of radius
    ``||H[b]||`` around ``M[b]``, whose directions form a cap of half-angle
    ``rho = arcsin(||H|| / ||M||)`` (the whole sphere when ``||H|| >= ||M||``). On that cap each
    ``a_i^T z`` lies in ``||a_i|| [cos(theta_i + rho), cos(theta_i - rho)]``. Rows positive on
    the whole cap add a linear term, whose cap maximum is exact; rows that change sign add at
    most ``w_i^+`` times their top value, or the Cauchy-Schwarz bound of those rows, whichever is
    smaller. Returns ``(bounds (B,), centre values (B,))``.
    """
    nm = np.linalg.norm(M, axis=1)
    hn = np.linalg.norm(H, axis=1)
    rho = np.where(hn < nm, np.arcsin(np.minimum(hn / nm, 1.0)), np.pi)
    c = M / nm[:, None]
    proj = A @ c.T  # (n, B)
    theta = np.arccos(np.clip(proj / norms[:, None], -1.0, 1.0))
    lo = np.cos(np.minimum(theta + rho, np.pi)) * norms[:, None]
    hi = np.cos(np.maximum(theta - rho, 0.0)) * norms[:, None]
    fixed = lo > 0
    crossing = (~fixed) & (hi > 0) & (w[:, None] > 0)
    g = A.T @ (fixed * w[:, None])  # (k, B)
    gn = np.linalg.norm(g, axis=0)
    psi = np.arccos(np.clip((g * c.T).sum(axis=0) / np.where(gn > 0, gn, 1.0), -1.0, 1.0))
    linear = np.where(psi <= rho, gn, gn * np.cos(np.minimum(psi - rho, np.pi)))
    wc = crossing * w[:, None]  # (n, B), nonnegative
    interval = (wc * hi).sum(axis=0)
    gram = np.einsum("nb,nk,nl->bkl", wc, A, A)
    cs = np.sqrt(wc.sum(axis=0) * np.maximum(np.linalg.eigvalsh(gram)[:, -1], 0.0))
    value = w @ np.maximum(proj, 0.0)
    return linear + np.minimum(interval, cs), value


def _weighted_rows(X: Any, w: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pricing problem in the row space of ``X``: ``(A (n', k), norms (n',), w (n',), Q (d, k))``
    with ``u = Q z``, keeping only the rows of ``A = X Q`` that are nonzero and have a nonzero weight."""
    X = check_matrix(X, "X")
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    if w.shape[0] != X.shape[0] or not np.isfinite(w).all():
        raise InputError(f"w must be {X.shape[0]} finite weights (one per row of X); got shape {w.shape}")
    A, Q = _row_space(X)
    norms = np.linalg.norm(A, axis=1)
    keep = (norms > 0) & (w != 0)
    return A[keep], norms[keep], w[keep], Q


def _halves(M: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each box (centres ``M (B, k)``, half-widths ``H (B, k)``) cut in two along its widest side:
    ``(centres (2B, k), half-widths (2B, k))``, all first halves, then all second halves."""
    rows = np.arange(len(M))
    axis = np.argmax(H, axis=1)
    half = H[rows, axis] / 2
    step = np.zeros_like(M)
    step[rows, axis] = half
    Hc = H.copy()
    Hc[rows, axis] = half
    return np.vstack([M - step, M + step]), np.vstack([Hc, Hc])


@dataclass(eq=False)
class _Boxes:
    """The state of the branch and bound on the unit sphere of ``R^k``.

    Open boxes: centres ``M (B, k)`` on the faces of the cube, half-widths ``H (B, k)`` and their
    upper ``bounds (B,)``; ``incumbent`` is the best value attained, at the direction of ``best_z``
    (``None`` while it is 0); ``closed_max`` is the largest bound of the boxes dropped because
    they cannot beat the goal; ``nodes`` counts the boxes bounded.
    """

    A: np.ndarray
    norms: np.ndarray
    w: np.ndarray
    M: np.ndarray
    H: np.ndarray
    bounds: np.ndarray
    incumbent: float
    best_z: np.ndarray | None
    closed_max: float = -np.inf
    nodes: int = 0

    @classmethod
    def cube(cls, A: np.ndarray, norms: np.ndarray, w: np.ndarray) -> _Boxes:
        """The ``2k`` faces of the cube ``[-1, 1]^k``, bounded."""
        k = A.shape[1]
        M = np.vstack([np.eye(k), -np.eye(k)])
        H = np.ones((2 * k, k)) - np.vstack([np.eye(k), np.eye(k)])
        bounds, values = _node_bounds(A, norms, w, M, H)
        best_z = M[int(np.argmax(values))] if values.max() > 0 else None
        return cls(A, norms, w, M, H, bounds, max(0.0, float(values.max())), best_z, nodes=len(bounds))

    def upper(self) -> float:
        """The valid upper bound now: no box, open or closed, can hold more."""
        return max(self.incumbent, self.closed_max, float(self.bounds.max(initial=-np.inf)))

    def branch(self, batch: int, goal: float) -> None:
        """Split the ``batch`` boxes of largest bound, bound the halves, keep the best value seen
        and close every box whose bound cannot beat ``max(goal, incumbent)``."""
        take = np.argsort(-self.bounds, kind="stable")[: min(batch, len(self.bounds))]
        rest = np.ones(len(self.bounds), dtype=bool)
        rest[take] = False
        Mc, Hc = _halves(self.M[take], self.H[take])
        cb, cv = _node_bounds(self.A, self.norms, self.w, Mc, Hc)
        self.nodes += len(cb)
        if cv.max() > self.incumbent:
            self.incumbent, self.best_z = float(cv.max()), Mc[int(np.argmax(cv))]
        self.M, self.H, self.bounds = (np.vstack([self.M[rest], Mc]), np.vstack([self.H[rest], Hc]),
                                       np.concatenate([self.bounds[rest], cb]))
        low = self.bounds <= max(goal, self.incumbent)
        if low.any():
            self.closed_max = max(self.closed_max, float(self.bounds[low].max()))
            self.M, self.H, self.bounds = self.M[~low], self.H[~low], self.bounds[~low]


def pricing_bound(
    X: Any,
    w: Any,
    *,
    target: float | None = None,
    time_limit: float = 10.0,
    max_nodes: int = 200_000,
    batch: int = 256,
    rtol: float = 1e-7,
    stop_event: threading.Event | None = None,
) -> PricingBound:
    """A valid upper bound on ``max_{||u||_2 <= 1} sum_i w_i (x_i^T u)_+`` by branch and bound.

    The sphere of the row space of ``X`` (dimension ``k = rank X``) is covered by the ``2k`` faces
    of the cube, each split in halves along its widest side, best bound first (``batch`` boxes at a
    time); each box is bounded as in :func:`_node_bounds`, and the global Cauchy-Schwarz bound caps
    the result. Stops when the bound is ``<= target`` (``None``: when it meets the incumbent
    within ``rtol``), after ``time_limit`` seconds, beyond ``max_nodes`` open boxes, on ``stop_event`` or on
    Ctrl-C; every stop returns a valid bound. Cost: ``O(n k)`` per box; in dimension ``k`` a box
    shrinks by half only after ``k - 1`` splits, so the bound tightens quickly for small ``k``
    and slowly for ``k`` above ~6.
    """
    start = time.perf_counter()
    A, norms, w, Q = _weighted_rows(X, w)
    time_limit = check_positive(time_limit, "time_limit")
    max_nodes = check_int(max_nodes, "max_nodes", minimum=1)
    if not (w > 0).any() or A.shape[1] == 0:  # every term is <= 0
        return PricingBound(0.0, 0.0, 0, time.perf_counter() - start, True, "no positive weight", None)
    cs = _cauchy_schwarz(A, w)
    goal = -np.inf if target is None else float(target)
    boxes = _Boxes.cube(A, norms, w)
    method = "branch and bound"
    try:
        while True:
            upper = boxes.upper()
            if upper <= max(goal, boxes.incumbent * (1 + rtol)) or min(upper, cs) <= goal:
                break
            if time.perf_counter() - start > time_limit or len(boxes.bounds) > max_nodes or (stop_event and stop_event.is_set()):
                break
            boxes.branch(batch, goal)
    except KeyboardInterrupt:
        method = "branch and bound (interrupted)"
    upper = boxes.upper()
    if cs < upper:
        upper, method = cs, "Cauchy-Schwarz"
    closed = upper <= max(goal, boxes.incumbent * (1 + rtol))
    direction = None if boxes.best_z is None else Q @ (boxes.best_z / np.linalg.norm(boxes.best_z))
    return PricingBound(float(upper), float(boxes.incumbent), int(boxes.nodes), time.perf_counter() - start,
                        bool(closed), method, direction)


def support_upper_bound(
    X: Any, r: Any, m1: int, *, target: float | None = None, time_limit: float = 10.0,
    stop_event: threading.Event | None = None,
) -> PricingBound:
    """A valid upper bound ``sigma_bar >= sigma_A(r)`` over ALL groups (no enumeration).

    Two layers (``m1 = 1``): ``sigma_A(r) = max_s max_{||u|| <= 1} s r^T (X u)_+``, bounded by
    :func:`pricing_bound` for ``r`` and ``-r`` (half the time each). Three layers: with
    ``h = sum_j sigma_j (X v_j)_+``, ``s r^T (h)_+ <= sum_{j: sigma_j = +1} (s r)^+^T (X v_j)_+
    <= sqrt(m1) ||V||_F max_{||u|| <= 1} (s r)^+^T (X u)_+``, so ``sigma_A(r) <= sqrt(m1)
    max_s pricing((s r)^+)`` (valid, and looser: rows with ``s r_i < 0`` are dropped).
    ``target`` is the value of ``sigma_A`` that would suffice (e.g. ``beta``).
    """
    r = np.asarray(r, dtype=np.float64).reshape(-1)
    m1 = check_int(m1, "m1", minimum=1)
    scale = math.sqrt(m1)
    goal = None if target is None else float(target) / scale
    parts: list[PricingBound] = []
    for s in (1.0, -1.0):
        w = s * r if m1 == 1 else np.maximum(s * r, 0.0)
        need = goal if not parts else max(goal or 0.0, parts[0].incumbent)  # the other sign need not beat it
        parts.append(pricing_bound(X, w, target=need, time_limit=time_limit / 2, stop_event=stop_event))
    worst = max(parts, key=lambda b: b.upper)
    found = max(parts, key=lambda b: b.incumbent)
    return PricingBound(
        upper=scale * worst.upper,
        incumbent=scale * max(b.incumbent for b in parts) if m1 == 1 else 0.0,
        nodes=sum(b.nodes for b in parts),
        seconds=sum(b.seconds for b in parts),
        closed=worst.closed,
        method=worst.method if m1 == 1 else f"{worst.method} (three layers: sqrt(m1) x two-layer bound of (s r)^+)",
        direction=found.direction if m1 == 1 else None,
    )


__all__ = ["SEARCH_ITERS", "PricingBound", "pricing_bound", "subnetwork_values", "search_neurons", "search_subnetworks", "support_upper_bound"]
