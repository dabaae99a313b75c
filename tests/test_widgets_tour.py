"""The tour's ReLU-neuron widget: outputs and patterns against a direct computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pathconvex_lab import InputError
from pathconvex_lab.data import add_bias, ds1
from pathconvex_lab.widgets.tour import neuron_png, pattern_text, relu_neuron, relu_neuron_widget

coef = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 1))


@given(w=coef, b=coef)
def test_relu_neuron_matches_a_pointwise_loop(w, b):
    X, _ = ds1()
    out, active = relu_neuron(X, (w, b))
    for (x, _one), o, a in zip(X, out, active):
        z = w * x + b
        assert o == pytest.approx(max(z, 0.0)) and a == (z >= 0)


@given(w=coef.filter(lambda v: v != 0), b=coef)
def test_active_points_lie_on_one_side_of_the_kink(w, b):
    """The pattern is 'x >= -b/w' for w > 0 and 'x <= -b/w' for w < 0."""
    x = np.linspace(-1, 1, 7)
    _, active = relu_neuron(add_bias(x[:, None]), (w, b))
    kink = -b / w
    assume(np.abs(x - kink).min() > 1e-9)  # a point on the kink is active up to rounding
    expected = (x > kink) if w > 0 else (x < kink)
    np.testing.assert_array_equal(active, expected)


def test_pattern_text_counts_active_points():
    X, _ = ds1()  # x = -1, -0.6, -0.2, 0.2, 0.6, 1
    assert pattern_text(X, 1.0, 0.0).endswith("= 000111 (3 of 6 points active)")
    assert pattern_text(X, -1.0, 0.5).endswith("= 111100 (4 of 6 points active)")


def test_widget_updates_its_pattern_when_a_slider_moves():
    box = relu_neuron_widget()
    (w_slider, b_slider), text = box.children[0].children, box.children[1]
    assert "000111" in text.value
    w_slider.value = -1.0
    b_slider.value = 0.5
    assert pattern_text(ds1()[0], -1.0, 0.5) in text.value


def test_neuron_png_is_a_png():
    assert neuron_png(ds1()[0], 1.0, 0.0).startswith(b"\x89PNG")


@pytest.mark.parametrize("X", [np.ones((4, 3)), np.column_stack([np.arange(4.0), np.arange(4.0)])])
def test_widget_rejects_data_that_is_not_1d_with_bias(X):
    with pytest.raises(InputError, match="bias column"):
        relu_neuron_widget(X)


def test_relu_neuron_checks_the_shape_of_u():
    with pytest.raises(InputError, match="u must have shape"):
        relu_neuron(ds1()[0], (1.0, 2.0, 3.0))
