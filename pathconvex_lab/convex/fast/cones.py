"""Second-order cone algebra: Jordan products, Nesterov-Todd scaling and the step to the boundary.

Vectors of a cone of size ``k`` are the last axis, ``x = (x0, x1)``; ``J = diag(1, -1, ..., -1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

Tensor = torch.Tensor


def _soc_det(x: Tensor) -> Tensor:
    """``x^T J x = x0^2 - ||x1||^2``, as ``(x0 - ||x1||)(x0 + ||x1||)`` (accurate near the boundary)."""
    r = x[..., 1:].norm(dim=-1)
    return (x[..., 0] - r) * (x[..., 0] + r)


def _reflect(x: Tensor) -> Tensor:
    """``J x``."""
    out = -x
    out[..., 0] = x[..., 0]
    return out


def jordan(x: Tensor, y: Tensor) -> Tensor:
    """Jordan product ``x o y = (x . y, x0 y1 + y0 x1)``."""
    return torch.cat([(x * y).sum(-1, keepdim=True), x[..., :1] * y[..., 1:] + y[..., :1] * x[..., 1:]], -1)


def arrow_solve(lam: Tensor, b: Tensor) -> Tensor:
    """Solve ``lam o u = b`` for ``u`` (``lam`` interior to the cone)."""
    l0, l1, b0, b1 = lam[..., :1], lam[..., 1:], b[..., :1], b[..., 1:]
    u0 = (l0 * b0 - (l1 * b1).sum(-1, keepdim=True)) / _soc_det(lam).unsqueeze(-1)
    return torch.cat([u0, (b1 - u0 * l1) / l0], -1)


@dataclass
class NTScaling:
    """Nesterov-Todd scaling ``W = omega (2 v v^T - J)`` of second-order cones: ``W z = W^{-1} s = lam``.

    ``W^{-2} = (I + a a^T - b b^T) / omega^2`` with ``a = 2 |v| Jv - v / |v|`` and ``b = v / |v|``
    (expanding ``(2 Jv (Jv)^T - J)^2``); ``a`` and ``b`` are stored divided by ``omega``.
    """

    omega: Tensor  # (...,)
    v: Tensor  # (..., k)
    lam: Tensor  # (..., k)
    a: Tensor  # (..., k)
    b: Tensor  # (..., k)

    @classmethod
    def of(cls, s: Tensor, z: Tensor) -> NTScaling:
        """The scaling of the interior pair ``(s, z)`` (Vandenberghe 2010, §4)."""
        sn, zn = _soc_det(s).sqrt(), _soc_det(z).sqrt()
        sb, zb = s / sn.unsqueeze(-1), z / zn.unsqueeze(-1)
        gamma = ((1 + (sb * zb).sum(-1)) / 2).sqrt()
        wb = (sb + _reflect(zb)) / (2 * gamma.unsqueeze(-1))
        v = wb.clone()
        v[..., 0] += 1
        v /= (2 * (wb[..., 0] + 1)).sqrt().unsqueeze(-1)
        omega = (sn / zn).sqrt()
        norm = v.norm(dim=-1, keepdim=True)
        b = v / norm
        a = 2 * norm * _reflect(v) - b
        scaling = cls(omega, v, z, a / omega.unsqueeze(-1), b / omega.unsqueeze(-1))
        scaling.lam = scaling.apply(z)
        return scaling

    def apply(self, x: Tensor) -> Tensor:
        """``W x``."""
        return self.omega.unsqueeze(-1) * (2 * self.v * (self.v * x).sum(-1, keepdim=True) - _reflect(x))

    def apply_inverse(self, x: Tensor) -> Tensor:
        """``W^{-1} x = (2 J v v^T J - J) x / omega``."""
        jv = _reflect(self.v)
        return (2 * jv * (jv * x).sum(-1, keepdim=True) - _reflect(x)) / self.omega.unsqueeze(-1)

    def apply_inverse_square(self, x: Tensor) -> Tensor:
        """``W^{-2} x``."""
        out = x / self.omega.square().unsqueeze(-1)
        out.addcmul_(self.a, (self.a * x).sum(-1, keepdim=True))
        return out.addcmul_(self.b, (self.b * x).sum(-1, keepdim=True), value=-1)

    def inverse_square(self) -> Tensor:
        """The matrices ``W^{-2}``, shape ``(..., k, k)``."""
        mat = self.a.unsqueeze(-1) * self.a.unsqueeze(-2)
        mat.sub_(self.b.unsqueeze(-1) * self.b.unsqueeze(-2))
        mat.diagonal(dim1=-2, dim2=-1).add_(self.omega.square().reciprocal().unsqueeze(-1))
        return mat


def soc_inverse_step(x: Tensor, dx: Tensor) -> Tensor:
    """``1 / (largest alpha with x + alpha dx in the cone)`` per cone (``<= 0``: unbounded).

    A hyperbolic rotation maps ``x`` to ``sqrt(det x) e``; there ``e + alpha w`` leaves the cone at
    ``alpha = 1 / (||w1|| - w0)``.
    """
    nx = _soc_det(x).sqrt().unsqueeze(-1)
    xb, db = x / nx, dx / nx
    rho0 = xb[..., :1] * db[..., :1] - (xb[..., 1:] * db[..., 1:]).sum(-1, keepdim=True)
    rho1 = db[..., 1:] - ((rho0 + db[..., :1]) / (xb[..., :1] + 1)) * xb[..., 1:]
    return rho1.norm(dim=-1) - rho0[..., 0]
