"""``pathconvex-lab path`` and ``pathconvex-lab solve --rank``: JSON output checked against the
Python API and docs/mathematics.md §6/§8, and one-line errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pathconvex_lab import cache, data
from pathconvex_lab.cli import main
from pathconvex_lab.convex import compute_beta_max, low_rank_approximation
from pathconvex_lab.data import save_csv
from reference_values import (
    DS1_THREE_LAYER_M1_2_OPTIMA,
    DS1_TWO_LAYER_OPTIMUM,
    DS4_8_RANK_2_OBJECTIVE,
    DS4_8_TWO_LAYER_OPTIMUM,
)

PATH_KEYS = {"betas", "objectives", "subnetworks", "beta_max", "lower_bounds", "certified"}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def ds4_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "ds4.csv"
    X, y = data.ds4(8)
    save_csv(path, X[:, :2], y)
    return path


def run_json(capsys, command: str, *args: str) -> dict:
    assert main([command, *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def run_error(capsys, command: str, *args: str) -> str:
    assert main([command, *map(str, args)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error:") and "Traceback" not in err
    return err


def test_path_three_layers_in_given_order(capsys, ds1_csv):
    out = run_json(capsys, "path", ds1_csv, "--layers", "3", "--m1", "2", "--betas", "0.1,0.02,3,0.05")
    assert PATH_KEYS <= out.keys()
    assert out["betas"] == [0.1, 0.02, 3.0, 0.05]
    p3 = DS1_THREE_LAYER_M1_2_OPTIMA
    np.testing.assert_allclose(out["objectives"], [p3[0.1], p3[0.02], 1.095, p3[0.05]], rtol=1e-5)
    X, y = data.ds1()
    assert out["beta_max"] == pytest.approx(compute_beta_max(X, y, 3, 2), rel=1e-7)
    assert out["subnetworks"][2] == 0 and all(1 <= k <= 7 for k in out["subnetworks"][:2] + out["subnetworks"][3:])
    assert all(out["certified"]) and out["groups"] == 409 and out["cached"] is False
    again = run_json(capsys, "path", ds1_csv, "--layers", "3", "--betas", "0.1,0.02,3,0.05")  # m1 defaults to 2
    assert again["cached"] is True and again["objectives"] == out["objectives"]


def test_path_two_layers_no_bias(capsys, tmp_path):
    X, y = data.ds1()
    csv = tmp_path / "with_bias.csv"
    save_csv(csv, X, y)  # the bias column is in the file
    out = run_json(capsys, "path", csv, "--no-bias", "--betas", "0.1", "--no-cache")
    assert out["objectives"][0] == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=1e-5) and out["d"] == 2
    assert out["cached"] is False


def test_solve_rank_adds_bound_factor(capsys, ds4_csv):
    out = run_json(capsys, "solve", ds4_csv, "--beta", "0.05", "--rank", "2")
    X, y = data.ds4(8)
    approx = low_rank_approximation(X, y, 0.05, 2)
    assert out["network_objective"] == pytest.approx(DS4_8_RANK_2_OBJECTIVE, rel=1e-5)
    assert out["network_objective"] == pytest.approx(approx.objective, rel=1e-9)
    assert out["objective"] == pytest.approx(out["network_objective"], rel=1e-6)
    assert out["bound_factor"] == pytest.approx(approx.bound_factor) and out["bound_factor"] == pytest.approx(58.17, rel=1e-3)
    assert out["groups"] == 15 and out["groups_exact"] == 57 and out["rank"] == 2
    assert out["lower_bound"] <= DS4_8_TWO_LAYER_OPTIMUM + 1e-7 and out["certified"] is False
    plain = run_json(capsys, "solve", ds4_csv, "--beta", "0.05")
    assert "bound_factor" not in plain and plain["objective"] == pytest.approx(DS4_8_TWO_LAYER_OPTIMUM, rel=1e-5)


@pytest.mark.parametrize("command, args, match", [
    ("path", ("--betas", "0.1,abc"), "--betas"),
    ("path", ("--betas", "0.1,-2"), "--betas"),
    ("path", ("--betas", "0.1", "--m1", "2"), "m1"),
    ("solve", ("--beta", "0.1", "--rank", "9"), "--rank"),
    ("solve", ("--beta", "0.1", "--rank", "1", "--groups", "50"), "--groups"),
])
def test_errors_are_one_line(capsys, ds1_csv, command, args, match):
    assert match in run_error(capsys, command, ds1_csv, *args)
