"""The linear maps of the group program for all blocks at once, as masked products with the data.

``M_g`` is never formed: it is ``X`` masked by the group's patterns, so every product with it is one
matmul over all groups.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from . import settings
from .kernels import batch_last

Tensor = torch.Tensor


@dataclass(frozen=True, eq=False)
class Maps:
    """The linear maps of the program for all blocks at once (data scaled to unit size).

    Shapes: ``X (n, d)``; ``XX (n, d*d)`` rows ``x_i x_i^T``; ``C (G, m1, n)`` loss masks
    ``D2 sigma_j D1_j``; ``E1 (G, m1, n)`` first-layer row signs ``2 D1 - 1`` (0 on rows dropped as
    identically zero); ``S2 (G, m1, n) = sigma_j D1_j``, ``S2S2 (G, m1, m1, n)`` its pairwise products and
    ``E2 (G, n) = 2 D2 - 1`` (0 on dropped rows) for the second-layer rows, all ``None`` when every
    second-layer row is zero or implied by the first-layer rows (always so for two layers);
    ``dummy (G, q)`` is 1 on dropped rows, which become the harmless constraint ``s = 1 >= 0``.
    A block variable ``V`` has shape ``(2, G, m1, d)`` (index 0 is ``s = +1``), flattened ``j``-major
    to ``p = m1 d``. With ``A (G, r, p)`` set (:func:`~.facets.facet_maps`), the cone rows are instead
    the rows of ``A`` (a reduced set; zero rows are padding, ``dummy (G, r)``), and ``E1``, ``S2``,
    ``E2`` are not used for them.
    """

    X: Tensor
    XX: Tensor
    y: Tensor
    beta: float
    C: Tensor
    E1: Tensor
    S2: Tensor | None
    S2S2: Tensor | None
    E2: Tensor | None
    dummy: Tensor
    A: Tensor | None = None

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """``(n, d, G, m1)``."""
        G, m1, n = self.C.shape
        return n, self.X.shape[1], G, m1

    def subset(self, idx: Tensor) -> Maps:
        """The maps of the groups ``idx`` only."""

        def pick(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.index_select(0, idx)

        return replace(self, C=pick(self.C), E1=pick(self.E1), S2=pick(self.S2), S2S2=pick(self.S2S2),
                       E2=pick(self.E2), dummy=pick(self.dummy), A=pick(self.A))

    def xv(self, V: Tensor) -> Tensor:
        """``X v_j`` for every block and column: ``(2, G, m1, d) -> (2, G, m1, n)`` (one matmul)."""
        n, d, G, m1 = self.sizes
        return (V.reshape(-1, d) @ self.X.T).reshape(2, G, m1, n)

    def output(self, XV: Tensor) -> Tensor:
        """Network output ``sum_{g,s} s M_g V_g^s`` from ``X V``: ``(2, G, m1, n) -> (n,)``."""
        return ((XV[0] - XV[1]) * self.C).sum((0, 1))

    def output_adjoint(self, r: Tensor) -> Tensor:
        """``M_g^T r`` for every group: ``(n,) -> (G, m1, d)`` (the ``s = -1`` block gets the minus); one
        matmul of the masks with ``r``-weighted rows (no ``(G, n)`` temporary: half the memory traffic)."""
        n, d, G, m1 = self.sizes
        return (self.C.reshape(-1, n) @ (r.unsqueeze(1) * self.X)).reshape(G, m1, d)

    def rows(self, V: Tensor, XV: Tensor) -> Tensor:
        """Cone rows ``G_b V_b`` (must be ``>= 0``) of blocks ``V (2, G, m1, d)`` with ``XV = xv(V)``:
        ``-> (2, G, q)``."""
        n, _d, G, m1 = self.sizes
        if self.A is not None:
            return (self.A * V.reshape(2, G, 1, -1)).sum(-1)
        first = (XV * self.E1).reshape(2, G, m1 * n)
        if self.E2 is None:
            return first
        second = (XV * self.S2).sum(2).mul_(self.E2)
        return torch.cat([first, second], dim=-1)

    def rows_adjoint(self, w: Tensor) -> Tensor:
        """``G_b^T w_b``: ``(2, G, q) -> (2, G, m1, d)`` (one matmul)."""
        n, d, G, m1 = self.sizes
        if self.A is not None:
            return (self.A * w.unsqueeze(-1)).sum(-2).reshape(2, G, m1, d)
        w1 = w[..., : m1 * n].reshape(2, G, m1, n) * self.E1
        if self.E2 is not None:
            w1.addcmul_((w[..., m1 * n :] * self.E2).unsqueeze(2), self.S2)
        return (w1.reshape(-1, n) @ self.X).reshape(2, G, m1, d)

    def row_gram(self, w: Tensor) -> Tensor:
        """``G_b^T diag(w_b) G_b`` for every block: ``(2, G, q) -> (2, G, p, p)`` (one matmul)."""
        n, d, G, m1 = self.sizes
        if self.A is not None:
            return (self.A * w.unsqueeze(-1)).transpose(-1, -2) @ self.A
        w1 = w[..., : m1 * n].reshape(2, G, m1, n) * self.E1.square()
        if self.E2 is None and m1 == 1:
            weights = w1
        else:
            weights = w.new_zeros(2, G, m1, m1, n)
            if self.E2 is not None:
                weights.addcmul_((w[..., m1 * n :] * self.E2.square())[:, :, None, None, :], self.S2S2)
            weights.diagonal(dim1=2, dim2=3).add_(w1.transpose(-1, -2))
        grams = (weights.reshape(-1, n) @ self.XX).reshape(2, G, m1, m1, d, d)
        return grams.permute(0, 1, 2, 4, 3, 5).reshape(2, G, m1 * d, m1 * d)

    def loss(self, W: Tensor) -> Tensor:
        """``sum_g M_g w_g`` for one sign's blocks ``W (G, p)``: ``-> (n,)``, as ``x_i . (sum_g C_gi w_g)``
        (one matmul of the masks with ``W``; no ``(G, n)`` temporary)."""
        n, d, G, m1 = self.sizes
        return (self.X * (self.C.reshape(-1, n).T @ W.reshape(-1, d))).sum(1)

    def masked_product(self, L: Tensor) -> Tensor:
        """``F = [M_1 L_1 .. M_G L_G]`` for batch-last ``L (p, p, G)``, as an ``(n, p G)`` matrix (columns
        in an order of their own): ``M_g = sum_j C_gj X`` on the ``j``-th row block of ``L_g``, so ``F`` is
        ``m1`` matrix products ``X L`` masked by ``C``."""
        n, d, G, m1 = self.sizes
        p = m1 * d
        rows = L.reshape(m1, d, p * G)
        F = (self.X @ rows[0]).reshape(n, p, G).mul_(self.C[:, 0].T.unsqueeze(1))
        for j in range(1, m1):
            F.addcmul_((self.X @ rows[j]).reshape(n, p, G), self.C[:, j].T.unsqueeze(1))
        return F.reshape(n, p * G)

    def group_gram(self) -> Tensor:
        """``M_g^T M_g`` for every group, batch-last ``(p, p, G)`` (one matmul with the rows ``x_i x_i^T``)."""
        n, d, G, m1 = self.sizes
        weights = (self.C.unsqueeze(2) * self.C.unsqueeze(1)).reshape(-1, n)  # (G m1 m1, n)
        grams = (weights @ self.XX).reshape(G, m1, m1, d, d).permute(0, 1, 3, 2, 4)
        return batch_last(grams.reshape(G, m1 * d, m1 * d))

    def loss_gram(self) -> Tensor:
        """``Q = [M_g^T M_h]_{g,h}``, shape ``(G p, G p)``, accumulated over chunks of data rows."""
        n, d, G, m1 = self.sizes
        Gp = G * m1 * d
        Q = self.X.new_zeros(Gp, Gp)
        rows = max(1, int(settings.CHUNK_ENTRIES // Gp))
        for i in range(0, n, rows):
            chunk = self.C[:, :, i : i + rows].permute(2, 0, 1).unsqueeze(-1) * self.X[i : i + rows, None, None, :]
            chunk = chunk.reshape(-1, Gp)
            Q.addmm_(chunk.T, chunk)
        return Q

    def violation(self, V: Tensor) -> float:
        """Relative violation of blocks ``V (2, G, m1, d)`` over every cone row of these maps."""
        XV = self.xv(V)
        return relative_violation(self.rows(V, XV), XV)


def relative_violation(rows: Tensor, XV: Tensor) -> float:
    """``max(0, -min rows) / max |X v|`` for cone rows ``(2, G, q)`` and ``XV (2, G, m1, n)`` (0 when ``X V = 0``)."""
    scale = float(XV.abs().max())
    return max(0.0, float((-rows).max())) / scale if scale > 0 else 0.0


def build_maps(X: Tensor, y: Tensor, beta: float, D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> Maps:
    """Masks of :class:`Maps` from the groups ``D1 (G, m1, n)``, ``sigma (G, m1)``, ``D2 (G, n)`` and unit
    data ``X (n, d)``, ``y (n,)``, dropping rows that are zero or implied by others.

    A second-layer row ``(2 D2_i - 1) h_i >= 0`` is implied by the first-layer rows when every neuron
    active at ``i`` has ``sigma_j = 2 D2_i - 1`` (then each term of ``h_i`` already has the right sign);
    for two layers (``m1 = 1``, ``sigma = 1``, ``D2 = D1``) this drops them all.
    """
    D1t, D2t = torch.as_tensor(D1, device=X.device), torch.as_tensor(D2, device=X.device)
    sig = torch.as_tensor(sigma, device=X.device, dtype=X.dtype)
    nonzero_x = X.abs().sum(1) > 0
    S2 = sig.unsqueeze(-1) * D1t.to(X.dtype)
    C = S2 * D2t.unsqueeze(1).to(X.dtype)
    E1 = (2 * D1t.to(X.dtype) - 1) * nonzero_x
    has_pos = (D1t & (sig > 0).unsqueeze(-1)).any(1)
    has_neg = (D1t & (sig < 0).unsqueeze(-1)).any(1)
    implied = torch.where(D2t, ~has_neg, ~has_pos)
    live = D1t.any(1) & nonzero_x & ~implied
    dummy1 = (E1 == 0).reshape(E1.shape[0], -1)
    n, d = X.shape
    XX = (X.unsqueeze(2) * X.unsqueeze(1)).reshape(n, d * d)
    if not bool(live.any()):
        return Maps(X, XX, y, beta, C, E1, None, None, None, dummy1.to(X.dtype))
    E2 = (2 * D2t.to(X.dtype) - 1) * live
    S2S2 = S2.unsqueeze(2) * S2.unsqueeze(1)
    return Maps(X, XX, y, beta, C, E1, S2, S2S2, E2, torch.cat([dummy1, ~live], 1).to(X.dtype))
