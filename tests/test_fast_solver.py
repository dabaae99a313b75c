"""Tests of the fast interior-point solver ``pathconvex_lab.convex.fast``.

Every optimum is held against an independent computation: the docs/mathematics.md §8 reference values, a
vectorised cvxpy model of the same program solved by CLARABEL (written here, not shared with the
package), exact per-group support values computed by cvxpy for the dual certificate, and a
numpy recomputation of objective and constraints from the returned blocks.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_values import (
    DATA_SETS,
    DS1_THREE_LAYER_M1_2_OPTIMA,
    DS1_THREE_LAYER_M1_3_OPTIMUM,
    DS1_TWO_LAYER_OPTIMUM,
    DS2_THREE_LAYER_M1_2_OPTIMUM,
    DS2_TWO_LAYER_OPTIMUM,
    DS3_8_THREE_LAYER_M1_2_OPTIMUM,
    DS3_8_TWO_LAYER_OPTIMUM,
    TWO_LAYER_OPTIMA,
)

from pathconvex_lab import arrangements
from pathconvex_lab.convex.fast import (
    api,
    cones,
    facets,
    ipm,
    kernels,
    newton,
    solve_group_program_fast,
    step,
)
from pathconvex_lab.convex.fast import settings as tuning
from pathconvex_lab.convex.fast.certify import sharpen_multipliers
from pathconvex_lab.convex.fast.maps import build_maps
from pathconvex_lab.convex.fast.state import initial_state
from pathconvex_lab.convex.program import BackendResult, IterationRecord
from pathconvex_lab.data import ds1, ds2, ds3
from pathconvex_lab.errors import InputError, ProblemTooLargeError, SolverError
from pathconvex_lab.nets import resolve_device

RTOL = 1e-6


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --------------------------------------------------------------------------- independent helpers


def two_layer_groups(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact two-layer program as groups: every nonzero chamber pattern, ``m1 = 1``, ``D2 = D1``."""
    D = arrangements.enumerate_patterns(X).patterns.T
    D = D[D.any(1)]
    return D[:, None, :], np.ones((len(D), 1)), D


def sampled_groups(X: np.ndarray, m1: int, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """docs/mathematics.md §5.4 sampling, written out here: random ``(V, sigma)``, ``D1 = 1[X v_j > 0]``,
    ``D2 = 1[h > 0]``, canonical multiset order, duplicates and ``D2 = 0`` dropped."""
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((draws, X.shape[1], m1))
    sigma = rng.choice([-1.0, 1.0], size=(draws, m1))
    XV = np.einsum("nd,kdj->kjn", X, V)
    D1 = XV > 0
    D2 = np.einsum("kj,kjn->kn", sigma, D1 * XV) > 0
    groups = {}
    for k in range(draws):
        if D2[k].any():
            labels = tuple(sorted((sigma[k, j],) + tuple(D1[k, j]) for j in range(m1)))
            groups.setdefault((labels, tuple(D2[k])), (labels, D2[k]))
    D1o = np.array([[lab[1:] for lab in labels] for labels, _ in groups.values()], dtype=bool)
    sigmao = np.array([[lab[0] for lab in labels] for labels, _ in groups.values()])
    return D1o, sigmao, np.array([d2 for _, d2 in groups.values()])


def cvxpy_program(X, y, beta, D1, sigma, D2) -> cp.Problem:
    """The group program (docs/mathematics.md §3.5) as one vectorised cvxpy problem."""
    n, d = X.shape
    G, m1, _ = D1.shape
    E1 = (2.0 * D1 - 1).transpose(2, 0, 1).reshape(n, G * m1)
    S2 = (sigma[:, :, None] * D1).transpose(2, 0, 1).reshape(n, G * m1)
    E2 = (2.0 * D2 - 1).T
    blocks = sp.kron(sp.eye(G), np.ones((m1, 1)), format="csr")  # sums the m1 columns of a group
    out, reg, cons = 0, 0, []
    for s in (1.0, -1.0):
        V = cp.Variable((d, G * m1))
        XV = X @ V
        h = cp.multiply(S2, XV) @ blocks
        cons += [cp.multiply(E1, XV) >= 0, cp.multiply(E2, h) >= 0]
        out = out + s * cp.sum(cp.multiply(D2.T.astype(float), h), axis=1)
        reg = reg + cp.sum(cp.norm(cp.reshape(V, (d * m1, G), order="F"), 2, axis=0))
    return cp.Problem(cp.Minimize(0.5 * cp.sum_squares(out - y) + beta * reg), cons)


def clarabel_value(X, y, beta, D1, sigma, D2) -> float:
    prob = cvxpy_program(X, y, beta, D1, sigma, D2)
    prob.solve(solver="CLARABEL")
    assert prob.status == "optimal"
    return float(prob.value)


def numpy_objective_and_violation(X, y, beta, D1, sigma, D2, V) -> tuple[float, float]:
    """Objective and relative violation of blocks ``V (2, G, d, m1)``, recomputed with numpy."""
    XV = np.einsum("nd,sgdj->sgjn", X, V)
    h = np.einsum("gj,gjn,sgjn->sgn", sigma, D1, XV)
    f = (D2 * (h[0] - h[1])).sum(0)
    objective = 0.5 * np.sum((f - y) ** 2) + beta * np.sqrt((V**2).sum((2, 3))).sum()
    worst = max(np.max(-(2.0 * D1 - 1) * XV), np.max(-(2.0 * D2 - 1) * h), 0.0)
    return objective, worst / max(np.abs(XV).max(), 1e-300)


def b1_problem(n: int, d: int, P: int, seed: int):
    """A small B1-style problem (benchmarks/README.md) (teacher network, sampled distinct patterns)."""
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    f = np.maximum(X @ rng.standard_normal((d + 1, 4)), 0) @ np.array([1.0, -1.0, 1.0, -1.0])
    y = np.sign(f - np.median(f)) + 0.1 * rng.standard_normal(n)
    D = np.unique((X @ rng.standard_normal((d + 1, 4 * P)) >= 0).T, axis=0)
    D = D[D.any(1)][:P]
    return X, y, 1e-3 * n, D[:, None, :], np.ones((len(D), 1)), D


def assert_optimal(out: BackendResult, reference: float, rtol: float = RTOL) -> None:
    assert out.status == "optimal"
    assert out.gap <= 1e-6 and out.violation <= 1e-6
    assert abs(out.objective - reference) <= rtol * abs(reference), (out.objective, reference)


# --------------------------------------------------------------------------- second-order cone algebra


def _interior(rng: np.random.Generator, batch: int, k: int) -> torch.Tensor:
    x = rng.standard_normal((batch, k))
    x[:, 0] = np.linalg.norm(x[:, 1:], axis=1) * (1 + rng.uniform(1e-3, 2, batch))
    return torch.as_tensor(x)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 9))
def test_nesterov_todd_scaling_identities(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    s, z = _interior(rng, 50, k), _interior(rng, 50, k)
    nt = cones.NTScaling.of(s, z)
    torch.testing.assert_close(nt.apply(z), nt.apply_inverse(s), rtol=1e-9, atol=1e-9)  # W z = W^{-1} s
    x = torch.as_tensor(rng.standard_normal((50, k)))
    twice = nt.apply_inverse(nt.apply_inverse(x))
    torch.testing.assert_close(nt.apply_inverse_square(x), twice, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close((nt.inverse_square() @ x.unsqueeze(-1))[..., 0], twice, rtol=1e-9, atol=1e-9)
    u = cones.arrow_solve(nt.lam, x)
    torch.testing.assert_close(cones.jordan(nt.lam, u), x, rtol=1e-9, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 9))
def test_second_order_cone_step_reaches_the_boundary(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    x = _interior(rng, 200, k)
    dx = torch.as_tensor(3 * rng.standard_normal((200, k)))
    inv = cones.soc_inverse_step(x, dx)
    bounded = inv > 0

    def margin(alpha: torch.Tensor) -> torch.Tensor:
        point = x + alpha.unsqueeze(-1) * dx
        return point[:, 0] - point[:, 1:].norm(dim=1)

    alpha = torch.where(bounded, 1 / inv, torch.ones_like(inv))
    assert bool((margin(alpha * (1 - 1e-7))[bounded] >= -1e-9).all())
    assert bool((margin(alpha * (1 + 1e-7))[bounded] <= 1e-9).all())
    assert bool((margin(torch.full_like(inv, 1e3))[~bounded] > 0).all())


def test_vectorised_small_block_factorization_matches_lapack() -> None:
    """Block matrices are stored batch-last ``(k, k, batch)``; large batches of small blocks use the
    column-by-column kernels, which must agree with LAPACK."""
    rng = np.random.default_rng(3)
    A = torch.as_tensor(rng.standard_normal((3000, 6, 6)))
    H = A @ A.transpose(1, 2) + 1e-3 * torch.eye(6, dtype=A.dtype)
    assert kernels._use_vectorised_kernel(6, 3000, H.device)
    Hb = kernels.batch_last(H)
    torch.testing.assert_close(kernels.lapack_layout(kernels.cholesky(Hb)), torch.linalg.cholesky(H), rtol=1e-10, atol=1e-10)
    eye = torch.eye(6, dtype=H.dtype).expand(3000, 6, 6)
    torch.testing.assert_close(kernels.lapack_layout(kernels.spd_inverse(Hb)) @ H, eye, rtol=0, atol=1e-8)
    x = torch.as_tensor(rng.standard_normal((3000, 6)))
    Ab = kernels.batch_last(A)  # not symmetric: the transpose matters
    torch.testing.assert_close(kernels.block_matvec(Ab, x), (A @ x.unsqueeze(-1))[..., 0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(
        kernels.block_matvec(Ab, x, transpose=True), (A.transpose(1, 2) @ x.unsqueeze(-1))[..., 0], rtol=1e-12, atol=1e-12
    )
    with pytest.raises(kernels.FactorizationError):
        kernels.cholesky(-Hb)


def test_gpu_block_products_match_the_column_kernels() -> None:
    """On a GPU the block products are one batched product instead of ``k`` column kernels; both routes
    (checked here on the CPU) give ``A_b x_b`` and ``A_b^T x_b`` for stacks with two batch axes."""
    rng = np.random.default_rng(4)
    A = torch.as_tensor(rng.standard_normal((2, 50, 7, 7)))
    x = torch.as_tensor(rng.standard_normal((2, 50, 7)))
    Ab = kernels.batch_last(A)
    for transpose, ref in ((False, A), (True, A.transpose(-1, -2))):
        expected = (ref @ x.unsqueeze(-1))[..., 0]
        torch.testing.assert_close(kernels._block_matvec_batched(Ab, x, transpose), expected, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(kernels.block_matvec(Ab, x, transpose), expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- docs/mathematics.md §8 reference values


@pytest.mark.parametrize(("name", "beta", "expected"), TWO_LAYER_OPTIMA)
def test_two_layer_values_of_math_section_8(name, beta, expected) -> None:
    X, y = DATA_SETS[name]()
    out = solve_group_program_fast(X, y, beta, *two_layer_groups(X))
    assert_optimal(out, expected, rtol=2e-6)  # the references carry 8 digits
    assert out.device == str(resolve_device("auto", dtype=torch.float64)) and out.dtype == "float64"


@pytest.mark.parametrize(
    ("data", "m1", "beta", "expected"),
    [
        (ds1(), 1, 0.1, DS1_TWO_LAYER_OPTIMUM),
        (ds1(), 2, 0.02, DS1_THREE_LAYER_M1_2_OPTIMA[0.02]),
        (ds1(), 2, 0.05, DS1_THREE_LAYER_M1_2_OPTIMA[0.05]),
        (ds1(), 2, 0.1, DS1_THREE_LAYER_M1_2_OPTIMA[0.1]),
        (ds3(8), 2, 0.05, DS3_8_THREE_LAYER_M1_2_OPTIMUM),
        (ds2(), 1, 0.05, DS2_TWO_LAYER_OPTIMUM),
    ],
)
def test_three_layer_values_of_math_section_8(data, m1, beta, expected) -> None:
    X, y = data
    g = arrangements.enumerate_groups(X, m1)
    out = solve_group_program_fast(X, y, beta, g.D1, g.sigma, g.D2)
    assert_optimal(out, expected, rtol=2e-6)
    objective, violation = numpy_objective_and_violation(X, y, beta, g.D1, g.sigma, g.D2, out.V)
    assert objective == pytest.approx(out.objective, rel=1e-12)
    assert violation == pytest.approx(out.violation, rel=1e-6, abs=1e-15)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "m1", "beta", "expected"),
    [(ds1(), 3, 0.1, DS1_THREE_LAYER_M1_3_OPTIMUM), (ds2(), 2, 0.05, DS2_THREE_LAYER_M1_2_OPTIMUM)],
)
def test_large_three_layer_values_of_math_section_8(data, m1, beta, expected) -> None:
    X, y = data
    g = arrangements.enumerate_groups(X, m1)
    out = solve_group_program_fast(X, y, beta, g.D1, g.sigma, g.D2)
    assert_optimal(out, expected, rtol=2e-6)


# --------------------------------------------------------------------------- against CLARABEL


@pytest.mark.parametrize(("n", "d", "P", "seed"), [(40, 3, 12, 0), (60, 4, 30, 1), (120, 3, 8, 2)])
def test_two_layer_random_problems_match_clarabel(n, d, P, seed) -> None:
    """B1-style problems; the last one has n > G d, which uses the block-space capacitance."""
    X, y, beta, D1, sigma, D2 = b1_problem(n, d, P, seed)
    out = solve_group_program_fast(X, y, beta, D1, sigma, D2)
    assert_optimal(out, clarabel_value(X, y, beta, D1, sigma, D2))


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), m1=st.sampled_from([2, 3]))
def test_three_layer_sampled_groups_match_clarabel(seed: int, m1: int) -> None:
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((7, 2)), np.ones((7, 1))])
    y = rng.standard_normal(7)
    D1, sigma, D2 = sampled_groups(X, m1, 300, seed)
    out = solve_group_program_fast(X, y, 0.1, D1, sigma, D2)
    assert_optimal(out, clarabel_value(X, y, 0.1, D1, sigma, D2))
    objective, violation = numpy_objective_and_violation(X, y, 0.1, D1, sigma, D2, out.V)
    assert objective == pytest.approx(out.objective, rel=1e-12) and violation <= 1e-6


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), m1=st.sampled_from([1, 2]), careless=st.booleans())
def test_shrinking_never_changes_the_answer(seed: int, m1: int, careless: bool) -> None:
    """Shrinking forced on every problem (and, when ``careless``, a rule that also drops groups of the
    solution): the result is still the program's optimum over all groups, certified over all of them."""
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((8, 2)), np.ones((8, 1))])
    y = rng.standard_normal(8)
    D1, sigma, D2 = sampled_groups(X, m1, 300, seed)
    patch = {"SHRINK_MIN_GROUPS": 1, "SHRINK_FRACTION": 0.05, "SHRINK_GAP": 0.5}
    if careless:
        patch.update(SHRINK_NORM=0.5)
    saved = {name: getattr(tuning, name) for name in patch}
    try:
        for name, value in patch.items():
            setattr(tuning, name, value)
        out = solve_group_program_fast(X, y, 0.05, D1, sigma, D2)
    finally:
        for name, value in saved.items():
            setattr(tuning, name, value)
    if careless:
        assert min(h.groups for h in out.history) < len(D1)  # the rule did leave groups out
    assert_optimal(out, clarabel_value(X, y, 0.05, D1, sigma, D2))
    objective, violation = numpy_objective_and_violation(X, y, 0.05, D1, sigma, D2, out.V)
    assert objective == pytest.approx(out.objective, rel=1e-12) and violation <= 1e-6


def test_dual_bound_brackets_the_optimum_and_the_certificate_is_tight() -> None:
    """The returned dual bound is a true lower bound; the exact per-group support values at the
    residual (one small SOCP per group and sign, by cvxpy) are at most beta (docs/mathematics.md §3.7)."""
    X, y = ds3(8)
    D1, sigma, D2 = two_layer_groups(X)
    beta = 0.05
    out = solve_group_program_fast(X, y, beta, D1, sigma, D2)
    optimum = clarabel_value(X, y, beta, D1, sigma, D2)
    assert out.dual_bound <= optimum * (1 + 1e-9) <= out.objective * (1 + 2e-9)
    assert out.gap == pytest.approx((out.objective - out.dual_bound) / out.objective, rel=1e-9)
    V = out.V
    f = (D2 * (np.einsum("nd,gdj->gn", X, V[0]) - np.einsum("nd,gdj->gn", X, V[1]))).sum(0)
    r = y - f
    support = []
    for g in range(len(D2)):
        c = (D2[g] * r) @ X
        v = cp.Variable(X.shape[1])
        cone = [cp.multiply(2.0 * D1[g, 0] - 1, X @ v) >= 0, cp.norm(v) <= 1]
        support.append(max(cp.Problem(cp.Maximize(s * c @ v), cone).solve(solver="CLARABEL") for s in (1.0, -1.0)))
    assert max(support) <= beta * (1 + 1e-4)
    assert max(support) >= beta * (1 - 1e-4)  # some group is active


# --------------------------------------------------------------------------- facet presolve


def lp_implied(A: np.ndarray, i: int) -> bool:
    """Whether row ``i`` of ``{v : A v >= 0}`` is implied by the others (HiGHS): the minimum of
    ``a_i . v`` over the others' cone with ``a_i . v >= -1`` is 0 exactly when it is."""
    from scipy.optimize import linprog

    others = np.delete(A, i, axis=0)
    res = linprog(A[i], A_ub=np.vstack([-others, -A[i : i + 1]]), b_ub=np.r_[np.zeros(len(others)), 1.0],
                  bounds=[(None, None)] * A.shape[1], method="highs")
    return res.status == 0 and res.fun > -1e-9


@pytest.mark.parametrize(("n", "d", "seed"), [(30, 2, 0), (40, 3, 1), (25, 4, 2)])
def test_facet_rows_are_exactly_the_rows_not_implied_by_the_others(n, d, seed) -> None:
    """Each kept row is a facet and each dropped row is implied (an LP per row), on random data with
    a bias column, a duplicated point and a zero row."""
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    X[1] = X[0]
    X[2] = 0
    patterns = arrangements.sample_patterns(X, 20, seed=seed)
    for p in range(patterns.count):
        D, u = patterns.patterns[:, p], patterns.directions[:, p]
        keep = facets._cone_facets(X, D, u)
        A = (2.0 * D - 1)[:, None] * X
        nonzero = np.flatnonzero(np.abs(X).sum(1) > 0)
        assert not keep[2]  # the zero row constrains nothing
        for i in nonzero:
            implied = lp_implied(A[nonzero], int(np.flatnonzero(nonzero == i)[0]))
            if implied:
                assert not keep[i] or i in (0, 1), (p, i)  # a duplicate pair: one of the two may stay
            else:
                assert keep[i], (p, i)


@pytest.mark.parametrize("m1", [1, 2])
def test_explicit_rows_act_like_the_dense_ones(monkeypatch, m1) -> None:
    """With every row kept, the explicit-row maps give the same rows, adjoint and row Gram matrices."""
    X, y = ds1()
    g = arrangements.enumerate_groups(X, m1)
    maps = build_maps(torch.as_tensor(X), torch.as_tensor(y), 0.1, g.D1, g.sigma.astype(float), g.D2)
    keep = torch.ones(g.D1.shape, dtype=torch.bool)
    monkeypatch.setattr(tuning, "FACET_GAIN", 10.0)  # keep the explicit form even without a reduction
    explicit = facets.facet_maps(maps, keep)
    rng = np.random.default_rng(0)
    G, d = len(g.D1), X.shape[1]
    V = torch.as_tensor(rng.standard_normal((2, G, m1, d)))
    dense_rows = maps.rows(V, maps.xv(V))
    rows = explicit.rows(V, explicit.xv(V))
    live = maps.dummy == 0  # (G, q): the dense rows that are real
    for k in range(G):  # the same multiset of rows per block
        for s in range(2):
            a = np.sort(dense_rows[s, k][live[k]].numpy())
            b = np.sort(rows[s, k][explicit.dummy[k] == 0].numpy())
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # with unit weights on the real rows both forms give G_b^T G_b and G_b^T 1
    ones_dense = live.to(torch.float64).expand(2, -1, -1)
    ones_explicit = (explicit.dummy == 0).to(torch.float64).expand(2, -1, -1)
    torch.testing.assert_close(explicit.row_gram(ones_explicit), maps.row_gram(ones_dense), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(explicit.rows_adjoint(ones_explicit), maps.rows_adjoint(ones_dense), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", ["spiral", "ds1 m1=2", "ds3 m1=2"])
def test_facet_presolve_gives_the_same_certified_optimum(case) -> None:
    if case == "spiral":
        X, y = spiral_data()
        g = arrangements.groups_from_patterns(arrangements.enumerate_patterns(X))
        beta = 0.05
    else:
        X, y = ds1() if case.startswith("ds1") else ds3(8)
        g = arrangements.enumerate_groups(X, 2)
        beta = 0.05
    out = solve_group_program_fast(X, y, beta, g.D1, g.sigma, g.D2, directions=g.V)
    assert_optimal(out, clarabel_value(X, y, beta, g.D1, g.sigma, g.D2))
    objective, violation = numpy_objective_and_violation(X, y, beta, g.D1, g.sigma, g.D2, out.V)
    assert objective == pytest.approx(out.objective, rel=1e-12) and violation <= 1e-6


def test_a_facet_left_out_by_mistake_is_caught_by_the_check_on_every_row(monkeypatch) -> None:
    """A presolve that keeps only the tight rows and one facet per cone makes a relaxation whose
    answer violates left-out rows; the check over every row notices and solves again with all."""
    X, y = spiral_data()
    g = arrangements.groups_from_patterns(arrangements.enumerate_patterns(X))
    honest = facets.facet_rows

    def careless(X_, D1, directions):
        keep = honest(X_, D1, directions)
        first = keep.cumsum(-1) == 1
        return keep & first

    monkeypatch.setattr(api, "facet_rows", careless)
    out = solve_group_program_fast(X, y, 0.05, g.D1, g.sigma, g.D2, directions=g.V)
    assert_optimal(out, clarabel_value(X, y, 0.05, g.D1, g.sigma, g.D2))
    restarts = sum(1 for h in out.history if h.iteration == 0)
    assert restarts == 2  # the relaxed solve, then the solve with every row
    objective, violation = numpy_objective_and_violation(X, y, 0.05, g.D1, g.sigma, g.D2, out.V)
    assert violation <= 1e-6


def spiral_data() -> tuple[np.ndarray, np.ndarray]:
    """20 spiral points in the plane with a bias column (exact two-layer program: ~360 chambers)."""
    from pathconvex_lab.data import add_bias, spiral

    X, y = spiral(20, seed=0)
    return add_bias(X), y


# --------------------------------------------------------------------------- iterative Newton solves


def _newton_pair(X, y, D1, sigma, D2, seed: int):
    """The same Newton matrix (random SPD block Hessians) as the dense block-space solver and as the
    iterative solver."""
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    maps = build_maps(Xt, yt, 0.1, D1, sigma, D2)
    _n, d, G, m1 = maps.sizes
    k = m1 * d + 1
    rng = np.random.default_rng(seed)
    B = torch.as_tensor(rng.standard_normal((2, G, k, k)))
    H = B @ B.transpose(-1, -2) * torch.as_tensor(10.0 ** rng.uniform(-3, 3, (2, G, 1, 1))) + 1e-3 * torch.eye(k)
    direct = newton._BlockSpaceNewton(maps, H, maps.loss_gram())
    iterative = newton._IterativeNewton(maps, H, maps.group_gram())
    return direct, iterative, torch.as_tensor(rng.standard_normal((2, G, k)))


@pytest.mark.parametrize(("m1", "coupled_groups"), [(1, 0), (1, 3), (2, 0), (2, 5)])
def test_the_iterative_solver_solves_the_same_newton_system(monkeypatch, m1, coupled_groups) -> None:
    """Its products (masked products with X) equal the dense solver's (with the formed M^T M), and
    its solution leaves a residual below the requested tolerance, whatever part of the coupling
    between groups its preconditioner keeps (none, or that of a few groups)."""
    X, y = ds1()
    D1, sigma, D2 = sampled_groups(X, m1, 40, 0) if m1 > 1 else two_layer_groups(X)
    monkeypatch.setattr(tuning, "KRYLOV_DENSE_SIZE", coupled_groups * m1 * X.shape[1])
    direct, iterative, rhs = _newton_pair(X, y, D1, sigma, D2, seed=m1)
    assert len(iterative.S) == coupled_groups
    torch.testing.assert_close(iterative.matvec(rhs.clone()), direct.matvec(rhs.clone()), rtol=1e-10, atol=1e-10)
    dx = iterative.solve(rhs, target=1e-9 * float(rhs.norm()))
    assert float((direct.matvec(dx) - rhs).norm()) <= 1e-9 * float(rhs.norm())
    torch.testing.assert_close(dx, direct.solve(rhs), rtol=1e-6, atol=1e-6)
    assert iterative.iterations > 1


@pytest.mark.parametrize("case", ["one group", "all groups coupled"])
def test_the_preconditioner_is_exact_when_it_keeps_all_the_coupling(monkeypatch, case) -> None:
    """With one group nothing couples groups, and with room for every group the coupling is kept
    whole: either way the preconditioner is the Newton matrix itself, and one Krylov step (a second
    for rounding) reaches the default tolerance."""
    X, y = ds1()
    D1, sigma, D2 = two_layer_groups(X)
    if case == "one group":
        monkeypatch.setattr(tuning, "KRYLOV_DENSE_SIZE", 0)
        D1, sigma, D2 = D1[:1], sigma[:1], D2[:1]
    direct, iterative, rhs = _newton_pair(X, y, D1, sigma, D2, seed=5)
    torch.testing.assert_close(iterative._woodbury(rhs), direct.solve(rhs), rtol=1e-8, atol=1e-8)
    iterative.solve(rhs)
    assert iterative.iterations <= 2


@pytest.mark.slow
@pytest.mark.parametrize("case", ["two layers, n < G d", "two layers, n > G d", "three layers m1=2"])
def test_iterative_newton_solves_reach_the_certified_optimum(monkeypatch, case) -> None:
    """End to end, with a preconditioner that keeps the coupling of only four groups (the regime of
    problems too large for the dense solver)."""
    if case == "three layers m1=2":
        rng = np.random.default_rng(4)
        X = np.hstack([rng.standard_normal((7, 2)), np.ones((7, 1))])
        y, beta = rng.standard_normal(7), 0.1
        groups = sampled_groups(X, 2, 300, 4)
    else:
        X, y, beta, *groups = b1_problem(*((60, 4, 30, 1) if case.endswith("< G d") else (120, 3, 8, 2)))
    monkeypatch.setattr(tuning, "KRYLOV_DENSE_SIZE", 4 * groups[0].shape[1] * X.shape[1])
    out = solve_group_program_fast(X, y, beta, *groups, linear_solver="iterative")
    assert out.linear_solver == "iterative"
    assert sum(h.linear_iterations for h in out.history) > out.iterations
    assert_optimal(out, clarabel_value(X, y, beta, *groups))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["two layers, n > G d", "two layers, n < G d", "three layers m1=2"])
def test_centrality_correctors_keep_the_optimum_and_save_newton_steps(monkeypatch, case) -> None:
    """Gondzio's corrector (normally only for capacitances of CORRECTOR_MIN_SIZE rows and more, forced
    here for every size) reaches the same certified optimum as CLARABEL, in fewer Newton steps on the
    B1-style problems (many cone rows) and no more on the small three-layer one."""
    if case == "three layers m1=2":
        X, y = ds1()
        beta, groups = 0.1, sampled_groups(X, 2, 60, 1)
    else:
        X, y, beta, *groups = b1_problem(*((400, 10, 24, 3) if case.endswith("> G d") else (150, 5, 64, 3)))
    plain = solve_group_program_fast(X, y, beta, *groups)
    monkeypatch.setattr(tuning, "CORRECTOR_MIN_SIZE", 0)
    corrected = solve_group_program_fast(X, y, beta, *groups)
    assert_optimal(corrected, clarabel_value(X, y, beta, *groups))
    assert sum(h.correctors for h in plain.history) == 0
    assert sum(h.correctors for h in corrected.history) > 0
    assert all(0 < h.step_length <= 1 for h in corrected.history[:-1])
    assert corrected.iterations < plain.iterations or (case.startswith("three") and corrected.iterations == plain.iterations)


def test_the_cold_start_scales_with_beta_and_reaches_the_optimum() -> None:
    """Slacks, multipliers and epigraph variables start at max(START_SLACK, beta) in unit data; with a
    beta above START_SLACK the solve still reaches CLARABEL's optimum."""
    X, y, _beta, *groups = b1_problem(150, 5, 16, 2)
    for beta in (1e-3, 4.0):
        maps = build_maps(torch.as_tensor(X), torch.as_tensor(y), beta, *groups)
        st = initial_state(maps)
        start = max(tuning.START_SLACK, beta)
        live = (maps.dummy == 0).expand(2, -1, -1)
        assert bool((st.sl[live] == start).all()) and bool((st.zl == start).all())
        assert bool((st.x[..., 0] == start).all()) and bool((st.x[..., 1:] == 0).all())
    big = 10.0  # scaled beta 2.1 (the data's scales are 3.9 for X and 1.25 for y); blocks stay nonzero
    assert big / (np.sqrt((X * X).sum(1)).max() * np.abs(y).max()) > tuning.START_SLACK
    out = solve_group_program_fast(X, y, big, *groups)
    assert out.objective < 0.99 * 0.5 * float(y @ y)  # not the zero network
    assert_optimal(out, clarabel_value(X, y, big, *groups))


@pytest.mark.slow
def test_auto_uses_the_iterative_solver_when_the_dense_plan_does_not_fit(monkeypatch) -> None:
    X, y, beta, *groups = b1_problem(60, 4, 30, 1)
    G, m1, n = groups[0].shape
    d = X.shape[1]
    monkeypatch.setattr(tuning, "KRYLOV_DENSE_SIZE", 4 * d)  # the coupling of four groups kept
    direct_bytes, iterative_bytes = (api._planned_bytes(n, d, G, m1, 8, s) for s in ("direct", "iterative"))
    assert iterative_bytes < direct_bytes
    monkeypatch.setattr(tuning, "CPU_MEMORY_BUDGET", (iterative_bytes + direct_bytes) // 2)
    out = solve_group_program_fast(X, y, beta, *groups, device="cpu")
    assert out.linear_solver == "iterative"
    assert_optimal(out, clarabel_value(X, y, beta, *groups))
    with pytest.raises(ProblemTooLargeError, match="'direct'"):
        solve_group_program_fast(X, y, beta, *groups, device="cpu", linear_solver="direct")
    monkeypatch.setattr(tuning, "CPU_MEMORY_BUDGET", iterative_bytes // 2)
    with pytest.raises(ProblemTooLargeError, match="'iterative'"):
        solve_group_program_fast(X, y, beta, *groups, device="cpu")


# --------------------------------------------------------------------------- behaviour


def test_shrinking_leaves_out_unused_groups_and_still_certifies_all_of_them() -> None:
    """DS3(8), m1 = 2 (865 groups): the working set shrinks during the solve, and the returned gap,
    bound and objective hold for the whole program (CLARABEL over all groups agrees)."""
    X, y = ds3(8)
    g = arrangements.enumerate_groups(X, 2)
    out = solve_group_program_fast(X, y, 0.05, g.D1, g.sigma, g.D2)
    sizes = [h.groups for h in out.history]
    assert sizes[0] == len(g.D1) and min(sizes) < len(g.D1) / 2
    assert_optimal(out, clarabel_value(X, y, 0.05, g.D1, g.sigma, g.D2))
    assert out.dual_bound <= DS3_8_THREE_LAYER_M1_2_OPTIMUM * (1 + 1e-8)


def test_groups_left_out_wrongly_are_brought_back(monkeypatch) -> None:
    """A careless shrinking rule (every group with blocks below half the largest) drops groups of the
    solution; the certificate over all groups notices and brings them back."""
    X, y = ds1()
    g = arrangements.enumerate_groups(X, 2)
    monkeypatch.setattr(tuning, "SHRINK_NORM", 0.5)
    monkeypatch.setattr(tuning, "SHRINK_FRACTION", 0.01)
    out = solve_group_program_fast(X, y, 0.05, g.D1, g.sigma, g.D2)
    sizes = [h.groups for h in out.history]
    low = sizes.index(min(sizes))
    assert min(sizes) < len(g.D1) and max(sizes[low:]) > min(sizes), sizes
    assert_optimal(out, DS1_THREE_LAYER_M1_2_OPTIMA[0.05], rtol=2e-6)


def test_sharpened_multipliers_give_the_exact_support_value_from_above() -> None:
    """For a left-out group, min over mu >= 0 of ||c + G^T mu|| is the support value
    max{c . v : v in the cone, ||v|| <= 1} (computed here by cvxpy); the sharpened bound is a valid
    upper bound and close to it."""
    X, y = ds3(8)
    D1, sigma, D2 = two_layer_groups(X)
    Xt = torch.as_tensor(X)
    maps = build_maps(Xt, torch.as_tensor(y), 0.05, D1, sigma, D2)
    rng = np.random.default_rng(0)
    c = torch.as_tensor(rng.standard_normal((2, len(D1), X.shape[1])))
    mu = sharpen_multipliers(maps, c, torch.zeros(2, len(D1), X.shape[0], dtype=torch.float64))
    assert bool((mu >= 0).all())
    nu = maps.rows_adjoint(mu).reshape(c.shape)
    theta = (-(c * nu).sum(-1) / nu.square().sum(-1).clamp_min(1e-300)).clamp_min(0)
    bound = (c + theta.unsqueeze(-1) * nu).norm(dim=-1).numpy()
    for s in range(2):
        for g in range(len(D1)):
            v = cp.Variable(X.shape[1])
            cone = [cp.multiply(2.0 * D1[g, 0] - 1, X @ v) >= 0, cp.norm(v) <= 1]
            exact = cp.Problem(cp.Maximize(c[s, g].numpy() @ v), cone).solve(solver="CLARABEL")
            assert exact - 1e-7 <= bound[s, g] <= exact + 1e-3 * np.linalg.norm(c[s, g].numpy()), (s, g)


def test_warm_start_from_a_nearby_solution_saves_newton_steps() -> None:
    X, y, _, D1, sigma, D2 = b1_problem(60, 3, 24, 5)
    previous = solve_group_program_fast(X, y, 0.06, D1, sigma, D2)
    cold = solve_group_program_fast(X, y, 0.05, D1, sigma, D2)
    warm = solve_group_program_fast(X, y, 0.05, D1, sigma, D2, warm_start=previous.V)
    assert_optimal(warm, cold.objective, rtol=2e-6)
    assert warm.iterations < cold.iterations


def test_two_layer_patterns_may_be_given_as_a_matrix() -> None:
    X, y = ds1()
    D1, sigma, D2 = two_layer_groups(X)
    a = solve_group_program_fast(X, y, 0.1, D1, sigma, D2)
    b = solve_group_program_fast(X, y, 0.1, D1[:, 0, :], sigma[:, 0], D2)
    np.testing.assert_allclose(a.V, b.V, rtol=0, atol=1e-12)


def test_small_cpu_problems_run_on_one_thread_and_restore_the_setting(monkeypatch) -> None:
    """``threads=None`` uses one torch thread below MULTITHREAD_ROWS cone-row entries, torch's setting
    above it; an explicit count is used as given; the process setting is restored either way."""
    X, y = ds1()
    groups = two_layer_groups(X)
    seen, solve = [], api._solve

    def recording(*args):
        seen.append(torch.get_num_threads())
        return solve(*args)

    monkeypatch.setattr(api, "_solve", recording)
    torch.set_num_threads(2)
    try:
        solve_group_program_fast(X, y, 0.1, *groups, device="cpu")
        solve_group_program_fast(X, y, 0.1, *groups, device="cpu", threads=2)
        monkeypatch.setattr(tuning, "MULTITHREAD_ROWS", 1)
        solve_group_program_fast(X, y, 0.1, *groups, device="cpu")
        assert seen == [1, 2, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    with pytest.raises(InputError, match="threads"):
        solve_group_program_fast(X, y, 0.1, *groups, threads=0)


def test_zero_targets_give_the_zero_network() -> None:
    X, _ = ds1()
    out = solve_group_program_fast(X, np.zeros(6), 0.1, *two_layer_groups(X))
    assert out.status == "optimal" and out.objective == 0.0 and not out.V.any()


def test_iteration_and_time_limits_are_reported_not_hidden() -> None:
    X, y = ds3(8)
    groups = two_layer_groups(X)
    out = solve_group_program_fast(X, y, 0.05, *groups, max_iter=3)
    assert out.status == "max_iter" and out.iterations == 3 and out.gap > 1e-6
    assert "iteration limit" in out.message
    assert len(out.history) == 4 and out.history[-1].gap >= out.gap
    out = solve_group_program_fast(X, y, 0.05, *groups, time_limit=1e-9)
    assert out.status == "time_limit" and out.iterations == 0


def _history(gaps, mus, dual=None) -> list[IterationRecord]:
    dual = dual or [0.0] * len(gaps)
    return [
        IterationRecord(iteration=k, seconds=0.0, gap=g, violation=0.0, mu=m, primal_residual=0.0,
                        dual_residual=r, groups=1)
        for k, (g, m, r) in enumerate(zip(gaps, mus, dual))
    ]


def test_the_stall_rule_measures_progress_against_the_recent_past() -> None:
    """From a cold start mu first rises (1000-fold at B1 data n = 1e5) and then falls while the gap is
    still near 1: that is progress, not a stall (measured against the start's small mu, it once read as
    one). Flat mu and merit stall; so does a merit that is flat while mu sinks below its floor."""
    S = tuning.STALL_ITERATIONS
    rising_then_falling = [0.01 * 2.0**k for k in range(10)] + [10.24 * 0.8**k for k in range(25)]
    slow_gap = [0.99 - 0.002 * k for k in range(len(rising_then_falling))]
    dual = [1e3 * 0.7**k for k in range(len(slow_gap))]  # the dual residual falls while mu rises
    run = _history(slow_gap, rising_then_falling, dual)
    assert not any(ipm._stalled(run[: k + 1]) for k in range(len(run)))
    flat = _history([0.5] * (S + 1), [1e-3] * (S + 1))
    assert ipm._stalled(flat) and not ipm._stalled(flat[:S])
    sinking = _history([0.5] * (S + 1), [1.0] + [1e-15 * 0.5**k for k in range(S)])
    assert ipm._stalled(sinking)
    assert not ipm._stalled(_history([0.5] * S + [0.44], [1.0] * (S + 1)))  # the merit moved


def test_a_breakdown_raises_solver_error_with_residuals(monkeypatch) -> None:
    X, y = ds1()

    def broken(*args, **kwargs):
        raise kernels.FactorizationError("injected breakdown")

    monkeypatch.setattr(step, "newton_step", broken)
    with pytest.raises(SolverError, match=r"injected breakdown.*gap .*violation .*primal residual .*dual residual"):
        solve_group_program_fast(X, y, 0.1, *two_layer_groups(X))


def test_a_breakdown_is_tried_again_with_a_larger_shift(monkeypatch) -> None:
    """A factorization that breaks down is retried once with REGULARIZATION_RETRY times the diagonal
    shift; the solve goes on to the certified optimum."""
    X, y = ds1()
    groups = two_layer_groups(X)
    original, shifts = step.newton_step, []

    def flaky(*args, shift=1.0):
        shifts.append(shift)
        if len(shifts) == 5:
            raise kernels.FactorizationError("injected breakdown")
        return original(*args, shift=shift)

    monkeypatch.setattr(step, "newton_step", flaky)
    out = solve_group_program_fast(X, y, 0.1, *groups)
    assert shifts[3:6] == [1.0, 1.0, tuning.REGULARIZATION_RETRY] and shifts[6] == 1.0
    assert_optimal(out, clarabel_value(X, y, 0.1, *groups))


def test_float32_stops_at_its_precision_and_says_so() -> None:
    X, y = ds3(8)
    groups = two_layer_groups(X)
    loose = solve_group_program_fast(X, y, 0.05, *groups, dtype=torch.float32, tol=2e-2)
    assert loose.status == "optimal" and loose.dtype == "float32" and loose.message == ""
    assert DS3_8_TWO_LAYER_OPTIMUM * (1 - 1e-6) <= loose.objective <= DS3_8_TWO_LAYER_OPTIMUM * (1 + 2e-2)
    tight = solve_group_program_fast(X, y, 0.05, *groups, dtype=torch.float32, tol=1e-10)
    assert tight.status == "precision_limit" and tight.gap > 1e-10
    assert "float32 precision" in tight.message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": -1.0}, "beta"),
        ({"D1": np.ones((3, 1, 5), bool)}, "D1"),
        ({"sigma": np.zeros((11, 1))}, "sigma"),
        ({"D2": np.ones((11, 5), bool)}, "D2"),
        ({"tol": 0.0}, "tol"),
        ({"warm_start": np.zeros((2, 11, 2, 2))}, "warm_start"),
        ({"dtype": torch.float16}, "dtype"),
        ({"device": 3}, "device"),
        ({"linear_solver": "lu"}, "linear_solver"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, match) -> None:
    X, y = ds1()
    D1, sigma, D2 = two_layer_groups(X)
    args = {"X": X, "y": y, "beta": 0.1, "D1": D1, "sigma": sigma, "D2": D2}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        solve_group_program_fast(**args)


def test_too_large_problems_are_refused_before_allocating(monkeypatch) -> None:
    monkeypatch.setattr(tuning, "CPU_MEMORY_BUDGET", 1000)
    X, y = ds1()
    with pytest.raises(ProblemTooLargeError, match="GiB"):
        solve_group_program_fast(X, y, 0.1, *two_layer_groups(X), device="cpu")


@pytest.mark.gpu
def test_cuda_agrees_with_cpu() -> None:
    X, y = ds3(8)
    g = arrangements.enumerate_groups(X, 2)
    cpu = solve_group_program_fast(X, y, 0.05, g.D1, g.sigma, g.D2, device="cpu")
    gpu = solve_group_program_fast(X, y, 0.05, g.D1, g.sigma, g.D2, device="cuda")
    assert gpu.device.startswith("cuda")
    assert_optimal(gpu, cpu.objective, rtol=2e-6)


def test_a_working_set_takes_its_loss_gram_as_a_slice_of_the_full_one() -> None:
    """Block space: the working groups' ``M^T M`` sliced from the full one equals their own."""
    X, y, beta, *groups = b1_problem(400, 3, 40, 3)
    maps = build_maps(torch.as_tensor(X), torch.as_tensor(y), beta, *groups)
    idx = torch.tensor([0, 3, 7, 8, 20, 39])
    p = maps.sizes[1] * maps.sizes[3]
    torch.testing.assert_close(newton.group_slice(maps.loss_gram(), idx, p), maps.subset(idx).loss_gram(),
                               rtol=1e-12, atol=1e-12)


def test_groups_going_to_zero_leave_the_newton_system_and_the_answer_stays_certified(monkeypatch) -> None:
    """B1-style, many points per group (block-space capacitance): groups whose blocks go to zero leave
    the Newton system (their dual bounds are close to the largest, which no longer keeps them), and the
    certified answer agrees with the solve over all groups: each objective is within the other's
    certified 1e-6 of its dual bound."""
    X, y, beta, *groups = b1_problem(1200, 3, 64, 4)
    monkeypatch.setattr(tuning, "SHRINK_MIN_GROUPS", 1)
    out = solve_group_program_fast(X, y, beta, *groups)
    assert min(h.groups for h in out.history) < len(groups[0])
    monkeypatch.setattr(tuning, "SHRINK_MIN_GROUPS", 10**9)
    full = solve_group_program_fast(X, y, beta, *groups)
    assert all(h.groups == len(groups[0]) for h in full.history)
    assert_optimal(out, full.objective)
    assert full.dual_bound * (1 - 1e-9) <= out.objective <= full.dual_bound * (1 + 1e-6)
    assert out.dual_bound * (1 - 1e-9) <= full.objective <= out.dual_bound * (1 + 1e-6)
