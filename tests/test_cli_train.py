"""Tests of ``pathconvex-lab train`` (good and bad inputs; JSON output checked against docs/mathematics.md §8)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from pathconvex_lab.cli import main
from pathconvex_lab.data import ds1, save_csv
from pathconvex_lab.nets import ParallelReLUNet, network_objective
from reference_values import DS1_THREE_LAYER_M1_2_OPTIMUM

KEYS = {"objective", "initial_objective", "path_norm", "accuracy", "device", "seconds", "history"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run_json(capsys, *args: str) -> dict:
    assert main(["train", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def run_error(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        code = main(["train", *args])
        raise SystemExit(code)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error:") and "Traceback" not in err
    return err


def test_ds1_three_layer_json(capsys, tmp_path):
    saved = tmp_path / "net.npz"
    out = run_json(capsys, "--data", "ds1", "--depth", "3", "--width", "2", "--beta", "0.1", "--steps", "300",
                   "--device", "cpu", "--save", str(saved))
    assert KEYS <= out.keys()
    assert out["widths"] == [2, 2, 1] and out["device"] == "cpu" and out["accuracy"] is None
    assert DS1_THREE_LAYER_M1_2_OPTIMUM - 1e-6 <= out["objective"] < out["initial_objective"]
    assert len(out["history"]["objective"]) == len(out["history"]["step"]) == 31
    # the saved network reproduces the printed objective and path norm
    net = ParallelReLUNet.load(saved)
    X, y = ds1()
    assert network_objective(net, X, y, 0.1) == pytest.approx(out["objective"], rel=1e-12)
    assert net.path_norm().item() == pytest.approx(out["path_norm"], rel=1e-12)


def test_builtin_without_bias_gets_one_and_reports_accuracy(capsys):
    out = run_json(capsys, "--data", "moons", "--depth", "2", "--subnets", "8", "--steps", "50", "--beta", "0.05")
    assert out["widths"] == [3, 1]  # 2 features + appended bias column
    assert 0.0 <= out["accuracy"] <= 1.0
    assert all(0.0 <= a <= 1.0 for a in out["history"]["accuracy"])


def test_csv_data(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3))
    y = np.maximum(X @ np.array([1.0, -1.0, 0.5]), 0.0)
    path = tmp_path / "data.csv"
    save_csv(path, X, y)
    out = run_json(capsys, "--data", str(path), "--depth", "4", "--width", "3", "--steps", "100")
    assert out["widths"] == [4, 3, 3, 1] and out["n"] == 12
    assert out["objective"] < out["initial_objective"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--data", "nope"], "--data must be one of"),
        (["--data", "ds1", "--depth", "1"], "--depth must be >= 2"),
        (["--data", "ds1", "--beta", "0"], "beta"),
        (["--data", "ds1", "--subnets", "0"], "--subnets"),
        (["--data", "ds1", "--steps", "ten"], "invalid int"),
        (["--data", "ds1", "--device", "quantum"], "device"),
        (["--data", "ds1", "--batch-size", "100"], "batch_size"),
    ],
)
def test_bad_inputs_give_one_line_errors(capsys, args, match):
    assert match in run_error(capsys, *args)


def test_bad_csv(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x0,y\n1.0,abc\n")
    assert "non-numeric" in run_error(capsys, "--data", str(path))


def test_cuda_requested_without_cuda(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "CUDA is not available" in run_error(capsys, "--data", "ds1", "--device", "cuda")


@pytest.mark.slow
def test_console_entry_point_end_to_end():
    proc = subprocess.run(
        [sys.executable, "-m", "pathconvex_lab", "train", "--data", "ds3", "--depth", "3", "--steps", "20", "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert KEYS <= out.keys() and out["steps_run"] == 20
