"""Experiments that train networks beside the convex programs: the default route from data to the
best network the kit can find (:func:`solve_route`) and the sparsity of nonconvex training along a
regularization path (:func:`nonconvex_sparsity`).

This module sits above :mod:`pathconvex_lab.convex` and :mod:`pathconvex_lab.train`: the convex
programs never train networks and training never solves a program; what needs both lives here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import check_int
from .convex.betas import check_betas, effective_count, resolve_m1
from .convex.program import check_problem
from .convex.results import ConvexResult
from .convex.route import (
    ROUTE_TOL,
    RouteOptions,
    RouteResult,
    RouteRound,
    exact_route,
    grow_route,
    route_options,
)
from .nets import ParallelReLUNet
from .train import train

#: Adam learning rate of the route's trained starts.
START_LR = 1e-2
#: Adam learning rate of the route's polish of a convex solution's network (a local move).
POLISH_LR = 1e-3


# --------------------------------------------------------------------------- the default route


def trained_starts(X: np.ndarray, y: np.ndarray, beta: float, options: RouteOptions, *, networks: int, subnets: int,
                   steps: int) -> tuple[list[ParallelReLUNet], list[float]]:
    """``networks`` short Adam runs of ``steps`` steps from networks of ``subnets`` sub-networks
    (seeds ``options.seed, options.seed + 1, ...``) on ``X (n, d)``, ``y (n,)``; returns the best
    networks and their objectives. A stop request or Ctrl-C (which :func:`train` absorbs) ends the
    runs and sets ``options.stop_event``, so the route stops too."""
    widths = (X.shape[1], 1) if options.layers == 2 else (X.shape[1], options.m1, 1)
    nets, objectives = [], []
    for k in range(networks):
        seed = options.seed + k
        run = train(ParallelReLUNet(widths, subnets, seed=seed), X, y, beta, steps=steps, lr=START_LR, progress=False,
                    seed=seed, stop_event=options.stop_event)
        nets.append(run.net)
        objectives.append(float(run.best_objective))
        if run.stopped:
            options.stop_event.set()
            break
    return nets, objectives


def adam_polish(X: np.ndarray, y: np.ndarray, beta: float, steps: int,
                stop_event: threading.Event) -> Callable[[ConvexResult, int], ParallelReLUNet]:
    """The route's polish: ``polish(result, seed)`` runs ``steps`` Adam steps at :data:`POLISH_LR`
    from ``result.network()`` on ``X (n, d)``, ``y (n,)`` and returns the best network reached."""

    def polish(result: ConvexResult, seed: int) -> ParallelReLUNet:
        return train(result.network(), X, y, beta, steps=steps, lr=POLISH_LR, progress=False, seed=seed,
                     stop_event=stop_event).net

    return polish


def solve_route(
    X: Any,
    y: Any,
    beta: Any,
    *,
    layers: int = 2,
    m1: int | None = None,
    tol: float = ROUTE_TOL,
    time_limit: float = 60.0,
    bound_time: float | None = None,
    networks: int = 2,
    subnets: int | None = None,
    steps: int = 1000,
    add_per_round: int = 50,
    seed: int = 0,
    initial: Any = None,
    progress: bool = True,
    stop_event: threading.Event | None = None,
    callback: Callable[[RouteRound], Any] | None = None,
    round_bounds: bool = False,
    solver: str = "auto",
) -> RouteResult:
    """The best network the kit can find for ``(X, y, beta)``, and a bracket on the optimum
    (the route of :mod:`pathconvex_lab.convex.route`, with trained starting networks).

    Args:
        X, y, beta: data ``(n, d)`` (bias as a column), targets ``(n,)``, regularization > 0.
        layers: 2 (weight decay) or 3 (path norm with ``m1`` neurons per sub-network, default 2).
        tol: relative gap under which the result is "certified optimal".
        time_limit: seconds for training and growth: no solve starts that would end after it (by
            the last solve's time). The route stops growing when no violating neuron is found or at
            the time limit.
        bound_time: seconds for the final lower bound (default a quarter of ``time_limit``, a
            twentieth for data of rank above ``SLOW_BOUND_RANK``, where the branch and bound
            gains little per second).
        networks, subnets, steps: the trained starts (``networks`` Adam runs of ``steps`` steps
            with ``subnets`` sub-networks, default 200 for two layers, 100 for three); the polish
            of each convex solution's network runs ``steps`` Adam steps too.
        add_per_round: violating groups added per solve.
        initial: extra starting groups (a ``Groups`` object, e.g. from a previous beta).
        progress: a tqdm bar over the solves. Ctrl-C or ``stop_event`` stops and keeps the best.
        callback: called with each :class:`~pathconvex_lab.convex.route.RouteRound` as it ends
            (e.g. to draw the bracket live).
        round_bounds: also prove a lower bound after every solve (a branch and bound of
            ``bound_time / 10`` seconds each), so the bracket can be watched closing.
        solver: backend of each convex solve (``"auto"``: the fast torch solver for large programs).
    Returns:
        :class:`~pathconvex_lab.convex.route.RouteResult`; its network never has a higher objective
        than the trained starts.
    """
    start = time.perf_counter()
    X, y, beta = check_problem(X, y, beta)
    options = route_options(X, layers=layers, m1=m1, tol=tol, time_limit=time_limit, bound_time=bound_time,
                            add_per_round=add_per_round, seed=seed, solver=solver, progress=progress,
                            stop_event=stop_event, callback=callback, round_bounds=round_bounds)
    networks = check_int(networks, "networks", minimum=0)
    subnets = check_int(subnets if subnets is not None else (200 if options.layers == 2 else 100), "subnets", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    exact = exact_route(X, y, beta, options, start) if initial is None else None
    if exact is not None:
        return exact
    nets, objectives = trained_starts(X, y, beta, options, networks=networks, subnets=subnets, steps=steps)
    return grow_route(X, y, beta, options, nets=nets, objectives=objectives, initial=initial,
                      polish=adam_polish(X, y, beta, steps, options.stop_event), start=start)


# --------------------------------------------------------------------------- nonconvex sparsity


@dataclass(frozen=True, eq=False)
class NonconvexSparsity:
    """Nonconvex training at each ``beta`` (:func:`nonconvex_sparsity`): ``(B,)`` arrays of the best
    objective, the number of sub-networks with nonzero path norm (``active``, out of
    ``num_subnets``) and the participation number ``effective`` of their norms; ``seconds`` of work."""

    betas: np.ndarray
    objectives: np.ndarray
    active: np.ndarray
    effective: np.ndarray
    num_subnets: int
    seconds: float

    def __repr__(self) -> str:
        rows = "\n".join(f"  {b:10.4g}  {o:12.8f}  {a:6d}  {e:9.2f}"
                         for b, o, a, e in zip(self.betas, self.objectives, self.active, self.effective))
        return (f"NonconvexSparsity(K={self.num_subnets}, {self.seconds:.1f} s)\n"
                f"        beta     objective  active  effective\n{rows}")


def active_count(norms: np.ndarray, rtol: float) -> int:
    """How many of the sub-network norms ``norms (K,)`` are above ``rtol`` times the largest (0 when all are 0)."""
    top = float(norms.max(initial=0.0))
    return int((norms > rtol * top).sum()) if top > 0 else 0


def nonconvex_sparsity(
    X: Any, y: Any, betas: Any, layers: int = 3, m1: int | None = None, *, num_subnets: int = 50,
    steps: int = 2000, lr: float = 1e-2, seed: int = 0, rtol: float = 1e-6, device: Any = "cpu",
) -> NonconvexSparsity:
    """Train a :class:`~pathconvex_lab.nets.ParallelReLUNet` with ``num_subnets`` sub-networks at each
    ``beta`` (Adam, full batch, path norm with the proximal step on the output weights, which
    zeroes unused sub-networks exactly) and count the sub-networks it uses: ``active`` (path norm
    above ``rtol`` times the largest, :func:`active_count`) and the participation number
    (:func:`~pathconvex_lab.convex.betas.effective_count`). Compare with
    :attr:`~pathconvex_lab.convex.path.RegularizationPath.subnetworks` at the same ``beta``."""
    X, y, _ = check_problem(X, y, 1.0)
    m1 = resolve_m1(layers, m1)
    values = check_betas(betas)
    widths = (X.shape[1], 1) if layers == 2 else (X.shape[1], m1, 1)
    start = time.perf_counter()
    objectives, active, effective = [], [], []
    for beta in values:
        net = ParallelReLUNet(widths, num_subnets, seed=seed)
        out = train(net, X, y, float(beta), steps=steps, lr=lr, prox=True, progress=False, device=device, seed=seed)
        norms = out.net.path_norms().detach().cpu().numpy()
        objectives.append(out.best_objective)
        active.append(active_count(norms, rtol))
        effective.append(effective_count(norms))
    return NonconvexSparsity(values, np.array(objectives), np.array(active), np.array(effective), num_subnets,
                             time.perf_counter() - start)


__all__ = [
    "solve_route", "trained_starts", "adam_polish", "nonconvex_sparsity", "NonconvexSparsity", "active_count",
    "START_LR", "POLISH_LR",
]
