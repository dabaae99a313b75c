"""The tour's widget (notebook 00): one ReLU neuron on 1-D data and its activation pattern.

A neuron ``u = (w, b)`` acting on ``X = [x, 1]`` (the bias as a column of ones) outputs
``(Xu)_+ = D(u) X u`` with the activation pattern ``D(u) = diag(1[Xu >= 0])``. Moving the
sliders moves the kink ``x = -b / w``; the pattern only changes when the kink crosses a data
point. That finite set of patterns is what makes the training problem a convex program.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np

from .._validate import check_matrix
from ..errors import InputError
from ..viz import figure_png
from ._common import Dashboard, labelled

#: Slider range for w and b, and its step.
SLIDER_RANGE = (-2.0, 2.0, 0.1)


def relu_neuron(X: Any, u: Any) -> tuple[np.ndarray, np.ndarray]:
    """Output ``(Xu)_+`` ``(n,)`` and activation pattern ``1[Xu >= 0]`` ``(n,)`` bool.

    ``X`` is ``(n, d)`` (bias column included), ``u`` is ``(d,)``.
    """
    X = check_matrix(X, "X")
    u = np.asarray(u, dtype=np.float64)
    if u.shape != (X.shape[1],):
        raise InputError(f"u must have shape ({X.shape[1]},) to match X; got shape {u.shape}")
    z = X @ u
    return np.maximum(z, 0.0), z >= 0


def pattern_text(X: Any, w: float, b: float) -> str:
    """One line describing the pattern of the neuron ``(w, b)`` on 1-D data ``X = [x, 1]``."""
    _, active = relu_neuron(X, (w, b))
    bits = "".join("1" if a else "0" for a in active)
    return (f"u = (w, b) = ({w:+.1f}, {b:+.1f}) -> pattern 1[Xu >= 0] = {bits} "
            f"({int(active.sum())} of {active.size} points active)")


def neuron_png(X: Any, w: float, b: float) -> bytes:
    """PNG of ``relu(w x + b)`` with the data points (filled: active, hollow: inactive)."""
    from matplotlib.figure import Figure

    X = check_matrix(X, "X", min_cols=2)
    x = X[:, 0]
    out, active = relu_neuron(X, (w, b))
    grid = np.linspace(x.min() - 0.2, x.max() + 0.2, 200)
    fig = Figure(figsize=(5, 2.4), dpi=80)
    ax = fig.add_subplot()
    ax.plot(grid, np.maximum(w * grid + b, 0.0), color="C0", label="relu(w x + b)")
    ax.scatter(x[active], out[active], color="C1", zorder=3, label="active")
    ax.scatter(x[~active], out[~active], facecolors="none", edgecolors="C1", zorder=3, label="inactive")
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return figure_png(fig)


@labelled
def relu_neuron_widget(X: Any = None) -> Dashboard:
    """Sliders for ``w`` and ``b``, the pattern as text and the neuron's plot.

    ``X``: 1-D data with bias column, ``(n, 2)``; default DS1 (docs/mathematics.md §8). Returns a
    :class:`~pathconvex_lab.widgets._common.Dashboard` (an ``ipywidgets.VBox``):
    ``children = (HBox(w, b), HTML pattern line, Output plot, HTML status)``.
    Errors in the callback show up in the status line and the Output area.
    """
    from ..data import ds1

    X = ds1()[0] if X is None else check_matrix(X, "X", min_cols=2)
    if X.shape[1] != 2 or not np.allclose(X[:, 1], 1.0):
        raise InputError(f"X must be 1-D data with a bias column, shape (n, 2) with X[:, 1] == 1; got shape {X.shape}")
    lo, hi, step = SLIDER_RANGE
    sliders = [W.FloatSlider(value=v, min=lo, max=hi, step=step, description=name, continuous_update=False,
                             readout_format="+.1f") for name, v in (("w", 1.0), ("b", 0.0))]
    board = Dashboard({s.description: s for s in sliders})

    def draw() -> None:
        w, b = (s.value for s in sliders)
        board.text.value = f"<code>{pattern_text(X, w, b)}</code>"
        board.show(png=neuron_png(X, w, b))

    board.redraw_on(draw, sliders)
    return board
