"""Solvers of the Newton systems ``(A^T A + blockdiag(H_b)) dx = rhs``.

``H (2, G, k, k)`` holds the scaled barrier Hessians of the blocks, ``k = p + 1`` (index 0 is the
epigraph variable ``t``, which the loss does not see); ``A`` acts on the ``V`` part of block
``(s, g)`` as ``s M_g``. The block inverses are computed all at once (batched), and the loss, which
couples blocks only through the ``n``-vector ``A x``, enters by the Woodbury identity with a dense
capacitance (in data space, or in block space from the constant ``M^T M``), or, where that does not
fit in memory, through GMRES preconditioned group by group.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.linalg
import torch

from . import settings
from .kernels import (
    batch_last,
    block_matvec,
    cholesky,
    cholesky_dense,
    congruence,
    lapack_layout,
    outer_gram,
    shifted,
    spd_inverse,
)
from .maps import Maps

Tensor = torch.Tensor


class Newton:
    """Solves ``(A^T A + blockdiag(H_b)) dx = rhs`` by batched block inverses and Woodbury.

    With ``K_g = [H_{g+}^{-1} + H_{g-}^{-1}]_{VV} = L_g L_g^T`` (the two signs share ``M_g``) the loss
    part of the solve needs ``g = A^T (I + A H^{-1} A^T)^{-1} A u``, which subclasses compute in the
    smaller of the ``n`` and ``G p`` spaces. Block matrices are kept batch-last, ``(k, k, 2, G)``, and
    factorized with a tiny relative diagonal shift (late iterations make a block's scale span more
    than ``1/eps``); GMRES against the unshifted matrix removes its effect.
    """

    def __init__(self, maps: Maps, H: Tensor, shift: float = 1.0):
        self.maps = maps
        self.H = batch_last(H)
        self.Hinv = spd_inverse(shifted(self.H, shift))
        self.L = cholesky(shifted(self.Hinv[1:, 1:, 0] + self.Hinv[1:, 1:, 1], shift))  # (p, p, G)
        self.iterations = 0  # inner (Krylov) steps taken by solve(), summed over its calls
        self.correctors = 0  # centrality correctors worth their extra solve (see settings.CORRECTORS)

    def _loss_correction(self, w: Tensor) -> Tensor:
        """``M^T (I + M K M^T)^{-1} M w`` for ``w (G, p)`` (``M = [M_1 .. M_G]``)."""
        raise NotImplementedError

    def _loss_gram(self, w: Tensor) -> Tensor:
        """``M^T M w`` for ``w (G, p)``."""
        return self.maps.output_adjoint(self.maps.loss(w)).reshape(w.shape)

    def _woodbury(self, rhs: Tensor) -> Tensor:
        """The direct solve of ``rhs (2, G, k)`` by Woodbury (exact up to the diagonal shift)."""
        u = block_matvec(self.Hinv, rhs)
        g = self._loss_correction(u[0, :, 1:] - u[1, :, 1:])
        reduced = rhs.clone()  # rhs - A^T c, formed before H^{-1} is applied (avoids cancellation)
        reduced[0, :, 1:] -= g
        reduced[1, :, 1:] += g
        return block_matvec(self.Hinv, reduced)

    def matvec(self, dx: Tensor) -> Tensor:
        """``(A^T A + blockdiag(H)) dx`` for ``dx (2, G, k)``."""
        out = block_matvec(self.H, dx)
        g = self._loss_gram(dx[0, :, 1:] - dx[1, :, 1:])
        out[0, :, 1:] += g
        out[1, :, 1:] -= g
        return out

    def _capacitance_correctors(self, factor: Tensor) -> int:
        """Centrality correctors worth trying with a dense capacitance factor of this size."""
        return settings.CORRECTORS if factor.shape[0] >= settings.CORRECTOR_MIN_SIZE else 0

    def solve(self, rhs: Tensor, refinements: int | None = None, target: float = math.inf) -> Tensor:
        """``rhs (2, G, k) -> dx (2, G, k)``: the Woodbury solve, then at most ``refinements`` (default
        ``MAX_REFINEMENTS``) steps of GMRES preconditioned by it, until the residual's norm is at most
        ``target`` and ``REFINE_TOL_SQRT_EPS * sqrt(eps)`` relative to ``rhs``. (Late in the iterations
        the block inverses are accurate only to about ``cond * eps``; plain iterative refinement then
        stalls on a few directions, GMRES does not.)"""
        refinements = settings.MAX_REFINEMENTS if refinements is None else refinements
        dx = self._woodbury(rhs)
        if refinements == 0:
            return dx
        residual = rhs - self.matvec(dx)
        norm = float(residual.norm())
        eps = torch.finfo(rhs.dtype).eps
        target = min(target, settings.REFINE_TOL_SQRT_EPS * math.sqrt(eps) * float(rhs.norm()))
        if norm > target:
            self._refine(dx, residual, norm, target, refinements)
        return dx

    def _refine(self, dx: Tensor, residual: Tensor, norm: float, target: float, steps: int) -> None:
        """At most ``steps`` steps of GMRES (modified Gram-Schmidt, small least squares on the CPU),
        right-preconditioned by the Woodbury solve, for ``residual`` (of norm ``norm``) of ``dx``, whose
        correction is added to ``dx`` in place."""
        basis, directions = [residual / norm], []
        hess = torch.zeros(steps + 1, steps, dtype=torch.float64)
        for j in range(steps):
            self.iterations += 1
            directions.append(self._woodbury(basis[j]))
            w = self.matvec(directions[j])
            for i, v in enumerate(basis):
                hess[i, j] = float((w * v).sum())
                w.sub_(v, alpha=float(hess[i, j]))
            hess[j + 1, j] = float(w.norm())
            e1 = torch.zeros(j + 2, dtype=torch.float64)
            e1[0] = norm
            coef = torch.linalg.lstsq(hess[: j + 2, : j + 1], e1.unsqueeze(-1)).solution[:, 0]
            if float((e1 - hess[: j + 2, : j + 1] @ coef).norm()) <= target or float(hess[j + 1, j]) == 0:
                break
            basis.append(w / hess[j + 1, j])
        for c, z in zip(coef.tolist(), directions):
            dx.add_(z, alpha=c)


class _DataSpaceNewton(Newton):
    """Capacitance in data space, ``S = I + F F^T`` (``n x n``) with ``F = [M_g L_g]_g``, for ``n <= G p``.

    ``M_g`` is never formed: products with it are masked products with ``X`` (:meth:`Maps.loss`,
    :meth:`Maps.output_adjoint`), and ``F`` is one matrix product ``X L`` masked by the groups.
    """

    def __init__(self, maps: Maps, H: Tensor, shift: float = 1.0):
        super().__init__(maps, H, shift)
        self.factor = cholesky_dense(outer_gram(maps.masked_product(self.L)))
        self.correctors = self._capacitance_correctors(self.factor)

    def _loss_correction(self, w: Tensor) -> Tensor:
        c = torch.cholesky_solve(self.maps.loss(w).unsqueeze(-1), self.factor)[:, 0]
        return self.maps.output_adjoint(c).reshape(w.shape)


class _BlockSpaceNewton(Newton):
    """Capacitance in block space for ``G p < n``: with the constant ``Q = M^T M`` (``G p x G p``,
    computed once), ``M^T (I + M K M^T)^{-1} M w = Q w - Q L T^{-1} L^T Q w``, ``T = I + L^T Q L``.
    Nothing of size ``n`` is touched; ``L^T Q L`` is formed in row chunks (no copy of ``Q``)."""

    def __init__(self, maps: Maps, H: Tensor, Q: Tensor, shift: float = 1.0):
        super().__init__(maps, H, shift)
        self.Q = Q
        self.factor = cholesky_dense(congruence(Q, lapack_layout(self.L)))
        self.correctors = self._capacitance_correctors(self.factor)

    def _loss_correction(self, w: Tensor) -> Tensor:
        Qw = (self.Q @ w.reshape(-1)).reshape(w.shape)
        Ltw = block_matvec(self.L, Qw, transpose=True).reshape(-1, 1)
        c = torch.cholesky_solve(Ltw, self.factor).reshape(w.shape)
        return Qw - (self.Q @ block_matvec(self.L, c).reshape(-1)).reshape(w.shape)

    def _loss_gram(self, w: Tensor) -> Tensor:
        return (self.Q @ w.reshape(-1)).reshape(w.shape)


class _IterativeNewton(Newton):
    """Newton systems solved by a preconditioned Krylov method, for problems whose capacitance is too
    large to hold in memory: its memory is ``O(n G)`` where the dense capacitance needs ``min(n, G p)^2``.

    The preconditioner is the Newton matrix with the loss coupling between groups kept only among
    the most coupled groups ``S`` (largest ``trace(L_g^T Q_gg L_g)``, at most ``KRYLOV_DENSE_SIZE``
    variables; all groups when they fit, which makes it exact) and left out between all others:
    a group outside ``S`` is solved with ``Q_gg = M_g^T M_g`` (constant, computed once) by the same
    Woodbury formula (``p x p`` capacitances ``T_g = I + L_g^T Q_gg L_g``), the groups in ``S``
    together with ``F_S = [M_g L_g]_{g in S}`` (``n x |S| p``) and ``I + F_S^T F_S``. Products with the
    full matrix are masked products with ``X`` (``8 n G p`` flops), so nothing of size ``(G p)^2`` or
    ``n^2`` is formed. The barrier terms, which make the system ill-conditioned late in the
    iterations, live inside the blocks and are inverted exactly.
    """

    def __init__(self, maps: Maps, H: Tensor, Qgg: Tensor, shift: float = 1.0):
        super().__init__(maps, H, shift)
        self.Qgg = Qgg  # (p, p, G) batch-last
        L = lapack_layout(self.L)
        T = L.transpose(1, 2) @ lapack_layout(Qgg) @ L  # (G, p, p)
        coupling = T.diagonal(dim1=1, dim2=2).sum(-1)
        T = batch_last(T)
        T.diagonal(dim1=0, dim2=1).add_(1)
        self.Tinv = spd_inverse(T)
        _n, d, G, m1 = maps.sizes
        keep = min(G, settings.KRYLOV_DENSE_SIZE // (m1 * d))
        self.S = torch.argsort(coupling, descending=True)[:keep]
        if keep:
            self.maps_S = maps.subset(self.S)
            self.F = self.maps_S.masked_product(self.L[..., self.S].contiguous())  # (n, |S| p)
            self.data_space = self.F.shape[0] <= self.F.shape[1]  # the smaller capacitance (no cancellation)
            self.factor_S = cholesky_dense(outer_gram(self.F) if self.data_space else self.F.T @ self.F)

    def _loss_correction(self, w: Tensor) -> Tensor:
        Qw = block_matvec(self.Qgg, w)
        c = block_matvec(self.Tinv, block_matvec(self.L, Qw, transpose=True))
        out = Qw - block_matvec(self.Qgg, block_matvec(self.L, c))
        if len(self.S):  # M_S^T (I + F F^T)^{-1} M_S w_S, in data space or as M_S^T (v - F (I + F^T F)^{-1} F^T v)
            v = self.maps_S.loss(w.index_select(0, self.S))
            if self.data_space:
                v = torch.cholesky_solve(v.unsqueeze(-1), self.factor_S)[:, 0]
            else:
                v = v - self.F @ torch.cholesky_solve((self.F.T @ v).unsqueeze(-1), self.factor_S)[:, 0]
            out.index_copy_(0, self.S, self.maps_S.output_adjoint(v).reshape(len(self.S), -1))
        return out

    def solve(self, rhs: Tensor, refinements: int | None = None, target: float = math.inf) -> Tensor:
        """``rhs (2, G, k) -> dx (2, G, k)`` by GMRES right-preconditioned by the group solve, restarted
        every ``KRYLOV_RESTART`` steps, until the residual's norm is at most ``target`` and
        ``KRYLOV_TOL`` relative to ``rhs`` (``KRYLOV_TOL_PREDICTOR`` when ``refinements == 0``: the
        predictor), or ``KRYLOV_MAX_ITER`` steps (the interior-point iterations measure their own
        residuals, so an inexact direction costs progress, not correctness). GMRES, not CG: late in the
        iterations the preconditioner is accurate only to about ``cond * eps`` and no longer exactly
        symmetric, and CG then stagnates."""
        predictor = refinements == 0
        tol = (settings.KRYLOV_TOL_PREDICTOR if predictor else settings.KRYLOV_TOL) * float(rhs.norm())
        if not predictor:
            tol = min(target, tol)
        dx = torch.zeros_like(rhs)
        residual = rhs.reshape(-1).clone()
        norm = float(residual.norm())
        while norm > tol and self.iterations < settings.KRYLOV_MAX_ITER:
            dx.add_(self._gmres_cycle(residual, norm, tol).reshape(rhs.shape))
            residual = (rhs - self.matvec(dx)).reshape(-1)
            norm = float(residual.norm())
        return dx

    def _gmres_cycle(self, residual: Tensor, norm: float, tol: float) -> Tensor:
        """One cycle of at most ``KRYLOV_RESTART`` right-preconditioned GMRES steps for the flat
        ``residual`` (of norm ``norm``): the correction, flat. The basis (a few hundred vectors of
        ``2 G k`` entries, small beside the data) is orthogonalized by two passes of classical
        Gram-Schmidt (matrix products, no loop over the basis); the small least-squares problem is
        solved by Givens rotations on the CPU."""
        m = min(settings.KRYLOV_RESTART, settings.KRYLOV_MAX_ITER - self.iterations)
        shape = (2,) + tuple(self.H.shape[3:]) + (self.H.shape[0],)
        V = residual.new_empty(m + 1, residual.numel())
        Z = residual.new_empty(m, residual.numel())
        V[0] = residual / norm
        givens = _Givens(m, norm)
        j = 0
        for j in range(m):
            Z[j] = self._woodbury(V[j].reshape(shape)).reshape(-1)
            w = self.matvec(Z[j].reshape(shape)).reshape(-1)
            h = V[: j + 1] @ w
            w -= V[: j + 1].T @ h
            h2 = V[: j + 1] @ w
            w -= V[: j + 1].T @ h2
            beta = float(w.norm())
            self.iterations += 1
            if givens.add_column((h + h2).cpu().numpy(), beta) <= tol or beta == 0:
                break
            if j + 1 < m:
                V[j + 1] = w / beta
        coef = givens.solution()
        return torch.as_tensor(coef, dtype=Z.dtype, device=Z.device) @ Z[: j + 1]


class _Givens:
    """The small least-squares problem of GMRES, ``min ||norm e1 - H c||`` over Hessenberg columns
    added one at a time and reduced by Givens rotations (numpy, float64)."""

    def __init__(self, m: int, norm: float):
        self.R = np.zeros((m + 1, m))
        self.cs, self.sn, self.g = np.zeros(m), np.zeros(m), np.zeros(m + 1)
        self.g[0] = norm
        self.columns = 0

    def add_column(self, column: np.ndarray, beta: float) -> float:
        """Append the Hessenberg column ``(column, beta)``; returns the new residual norm."""
        j, cs, sn = self.columns, self.cs, self.sn
        for i in range(j):  # previous rotations
            top, bottom = column[i], column[i + 1]
            column[i], column[i + 1] = cs[i] * top + sn[i] * bottom, -sn[i] * top + cs[i] * bottom
        radius = math.hypot(column[j], beta)
        cs[j], sn[j] = (column[j] / radius, beta / radius) if radius > 0 else (1.0, 0.0)
        self.R[: j + 1, j] = column
        self.R[j, j] = radius
        self.g[j + 1], self.g[j] = -sn[j] * self.g[j], cs[j] * self.g[j]
        self.columns += 1
        return abs(self.g[j + 1])

    def solution(self) -> np.ndarray:
        """The coefficients ``c`` of the columns added so far."""
        j = self.columns
        return scipy.linalg.solve_triangular(self.R[:j, :j], self.g[:j])


NewtonFactory = Callable[[Tensor, float], Newton]


def newton_solver(maps: Maps, linear_solver: str, Q: Tensor | None = None) -> NewtonFactory:
    """The Newton-system solver for ``maps``, made from the block Hessians ``H`` and a shift multiplier:
    preconditioned GMRES for ``linear_solver="iterative"``, else ("direct") a dense capacitance in
    data space when ``n <= G p``, or in block space with the constant ``Q = M^T M`` (computed here
    when not given)."""
    n, d, G, m1 = maps.sizes
    if linear_solver == "iterative":
        Qgg = maps.group_gram()
        return lambda H, shift: _IterativeNewton(maps, H, Qgg, shift)
    if n <= G * m1 * d:
        return lambda H, shift: _DataSpaceNewton(maps, H, shift)
    Q = maps.loss_gram() if Q is None else Q
    return lambda H, shift: _BlockSpaceNewton(maps, H, Q, shift)


def group_slice(Q: Tensor, idx: Tensor, p: int) -> Tensor:
    """The rows and columns of groups ``idx`` of ``Q (G p, G p)`` (``p x p`` blocks): ``(len(idx) p)^2``."""
    G = Q.shape[0] // p
    blocks = Q.view(G, p, G, p).index_select(0, idx).index_select(2, idx)
    return blocks.reshape(len(idx) * p, len(idx) * p)
