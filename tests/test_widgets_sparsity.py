"""Notebook 04/05 dashboards and figures: built, scrubbed programmatically, and what they draw
checked against the rebuilt torch networks and the path's own records."""

from __future__ import annotations

import numpy as np
import pytest

from pathconvex_lab import cache, data
from pathconvex_lab.convex import low_rank_sweep, regularization_path
from pathconvex_lab.convex import path as cpath
from pathconvex_lab.errors import InputError
from pathconvex_lab.viz import sparsity as vs
from pathconvex_lab.widgets import sparsity as ws


@pytest.fixture(scope="module")
def path_1d():
    X, y = data.ds3(8)
    return regularization_path(X, y, 6, layers=2, cache=False)


@pytest.fixture(scope="module")
def path_2d():
    X, y = data.ds2()
    return regularization_path(X, y, [0.01, 0.1, 1.0], layers=2, cache=False)


def png_of(box) -> str:
    (item,) = box.children[2].outputs
    return item["data"]["image/png"]


def dynamic_lines(fig):
    """Curves drawn for the current point (the blitted artists) in the main axes."""
    return [line for line in fig.axes[0].lines if line.get_animated() and line.get_marker() in ("None", None, "")]


def test_path_widget_1d_scrubs_the_cached_path(path_1d):
    box = ws.path_widget(path_1d, start=1)
    slider, text, _, status = box.children
    assert status.value == "" and f"{path_1d.betas[1]:.4g}" in text.value
    first = png_of(box)
    assert first.startswith("iVBOR")
    for i in (3, 0, len(path_1d) - 1):
        slider.value = i
        lines = dynamic_lines(box.figure)
        assert len(lines) == path_1d.subnetworks[i] + 1  # one per sub-network, plus f
        x = lines[-1].get_xdata()
        grid = data.add_bias(np.asarray(x)[:, None])
        np.testing.assert_allclose(lines[-1].get_ydata(), path_1d.network(i).predict(grid), atol=1e-10)
        heights = [p.get_height() for p in box.figure.axes[1].patches if p.get_animated()]
        W = path_1d.subnetwork_weights(i)[0]
        np.testing.assert_allclose(heights, np.sqrt((W**2).sum(axis=(1, 2))))
        assert f"<b>{path_1d.subnetworks[i]}</b> sub-networks" in text.value
    assert "zero network is optimal" in text.value  # the last point is beta_max
    slider.value = 1
    assert png_of(box) == first  # revisiting shows the cached frame
    assert box.redraw_seconds < 5.0


def test_path_widget_2d_draws_the_decision_boundary(path_2d):
    box = ws.path_widget(path_2d, start=0)
    before = png_of(box)
    box.slider.value = 1
    assert png_of(box) != before
    fill = box.figure.axes[0].images[0].get_array()
    gx, gy = ws.GRID_2D, ws.GRID_2D
    lo, hi = path_2d.X[:, :2].min(axis=0), path_2d.X[:, :2].max(axis=0)
    pad = 0.15 * (hi - lo)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], gx)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], gy)
    mx, my = np.meshgrid(xs, ys)
    f = path_2d.network(1).predict(data.add_bias(np.column_stack([mx.ravel(), my.ravel()]))).reshape(gy, gx)
    assert np.array_equal(np.asarray(fill) > 0, f > 0)
    segments = box.figure.axes[0].collections[-1].get_segments()
    assert len(segments) >= path_2d.subnetworks[1]  # f = 0 and every sub-network's boundary


def test_callback_errors_are_shown(path_1d, monkeypatch):
    box = ws.path_widget(path_1d, start=0)

    def broken(*args, **kwargs):
        raise RuntimeError("grid exploded")

    monkeypatch.setattr(type(path_1d), "preactivations", broken)
    box.slider.value = 2
    assert "grid exploded" in box.children[-1].value
    assert box.children[2].outputs[0]["name"] == "stderr"


def test_path_widget_rejects_other_dimensions():
    X = data.add_bias(data.gaussian(6, 3, seed=0))
    path = regularization_path(X, np.arange(6.0), [0.5], layers=2, cache=False)
    with pytest.raises(InputError, match="1-D or 2-D"):
        ws.path_widget(path)


def test_rank_widget_scrubs_the_sweep():
    X, y = data.ds4(8)
    sweep = low_rank_sweep(X, y, 0.05)
    box = ws.rank_widget(sweep, start=1)
    slider, text = box.children[:2]
    assert "p_hat/p* = 7." in text.value  # rank 1: 2.154303 / 0.28611188
    before = png_of(box)
    slider.value = 2
    assert f"p_hat/p* = {sweep.objectives[1] / sweep.exact_objective:.6f}" in text.value and "15</b> groups" in text.value
    assert png_of(box) != before
    marker = [line for line in box.figure.axes[2].lines if line.get_color() == "tab:green"]
    assert marker and marker[0].get_xdata()[0] == 2


def test_stem_and_heatmap_show_the_active_blocks(path_1d):
    i = 1
    fig = vs.group_norms_stem(path_1d.group_norms[i])
    assert f"{int((path_1d.group_norms[i] > 1e-4 * path_1d.group_norms[i].max()).sum())} of" in fig.axes[0].get_title()
    heat = vs.path_heatmap(path_1d.betas, path_1d.group_norms)
    ever = int(path_1d.active_mask().any(axis=0).sum())
    assert heat.axes[0].images[0].get_array().shape == (ever, len(path_1d))
    pruned = vs.path_heatmap(path_1d.betas, path_1d.subnetwork_norms(), what="sub-network")
    assert pruned.axes[0].images[0].get_array().shape[0] == path_1d.subnetwork_norms().shape[1]
    with pytest.raises(InputError):
        vs.path_heatmap(path_1d.betas[:2], path_1d.group_norms)


def test_subnetworks_and_group_count_figures(path_1d):
    fig = vs.subnetworks_figure(path_1d.betas, path_1d.subnetworks, n=8, beta_max=path_1d.beta_max,
                                active_groups=path_1d.active_groups(),
                                nonconvex={"betas": path_1d.betas, "counts": path_1d.subnetworks + 3})
    ys = fig.axes[0].lines[0].get_ydata()
    assert list(ys) == list(path_1d.subnetworks)
    growth = vs.group_count_figure([10, 20, 40], {"r=2": [20, 40, 80], "r=3": [92, 382, 1562]})
    assert len(growth.axes[0].lines) == 2 and growth.axes[0].get_xscale() == "log"


def test_widget_uses_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    cpath.clear_memory_cache()
    X, y = data.ds3(6)
    regularization_path(X, y, 3, layers=2)
    cpath.clear_memory_cache()
    cached = regularization_path(X, y, 3, layers=2)
    assert cached.cached
    box = ws.path_widget(cached)
    box.slider.value = 0
    assert box.children[-1].value == ""


def test_an_exact_approximation_stays_on_the_log_axis_of_the_excess():
    """p_hat / p* - 1 of 1e-15 (exact to rounding) used to be drawn off the axis at 1e-15."""
    from pathconvex_lab.viz import sparsity as vs

    for fig in (vs.rank_figure([1, 2, 3], [10, 40, 90], [0.1, 0.2, 0.3], [1.2, 1.01, 1 + 1e-15], [30, 5, 1.0]),
                vs.tightness_figure([0.0, 0.5, 2.0], [1 + 1e-15, 1.001, 1.3], [1.0, 2.25, 9.0])):
        ax = fig.axes[-1]
        low, high = ax.get_ylim()
        ys = np.concatenate([line.get_ydata() for line in ax.get_lines()])
        assert ys.min() >= vs.EXCESS_FLOOR and low <= ys.min() and ys.max() <= high
        assert any("exact" in text.get_text() for text in ax.get_legend().get_texts())


@pytest.mark.parametrize("count", [1, 3, 9, 16, 30, 64, 500])
def test_bar_ticks_never_crowd(count):
    """04's bar chart of 16 sub-networks used to label all 16 bars in a 1-inch panel."""
    from pathconvex_lab.viz.sparsity import bar_ticks

    ticks = bar_ticks(count)
    assert len(ticks) <= 6 and ticks[0] == 0 and ticks.max() < count
    assert len(ticks) == count if count <= 6 else len(ticks) >= 3
