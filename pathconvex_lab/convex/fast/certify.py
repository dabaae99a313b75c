"""The dual certificate of docs/mathematics.md §3.7 at an iterate, in scaled units.

At blocks ``V`` with residual ``r = y - f(V)`` the point ``lambda = tau r`` is dual feasible once
``sigma_hat`` bounds, for every block, ``max{(A_b^T r) . W : W in C_b, ||W||_F <= 1}``. For any
``mu >= 0`` and ``theta >= 0``, ``||A_b^T r + theta G_b^T mu||`` is such a bound, because
``(G_b^T mu) . W >= 0`` on the cone; the solver's own cone multipliers give it, with the best
``theta`` in closed form (``theta = 0`` is the cone-free bound ``||A_b^T r||``). At the optimum the
bound is tight, so the certificate is exact in the limit, not merely sufficient.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..certificate import dual_value
from . import settings
from .maps import Maps, relative_violation

Tensor = torch.Tensor


@dataclass(frozen=True)
class Certificate:
    """Objective, dual bound, relative gap and relative violation at one primal point (scaled units),
    with the per-block upper bounds ``bound (2, G)`` on the dual constraint's left side."""

    objective: float
    dual: float
    gap: float
    violation: float
    bound: Tensor

    def within(self, tol: float) -> bool:
        """Whether both the relative gap and the relative violation are at most ``tol``."""
        return self.gap <= tol and self.violation <= tol


def support_bound(c: Tensor, nu: Tensor) -> Tensor:
    """``min_{theta >= 0} ||c_b + theta nu_b||`` per block for ``c, nu (2, G, p)``: an upper bound on
    the block's support value when ``nu = G_b^T mu`` with ``mu >= 0`` (``theta = 0``: the cone-free one)."""
    theta = (-(c * nu).sum(-1) / nu.square().sum(-1).clamp_min(1e-300)).clamp_min(0)
    return (c + theta.unsqueeze(-1) * nu).norm(dim=-1)


def certify(maps: Maps, V: Tensor, XV: Tensor, rows: Tensor, res: Tensor, c: Tensor, nu: Tensor) -> Certificate:
    """The certificate at blocks ``V (2, G, m1, d)`` with residual ``res = f - y (n,)``, ``XV = X V``,
    cone ``rows (2, G, q)``, ``c = M_g^T res (G, p)`` and ``nu = G_b^T mu (2, G, m1, d)`` for cone
    multipliers ``mu >= 0`` (the solver's own; any nonnegative ones give a valid bound)."""
    r = -res
    bound = support_bound(torch.stack([-c, c]), nu.flatten(2))
    rr, ry = float(r @ r), float(r @ maps.y)
    objective = 0.5 * rr + maps.beta * float(V.flatten(2).norm(dim=-1).sum())
    _tau, dual = dual_value(rr, ry, maps.beta, float(bound.max()))
    gap = (objective - dual) / max(abs(objective), 1e-300)
    return Certificate(objective, dual, gap, relative_violation(rows, XV), bound)


def certify_blocks(maps: Maps, V: Tensor, zl: Tensor) -> Certificate:
    """:func:`certify` of blocks ``V (2, G, m1, d)`` with cone multipliers ``zl (2, G, q)``."""
    _n, d, G, m1 = maps.sizes
    XV = maps.xv(V)
    res = maps.output(XV) - maps.y
    c = maps.output_adjoint(res).reshape(G, m1 * d)
    return certify(maps, V, XV, maps.rows(V, XV), res, c, maps.rows_adjoint(zl))


def sharpen_multipliers(maps: Maps, c: Tensor, mu: Tensor) -> Tensor:
    """Cone multipliers ``mu >= 0 (2, G, q)`` that lower each block's bound ``||c_b + G_b^T mu_b||``
    (``c (2, G, p)``): ``MULTIPLIER_STEPS`` steps of accelerated projected gradient on
    ``1/2 ||c_b + G_b^T mu_b||^2`` from ``mu``, step ``1 / lambda_max(G_b^T G_b)``; the best iterate
    per block (by :func:`support_bound`) is returned. Any ``mu >= 0`` is valid."""
    _n, d, G, m1 = maps.sizes
    gram = maps.row_gram(torch.ones_like(mu))  # G_b^T G_b, (2, G, p, p)
    step = 1 / torch.linalg.eigvalsh(gram)[..., -1].clamp_min(1e-300).unsqueeze(-1)

    def bound(m: Tensor) -> Tensor:
        return support_bound(c, maps.rows_adjoint(m).reshape(2, G, -1))

    steps = settings.MULTIPLIER_STEPS
    best, best_bound = mu.clone(), bound(mu)
    previous, current = mu, mu
    for k in range(1, steps + 1):
        z = current + (k - 1) / (k + 2) * (current - previous)
        W = (c + maps.rows_adjoint(z).reshape(2, G, -1)).reshape(2, G, m1, d)
        grad = maps.rows(W, maps.xv(W)) * (maps.dummy == 0)
        previous, current = current, (z - step * grad).clamp_min(0)
        if k % 20 == 0 or k == steps:
            b = bound(current)
            best = torch.where((b < best_bound).unsqueeze(-1), current, best)
            best_bound = torch.minimum(b, best_bound)
    return best


