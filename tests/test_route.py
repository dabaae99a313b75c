"""The default route and its bracket: the search, the branch-and-bound bound over all groups, the
lower bound's validity against exact optima and against every network, and the route's promises
(never above its starts; certified where the arrangement fits; three layers bracketed)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathconvex_lab import arrangements as arr
from pathconvex_lab import data
from pathconvex_lab.convex import solve_three_layer, solve_two_layer
from pathconvex_lab.convex.certificate import projection_support, support_function
from pathconvex_lab.convex.pricing import pricing_bound, search_neurons, search_subnetworks, support_upper_bound
from pathconvex_lab.convex.route import lower_bound_over_all_groups, relative_gap, status_words
from pathconvex_lab.errors import InputError
from pathconvex_lab.experiments import solve_route
from pathconvex_lab.nets import ParallelReLUNet, network_objective
from pathconvex_lab.train import train
from reference_values import (
    DS1_THREE_LAYER_M1_2_OPTIMA,
    DS1_TWO_LAYER_OPTIMUM,
    DS2_TWO_LAYER_OPTIMUM,
    DS4_8_TWO_LAYER_OPTIMUM,
)


def exact_pricing(X: np.ndarray, w: np.ndarray) -> float:
    """``max_{||u|| <= 1} w^T (X u)_+`` by enumerating every chamber and projecting on its cone."""
    groups = arr.groups_from_patterns(arr.enumerate_patterns(X))
    values = projection_support(X, w, groups.D1, groups.sigma, groups.D2)
    return max(0.0, float(values[0].max(initial=0.0)))


def small_data(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return data.add_bias(rng.standard_normal((n, d - 1))), rng.standard_normal(n)


# --------------------------------------------------------------------------- the bound


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(3, 10), d=st.integers(2, 4))
def test_branch_and_bound_brackets_the_exact_pricing_value(seed, n, d):
    X, w = small_data(seed, n, d)
    exact = exact_pricing(X, w)
    quick = pricing_bound(X, w, time_limit=1e6, max_nodes=50)  # stopped early: still valid
    full = pricing_bound(X, w, time_limit=1e6, max_nodes=20_000, rtol=1e-6)
    for bound in (quick, full):
        assert bound.upper >= exact - 1e-9 * max(1.0, exact)
        assert bound.incumbent <= exact + 1e-9 * max(1.0, exact)
    if full.closed:
        assert full.upper <= exact * (1 + 1e-5) + 1e-12
    if full.direction is not None:  # the incumbent is attained by the direction it reports
        value = float(w @ np.maximum(X @ full.direction, 0.0))
        assert value == pytest.approx(full.incumbent, rel=1e-9, abs=1e-12)
        assert np.linalg.norm(full.direction) == pytest.approx(1.0)


def test_branch_and_bound_closes_in_low_dimension_and_tightens_with_work():
    X, w = small_data(4, 20, 3)
    exact = exact_pricing(X, w)
    full = pricing_bound(X, w, time_limit=1e6, rtol=1e-5)  # no clock: it ends by closing
    assert full.closed and full.upper == pytest.approx(exact, rel=2e-5)
    early = pricing_bound(X, w, time_limit=1e6, max_nodes=16, rtol=1e-5)  # stopped with 16 open boxes
    assert not early.closed and early.nodes < full.nodes
    assert early.upper >= exact - 1e-12 and early.upper > full.upper


def test_three_layer_bound_covers_every_exact_group():
    X, _ = data.ds1()
    rng = np.random.default_rng(0)
    groups = arr.enumerate_groups(X, 2)
    for _ in range(3):
        r = rng.standard_normal(X.shape[0])
        exact = support_function(X, r, groups.D1, groups.sigma, groups.D2, method="projection")
        assert exact.exact
        bound = support_upper_bound(X, r, 2, time_limit=5.0)
        assert bound.upper >= exact.sigma * (1 - 1e-9)


def test_bad_weights_are_clear_errors():
    X, w = small_data(0, 5, 3)
    with pytest.raises(InputError, match="w must be 5 finite weights"):
        pricing_bound(X, w[:3])
    with pytest.raises(InputError, match="w must be"):
        pricing_bound(X, np.full(5, np.nan))
    with pytest.raises(InputError, match="time_limit"):
        pricing_bound(X, w, time_limit=0)


# --------------------------------------------------------------------------- the search


def test_search_values_are_attained_and_find_violators():
    X, y = data.ds3(12)
    result = solve_two_layer(X, y, 0.05, 30, seed=1)  # few sampled patterns: a better neuron exists
    r = y - result.outputs()
    U, values = search_neurons(X, r, starts=300, seed=0)
    attained = np.maximum(np.abs(r @ np.maximum(X @ U.T, 0.0)), 0)
    assert np.all(values <= attained + 1e-9) and np.allclose(np.linalg.norm(U, axis=1), 1.0)
    exact = max(exact_pricing(X, r), exact_pricing(X, -r))
    assert values[0] <= exact + 1e-9 and values[0] >= 0.95 * exact  # a 2-D data set: the search finds the top


def test_subnetwork_search_values_are_attained():
    X, y = data.ds1()
    r = y - solve_three_layer(X, y, 0.1, 2, 20, seed=0).outputs()
    V, sigma, values = search_subnetworks(X, r, 2, starts=200, seed=0)
    net = ParallelReLUNet.from_weights([V, sigma.astype(float)[:, :, None]], np.ones(len(V)))
    h = np.maximum(np.einsum("nd,kdj->knj", X, V), 0) @ np.ones(2)  # not used for signs; check via the net
    assert h.shape == (len(V), X.shape[0])
    per_subnet = np.array([np.maximum(np.maximum(X @ V[k], 0) @ sigma[k], 0) @ r for k in range(len(V))])
    assert np.all(values <= np.maximum(per_subnet, -per_subnet) + 1e-9)
    assert np.allclose(np.sqrt((V**2).sum(axis=(1, 2))), 1.0) and net.num_subnets == len(V)


# --------------------------------------------------------------------------- the lower bound is valid


@pytest.mark.parametrize("case, layers, m1, beta, optimum", [
    ("ds1", 2, 1, 0.1, DS1_TWO_LAYER_OPTIMUM), ("ds2", 2, 1, 0.05, DS2_TWO_LAYER_OPTIMUM),
    ("ds4", 2, 1, 0.05, DS4_8_TWO_LAYER_OPTIMUM),
    ("ds1", 3, 2, 0.1, DS1_THREE_LAYER_M1_2_OPTIMA[0.1]), ("ds1", 3, 2, 0.05, DS1_THREE_LAYER_M1_2_OPTIMA[0.05]),
])
def test_lower_bound_is_never_above_the_exact_optimum_nor_any_network(case, layers, m1, beta, optimum):
    X, y = data.load(case)
    rng = np.random.default_rng(0)
    widths = (X.shape[1], 1) if layers == 2 else (X.shape[1], m1, 1)
    nets = [ParallelReLUNet(widths, 8, seed=s, init_scale=float(rng.uniform(0.2, 2))) for s in range(4)]
    nets.append(train(ParallelReLUNet(widths, 20, seed=9), X, y, beta, steps=300, progress=False).net)
    objectives = [network_objective(net, X, y, beta) for net in nets]
    for net in nets:  # a bound from any candidate's residual is below the optimum and every network
        lower = lower_bound_over_all_groups(X, y, beta, m1, net.predict(X), 2.0)[1]
        assert lower <= optimum * (1 + 1e-5)
        assert lower <= min(objectives) + 1e-9


@pytest.mark.slow
def test_route_never_ends_above_its_trained_starts():
    X, y = small_data(3, 80, 6)  # rank 6: far too many groups to enumerate, so the search route runs
    route = solve_route(X, y, 0.05, time_limit=8.0, bound_time=2.0, networks=2, steps=150, subnets=30, progress=False)
    assert route.route.startswith("trained+grown")
    assert len(route.start_objectives) == 2
    assert route.upper_bound <= min(route.start_objectives) + 1e-9
    assert network_objective(route.network(), X, y, 0.05) == pytest.approx(route.upper_bound, rel=1e-9)
    assert route.lower_bound is not None and route.lower_bound <= route.upper_bound
    assert [r.upper_bound for r in route.rounds] == sorted([r.upper_bound for r in route.rounds], reverse=True) or \
        all(b <= a * (1 + 1e-6) for a, b in zip([r.upper_bound for r in route.rounds], [r.upper_bound for r in route.rounds][1:]))
    assert route.status == status_words(route.lower_bound, route.upper_bound, route.certified)


def test_route_stop_event_keeps_the_best_so_far():
    import threading

    stop = threading.Event()
    X, y = small_data(5, 60, 6)
    seen = []

    def callback(round_):
        seen.append(round_)
        stop.set()  # stop after the first solve

    route = solve_route(X, y, 0.05, time_limit=60.0, bound_time=1.0, networks=1, steps=100, subnets=20,
                        progress=False, stop_event=stop, callback=callback)
    assert len(seen) == 1 and len(route.rounds) == 1 and route.stopped == "stopped"
    assert route.upper_bound <= min(route.start_objectives) + 1e-9


def test_ctrl_c_in_the_first_convex_solve_returns_the_best_trained_start(monkeypatch, capsys):
    import pathconvex_lab.convex.route as route_module
    from pathconvex_lab import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(route_module, "solve_groups", interrupted)
    X, y = small_data(5, 60, 6)
    route = solve_route(X, y, 0.05, time_limit=60.0, bound_time=1.0, networks=2, steps=100, subnets=20,
                        progress=False)
    assert route.stopped == "interrupted" and route.result is None and route.rounds == ()
    assert route.upper_bound == pytest.approx(min(route.start_objectives), rel=1e-12)
    assert network_objective(route.network(), X, y, 0.05) == pytest.approx(route.upper_bound, rel=1e-9)
    assert route.lower_bound is None or route.lower_bound <= route.upper_bound
    monkeypatch.setattr("pathconvex_lab.experiments.solve_route", lambda *a, **k: route)
    code = cli.main(["solve", "diabetes", "--beta", "0.05", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 130 and out["stopped"] == "interrupted" and out["groups"] == 0
    assert out["upper_bound"] == pytest.approx(route.upper_bound) and "not solved" in out["solver_status"]


def test_exact_route_on_small_data_is_certified():
    X, y = data.ds1()
    route = solve_route(X, y, 0.1, progress=False)
    assert route.route.startswith("exact") and route.certified and route.status == "certified optimal"
    assert route.upper_bound == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=1e-6)
    assert route.lower_bound <= DS1_TWO_LAYER_OPTIMUM * (1 + 1e-7) and route.relative_gap <= 1e-6
    assert route.network().num_subnets <= X.shape[0] + 1


@pytest.mark.slow
def test_route_on_iris_with_two_features_is_the_certified_exact_optimum():
    X, y = data.load("iris", features=2)
    route = solve_route(X, y, 0.1, progress=False)
    exact = solve_two_layer(X, y, 0.1, "exact", solver="fast")  # 10,767 patterns
    assert route.route.startswith("exact") and route.certified and route.relative_gap <= 1e-6
    assert route.upper_bound == pytest.approx(exact.objective, rel=2e-6)


@pytest.mark.slow
def test_three_layer_route_on_real_data_reports_its_bracket():
    X, y = data.load("iris", features=2)
    route = solve_route(X[::3], y[::3], 0.1, layers=3, m1=2, time_limit=20.0, bound_time=5.0, networks=1,
                        steps=300, subnets=30, progress=False)
    assert route.m1 == 2 and route.lower_bound is not None
    assert route.lower_bound <= route.upper_bound <= min(route.start_objectives or [np.inf]) + 1e-9
    assert route.status.startswith(("bracketed: p* in [", "certified optimal"))
    assert "p* in [" in route.status or route.certified


def test_relative_gap_and_words():
    assert relative_gap(None, 1.0) is None and relative_gap(0.5, 1.0) == 0.5 and relative_gap(2.0, 1.0) == 0.0
    assert status_words(None, 1.0, False) == "optimal over the given groups only"
    assert status_words(0.5, 1.0, False) == "bracketed: p* in [0.5, 1]"
    assert status_words(1.0, 1.0, True) == "certified optimal"
