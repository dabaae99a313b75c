"""The default route from data to the best network the kit can find, with an honest bracket.

:func:`solve_route` is what ``solve`` does when it is not told which groups to use:

1. **exact**, when the complete group set is small: solve the program over every group; the
   certificate then proves the optimum;
2. otherwise **trained + grown**: train a few short seeded networks, take the groups their
   neurons realize, solve the program over them with the fast solver, and grow: price the whole
   arrangement (the certificate over every group where the arrangement can be enumerated, a
   local search for violating neurons where it cannot), add the violating groups, solve again;
3. **bound**: where the arrangement cannot be enumerated, a branch and bound over the sphere
   (:func:`~pathconvex_lab.convex.pricing.support_upper_bound`) gives ``sigma_bar >= sigma_A(r)``
   and so a certified lower bound on the optimum.

Every result carries ``upper_bound`` (attained by its network), ``lower_bound`` (valid over all
groups, or ``None``), ``relative_gap``, ``certified`` and ``route``, and says in words which of
"certified optimal", "bracketed: p* in [L, U]" or "optimal over the given groups only" holds.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._validate import check_int, check_positive
from ..errors import InconsistentBoundWarning, ProblemTooLargeError, SolverError, SolverFallbackWarning
from .certificate import certify_outputs, dual_lower_bound
from .groups import group_keys, network_weights, subset_groups, union_groups
from .pricing import (
    PricingBound,
    search_neurons,
    search_subnetworks,
    subnetwork_values,
    support_upper_bound,
)
from .program import check_problem, check_solver
from .results import ConvexResult, solve_groups

#: Largest complete group set solved directly (program over every group; 10,767 groups of iris
#: with two features take ~17 s on one CPU thread).
EXACT_GROUPS = 12_000
#: Programs with more groups x rows are not pruned by the route (Caratheodory pruning of the 500
#: groups of a diabetes solve, 442 rows, takes ~13 s on one CPU thread, a fifth of the default time
#: limit; DS1's 409 groups of 6 rows take milliseconds).
PRUNE_MAX_SIZE = 100_000
#: Above this rank the branch and bound tightens slowly (a box halves only after rank - 1 splits):
#: the route then spends less of its time on the final bound by default.
SLOW_BOUND_RANK = 6
#: Default relative gap at which the route calls a result certified.
ROUTE_TOL = 1e-6
#: Seconds of branch and bound that a stopped or interrupted route still spends on its bracket.
STOPPED_BOUND_SECONDS = 0.5
#: Relative amount by which a lower bound may exceed the attained objective through rounding alone.
BOUND_SLACK = 1e-9


def status_words(lower: float | None, upper: float, certified: bool) -> str:
    """What a bracket proves, in words: "certified optimal", "bracketed: p* in [L, U]" or
    "optimal over the given groups only" (no valid lower bound)."""
    if certified:
        return "certified optimal"
    if lower is None:
        return "optimal over the given groups only"
    return f"bracketed: p* in [{lower:.8g}, {upper:.8g}]"


def relative_gap(lower: float | None, upper: float) -> float | None:
    """``(U - L) / |U|`` (``None`` without a lower bound; 0 when both are 0)."""
    if lower is None:
        return None
    gap = max(0.0, upper - lower)
    return gap / abs(upper) if upper != 0 else (0.0 if gap == 0 else math.inf)


@dataclass(frozen=True)
class RouteRound:
    """One solve of the route: groups in the program, its objective (an upper bound), the best
    pricing value found over ``beta`` (``> 1``: a better network exists), the groups added after
    it, and the lower bound known then (``None`` until one is proved)."""

    round: int
    groups: int
    upper_bound: float
    ratio: float
    added: int
    lower_bound: float | None
    seconds: float


@dataclass(frozen=True, eq=False)
class RouteResult:
    """The best network found and what is proved about it.

    Attributes:
        upper_bound: the path-regularized objective ``1/2 ||f - y||^2 + beta R`` of :attr:`net`.
        lower_bound: a lower bound on the optimum over ALL groups (``None`` when none is proved).
        relative_gap: ``(upper - lower) / upper`` (``None`` without a lower bound).
        certified: ``relative_gap <= tol`` over all groups.
        route: which route ran (``"exact"``, ``"trained+grown, exact pricing"``,
            ``"trained+grown, search pricing, branch-and-bound bound"``).
        status: the words of :func:`status_words`.
        result: the last convex solution (its groups, blocks and certificate); None when the route
            was stopped before its first convex solve finished (then ``net`` is the best trained start).
        net: the network attaining ``upper_bound`` (a trained one if no convex solution beat it).
        start_objectives: objectives of the trained networks the route started from.
        rounds: one :class:`RouteRound` per solve.
        bound: the branch-and-bound result behind ``lower_bound`` (``None`` on the exact routes).
        stopped: why the growth ended.
    """

    upper_bound: float
    lower_bound: float | None
    relative_gap: float | None
    certified: bool
    route: str
    status: str
    tol: float
    beta: float
    layers: int
    m1: int
    result: ConvexResult | None = field(repr=False)
    net: Any = field(repr=False)
    start_objectives: tuple[float, ...]
    rounds: tuple[RouteRound, ...]
    bound: PricingBound | None
    stopped: str
    seconds: float

    def network(self) -> Any:
        """The :class:`~pathconvex_lab.nets.ParallelReLUNet` attaining :attr:`upper_bound`."""
        return self.net

    def as_dict(self) -> dict[str, Any]:
        """The bracket and route as plain JSON-ready values."""
        return {
            "upper_bound": self.upper_bound,
            "lower_bound": self.lower_bound,
            "relative_gap": self.relative_gap,
            "certified": self.certified,
            "route": self.route,
            "status": self.status,
            "start_objectives": list(self.start_objectives),
            "rounds": len(self.rounds),
            "stopped": self.stopped,
            "bound_method": None if self.bound is None else self.bound.method,
        }

    def verdict(self) -> str:
        """One plain sentence on what is proved."""
        if self.certified:
            return f"certified optimal: no network does better than {self.upper_bound:.8g} by more than {self.tol:g} (relative)"
        if self.lower_bound is None:
            return ("optimal over the given groups only: no bound over all networks was proved")
        return (f"bracketed: the best possible objective lies in [{self.lower_bound:.8g}, {self.upper_bound:.8g}] "
                f"(relative gap {self.relative_gap:.3g}); this network attains the upper end")

    def __repr__(self) -> str:
        model = "two-layer" if self.layers == 2 else f"three-layer, m1={self.m1}"
        starts = ", ".join(f"{v:.6g}" for v in self.start_objectives) or "none"
        return (f"RouteResult({model}, beta={self.beta:g}: {self.verdict()};\n"
                f"  route: {self.route}; {len(self.rounds)} solves, stopped: {self.stopped}; "
                f"trained starts: {starts}; {self.seconds:.1f} s)")


# --------------------------------------------------------------------------- pieces


def _exact_groups(X: np.ndarray, m1: int, limit: int) -> Any | None:
    """The complete group set when it has at most ``limit`` groups (``None`` otherwise). Two
    layers: the patterns are enumerated up to 4 ``limit`` (Cover's estimate overcounts repeated
    and degenerate rows: iris with two features has 10,767 patterns, estimated 13,574)."""
    from .. import arrangements as arr
    from .groups import resolve_groups

    try:
        if m1 == 1:
            groups = arr.groups_from_patterns(arr.enumerate_patterns(X, max_patterns=4 * limit))
        else:
            groups, _ = resolve_groups(X, m1, "exact", max_groups=limit)
    except ProblemTooLargeError:
        return None
    except SolverError as exc:  # an LP of the three-layer enumeration failed: take the search route
        warnings.warn(f"exact groups unavailable ({exc}); the route searches instead", SolverFallbackWarning,
                      stacklevel=3)
        return None
    return groups if groups.count <= limit else None


def _trained_starts(X: np.ndarray, y: np.ndarray, beta: float, m1: int, layers: int, *, networks: int, subnets: int,
                    steps: int, seed: int, stop_event: threading.Event | None) -> tuple[list[Any], list[float]]:
    """``networks`` short Adam runs (seeds ``seed, seed + 1, ...``); returns the nets and objectives."""
    from ..nets import ParallelReLUNet
    from ..train import train

    widths = (X.shape[1], 1) if layers == 2 else (X.shape[1], m1, 1)
    nets, objectives = [], []
    for k in range(networks):
        run = train(ParallelReLUNet(widths, subnets, seed=seed + k), X, y, beta, steps=steps, lr=1e-2,
                    progress=False, seed=seed + k, stop_event=stop_event)
        nets.append(run.net)
        objectives.append(float(run.best_objective))
        if run.stopped:  # a stop request or Ctrl-C (which train absorbs): the route stops too
            if stop_event is not None:
                stop_event.set()
            break
    return nets, objectives


def _network_groups(X: np.ndarray, nets: list[Any]) -> Any:
    """The union of the groups realized by the networks' sub-networks."""
    from ..arrangements import groups_from_network

    out = None
    for net in nets:
        V, sigma, _ = network_weights(net)
        g = groups_from_network(X, V, sigma)
        out = g if out is None else union_groups(out, g, method="network")
    return out


def _searched_groups(X: np.ndarray, r: np.ndarray, result: ConvexResult, current: Any, m1: int, beta: float,
                     tol: float, add: int, seed: int) -> tuple[Any | None, float]:
    """Up to ``add`` groups outside ``current`` of the best violating atoms a local search finds
    from random starts and the current sub-networks (``None`` when none beats ``beta (1 + tol)``),
    and the best value found over beta."""
    from ..arrangements import groups_from_network

    w = result.network_weights(1e-6)
    if m1 == 1:
        W = w["layers"][0][:, :, 0]
        init = W + 0.05 * np.random.default_rng(seed).standard_normal(W.shape) * np.linalg.norm(W, axis=1, keepdims=True)
        U, values = search_neurons(X, r, starts=1000, init=init, seed=seed)
        V, sigma = U[:, :, None], np.ones((len(U), 1), dtype=np.int8)
    else:
        init = (w["layers"][0], np.where(w["layers"][1][:, :, 0] < 0, -1, 1))
        V, sigma, values = search_subnetworks(X, r, m1, starts=500, init=init, seed=seed)
    ratio = float(values.max(initial=0.0)) / beta
    keep = np.flatnonzero(values > beta * (1 + tol))
    if keep.size == 0:
        return None, ratio
    found = groups_from_network(X, V[keep], sigma[keep])  # deduplicated: many starts end in one group
    known = set(group_keys(current))
    fresh = [g for g, key in enumerate(group_keys(found)) if key not in known]
    if not fresh:
        return None, ratio
    best = subnetwork_values(X, r, found.V, found.sigma)[0].max(axis=0)[fresh]  # the best first
    fresh = np.asarray(fresh)[np.argsort(-best, kind="stable")][:add]
    return subset_groups(found, fresh), ratio


def _polished_groups(X: np.ndarray, y: np.ndarray, beta: float, result: ConvexResult, current: Any, add: int,
                     steps: int, seed: int, stop_event: threading.Event) -> Any | None:
    """Up to ``add`` groups outside ``current`` (largest sub-networks first) that Adam reaches from
    the convex solution's network in ``steps`` steps at a small learning rate (``None`` if none): a
    local move that finds better neurons where the search finds no violating one."""
    from ..train import train

    run = train(result.network(), X, y, beta, steps=steps, lr=1e-3, progress=False, seed=seed, stop_event=stop_event)
    found = _network_groups(X, [run.net])
    known = set(group_keys(current))
    fresh = np.array([g for g, key in enumerate(group_keys(found)) if key not in known], dtype=np.int64)
    if fresh.size == 0:
        return None
    weight = np.sqrt((found.V[fresh] ** 2).sum(axis=(1, 2)))  # the largest moved sub-networks first
    return subset_groups(found, fresh[np.argsort(-weight, kind="stable")][:add])


def _bound_group(X: np.ndarray, bound: PricingBound, current: Any, beta: float, tol: float) -> Any | None:
    """The group of the branch and bound's best direction when it violates (``None`` otherwise)."""
    from ..arrangements import groups_from_network

    if bound.direction is None or bound.incumbent <= beta * (1 + tol):
        return None
    found = groups_from_network(X, bound.direction[None, :, None], np.ones((1, 1), dtype=np.int8))
    known = set(group_keys(current))
    return None if group_keys(found)[0] in known else found


def _best(result: ConvexResult, X: np.ndarray, y: np.ndarray, beta: float) -> tuple[Any, float]:
    """The network of a convex result, pruned to at most ``n + 1`` sub-networks (merge and
    Caratheodory) unless pruning raised its objective or the program has more than
    ``PRUNE_MAX_SIZE`` groups x rows (then ``result.prune()`` does it on request), and that
    network's objective."""
    from ..nets import network_objective

    net = result.network()
    value = float(network_objective(net, X, y, beta))
    if net.num_subnets <= X.shape[0] + 1 or result.num_groups * X.shape[0] > PRUNE_MAX_SIZE:
        return net, value
    pruned = result.prune(drop_tol=1e-9).network()  # only solver-noise blocks out
    pruned_value = float(network_objective(pruned, X, y, beta))
    return (pruned, pruned_value) if pruned_value <= value * (1 + 1e-7) else (net, value)


# --------------------------------------------------------------------------- the route


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
    """The best network the kit can find for ``(X, y, beta)``, and a bracket on the optimum.

    Args:
        X, y, beta: data ``(n, d)`` (bias as a column), targets ``(n,)``, regularization > 0.
        layers: 2 (weight decay) or 3 (path norm with ``m1`` neurons per sub-network, default 2).
        tol: relative gap under which the result is "certified optimal".
        time_limit: seconds for training and growth: no solve starts that would end after it (by
            the last solve's time). The route stops growing when no violating neuron is found or at
            the time limit.
        bound_time: seconds for the final lower bound (default a quarter of ``time_limit``, a
            twentieth for data of rank above :data:`SLOW_BOUND_RANK`, where the branch and bound
            gains little per second).
        networks, subnets, steps: the trained starts (``networks`` Adam runs of ``steps`` steps
            with ``subnets`` sub-networks, default 200 for two layers, 100 for three).
        add_per_round: violating groups added per solve.
        initial: extra starting groups (a ``Groups`` object, e.g. from a previous beta).
        progress: a tqdm bar over the solves. Ctrl-C or ``stop_event`` stops and keeps the best.
        callback: called with each :class:`RouteRound` as it ends (e.g. to draw the bracket live).
        round_bounds: also prove a lower bound after every solve (a branch and bound of
            ``bound_time / 10`` seconds each), so the bracket can be watched closing.
        solver: backend of each convex solve (``"auto"``: the fast torch solver for large programs).
    Returns:
        :class:`RouteResult`; its network never has a higher objective than the trained starts.
    """
    from tqdm.auto import tqdm

    from ..nets import network_objective

    start = time.perf_counter()
    X, y, beta = check_problem(X, y, beta)
    layers = check_int(layers, "layers", minimum=2, maximum=3)
    m1 = 1 if layers == 2 else check_int(2 if m1 is None else m1, "m1", minimum=1)
    tol = check_positive(tol, "tol")
    time_limit = check_positive(time_limit, "time_limit")
    if bound_time is None:
        bound_time = time_limit / 4 if np.linalg.matrix_rank(X) <= SLOW_BOUND_RANK else time_limit / 20
    bound_time = check_positive(bound_time, "bound_time")
    networks = check_int(networks, "networks", minimum=0)
    subnets = check_int(subnets if subnets is not None else (200 if layers == 2 else 100), "subnets", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    stop_event = stop_event or threading.Event()
    solver = check_solver(solver)

    pool = _exact_groups(X, m1, EXACT_GROUPS)
    if pool is not None and initial is None:
        return _exact_route(X, y, beta, layers, m1, pool, tol, bound_time, start, stop_event, solver)

    nets, start_objectives = _trained_starts(X, y, beta, m1, layers, networks=networks, subnets=subnets, steps=steps,
                                             seed=seed, stop_event=stop_event)
    groups = _network_groups(X, nets) if nets else None
    if initial is not None:
        groups = initial if groups is None else union_groups(groups, initial, method="network")
    if groups is None:  # no starts at all: a few random directions
        from ..arrangements import sample_groups

        groups = sample_groups(X, m1, 200, seed=seed)
    rounds: list[RouteRound] = []
    best: tuple[ConvexResult, float] | None = None
    stopped = "time limit"
    bar = tqdm(desc="route", unit="solve", disable=not progress)
    try:
        for k in range(10_000):
            t0 = time.perf_counter()
            result = solve_groups(X, y, beta, groups, layers=layers, source="route", solver=solver)
            value = float(network_objective(result.network(), X, y, beta))
            if best is None or value < best[1]:  # an inexact solve can end above an earlier one
                best = (result, value)
            new, ratio = _searched_groups(X, y - result.outputs(), result, groups, m1, beta, tol, add_per_round,
                                          seed + k)
            lower = None
            if round_bounds:
                lower = lower_bound_over_all_groups(X, y, beta, m1, result.outputs(), bound_time / 10, tol,
                                                    stop_event)[1]
            rounds.append(RouteRound(k, groups.count, result.objective, ratio, 0 if new is None else new.count, lower,
                                     time.perf_counter() - t0))
            if callback is not None:
                callback(rounds[-1])
            bar.update(1)
            bar.set_postfix(groups=groups.count, upper=f"{result.objective:.6g}", ratio=f"{ratio:.4g}")
            if new is None and m1 == 1 and not stop_event.is_set():  # the branch and bound prices exactly
                bound, _ = lower_bound_over_all_groups(X, y, beta, m1, result.outputs(), bound_time / 4, tol, stop_event)
                new = _bound_group(X, bound, groups, beta, tol)
            time_left = time.perf_counter() - start + rounds[-1].seconds < time_limit
            if new is None and not stop_event.is_set() and time_left:  # polish by Adam
                new = _polished_groups(X, y, beta, result, groups, add_per_round, steps, seed + k, stop_event)
            if stop_event.is_set():
                stopped = "stopped"
                break
            if new is None:
                stopped = "no better neuron found (search, branch and bound, Adam polish)" if time_left else "time limit"
                break
            if time.perf_counter() - start + rounds[-1].seconds > time_limit:  # another solve would overrun
                stopped = "time limit"
                break
            groups = union_groups(groups, new, method="route")
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        bar.close()
    if best is None and not start_objectives:
        raise KeyboardInterrupt("the route was interrupted before its first solve finished")
    result = None if best is None else best[0]
    net, upper, outputs = None, np.inf, None
    if result is not None:
        net, upper = _best(result, X, y, beta)
        outputs = result.outputs()  # the convex solution's own residual gives the tightest bound
    if start_objectives and min(start_objectives) < upper:  # never end above a start
        i = int(np.argmin(start_objectives))
        net, upper = nets[i], start_objectives[i]
        outputs = net.predict(X)
    if stopped in ("stopped", "interrupted"):  # asked to stop: a short bound, valid all the same
        bound_time = min(bound_time, STOPPED_BOUND_SECONDS)
        stop_event = threading.Event()
    bound, lower = lower_bound_over_all_groups(X, y, beta, m1, outputs, bound_time, tol, stop_event)
    return _finish(upper, lower, tol, "trained+grown, search pricing, branch-and-bound bound", beta, layers, m1,
                   result, net, start_objectives, rounds, bound, stopped, start)


def lower_bound_over_all_groups(X: np.ndarray, y: np.ndarray, beta: float, m1: int, outputs: Any, seconds: float,
                                tol: float = ROUTE_TOL, stop_event: threading.Event | None = None
                                ) -> tuple[PricingBound, float]:
    """A lower bound on the optimum over ALL groups from the residual ``r = y - outputs`` of any
    candidate (a network's ``predict(X)`` or a convex solution's ``outputs()``): the branch and
    bound's ``sigma_bar >= sigma_A(r)`` (``seconds`` of work) in the dual point ``lambda = t r``.
    Returns the bound's record and the lower bound."""
    r = y - np.asarray(outputs, dtype=np.float64)
    bound = support_upper_bound(X, r, m1, target=beta * (1 + tol / 2), time_limit=seconds, stop_event=stop_event)
    return bound, dual_lower_bound(r, y, beta, max(bound.upper, 0.0))[1]


def _finish(upper: float, lower: float | None, tol: float, route: str, beta: float, layers: int, m1: int,
            result: ConvexResult | None, net: Any, starts: list[float], rounds: list[RouteRound] | tuple,
            bound: PricingBound | None, stopped: str, start: float) -> RouteResult:
    """Assemble the result: the bracket (:func:`consistent_lower`), its gap, the verdict words."""
    lower = consistent_lower(lower, upper)
    gap = relative_gap(lower, upper)
    certified = gap is not None and gap <= tol
    return RouteResult(upper, lower, gap, certified, route, status_words(lower, upper, certified), tol, beta, layers,
                       m1, None if result is None else replace(result, exact=certified), net, tuple(starts),
                       tuple(rounds), bound, stopped,
                       time.perf_counter() - start)


def consistent_lower(lower: float | None, upper: float) -> float | None:
    """The lower bound to report beside an attained objective ``upper``: ``lower`` itself, or
    ``upper`` where rounding alone put it above. A lower bound above ``upper`` by more than
    rounding (``BOUND_SLACK``, relative) proves that some computation was wrong: it is dropped
    (None) with an :class:`InconsistentBoundWarning`, never clipped into a zero gap."""
    if lower is None or not np.isfinite(lower):
        return None
    if lower > upper + BOUND_SLACK * abs(upper):
        warnings.warn(f"the lower bound {lower:.10g} exceeds the objective {upper:.10g} that the returned network "
                      "attains; it is discarded and nothing is certified", InconsistentBoundWarning, stacklevel=3)
        return None
    return min(lower, upper)


def _path_norm(net: Any) -> float:
    """The path norm ``sum_k ||V_k||_F`` of a two- or three-layer network."""
    V, _, _ = network_weights(net)
    return float(np.sqrt((V**2).sum(axis=(1, 2))).sum())


def _exact_route(X: np.ndarray, y: np.ndarray, beta: float, layers: int, m1: int, pool: Any, tol: float,
                 bound_time: float, start: float, stop_event: threading.Event, solver: str) -> RouteResult:
    """Solve over the complete group set; bound by branch and bound (fast in low dimension) and,
    if that does not close the gap, by the exact certificate over every group."""
    result = solve_groups(X, y, beta, pool, layers=layers, solver=solver)
    net, upper = _best(result, X, y, beta)
    bound, lower = lower_bound_over_all_groups(X, y, beta, m1, result.outputs(), bound_time, tol, stop_event)
    route = "exact groups, branch-and-bound bound"
    gap = relative_gap(lower, upper)
    if gap is None or gap > tol:
        cert = certify_outputs(result.outputs(), result.penalty, X, y, beta, pool)
        if cert.sigma_exact and cert.lower_bound > lower:
            lower, route, bound = cert.lower_bound, "exact groups, certificate over every group", None
    rounds = (RouteRound(0, pool.count, result.objective, math.nan, 0, lower, time.perf_counter() - start),)
    return _finish(upper, lower, tol, route, beta, layers, m1, result, net, [], rounds, bound, "complete group set", start)


__all__ = [
    "ROUTE_TOL", "RouteResult", "RouteRound", "consistent_lower", "lower_bound_over_all_groups", "relative_gap", "solve_route", "status_words",
]
