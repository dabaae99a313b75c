"""Dashboards of notebooks 02/03 and the convex figures: built, moved, re-solved, and their
numbers checked against independent solves and docs/mathematics.md §8."""

from __future__ import annotations

import numpy as np
import pytest

from pathconvex_lab.convex import certify_and_grow, solve_three_layer, solve_two_layer
from pathconvex_lab.data import ds1, ds3
from pathconvex_lab.viz import convex as vc
from pathconvex_lab.widgets import convex as wc
from reference_values import DS1_THREE_LAYER_M1_2_OPTIMUM, DS1_TWO_LAYER_OPTIMUM, DS3_8_TWO_LAYER_OPTIMUM


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def png_of(out) -> str:
    (item,) = out.outputs
    return item["data"]["image/png"]


def test_two_layer_widget_resolves_on_click_only():
    box = wc.two_layer_widget(steps=200, restarts=1)
    (beta, neurons, button), summary, plot, status = box.children[0].children, *box.children[1:]
    X, y = ds3(8)
    assert status.value == ""
    assert box.result["convex"] == pytest.approx(DS3_8_TWO_LAYER_OPTIMUM, rel=1e-5)
    assert min(box.result["adam"]) >= box.result["convex"] - 1e-7
    assert f"{DS3_8_TWO_LAYER_OPTIMUM:.8f}" in summary.value
    # the same neuron count as notebook 02 prints and its block-norm legend shows
    pruned = solve_two_layer(X, y, 0.05).prune()
    assert box.result["active"] == pruned.network().num_subnets
    assert f"{pruned.network().num_subnets} neurons after pruning" in summary.value
    first = png_of(plot)
    beta.value, neurons.value = 0.2, 5
    assert box.result["beta"] == 0.05  # continuous_update=False and a button: nothing re-solved yet
    button.click()
    assert box.result["beta"] == pytest.approx(0.2) and box.result["neurons"] == 5
    assert box.result["convex"] == pytest.approx(solve_two_layer(X, y, 0.2).objective, rel=1e-6)
    assert box.result["certificate"].lower_bound <= box.result["convex"] + 1e-7
    assert png_of(plot) != first


def test_three_layer_widget_m1_and_certificate():
    box = wc.three_layer_widget(steps=200, restarts=1)
    (m1, _beta, _subnets, button), summary, _plot, status = box.children[0].children, *box.children[1:]
    assert box.result["convex"] == pytest.approx(DS1_THREE_LAYER_M1_2_OPTIMUM, rel=1e-5)
    assert box.result["groups"] == 409
    cert = box.result["certificate"]
    assert cert.exact_groups and cert.lower_bound <= DS1_THREE_LAYER_M1_2_OPTIMUM <= cert.primal + 1e-9
    m1.value = 1
    button.click()
    assert box.result["convex"] == pytest.approx(DS1_TWO_LAYER_OPTIMUM, rel=1e-5)  # m1 = 1 is the two-layer value
    assert "m1=1" in summary.value and status.value == ""


def test_widget_shows_errors_instead_of_raising():
    box = wc.three_layer_widget(x=[0.0, 1.0, 2.0], y=[1.0, 2.0], steps=10, restarts=1)
    assert "error" in box.children[3].value and "y must have n=3" in box.children[3].value
    assert "Traceback" in box.children[2].outputs[0]["text"]


def test_figures_draw_what_they_are_given():
    X, y = ds1()
    result = solve_three_layer(X, y, 0.1, 2)
    fig = vc.block_norms_figure({"solver": result.block_norms, "pruned": result.prune().block_norms})
    assert len(fig.axes[0].lines) == 2
    assert len(fig.axes[0].lines[1].get_xdata()) == result.prune().num_groups * 2
    fig = vc.fit_figure(X[:, 0], y, {"convex": (X[:, 0], result.outputs())})
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), result.outputs())
    fig = vc.splitting_figure([1, 2], [0.71, 0.62], [0.71, 0.66], 0.71)
    assert list(fig.axes[0].lines[0].get_ydata()) == [0.71, 0.62]
    _, history = certify_and_grow(X, y, 0.1, 2, initial=20, pool=result.groups, progress=False)
    fig = vc.growth_history_figure(history, optimum=result.objective)
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), history.column("lower_bound"))
    fig = vc.certificate_figure(result.certificate(), top=10)
    assert len(fig.axes[0].patches) == 10
    fig = vc.training_figure({"K=2": [([0, 10], [1.0, 0.7])]}, optimum=0.6, lower_bound=0.5)
    assert fig.axes[1].collections[0].get_offsets()[0, 1] == pytest.approx(0.7)
    net = result.network()
    fig = vc.decision_boundary_figure({"net": lambda P: net.predict(np.column_stack([P[:, 0], np.ones(len(P))]))},
                                      np.column_stack([X[:, 0], y]), np.sign(y), resolution=20)
    assert len(fig.axes) == 1
