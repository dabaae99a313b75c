"""The interior-point iterations: predictor-corrector steps on a shrinking working set of groups,
certified at every iterate, until the certified gap and violation reach the tolerance, a limit is
hit or progress stalls."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch

from ...errors import SolverError
from ..program import IterationRecord
from . import settings
from .certify import Certificate, certify
from .inputs import Options
from .maps import Maps
from .state import State
from .step import Residuals, checked_step
from .working_set import WorkingSet

Tensor = torch.Tensor


@dataclass(frozen=True)
class BestIterate:
    """The iterate with the smallest ``max(gap, violation)`` so far: full-size blocks ``V (2, G, m1, d)``
    (scaled units), its certificate, and whether that certificate covers every group."""

    V: Tensor
    cert: Certificate
    over_all_groups: bool

    def improved_by(self, cert: Certificate) -> bool:
        """Whether ``cert`` has a smaller ``max(gap, violation)`` than this iterate's."""
        return max(cert.gap, cert.violation) < max(self.cert.gap, self.cert.violation)


@dataclass(frozen=True)
class IpmOutcome:
    """What :func:`run_ipm` returns, in scaled units: full-size blocks ``U (2, G, m1, d)``, their
    certificate over all groups, the status ("optimal", "max_iter", "time_limit" or
    "precision_limit"), a message (empty when optimal) and one record per iteration."""

    U: Tensor
    cert: Certificate
    status: str
    message: str
    history: tuple[IterationRecord, ...]


@dataclass(frozen=True)
class _Point:
    """An iterate of the working groups: blocks ``V (2, G_w, m1, d)`` (a view of its state), their
    certificate, the KKT residuals and the primal residual's largest entry."""

    V: Tensor
    cert: Certificate
    res: Residuals
    primal_residual: float


def _measure(maps: Maps, st: State) -> _Point:
    """Certificate, complementarity and KKT residuals of ``P x + q + G^T z = 0`` (dual) and
    ``G x + s = h`` (primal) at ``st``."""
    _n, d, G, m1 = maps.sizes
    p = m1 * d
    V = st.blocks(maps)
    XV = maps.xv(V)
    res = maps.output(XV) - maps.y
    rows = maps.rows(V, XV)
    nu = maps.rows_adjoint(st.zl)
    c = maps.output_adjoint(res).reshape(G, p)
    cert = certify(maps, V, XV, rows, res, c, nu)
    mu = float((st.sl * st.zl).sum() + (st.sq * st.zq).sum()) / (st.sl.numel() + 2 * G)
    r_x = -st.zq
    r_x[..., 0] += maps.beta
    r_x[0, :, 1:] += c - nu[0].reshape(G, p)
    r_x[1, :, 1:] -= c + nu[1].reshape(G, p)
    r_zl = st.sl - rows - maps.dummy
    r_zq = st.sq - st.x
    primal = max(float(r_zl.abs().max()), float(r_zq.abs().max()))
    return _Point(V, cert, Residuals(r_x, r_zl, r_zq, mu, float(r_x.abs().max())), primal)


def run_ipm(maps: Maps, st: State, options: Options, start: float) -> IpmOutcome:
    """Mehrotra predictor-corrector iterations from ``st`` (at most ``options.max_iter`` Newton steps)
    on a shrinking working set of groups; ``start`` is the ``time.perf_counter()`` of the call, for
    the time limit and the history's seconds.

    Raises :class:`SolverError` when the method stalls in float64 short of ``options.tol``.
    """
    run = _Run(maps, st, options, start)
    for it in range(options.max_iter + 1):
        if run.iterate(it):
            break
    return run.finish()


class _Run:
    """The bookkeeping of one :func:`run_ipm`."""

    def __init__(self, maps: Maps, st: State, options: Options, start: float):
        self.ws = WorkingSet(maps, st, options.linear_solver)
        self.options, self.start = options, start
        self.history: list[IterationRecord] = []
        self.status, self.reason = "max_iter", ""
        self.best: BestIterate | None = None
        self.epoch = 0  # first iteration of the current problem: progress is measured from there
        self.small_steps = 0  # consecutive steps shorter than 1e-6
        self.drop: Tensor | None = None  # working groups to leave out before the next iteration

    def iterate(self, it: int) -> bool:
        """Iteration ``it``: measure and record the iterate, then stop, restart or take a step; returns
        whether the run stops."""
        if self.drop is not None:  # a new (smaller) problem: progress is measured afresh
            self.ws.shrink(self.drop)
            self.epoch, self.drop = it, None
        point = _measure(self.ws.maps, self.ws.st)
        self._record(it, point)
        if self.best is None or self.best.improved_by(point.cert):
            self.best = BestIterate(self.ws.full_blocks(point.V).clone(), point.cert, self.ws.complete)
        stalled = _stalled(self.history[self.epoch :])
        stall = f"no progress in the last {settings.STALL_ITERATIONS} iterations" if stalled else ""
        if not stall and point.cert.within(self.options.tol):
            return self._converged(it, point)
        if not stall:
            if self._out_of_budget(it):
                return True
            stall = self._step(point)
        if stall and not self.ws.complete:  # the smaller problem stalls: go back to all groups, warm
            self.ws.bring_back_all(self.ws.full_blocks(point.V))
            self.epoch, self.drop, self.small_steps = it + 1, None, 0
            return False
        if stall:
            self.status, self.reason = "stall", stall
        return bool(stall)

    def _record(self, it: int, point: _Point) -> None:
        """Append the iteration's record (the step's figures are filled in by :meth:`_step`)."""
        self.history.append(
            IterationRecord(
                iteration=it,
                seconds=time.perf_counter() - self.start,
                gap=point.cert.gap,
                violation=point.cert.violation,
                mu=point.res.mu,
                primal_residual=point.primal_residual,
                dual_residual=point.res.dual,
                groups=self.ws.size,
            )
        )
        if self.options.verbose:
            print(_log_line(point.cert.objective, self.history))

    def _converged(self, it: int, point: _Point) -> bool:
        """The working groups are solved: stop when the certificate over all groups agrees, else bring
        back the groups it finds violated; returns whether the run stops."""
        ws = self.ws
        if ws.complete:
            self.status, self.best = "optimal", BestIterate(point.V, point.cert, True)
            return True
        V_full = ws.full_blocks(point.V)
        full = ws.certificate(V_full, point.cert)
        if full.within(self.options.tol):
            self.status, self.best = "optimal", BestIterate(V_full, full, True)
            return True
        ws.bring_back(V_full, full, point.cert)  # left-out groups are needed after all: restart with them
        self.epoch, self.drop = it + 1, None
        return False

    def _out_of_budget(self, it: int) -> bool:
        """Whether the iteration or time limit is reached (the status says which)."""
        if it == self.options.max_iter:
            return True
        limit = self.options.time_limit
        if limit is not None and self.history[-1].seconds > limit:
            self.status = "time_limit"
            return True
        return False

    def _step(self, point: _Point) -> str:
        """Take a Newton step from ``point`` (planning a shrink first); returns why the step could not
        be taken ("" when it was)."""
        self.drop = self.ws.shrinkable(point.V, point.cert)
        reason, step = checked_step(self.ws.maps, self.ws.st, self.ws.newton, point.res)
        self.history[-1] = replace(self.history[-1], linear_iterations=step.linear_iterations,
                                   correctors=step.correctors, step_length=step.alpha)
        self.small_steps = self.small_steps + 1 if not reason and step.alpha < 1e-6 else 0
        if self.small_steps >= 3:
            reason = f"step length {step.alpha:.1e} three times in a row"
        if not reason:
            self.ws.st.advance(step.direction, step.alpha)
        return reason

    def finish(self) -> IpmOutcome:
        """The best iterate, certified over all groups, with its final status."""
        best = self.best
        cert = best.cert if best.over_all_groups else self.ws.certificate(best.V, best.cert)
        status = self._final_status(cert)
        dtype = self.ws.maps.X.dtype
        return IpmOutcome(best.V, cert, status, _message(status, self.reason, cert, dtype, self.options.tol),
                          tuple(self.history))

    def _final_status(self, cert: Certificate) -> str:
        """The status of a run that ended as ``self.status``: a stall is "optimal" when ``cert`` is within
        the tolerance, "precision_limit" at the precision of float32 or of ``PRECISION_FLOOR``, and
        raises :class:`SolverError` otherwise."""
        if self.status != "stall":
            return self.status
        if cert.within(self.options.tol):
            return "optimal"
        if self.ws.maps.X.dtype != torch.float64 or max(cert.gap, cert.violation) <= settings.PRECISION_FLOOR:
            return "precision_limit"
        last = self.history[-1]
        raise SolverError(
            f"fast interior-point solver stalled ({self.reason}) after {len(self.history) - 1} iterations: "
            f"gap {cert.gap:.2e}, violation {cert.violation:.2e}, mu {last.mu:.2e}; "
            f"primal residual {last.primal_residual:.2e}, dual residual {last.dual_residual:.2e}"
        )


def _log_line(objective: float, history: Sequence[IterationRecord]) -> str:
    """The verbose log line of the last iteration of ``history`` (with the step taken before it)."""
    h = history[-1]
    before = history[-2] if h.iteration else None
    inner = before.linear_iterations if before else 0
    step = f"{before.step_length if before else 0:.2f}{'c' if before and before.correctors else ''}"
    return (
        f"[fast] it {h.iteration:3d}  obj {objective:.10e}  gap {h.gap:.2e}  viol {h.violation:.2e}"
        f"  mu {h.mu:.2e}  pres {h.primal_residual:.1e}  dres {h.dual_residual:.1e}  groups {h.groups}"
        f"  inner {inner}  step {step}  t {h.seconds:.2f}s"
    )


def _stalled(history: Sequence[IterationRecord]) -> bool:
    """Whether the iterations ``history`` (of one problem, the last one current) stall: in the last
    ``STALL_ITERATIONS`` of them neither the merit ``max(gap, violation, primal and dual residuals)``
    nor ``mu`` (while above ``MU_FLOOR`` times its first value) fell below ``STALL_FACTOR`` times its
    value just before them."""
    count, factor = settings.STALL_ITERATIONS, settings.STALL_FACTOR
    if len(history) <= count:
        return False
    past, recent = history[-count - 1], history[-count:]

    def merit(h: IterationRecord) -> float:
        return max(h.gap, h.violation, h.primal_residual, h.dual_residual)

    if min(merit(h) for h in recent) < factor * merit(past):
        return False
    floor = settings.MU_FLOOR * history[0].mu
    return not any(floor < h.mu < factor * past.mu for h in recent)


def _message(status: str, reason: str, cert: Certificate, dtype: torch.dtype, tol: float) -> str:
    """One line saying why a result is not certified optimal (empty when it is)."""
    reached = f"gap {cert.gap:.1e}, violation {cert.violation:.1e} (tol {tol:.0e})"
    if status == "optimal":
        return ""
    if status == "precision_limit":
        return f"stopped by {str(dtype).replace('torch.', '')} precision ({reason}) at {reached}"
    return f"stopped by the {'iteration' if status == 'max_iter' else 'time'} limit at {reached}"
