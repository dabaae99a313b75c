"""The rank-r approximation of docs/mathematics.md §6: p* <= p_hat <= (1 + gamma)^2 p*, and the network
evaluated on the ORIGINAL data attains p_hat (checked against the exact program and an
independent float64 evaluation of the rebuilt network)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathconvex_lab import arrangements as ar
from pathconvex_lab import data
from pathconvex_lab.convex import (
    group_count_bound,
    low_rank_approximation,
    low_rank_sweep,
    solve_three_layer,
    solve_two_layer,
)
from pathconvex_lab.errors import InputError
from pathconvex_lab.nets import network_objective
from reference_values import DS4_8_RANK_2_GAMMA, DS4_8_RANK_2_OBJECTIVE, DS4_8_TWO_LAYER_OPTIMUM

P_STAR, P_HAT = DS4_8_TWO_LAYER_OPTIMUM, DS4_8_RANK_2_OBJECTIVE  # docs/mathematics.md §6: DS4(8), two layers, r = 2


@pytest.fixture(scope="module")
def ds4_rank2():
    X, y = data.ds4(8)
    return low_rank_approximation(X, y, 0.05, 2)


def test_math_verified_case(ds4_rank2):
    X, y = data.ds4(8)
    approx = ds4_rank2
    assert approx.objective == pytest.approx(P_HAT, rel=1e-5)
    p_star = solve_two_layer(X, y, 0.05).objective
    assert p_star == pytest.approx(P_STAR, rel=1e-5)
    s = np.linalg.svd(X, compute_uv=False)
    assert approx.sigma_next == pytest.approx(s[2])
    assert approx.gamma == pytest.approx(s[2] * np.linalg.norm(y) / 0.05)
    assert approx.gamma == pytest.approx(DS4_8_RANK_2_GAMMA, abs=5e-3)
    assert approx.bound_factor == pytest.approx((1 + approx.gamma) ** 2)
    assert p_star <= approx.objective <= approx.bound_factor * p_star
    assert approx.num_patterns == 16 and approx.num_groups == 15  # C(8, 2) patterns of X_hat, minus the zero one
    assert approx.num_patterns_exact == 58 and approx.num_groups_exact == 57  # docs/mathematics.md §8: DS4(8) has 58


def test_network_on_original_data_attains_p_hat(ds4_rank2):
    X, y = data.ds4(8)
    net = ds4_rank2.network()
    on_X = network_objective(net, X, y, 0.05)  # independent float64 evaluation on X itself
    assert on_X == pytest.approx(ds4_rank2.objective, rel=1e-9)
    assert on_X == pytest.approx(ds4_rank2.program_objective, rel=1e-6)  # = the optimum on X_hat
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    X_hat = (U[:, :2] * s[:2]) @ Vt[:2]
    np.testing.assert_allclose(net.predict(X), net.predict(X_hat), atol=1e-12)  # weights live in row(X_hat)
    assert ds4_rank2.subnetworks <= X.shape[0] + 1


def test_certificate_on_X_brackets_p_star(ds4_rank2):
    cert = ds4_rank2.certificate
    assert cert is not None and cert.exact_groups and cert.num_groups == 57
    assert cert.lower_bound <= P_STAR + 1e-7 <= ds4_rank2.objective + 1e-7
    assert cert.primal == pytest.approx(ds4_rank2.objective, rel=1e-9)
    assert not cert.certified and cert.ratio > 1  # the approximation is not optimal on X
    assert ds4_rank2.lower_bound == cert.lower_bound


def test_full_rank_is_exact():
    X, y = data.ds4(8)
    approx = low_rank_approximation(X, y, 0.05, 3)
    assert approx.gamma == 0 and approx.bound_factor == 1
    assert approx.objective == pytest.approx(P_STAR, rel=1e-5)
    assert approx.certificate.certified


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), beta=st.floats(0.02, 1.0), rank=st.integers(1, 2))
def test_bound_holds_on_random_data(seed, beta, rank):
    rng = np.random.default_rng(seed)
    X = data.add_bias(rng.standard_normal((6, 2)) * [1.0, 0.3])
    y = rng.standard_normal(6)
    approx = low_rank_approximation(X, y, beta, rank, certify=False)
    p_star = solve_two_layer(X, y, beta).objective
    assert p_star <= approx.objective * (1 + 1e-6) + 1e-9
    assert approx.objective <= approx.bound_factor * p_star * (1 + 1e-6) + 1e-9
    assert network_objective(approx.network(), X, y, beta) == pytest.approx(approx.objective, rel=1e-9, abs=1e-12)
    assert approx.objective == pytest.approx(approx.program_objective, rel=1e-6, abs=1e-9)


def test_three_layer_rank_one():
    X, y = data.ds1()
    approx = low_rank_approximation(X, y, 0.1, 1, layers=3, m1=2)
    p_star = solve_three_layer(X, y, 0.1, 2).objective
    assert approx.m1 == 2 and approx.gamma == pytest.approx(math.sqrt(2) * approx.sigma_next * np.linalg.norm(y) / 0.1)
    assert p_star <= approx.objective * (1 + 1e-6) <= approx.bound_factor * p_star * (1 + 1e-6)
    assert network_objective(approx.network(), X, y, 0.1) == pytest.approx(approx.objective, rel=1e-9)
    assert approx.num_groups_exact == 409 and approx.num_groups < 409


def test_sweep_ratios_and_reference():
    X, y = data.ds4(8)
    sweep = low_rank_sweep(X, y, 0.05)
    assert list(sweep.ranks) == [1, 2, 3] and sweep.exact_groups == 57
    assert sweep.exact_objective == pytest.approx(P_STAR, rel=1e-5)
    assert np.all(sweep.ratios >= 1 - 1e-6) and np.all(sweep.ratios <= sweep.bound_factors * (1 + 1e-6))
    assert sweep.ratios[-1] == pytest.approx(1.0, abs=1e-5)
    assert list(sweep.num_groups) == [1, 15, 57]  # nonzero patterns: C(8, r) - 1 = 1, 15 and (docs/mathematics.md §8) 57
    assert "p_hat/p*" in repr(sweep)


def test_group_count_bound():
    assert group_count_bound(8, 2) == ar.pattern_bound(8, 2) == 16
    assert group_count_bound(6, 2, 2) >= 409  # DS1, m1 = 2: 409 groups (docs/mathematics.md §3.5)
    assert group_count_bound(8, 2, 2) >= 865  # DS3(8), m1 = 2
    # polynomial in n: doubling n multiplies the two-layer count by about 2^(r-1)
    assert group_count_bound(400, 3) / group_count_bound(200, 3) == pytest.approx(4, rel=0.02)


@pytest.mark.parametrize("rank", [0, 4])
def test_bad_rank(rank):
    X, y = data.ds4(8)
    with pytest.raises(InputError, match="rank"):
        low_rank_approximation(X, y, 0.05, rank)
