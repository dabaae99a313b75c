"""Figures of notebook 06: the plotted data are checked against independent evaluations."""

from __future__ import annotations

import numpy as np
import pytest

from pathconvex_lab.data import add_bias, moons
from pathconvex_lab.errors import InputError
from pathconvex_lab.nets import ParallelReLUNet
from pathconvex_lab.viz import deep as vd
from reference_values import DS1_THREE_LAYER_M1_2_OPTIMUM


def test_decision_grid_evaluates_the_network_at_the_grid_points():
    X2, y = moons(30, seed=0)
    net = ParallelReLUNet((3, 4, 1), 5, seed=1)
    grid = vd.decision_grid(net, X2, resolution=25)
    assert grid.values.shape == (25, 25)
    assert grid.xs[0] < X2[:, 0].min() and grid.ys[-1] > X2[:, 1].max()
    i, j = 7, 19
    expected = net.predict(add_bias(np.array([[grid.xs[j], grid.ys[i]]])))[0]
    assert grid.values[i, j] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(InputError, match="X2"):
        vd.decision_grid(net, np.ones((4, 3)))


def test_figures_draw_what_they_are_given():
    X2, y = moons(20, seed=0)
    net = ParallelReLUNet((3, 3, 1), 4, seed=0)
    grid = vd.decision_grid(net, X2, resolution=20)
    fig = vd.boundaries_figure([("a", grid), ("b", grid), ("c", grid)], X2, y)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c"]
    objectives = [0.7, 0.62, 0.65]
    fig = vd.restarts_figure(objectives, DS1_THREE_LAYER_M1_2_OPTIMUM)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), sorted(objectives))
    acc = np.array([[0.9, 0.8], [0.95, 0.85]])
    fig = vd.accuracy_grid_figure([2, 3], [0.1, 1.0], acc)
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), acc[1])
    with pytest.raises(InputError, match="accuracy"):
        vd.accuracy_grid_figure([2], [0.1, 1.0], acc)
    history = {"step": [0, 10, 20], "objective": [3.0, 2.0, 1.5]}
    fig = vd.histories_figure([history], ["run"], reference=1.0)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), history["objective"])
    assert fig.axes[0].lines[1].get_ydata()[0] == 1.0


def test_the_dashboard_before_training_says_where_the_curve_will_be():
    """06's loss panel used to be an empty 0-1 box until Train was pressed."""
    from pathconvex_lab.widgets.deep import data_view

    X2, y = moons(20, seed=0)
    net = ParallelReLUNet((3, 3, 1), 4, seed=0)
    view = data_view(net, X2, y)
    fig = vd.dashboard_figure({"step": [], "objective": []}, np.ones(4), view)
    loss = fig.axes[0]
    assert not loss.axison and "press Train" in " ".join(t.get_text() for t in loss.texts)
    fig = vd.dashboard_figure({"step": [0, 5], "objective": [2.0, 1.0]}, np.ones(4), view)
    assert fig.axes[0].axison and fig.axes[0].lines
