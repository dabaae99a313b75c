"""ReLU sign patterns (hyperplane arrangements, docs/mathematics.md §5) and three-layer groups (§3.4).

A *chamber pattern* of ``X (n, d)`` is ``1[X u > 0]`` for a direction ``u`` in an open chamber of
the central arrangement ``{u : x_i^T u = 0}``; rows of ``X`` that are zero always get 0. The
set of all of them, :func:`enumerate_patterns`, has at most ``pattern_bound(n, rank X)``
members (Cover 1965), with equality iff the rows are in general position.

Exact methods (all work on the row space of ``X``, of dimension ``r = rank X``):

- ``"sweep"`` (r <= 2): sort the boundary angles and read one pattern per arc (§5.3).
- ``"rays"`` (any r): every chamber of an essential central arrangement is a pointed cone, so
  it has an extreme ray lying on ``r - 1`` independent hyperplanes; the chambers touching a
  ray are read off the local arrangement of the hyperplanes through it (``2^(r-1)`` sign
  choices in general position, a recursive lower-dimensional enumeration otherwise).
- ``"lp"``: the incremental depth-first search with one LP per undecided node (§5.2), the
  general reference method.

Three-layer groups ``g = (c, D2)`` (§3.4): a configuration ``c`` is a multiset of ``m1`` labels
``(sigma_j, D1_j)``; ``D2`` ranges over the nonzero strict sign patterns of
``h_i(V) = sum_j sigma_j D1_j[i] x_i^T v_j`` over ``V`` in the first-layer cone of ``c``.
A row whose active neurons all have the same sign has a forced ``D2`` entry; the other
(*mixed*) rows are searched by the same depth-first search, on one warm-started HiGHS model
per configuration. ``method="lp"`` instead runs the plain §5.2 search on every row (reference).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from ._validate import as_generator, check_choice, check_int, check_matrix
from .errors import InputError, ProblemTooLargeError, SolverError

#: |cos| between a unit normal and a unit ray below which the ray lies on the hyperplane.
_ZERO_TOL = 1e-9
#: Decimals kept when deciding that two unit normals span the same hyperplane.
_DEDUP_DECIMALS = 9
#: Booleans materialised at once when sampling (memory cap, ~40 MB).
_CHUNK_BOOLS = 40_000_000
#: Floats per block of ray/direction work: small enough to stay in the CPU cache.
_CACHE_FLOATS = 60_000
#: Largest pattern matrix ``n x P`` (booleans, i.e. bytes) that enumeration may build.
_MAX_OUTPUT_BOOLS = 2_000_000_000
#: Candidate chambers kept unmerged before deduplicating (then at most the merged count).
_MERGE_ROWS = 1_000_000
METHODS = ("auto", "sweep", "rays", "lp")
#: Most random directions :func:`sample_patterns` draws in one call (about a minute of work).
MAX_SAMPLES = 100_000_000


# ----------------------------------------------------------------------------- result types
@dataclass(frozen=True, eq=False)
class Patterns:
    """A set of ReLU sign patterns of ``X (n, d)`` with a realizing direction for each.

    Attributes:
        patterns: bool ``(n, P)``; column ``p`` is ``1[X u_p > 0]``. Deduplicated, columns in
            lexicographic order (row 0 most significant, False < True).
        directions: float64 ``(d, P)`` unit vectors; ``X u_p`` is > 0 where the pattern is True
            and < 0 where it is False, except on zero rows of ``X``.
        method: ``"exact-sweep"``, ``"exact-rays"``, ``"exact-lp"``, ``"sampled"`` ...
        exact: True only when the set is provably every chamber pattern.
        seconds: wall time spent computing it.
    """

    patterns: np.ndarray
    directions: np.ndarray
    method: str
    exact: bool
    seconds: float

    @property
    def count(self) -> int:
        """Number of patterns ``P``."""
        return int(self.patterns.shape[1])

    @property
    def n(self) -> int:
        """Number of data points (rows of ``X``)."""
        return int(self.patterns.shape[0])

    def index(self, pattern: Any) -> int:
        """Column index of ``pattern`` (bool ``(n,)``) in :attr:`patterns`, or -1 if absent."""
        key = np.asarray(pattern, dtype=bool).reshape(-1)
        if key.shape[0] != self.n:
            raise InputError(f"pattern must have n={self.n} entries; got {key.shape[0]}")
        hits = np.flatnonzero((self.patterns == key[:, None]).all(axis=0))
        return int(hits[0]) if hits.size else -1

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "incomplete"
        return (f"Patterns(count={self.count}, n={self.n}, method={self.method!r}, {kind}, "
                f"seconds={self.seconds:.3g})")


@dataclass(frozen=True, eq=False)
class Groups:
    """Three-layer groups ``g = (c, D2)`` of docs/mathematics.md §3.4, one per row of the arrays.

    Attributes:
        D1: bool ``(G, m1, n)``; first-layer pattern of neuron ``j`` of group ``g``.
        sigma: int8 ``(G, m1)``, entries +1/-1 (sign of ``w2`` for neuron ``j``).
        D2: bool ``(G, n)``; second-layer pattern, nonzero and zero on ``Z_c``.
        m1: first-layer width of a sub-network.
        method: ``"exact"``, ``"exact-lp"``, ``"sampled"``, ``"network"``, ``"patterns"``.
        exact: True only when the set is provably every group.
        seconds: wall time spent computing it.
        V: float64 ``(G, d, m1)`` realizing first-layer weights: ``1[X v_j > 0] = D1_j`` and
            ``1[h > 0] = D2`` strictly off ``Z_c``, with ``h = sum_j sigma_j (X v_j)_+``.
    Neurons inside a group are in a canonical order; groups are deduplicated and sorted.
    """

    D1: np.ndarray
    sigma: np.ndarray
    D2: np.ndarray
    m1: int
    method: str
    exact: bool
    seconds: float
    V: np.ndarray | None = None

    @property
    def count(self) -> int:
        """Number of groups ``G``."""
        return int(self.D2.shape[0])

    @property
    def n(self) -> int:
        """Number of data points."""
        return int(self.D2.shape[1])

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "incomplete"
        return (f"Groups(count={self.count}, m1={self.m1}, n={self.n}, method={self.method!r}, "
                f"{kind}, seconds={self.seconds:.3g})")


# ----------------------------------------------------------------------------- counting
def pattern_bound(n: int, r: int) -> int:
    """Cover's bound ``C(n, r) = 2 sum_{k<r} binom(n-1, k)`` (exact int) on the number of
    chamber patterns of ``n`` rows of rank ``r``; equals ``2^n`` when ``r >= n``, 2 when
    ``r = 1``, and 1 for ``r = 0`` or ``n = 0`` (one chamber, the whole space)."""
    n = check_int(n, "n", minimum=0)
    r = check_int(r, "r", minimum=0)
    if n == 0 or r == 0:
        return 1
    return 2 * sum(math.comb(n - 1, k) for k in range(min(r, n)))


def _row_space(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce to the row space: ``X = A Q^T`` with ``Q (d, r)`` orthonormal, ``A = X Q (n, r)``.

    Returns ``A``, ``Q`` and ``nonzero (n,)`` (rows that are not numerically zero).
    """
    _, s, vt = np.linalg.svd(X, full_matrices=False)
    tol = (s.max() if s.size else 0.0) * max(X.shape) * np.finfo(np.float64).eps
    r = int((s > tol).sum())
    Q = vt[:r].T.copy()
    A = X @ Q
    nonzero = np.linalg.norm(X, axis=1) > tol if r else np.zeros(X.shape[0], dtype=bool)
    return A, Q, nonzero


def _distinct_hyperplanes(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group nonzero rows ``A (k, c)`` by the hyperplane ``{z : a_i^T z = 0}`` they define.

    Returns unit normals ``N (m, c)``, the hyperplane of each row ``h (k,)`` and the
    orientation ``o (k,)`` in {+1, -1} with ``a_i / |a_i| = o_i N[h_i]``.
    """
    U = A / np.linalg.norm(A, axis=1, keepdims=True)
    first = np.argmax(np.abs(U) > 1e-7, axis=1)
    o = np.where(U[np.arange(len(U)), first] > 0, 1, -1)
    canon = U * o[:, None]
    _, idx, h = np.unique(np.round(canon, _DEDUP_DECIMALS), axis=0, return_index=True, return_inverse=True)
    return canon[idx], h.reshape(-1), o


def _null_vectors(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit null vectors of a batch ``M (K, c-1, c)`` of unit-row matrices.

    Returns ``W (K, c)`` and ``ok (K,)``: False where the rows are (numerically) dependent.
    """
    c = M.shape[2]
    if c == 2:
        W = np.stack([-M[:, 0, 1], M[:, 0, 0]], axis=1)
        size = np.ones(len(M))
    elif c == 3:
        W = np.cross(M[:, 0], M[:, 1])
        size = np.linalg.norm(W, axis=1)
    else:
        _, s, vt = np.linalg.svd(M)
        W = vt[:, -1, :]
        size = s[:, -1]
    ok = size > 1e-10
    W = W / np.where(ok, np.linalg.norm(W, axis=1), 1.0)[:, None]
    return W, ok


def _combinations(m: int, k: int) -> np.ndarray:
    """All ``k``-subsets of ``range(m)`` as an int64 array ``(binom(m, k), k)``, lexicographic."""
    if k == 1:
        return np.arange(m)[:, None]
    if k == 2:
        i, j = np.triu_indices(m, 1)
        return np.stack([i, j], axis=1)
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(m), k)), dtype=np.int64)
    return flat.reshape(-1, k)


# ----------------------------------------------------------------------------- fast exact methods
def _sweep_chambers(N: np.ndarray) -> np.ndarray:
    """Rank-2 angular sweep (docs/mathematics.md §5.3): one direction ``(2m, 2)`` per chamber of the
    arrangement of ``m`` distinct lines with unit normals ``N (m, 2)``."""
    phi = np.arctan2(N[:, 1], N[:, 0])
    bounds = np.sort(np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi))
    mids = (bounds + np.append(bounds[1:], bounds[0] + 2 * np.pi)) / 2
    return np.stack([np.cos(mids), np.sin(mids)], axis=1)


def _pack(signs: np.ndarray) -> np.ndarray:
    """Pack bool rows ``(K, m)`` into uint8 ``(K, ceil(m/8))`` (big-endian bits)."""
    return np.packbits(signs, axis=1)


def _sort_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lexicographic order of the rows of the uint8 array ``keys (K, L)``.

    Returns ``order (K,)`` (stable) and ``new (K,)``, True where ``keys[order]`` starts a run
    of equal rows. Sorting big-endian 64-bit words with ``np.lexsort`` is far faster than
    ``np.unique(axis=0)``.
    """
    K, L = keys.shape
    if L == 0:  # zero-width keys: all rows are equal
        return np.arange(K), np.arange(K) == 0
    pad = -L % 8
    if pad or not keys.flags.c_contiguous:
        keys = np.ascontiguousarray(np.pad(keys, ((0, 0), (0, pad))))
    words = keys.view(">u8").astype(np.uint64)
    order = np.lexsort(words.T[::-1]) if words.shape[1] > 1 else np.argsort(words[:, 0], kind="stable")
    ranked = words[order]
    new = np.ones(K, dtype=bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    return order, new


def _unique_rows(keys: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row of ``keys``, in sorted row order."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    order, new = _sort_rows(keys)
    return order[new]


def _sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``keys (K, L)`` (sorted) and the sum of ``values (K, c)`` over each."""
    if len(keys) == 0:
        return keys, values
    order, new = _sort_rows(keys)
    starts = np.flatnonzero(new)
    return keys[order[starts]], np.add.reduceat(values[order], starts, axis=0)


def _local_candidates(N: np.ndarray, W: np.ndarray, S: np.ndarray, sub: np.ndarray,
                      local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chambers around simple rays ``W (K, c)``, each on exactly the hyperplanes ``sub (K, c-1)``.

    ``S = W N^T``; ``local (2^(c-1), c-1)`` lists the sign choices on ``sub``. Returns packed
    sign keys and the ray of each candidate, summed per distinct key.
    """
    reps = len(local)
    signs = np.repeat(S > 0, reps, axis=0)
    rows = np.repeat(np.arange(len(W)), reps)
    signs[np.arange(len(signs))[:, None], sub[rows]] = np.tile(local, (len(W), 1))
    return _sum_by_key(_pack(signs), W[rows])


def _rays_chambers(N: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chambers of the arrangement of ``m`` distinct hyperplanes with unit normals
    ``N (m, c)`` of rank ``c >= 2``, read around the extreme rays.

    Each chamber is a pointed cone; it is found at each of its extreme rays, and the sum of
    those unit rays, which lies inside the cone, is its direction. Rays on more than ``c - 1``
    hyperplanes are collected (deduplicated) and handled by :func:`_degenerate_ray_chambers`.
    Returns ``signs (P, m)`` (True where ``N u > 0``) and unit directions ``U (P, c)``.
    """
    m, c = N.shape
    k = c - 1
    local = np.array(list(itertools.product([True, False], repeat=k)), dtype=bool)  # (2^k, k)
    combos = _combinations(m, k)
    chunk = max(1, _CACHE_FLOATS // (2 * m))
    keys, sums, degenerate_rays, degenerate_keys = [], [], [], []
    merged = pending = 0
    for start in range(0, len(combos), chunk):
        sub = combos[start:start + chunk]
        W, ok = _null_vectors(N[sub])
        sub, W = np.concatenate([sub[ok], sub[ok]]), np.concatenate([W[ok], -W[ok]])
        S = W @ N.T
        zero = np.abs(S) < _ZERO_TOL
        simple = zero.sum(axis=1) == k
        if not simple.all():
            degenerate_rays.append(W[~simple])
            degenerate_keys.append(np.concatenate([_pack(zero[~simple]), _pack(S[~simple] > 0)], axis=1))
        key, ray_sum = _local_candidates(N, W[simple], S[simple], sub[simple], local)
        keys.append(key)
        sums.append(ray_sum)
        pending += len(key)
        if pending > max(merged, _MERGE_ROWS):  # merge geometrically: memory stays O(P)
            key, ray_sum = _sum_by_key(np.concatenate(keys), np.concatenate(sums))
            keys, sums, merged, pending = [key], [ray_sum], len(key), len(key)
    if degenerate_rays:
        unique = _unique_rows(np.concatenate(degenerate_keys))
        key, ray_sum = _degenerate_ray_chambers(N, np.concatenate(degenerate_rays)[unique])
        keys.append(key)
        sums.append(ray_sum)
    key, ray_sum = _sum_by_key(np.concatenate(keys), np.concatenate(sums))
    hyper = np.unpackbits(np.ascontiguousarray(key.T), axis=0, count=m).view(bool)
    return _checked_directions(N, hyper, ray_sum)


def _checked_directions(N: np.ndarray, hyper: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalize candidate directions ``U (P, c)`` and check ``sign(N u_p) = hyper[:, p]``
    strictly (``hyper (m, P)``).

    A direction that fails numerically is replaced by an LP solution; a chamber the LP
    finds empty is dropped (it was an artefact of rounding). Returns ``(hyper, U)``.
    """
    U = U / np.linalg.norm(U, axis=1, keepdims=True)
    good = np.empty(len(U), dtype=bool)
    step = max(1, _CACHE_FLOATS // max(1, N.shape[0]))
    for lo in range(0, len(U), step):  # blocks that stay in cache
        V = N @ U[lo:lo + step].T
        good[lo:lo + step] = np.all(np.where(hyper[:, lo:lo + step], V, -V) > 1e-13, axis=0)
    if good.all():
        return hyper, U
    for p in np.flatnonzero(~good):
        z = _strict_point(np.where(hyper[:, p][:, None], N, -N))
        if z is not None:
            U[p] = z / np.linalg.norm(z)
            good[p] = True
    return hyper[:, good], U[good]


def _local_sweep_signs(N: np.ndarray, W: np.ndarray, zero: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local chambers around rays ``W (K, 3)`` of a rank-3 arrangement, all rays at once.

    The hyperplanes through ray ``w`` (``zero (K, m)``) are lines in the plane ``w^perp``;
    their ``2k`` local chambers are the arcs between the boundary angles (a batched
    version of :func:`_sweep_chambers`). Returns ``ray (L,)``, the ray of each local chamber,
    and ``signs (L, m)``: ``N w > 0`` off the ray's hyperplanes, the local sign on them.
    """
    ray, hyp = np.nonzero(zero)  # pairs sorted by ray
    count = zero.sum(axis=1)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    e1 = N[hyp[first]]  # a unit vector of w^perp (a normal through w)
    e2 = np.cross(W, e1)
    theta = np.arctan2(np.einsum("pc,pc->p", N[hyp], e2[ray]), np.einsum("pc,pc->p", N[hyp], e1[ray]))
    bounds = np.mod(np.concatenate([theta + np.pi / 2, theta - np.pi / 2]), 2 * np.pi)
    owner = np.concatenate([ray, ray])
    order = np.lexsort([bounds, owner])
    bounds, owner = bounds[order], owner[order]
    start = np.concatenate([[0], np.cumsum(2 * count)[:-1]])
    nxt = np.arange(len(bounds)) + 1
    last = start + 2 * count - 1
    nxt[last] = start
    mids = (bounds + bounds[nxt] + np.where(np.isin(np.arange(len(bounds)), last), 2 * np.pi, 0.0)) / 2
    # local chamber l (of ray owner[l]) against every hyperplane through that ray
    reps = count[owner]
    chamber = np.repeat(np.arange(len(mids)), reps)
    pair = np.repeat(first[owner], reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    signs = np.repeat(W @ N.T > 0, 2 * count, axis=0)
    signs[chamber, hyp[pair]] = np.cos(mids[chamber] - theta[pair]) > 0
    return owner, signs


def _degenerate_ray_chambers(N: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chambers around distinct rays ``W (K, c)`` that lie on more than ``c - 1`` hyperplanes.

    The chambers touching ray ``w`` correspond to the chambers of the local arrangement of
    the hyperplanes through ``w``, seen in ``w^perp`` (one dimension less): a batched sweep
    for ``c = 3``, a recursive enumeration otherwise. Returns packed sign keys and the sum
    of the rays of each distinct key.
    """
    m, c = N.shape
    keys, rays = [], []
    step = max(1, _CACHE_FLOATS // (4 * m))
    for lo in range(0, len(W), step):
        block = W[lo:lo + step]
        S = block @ N.T
        zero = np.abs(S) < _ZERO_TOL
        if c == 3:
            owner, signs = _local_sweep_signs(N, block, zero)
            keys.append(_pack(signs))
            rays.append(block[owner])
            continue
        for w, s, through in zip(block, S, zero):
            basis = np.linalg.svd(w[None, :])[2][1:].T  # (c, c-1) orthonormal basis of w^perp
            loc_signs, _ = _chamber_signs(N[through] @ basis)
            signs = np.repeat((s > 0)[None, :], len(loc_signs), axis=0)
            signs[:, through] = loc_signs
            keys.append(_pack(signs))
            rays.append(np.repeat(w[None, :], len(loc_signs), axis=0))
    return _sum_by_key(np.concatenate(keys), np.concatenate(rays))


def _chambers(A: np.ndarray, method: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All chambers of the arrangement of the nonzero rows ``A (k, c)`` of rank ``c >= 1``.

    Returns ``hyper (m, P)`` (signs of the ``m`` distinct hyperplanes, True where
    ``N u > 0``), unit directions ``U (P, c)``, and the row map ``h (k,)``, ``o (k,)`` of
    :func:`_distinct_hyperplanes`: row ``i`` of the pattern is ``hyper[h_i] XOR (o_i < 0)``.
    ``method`` is ``"auto"``, ``"sweep"`` (``c <= 2``) or ``"rays"`` (``c >= 2``).
    """
    N, h, o = _distinct_hyperplanes(A)
    if A.shape[1] == 1:
        U = np.array([[1.0], [-1.0]])
        return _positive(N, U), U, h, o
    if A.shape[1] == 2 and method != "rays":
        U = _sweep_chambers(N)
        return _positive(N, U), U, h, o
    hyper, U = _rays_chambers(N)
    return hyper, U, h, o


def _chamber_signs(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row signs ``(P, k)`` (``A u > 0``) and directions ``U (P, c)`` of every chamber of the
    nonzero rows ``A (k, c)`` of rank ``c`` (for small local arrangements)."""
    hyper, U, h, o = _chambers(A)
    return (hyper[h] ^ (o < 0)[:, None]).T, U


def _positive(N: np.ndarray, U: np.ndarray) -> np.ndarray:
    """``N U^T > 0`` as bool ``(m, P)``, computed in cache-sized row blocks (no ``m x P`` floats)."""
    out = np.empty((len(N), len(U)), dtype=bool)
    step = max(1, _CACHE_FLOATS // max(1, len(U)))
    for lo in range(0, len(N), step):
        np.greater(N[lo:lo + step] @ U.T, 0, out=out[lo:lo + step])
    return out


def _pack_columns(B: np.ndarray) -> np.ndarray:
    """``np.packbits(B, axis=0)`` for bool ``B (m, P)``: uint8 ``(ceil(m/8), P)``, computed
    eight rows at a time (several times faster than packing along a strided axis)."""
    m, P = B.shape
    if m % 8:
        B = np.concatenate([B, np.zeros((-m % 8, P), dtype=bool)])
    groups = B.view(np.uint8).reshape(-1, 8, P)
    out = np.zeros((groups.shape[0], P), dtype=np.uint8)
    for bit in range(8):
        out |= groups[:, bit, :] << np.uint8(7 - bit)
    return out


# ----------------------------------------------------------------------------- LP reference method
#: Methods of scipy's HiGHS tried in turn when one ends in a status other than optimal or infeasible.
_LINPROG_METHODS = ("highs", "highs-ds", "highs-ipm")


def _strict_point(M: np.ndarray) -> np.ndarray | None:
    """A point ``z`` with ``M z >= 1`` (i.e. ``M z > 0`` up to scale), or None if none exists.

    HiGHS can end a feasibility LP in a status that decides nothing ("Unknown", an iteration
    limit, a numerical failure); each of its methods is then tried in turn, and a point is
    accepted only after checking ``M z > 0`` here. Raises SolverError naming every status.
    """
    tried = []
    for method in _LINPROG_METHODS:
        res = linprog(np.zeros(M.shape[1]), A_ub=-M, b_ub=-np.ones(M.shape[0]),
                      bounds=[(None, None)] * M.shape[1], method=method)
        if res.status == 0 and np.all(M @ res.x > 0):
            return res.x
        if res.status == 2:
            return None
        tried.append(f"{method}: status {res.status}, {res.message}")
    raise SolverError("HiGHS (scipy.optimize.linprog) failed on a feasibility LP with every method: "
                      + "; ".join(tried))


def _lp_dfs(F: np.ndarray, G: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Strict sign patterns of the functionals ``F (k, D)`` over the open cone ``{G z > 0}``.

    Incremental depth-first search of docs/mathematics.md §5.2: a child whose sign the parent's point
    already decides needs no LP. Returns ``signs (P, k)`` bool and points ``Z (P, D)`` with
    ``sign(F z) = signs`` and ``G z > 0``.
    """
    D = F.shape[1]
    G = np.zeros((0, D)) if G is None else G
    if len(G):
        root = _strict_point(G)
        if root is None:
            return np.zeros((0, len(F)), dtype=bool), np.zeros((0, D))
    else:
        root = np.zeros(D)
    out_signs, out_points = [], []
    stack: list[tuple[tuple[bool, ...], np.ndarray]] = [((), root)]
    while stack:
        prefix, z = stack.pop()
        level = len(prefix)
        if level == len(F):
            out_signs.append(prefix)
            out_points.append(z)
            continue
        value = F[level] @ z
        scale = np.linalg.norm(F[level]) * np.linalg.norm(z)
        for sign in (False, True):
            rows = np.vstack([np.where(np.array(prefix + (sign,))[:, None], F[:level + 1], -F[:level + 1]), G])
            if (value > 1e-9 * scale and sign) or (value < -1e-9 * scale and not sign):
                margin = (rows @ z).min()
                stack.append((prefix + (sign,), z / margin))
            else:
                child = _strict_point(rows)
                if child is not None:
                    stack.append((prefix + (sign,), child))
    signs = np.array(out_signs, dtype=bool).reshape(len(out_signs), len(F))
    return signs, np.array(out_points).reshape(len(out_points), D)


# ----------------------------------------------------------------------------- public: patterns
def estimate_pattern_count(X: Any) -> int:
    """Upper bound on the number of chamber patterns of ``X``: ``pattern_bound(m, r)`` with
    ``m`` the number of distinct hyperplanes (nonzero rows up to scale) and ``r = rank X``."""
    X = check_matrix(X, "X")
    A, _, nonzero = _row_space(X)
    if not nonzero.any():
        return 1
    m = len(_distinct_hyperplanes(A[nonzero])[0])
    return pattern_bound(m, A.shape[1])


def _check_size(X: np.ndarray, max_patterns: int) -> None:
    """Raise ProblemTooLargeError when the pattern count, or the ``n x P`` output, may be too big."""
    estimate = estimate_pattern_count(X)
    if estimate * X.shape[0] > _MAX_OUTPUT_BOOLS:
        raise ProblemTooLargeError(
            f"X of shape {X.shape} may have up to {estimate:,} patterns: the ({X.shape[0]}, P) pattern matrix "
            f"alone could need {estimate * X.shape[0] / 1e9:.1f} GB; use fewer points or sample_patterns(X, num_samples)")
    if estimate > max_patterns:
        raise ProblemTooLargeError(
            f"X of shape {X.shape} and rank {np.linalg.matrix_rank(X)} may have up to {estimate:,} "
            f"chamber patterns, more than max_patterns={max_patterns:,}; use fewer points, reduce the "
            f"rank (project X on its top singular vectors), call sample_patterns(X, num_samples), or "
            f"raise max_patterns")


def _row_signs(hyper: np.ndarray, h: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Row patterns ``(k, P)`` from hyperplane signs ``hyper (m, P)``: ``hyper[h_i] XOR (o_i < 0)``
    (no copy when the map is the identity)."""
    if len(h) == len(hyper) and (h == np.arange(len(h))).all() and (o > 0).all():
        return hyper
    rows = hyper[h]
    np.logical_xor(rows, (o < 0)[:, None], out=rows)
    return rows


def _sorted_patterns(hyper: np.ndarray, dirs: np.ndarray, h: np.ndarray, o: np.ndarray, nonzero: np.ndarray,
                     Q: np.ndarray, method: str, exact: bool, start: float) -> Patterns:
    """Assemble a :class:`Patterns` from hyperplane signs ``hyper (m, P)``, row-space
    directions ``dirs (P, r)`` and the row map ``h, o`` of the nonzero rows.

    Columns are sorted lexicographically by the row patterns. Sorting by the hyperplanes in
    the order of their first row gives that order without building the ``n x P`` matrix twice.
    """
    first = np.sort(np.unique(h, return_index=True)[1])  # first row of each hyperplane, in row order
    keys = _pack_columns(_row_signs(hyper, h[first], o[first]))
    idx = _unique_rows(np.ascontiguousarray(keys.T))
    hyper = np.take(hyper, idx, axis=1)
    if nonzero.all():
        pats = _row_signs(hyper, h, o)
    else:
        pats = np.zeros((len(nonzero), len(idx)), dtype=bool)
        pats[np.flatnonzero(nonzero)] = _row_signs(hyper, h, o)
    U = dirs[idx] @ Q.T if Q.shape[1] else np.tile(np.eye(1, Q.shape[0]), (len(idx), 1))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    return Patterns(pats, np.ascontiguousarray(U.T), method, exact, time.perf_counter() - start)


def enumerate_patterns(X: Any, *, method: str = "auto", max_patterns: int = 2_000_000) -> Patterns:
    """Every chamber pattern of ``X (n, d)`` exactly, with a realizing direction each.

    Args:
        X: data matrix ``(n, d)``, any rank; repeated, collinear and zero rows are fine.
        method: ``"auto"`` (sweep for rank <= 2, rays otherwise), ``"sweep"`` (rank <= 2 only),
            ``"rays"`` or ``"lp"`` (the LP depth-first search of docs/mathematics.md §5.2, slow).
        max_patterns: refuse (ProblemTooLargeError) when :func:`estimate_pattern_count`
            exceeds it, before building anything.
    Returns:
        :class:`Patterns` with ``exact=True``.
    """
    start = time.perf_counter()
    X = check_matrix(X, "X")
    method = check_choice(method, "method", METHODS)
    max_patterns = check_int(max_patterns, "max_patterns", minimum=1)
    _check_size(X, max_patterns)
    A, Q, nonzero = _row_space(X)
    r = A.shape[1]
    if method == "sweep" and r > 2:
        raise InputError(f"method='sweep' needs rank X <= 2; got rank {r} (use 'rays' or 'auto')")
    rows = A[nonzero]
    identity = np.arange(len(rows)), np.ones(len(rows), dtype=int)  # row map when rows are not merged
    if r == 0:
        hyper, dirs, (h, o), name = np.zeros((0, 1), dtype=bool), np.zeros((1, 0)), identity, "exact-sweep"
    elif method == "lp":
        signs, dirs = _lp_dfs(rows)
        hyper, (h, o), name = np.ascontiguousarray(signs.T), identity, "exact-lp"
    else:
        use_rays = method == "rays" or (method == "auto" and r > 2)
        hyper, dirs, h, o = _chambers(rows, "rays" if use_rays else "sweep")
        name = "exact-rays" if use_rays else "exact-sweep"
    return _sorted_patterns(hyper, dirs, h, o, nonzero, Q, name, True, start)


def sample_patterns(X: Any, num_samples: int, seed: Any = 0) -> Patterns:
    """Patterns ``1[X u > 0]`` of ``num_samples`` Gaussian directions ``u ~ N(0, I_d)``
    (docs/mathematics.md §5.4): a subset of the chamber patterns (``exact=False``), same form as
    :func:`enumerate_patterns`. Small chambers are likely to be missed."""
    start = time.perf_counter()
    X = check_matrix(X, "X")
    num_samples = check_int(num_samples, "num_samples", minimum=1, maximum=MAX_SAMPLES)
    rng = as_generator(seed)
    n, d = X.shape
    chunk = max(1, _CHUNK_BOOLS // (4 * max(n, d)))
    keys, dirs = [], []
    for lo in range(0, num_samples, chunk):
        U = rng.standard_normal((min(chunk, num_samples - lo), d))
        signs = U @ X.T > 0
        idx = _unique_rows(_pack(signs))
        keys.append(signs[idx])
        dirs.append(U[idx])
    signs = np.concatenate(keys)
    U = np.concatenate(dirs)
    idx = _unique_rows(_pack(signs))
    U = U[idx] / np.linalg.norm(U[idx], axis=1, keepdims=True)
    return Patterns(signs[idx].T.copy(), U.T.copy(), "sampled", False, time.perf_counter() - start)


def is_general_position(X: Any) -> bool:
    """True iff every ``min(r, n)`` rows of ``X`` are linearly independent (``r = rank X``),
    which (except for rank 1 with zero rows) holds iff the number of chamber patterns equals
    ``pattern_bound(n, r)``.

    Checked on the row space: no zero or parallel rows, and every ray cut out by ``r - 1``
    rows lies on no other row's hyperplane. Cost ``O(n^r)``; refuses when too large.
    """
    X = check_matrix(X, "X")
    A, _, nonzero = _row_space(X)
    n, r = A.shape
    if r == 0:
        return True  # min(r, n) = 0 rows: vacuously independent
    if not nonzero.all():
        return False
    if n <= r or r == 1:
        return r == n or r == 1
    N, _, _ = _distinct_hyperplanes(A)
    if len(N) < n:
        return False
    if r <= 2:
        return True
    if math.comb(n, r - 1) * n > 4_000_000_000:
        raise ProblemTooLargeError(f"checking general position of {n} rows of rank {r} needs "
                                   f"{math.comb(n, r - 1) * n:,} tests; use fewer rows")
    combos = _combinations(n, r - 1)
    chunk = max(1, _CHUNK_BOOLS // n)
    for lo in range(0, len(combos), chunk):
        W, ok = _null_vectors(N[combos[lo:lo + chunk]])
        if not ok.all() or ((np.abs(W @ N.T) < _ZERO_TOL).sum(axis=1) != r - 1).any():
            return False
    return True


def _pattern_keys(obj: Patterns | Groups) -> np.ndarray:
    if isinstance(obj, Patterns):
        return _pack(obj.patterns.T)
    return _group_keys(obj.D1, obj.sigma, obj.D2)


def coverage(found: Patterns | Groups, reference: Patterns | Groups | int) -> float:
    """Fraction of ``reference`` found: ``|found ∩ reference| / |reference|`` for a pattern
    (or group) set, or ``found.count / reference`` for an integer (e.g. ``pattern_bound``)."""
    if isinstance(reference, (int, np.integer)) and not isinstance(reference, bool):
        if reference <= 0:
            raise InputError(f"reference must be a positive count; got {reference}")
        return found.count / int(reference)
    if not isinstance(reference, (Patterns, Groups)) or type(found) is not type(reference):
        raise InputError("coverage needs found and reference of the same type (Patterns or Groups), "
                         f"or an int reference; got {type(found).__name__} and {type(reference).__name__}")
    if found.n != reference.n:
        raise InputError(f"found has n={found.n} points but reference has n={reference.n}")
    if reference.count == 0:
        return 1.0
    a, b = _pattern_keys(found), _pattern_keys(reference)
    if a.shape[1] != b.shape[1]:
        return 0.0
    both = np.concatenate([np.unique(a, axis=0), np.unique(b, axis=0)])
    common = len(both) - len(np.unique(both, axis=0))
    return common / len(np.unique(b, axis=0))


# ----------------------------------------------------------------------------- groups
def _neuron_order(D1: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Canonical neuron order ``(G, m1)``: by packed ``D1`` bytes, then sigma."""
    G, m1, n = D1.shape
    keys = np.concatenate([_pack(D1.reshape(G * m1, n)), (sigma.reshape(-1, 1) > 0).astype(np.uint8)], axis=1)
    _, ids = np.unique(keys, axis=0, return_inverse=True)
    return np.argsort(ids.reshape(G, m1), axis=1, kind="stable")


def _group_keys(D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> np.ndarray:
    """Byte keys ``(G, L)`` of groups whose neurons are already in canonical order."""
    G, m1, n = D1.shape
    parts = []
    for j in range(m1):
        parts += [_pack(D1[:, j]), (sigma[:, j:j + 1] > 0).astype(np.uint8)]
    return np.concatenate(parts + [_pack(D2)], axis=1)


def _canonical_groups(D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, V: np.ndarray, m1: int,
                      method: str, exact: bool, start: float) -> Groups:
    """Sort neurons inside each group, drop duplicate groups, sort groups by their keys."""
    n, d = D2.shape[1], V.shape[1]
    if len(D2) == 0:
        return Groups(np.zeros((0, m1, n), bool), np.zeros((0, m1), np.int8), np.zeros((0, n), bool),
                      m1, method, exact, time.perf_counter() - start, np.zeros((0, d, m1)))
    order = _neuron_order(D1, sigma)
    D1 = np.take_along_axis(D1, order[:, :, None], axis=1)
    sigma = np.take_along_axis(sigma, order, axis=1)
    V = np.take_along_axis(V, order[:, None, :], axis=2)
    idx = _unique_rows(_group_keys(D1, sigma, D2))
    return Groups(D1[idx], sigma[idx].astype(np.int8), D2[idx], m1, method, exact,
                  time.perf_counter() - start, V[idx])


def _groups_from_weights(X: np.ndarray, V: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, ...]:
    """Groups realized by weights ``V (K, d, m1)`` and signs ``sigma (K, m1)``; drops those
    with all ``sigma = -1`` or ``D2 = 0``. Returns ``D1, sigma, D2, V`` (uncanonicalized)."""
    pre = np.einsum("nd,kdj->kjn", X, V)  # (K, m1, n)
    D1 = pre > 0
    h = np.einsum("kj,kjn->kn", sigma.astype(np.float64), np.where(D1, pre, 0.0))
    D2 = h > 0
    keep = D2.any(axis=1) & (sigma > 0).any(axis=1)
    return D1[keep], sigma[keep], D2[keep], V[keep]


def groups_from_patterns(patterns: Patterns) -> Groups:
    """The two-layer program as the ``m1 = 1`` case: one group per nonzero pattern ``D``,
    with ``D1 = D``, ``sigma = +1`` and ``D2 = D`` (docs/mathematics.md §3.3, §3.4)."""
    if not isinstance(patterns, Patterns):
        raise InputError(f"patterns must be a Patterns object; got {type(patterns).__name__}")
    start = time.perf_counter()
    keep = patterns.patterns.any(axis=0)
    D = patterns.patterns[:, keep].T
    V = patterns.directions[:, keep].T[:, :, None]
    sigma = np.ones((len(D), 1), dtype=np.int8)
    return _canonical_groups(D[:, None, :].copy(), sigma, D.copy(), V, 1, patterns.method,
                             patterns.exact, start)


def groups_from_network(X: Any, V: Any, sigma: Any) -> Groups:
    """The groups realized by given first-layer weights (e.g. a trained network).

    Args:
        X: data ``(n, d)``.
        V: first-layer weights ``(K, d, m1)`` (sub-network ``k``'s ``W_1k diag|w_2k| |w_3k|``).
        sigma: signs ``(K, m1)`` of the second-layer weights, +1/-1.
    Returns:
        :class:`Groups` (``exact=False``, method ``"network"``), deduplicated.
    """
    start = time.perf_counter()
    X = check_matrix(X, "X")
    V = np.asarray(V, dtype=np.float64)
    sigma = np.asarray(sigma)
    if V.ndim != 3 or V.shape[1] != X.shape[1]:
        raise InputError(f"V must have shape (K, d={X.shape[1]}, m1); got {V.shape}")
    if sigma.shape != (V.shape[0], V.shape[2]) or not np.isin(sigma, (-1, 1)).all():
        raise InputError(f"sigma must have shape (K, m1)={(V.shape[0], V.shape[2])} with entries +1/-1; "
                         f"got shape {sigma.shape}")
    D1, s, D2, W = _groups_from_weights(X, V, sigma.astype(np.int8))
    return _canonical_groups(D1, s, D2, W, V.shape[2], "network", False, start)


def sample_groups(X: Any, m1: int, num_samples: int, seed: Any = 0) -> Groups:
    """Groups of random ``(V, sigma)`` (docs/mathematics.md §5.4): ``V`` Gaussian ``(d, m1)``, ``sigma``
    uniform in {+1, -1}^m1; draws with all ``sigma = -1`` or ``D2 = 0`` give no group."""
    start = time.perf_counter()
    X = check_matrix(X, "X")
    m1 = check_int(m1, "m1", minimum=1)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    rng = as_generator(seed)
    n, d = X.shape
    chunk = max(1, _CHUNK_BOOLS // (8 * m1 * max(n, d)))
    parts = []
    for lo in range(0, num_samples, chunk):
        K = min(chunk, num_samples - lo)
        V = rng.standard_normal((K, d, m1))
        sigma = np.where(rng.random((K, m1)) < 0.5, 1, -1).astype(np.int8)
        g = _canonical_groups(*_groups_from_weights(X, V, sigma), m1, "sampled", False, start)
        parts.append((g.D1, g.sigma, g.D2, g.V))
    D1, sigma, D2, V = (np.concatenate(p) for p in zip(*parts))
    return _canonical_groups(D1, sigma, D2, V, m1, "sampled", False, start)


def _configurations(P: int, m1: int) -> np.ndarray:
    """Multisets of ``m1`` labels as sorted label-index rows ``(C, m1)``; label ``2p`` is
    ``(+1, pattern p)``, ``2p + 1`` is ``(-1, pattern p)``. All-minus multisets are dropped."""
    combos = np.array(list(itertools.combinations_with_replacement(range(2 * P), m1)), dtype=np.int64)
    combos = combos.reshape(-1, m1)
    return combos[(combos % 2 == 0).any(axis=1)]


def _config_lp(A: np.ndarray, nonzero: np.ndarray, D1: np.ndarray,
               sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cone rows ``G`` and second-layer functionals ``F`` of one configuration in the reduced
    space ``z = (z_1, ..., z_m1)``, ``z_j in R^r``; also the rows off ``Z_c`` (``live (n,)``).

    ``D1 (m1, n)`` bool, ``sigma (m1,)``.
    """
    m1, n = D1.shape
    r = A.shape[1]
    G = np.zeros((m1 * nonzero.sum(), m1 * r))
    F = np.zeros((n, m1 * r))
    An = A[nonzero]
    for j in range(m1):
        block = slice(j * r, (j + 1) * r)
        G[j * len(An):(j + 1) * len(An), block] = np.where(D1[j, nonzero][:, None], An, -An)
        F[:, block] = sigma[j] * D1[j][:, None] * A
    live = D1.any(axis=0)
    return G, F[live], live


def _groups_lp(X: np.ndarray, pats: Patterns, m1: int, max_groups: int) -> tuple[np.ndarray, ...]:
    """Exact groups by one LP depth-first search per configuration (docs/mathematics.md §5.2)."""
    A, Q, nonzero = _row_space(X)
    r = A.shape[1]
    labels_D = pats.patterns.T
    out_D1, out_sigma, out_D2, out_V = [], [], [], []
    for config in _configurations(pats.count, m1):
        D1 = labels_D[config // 2]
        sigma = np.where(config % 2 == 0, 1, -1).astype(np.int8)
        G, F, live = _config_lp(A, nonzero, D1, sigma)
        signs, Z = _lp_dfs(F, G)
        for s, z in zip(signs, Z):
            if not s.any():
                continue
            D2 = np.zeros(len(live), dtype=bool)
            D2[live] = s
            out_D1.append(D1)
            out_sigma.append(sigma)
            out_D2.append(D2)
            out_V.append(Q @ z.reshape(m1, r).T)
        if len(out_D2) > max_groups:
            raise ProblemTooLargeError(f"more than max_groups={max_groups:,} groups; use sample_groups, "
                                       "a smaller m1 or fewer points, or raise max_groups")
    n, d = X.shape
    return (np.array(out_D1, dtype=bool).reshape(-1, m1, n), np.array(out_sigma, np.int8).reshape(-1, m1),
            np.array(out_D2, dtype=bool).reshape(-1, n), np.array(out_V).reshape(-1, d, m1))


class _FeasibilityLP:
    """Feasibility LPs ``{z : G z >= 1, s_i F_i z >= 1 for rows i with a sign set}`` on one
    HiGHS model; changing a row's bounds keeps the basis, so re-solves are warm (~100 us)."""

    def __init__(self, G: np.ndarray, F: np.ndarray):
        import highspy

        try:  # the core class: no console banner, no callback machinery
            from highspy._core import _Highs as HighsCore
        except ImportError:  # pragma: no cover - other highspy layouts
            HighsCore = highspy.Highs
        self._inf = highspy.kHighsInf
        self._optimal = highspy.HighsModelStatus.kOptimal
        self._infeasible = highspy.HighsModelStatus.kInfeasible
        M = np.vstack([G, F])
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = M.shape[1], M.shape[0]
        lp.col_cost_ = np.zeros(M.shape[1])
        lp.col_lower_ = np.full(M.shape[1], -self._inf)
        lp.col_upper_ = np.full(M.shape[1], self._inf)
        lp.row_lower_ = np.concatenate([np.ones(len(G)), np.full(len(F), -self._inf)])
        lp.row_upper_ = np.full(M.shape[0], self._inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.arange(0, M.size + 1, M.shape[1], dtype=np.int32)
        lp.a_matrix_.index_ = np.tile(np.arange(M.shape[1], dtype=np.int32), M.shape[0])
        lp.a_matrix_.value_ = M.ravel()
        self._highs = HighsCore()
        self._highs.setOptionValue("output_flag", False)
        self._highs.setOptionValue("presolve", "off")
        self._highs.passModel(lp)
        self._offset = len(G)
        self._G, self._F = G, F
        self._signs: dict[int, float] = {}

    def set_sign(self, i: int, sign: bool | None) -> None:
        """Constrain ``F_i z >= 1`` (True), ``<= -1`` (False) or nothing (None)."""
        lo, hi = (-self._inf, self._inf) if sign is None else ((1.0, self._inf) if sign else (-self._inf, -1.0))
        self._highs.changeRowBounds(self._offset + i, lo, hi)
        if sign is None:
            self._signs.pop(i, None)
        else:
            self._signs[i] = 1.0 if sign else -1.0

    def point(self) -> np.ndarray | None:
        """A feasible point, or None when the LP is infeasible.

        The warm re-solve is tried first. HiGHS (1.16) sometimes ends a warm re-solve in
        "Unknown" after zero iterations, so any status that decides nothing is retried cold
        (basis cleared), then with presolve on, then by :func:`_strict_point` on a fresh model.
        A returned point is checked to satisfy the constraints strictly.
        """
        statuses = []
        for retry in ("warm", "cold", "presolve"):
            if retry == "cold":
                self._highs.clearSolver()
            elif retry == "presolve":
                self._highs.clearSolver()
                self._highs.setOptionValue("presolve", "on")
            self._highs.run()
            if retry == "presolve":
                self._highs.setOptionValue("presolve", "off")
            status = self._highs.getModelStatus()
            if status == self._infeasible:
                return None
            if status == self._optimal:
                z = np.array(self._highs.getSolution().col_value)
                if self._satisfied(z):
                    return z
            statuses.append(f"{retry}: {self._highs.modelStatusToString(status)}")
        try:
            return _strict_point(self._active_rows())
        except SolverError as exc:
            raise SolverError(f"HiGHS failed on a feasibility LP ({'; '.join(statuses)}); {exc}") from exc

    def _active_rows(self) -> np.ndarray:
        """The constraints now set, as rows ``M`` of ``M z >= 1``."""
        rows = [self._G] + [s * self._F[i:i + 1] for i, s in self._signs.items()]
        return np.vstack(rows)

    def _satisfied(self, z: np.ndarray) -> bool:
        """Whether ``z`` meets every constraint now set strictly (``> 0``)."""
        return bool(np.all(self._active_rows() @ z > 0))


def _cone_sign_patterns(F: np.ndarray, G: np.ndarray, z0: np.ndarray) -> tuple[list, list]:
    """Strict sign patterns of ``F (k, D)`` over the open cone ``{G z > 0}`` by depth-first
    search (docs/mathematics.md §5.2) on one warm-started LP; ``z0`` is a candidate point of the cone
    (an LP finds one if ``G z0 > 0`` fails). Returns the sign tuples and a point for each.
    """
    lp = _FeasibilityLP(G, F)
    if not np.all(G @ z0 > 0):
        z0 = lp.point()
        if z0 is None:
            return [], []
    norms = np.linalg.norm(F, axis=1)
    signs: list[bool] = []
    out_signs, out_points = [], []

    def visit(level: int, z: np.ndarray) -> None:
        if level == len(F):
            out_signs.append(tuple(signs))
            out_points.append(z)
            return
        value = F[level] @ z
        tol = 1e-9 * norms[level] * np.linalg.norm(z)
        decided = True if value > tol else (False if value < -tol else None)
        for sign in (True, False):
            lp.set_sign(level, sign)
            child = z if decided is sign else lp.point()
            if child is not None:
                signs.append(sign)
                visit(level + 1, child)
                signs.pop()
        lp.set_sign(level, None)

    visit(0, z0)
    return out_signs, out_points


def _groups_fast(X: np.ndarray, pats: Patterns, m1: int, max_groups: int) -> tuple[np.ndarray, ...]:
    """Exact groups. Rows where all active neurons of a configuration share the sign of
    ``sigma`` have a forced ``D2`` entry; only the *mixed* rows need a search, done by
    :func:`_cone_sign_patterns` in the row space (``z_j = Q^T v_j``)."""
    A, Q, nonzero = _row_space(X)
    n, d = X.shape
    r = A.shape[1]
    configs = _configurations(pats.count, m1)
    D1 = pats.patterns.T[configs // 2]                      # (C, m1, n)
    sigma = np.where(configs % 2 == 0, 1, -1).astype(np.int8)  # (C, m1)
    U = pats.directions.T[configs // 2]                     # (C, m1, d)
    pos = (D1 & (sigma > 0)[:, :, None]).any(axis=1)
    neg = (D1 & (sigma < 0)[:, :, None]).any(axis=1)
    mixed = pos & neg
    forced = pos & ~neg
    simple = ~mixed.any(axis=1) & forced.any(axis=1)
    out = [(D1[simple], sigma[simple], forced[simple], U[simple].transpose(0, 2, 1))]
    total = int(simple.sum())
    for c in np.flatnonzero(mixed.any(axis=1)):
        G, F, live = _config_lp(A, nonzero, D1[c], sigma[c])
        rows = np.flatnonzero(mixed[c][live])
        z0 = (U[c] @ Q).reshape(-1)
        signs, points = _cone_sign_patterns(F[rows], G, z0)
        D2 = np.repeat(forced[c][None, :], len(signs), axis=0)
        D2[:, np.flatnonzero(mixed[c])] = np.array(signs, dtype=bool).reshape(len(signs), len(rows))
        keep = D2.any(axis=1)
        Z = np.array(points)[keep].reshape(-1, m1, r)
        out.append((np.repeat(D1[c][None], keep.sum(), axis=0), np.repeat(sigma[c][None], keep.sum(), axis=0),
                    D2[keep], np.einsum("dr,kjr->kdj", Q, Z)))
        total += int(keep.sum())
        if total > max_groups:
            raise ProblemTooLargeError(f"more than max_groups={max_groups:,} groups; use sample_groups, "
                                       "a smaller m1 or fewer points, or raise max_groups")
    return tuple(np.concatenate(p) for p in zip(*out))


def estimate_group_count(P: int, m1: int) -> int:
    """A lower bound on the number of groups for ``P`` patterns (``P > 1``): every multiset of
    ``m1`` positive labels other than all-zero patterns gives exactly one group."""
    return math.comb(P + m1 - 1, m1) - 1


def enumerate_groups(X: Any, m1: int, *, patterns: Patterns | None = None, method: str = "auto",
                     max_groups: int = 200_000) -> Groups:
    """Every three-layer group ``(c, D2)`` of docs/mathematics.md §3.4, exactly.

    Args:
        X: data ``(n, d)``.
        m1: first-layer width of a sub-network (>= 1).
        patterns: the first-layer patterns to build labels from (default: exact enumeration).
            The result is exact only if ``patterns.exact``.
        method: ``"auto"`` or ``"lp"`` (one LP depth-first search per configuration).
        max_groups: refuse (ProblemTooLargeError) when more groups than this are certain,
            before building, or as soon as the enumeration passes it.
    Returns:
        :class:`Groups` with a realizing ``V`` for each group.
    """
    start = time.perf_counter()
    X = check_matrix(X, "X")
    m1 = check_int(m1, "m1", minimum=1)
    method = check_choice(method, "method", ("auto", "lp"))
    max_groups = check_int(max_groups, "max_groups", minimum=1)
    pats = enumerate_patterns(X) if patterns is None else patterns
    if not isinstance(pats, Patterns) or pats.n != X.shape[0]:
        raise InputError(f"patterns must be a Patterns object for the {X.shape[0]} rows of X")
    if estimate_group_count(pats.count, m1) > max_groups:
        raise ProblemTooLargeError(
            f"{pats.count} patterns and m1={m1} give at least {estimate_group_count(pats.count, m1):,} "
            f"groups, more than max_groups={max_groups:,}; use sample_groups(X, m1, num_samples), a smaller "
            f"m1, fewer points, or raise max_groups")
    build = _groups_lp if method == "lp" else _groups_fast
    D1, sigma, D2, V = build(X, pats, m1, max_groups)
    name = "exact-lp" if method == "lp" else "exact"
    return _canonical_groups(D1, sigma, D2, V, m1, name if pats.exact else f"{name}-on-{pats.method}",
                             pats.exact, start)


__all__ = [
    "Patterns", "Groups", "METHODS", "enumerate_patterns", "sample_patterns", "pattern_bound",
    "is_general_position", "coverage", "estimate_pattern_count", "enumerate_groups", "sample_groups",
    "groups_from_patterns", "groups_from_network", "estimate_group_count",
]
