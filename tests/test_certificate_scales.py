"""Certificates that cannot lie at any scale: the support function never under-states an atom
that is feasible by construction, lower bounds stay below every attained objective, and a
bound that comes out above one is dropped, never clipped into a zero gap.

Scales: X and y multiplied by 1e-4 ... 1e6, beta down to 1e-10."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from pathconvex_lab import arrangements as ar
from pathconvex_lab import data
from pathconvex_lab.convex import route as route_module
from pathconvex_lab.convex.certificate import certify_outputs, cone_matrices, projection_support, support_function
from pathconvex_lab.convex.program import group_adjoint
from pathconvex_lab.errors import InconsistentBoundWarning
from pathconvex_lab.experiments import solve_route
from pathconvex_lab.nets import network_objective


def feasible_atom_value(X: np.ndarray, r: np.ndarray, groups: ar.Groups) -> float:
    """A value ``<M_g^T r, V>`` attained by an atom that is feasible *by construction*: the
    projection of ``+-M_g^T r`` onto the cone, moved toward the group's realizing (strictly
    interior) ``V`` until every cone row is strictly positive. A rigorous lower bound on
    sigma_A(r), computed without the support function under test."""
    G, m1 = groups.D1.shape[:2]
    C = group_adjoint(X, groups.D1, groups.sigma, groups.D2, r).transpose(0, 2, 1).reshape(G, -1)
    A = cone_matrices(X, groups.D1, groups.sigma, groups.D2)
    inner = groups.V.transpose(0, 2, 1).reshape(G, -1)
    vals = projection_support(X, r, groups.D1, groups.sigma, groups.D2)
    best = 0.0
    for g in np.argsort(-np.maximum(vals[0], vals[1]))[:20]:
        for s in (1.0, -1.0):
            from scipy.optimize import lsq_linear

            c = s * C[g]
            mu = np.maximum(lsq_linear(A[g].T, -c, bounds=(0.0, np.inf), method="bvls", tol=1e-12).x, 0.0)
            p = c + A[g].T @ mu
            if np.linalg.norm(p) == 0:
                continue
            v, w = p / np.linalg.norm(p), inner[g] / np.linalg.norm(inner[g])
            rows = np.abs(A[g]).sum(axis=1) > 0
            for t in (0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2):
                z = (1 - t) * v + t * w
                if np.all((A[g] @ z)[rows] > 0):
                    best = max(best, float(c @ z) / np.linalg.norm(z))
                    break
    return best


@pytest.mark.parametrize("xs, rs", [(1.0, 1e-8), (1.0, 1e-4), (1e-4, 1.0), (1e4, 1e-6), (1e6, 1e6), (1.0, 1.0)])
def test_support_function_never_understates_a_feasible_atom(xs, rs):
    X0, y = data.ds1()
    groups = ar.enumerate_groups(X0, 2)
    r = np.random.default_rng(0).standard_normal(len(y))
    X, r = X0 * xs, r * rs
    sigma = support_function(X, r, groups.D1, groups.sigma, groups.D2).sigma
    attained = feasible_atom_value(X, r, groups)
    assert attained > 0
    assert sigma >= attained * (1 - 1e-12)
    assert sigma <= attained * (1 + 1e-6)  # and it is tight


CASES = [(xs, ys, beta, layers) for xs, ys, beta, layers in itertools.product(
    [1e-4, 1.0, 1e4, 1e6], [1e-4, 1.0, 1e6], [1e-10, 1e-8, 1e-4], [2, 3])]


@pytest.mark.slow
@pytest.mark.parametrize("xs, ys, beta, layers", CASES[::3] + [(1.0, 1.0, 1e-8, 3), (1.0, 1.0, 1e-8, 2)])
def test_route_brackets_hold_over_scalings_of_x_and_y_and_tiny_betas(xs, ys, beta, layers):
    X0, y0 = data.ds1()
    X, y = X0 * xs, y0 * ys
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentBoundWarning)
        res = solve_route(X, y, beta, layers=layers, m1=2, progress=False)
    U = float(network_objective(res.network(), X, y, beta))
    assert res.upper_bound == pytest.approx(U, rel=1e-12)
    if res.lower_bound is not None:
        assert res.lower_bound <= U * (1 + 1e-9)
        assert res.lower_bound <= res.result.objective * (1 + 1e-9)
    assert res.certified == (res.relative_gap is not None and res.relative_gap <= res.tol)


@pytest.mark.parametrize("beta", [1e-10, 1e-8, 1e-7])
def test_certificate_of_a_convex_solution_stays_below_its_objective_at_tiny_beta(beta):
    """The case that printed a lower bound above the returned network's objective."""
    X, y = data.ds1()
    groups = ar.enumerate_groups(X, 2)
    from pathconvex_lab.convex.results import solve_groups

    result = solve_groups(X, y, beta, groups, layers=3)
    cert = certify_outputs(result.outputs(), result.penalty, X, y, beta, groups)
    assert cert.lower_bound <= cert.primal * (1 + 1e-9)
    assert cert.lower_bound <= result.objective * (1 + 1e-9)
    attained = feasible_atom_value(X, y - result.outputs(), groups)
    assert cert.sigma >= attained * (1 - 1e-12)


def test_a_lower_bound_above_the_attained_objective_is_dropped_not_clipped(monkeypatch):
    X, y = data.ds1()
    real = route_module.lower_bound_over_all_groups

    def too_high(*args, **kwargs):
        bound, lower = real(*args, **kwargs)
        return bound, lower * 1.01 + 1.0

    monkeypatch.setattr(route_module, "lower_bound_over_all_groups", too_high)
    monkeypatch.setattr(route_module, "certify_outputs", lambda *a, **k: pytest.fail("not reached"))
    with pytest.warns(InconsistentBoundWarning, match="exceeds the objective"):
        res = solve_route(X, y, 0.1, layers=2, progress=False)
    assert res.lower_bound is None and not res.certified and res.relative_gap is None
    assert res.status == "optimal over the given groups only"
