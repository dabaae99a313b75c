"""Facet presolve: first-layer cone rows implied by the others are left out.

Given realizing first-layer weights (``directions``) and data of at most ``FACET_MAX_DIM + 1``
columns, the rows of each neuron's cone that are not facets are found exactly by convex hulls
(qhull); the rest are stored per block as explicit small matrices. The answer is checked against
every row afterwards (:meth:`~.maps.Maps.violation`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.spatial
import torch

from ...cache import MemoryCache, hash_inputs
from . import settings
from .maps import Maps

Tensor = torch.Tensor


#: The kept-row sets of recent solves (regularization paths and widgets solve the same cones again).
FACET_CACHE: MemoryCache[np.ndarray] = MemoryCache(max_bytes=settings.FACET_CACHE_BYTES, size=lambda kept: kept.nbytes)


def _cone_facets(X: np.ndarray, pattern: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Rows of ``{v : (2 pattern_i - 1) x_i . v >= 0}`` that are not implied by the others, as a bool
    ``(n,)`` (a superset when in doubt), given ``u (d,)`` with ``(2 pattern - 1) X u >= 0``.

    Rows tight at ``u`` are kept. The others, scaled to ``a_i / (a_i . u)``, lie in the hyperplane
    ``p . u = 1``; a row is implied by the rest iff its point is not a vertex of their convex hull
    (the extreme rays of ``cone{a_i}`` are the facets of the polar cone). The hull is qhull's in
    ``d - 1 <= FACET_MAX_DIM`` dimensions (min and max in one); otherwise, or if qhull fails, every
    row is kept.
    """
    A = (2.0 * pattern - 1)[:, None] * X
    norms = np.linalg.norm(A, axis=1)
    s = A @ u
    tight = s <= settings.FACET_TIGHT * norms * np.linalg.norm(u)
    keep = tight & (norms > 0)
    free = np.flatnonzero(~tight)
    dim = X.shape[1] - 1
    if dim < 1 or dim > settings.FACET_MAX_DIM or len(free) <= dim + 1:
        keep[free] = True
        return keep
    basis = np.linalg.qr(np.column_stack([u, np.eye(len(u))[:, :-1]]))[0][:, 1:]
    coords = (A[free] / s[free, None]) @ basis
    if dim == 1:
        c = coords[:, 0]
        keep[free[(c == c.min()) | (c == c.max())]] = True
        return keep
    try:
        keep[free[scipy.spatial.ConvexHull(coords).vertices]] = True
    except scipy.spatial.QhullError:
        keep[free] = True
    return keep


def facet_rows(X: np.ndarray, D1: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """First-layer rows to keep, bool ``(G, m1, n)``: the facets of each neuron's cone
    (:func:`_cone_facets`), computed once per distinct pattern of ``D1 (G, m1, n)`` with a realizing
    direction from ``directions (G, d, m1)``, and looked up in :data:`FACET_CACHE` first."""
    G, m1, n = D1.shape
    unique, first, inverse = np.unique(D1.reshape(G * m1, n), axis=0, return_index=True, return_inverse=True)
    U = directions.transpose(0, 2, 1).reshape(G * m1, -1)
    data = hash_inputs(X)
    kept = []
    for k in range(len(unique)):  # the kept set is valid whichever realizing direction found it
        key = hash_inputs(data, unique[k])
        rows = FACET_CACHE.get(key)
        if rows is None:
            rows = _cone_facets(X, unique[k], U[first[k]])
            FACET_CACHE.put(key, rows)
        kept.append(rows)
    return np.array(kept)[inverse.reshape(-1)].reshape(G, m1, n)


def _offsets(mask: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Per group, the number of marked entries of ``mask (G, ...)`` before it (an exclusive cumsum)."""
    counts = mask.sum(dims)
    return torch.cumsum(counts, 0) - counts


def facet_maps(maps: Maps, keep1: Tensor) -> Maps | None:
    """``maps`` with explicit cone rows ``A (G, r, p)``: the first-layer rows in ``keep1 (G, m1, n)``
    and every live second-layer row; ``None`` when that keeps more than FACET_GAIN of the rows."""
    n, d, G, m1 = maps.sizes
    first = keep1 & (maps.E1 != 0)
    second = maps.E2 != 0 if maps.E2 is not None else torch.zeros(G, n, dtype=torch.bool, device=keep1.device)
    counts = first.sum((1, 2)) + second.sum(1)
    r = max(1, int(counts.max()))
    if r > settings.FACET_GAIN * maps.dummy.shape[1]:
        return None
    A = maps.X.new_zeros(G, r, m1, d)
    g, j, i = torch.nonzero(first, as_tuple=True)  # in (g, j, i) order
    pos = torch.arange(len(g), device=g.device) - _offsets(first, (1, 2))[g]
    A[g, pos, j] = maps.E1[g, j, i].unsqueeze(-1) * maps.X[i]
    if maps.E2 is not None:
        g2, i2 = torch.nonzero(second, as_tuple=True)
        pos2 = first.sum((1, 2))[g2] + torch.arange(len(g2), device=g2.device) - _offsets(second, (1,))[g2]
        A[g2, pos2] = (maps.E2[g2, i2].unsqueeze(-1) * maps.S2[g2, :, i2]).unsqueeze(-1) * maps.X[i2].unsqueeze(1)
    dummy = (torch.arange(r, device=g.device) >= counts.unsqueeze(1)).to(maps.X.dtype)
    return replace(maps, dummy=dummy, A=A.reshape(G, r, m1 * d))
