"""Patterns and groups realized by weights: random ones (sampling, docs/mathematics.md §5.4) or
given ones (a network's first layer). A sampled set is a subset of the exact one (``exact=False``);
small chambers are likely to be missed."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._validate import as_generator, check_int, check_matrix
from ..errors import InputError
from ._chunks import CHUNK_BOOLS, block_size, concat_blocks
from .keys import pack, unique_rows
from .sets import Groups, Patterns, canonical_groups

#: Most random directions :func:`sample_patterns` draws in one call (about a minute of work).
MAX_SAMPLES = 100_000_000


def _distinct_signs(signs: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``signs (K, n)`` (sorted) and the first row of ``U (K, d)`` giving each."""
    idx = unique_rows(pack(signs))
    return signs[idx], U[idx]


def sample_patterns(X: Any, num_samples: int, seed: Any = 0) -> Patterns:
    """Patterns ``1[X u > 0]`` of ``num_samples`` Gaussian directions ``u ~ N(0, I_d)``
    (docs/mathematics.md §5.4): a subset of the chamber patterns (``exact=False``), same form as
    :func:`enumerate_patterns`. Small chambers are likely to be missed."""
    start = time.perf_counter()
    X = check_matrix(X, "X")
    num_samples = check_int(num_samples, "num_samples", minimum=1, maximum=MAX_SAMPLES)
    rng = as_generator(seed)
    n, d = X.shape

    def draw(K: int) -> tuple[np.ndarray, np.ndarray]:
        U = rng.standard_normal((K, d))
        return _distinct_signs(U @ X.T > 0, U)

    signs, U = _distinct_signs(*concat_blocks(num_samples, block_size(CHUNK_BOOLS, 4 * max(n, d)), draw))
    U = U / np.linalg.norm(U, axis=1, keepdims=True)
    return Patterns(signs.T.copy(), U.T.copy(), "sampled", False, time.perf_counter() - start)


def _groups_from_weights(X: np.ndarray, V: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, ...]:
    """Groups realized by weights ``V (K, d, m1)`` and signs ``sigma (K, m1)``; drops those
    with all ``sigma = -1`` or ``D2 = 0``. Returns ``D1, sigma, D2, V`` (uncanonicalized)."""
    pre = np.einsum("nd,kdj->kjn", X, V)  # (K, m1, n)
    D1 = pre > 0
    h = np.einsum("kj,kjn->kn", sigma.astype(np.float64), np.where(D1, pre, 0.0))
    D2 = h > 0
    keep = D2.any(axis=1) & (sigma > 0).any(axis=1)
    return D1[keep], sigma[keep], D2[keep], V[keep]


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
    return canonical_groups(D1, s, D2, W, V.shape[2], "network", False, start)


def sample_groups(X: Any, m1: int, num_samples: int, seed: Any = 0) -> Groups:
    """Groups of ``num_samples`` random ``(V, sigma)`` (docs/mathematics.md §5.4): ``V`` Gaussian
    ``(d, m1)``, ``sigma`` uniform in {+1, -1}^m1; draws with all ``sigma = -1`` or ``D2 = 0`` give
    no group. Returns :class:`Groups` (``exact=False``, method ``"sampled"``)."""
    start = time.perf_counter()
    X = check_matrix(X, "X")
    m1 = check_int(m1, "m1", minimum=1)
    num_samples = check_int(num_samples, "num_samples", minimum=1)
    rng = as_generator(seed)
    n, d = X.shape

    def draw(K: int) -> tuple[np.ndarray, ...]:
        V = rng.standard_normal((K, d, m1))
        sigma = np.where(rng.random((K, m1)) < 0.5, 1, -1).astype(np.int8)
        g = canonical_groups(*_groups_from_weights(X, V, sigma), m1, "sampled", False, start)
        return g.D1, g.sigma, g.D2, g.V

    D1, sigma, D2, V = concat_blocks(num_samples, block_size(CHUNK_BOOLS, 8 * m1 * max(n, d)), draw)
    return canonical_groups(D1, sigma, D2, V, m1, "sampled", False, start)
