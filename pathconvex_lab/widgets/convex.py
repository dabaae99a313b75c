"""Dashboards for notebooks 02 and 03: the convex optimum next to nonconvex training.

Each builder returns a :class:`~pathconvex_lab.widgets._common.Dashboard` (an ``ipywidgets.VBox``)
with sliders (``continuous_update=False``), a button that re-solves, an HTML summary, an Output
with the figure and an HTML status line (exceptions raised while solving are shown there, never
lost). After every solve the dashboard keeps ``result`` (a dict of the numbers shown) and
``figure`` (the matplotlib figure), so tests and users can inspect them.

- :func:`two_layer_widget`: beta and the number of neurons of a two-layer network trained with
  weight decay by Adam, against the convex optimum (docs/mathematics.md §2).
- :func:`three_layer_widget`: m1, beta and the number of sub-networks of a three-layer network
  trained with the path norm, against the exact convex program (docs/mathematics.md §3.5) and its certificate.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as W
import numpy as np

from ..data import add_bias, ds1, ds3
from ._common import Dashboard, labelled


def _controls(beta: float, neurons: int, max_neurons: int, label: str) -> tuple[W.FloatLogSlider, W.IntSlider,
                                                                                W.Button]:
    """The beta slider, the slider of the number of neurons (described by ``label``) and the button."""
    beta_slider = W.FloatLogSlider(value=beta, base=10, min=-3, max=0, step=0.1, description="beta",
                                   continuous_update=False, readout_format=".3g")
    neuron_slider = W.IntSlider(value=neurons, min=1, max=max_neurons, description=label, continuous_update=False)
    button = W.Button(description="solve and train", button_style="primary", icon="play")
    return beta_slider, neuron_slider, button


def _data(x: Any, y: Any, default: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray,
                                                                                         np.ndarray]:
    """``(x (n,), X (n, 2), y (n,))``: the 1-D inputs, the same with a bias column appended, and the
    targets; those of ``default()`` when ``x`` is None."""
    if x is None:
        X, y = default()
        x = X[:, 0]
    x = np.asarray(x, dtype=float).reshape(-1)
    return x, add_bias(x[:, None]), np.asarray(y, dtype=float)


def _summary(rows: list[tuple[str, str]]) -> str:
    """An HTML table of ``(name, value)`` rows."""
    body = "".join(f"<tr><td style='padding-right:1em'>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _curve(x: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(xs, f(xs))`` on a grid slightly wider than the 1-D inputs ``x`` (bias appended)."""
    xs = np.linspace(x.min() - 0.2, x.max() + 0.2, 200)
    return xs, predict(add_bias(xs[:, None]))


def _adam(widths: tuple[int, ...], K: int, X: np.ndarray, y: np.ndarray, beta: float, regularizer: str,
          training: tuple[int, int, float], groups: Any = "exact") -> tuple[Any, list[float], Any]:
    """Train ``restarts`` networks ``ParallelReLUNet(widths, K)`` with Adam on the CPU, where
    ``training = (restarts, steps, lr)``. Returns the best network, each run's best objective and
    the best network's certificate over ``groups``."""
    from ..convex import certificate
    from ..nets import ParallelReLUNet
    from ..train import train_restarts

    restarts, steps, lr = training
    runs = train_restarts(lambda s: ParallelReLUNet(widths, K, seed=s), X, y, beta, restarts, steps=steps, lr=lr,
                          regularizer=regularizer, progress=False, device="cpu", seed=0)
    best = min(runs, key=lambda run: run.best_objective)
    return best.net, [run.best_objective for run in runs], certificate(best.net, X, y, beta, groups)


@labelled
def two_layer_widget(x: Any = None, y: Any = None, *, beta: float = 0.05, neurons: int = 3, restarts: int = 2,
                     steps: int = 600, lr: float = 2e-2, solver: str = "auto") -> Dashboard:
    """Two-layer ReLU network with weight decay: convex optimum vs Adam with ``neurons`` neurons.

    ``x (n,)`` 1-D inputs (a bias column is appended), ``y (n,)``; default DS3(8). The button
    solves the convex program (exact patterns), trains ``restarts`` networks with Adam on the
    same objective and certifies the best one; ``solver`` is the backend of the convex program
    (as in ``solve_two_layer``). ``result`` holds ``convex``, ``adam``
    (best objective per restart, weight decay), ``certificate`` (of the best Adam network).
    ``children = (HBox(beta, neurons, button), HTML summary, Output figure, HTML status)``.
    """
    from ..convex import solve_two_layer

    x, X, y = _data(x, y, lambda: ds3(8))
    beta_slider, neuron_slider, button = _controls(beta, neurons, 40, "neurons")
    board = Dashboard({"beta": beta_slider, "neurons": neuron_slider}, rows=[[beta_slider, neuron_slider, button]])

    def solve() -> None:
        b, K = float(beta_slider.value), int(neuron_slider.value)
        board.status.value = "solving..."
        result = solve_two_layer(X, y, b, solver=solver)
        net, adam, cert = _adam((2, 1), K, X, y, b, "weight_decay", (restarts, steps, lr))
        active = result.prune().network().num_subnets  # the count notebook 02 prints
        board.result = {"beta": b, "neurons": K, "convex": result.objective, "adam": adam, "certificate": cert,
                        "active": active}
        board.text.value = _summary([
            ("convex optimum p2* (exact patterns)", f"<b>{result.objective:.8g}</b>, {active} neurons after pruning"),
            *_adam_rows(f"Adam, {K} neurons, {restarts} restarts (weight decay)", adam, result.objective, cert,
                        f"lower bound {cert.lower_bound:.6g}"),
        ])
        board.show(_fits_figure(x, y, result, net, K, f"two layers, beta = {b:.3g}"))

    board.redraw_on(solve, (button,))
    return board


@labelled
def three_layer_widget(x: Any = None, y: Any = None, *, beta: float = 0.1, m1: int = 2, subnets: int = 3,
                       max_m1: int = 3, restarts: int = 2, steps: int = 800, lr: float = 2e-2,
                       solver: str = "auto") -> Dashboard:
    """Three-layer path-regularized network: exact convex optimum for ``m1`` vs Adam with
    ``subnets`` sub-networks, and the certificate of the trained network.

    ``x (n,)`` 1-D inputs (bias appended), ``y (n,)``; default DS1 of docs/mathematics.md §8; ``solver`` as in
    ``solve_three_layer``. ``result``
    holds ``convex``, ``adam``, ``certificate``, ``groups`` (number of exact groups).
    ``children = (HBox(m1, beta, subnets, button), HTML summary, Output figure, HTML status)``.
    """
    from ..convex import solve_three_layer

    x, X, y = _data(x, y, ds1)
    beta_slider, subnet_slider, button = _controls(beta, subnets, 60, "sub-networks")
    m1_slider = W.IntSlider(value=m1, min=1, max=max_m1, description="m1", continuous_update=False)
    board = Dashboard({"m1": m1_slider, "beta": beta_slider, "subnets": subnet_slider},
                      rows=[[m1_slider, beta_slider, subnet_slider, button]])
    cache: dict[int, Any] = {}

    def solve() -> None:
        b, K, width = float(beta_slider.value), int(subnet_slider.value), int(m1_slider.value)
        board.status.value = "solving..."
        result = solve_three_layer(X, y, b, width, cache.get(width, "exact"), solver=solver)
        cache[width] = result.groups
        net, adam, cert = _adam((2, width, 1), K, X, y, b, "path", (restarts, steps, lr), result.groups)
        board.result = {"beta": b, "m1": width, "subnets": K, "convex": result.objective, "adam": adam,
                        "certificate": cert, "groups": result.num_groups}
        board.text.value = _summary([
            (f"convex optimum p3*(m1={width})", f"<b>{result.objective:.8g}</b> over {result.num_groups} exact groups"),
            *_adam_rows(f"Adam, K={K} sub-networks, {restarts} restarts", adam, result.objective, cert,
                        f"bracket [{cert.lower_bound:.6g}, {cert.primal:.6g}]"),
        ])
        board.show(_fits_figure(x, y, result, net, K, f"three layers, m1 = {width}, beta = {b:.3g}"))

    board.redraw_on(solve, (button,))
    return board


def _adam_rows(label: str, adam: list[float], optimum: float, cert: Any, bounds: str) -> list[tuple[str, str]]:
    """Summary rows of both widgets: Adam's objectives, the best one's excess over the convex optimum,
    and the certificate of the best network (``bounds``: what the certificate brackets)."""
    return [
        (label, ", ".join(f"{v:.6g}" for v in adam)),
        ("best Adam above the optimum", f"{100 * (min(adam) / optimum - 1):.3g} %"),
        ("certificate of the best Adam network",
         html.escape(cert.verdict()) + f" (best new neuron's score / beta = {cert.ratio:.4g}, {bounds})"),
    ]


def _fits_figure(x: np.ndarray, y: np.ndarray, result: Any, net: Any, K: int, title: str) -> Any:
    """The convex optimum's and the best Adam network's fits of the 1-D data ``(x, y)``."""
    from ..viz.convex import fit_figure

    return fit_figure(x, y, {"convex optimum": _curve(x, result.network().predict),
                             f"Adam, K={K}": _curve(x, net.predict)}, title=title)


__all__ = ["two_layer_widget", "three_layer_widget"]
