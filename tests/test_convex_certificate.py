"""The dual certificate (docs/mathematics.md §3.7), the lower-bound property of the convex program, and
certify-and-grow, each checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathconvex_lab.arrangements import enumerate_groups, sample_groups
from pathconvex_lab.convex import certificate, certify_and_grow, certify_outputs, solve_groups, solve_two_layer
from pathconvex_lab.convex.certificate import (
    cheap_bounds,
    cone_matrices,
    dual_bounds,
    dual_lower_bound,
    projection_support,
    socp_support,
)
from pathconvex_lab.data import ds1, ds2
from pathconvex_lab.errors import InputError
from pathconvex_lab.nets import ParallelReLUNet, network_objective
from pathconvex_lab.train import train
from reference_values import (
    DS1_THREE_LAYER_M1_2_OPTIMUM,
    DS1_THREE_LAYER_M1_3_OPTIMUM,
    DS1_TWO_LAYER_OPTIMUM,
    DS2_THREE_LAYER_M1_2_OPTIMUM,
)

BETA = 0.1
P_STAR = DS1_THREE_LAYER_M1_2_OPTIMUM  # DS1, m1 = 2, beta = BETA


@pytest.fixture(scope="module")
def groups():
    return enumerate_groups(ds1()[0], 2)


@pytest.fixture(scope="module")
def optimum(groups):
    X, y = ds1()
    return solve_groups(X, y, BETA, groups)


def _perturbed(optimum, seed: int, noise: float, keep: float, rescale: bool) -> ParallelReLUNet:
    """The optimal network with sub-networks dropped, path-preserving rescalings and noise."""
    rng = np.random.default_rng(seed)
    w = optimum.prune().network_weights()
    W1, w2 = w["layers"]
    out = w["out"]
    mask = rng.random(out.shape[0]) < keep
    mask[rng.integers(out.shape[0])] = True
    W1, w2, out = W1[mask], w2[mask], out[mask]
    if rescale:  # positive rescalings along each path leave function and path norm unchanged
        a = np.exp(rng.normal(size=w2.shape[:2]))
        W1, w2 = W1 * a[:, None, :], w2 / a[:, :, None]
    W1 = W1 + noise * rng.standard_normal(W1.shape)
    out = out * (1 + noise * rng.standard_normal(out.shape))
    return ParallelReLUNet.from_weights([W1, w2], out)


# --------------------------------------------------------------------------- support values


def test_socp_support_matches_projection_and_bounds(groups):
    """One vectorised SOCP for all groups == per-group projection onto each cone (NNLS)."""
    X, y = ds1()
    r = np.random.default_rng(0).standard_normal(6)
    idx = np.arange(0, groups.count, 7)
    D1, sig, D2 = groups.D1[idx], groups.sigma[idx], groups.D2[idx]
    socp = socp_support(X, r, D1, sig, D2)
    proj = projection_support(X, r, D1, sig, D2)
    assert np.allclose(socp, proj, atol=1e-6)
    assert (cheap_bounds(X, r, D1, sig, D2) >= socp.max(axis=0) - 1e-9).all()
    A = cone_matrices(X, D1, sig, D2)
    # the first-order dual bounds are valid upper bounds and converge to the exact values
    Cg = np.stack([
        np.concatenate([sig[g, j] * X.T @ (D1[g, j] * D2[g] * r) for j in range(2)]) for g in range(len(idx))
    ])
    start = np.tile(np.linalg.norm(Cg, axis=1), (2, 1))
    short = dual_bounds(A, Cg, start, target=-1.0, iters=30)
    ub = dual_bounds(A, Cg, start, target=-1.0, iters=2000)
    assert (ub >= socp - 1e-7).all() and (short >= ub - 1e-12).all()
    assert np.allclose(ub, socp, atol=1e-5)


def test_dual_lower_bound_formula():
    y = np.array([1.0, -2.0, 0.5])
    r = np.array([0.5, -1.0, 0.0])
    t, lb = dual_lower_bound(r, y, beta=0.2, sigma=0.4)
    assert t == pytest.approx(0.5) and lb == pytest.approx(0.5 * (r @ y) - 0.125 * (r @ r))
    assert dual_lower_bound(np.zeros(3), y, 0.2, 0.0) == (0.0, 0.0)


# --------------------------------------------------------------------------- certificates


def test_certificate_at_convex_optimum_is_certified(optimum, groups):
    cert = optimum.certificate()
    assert cert.certified and cert.exact_groups and cert.sigma_exact
    assert cert.ratio <= 1 + 1e-4
    assert cert.lower_bound <= optimum.objective <= cert.primal + 1e-12
    assert cert.lower_bound == pytest.approx(P_STAR, rel=1e-6)
    assert "certified optimal: at most" in repr(cert) and "above the best possible objective, proved" in repr(cert)
    # the network rebuilt from the solution is certified the same way
    X, y = ds1()
    net_cert = certificate(optimum.network(), X, y, BETA, groups)
    assert net_cert.certified and net_cert.primal == pytest.approx(network_objective(optimum.network(), X, y, BETA))


def test_two_layer_certificate():
    X, y = ds2()
    result = solve_two_layer(X, y, 0.05)
    assert certificate(result.network(), X, y, 0.05).certified


def test_sampled_certificate_is_not_a_proof(optimum):
    X, y = ds1()
    cert = certificate(optimum.network(), X, y, BETA, groups=300, seed=1)
    assert not cert.certified and not cert.exact_groups
    assert "not a proof" in repr(cert)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**31 - 1),
    noise=st.sampled_from([0.0, 1e-3, 3e-2, 0.3]),
    keep=st.floats(0.2, 1.0),
    rescale=st.booleans(),
)
def test_networks_never_beat_the_optimum_and_certificates_bracket_it(optimum, groups, seed, noise, keep, rescale):
    """Lower-bound property (docs/mathematics.md §3.5 Theorem 1) and the bracket of §3.7, near the optimum."""
    X, y = ds1()
    net = _perturbed(optimum, seed, noise, keep, rescale)
    P = network_objective(net, X, y, BETA)
    assert P >= optimum.objective - 1e-7
    cert = certificate(net, X, y, BETA, groups)
    assert cert.primal == pytest.approx(P, rel=1e-9)
    assert cert.lower_bound <= optimum.objective + 1e-7
    if cert.certified:
        assert P <= optimum.objective * (1 + 2 * cert.tol)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    K=st.integers(1, 12),
    scale=st.floats(0.05, 3.0),
    m1=st.integers(1, 3),
)
def test_random_networks_stay_above_the_convex_optimum(seed, K, scale, m1):
    """Random weights, also after the best rescaling of the output, never beat p_cvx (docs/mathematics.md §8)."""
    X, y = ds1()
    reference = {1: DS1_TWO_LAYER_OPTIMUM, 2: DS1_THREE_LAYER_M1_2_OPTIMUM, 3: DS1_THREE_LAYER_M1_3_OPTIMUM}[m1]
    nets = [ParallelReLUNet((2, m1, 1), K, seed=seed, init_scale=scale)]
    if m1 == 1:
        nets.append(ParallelReLUNet((2, 1), K, seed=seed, init_scale=scale))
    for net in nets:
        f = net.predict(X)
        R = float(net.path_norm().detach())
        c = max(0.0, (f @ y - BETA * R) / max(f @ f, 1e-300))  # optimal output scaling
        assert network_objective(net, X, y, BETA) >= reference * (1 - 1e-6)
        assert 0.5 * np.sum((c * f - y) ** 2) + BETA * c * R >= reference * (1 - 1e-6)


def test_small_sgd_network_is_not_certified(optimum, groups):
    """A width-2 network trained by Adam stalls above p*; the certificate says so and brackets p*."""
    X, y = ds1()
    torch.manual_seed(0)
    net = ParallelReLUNet((2, 2, 1), 2, seed=0)
    trained = train(net, X, y, BETA, steps=1500, lr=2e-2, progress=False, device="cpu", seed=0).net
    cert = certificate(trained, X, y, BETA, groups)
    assert not cert.certified and cert.ratio > 1.01
    assert cert.lower_bound <= optimum.objective <= cert.primal
    assert cert.primal == pytest.approx(network_objective(trained, X, y, BETA), rel=1e-9)
    assert len(cert.violating()) > 0 and cert.top_values[0] == pytest.approx(cert.ratio)


def test_cheap_bound_certificate_is_valid_but_loose(optimum, groups):
    X, y = ds1()
    cert = certify_outputs(optimum.outputs(), optimum.penalty, X, y, BETA, groups, support="bound")
    exact = optimum.certificate()
    assert cert.sigma >= exact.sigma and cert.lower_bound <= exact.lower_bound + 1e-12
    assert not cert.sigma_exact


def test_certificate_input_errors(groups):
    X, y = ds1()
    with pytest.raises(InputError, match="ParallelReLUNet"):
        certificate("not a net", X, y, BETA, groups)
    with pytest.raises(InputError, match="hidden biases"):
        certificate(ParallelReLUNet((2, 2, 1), 3, hidden_bias=True), X, y, BETA, groups)
    with pytest.raises(InputError, match="m1=2 but m1=3"):
        certificate(ParallelReLUNet((2, 3, 1), 3), X, y, BETA, groups)
    with pytest.raises(InputError, match="support"):
        certify_outputs(np.zeros(6), 0.0, X, y, BETA, groups, support="magic")
    with pytest.raises(InputError, match="f must have shape"):
        certify_outputs(np.zeros(5), 0.0, X, y, BETA, groups)


# --------------------------------------------------------------------------- certify-and-grow


def test_certify_and_grow_ds1(groups):
    X, y = ds1()
    result, history = certify_and_grow(X, y, BETA, 2, initial=20, add_per_round=10, pool=groups, progress=False)
    assert history.certified and result.exact and result.source == "grown"
    assert result.objective == pytest.approx(P_STAR, rel=1e-5)
    assert result.num_groups < groups.count
    upper, lower = history.column("objective"), history.column("lower_bound")
    assert (lower <= P_STAR + 1e-7).all() and (upper >= P_STAR - 1e-7).all()
    assert np.all(np.diff(upper) <= 1e-9)  # the working set only grows
    assert "certified=True" in repr(history)
    assert result.certificate().certified  # certified against the pool, not only its own groups


def test_certify_and_grow_sampled_pool_is_not_a_proof():
    X, y = ds1()
    pool = sample_groups(X, 2, 300, seed=2)
    result, history = certify_and_grow(X, y, BETA, 2, initial=10, pool=pool, progress=False)
    assert not history.certified and not result.exact
    assert result.objective >= P_STAR - 1e-7


@pytest.mark.slow
def test_certify_and_grow_reaches_ds2_optimum_with_few_groups():
    """DS2, m1 = 2, beta = 0.05: certified p3* of docs/mathematics.md §8 with far fewer than its 16,160 groups."""
    X, y = ds2()
    result, history = certify_and_grow(X, y, 0.05, 2, initial=100, add_per_round=100, progress=False)
    assert history.pool_size == 16160 and history.certified
    assert result.objective == pytest.approx(DS2_THREE_LAYER_M1_2_OPTIMUM, rel=1e-5)
    assert result.num_groups < 1000
    print(f"DS2 certify-and-grow: {result.num_groups} of 16160 groups, {len(history.rounds)} rounds")
