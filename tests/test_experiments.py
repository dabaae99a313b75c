"""The experiments that train networks beside the convex programs (pathconvex_lab.experiments): the
default route and nonconvex sparsity give the numbers they gave when they lived in
``pathconvex_lab.convex`` (recorded on small seeded problems), and their steps keep their promises."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from pathconvex_lab import data
from pathconvex_lab.convex.route import NO_BETTER_NEURON, grow_route, route_options
from pathconvex_lab.experiments import (
    active_count,
    adam_polish,
    nonconvex_sparsity,
    solve_route,
    trained_starts,
)
from pathconvex_lab.nets import ParallelReLUNet, network_objective
from pathconvex_lab.train import train
from reference_values import DS1_THREE_LAYER_M1_2_OPTIMUM, DS1_TWO_LAYER_OPTIMUM

pytestmark = pytest.mark.usefixtures("one_torch_thread")

#: ``(start objectives, [(groups, upper bound, groups added)] per round, upper bound)`` of the route
#: on ``small_data(5, 60, 6)``, beta 0.05, two starts of 100 steps with 20 sub-networks, stopped after
#: one and after two solves.
ROUTE_BEFORE = {
    1: ([13.586608720305566, 14.494799980381925], [(40, 3.136544015512076, 50)], 3.1365440143365753),
    2: ([13.586608720305566, 14.494799980381925], [(40, 3.136544015512076, 50), (90, 2.144787838669771, 50)],
        2.144787864657538),
}


def small_data(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return data.add_bias(rng.standard_normal((n, d - 1))), rng.standard_normal(n)


# --------------------------------------------------------------------------- the route


@pytest.mark.parametrize("solves", [1, 2])
def test_the_trained_route_gives_the_numbers_it_gave_before(solves):
    X, y = small_data(5, 60, 6)
    stop, seen = threading.Event(), []

    def callback(round_):
        seen.append(round_)
        if len(seen) >= solves:
            stop.set()

    route = solve_route(X, y, 0.05, time_limit=60.0, bound_time=1.0, networks=2, steps=100, subnets=20,
                        progress=False, stop_event=stop, callback=callback)
    starts, rounds, upper = ROUTE_BEFORE[solves]
    assert route.start_objectives == pytest.approx(starts, rel=1e-9)
    assert [r.groups for r in route.rounds] == [r[0] for r in rounds]
    assert [r.added for r in route.rounds] == [r[2] for r in rounds]
    assert [r.upper_bound for r in route.rounds] == pytest.approx([r[1] for r in rounds], rel=1e-9)
    assert route.upper_bound == pytest.approx(upper, rel=1e-9)
    assert route.stopped == "stopped" and route.route == "trained+grown, search pricing, branch-and-bound bound"
    assert route.lower_bound is None or route.lower_bound <= route.upper_bound


@pytest.mark.parametrize("layers, m1, optimum, route_words", [
    (2, None, DS1_TWO_LAYER_OPTIMUM, "exact groups, branch-and-bound bound"),
    (3, 2, DS1_THREE_LAYER_M1_2_OPTIMUM, "exact groups, certificate over every group"),
])
def test_the_exact_route_gives_the_certificate_and_verdict_it_gave_before(layers, m1, optimum, route_words):
    route = solve_route(*data.ds1(), 0.1, layers=layers, m1=m1, time_limit=20.0, progress=False)
    assert route.certified and route.route == route_words and route.stopped == "complete group set"
    assert route.status == "certified optimal" and route.verdict().startswith("certified optimal: no network")
    assert route.upper_bound == pytest.approx(optimum, rel=1e-7)
    assert route.lower_bound <= route.upper_bound and route.relative_gap <= 1e-6 and route.start_objectives == ()


def test_the_trained_starts_are_the_networks_train_gives():
    X, y = small_data(1, 30, 4)
    options = route_options(X, layers=3, m1=2, seed=4)
    nets, objectives = trained_starts(X, y, 0.1, options, networks=2, subnets=5, steps=30)
    for k, (net, objective) in enumerate(zip(nets, objectives)):
        direct = train(ParallelReLUNet((4, 2, 1), 5, seed=4 + k), X, y, 0.1, steps=30, progress=False, seed=4 + k)
        assert objective == direct.best_objective
        assert network_objective(net, X, y, 0.1) == pytest.approx(objective, rel=1e-9)
    assert not options.stop_event.is_set()


def test_a_stop_during_the_starts_ends_them_and_stops_the_route():
    X, y = small_data(1, 30, 4)
    stop = threading.Event()
    stop.set()
    options = route_options(X, stop_event=stop)
    nets, objectives = trained_starts(X, y, 0.1, options, networks=3, subnets=5, steps=30)
    assert len(nets) == len(objectives) == 1 and options.stop_event.is_set()


def test_the_polish_moves_the_convex_network_by_adam():
    from pathconvex_lab.convex import solve_two_layer

    X, y = data.ds1()
    result = solve_two_layer(X, y, 0.1, 50, seed=0)
    polished = adam_polish(X, y, 0.1, 40, threading.Event())(result, 3)
    direct = train(result.network(), X, y, 0.1, steps=40, lr=1e-3, progress=False, seed=3)
    assert network_objective(polished, X, y, 0.1) == pytest.approx(direct.best_objective, rel=1e-12)
    assert direct.best_objective <= network_objective(result.network(), X, y, 0.1) + 1e-12


def test_the_convex_route_without_training_starts_from_sampled_groups():
    X, y = small_data(3, 40, 5)
    options = route_options(X, time_limit=1.0, bound_time=0.4, progress=False)
    route = grow_route(X, y, 0.05, options)
    assert route.start_objectives == () and route.rounds and 0 < route.rounds[0].groups <= 200  # 200 draws
    assert route.stopped in (NO_BETTER_NEURON, "time limit")
    assert network_objective(route.network(), X, y, 0.05) == pytest.approx(route.upper_bound, rel=1e-9)


# --------------------------------------------------------------------------- nonconvex sparsity


@pytest.mark.parametrize("layers, m1, betas, subnets, steps, seed, before", [
    (3, 2, [0.05, 0.1], 10, 200, 1, ([0.5513037236203765, 0.7469344486391293], [10, 9],
                                     [4.258102558336039, 3.3094096663817467])),
    (2, None, [0.1], 8, 150, 0, ([0.9116721940576059], [6], [2.7833335588723283])),
])
def test_nonconvex_sparsity_gives_the_numbers_it_gave_before(layers, m1, betas, subnets, steps, seed, before):
    out = nonconvex_sparsity(*data.ds1(), betas, layers=layers, m1=m1, num_subnets=subnets, steps=steps, seed=seed)
    objectives, active, effective = before
    assert out.objectives == pytest.approx(objectives, rel=1e-9)
    assert out.active.tolist() == active
    assert out.effective == pytest.approx(effective, rel=1e-9)
    assert out.betas.tolist() == sorted(betas) and out.num_subnets == subnets


def test_active_count():
    assert active_count(np.array([1.0, 1e-7, 0.5]), 1e-6) == 2
    assert active_count(np.zeros(3), 1e-6) == 0
    assert active_count(np.zeros(0), 1e-6) == 0
