"""No entry point returns or prints "optimal" without a certificate over all groups.

Walks every command of the CLI that solves something (text and JSON output) and the printed form
of every result type, on problems whose answer is NOT proved (sampled groups on data in the plane,
a route stopped early on data whose arrangement is too large), and on proved ones for contrast.
The only words allowed without a proof are "optimal over the given groups only" and "not optimal".
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from pathconvex_lab import data
from pathconvex_lab.cli import main
from pathconvex_lab.convex import certificate, certify_and_grow, regularization_path, solve_two_layer
from pathconvex_lab.experiments import solve_route
from pathconvex_lab.convex.lowrank import low_rank_approximation
from pathconvex_lab.data import save_csv

ALLOWED = re.compile(r"optimal over the given groups only|not optimal|suboptimal", re.I)
PROOF = re.compile(r"certified optimal|globally optimal", re.I)


def claims(text: str) -> bool:
    """True when ``text`` calls something optimal outside the allowed phrases."""
    return re.search(r"optimal", ALLOWED.sub("", text), re.I) is not None


def assert_honest(text: str, certified: bool) -> None:
    if not certified:
        assert not claims(text), text
    else:
        assert PROOF.search(text), text


@pytest.fixture(scope="module")
def plane_csv(tmp_path_factory):
    """40 points in the plane (rank 3 with the bias): 1,500+ patterns, so 30 draws miss many."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 2))
    y = np.sin(2 * X[:, 0]) + 0.3 * rng.standard_normal(40)
    path = tmp_path_factory.mktemp("data") / "plane.csv"
    save_csv(path, X, y)
    return path


@pytest.fixture(scope="module")
def wide_csv(tmp_path_factory):
    """60 points in 6 dimensions: the arrangement is far too large, so the route searches."""
    rng = np.random.default_rng(3)
    path = tmp_path_factory.mktemp("data") / "wide.csv"
    save_csv(path, rng.standard_normal((60, 5)), rng.standard_normal(60))
    return path


def run(capsys, *argv: str) -> tuple[str, dict]:
    """Run the CLI twice, as text and as JSON; return the text and the parsed JSON."""
    assert main([*argv]) == 0
    text = capsys.readouterr().out
    assert main([*argv, "--json"]) == 0
    return text, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args", [
    ("--beta", "0.05", "--groups", "30", "--time-limit", "4"),
    ("--beta", "0.05", "--layers", "3", "--m1", "2", "--groups", "30", "--time-limit", "4"),
    ("--beta", "0.05", "--rank", "2"),
])
def test_solve_over_some_groups_never_says_optimal(capsys, plane_csv, args):
    text, out = run(capsys, "solve", str(plane_csv), *args)
    assert_honest(text + json.dumps(out), out["certified"])
    assert out["status"] in ("optimal over the given groups only", "certified optimal") or \
        out["status"].startswith("bracketed: p* in [")
    if out["lower_bound"] is not None:
        assert out["lower_bound"] <= out["upper_bound"] + 1e-12


@pytest.mark.slow
def test_solve_route_stopped_early_is_bracketed(capsys, wide_csv):
    text, out = run(capsys, "solve", str(wide_csv), "--beta", "0.05", "--time-limit", "3")
    assert out["route"].startswith("trained+grown") and not out["certified"]
    assert out["status"].startswith("bracketed: p* in [")
    assert_honest(text + json.dumps(out), False)


def test_solve_exact_says_certified_optimal(capsys):
    text, out = run(capsys, "solve", "--data", "ds1", "--beta", "0.1")
    assert out["certified"] and out["status"] == "certified optimal"
    assert_honest(text, True)


def test_path_over_sampled_groups_never_says_optimal(capsys, plane_csv):
    text, out = run(capsys, "path", str(plane_csv), "--betas", "0.05,0.5", "--groups", "30", "--no-cache",
                    "--time-limit", "4")
    for status, certified in zip(out["statuses"], out["certified"]):
        assert_honest(status, certified)
    if not any(out["certified"]):
        assert_honest(text + json.dumps(out), False)


@pytest.mark.slow
def test_printed_results_never_say_optimal_without_a_proof():
    X, y = data.add_bias(np.random.default_rng(7).standard_normal((40, 2))), np.random.default_rng(8).standard_normal(40)
    sampled = solve_two_layer(X, y, 0.05, 30, seed=0)
    assert not sampled.certified and sampled.lower_bound is None
    assert_honest(repr(sampled) + sampled.verdict, False)
    cert = certificate(sampled.network(), X, y, 0.05, groups=sampled.groups)
    assert_honest(repr(cert) + cert.verdict(), cert.certified)
    grown, history = certify_and_grow(X, y, 0.05, 1, initial=20, pool=200, max_rounds=2, progress=False)
    assert_honest(repr(grown) + repr(history), False)
    path = regularization_path(X, y, [0.05, 0.5], layers=2, groups=30, cache=False)
    assert_honest(repr(path), bool(path.certified.all()))
    approx = low_rank_approximation(X, y, 0.05, 2, 2)
    assert_honest(repr(approx), False)
    Xw, yw = data.add_bias(np.random.default_rng(3).standard_normal((60, 5))), np.random.default_rng(4).standard_normal(60)
    route = solve_route(Xw, yw, 0.05, time_limit=2.0, bound_time=1.0, networks=1, steps=50, subnets=10, progress=False)
    assert_honest(repr(route) + route.verdict() + json.dumps(route.as_dict()), route.certified)
    exact = solve_route(*data.ds1(), 0.1, progress=False)
    assert exact.certified
    assert_honest(repr(exact), True)
