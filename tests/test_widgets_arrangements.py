"""Notebook-01 dashboards: built, moved programmatically, and their text/figures checked against
an independent computation of the pattern they should show."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pathconvex_lab import arrangements as ar
from pathconvex_lab.data import add_bias, gaussian
from pathconvex_lab.viz import arrangements as va
from pathconvex_lab.widgets import arrangements as aw


def png_of(out) -> str:
    (item,) = out.outputs
    return item["data"]["image/png"]


def plotly_of(out) -> dict:
    (item,) = out.outputs
    return item["data"]["application/vnd.plotly.v1+json"]


def test_neuron_widget_shows_the_pattern_and_its_index():
    box = aw.neuron_widget()
    (angle, offset), text, plot, status = box.children[0].children, *box.children[1:]
    X = add_bias(gaussian(8, 2, seed=1))
    pats = ar.enumerate_patterns(X)

    def expected(a_deg: float, b: float) -> str:
        u = np.array([math.cos(math.radians(a_deg)), math.sin(math.radians(a_deg)), b])
        pattern = X @ u > 0
        return f"<code>{va.pattern_bits(pattern)}</code> is pattern <b>#{pats.index(pattern)}</b> of P = 58"

    assert expected(30, 0.1) in text.value and status.value == ""
    before = png_of(plot)
    angle.value, offset.value = 200, -0.3
    assert expected(200, -0.3) in text.value
    assert png_of(plot) != before and png_of(plot).startswith("iVBOR")  # base64 of a PNG
    active = box.figure.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(np.asarray(active), X[X @ np.array([math.cos(math.radians(200)),
                                                                   math.sin(math.radians(200)), -0.3]) > 0, :2])


def test_neuron_widget_flags_a_boundary():
    box = aw.neuron_widget(np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]]))
    box.children[0].children[1].value = 0.0  # the line passes through the origin, where point 0 is
    assert "point(s) 0" in box.children[1].value and "boundary" in box.children[1].value


@pytest.mark.parametrize("rebuild", [False, True], ids=["in place", "rebuilt"])
def test_sphere_widget_moves_u(rebuild):
    box = aw.sphere_widget(rebuild=rebuild)
    (azimuth, elevation), text, plot = box.children[0].children, box.children[1], box.children[2]

    def u_trace() -> dict:
        if rebuild:
            return plotly_of(plot)["data"][-1]
        trace = next(t for t in plot.data if t.name == "u")
        return {"name": trace.name, "x": list(trace.x), "y": list(trace.y), "z": list(trace.z)}

    X = add_bias(gaussian(5, 2, seed=2))
    first = u_trace()
    traces_before = None if rebuild else len(plot.data)
    azimuth.value, elevation.value = 250, -40
    u = u_trace()
    assert u["name"] == "u" and (u["x"], u["y"], u["z"]) != (first["x"], first["y"], first["z"])
    expected = np.array([math.cos(math.radians(-40)) * math.cos(math.radians(250)),
                         math.cos(math.radians(-40)) * math.sin(math.radians(250)), math.sin(math.radians(-40))])
    np.testing.assert_allclose([u["x"][0], u["y"][0], u["z"][0]], expected)
    assert va.pattern_bits(X @ expected > 0) in text.value
    if not rebuild:
        assert len(plot.data) == traces_before  # the figure was updated in place, not rebuilt
    circles = [t for t in box.figure.data if t.type == "scatter3d" and t.mode == "lines"]
    assert len(circles) == 5
    for trace, x in zip(circles, X):  # every point of circle i is orthogonal to x_i
        pts = np.column_stack([trace.x, trace.y, trace.z])
        assert np.abs(pts @ x).max() < 1e-9


def test_counts_widget_general_vs_degenerate():
    box = aw.counts_widget(max_n=12)
    (mode, rank, _size), text = box.children[0].children, box.children[1]
    counts_line = box.figure.axes[0].lines[1].get_ydata()
    assert list(counts_line) == [ar.pattern_bound(n, min(n, 3)) for n in range(1, 13)]
    before = png_of(box.children[2])
    mode.value = aw.DEGENERATE
    degenerate = aw.degenerate_points(12, 3, seed=3)
    assert f"<b>{ar.enumerate_patterns(degenerate).count:,}</b>" in text.value
    assert list(box.figure.axes[0].lines[1].get_ydata()) == [ar.enumerate_patterns(degenerate[:n]).count
                                                             for n in range(1, 13)]
    assert png_of(box.children[2]) != before
    rank.value = 2
    assert "rank 2" in text.value


def test_coverage_widget_meter_and_missed_chambers():
    box = aw.coverage_widget(max_samples=10_000)
    samples, (meter, text) = box.children[0], box.children[1].children
    X = add_bias(gaussian(12, 2, seed=3))
    exact = ar.enumerate_patterns(X)
    low = meter.value
    samples.value = 10_000
    found = ar.sample_patterns(X, 10_000, seed=0)
    assert meter.value == pytest.approx(ar.coverage(found, exact)) and meter.value > low
    missed = [t for t in box.figure.data if t.name == "missed chambers"]
    n_missed = exact.count - found.count
    assert f"missed {n_missed}" in text.value
    assert (len(missed[0].x) if missed else 0) == n_missed


def test_callback_errors_are_shown_in_the_dashboard(monkeypatch):
    box = aw.coverage_widget(max_samples=1000)

    def broken(*args, **kwargs):
        raise RuntimeError("sampler exploded")

    monkeypatch.setattr(ar, "sample_patterns", broken)
    box.children[0].value = 1000
    assert "sampler exploded" in box.children[-1].value
    sphere_out = box.children[2].children[1]
    assert sphere_out.outputs[0]["name"] == "stderr" and "RuntimeError" in sphere_out.outputs[0]["text"]


def test_exercise_checker():
    def right(n, r):
        return 2 * sum(math.comb(n - 1, k) for k in range(r))

    def stub(n, r):
        raise NotImplementedError

    assert aw.check_pattern_bound_exercise(right).startswith("Correct")
    assert aw.check_pattern_bound_exercise(lambda n, r: right(n, r) // 2).startswith("Not yet")
    assert aw.check_pattern_bound_exercise(lambda n, r: 2 * sum(math.comb(n, k) for k in range(r))).startswith("Not yet")
    assert aw.check_pattern_bound_exercise(stub).startswith("Not implemented")


def test_labels_of_close_points_point_away_from_each_other():
    """Points 3 and 7 of the neuron figure's data used to be labelled on top of each other ("37")."""
    from pathconvex_lab.viz.arrangements import label_offset

    points = np.array([[0.0, 0.0], [0.02, 0.01], [1.0, 1.0]])
    (ax, ay), (bx, by) = label_offset(points, 0), label_offset(points, 1)
    assert ax * bx + ay * by < 0  # opposite directions
    assert abs(np.hypot(ax, ay) - 7.0) < 1e-9


def test_neuron_figure_names_its_axes_and_keeps_the_legend_off_the_plot():
    from pathconvex_lab.data import gaussian
    from pathconvex_lab.viz.arrangements import neuron_figure

    X2 = gaussian(8, 2, seed=1)
    fig = neuron_figure(X2, 30, 0.1, X2[:, 0] > 0)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    assert ax.get_legend() is None and len(fig.legends) == 1  # below the axes, not over the line


def test_every_explorer_gives_its_labels_and_toggles_the_width_of_their_text():
    """"angle a (d...", "sub-netw..." and "degenerate (grid ..." were cut by fixed widths."""
    import ipywidgets as W

    def controls(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from controls(child)

    for box in (aw.neuron_widget(), aw.counts_widget(8)):
        described = [c for c in controls(box) if getattr(c, "description", "") and c.style.has_trait("description_width")]
        assert described and all(c.style.description_width == "initial" for c in described)
    toggles = [c for c in controls(aw.counts_widget(8)) if isinstance(c, W.ToggleButtons)]
    assert toggles and all(t.style.button_width == "auto" for t in toggles)
