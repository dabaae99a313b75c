"""The route dashboard of notebook 07 (Run in a thread, live status, Stop keeps a result) and the
two figures of viz.real_data."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from pathconvex_lab.convex import RouteRound  # noqa: E402
from pathconvex_lab.viz import real_data as vr  # noqa: E402
from pathconvex_lab.widgets.real_data import route_dashboard  # noqa: E402

BRACKET_WORDS = ("certified optimal", "p* in [", "optimal over the given groups only")


def _labelled(ax) -> bool:
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


@pytest.mark.slow
def test_dashboard_run_shows_the_bracket():
    box = route_dashboard(max_rows=60, time_limit=3.0, steps=100, subnets=40)
    assert box.controls["dataset"].options == ("diabetes", "breast_cancer", "wine", "iris")
    assert all(w.style.description_width == "initial" for w in box.controls.values())
    box.controls["layers"].value = 2
    box.run_button.click()
    assert box.run_button.disabled and not box.stop_button.disabled
    box.wait(120)
    assert not box.thread.is_alive()
    assert "error" not in box.status.value, box.status.value
    assert any(words in box.status.value for words in BRACKET_WORDS), box.status.value
    assert box.result is not None and box.result.upper_bound >= (box.result.lower_bound or -np.inf)
    assert box.figure is not None and box.plot.outputs
    assert not box.run_button.disabled and box.stop_button.disabled


def test_stop_during_a_run_keeps_a_result():
    box = route_dashboard(dataset="diabetes", max_rows=60, time_limit=60.0, steps=100, subnets=40)
    box.run_button.click()
    deadline = time.monotonic() + 90
    while not box.redraws and box.thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    box.stop_button.click()
    start = time.monotonic()
    box.wait(60)
    assert not box.thread.is_alive()
    assert time.monotonic() - start < 45, "Stop did not end the run promptly"
    assert box.result is not None
    assert box.result.stopped in ("stopped", "time limit", "no better neuron found (search, branch and bound, Adam polish)")
    assert any(words in box.status.value for words in BRACKET_WORDS), box.status.value


def test_an_exception_is_shown_in_the_dashboard(monkeypatch):
    import pathconvex_lab.experiments as experiments

    def broken(*_args, **_kwargs):
        raise ValueError("solver exploded")

    monkeypatch.setattr(experiments, "solve_route", broken)
    box = route_dashboard(max_rows=30)
    box.run_button.click()
    box.wait(30)
    assert "error: ValueError: solver exploded" in box.status.value
    assert box.plot.outputs and "solver exploded" in box.plot.outputs[0]["text"]
    assert not box.run_button.disabled and box.stop_button.disabled


def _rounds() -> list:
    return [RouteRound(0, 100, 2.9, 1.7, 50, 0.06, 1.0), RouteRound(1, 150, 2.7, 1.3, 10, 0.07, 1.0),
            RouteRound(2, 160, 2.6, 1.05, 0, None, 1.0)]


def test_route_vs_adam_figure():
    histories = [{"step": [0, 10, 20], "objective": [80.0, 5.0, 3.3]}, {"step": [0, 10, 20], "objective": [60.0, 4.0, 3.1]}]
    fig = vr.route_vs_adam_figure(histories, ["seed 0", "seed 1"], upper=2.6, lower=0.08, title="t")
    ax = fig.axes[0]
    assert _labelled(ax)
    assert len(ax.get_lines()) >= 4  # two Adam curves, U and L
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("upper bound U" in t for t in labels) and any("lower bound L" in t for t in labels)
    assert ax.get_yscale() == "log"
    fig = vr.route_vs_adam_figure(histories, upper=2.6)  # no lower bound: three lines
    assert len(fig.axes[0].get_lines()) == 3


def test_bracket_figure():
    fig = vr.bracket_figure(_rounds(), final_upper=2.6, final_lower=0.08)
    ax = fig.axes[0]
    assert _labelled(ax)
    assert len(ax.get_lines()) >= 4  # upper per round, lower per round, final U, final L
    fig = vr.bracket_figure(_rounds()[:1])
    assert len(fig.axes[0].get_lines()) >= 2
