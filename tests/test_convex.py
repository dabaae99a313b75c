"""The convex programs against the reference values of docs/mathematics.md §8 and their invariants:
reconstruction, m1 = 1 equals two layers, the splitting inequalities, pruning, solver
fallbacks, size limits and input checks."""

from __future__ import annotations

import math
import warnings

import cvxpy as cp
import numpy as np
import pytest
import torch

from pathconvex_lab.arrangements import enumerate_groups, sample_groups
from pathconvex_lab.convex import (
    ConvexResult,
    estimate_size,
    solve_group_program,
    solve_groups,
    solve_three_layer,
    solve_two_layer,
)
from pathconvex_lab.convex import program
from pathconvex_lab.data import ds1, ds2, ds3
from pathconvex_lab.errors import InputError, ProblemTooLargeError, SolverError, SolverFallbackWarning
from pathconvex_lab.nets import ParallelReLUNet, network_objective
from reference_values import (
    DATA_SETS,
    DS1_THREE_LAYER_M1_2_OPTIMA,
    DS1_THREE_LAYER_M1_3_OPTIMUM,
    DS1_TWO_LAYER_OPTIMUM,
    DS2_THREE_LAYER_M1_2_OPTIMUM,
    DS3_8_THREE_LAYER_M1_2_OPTIMUM,
    TWO_LAYER_OPTIMA,
)

RTOL = 1e-5


@pytest.fixture(scope="module")
def ds1_groups():
    """Exact DS1 groups for m1 = 2 (409 of them)."""
    return enumerate_groups(ds1()[0], 2)


@pytest.fixture(scope="module")
def ds1_m2(ds1_groups) -> ConvexResult:
    X, y = ds1()
    return solve_groups(X, y, 0.1, ds1_groups)


# --------------------------------------------------------------------------- reference values


@pytest.mark.parametrize("name, beta, expected", TWO_LAYER_OPTIMA)
def test_two_layer_table(name, beta, expected):
    X, y = DATA_SETS[name]()
    result = solve_two_layer(X, y, beta)
    assert result.exact and result.source == "exact" and result.status == "solved"
    assert result.objective == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize(
    "beta, expected", sorted(DS1_THREE_LAYER_M1_2_OPTIMA.items())
)
def test_three_layer_ds1_m1_2(ds1_groups, beta, expected):
    X, y = ds1()
    result = solve_three_layer(X, y, beta, 2, ds1_groups)
    assert result.num_groups == 409
    assert result.objective == pytest.approx(expected, rel=RTOL)


def test_three_layer_ds1_m1_1_and_ds3():
    X, y = ds1()
    one = solve_three_layer(X, y, 0.1, 1)
    assert one.num_groups == 11 and one.objective == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=RTOL)
    X, y = ds3(8)
    result = solve_three_layer(X, y, 0.05, 2)
    assert result.num_groups == 865 and result.objective == pytest.approx(DS3_8_THREE_LAYER_M1_2_OPTIMUM, rel=RTOL)


@pytest.mark.slow
def test_three_layer_ds1_m1_3_and_splitting_chain():
    """p3(m1=3) from docs/mathematics.md §8, monotone in m1, and below p2(beta / sqrt(m1))."""
    X, y = ds1()
    p = {m1: solve_three_layer(X, y, 0.1, m1).objective for m1 in (1, 2, 3)}
    assert p[3] == pytest.approx(DS1_THREE_LAYER_M1_3_OPTIMUM, rel=RTOL)
    assert p[1] >= p[2] >= p[3]
    for m1 in (2, 3):
        assert p[m1] <= solve_two_layer(X, y, 0.1 / math.sqrt(m1)).objective


@pytest.mark.slow
def test_three_layer_ds2_m1_2():
    X, y = ds2()
    result = solve_three_layer(X, y, 0.05, 2)
    assert result.num_groups == 16160
    assert result.objective == pytest.approx(DS2_THREE_LAYER_M1_2_OPTIMUM, rel=RTOL)
    assert network_objective(result.network(), X, y, 0.05) == pytest.approx(result.objective, rel=1e-6)


# --------------------------------------------------------------------------- invariants


def test_m1_1_equals_two_layers_on_every_dataset():
    for name in ("ds1", "ds2", "ds4(6)"):
        X, y = DATA_SETS[name]()
        assert solve_three_layer(X, y, 0.07, 1).objective == pytest.approx(solve_two_layer(X, y, 0.07).objective, rel=1e-6)


def test_splitting_inequality_m1_2(ds1_m2):
    X, y = ds1()
    two = solve_two_layer(X, y, 0.1)
    assert ds1_m2.objective < solve_two_layer(X, y, 0.1 / math.sqrt(2)).objective < two.objective


def test_two_layer_reconstruction_is_balanced():
    """Weight decay, path norm and the convex objective agree (docs/mathematics.md §2)."""
    X, y = ds2()
    result = solve_two_layer(X, y, 0.05)
    net = result.network()
    assert net.depth == 2
    for regularizer in ("path", "weight_decay"):
        assert network_objective(net, X, y, 0.05, regularizer) == pytest.approx(result.objective, rel=1e-6)


def test_three_layer_reconstruction(ds1_m2):
    X, y = ds1()
    net = ds1_m2.network()
    assert net.widths == (2, 2, 1)
    assert network_objective(net, X, y, 0.1) == pytest.approx(ds1_m2.objective, rel=1e-6)
    assert np.allclose(net.predict(X), ds1_m2.outputs(), atol=1e-7)
    assert ds1_m2.violation < 1e-7


def test_blocks_and_norms_are_consistent(ds1_m2):
    V = ds1_m2.blocks
    assert V.shape == (2, 409, 2, 2)
    assert np.allclose(ds1_m2.block_norms, np.sqrt((V**2).sum(axis=(2, 3))))
    X, y = ds1()
    f = ds1_m2.outputs()
    assert ds1_m2.objective == pytest.approx(0.5 * np.sum((f - y) ** 2) + 0.1 * ds1_m2.block_norms.sum(), rel=1e-12)
    text = repr(ds1_m2)
    assert "objective=0.61719" in text and "complete group set" in text and "optimal" not in text.replace("optimal over", "") and "groups=409" in text


@pytest.mark.parametrize("beta", [0.02, 0.1])
def test_prune_keeps_objective_with_at_most_n_plus_1(ds1_groups, beta):
    X, y = ds1()
    result = solve_groups(X, y, beta, ds1_groups)
    pruned = result.prune()
    assert pruned.pruned and pruned.num_groups <= X.shape[0] + 1 < result.active()
    assert pruned.objective == pytest.approx(result.objective, rel=1e-7)
    assert pruned.violation == 0.0  # each block sits in the group it realizes
    net = pruned.network()
    assert net.num_subnets <= X.shape[0] + 1
    assert network_objective(net, X, y, beta) == pytest.approx(result.objective, rel=1e-7)


def test_prune_single_subnetwork_at_large_beta(ds1_groups):
    """docs/mathematics.md §8: DS1, m1 = 2, beta = 1 leaves one sub-network after merging and pruning."""
    X, y = ds1()
    result = solve_groups(X, y, 1.0, ds1_groups)
    pruned = result.prune(drop_tol=1e-6)
    assert pruned.network().num_subnets == 1
    assert pruned.objective == pytest.approx(result.objective, rel=1e-7)


def test_sampled_groups_give_an_upper_bound(ds1_m2):
    X, y = ds1()
    small = solve_three_layer(X, y, 0.1, 2, 30, seed=3)
    assert small.source == "sampled" and not small.exact
    assert small.objective >= ds1_m2.objective - 1e-8
    assert "optimal over the given groups only" in repr(small) and small.lower_bound is None and not small.certified
    assert network_objective(small.network(), X, y, 0.1) == pytest.approx(small.objective, rel=1e-6)


def test_network_groups_land_below_the_network(ds1_m2):
    """DESIGN §2b: the program on a network's own groups is at most that network's objective."""
    X, y = ds1()
    net = ParallelReLUNet((2, 2, 1), 6, seed=4)
    result = solve_three_layer(X, y, 0.1, 2, net)
    assert result.source == "network"
    assert ds1_m2.objective - 1e-8 <= result.objective <= network_objective(net, X, y, 0.1) + 1e-8


# --------------------------------------------------------------------------- solvers


def _failing(monkeypatch, failing: set[str]) -> None:
    """Make cvxpy's solve fail for the named solvers (simulated crash)."""
    original = cp.Problem.solve

    def solve(self, *args, solver=None, **kwargs):
        if solver in failing:
            raise cp.error.SolverError(f"simulated failure of {solver}")
        return original(self, *args, solver=solver, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", solve)


def test_fallback_to_scs_warns_and_is_right(monkeypatch):
    X, y = ds1()
    _failing(monkeypatch, {"CLARABEL"})
    with pytest.warns(SolverFallbackWarning, match="CLARABEL"):
        result = solve_two_layer(X, y, 0.1)
    assert result.solver == "SCS"
    assert result.objective == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=RTOL)


def test_all_solvers_fail(monkeypatch):
    X, y = ds1()
    _failing(monkeypatch, {"CLARABEL", "SCS"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SolverFallbackWarning)
        with pytest.raises(SolverError, match=r"CLARABEL: error.*SCS: error"):
            solve_two_layer(X, y, 0.1)


def test_named_solver_and_bad_names():
    X, y = ds1()
    assert solve_two_layer(X, y, 0.1, solver="SCS").solver == "SCS"
    for bad in ("ECOS", "nonsense", ""):
        with pytest.raises(InputError, match="solver"):
            solve_two_layer(X, y, 0.1, solver=bad)


def test_fast_backend_dispatch(monkeypatch):
    """solver="fast" hands the arrays to the torch solver and wraps its blocks."""
    X, y = ds1()
    calls = {}

    def fake_fast(X, y, beta, D1, sigma, D2, **options):
        calls["shapes"] = (D1.shape, sigma.shape, D2.shape)
        out = program.solve_group_program_cvxpy(X, y, beta, D1, sigma, D2)
        return program.BackendResult(V=out.V, objective=0.0, status="converged", solver="fast", gap=1e-9,
                                     violation=0.0, iterations=7, seconds=program.Seconds(build=0.0, solve=0.5))

    monkeypatch.setattr(program, "_fast_solver", lambda: fake_fast)
    result = solve_two_layer(X, y, 0.1, solver="fast")
    assert calls["shapes"] == ((11, 1, 6), (11, 1), (11, 6))
    assert result.solver == "fast" and result.status == "converged"
    assert result.objective == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=RTOL)  # recomputed from V, not trusted
    monkeypatch.setattr(program, "_fast_solver", lambda: None)
    with pytest.raises(InputError, match="fast"):
        solve_two_layer(X, y, 0.1, solver="fast")
    assert solve_two_layer(X, y, 0.1, solver="auto").solver == "CLARABEL"


@pytest.mark.parametrize("failure", ["raises", "max_iter"])
def test_auto_falls_back_to_cvxpy_when_fast_fails(monkeypatch, failure):
    """solver="auto" picks the torch solver from AUTO_FAST_CONSTRAINTS on; if it raises SolverError
    or stops short of "optimal", CLARABEL solves instead (with a warning); "fast" does not fall back."""
    X, y = ds1()
    calls = []

    def failing_fast(X, y, beta, D1, sigma, D2, **options):
        calls.append(D1.shape)
        if failure == "raises":
            raise SolverError("stalled at gap 1e-3")
        return program.BackendResult(V=np.zeros((2, D1.shape[0], X.shape[1], D1.shape[1])), objective=0.0,
                                     status="max_iter", solver="fast", gap=1.0, violation=0.0, iterations=100,
                                     seconds=program.Seconds(build=0.0, solve=0.1))

    monkeypatch.setattr(program, "_fast_solver", lambda: failing_fast)
    monkeypatch.setattr(program, "AUTO_FAST_CONSTRAINTS", 1)
    with pytest.warns(SolverFallbackWarning, match="fast solver failed"):
        result = solve_two_layer(X, y, 0.1, solver="auto")
    assert calls == [(11, 1, 6)]
    assert result.solver == "CLARABEL" and result.status == "solved"
    assert result.objective == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=RTOL)
    if failure == "raises":
        with pytest.raises(SolverError, match="stalled"):
            solve_two_layer(X, y, 0.1, solver="fast")
    else:
        assert solve_two_layer(X, y, 0.1, solver="fast").status == "max_iter"


def test_auto_uses_fast_from_the_threshold(monkeypatch, ds1_groups):
    """From AUTO_FAST_CONSTRAINTS inequalities on, "auto" solves with the torch solver (which picks
    its own threads and restores torch's setting), and agrees with CLARABEL."""
    X, y = ds1()
    size = estimate_size(6, 2, ds1_groups.D1, ds1_groups.sigma, ds1_groups.D2)
    monkeypatch.setattr(program, "AUTO_FAST_CONSTRAINTS", size.constraints + 1)
    assert program.resolve_backend("auto", size) == "cvxpy"
    monkeypatch.setattr(program, "AUTO_FAST_CONSTRAINTS", size.constraints)
    assert program.resolve_backend("auto", size) == "fast"
    fast, calls = program._fast_solver(), []

    def counting_fast(*args, **options):
        calls.append(options)
        return fast(*args, **options)

    monkeypatch.setattr(program, "_fast_solver", lambda: counting_fast)
    before = torch.get_num_threads()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SolverFallbackWarning)
        result = solve_groups(X, y, 0.1, ds1_groups, solver="auto")
    assert result.solver == "fast" and len(calls) == 1 and torch.get_num_threads() == before
    assert result.objective == pytest.approx(solve_groups(X, y, 0.1, ds1_groups).objective, rel=RTOL)


# --------------------------------------------------------------------------- size and inputs


def test_too_large_is_refused_before_building(monkeypatch, ds1_groups):
    def never(*args, **kwargs):
        raise AssertionError("the problem was built")

    monkeypatch.setattr(program, "build_cvxpy_problem", never)
    X, y = ds1()
    size = estimate_size(6, 2, ds1_groups.D1, ds1_groups.sigma, ds1_groups.D2)
    assert size.variables == 2 * 409 * 2 * 2
    with pytest.raises(ProblemTooLargeError, match="sample groups"):
        solve_groups(X, y, 0.1, ds1_groups, max_variables=size.variables - 1)
    with pytest.raises(ProblemTooLargeError, match="MiB"):
        solve_groups(X, y, 0.1, ds1_groups, max_bytes=size.bytes - 1)
    with pytest.raises(ProblemTooLargeError):  # exact enumeration itself stops early
        solve_three_layer(X, y, 0.1, 2, "exact", max_variables=400)


def test_size_estimate_counts():
    X, _ = ds1()
    g = enumerate_groups(X, 1)
    size = estimate_size(6, 2, g.D1, g.sigma, g.D2)
    # two layers: 2 P d variables, first-layer rows only (second-layer rows are implied)
    assert (size.groups, size.variables, size.constraints) == (11, 44, 2 * 11 * 6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"X": [[1.0, np.nan]] * 3}, "X must be finite"),
        ({"y": [1.0, 2.0]}, "y must have n=6"),
        ({"beta": 0.0}, "beta"),
        ({"beta": -1}, "beta"),
        ({"beta": "a"}, "beta"),
    ],
)
def test_input_errors(kwargs, match):
    X, y = ds1()
    args = {"X": X, "y": y, "beta": 0.1, **kwargs}
    with pytest.raises(InputError, match=match):
        solve_two_layer(args["X"], args["y"], args["beta"])


def test_group_argument_errors(ds1_groups):
    X, y = ds1()
    with pytest.raises(InputError, match="groups must be 'exact'"):
        solve_three_layer(X, y, 0.1, 2, "all")
    with pytest.raises(InputError, match="m1=2 but m1=3"):
        solve_three_layer(X, y, 0.1, 3, ds1_groups)
    with pytest.raises(InputError, match="n=6 points but X has 8"):
        solve_three_layer(*ds2(), 0.1, 2, ds1_groups)
    with pytest.raises(InputError, match="m1"):
        solve_three_layer(X, y, 0.1, 0)
    with pytest.raises(InputError, match="patterns"):
        solve_two_layer(X, y, 0.1, patterns=ds1_groups)
    with pytest.raises(InputError, match="D1 must have shape"):
        solve_group_program(X, y, 0.1, np.zeros((3, 1, 5), bool), np.ones((3, 1)), np.zeros((3, 5), bool))
    with pytest.raises(InputError, match="sigma must hold only"):
        solve_group_program(X, y, 0.1, np.zeros((3, 1, 6), bool), np.zeros((3, 1)), np.zeros((3, 6), bool))


def test_sampled_two_layer_patterns_with_seed():
    X, y = ds1()
    a = solve_two_layer(X, y, 0.1, patterns=5, seed=1)
    b = solve_two_layer(X, y, 0.1, patterns=5, seed=1)
    assert a.source == "sampled" and a.objective == b.objective >= DS1_TWO_LAYER_OPTIMUM - 1e-8


def test_sampled_groups_are_realized_distinct_and_reproducible():
    """Each sampled group is realized by the weights returned with it (recomputed here), no group
    is counted twice, there is at most one group per draw, and the same seed gives the same groups."""
    X, _ = ds1()
    groups = sample_groups(X, 2, 10, seed=1)
    pre = np.einsum("nd,gdj->gjn", X, groups.V)
    assert np.array_equal(pre > 0, groups.D1)
    hidden = np.einsum("gj,gjn->gn", groups.sigma.astype(float), np.maximum(pre, 0.0))
    assert np.array_equal(hidden > 0, groups.D2)
    distinct = {(D1.tobytes(), sigma.tobytes(), D2.tobytes())
                for D1, sigma, D2 in zip(groups.D1, groups.sigma, groups.D2)}
    assert 1 <= len(distinct) == groups.count <= 10
    again = sample_groups(X, 2, 10, seed=1)
    for name in ("D1", "sigma", "D2", "V"):
        np.testing.assert_array_equal(getattr(again, name), getattr(groups, name))
