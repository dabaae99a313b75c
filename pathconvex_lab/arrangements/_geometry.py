"""The row space of ``X`` and the distinct hyperplanes of its rows (docs/mathematics.md §5)."""

from __future__ import annotations

import itertools

import numpy as np

#: |cos| between a unit normal and a unit ray below which the ray lies on the hyperplane.
ZERO_TOL = 1e-9
#: Decimals kept when deciding that two unit normals span the same hyperplane.
DEDUP_DECIMALS = 9


def row_space(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def distinct_hyperplanes(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group nonzero rows ``A (k, c)`` by the hyperplane ``{z : a_i^T z = 0}`` they define.

    Returns unit normals ``N (m, c)``, the hyperplane of each row ``h (k,)`` and the
    orientation ``o (k,)`` in {+1, -1} with ``a_i / |a_i| = o_i N[h_i]``.
    """
    U = A / np.linalg.norm(A, axis=1, keepdims=True)
    first = np.argmax(np.abs(U) > 1e-7, axis=1)
    o = np.where(U[np.arange(len(U)), first] > 0, 1, -1)
    canon = U * o[:, None]
    _, idx, h = np.unique(np.round(canon, DEDUP_DECIMALS), axis=0, return_index=True, return_inverse=True)
    return canon[idx], h.reshape(-1), o


def null_vectors(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def combinations(m: int, k: int) -> np.ndarray:
    """All ``k``-subsets of ``range(m)`` as an int64 array ``(binom(m, k), k)``, lexicographic."""
    if k == 1:
        return np.arange(m)[:, None]
    if k == 2:
        i, j = np.triu_indices(m, 1)
        return np.stack([i, j], axis=1)
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(m), k)), dtype=np.int64)
    return flat.reshape(-1, k)
