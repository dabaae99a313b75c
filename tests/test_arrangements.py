"""Sign patterns and three-layer groups (docs/mathematics.md §5, §3.4, §8), each checked against an
independent computation: a brute force over all 2^n sign vectors with one LP each, the LP
depth-first search (a different code path from the fast methods), and realizing points."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pathconvex_lab import arrangements as ar
from pathconvex_lab import data
from pathconvex_lab.arrangements import _lp
from pathconvex_lab.errors import InputError, ProblemTooLargeError


# ----------------------------------------------------------------------------- helpers
def brute_force_patterns(X: np.ndarray) -> set[tuple[bool, ...]]:
    """Every chamber pattern by trying all 2^n sign vectors: {s_i x_i^T u >= 1} feasible?"""
    nonzero = np.linalg.norm(X, axis=1) > 1e-12
    found = set()
    for signs in itertools.product([True, False], repeat=int(nonzero.sum())):
        rows = np.where(np.array(signs)[:, None], X[nonzero], -X[nonzero])
        res = linprog(np.zeros(X.shape[1]), A_ub=-rows, b_ub=-np.ones(len(rows)),
                      bounds=[(None, None)] * X.shape[1], method="highs")
        if res.status == 0:
            pattern = np.zeros(len(X), dtype=bool)
            pattern[nonzero] = signs
            found.add(tuple(pattern))
    return found


def as_set(p: ar.Patterns) -> set[tuple[bool, ...]]:
    return {tuple(col) for col in p.patterns.T}


def assert_realized(X: np.ndarray, p: ar.Patterns) -> None:
    """Each direction strictly separates: X u > 0 where True, < 0 where False (zero rows: 0)."""
    S = X @ p.directions
    nonzero = np.linalg.norm(X, axis=1) > 1e-12
    scale = np.linalg.norm(X, axis=1)[:, None] * np.linalg.norm(p.directions, axis=0)[None, :]
    assert np.all(np.where(p.patterns, S, -S)[nonzero] > 1e-12 * scale[nonzero])
    assert not p.patterns[~nonzero].any()


def assert_sorted_unique(p: ar.Patterns) -> None:
    cols = [tuple(c) for c in p.patterns.T]
    assert cols == sorted(set(cols))


def group_set(g: ar.Groups) -> set:
    return {(tuple(map(tuple, g.D1[k])), tuple(g.sigma[k]), tuple(g.D2[k])) for k in range(g.count)}


def assert_groups_realized(X: np.ndarray, g: ar.Groups) -> None:
    """V realizes each group: 1[X v_j > 0] = D1_j strictly, and (2 D2 - 1) h > 0 off Z_c."""
    pre = np.einsum("nd,gdj->gjn", X, g.V)
    nonzero = np.linalg.norm(X, axis=1) > 1e-12
    assert np.all(np.where(g.D1, pre, -pre)[:, :, nonzero] > 0)
    h = np.einsum("gj,gjn->gn", g.sigma.astype(float), np.where(g.D1, pre, 0.0))
    live = g.D1.any(axis=1)
    assert np.all(np.where(g.D2, h, -h)[live] > 0)
    assert not g.D2[~live].any()
    assert g.D2.any(axis=1).all()
    assert ((g.sigma == 1) | (g.sigma == -1)).all() and (g.sigma == 1).any(axis=1).all()


DEGENERATE_5 = data.add_bias(np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 2.0]]))
DEGENERATE_1D = data.add_bias(np.array([[-1, -1, 0, 1, 1, 2.0]]).T)


# ----------------------------------------------------------------------------- counting
def test_pattern_bound_known_values():
    table = {(6, 2): 12, (8, 2): 16, (12, 2): 24, (6, 3): 32, (8, 3): 58, (10, 3): 92, (12, 3): 134,
             (8, 4): 128, (10, 4): 260, (12, 4): 464, (10, 5): 512, (200, 3): 39_802}
    for (n, r), value in table.items():
        assert ar.pattern_bound(n, r) == value
    assert ar.pattern_bound(7, 1) == 2
    assert all(ar.pattern_bound(n, r) == 2**n for n in range(1, 8) for r in range(n, n + 3))
    assert ar.pattern_bound(0, 3) == 1 and ar.pattern_bound(5, 0) == 1
    assert isinstance(ar.pattern_bound(3000, 20), int) and ar.pattern_bound(3000, 20) > 2**64


@pytest.mark.parametrize("r, ns", [(2, (6, 8, 12)), (3, (6, 8, 10, 12)), (4, (8, 10, 12)), (5, (10,))])
def test_general_position_counts_equal_cover_bound(r, ns):
    for n in ns:
        for X in (data.moment_curve(n, r), data.gaussian(n, r, seed=n)):
            p = ar.enumerate_patterns(X)
            assert p.count == ar.pattern_bound(n, r) and p.exact
            assert ar.is_general_position(X)
            assert_realized(X, p)
            assert_sorted_unique(p)


@pytest.mark.parametrize("n", [6, 8, 12])
def test_rank3_counts_match_lp_method(n):
    X = data.gaussian(n, 3, seed=100 + n)
    assert as_set(ar.enumerate_patterns(X, method="lp")) == as_set(ar.enumerate_patterns(X))


def test_reference_data_set_counts():
    expected = {"ds1": (data.ds1()[0], 12), "ds2": (data.ds2()[0], 58), "ds4(6)": (data.ds4(6)[0], 32),
                "ds4(8)": (data.ds4(8)[0], 58), "degenerate-5": (DEGENERATE_5, 20), "degenerate-1d": (DEGENERATE_1D, 8)}
    for name, (X, count) in expected.items():
        for method in ("auto", "rays", "lp"):
            p = ar.enumerate_patterns(X, method=method)
            assert p.count == count, (name, method)
            assert_realized(X, p)
    for n in (2, 5, 9, 30):
        assert ar.enumerate_patterns(data.ds3(n)[0]).count == 2 * n
    assert not ar.is_general_position(DEGENERATE_5)
    assert ar.enumerate_patterns(DEGENERATE_5).count < ar.pattern_bound(5, 3)


def test_small_cases_equal_brute_force():
    cases = [data.ds1()[0], DEGENERATE_5, DEGENERATE_1D, data.gaussian(5, 3, seed=1), data.moment_curve(6, 4),
             np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0, 0, 0], [-1.0, -2.0, -3.0], [0, 1.0, 0]])]
    for X in cases:
        truth = brute_force_patterns(X)
        for method in ("auto", "rays", "lp"):
            assert as_set(ar.enumerate_patterns(X, method=method)) == truth


def test_zero_rows_rank_deficiency_and_trivial_inputs():
    # rank-deficient X in R^5 (rank 2) with a zero row and a repeated row
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    X = np.vstack([X, np.zeros(5), X[0]])
    p = ar.enumerate_patterns(X)
    assert p.count == 12 and p.method == "exact-sweep"  # 6 distinct lines in the rank-2 row space
    assert p.directions.shape == (5, 12)
    assert not p.patterns[6].any() and (p.patterns[7] == p.patterns[0]).all()
    assert_realized(X, p)
    zero = ar.enumerate_patterns(np.zeros((3, 2)))
    assert zero.count == 1 and not zero.patterns.any()
    one = ar.enumerate_patterns([[2.0, 0.0], [-1.0, 0.0], [3.0, 0.0]])  # rank 1
    assert as_set(one) == {(True, False, True), (False, True, False)}
    assert ar.enumerate_patterns([[1.0, 2.0]]).count == 2


def test_deterministic_order_and_index():
    X = data.ds2()[0]
    a, b = ar.enumerate_patterns(X), ar.enumerate_patterns(X, method="lp")
    assert np.array_equal(a.patterns, b.patterns)
    assert not a.patterns[:, 0].any()  # the all-zero pattern sorts first
    assert a.index(a.patterns[:, 17]) == 17 and a.index(np.zeros(8, bool)) == 0
    assert a.index([True, False, True, False, True, False, True, False]) == -1
    assert "count=58" in repr(a) and "exact" in repr(a)


def test_sampling_is_a_subset_and_coverage():
    X = data.add_bias(data.gaussian(30, 2, seed=4))
    exact = ar.enumerate_patterns(X)
    sampled = ar.sample_patterns(X, 2000, seed=1)
    assert not sampled.exact and sampled.method == "sampled"
    assert as_set(sampled) <= as_set(exact)
    assert_realized(X, sampled)
    assert_sorted_unique(sampled)
    assert ar.coverage(sampled, exact) == pytest.approx(sampled.count / exact.count)
    assert ar.coverage(sampled, ar.pattern_bound(30, 3)) == sampled.count / 872
    assert ar.coverage(exact, exact) == 1.0
    assert np.array_equal(ar.sample_patterns(X, 500, seed=7).patterns, ar.sample_patterns(X, 500, seed=7).patterns)
    more = ar.sample_patterns(X, 200_000, seed=2)
    assert ar.coverage(more, exact) > ar.coverage(ar.sample_patterns(X, 100, seed=2), exact)


def test_rank2_sweep_equals_rays():
    X = data.gaussian(40, 2, seed=5)
    sweep, rays = ar.enumerate_patterns(X, method="sweep"), ar.enumerate_patterns(X, method="rays")
    assert sweep.method == "exact-sweep" and rays.method == "exact-rays"
    assert np.array_equal(sweep.patterns, rays.patterns) and sweep.count == 80


@pytest.mark.slow
def test_200_points_in_the_plane():
    X = data.add_bias(data.gaussian(200, 2, seed=2))
    p = ar.enumerate_patterns(X)
    assert p.count == 39_802 == ar.pattern_bound(200, 3)
    assert_realized(X, p)
    assert_sorted_unique(p)


def test_size_estimate_refuses_before_building():
    X = data.gaussian(3000, 12, seed=0)
    assert ar.pattern_count_upper_bound(X) == ar.pattern_bound(3000, 12)
    with pytest.raises(ProblemTooLargeError, match="sample_patterns"):
        ar.enumerate_patterns(X)
    assert ar.pattern_count_upper_bound(DEGENERATE_1D) == 8  # 4 distinct hyperplanes, rank 2
    with pytest.raises(ProblemTooLargeError):
        ar.enumerate_patterns(data.ds2()[0], max_patterns=57)


def test_bad_inputs_name_the_argument():
    with pytest.raises(InputError, match="X"):
        ar.enumerate_patterns([[np.nan, 1.0]])
    with pytest.raises(InputError, match="X"):
        ar.enumerate_patterns([1.0, 2.0])
    with pytest.raises(InputError, match="method"):
        ar.enumerate_patterns(data.ds1()[0], method="magic")
    with pytest.raises(InputError, match="sweep"):
        ar.enumerate_patterns(data.ds2()[0], method="sweep")
    with pytest.raises(InputError, match="num_samples"):
        ar.sample_patterns(data.ds1()[0], 0)
    with pytest.raises(InputError, match="m1"):
        ar.enumerate_groups(data.ds1()[0], 0)
    with pytest.raises(InputError):
        ar.coverage(ar.enumerate_patterns(data.ds1()[0]), ar.enumerate_patterns(data.ds2()[0]))


# ----------------------------------------------------------------------------- property tests
small_matrices = st.integers(1, 7).flatmap(
    lambda n: st.integers(1, 4).flatmap(
        lambda d: st.lists(st.lists(st.integers(-2, 2), min_size=d, max_size=d), min_size=n, max_size=n)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_matrices)
def test_fast_methods_equal_lp_and_bound_on_degenerate_integer_data(rows):
    X = np.array(rows, dtype=float)
    r = np.linalg.matrix_rank(X)
    exact = ar.enumerate_patterns(X)
    assert exact.count <= ar.pattern_bound(len(X), r)
    assert exact.count <= ar.pattern_count_upper_bound(X)
    assert_realized(X, exact)
    assert_sorted_unique(exact)
    assert as_set(ar.enumerate_patterns(X, method="lp")) == as_set(exact)
    assert as_set(ar.enumerate_patterns(X, method="rays")) == as_set(exact)
    assert as_set(ar.sample_patterns(X, 300, seed=0)) <= as_set(exact)
    if r != 1 or np.abs(X).sum(axis=1).all():  # rank 1 with a zero row: count = bound = 2
        assert ar.is_general_position(X) == (exact.count == ar.pattern_bound(len(X), r))


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 9), st.integers(2, 4), st.integers(0, 2**31 - 1))
def test_gaussian_with_repeats_equals_brute_force(n, r, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, r))
    X[rng.integers(0, n)] = X[rng.integers(0, n)] * rng.choice([-2.0, 0.5])  # a (anti)parallel pair
    exact = ar.enumerate_patterns(X)
    assert as_set(exact) == brute_force_patterns(X)
    assert_realized(X, exact)


# ----------------------------------------------------------------------------- groups
@pytest.mark.parametrize("name, X, m1, count", [
    ("DS1", data.ds1()[0], 1, 11),
    ("DS1", data.ds1()[0], 2, 409),
    ("DS2", data.ds2()[0], 1, 57),
    ("DS3(8)", data.ds3(8)[0], 2, 865),
])
def test_group_counts_of_math_section_8(name, X, m1, count):
    g = ar.enumerate_groups(X, m1)
    assert g.count == count and g.exact and g.m1 == m1
    assert g.D1.shape == (count, m1, len(X)) and g.sigma.dtype == np.int8 and g.V.shape == (count, X.shape[1], m1)
    assert_groups_realized(X, g)


@pytest.mark.slow
@pytest.mark.parametrize("name, X, m1, count", [("DS1", data.ds1()[0], 3, 7665), ("DS2", data.ds2()[0], 2, 16160)])
def test_large_group_counts_of_math_section_8(name, X, m1, count):
    g = ar.enumerate_groups(X, m1)
    assert g.count == count
    assert_groups_realized(X, g)


@pytest.mark.slow
def test_groups_fast_equal_lp_reference():
    zero_and_repeats = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [-1.0, 2.0], [1.0, 0.0]])
    for X in (data.ds1()[0], DEGENERATE_1D, zero_and_repeats):
        fast, lp = ar.enumerate_groups(X, 2), ar.enumerate_groups(X, 2, method="lp")
        assert lp.method == "exact-lp" and fast.method == "exact"
        assert np.array_equal(fast.D1, lp.D1) and np.array_equal(fast.sigma, lp.sigma)
        assert np.array_equal(fast.D2, lp.D2)


@settings(max_examples=5, deadline=None)
@given(st.integers(3, 5), st.integers(0, 2**31 - 1))
def test_groups_fast_equal_lp_on_random_plane_data(n, seed):
    X = data.add_bias(np.random.default_rng(seed).integers(-2, 3, size=(n, 1)).astype(float))
    fast, lp = ar.enumerate_groups(X, 2), ar.enumerate_groups(X, 2, method="lp")
    assert group_set(fast) == group_set(lp)
    assert_groups_realized(X, fast)


def test_two_layer_case_is_m1_equal_1():
    X = data.ds2()[0]
    pats = ar.enumerate_patterns(X)
    from_pats = ar.groups_from_patterns(pats)
    assert from_pats.count == pats.count - 1 == 57
    assert group_set(from_pats) == group_set(ar.enumerate_groups(X, 1, patterns=pats))
    assert np.array_equal(from_pats.D2, from_pats.D1[:, 0]) and (from_pats.sigma == 1).all()
    assert_groups_realized(X, from_pats)


def test_sampled_and_network_groups_are_subsets():
    X = data.ds1()[0]
    exact = ar.enumerate_groups(X, 2)
    sampled = ar.sample_groups(X, 2, 5000, seed=0)
    assert not sampled.exact and sampled.method == "sampled"
    assert group_set(sampled) <= group_set(exact)
    assert_groups_realized(X, sampled)
    assert ar.coverage(sampled, exact) == pytest.approx(sampled.count / exact.count)
    assert 0 < sampled.count < exact.count
    # the groups realized by a "network" made of exact groups' weights are those groups
    pick = np.arange(0, exact.count, 7)
    net = ar.groups_from_network(X, exact.V[pick], exact.sigma[pick])
    assert group_set(net) == {(tuple(map(tuple, exact.D1[k])), tuple(exact.sigma[k]), tuple(exact.D2[k])) for k in pick}
    with pytest.raises(InputError, match="sigma"):
        ar.groups_from_network(X, exact.V[:3], np.zeros((3, 2)))


def test_group_size_refusal_and_sampled_patterns_input():
    X = data.ds2()[0]
    with pytest.raises(ProblemTooLargeError, match="sample_groups"):
        ar.enumerate_groups(X, 3, max_groups=10_000)
    sampled = ar.sample_patterns(X, 50, seed=0)
    g = ar.enumerate_groups(X, 1, patterns=sampled)
    assert not g.exact and g.count == int(sampled.patterns.any(axis=0).sum())
    assert math.comb(58 + 1, 2) - 1 == ar.group_count_lower_bound(58, 2)
    assert ar.group_count_lower_bound(12, 2) <= ar.enumerate_groups(data.ds1()[0], 2).count


def test_group_keys_are_one_identity_across_objects_and_neuron_orders():
    g = ar.enumerate_groups(data.ds1()[0], 2)
    keys = ar.group_keys(g.D1, g.sigma, g.D2)
    assert keys.dtype == np.uint8 and len(np.unique(keys, axis=0)) == g.count
    assert np.array_equal(ar.group_keys(g.D1[:, ::-1], g.sigma[:, ::-1], g.D2), keys)
    part = np.arange(30, 120)
    assert np.array_equal(ar.group_keys(g.D1[part], g.sigma[part], g.D2[part]), keys[part])
    order = np.lexsort(keys.T[::-1])
    assert np.array_equal(order, np.arange(g.count))  # Groups are sorted by key


def test_joining_overlapping_group_sets_keeps_each_group_once():
    from pathconvex_lab.convex.groups import subset_groups, union_groups

    g = ar.enumerate_groups(data.ds1()[0], 2)
    joined = union_groups(subset_groups(g, np.arange(0, 50)), subset_groups(g, np.arange(30, 120)))
    assert joined.count == 120 and group_set(joined) == group_set(subset_groups(g, np.arange(120)))


# ----------------------------------------------------------------------------- LP solver faults
@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 8, 9])
def test_groups_of_gaussian_plane_data_where_warm_highs_says_unknown(seed):
    """Warm re-solves of HiGHS 1.16 end in "Unknown" on these data sets; the count is the
    one every other seed of the family gives (16,098 +- 150) and every group is realized."""
    X = data.add_bias(np.random.default_rng(seed).standard_normal((8, 2)))
    g = ar.enumerate_groups(X, 2)
    assert g.exact and 15_900 < g.count < 16_300
    assert_groups_realized(X, g)
    assert group_set(ar.sample_groups(X, 2, 3000, seed=seed)) <= group_set(g)


class _UnluckyHighs:
    """Wraps a HiGHS model so that every other run reports "Unknown" (what HiGHS 1.16 does
    now and then after a warm start), to drive the enumeration through its retries."""

    def __init__(self, inner):
        self._inner, self._runs = inner, 0

    def run(self):
        self._runs += 1
        return self._inner.run()

    def getModelStatus(self):
        import highspy
        if self._runs % 2:
            return highspy.HighsModelStatus.kUnknown
        return self._inner.getModelStatus()

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_group_enumeration_survives_undecided_lp_statuses(monkeypatch):
    X = DEGENERATE_5
    expected = group_set(ar.enumerate_groups(X, 2))
    original = _lp.FeasibilityLP.__init__

    def unlucky_init(self, G, F):
        original(self, G, F)
        self._highs = _UnluckyHighs(self._highs)

    monkeypatch.setattr(_lp.FeasibilityLP, "__init__", unlucky_init)
    g = ar.enumerate_groups(X, 2)
    assert group_set(g) == expected
    assert_groups_realized(X, g)


def test_reference_lp_tries_every_highs_method(monkeypatch):
    calls = []
    real = _lp.linprog

    def flaky(*args, method, **kwargs):
        calls.append(method)
        res = real(*args, method=method, **kwargs)
        if method == "highs":
            res.status, res.message = 4, "numerical difficulties (simulated)"
        return res

    monkeypatch.setattr(_lp, "linprog", flaky)
    assert _lp.strict_point(np.array([[1.0, 0.0], [0.0, 1.0]])) is not None
    assert calls[:2] == ["highs", "highs-ds"]
    monkeypatch.setattr(_lp, "linprog", lambda *a, method, **k: type("R", (), {"status": 4, "message": "stuck"})())
    from pathconvex_lab.errors import SolverError
    with pytest.raises(SolverError, match="highs-ipm: status 4"):
        _lp.strict_point(np.array([[1.0, 0.0]]))


gaussian_or_integer_plane = st.tuples(st.integers(3, 5), st.integers(0, 2**31 - 1), st.booleans())


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gaussian_or_integer_plane)
def test_exact_three_layer_groups_on_200_random_small_data_sets(case):
    """Gaussian points in the plane (plus bias), or integer ones in {-2..2}^2 with repeats,
    collinear triples and zero rows: every group realized, a sample of groups inside."""
    n, seed, integer = case
    rng = np.random.default_rng(seed)
    pts = rng.integers(-2, 3, size=(n, 2)).astype(float) if integer else rng.standard_normal((n, 2))
    X = data.add_bias(pts)
    g = ar.enumerate_groups(X, 2)
    assert g.exact
    assert_groups_realized(X, g)
    assert group_set(ar.sample_groups(X, 2, 400, seed=seed)) <= group_set(g)
