"""``pathconvex-lab patterns``: JSON contract, exact and sampled counts, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pathconvex_lab import data
from pathconvex_lab.cli import main

KEYS = {"n", "d", "rank", "count", "bound", "general_position", "method", "seconds"}


def _json(capsys, *argv: str) -> dict:
    assert main(["patterns", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture()
def ds2_csv(tmp_path):
    X, y = data.ds2()
    path = tmp_path / "ds2.csv"
    data.save_csv(path, X[:, :2], y)  # the CLI appends the bias column again
    return str(path)


def _one_line_error(capsys, argv: list[str], fragment: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and fragment in err[0], err


def test_exact_counts_json(capsys, ds2_csv, tmp_path):
    out = _json(capsys, ds2_csv)
    assert set(out) == KEYS
    assert out | {"seconds": 0} == {"n": 8, "d": 3, "rank": 3, "count": 58, "bound": 58, "general_position": True,
                                    "method": "exact-rays", "seconds": 0}
    assert out["seconds"] >= 0
    # DS1 without the bias appended twice: --no-bias on a CSV that already has it
    X, y = data.ds1()
    path = tmp_path / "ds1.csv"
    data.save_csv(path, X, y)
    out = _json(capsys, str(path), "--no-bias", "--exact")
    assert (out["count"], out["bound"], out["rank"], out["method"]) == (12, 12, 2, "exact-sweep")


def test_degenerate_data_is_not_in_general_position(capsys, tmp_path):
    path = tmp_path / "collinear.csv"
    data.save_csv(path, np.array([[0, 0], [1, 0], [2, 0], [0, 1], [1, 2.0]]), np.zeros(5))
    out = _json(capsys, str(path))
    assert (out["count"], out["bound"], out["general_position"]) == (20, 22, False)


def test_sampling_reports_a_subset(capsys, tmp_path):
    path = tmp_path / "g.csv"
    data.save_csv(path, data.gaussian(40, 2, seed=3), np.zeros(40))
    out = _json(capsys, str(path), "--sample", "300", "--seed", "4")
    assert out["method"] == "sampled" and 0 < out["count"] < out["bound"] == 2 * (1 + 39 + 741)
    again = _json(capsys, str(path), "--sample", "300", "--seed", "4")
    assert again["count"] == out["count"]


def test_bad_inputs_give_one_line_errors(capsys, tmp_path, ds2_csv):
    nan = tmp_path / "nan.csv"
    nan.write_text("x0,y\n1.0,2\nnan,3\n")
    words = tmp_path / "words.csv"
    words.write_text("x0,y\nabc,1\n")
    only_y = tmp_path / "only_y.csv"
    only_y.write_text("y\n1\n2\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("x0,y\n")
    _one_line_error(capsys, ["patterns", str(nan)], "non-finite")
    _one_line_error(capsys, ["patterns", str(words)], "non-numeric")
    _one_line_error(capsys, ["patterns", str(only_y), "--no-bias"], "feature column")
    _one_line_error(capsys, ["patterns", str(empty)], "data row")
    _one_line_error(capsys, ["patterns", str(tmp_path / "missing.csv")], "not found")
    _one_line_error(capsys, ["patterns", ds2_csv, "--max-patterns", "10"], "more than --max-patterns 10")
    _one_line_error(capsys, ["patterns", ds2_csv, "--sample", "0"], "--sample")
    with pytest.raises(SystemExit) as exc:  # argparse errors exit 2 with one line too
        main(["patterns", ds2_csv, "--sample", "5", "--exact"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not allowed" in err[0]


def test_subprocess_prints_only_json(ds2_csv):
    proc = subprocess.run([sys.executable, "-m", "pathconvex_lab", "patterns", ds2_csv, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["count"] == 58
    big = subprocess.run([sys.executable, "-m", "pathconvex_lab", "patterns", ds2_csv, "--max-patterns", "3",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert big.returncode == 2 and "Traceback" not in big.stderr
    assert json.loads(big.stdout)["type"] == "ProblemTooLargeError"
