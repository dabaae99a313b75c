"""The interior-point iterate: primal blocks, slacks and multipliers, and its starting points."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import settings
from .cones import soc_inverse_step
from .maps import Maps

Tensor = torch.Tensor


@dataclass
class State:
    """Primal ``x (2, G, k)`` (``t``, then ``V`` flattened), slacks and multipliers of the cone rows
    ``(2, G, q)`` and of the second-order cones ``(2, G, k)``. A Newton direction has the same form."""

    x: Tensor
    sl: Tensor
    zl: Tensor
    sq: Tensor
    zq: Tensor

    def fields(self) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """``(x, sl, zl, sq, zq)``."""
        return self.x, self.sl, self.zl, self.sq, self.zq

    def blocks(self, maps: Maps) -> Tensor:
        """The blocks ``V (2, G, m1, d)`` of ``x`` (a view)."""
        _n, d, G, m1 = maps.sizes
        return self.x[..., 1:].reshape(2, G, m1, d)

    def max_step(self, direction: State) -> float:
        """Largest ``alpha`` keeping every slack and multiplier of ``self + alpha direction`` in its cone
        (``inf`` if unbounded, NaN for a non-finite direction)."""
        inverse = torch.stack(
            [
                (-direction.sl / self.sl).max(),
                (-direction.zl / self.zl).max(),
                soc_inverse_step(self.sq, direction.sq).max(),
                soc_inverse_step(self.zq, direction.zq).max(),
            ]
        ).max()
        inverse = float(inverse)
        return 1 / inverse if inverse > 0 else (math.inf if inverse <= 0 else math.nan)

    def advance(self, direction: State, alpha: float) -> None:
        """``self += alpha direction``, in place."""
        for value, delta in zip(self.fields(), direction.fields()):
            value.add_(delta, alpha=alpha)


def initial_state(maps: Maps) -> State:
    """``V = 0`` with every slack, epigraph and multiplier set to ``max(START_SLACK, beta)`` (unit data,
    scaled ``beta``)."""
    _n, d, G, m1 = maps.sizes
    start = max(settings.START_SLACK, maps.beta)
    x = maps.X.new_zeros(2, G, m1 * d + 1)
    x[..., 0] = start
    sl = (start + (1 - start) * maps.dummy).expand(2, -1, -1).clone()
    return State(x, sl, torch.full_like(sl, start), x.clone(), x.clone())


def warm_state(maps: Maps, V0: Tensor) -> State:
    """Start at the blocks ``V0 (2, G, m1, d)`` (scaled units), pushed into the cones' interiors by
    ``WARM_MARGIN``; multipliers as in the cold start."""
    _n, _d, G, _m1 = maps.sizes
    st = initial_state(maps)
    x = st.x
    x[..., 1:] = V0.reshape(2, G, -1)
    x[..., 0] = x[..., 1:].norm(dim=-1) + settings.WARM_MARGIN
    st.sq = x.clone()
    st.sl = maps.rows(V0, maps.xv(V0)).clamp_min(0) + settings.WARM_MARGIN + maps.dummy
    return st
