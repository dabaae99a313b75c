"""Sparsify a convex solution without changing its objective (docs/mathematics.md §3.6).

Interior-point solutions are dense (many small blocks). Two exact steps shrink them:

1. *merge* blocks with the same output sign, the same second-layer signs and the same unit
   direction ``V / ||V||_F`` (they are the same atom; norms add);
2. *Caratheodory*: with unit atoms ``a_k = s_k M_g U_k`` and weights ``t_k = ||V_k||_F``, while
   the columns ``[a_k; 1]`` are linearly dependent take a null vector ``c`` and move
   ``t <- t - alpha c`` with ``alpha = min_{c_k > 0} t_k / c_k``. This keeps ``sum t_k a_k``
   (the output) and ``sum t_k`` (the regularizer) and zeroes at least one block, ending with at
   most ``n + 1`` blocks.

Atoms are evaluated as network outputs (with the ReLUs), and each surviving block is placed in
the group its direction realizes, so solver noise (tiny blocks slightly outside their cones)
cannot be amplified into a wrong network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class BlockList:
    """Nonzero blocks as a list: block ``k`` is ``t[k] * U[k]`` in group ``group[k]`` with output
    sign index ``sign[k]`` (0 for ``s = +1``, 1 for ``s = -1``). ``U (K, d, m1)`` has unit norm."""

    group: np.ndarray
    sign: np.ndarray
    U: np.ndarray
    t: np.ndarray


def block_list(V: np.ndarray, drop_tol: float = 0.0) -> BlockList:
    """Blocks of ``V (2, G, d, m1)`` with ``||V||_F > drop_tol * max ||V||_F`` (and > 0)."""
    norms = np.sqrt((V**2).sum(axis=(-2, -1)))  # (2, G)
    top = float(norms.max(initial=0.0))
    sign, group = np.nonzero((norms > drop_tol * top) & (norms > 0))
    t = norms[sign, group]
    return BlockList(group, sign, V[sign, group] / t[:, None, None], t)


def realized(X: np.ndarray, sigma: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The group each block actually lies in, and its network atom.

    For signs ``sigma (K, m1)`` and directions ``U (K, d, m1)``: ``D1 = 1[X u_j > 0] (K, m1, n)``,
    ``h = sum_j sigma_j (X u_j)_+`` and ``D2 = 1[h > 0] (K, n)``; the atom ``(h)_+ (K, n)`` equals
    ``M_g U`` for that group exactly, so every block is in its group's cone by construction.
    """
    pre = np.einsum("nd,kdj->kjn", X, U)
    D1 = pre > 0
    h = np.einsum("kj,kjn->kn", sigma.astype(np.float64), np.where(D1, pre, 0.0))
    return D1, h > 0, np.maximum(h, 0.0)


def merge_blocks(blocks: BlockList, sigma: np.ndarray, tol: float = 1e-9) -> BlockList:
    """Merge blocks with equal output sign, equal ``sigma`` of their group and unit directions
    equal up to ``tol`` (entrywise, after rounding); the merged block keeps the first group."""
    K = blocks.t.shape[0]
    if K < 2:
        return blocks
    rounded = np.round(blocks.U.reshape(K, -1) / tol).astype(np.int64)
    keys = np.concatenate([blocks.sign[:, None], sigma[blocks.group].astype(np.int64), rounded], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    t = np.bincount(inverse, weights=blocks.t)
    U = np.zeros((len(first), *blocks.U.shape[1:]))
    np.add.at(U, inverse, blocks.U * blocks.t[:, None, None])
    U /= np.sqrt((U**2).sum(axis=(1, 2)))[:, None, None]
    return BlockList(blocks.group[first], blocks.sign[first], U, t)


def _reduce(t: np.ndarray, cols: np.ndarray, c: np.ndarray) -> None:
    """Move ``t[cols] -= alpha c`` to the boundary ``t >= 0`` (in place), zeroing the argmin."""
    if c.max() <= 0:
        c = -c
    pos = c > 0
    ratios = np.where(pos, t[cols] / np.where(pos, c, 1.0), np.inf)
    k = int(np.argmin(ratios))
    t[cols] = np.maximum(t[cols] - ratios[k] * c, 0.0)
    t[cols[k]] = 0.0


def caratheodory(atoms: np.ndarray, t: np.ndarray, rtol: float = 1e-9) -> np.ndarray:
    """Weights ``t' >= 0 (K,)`` with ``atoms @ t' = atoms @ t``, ``sum t' = sum t`` and at most
    ``rank([atoms; 1]) <= n + 1`` nonzeros. ``atoms (n, K)`` are unit atoms as columns.

    Works on ``n + 2`` columns at a time while more than ``n + 1`` remain (always dependent),
    then removes columns while the remainder is numerically rank-deficient (smallest singular
    value ``<= rtol`` times the largest).
    """
    A = np.vstack([atoms, np.ones((1, atoms.shape[1]))])
    t = np.asarray(t, dtype=np.float64).copy()
    m = A.shape[0]
    active = np.flatnonzero(t > 0)
    while active.size > m:
        cols = active[: m + 1]
        _reduce(t, cols, np.linalg.svd(A[:, cols])[2][-1])
        active = np.flatnonzero(t > 0)
    while active.size > 1:
        _, s, Vt = np.linalg.svd(A[:, active], full_matrices=False)
        if s[-1] > rtol * s[0]:
            break
        _reduce(t, active, Vt[-1])
        active = np.flatnonzero(t > 0)
    return t


def prune_blocks(
    X: np.ndarray,
    sigma: np.ndarray,
    V: np.ndarray,
    *,
    drop_tol: float = 1e-9,
    merge_tol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge and Caratheodory-prune blocks ``V (2, G, d, m1)`` whose groups have signs ``sigma (G, m1)``.

    Atoms are the blocks' network outputs ``s (sum_j sigma_j (X u_j)_+)_+``, so the pruned blocks
    give exactly the same network output and the same sum of norms as the kept ones. Blocks
    below ``drop_tol`` times the largest norm (solver noise) and blocks whose atom is zero are
    dropped first. Each remaining block is re-assigned to the group it realizes (see
    :func:`realized`), one group per block, at most ``n + 1`` of them.

    Returns ``(D1 (K, m1, n), sigma (K, m1), D2 (K, n), V' (2, K, d, m1))``; block ``k`` sits in
    ``V'[0, k]`` or ``V'[1, k]`` by its output sign.
    """
    blocks = merge_blocks(block_list(V, drop_tol), sigma, merge_tol)
    sig = sigma[blocks.group]
    _, _, atoms = realized(X, sig, blocks.U)
    atoms = np.where(blocks.sign[:, None] == 0, atoms, -atoms)
    t = np.where(np.abs(atoms).max(axis=1, initial=0.0) > 0, blocks.t, 0.0)
    t = caratheodory(atoms.T, t)
    keep = np.flatnonzero(t > 0)
    keep = keep[np.argsort(-t[keep], kind="stable")]
    D1, D2, _ = realized(X, sig[keep], blocks.U[keep])
    out = np.zeros((2, keep.size, *V.shape[2:]))
    out[blocks.sign[keep], np.arange(keep.size)] = blocks.U[keep] * t[keep][:, None, None]
    return D1, sig[keep], D2, out


__all__ = ["BlockList", "block_list", "realized", "merge_blocks", "caratheodory", "prune_blocks"]
