"""The chambers of a central hyperplane arrangement, exactly (docs/mathematics.md §5.3).

Hyperplanes are given by distinct unit normals ``N (m, c)`` of full rank ``c``. A chamber is
reported as its signs ``N u > 0`` and a unit direction ``u`` inside it.

- ``c <= 2``: the angular sweep, one chamber per arc between boundary angles.
- ``c >= 2``: every chamber of an essential central arrangement is a pointed cone, so it has
  an extreme ray lying on ``c - 1`` independent hyperplanes; the chambers touching a ray are
  read off the local arrangement of the hyperplanes through it (``2^(c-1)`` sign choices in
  general position, a batched sweep or a recursive enumeration otherwise).
"""

from __future__ import annotations

import itertools

import numpy as np

from ._chunks import CACHE_FLOATS, block_size, blocks
from ._geometry import ZERO_TOL, combinations, distinct_hyperplanes, null_vectors
from ._lp import strict_point
from .keys import pack, sum_by_key, unique_rows

#: Candidate chambers kept unmerged before deduplicating (then at most the merged count).
MERGE_ROWS = 1_000_000


def sweep_chambers(N: np.ndarray) -> np.ndarray:
    """Rank-2 angular sweep (docs/mathematics.md §5.3): one direction ``(2m, 2)`` per chamber of the
    arrangement of ``m`` distinct lines with unit normals ``N (m, 2)``."""
    phi = np.arctan2(N[:, 1], N[:, 0])
    bounds = np.sort(np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi))
    mids = (bounds + np.append(bounds[1:], bounds[0] + 2 * np.pi)) / 2
    return np.stack([np.cos(mids), np.sin(mids)], axis=1)


def positive(N: np.ndarray, U: np.ndarray) -> np.ndarray:
    """``N U^T > 0`` as bool ``(m, P)`` for ``N (m, c)``, ``U (P, c)``, computed in cache-sized
    row blocks (no ``m x P`` floats)."""
    out = np.empty((len(N), len(U)), dtype=bool)
    for rows in blocks(len(N), block_size(CACHE_FLOATS, len(U))):
        np.greater(N[rows] @ U.T, 0, out=out[rows])
    return out


def _local_candidates(W: np.ndarray, S: np.ndarray, sub: np.ndarray,
                      local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chambers around simple rays ``W (K, c)``, each on exactly the hyperplanes ``sub (K, c-1)``.

    ``S = W N^T (K, m)``; ``local (2^(c-1), c-1)`` lists the sign choices on ``sub``. Returns
    packed sign keys and the ray of each candidate, summed per distinct key.
    """
    reps = len(local)
    signs = np.repeat(S > 0, reps, axis=0)
    rows = np.repeat(np.arange(len(W)), reps)
    signs[np.arange(len(signs))[:, None], sub[rows]] = np.tile(local, (len(W), 1))
    return sum_by_key(pack(signs), W[rows])


def rays_chambers(N: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chambers of the arrangement of ``m`` distinct hyperplanes with unit normals
    ``N (m, c)`` of rank ``c >= 2``, read around the extreme rays.

    Each chamber is a pointed cone; it is found at each of its extreme rays, and the sum of
    those unit rays, which lies inside the cone, is its direction. Rays on more than ``c - 1``
    hyperplanes are collected (deduplicated) and handled by :func:`_degenerate_ray_chambers`.
    Returns ``signs (m, P)`` (True where ``N u > 0``) and unit directions ``U (P, c)``.
    """
    m, c = N.shape
    k = c - 1
    local = np.array(list(itertools.product([True, False], repeat=k)), dtype=bool)  # (2^k, k)
    combos = combinations(m, k)
    keys, sums, degenerate_rays, degenerate_keys = [], [], [], []
    merged = pending = 0
    for block in blocks(len(combos), block_size(CACHE_FLOATS, 2 * m)):
        sub = combos[block]
        W, ok = null_vectors(N[sub])
        sub, W = np.concatenate([sub[ok], sub[ok]]), np.concatenate([W[ok], -W[ok]])
        S = W @ N.T
        zero = np.abs(S) < ZERO_TOL
        simple = zero.sum(axis=1) == k
        if not simple.all():
            degenerate_rays.append(W[~simple])
            degenerate_keys.append(np.concatenate([pack(zero[~simple]), pack(S[~simple] > 0)], axis=1))
        key, ray_sum = _local_candidates(W[simple], S[simple], sub[simple], local)
        keys.append(key)
        sums.append(ray_sum)
        pending += len(key)
        if pending > max(merged, MERGE_ROWS):  # merge geometrically: memory stays O(P)
            key, ray_sum = sum_by_key(np.concatenate(keys), np.concatenate(sums))
            keys, sums, merged, pending = [key], [ray_sum], len(key), len(key)
    if degenerate_rays:
        unique = unique_rows(np.concatenate(degenerate_keys))
        key, ray_sum = _degenerate_ray_chambers(N, np.concatenate(degenerate_rays)[unique])
        keys.append(key)
        sums.append(ray_sum)
    key, ray_sum = sum_by_key(np.concatenate(keys), np.concatenate(sums))
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
    for cols in blocks(len(U), block_size(CACHE_FLOATS, N.shape[0])):  # blocks that stay in cache
        V = N @ U[cols].T
        good[cols] = np.all(np.where(hyper[:, cols], V, -V) > 1e-13, axis=0)
    if good.all():
        return hyper, U
    for p in np.flatnonzero(~good):
        z = strict_point(np.where(hyper[:, p][:, None], N, -N))
        if z is not None:
            U[p] = z / np.linalg.norm(z)
            good[p] = True
    return hyper[:, good], U[good]


def _local_sweep_signs(N: np.ndarray, W: np.ndarray, zero: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local chambers around rays ``W (K, 3)`` of a rank-3 arrangement, all rays at once.

    The hyperplanes through ray ``w`` (``zero (K, m)``) are lines in the plane ``w^perp``;
    their ``2k`` local chambers are the arcs between the boundary angles (a batched
    version of :func:`sweep_chambers`). Returns ``ray (L,)``, the ray of each local chamber,
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
    for rows in blocks(len(W), block_size(CACHE_FLOATS, 4 * m)):
        block = W[rows]
        S = block @ N.T
        zero = np.abs(S) < ZERO_TOL
        if c == 3:
            owner, signs = _local_sweep_signs(N, block, zero)
            keys.append(pack(signs))
            rays.append(block[owner])
            continue
        for w, s, through in zip(block, S, zero):
            basis = np.linalg.svd(w[None, :])[2][1:].T  # (c, c-1) orthonormal basis of w^perp
            loc_signs, _ = _chamber_signs(N[through] @ basis)
            signs = np.repeat((s > 0)[None, :], len(loc_signs), axis=0)
            signs[:, through] = loc_signs
            keys.append(pack(signs))
            rays.append(np.repeat(w[None, :], len(loc_signs), axis=0))
    return sum_by_key(np.concatenate(keys), np.concatenate(rays))


def chambers(A: np.ndarray, method: str = "auto") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All chambers of the arrangement of the nonzero rows ``A (k, c)`` of rank ``c >= 1``.

    Returns ``hyper (m, P)`` (signs of the ``m`` distinct hyperplanes, True where
    ``N u > 0``), unit directions ``U (P, c)``, and the row map ``h (k,)``, ``o (k,)`` of
    :func:`~pathconvex_lab.arrangements._geometry.distinct_hyperplanes`: row ``i`` of the
    pattern is ``hyper[h_i] XOR (o_i < 0)``. ``method`` is ``"auto"``, ``"sweep"``
    (``c <= 2``) or ``"rays"`` (``c >= 2``).
    """
    N, h, o = distinct_hyperplanes(A)
    if A.shape[1] == 1:
        U = np.array([[1.0], [-1.0]])
        return positive(N, U), U, h, o
    if A.shape[1] == 2 and method != "rays":
        U = sweep_chambers(N)
        return positive(N, U), U, h, o
    hyper, U = rays_chambers(N)
    return hyper, U, h, o


def _chamber_signs(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row signs ``(P, k)`` (``A u > 0``) and directions ``U (P, c)`` of every chamber of the
    nonzero rows ``A (k, c)`` of rank ``c`` (for small local arrangements)."""
    hyper, U, h, o = chambers(A)
    return (hyper[h] ^ (o < 0)[:, None]).T, U
