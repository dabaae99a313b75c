"""The working set of groups: the groups in the Newton system ("shrinking", as SVM solvers do it).

Groups that are likely not in the solution (both blocks nearly zero once the certified gap is
moderate) leave the system and keep their state as it was. The result is still certified over *all*
groups: a left-out group's bound uses its last cone multipliers (any nonnegative multipliers give a
valid bound), and groups that the full certificate finds violated come back.
"""

from __future__ import annotations

import torch

from . import settings
from .certify import Certificate, certify_blocks, sharpen_multipliers
from .maps import Maps
from .newton import group_slice, newton_solver
from .state import State, warm_state

Tensor = torch.Tensor


class WorkingSet:
    """The groups in the Newton system, their maps, state and Newton solver.

    ``idx`` holds the working groups' indices in the full problem (``None``: all of them); ``maps``,
    ``st`` and ``newton`` are those of the working groups, ``full_maps`` and ``full_st`` those of all.
    """

    def __init__(self, maps: Maps, st: State, linear_solver: str):
        self.full_maps, self.full_st = maps, st
        self.idx: Tensor | None = None
        self.maps, self.st = maps, st
        self.linear_solver = linear_solver
        n, d, G, m1 = maps.sizes
        # block-space capacitance: M^T M over all groups, computed once (working sets take slices)
        self.full_Q = maps.loss_gram() if linear_solver == "direct" and n > G * m1 * d else None
        self.newton = newton_solver(maps, linear_solver, self.full_Q)
        self.may_shrink = G >= settings.SHRINK_MIN_GROUPS

    @property
    def size(self) -> int:
        """Number of working groups."""
        return self.maps.sizes[2]

    @property
    def complete(self) -> bool:
        """Whether every group is in the working set."""
        return self.idx is None

    def full_blocks(self, V: Tensor) -> Tensor:
        """Working blocks ``V (2, G_w, m1, d)`` as full-size blocks (zero for groups left out)."""
        if self.idx is None:
            return V
        out = V.new_zeros((2, self.full_maps.sizes[2]) + tuple(V.shape[2:]))
        return out.index_copy_(1, self.idx, V)

    def shrinkable(self, V: Tensor, cert: Certificate) -> Tensor | None:
        """Working groups to leave out now (bool ``(G_w,)``), or ``None``."""
        if not self.may_shrink or cert.gap > settings.SHRINK_GAP:
            return None
        norms = V.flatten(2).norm(dim=-1).amax(0)
        if float(norms.max()) == 0:
            return None
        drop = norms <= settings.SHRINK_NORM * norms.max()
        count = int(drop.sum())
        return drop if settings.SHRINK_FRACTION * self.size <= count < self.size else None

    def shrink(self, drop: Tensor) -> None:
        """Leave out the working groups marked in ``drop``."""
        keep = torch.nonzero(~drop).flatten()
        self.may_shrink = False  # once: each shrink perturbs the iterate a little
        self._use(keep if self.idx is None else self.idx[keep])

    def certificate(self, V_full: Tensor, cert_working: Certificate) -> Certificate:
        """The certificate over all groups of full-size blocks ``V_full`` (current multipliers for the
        working groups, last ones for the others). Left-out groups whose bound exceeds every working
        group's first get sharper multipliers (:func:`~.certify.sharpen_multipliers`)."""
        self._write_back()
        cert = certify_blocks(self.full_maps, V_full, self.full_st.zl)
        high = self._left_out() & (cert.bound.amax(0) > cert_working.bound.max())
        if self.idx is None or not bool(high.any()):
            return cert
        groups = torch.nonzero(high).flatten()
        sub = self.full_maps.subset(groups)
        res = self.full_maps.output(self.full_maps.xv(V_full)) - self.full_maps.y
        c = sub.output_adjoint(res).reshape(len(groups), -1)
        zl = sharpen_multipliers(sub, torch.stack([-c, c]), self.full_st.zl.index_select(1, groups))
        self.full_st.zl.index_copy_(1, groups, zl)
        return certify_blocks(self.full_maps, V_full, self.full_st.zl)

    def bring_back(self, V_full: Tensor, cert_full: Certificate, cert_working: Certificate) -> None:
        """Add the left-out groups whose bound in ``cert_full`` exceeds every working group's (all of
        them when none does) and restart from ``V_full`` (scaled units, full size), warm; no
        shrinking afterwards."""
        out = self._left_out()
        violated = out & (cert_full.bound.amax(0) > cert_working.bound.max())
        back = violated if bool(violated.any()) else out
        self.may_shrink = False
        self._restart(torch.nonzero(~out | back).flatten(), V_full)

    def bring_back_all(self, V_full: Tensor) -> None:
        """Return every left-out group and restart from ``V_full`` (warm); no shrinking afterwards."""
        self.may_shrink = False
        self._restart(torch.arange(self.full_maps.sizes[2], device=V_full.device), V_full)

    def _restart(self, idx: Tensor, V_full: Tensor) -> None:
        """Work on the groups ``idx`` from a warm state at ``V_full`` (scaled units, full size)."""
        self._use(idx)
        self.st = warm_state(self.maps, V_full.index_select(1, idx))
        if self.idx is None:
            self.full_st = self.st

    def _left_out(self) -> Tensor:
        """Bool ``(G,)``: the groups not in the working set."""
        out = torch.ones(self.full_maps.sizes[2], dtype=torch.bool, device=self.full_maps.X.device)
        if self.idx is not None:
            out[self.idx] = False
        return out

    def _write_back(self) -> None:
        """Copy the working groups' state into the full state."""
        if self.idx is not None:
            for full, working in zip(self.full_st.fields(), self.st.fields()):
                full.index_copy_(1, self.idx, working)

    def _use(self, idx: Tensor) -> None:
        """Make the groups ``idx`` the working set (all groups when ``idx`` holds every index)."""
        self._write_back()
        self.idx = None if len(idx) == self.full_maps.sizes[2] else idx
        if self.idx is None:
            self.maps, self.st = self.full_maps, self.full_st
        else:
            self.maps = self.full_maps.subset(idx)
            self.st = State(*(v.index_select(1, idx) for v in self.full_st.fields()))
        Q = self.full_Q
        if Q is not None and self.idx is not None:
            Q = group_slice(Q, self.idx, self.maps.sizes[1] * self.maps.sizes[3])
        self.newton = newton_solver(self.maps, self.linear_solver, Q)
