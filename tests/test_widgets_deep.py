"""The notebook-06 training dashboard: built, moved and trained programmatically (buttons pressed
from Python), with results checked against an independent evaluation of the trained network."""

from __future__ import annotations

import time

import numpy as np
import pytest

from pathconvex_lab.data import add_bias
from pathconvex_lab.nets import network_objective
from pathconvex_lab.widgets import deep as wd


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def png_of(out) -> str:
    (item,) = out.outputs
    return item["data"]["image/png"]


def parts(box):
    return box.text, box.plot, box.status


@pytest.fixture(scope="module")
def box():
    return wd.training_dashboard(device="cpu", n_points=30)


def test_builds_with_a_preview_and_follows_the_controls(box):
    summary, plot, status = parts(box)
    assert status.value == "" and "widths=(3, 6, 1)" in summary.value and "K=16" in summary.value
    assert png_of(plot).startswith("iVBOR") and len(box.figure.axes) == 3
    before = png_of(plot)
    box.controls["depth"].value = 5
    box.controls["subnets"].value = 4
    assert "widths=(3, 6, 6, 6, 1)" in summary.value and "K=4" in summary.value
    assert png_of(plot) != before
    box.controls["data"].value = "regression_1d"
    assert "widths=(2, 6, 6, 6, 1)" in summary.value  # 1-D data plus the bias column
    box.controls["data"].value = "spiral"
    box.controls["depth"].value = 3


def test_train_button_trains_and_reports_the_best_objective(box):
    summary, plot, status = parts(box)
    box.controls["steps"].value = 200
    box.controls["subnets"].value = 8
    redraws = box.redraws
    box.run_button.click()
    box.wait(120)
    result = box.result
    assert status.value == "" and result is not None and result.steps_run == 200 and not result.stopped
    X, y = wd.dashboard_data("spiral", 30)
    beta = box.controls["beta"].value
    assert network_objective(result.net, add_bias(X), y, beta) == pytest.approx(result.best_objective, rel=1e-10)
    assert f"{result.best_objective:.6g}" in summary.value and "finished after 200 steps" in summary.value
    assert box.redraws > redraws and not box.run_button.disabled and box.stop_button.disabled
    curve = box.figure.axes[0].lines[0]
    np.testing.assert_allclose(curve.get_ydata(), result.history["objective"])


def test_stop_button_stops_and_keeps_the_best(box):
    box.controls["steps"].value = 10000
    box.run_button.click()
    deadline = time.time() + 60
    while box.redraws < 1 or box.stop_button.disabled:
        assert time.time() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    box.stop_button.click()
    box.wait(60)
    result = box.result
    assert result.stopped and 0 < result.steps_run < 10000
    assert "stopped after" in parts(box)[0].value
    assert result.best_objective == min(result.history["objective"])


def test_errors_are_shown_in_the_dashboard(monkeypatch):
    board = wd.training_dashboard(device="cpu", n_points=20)

    def boom(*args, **kwargs):
        raise RuntimeError("boom from train")

    monkeypatch.setattr(wd, "train", boom)
    board.run_button.click()
    board.wait(30)
    summary, plot, status = parts(board)
    assert "boom from train" in status.value
    assert "RuntimeError" in plot.outputs[0]["text"]
    assert not board.run_button.disabled
