"""``pathconvex-lab solve``: JSON output against docs/mathematics.md §8, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pathconvex_lab.cli import main
from pathconvex_lab.data import save_csv
from reference_values import DS1_THREE_LAYER_M1_2_OPTIMUM, DS1_TWO_LAYER_OPTIMUM

KEYS = {"objective", "network_objective", "subnetworks", "lower_bound", "certified", "groups", "seconds",
        "upper_bound", "relative_gap", "route", "status"}


def run_json(capsys, *args: str) -> dict:
    assert main(["solve", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def run_error(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["solve", *map(str, args)]))
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error:") and "Traceback" not in err
    return err


def test_two_layer(capsys, ds1_csv):
    out = run_json(capsys, ds1_csv, "--layers", "2", "--beta", "0.1")
    assert KEYS <= out.keys()
    assert out["objective"] == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=1e-5)
    assert out["network_objective"] == pytest.approx(out["objective"], rel=1e-6)
    assert out["certified"] is True and out["groups"] == 11
    assert out["lower_bound"] <= out["objective"] + 1e-9
    assert 1 <= out["subnetworks"] <= 7


def test_three_layer_exact_and_sampled(capsys, ds1_csv):
    out = run_json(capsys, ds1_csv, "--layers", "3", "--m1", "2", "--beta", "0.1")
    assert out["objective"] == pytest.approx(DS1_THREE_LAYER_M1_2_OPTIMUM, rel=1e-5)
    assert out["network_objective"] == pytest.approx(out["objective"], rel=1e-6)
    assert out["certified"] is True and out["groups"] == 409 and out["subnetworks"] <= 7
    sampled = run_json(capsys, ds1_csv, "--layers", "3", "--beta", "0.1", "--groups", "50", "--seed", "2")
    assert sampled["certified"] is False and sampled["group_source"] == "sampled"
    assert sampled["objective"] >= out["objective"] - 1e-8


def test_no_bias_changes_the_data(capsys, ds1_csv):
    out = run_json(capsys, ds1_csv, "--beta", "0.1", "--no-bias")
    assert out["d"] == 1 and out["objective"] > DS1_TWO_LAYER_OPTIMUM


def test_text_output_in_a_subprocess(ds1_csv):
    done = subprocess.run([sys.executable, "-m", "pathconvex_lab", "solve", str(ds1_csv), "--beta", "0.1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "objective: 0.71447" in done.stdout and "certified: True" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--beta", "-1"], "--beta must be a finite number > 0"),
        (["--beta", "0.1", "--groups", "abc"], "--groups must be 'auto', 'exact' or a positive integer"),
        (["--beta", "0.1", "--groups", "0"], "--groups must be >= 1"),
        (["--beta", "0.1", "--layers", "2", "--m1", "3"], "--m1 applies to --layers 3 only"),
        (["--beta", "0.1", "--layers", "3", "--m1", "0"], "--m1 must be >= 1"),
        (["--beta", "0.1", "--solver", "ECOS"], "solver must be"),
        (["--beta", "0.1", "--seed", "-3"], "--seed must be >= 0"),
    ],
)
def test_bad_arguments(capsys, ds1_csv, args, message):
    assert message in run_error(capsys, ds1_csv, *args)


def test_bad_files(capsys, tmp_path):
    assert "data file not found" in run_error(capsys, tmp_path / "missing.csv", "--beta", "0.1")
    bad = tmp_path / "bad.csv"
    bad.write_text("x0,y\n1,2\nfoo,3\n")
    assert "non-numeric value 'foo'" in run_error(capsys, bad, "--beta", "0.1")
    assert "--layers" in run_error(capsys, bad, "--beta", "0.1", "--layers", "4")
    assert "--beta" in run_error(capsys, bad)


def test_too_large_is_a_one_line_error(capsys, tmp_path):
    path = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    save_csv(path, rng.standard_normal((60, 4)), rng.standard_normal(60))
    err = run_error(capsys, path, "--layers", "3", "--m1", "3", "--beta", "0.1", "--groups", "exact")
    assert "too large for the convex program" in err
    assert "--groups auto" in err and "--groups N" in err and "groups=<" not in err  # advice in command-line terms
