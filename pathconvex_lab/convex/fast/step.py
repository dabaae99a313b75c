"""One Newton step: Mehrotra's predictor-corrector with Nesterov-Todd scaling (the scheme of CVXOPT's
``coneqp``, Vandenberghe 2010), plus Gondzio's centrality corrector where the Newton solver says it
pays.

The linearized KKT system ``P dx + G^T dz = -r_x``, ``G dx + ds = -r_z``,
``lam o (W dz + W^{-1} ds) = b_s`` is reduced to ``(P + G^T W^{-2} G) dx = rhs``; on the cone rows
``W^{-2} = z / s``, on the second-order cones the NT matrices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import settings
from .cones import NTScaling, arrow_solve, jordan
from .kernels import FactorizationError
from .maps import Maps
from .newton import Newton, NewtonFactory
from .state import State

Tensor = torch.Tensor


@dataclass(frozen=True)
class Residuals:
    """KKT residuals at an iterate (scaled units): ``r_x (2, G, k)`` of the dual equation
    ``P x + q + G^T z = 0``, ``r_zl (2, G, q)`` and ``r_zq (2, G, k)`` of the primal ``G x + s = h``,
    the complementarity measure ``mu`` and the dual residual's largest entry ``dual``."""

    r_x: Tensor
    r_zl: Tensor
    r_zq: Tensor
    mu: float
    dual: float


@dataclass(frozen=True)
class Step:
    """A Newton step: its ``direction`` (``None`` after a breakdown), the step length ``alpha`` (NaN
    for a non-finite direction), the Krylov steps of its linear solves and the correctors kept."""

    direction: State | None
    alpha: float
    linear_iterations: int
    correctors: int


class _Linearization:
    """The scaled Newton system at the iterate ``st``: its NT scaling and its linear solver."""

    def __init__(self, maps: Maps, st: State, newton: NewtonFactory, res: Residuals, shift: float):
        self.maps, self.st, self.res = maps, st, res
        self.nt = NTScaling.of(st.sq, st.zq)
        H = self.nt.inverse_square()
        H[..., 1:, 1:] += maps.row_gram(st.zl / st.sl)
        self.solver: Newton = newton(H, shift)

    def direction(self, b_sl: Tensor, b_sq: Tensor, refinements: int) -> State:
        """The direction for the complementarity right-hand sides ``b_sl (2, G, q)`` and
        ``b_sq (2, G, k)``. The reduced system's residual is exactly the error left in the dual
        equation, so refinement aims well below the current dual residual."""
        maps, st, res, nt = self.maps, self.st, self.res, self.nt
        _n, d, G, m1 = maps.sizes
        u_q = nt.apply_inverse(arrow_solve(nt.lam, b_sq))  # W^{-1} (lam \ b_s)
        rhs = nt.apply_inverse_square(res.r_zq).add_(u_q).sub_(res.r_x)
        a_l = (st.zl * res.r_zl).add_(b_sl).div_(st.sl)
        rhs[..., 1:] += maps.rows_adjoint(a_l).reshape(2, G, m1 * d)
        dx = self.solver.solve(rhs, refinements, 1e-2 * res.dual)
        dV = dx[..., 1:].reshape(2, G, m1, d)
        dsl = maps.rows(dV, maps.xv(dV)).sub_(res.r_zl)
        dzl = (b_sl - st.zl * dsl).div_(st.sl)
        dsq = dx - res.r_zq
        return State(dx, dsl, dzl, dsq, u_q - nt.apply_inverse_square(dsq))


def newton_step(maps: Maps, st: State, newton: NewtonFactory, res: Residuals, shift: float = 1.0) -> Step:
    """One Mehrotra predictor-corrector step from ``st`` with the Newton solver ``newton`` (block
    Hessians factorized with ``shift`` times the usual diagonal shift)."""
    system = _Linearization(maps, st, newton, res, shift)
    nt = system.nt
    lam2 = jordan(nt.lam, nt.lam)
    sz = st.sl * st.zl
    predictor = system.direction(-sz, -lam2, 0)  # it only sets the centring: no refinement
    sigma_mu = (1 - min(1.0, st.max_step(predictor))) ** 3 * res.mu
    b_sl = sz.addcmul_(predictor.sl, predictor.zl).sub_(sigma_mu).neg_()
    b_sq = lam2.add_(jordan(nt.apply_inverse(predictor.sq), nt.apply(predictor.zq))).neg_()
    b_sq[..., 0] += sigma_mu
    direction = system.direction(b_sl, b_sq, settings.MAX_REFINEMENTS)
    direction, alpha, corrected = _centrality_correctors(system, direction, b_sl, b_sq, sigma_mu)
    alpha = settings.STEP_FRACTION * alpha
    return Step(direction, alpha if math.isnan(alpha) else min(1.0, alpha), system.solver.iterations, corrected)


def _centrality_correctors(
    system: _Linearization, direction: State, b_sl: Tensor, b_sq: Tensor, sigma_mu: float
) -> tuple[State, float, int]:
    """Gondzio's correctors: aim ``CORRECTOR_GAIN`` further than the step ``direction`` reaches and
    re-centre the cone rows that would block it; returns the direction kept, its step to the boundary
    and the number of correctors kept."""
    st = system.st
    alpha = st.max_step(direction)
    corrected = 0
    low, high = settings.CORRECTOR_LOW * sigma_mu, settings.CORRECTOR_HIGH * sigma_mu
    for _ in range(system.solver.correctors):
        if not alpha < 1.0:
            break
        aim = min(1.0, alpha + settings.CORRECTOR_GAIN)
        v = (st.sl + aim * direction.sl) * (st.zl + aim * direction.zl)
        trial = system.direction(b_sl + v.clamp(low, high).sub_(v).clamp_min_(-high), b_sq, settings.MAX_REFINEMENTS)
        alpha_trial = st.max_step(trial)
        if not alpha_trial >= alpha + settings.CORRECTOR_ACCEPT * settings.CORRECTOR_GAIN:
            break
        direction, alpha, corrected = trial, alpha_trial, corrected + 1
    return direction, alpha, corrected


def checked_step(maps: Maps, st: State, newton: NewtonFactory, res: Residuals) -> tuple[str, Step]:
    """:func:`newton_step`, tried again with ``REGULARIZATION_RETRY`` times the diagonal shift when a
    factorization breaks down: ``(reason, step)``, the reason empty unless the step failed (a second
    breakdown, or a non-finite direction)."""
    reason = ""
    for shift in (1.0, settings.REGULARIZATION_RETRY):
        try:
            step = newton_step(maps, st, newton, res, shift=shift)
        except FactorizationError as exc:
            reason = str(exc)
            continue
        return ("non-finite Newton direction" if math.isnan(step.alpha) else ""), step
    return reason, Step(None, math.nan, 0, 0)
