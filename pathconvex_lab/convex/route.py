"""The convex side of the default route from data to the best network the kit can find, with an
honest bracket. :func:`pathconvex_lab.experiments.solve_route` trains the starting networks and
runs it:

1. **exact** (:func:`exact_route`), when the complete group set is small: solve the program over
   every group; the certificate then proves the optimum;
2. otherwise **trained + grown** (:func:`grow_route`): take the groups the starting networks'
   neurons realize, solve the program over them with the fast solver, and grow: price the whole
   arrangement (a local search for violating neurons, the branch and bound for two layers, and
   a polish of the solution's network by a few training steps), add the violating groups, solve
   again;
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
from collections.abc import Callable, Sequence
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
from .program import check_solver
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
#: Why the growth ended when no pricing found a better neuron before the time limit.
NO_BETTER_NEURON = "no better neuron found (search, branch and bound, Adam polish)"
#: ``polish(result, seed)``: a network moved from ``result.network()`` by a few training steps.
Polish = Callable[[ConvexResult, int], Any]


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
            was stopped before its first convex solve finished (then ``net`` is the best start).
        net: the network attaining ``upper_bound`` (a starting one if no convex solution beat it).
        start_objectives: objectives of the (trained) networks the route started from.
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


@dataclass(frozen=True)
class RouteOptions:
    """Checked settings of a route (:func:`route_options`), shared by its steps.

    Attributes:
        layers, m1: 2 layers (``m1 = 1``) or 3 layers with ``m1`` neurons per sub-network.
        tol: relative gap under which a result is "certified optimal".
        time_limit, bound_time: seconds for the growth and for the final lower bound.
        add_per_round: violating groups added per solve.
        seed: seed of the searches (round ``k`` uses ``seed + k``).
        solver: backend of each convex solve.
        stop_event: set to stop the route (it keeps the best so far).
        progress, callback, round_bounds: a tqdm bar; a call per :class:`RouteRound`; a lower bound
            after every solve.
    """

    layers: int
    m1: int
    tol: float
    time_limit: float
    bound_time: float
    add_per_round: int
    seed: int
    solver: str
    stop_event: threading.Event
    progress: bool
    callback: Callable[[RouteRound], Any] | None
    round_bounds: bool


def route_options(
    X: np.ndarray, *, layers: Any = 2, m1: Any = None, tol: Any = ROUTE_TOL, time_limit: Any = 60.0,
    bound_time: Any = None, add_per_round: int = 50, seed: int = 0, solver: str = "auto", progress: bool = True,
    stop_event: threading.Event | None = None, callback: Callable[[RouteRound], Any] | None = None,
    round_bounds: bool = False,
) -> RouteOptions:
    """Check the settings of a route on data ``X (n, d)``. ``bound_time`` defaults to a quarter of
    ``time_limit``, a twentieth for data of rank above :data:`SLOW_BOUND_RANK` (where the branch and
    bound gains little per second); ``m1`` to 2 for three layers; ``stop_event`` to a new event."""
    layers = check_int(layers, "layers", minimum=2, maximum=3)
    m1 = 1 if layers == 2 else check_int(2 if m1 is None else m1, "m1", minimum=1)
    tol = check_positive(tol, "tol")
    time_limit = check_positive(time_limit, "time_limit")
    if bound_time is None:
        bound_time = time_limit / 4 if np.linalg.matrix_rank(X) <= SLOW_BOUND_RANK else time_limit / 20
    bound_time = check_positive(bound_time, "bound_time")
    return RouteOptions(layers, m1, tol, time_limit, bound_time, add_per_round, seed, check_solver(solver),
                        stop_event or threading.Event(), progress, callback, round_bounds)


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


def _network_groups(X: np.ndarray, nets: Sequence[Any]) -> Any:
    """The union of the groups realized by the networks' sub-networks."""
    from ..arrangements import groups_from_network

    out = None
    for net in nets:
        V, sigma, _ = network_weights(net)
        g = groups_from_network(X, V, sigma)
        out = g if out is None else union_groups(out, g, method="network")
    return out


def _starting_groups(X: np.ndarray, nets: Sequence[Any], initial: Any, options: RouteOptions) -> Any:
    """The groups of the starting networks and ``initial`` (a ``Groups`` object or None); without
    either, 200 sampled groups."""
    groups = _network_groups(X, nets) if nets else None
    if initial is not None:
        groups = initial if groups is None else union_groups(groups, initial, method="network")
    if groups is None:  # no starts at all: a few random directions
        from ..arrangements import sample_groups

        groups = sample_groups(X, options.m1, 200, seed=options.seed)
    return groups


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


def _polished_groups(X: np.ndarray, net: Any, current: Any, add: int) -> Any | None:
    """Up to ``add`` groups outside ``current`` (largest sub-networks first) that the polished
    network ``net`` realizes (``None`` if none): a local move that finds better neurons where the
    search finds no violating one."""
    found = _network_groups(X, [net])
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


# --------------------------------------------------------------------------- growth


@dataclass
class _Growth:
    """The state of the growth: the groups of the next solve, the best convex solution so far and
    its network's objective, the rounds, and why the growth ended."""

    groups: Any
    best: tuple[ConvexResult, float] | None = None
    rounds: list[RouteRound] = field(default_factory=list)
    stopped: str = "time limit"


def _solve_round(X: np.ndarray, y: np.ndarray, beta: float, growth: _Growth, options: RouteOptions,
                 k: int) -> tuple[ConvexResult, Any | None]:
    """Round ``k``: solve over the current groups, search for violating groups, record the
    :class:`RouteRound` (and call the callback). Returns the solution and the groups found (or None)."""
    from ..nets import network_objective

    t0 = time.perf_counter()
    result = solve_groups(X, y, beta, growth.groups, layers=options.layers, source="route", solver=options.solver)
    value = float(network_objective(result.network(), X, y, beta))
    if growth.best is None or value < growth.best[1]:  # an inexact solve can end above an earlier one
        growth.best = (result, value)
    new, ratio = _searched_groups(X, y - result.outputs(), result, growth.groups, options.m1, beta, options.tol,
                                  options.add_per_round, options.seed + k)
    lower = None
    if options.round_bounds:
        lower = lower_bound_over_all_groups(X, y, beta, options.m1, result.outputs(), options.bound_time / 10,
                                            options.tol, options.stop_event)[1]
    growth.rounds.append(RouteRound(k, growth.groups.count, result.objective, ratio, 0 if new is None else new.count,
                                    lower, time.perf_counter() - t0))
    if options.callback is not None:
        options.callback(growth.rounds[-1])
    return result, new


def _priced_or_polished(X: np.ndarray, y: np.ndarray, beta: float, result: ConvexResult, growth: _Growth,
                        options: RouteOptions, polish: Polish | None, k: int, start: float) -> tuple[Any | None, bool]:
    """Where the search found nothing: the branch and bound's violating direction (two layers,
    where it prices exactly), then, with time left, the groups of the polished network. Returns the
    groups found (or None) and whether time was left before the polish."""
    new = None
    if options.m1 == 1 and not options.stop_event.is_set():
        bound, _ = lower_bound_over_all_groups(X, y, beta, options.m1, result.outputs(), options.bound_time / 4,
                                               options.tol, options.stop_event)
        new = _bound_group(X, bound, growth.groups, beta, options.tol)
    time_left = time.perf_counter() - start + growth.rounds[-1].seconds < options.time_limit
    if new is None and polish is not None and not options.stop_event.is_set() and time_left:
        new = _polished_groups(X, polish(result, options.seed + k), growth.groups, options.add_per_round)
    return new, time_left


def _stop_reason(new: Any | None, time_left: bool, growth: _Growth, options: RouteOptions,
                 start: float) -> str | None:
    """Why the growth ends after a round that found the groups ``new`` (None: it goes on);
    ``time_left`` is only read when ``new`` is None."""
    if options.stop_event.is_set():
        return "stopped"
    if new is None:
        return NO_BETTER_NEURON if time_left else "time limit"
    if time.perf_counter() - start + growth.rounds[-1].seconds > options.time_limit:  # another solve would overrun
        return "time limit"
    return None


def _grow(X: np.ndarray, y: np.ndarray, beta: float, growth: _Growth, options: RouteOptions, polish: Polish | None,
          start: float) -> None:
    """Solve, price and add groups until no better neuron is found, the time limit, a stop request
    or Ctrl-C (``growth.stopped`` says which)."""
    from tqdm.auto import tqdm

    bar = tqdm(desc="route", unit="solve", disable=not options.progress)
    try:
        for k in range(10_000):
            result, new = _solve_round(X, y, beta, growth, options, k)
            bar.update(1)
            bar.set_postfix(groups=growth.groups.count, upper=f"{result.objective:.6g}",
                            ratio=f"{growth.rounds[-1].ratio:.4g}")
            new, time_left = (new, True) if new is not None else \
                _priced_or_polished(X, y, beta, result, growth, options, polish, k, start)
            reason = _stop_reason(new, time_left, growth, options, start)
            if reason is not None:
                growth.stopped = reason
                break
            growth.groups = union_groups(growth.groups, new, method="route")
    except KeyboardInterrupt:
        growth.stopped = "interrupted"
    finally:
        bar.close()


def _final_network(X: np.ndarray, y: np.ndarray, beta: float, growth: _Growth, nets: Sequence[Any],
                   objectives: Sequence[float]) -> tuple[Any, float, np.ndarray]:
    """``(net, objective, outputs (n,))`` of the best of the convex solution's network and the
    starting networks. The final bound uses the residual of ``outputs``: the convex solution's own
    (the tightest bound) unless a start is better."""
    net, upper, outputs = None, np.inf, None
    if growth.best is not None:
        net, upper = _best(growth.best[0], X, y, beta)
        outputs = growth.best[0].outputs()
    if objectives and min(objectives) < upper:  # never end above a start
        i = int(np.argmin(objectives))
        net, upper = nets[i], objectives[i]
        outputs = net.predict(X)
    return net, upper, outputs


def grow_route(X: np.ndarray, y: np.ndarray, beta: float, options: RouteOptions, *, nets: Sequence[Any] = (),
               objectives: Sequence[float] = (), initial: Any = None, polish: Polish | None = None,
               start: float | None = None) -> RouteResult:
    """Grow the groups of starting networks into the best convex solution found, and bracket the optimum.

    Args:
        X, y, beta: data ``(n, d)``, targets ``(n,)`` and ``beta > 0``, as
            :func:`~pathconvex_lab.convex.program.check_problem` returns them.
        options: the route's settings (:func:`route_options`).
        nets, objectives: starting networks (e.g. trained ones) and their objectives; the result
            never ends above them.
        initial: extra starting groups (a ``Groups`` object, e.g. from a previous beta).
        polish: ``polish(result, seed)`` returns a network moved from ``result.network()``; its new
            groups are added where neither the search nor the branch and bound finds a violating
            one. None: no polish.
        start: :func:`time.perf_counter` when the route began (default now); the time limit counts from it.
    Returns:
        :class:`RouteResult` ("trained+grown, search pricing, branch-and-bound bound").
    """
    start = time.perf_counter() if start is None else start
    growth = _Growth(_starting_groups(X, nets, initial, options))
    _grow(X, y, beta, growth, options, polish, start)
    if growth.best is None and not objectives:
        raise KeyboardInterrupt("the route was interrupted before its first solve finished")
    net, upper, outputs = _final_network(X, y, beta, growth, nets, objectives)
    bound_time, stop_event = options.bound_time, options.stop_event
    if growth.stopped in ("stopped", "interrupted"):  # asked to stop: a short bound, valid all the same
        bound_time, stop_event = min(bound_time, STOPPED_BOUND_SECONDS), threading.Event()
    bound, lower = lower_bound_over_all_groups(X, y, beta, options.m1, outputs, bound_time, options.tol, stop_event)
    result = None if growth.best is None else growth.best[0]
    return _finish(upper, lower, "trained+grown, search pricing, branch-and-bound bound", beta, options, result, net,
                   objectives, growth.rounds, bound, growth.stopped, start)


def exact_route(X: np.ndarray, y: np.ndarray, beta: float, options: RouteOptions,
                start: float | None = None) -> RouteResult | None:
    """Solve over the complete group set when it has at most :data:`EXACT_GROUPS` groups (None
    otherwise); bound by branch and bound (fast in low dimension) and, if that does not close the
    gap, by the exact certificate over every group. Arguments as in :func:`grow_route`."""
    start = time.perf_counter() if start is None else start
    pool = _exact_groups(X, options.m1, EXACT_GROUPS)
    if pool is None:
        return None
    result = solve_groups(X, y, beta, pool, layers=options.layers, solver=options.solver)
    net, upper = _best(result, X, y, beta)
    bound, lower = lower_bound_over_all_groups(X, y, beta, options.m1, result.outputs(), options.bound_time,
                                               options.tol, options.stop_event)
    route = "exact groups, branch-and-bound bound"
    gap = relative_gap(lower, upper)
    if gap is None or gap > options.tol:
        cert = certify_outputs(result.outputs(), result.penalty, X, y, beta, pool)
        if cert.sigma_exact and cert.lower_bound > lower:
            lower, route, bound = cert.lower_bound, "exact groups, certificate over every group", None
    rounds = (RouteRound(0, pool.count, result.objective, math.nan, 0, lower, time.perf_counter() - start),)
    return _finish(upper, lower, route, beta, options, result, net, [], rounds, bound, "complete group set", start)


# --------------------------------------------------------------------------- the bracket


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


def _finish(upper: float, lower: float | None, route: str, beta: float, options: RouteOptions,
            result: ConvexResult | None, net: Any, starts: Sequence[float], rounds: Sequence[RouteRound],
            bound: PricingBound | None, stopped: str, start: float) -> RouteResult:
    """Assemble the result: the bracket (:func:`consistent_lower`), its gap, the verdict words."""
    lower = consistent_lower(lower, upper)
    gap = relative_gap(lower, upper)
    certified = gap is not None and gap <= options.tol
    return RouteResult(upper, lower, gap, certified, route, status_words(lower, upper, certified), options.tol, beta,
                       options.layers, options.m1, None if result is None else replace(result, exact=certified), net,
                       tuple(starts), tuple(rounds), bound, stopped, time.perf_counter() - start)


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


__all__ = [
    "EXACT_GROUPS", "ROUTE_TOL", "RouteOptions", "RouteResult", "RouteRound", "consistent_lower", "exact_route",
    "grow_route", "lower_bound_over_all_groups", "relative_gap", "route_options", "status_words",
]
