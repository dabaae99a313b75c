"""Live training dashboard for notebook 06 (deep parallel ReLU networks, docs/mathematics.md §4).

:func:`training_dashboard` returns a :class:`~pathconvex_lab.widgets._common.JobDashboard` (an
``ipywidgets.VBox``) with controls (data set, depth 2-8, ``beta`` on a log slider, ``K``, width,
steps, regularizer) and Train / Stop buttons. Training runs in a background thread
(:func:`pathconvex_lab.train.train` with ``inplace=True``); while it runs, the loss curve, the
decision boundary (or the 1-D fit) and the per-sub-network path norms are redrawn at most
``max_redraws_per_s`` times a second (and never for more than about a third of the time). Stop
keeps the best weights. Exceptions are shown in the dashboard's status line and its figure area,
never lost.

For tests and scripts the dashboard exposes ``controls`` (dict of the value widgets),
``run_button`` (Train), ``stop_button``, ``text`` (the summary line), ``plot``, ``status``,
``figure`` (last matplotlib Figure), ``result`` (last TrainResult), ``redraws`` (count) and
``wait(timeout)`` (join the training thread).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np

from ..data import add_bias, load_dataset
from ..nets import ParallelReLUNet, resolve_device
from ..train import TrainResult, train
from ..viz import deep as vd
from ._common import JobDashboard, labelled, throttled

#: Data sets offered by the dashboard: 2-D classification (decision boundary) or 1-D regression.
DASHBOARD_DATA = ("spiral", "moons", "regression_1d")


def dashboard_data(name: str, n_points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Data set ``name`` (one of :data:`DASHBOARD_DATA`) with ``n_points`` points, features only
    (no bias column). Returns ``X (n, 2)`` or ``(n, 1)`` and ``y (n,)``."""
    if name == "regression_1d":
        return load_dataset(name, n=n_points, noise=0.05, seed=seed)
    if name == "moons":
        return load_dataset(name, n=n_points, noise=0.15, seed=seed)
    return load_dataset(name, n=n_points, seed=seed)


def data_view(net: ParallelReLUNet, X: np.ndarray, y: np.ndarray, resolution: int = 60) -> dict[str, Any]:
    """What the middle panel draws: the decision boundary (2-D data) or the fitted curve (1-D)."""
    if X.shape[1] == 2:
        return {"kind": "boundary", "X2": X, "y": y, "grid": vd.decision_grid(net, X, resolution=resolution)}
    xs = np.linspace(X[:, 0].min() - 0.1, X[:, 0].max() + 0.1, 200)
    return {"kind": "fit", "x": X[:, 0], "y": y, "xs": xs, "fs": net.predict(add_bias(xs[:, None]))}


#: The rows of the dashboard's controls, by name.
_ROWS = (("data", "depth", "beta"), ("subnets", "width", "steps"), ("regularizer",))


def _controls() -> dict[str, W.ValueWidget]:
    """The training dashboard's value widgets, by name, at their initial values."""
    return {
        "data": W.Dropdown(options=DASHBOARD_DATA, value="spiral", description="data"),
        "depth": W.IntSlider(value=3, min=2, max=8, description="depth L", continuous_update=False),
        "beta": W.FloatLogSlider(value=1e-2, base=10, min=-4, max=0, step=0.25, description="β",
                                 readout_format=".1e", continuous_update=False),
        "subnets": W.IntSlider(value=16, min=1, max=64, description="K", continuous_update=False),
        "width": W.IntSlider(value=6, min=1, max=16, description="width", continuous_update=False),
        "steps": W.IntSlider(value=1500, min=100, max=10000, step=100, description="steps",
                             continuous_update=False),
        "regularizer": W.Dropdown(options=("path", "weight_decay"), value="path", description="regularizer"),
    }


@labelled
def training_dashboard(*, device: Any = "auto", n_points: int | None = None, max_redraws_per_s: float = 10.0,
                       seed: int = 0) -> JobDashboard:
    """Build the live training dashboard (see the module docstring).

    ``device="auto"`` trains on CUDA/MPS when present; ``n_points=None`` picks 60 points on a
    CPU and 400 on a GPU.
    """
    dev = resolve_device(device)
    n_points = n_points or (60 if dev.type == "cpu" else 400)
    controls = _controls()
    board = JobDashboard(controls, run="Train", rows=[[controls[k] for k in row] for row in _ROWS])

    def build() -> tuple[ParallelReLUNet, np.ndarray, np.ndarray]:
        X, y = dashboard_data(controls["data"].value, n_points, seed)
        depth, width = controls["depth"].value, controls["width"].value
        widths = (X.shape[1] + 1, *([width] * (depth - 2)), 1)
        return ParallelReLUNet(widths, controls["subnets"].value, seed=seed), X, y

    def draw(net: ParallelReLUNet, X: np.ndarray, y: np.ndarray, history: dict) -> None:
        norms = net.path_norms().detach().cpu().numpy()
        board.show(vd.dashboard_figure(history, norms, data_view(net, X, y)))

    def preview() -> None:
        net, X, y = build()
        draw(net, X, y, {"step": []})
        board.text.value = f"{net!r}"

    def run() -> None:
        net, X, y = build()
        steps = controls["steps"].value
        redraw = throttled(lambda _step, history: draw(net, X, y, history), max_redraws_per_s)
        board.result = train(net, add_bias(X), y, controls["beta"].value, steps=steps, device=dev,
                             regularizer=controls["regularizer"].value, seed=seed,
                             record_every=max(1, steps // 200), progress=False, callback=redraw,
                             stop_event=board.stop_event, inplace=True)
        draw(net, X, y, board.result.history)
        board.text.value = _summary_html(board.result)

    board.redraw_on(preview, controls.values())
    board.on_run(run, "training…")
    return board


def _summary_html(result: TrainResult) -> str:
    """The summary line of a finished (or stopped) training run."""
    acc = "" if result.accuracy is None else f", training accuracy <b>{result.accuracy:.3f}</b>"
    state = "stopped" if result.stopped else "finished"
    return (f"{state} after {result.steps_run} steps in {result.seconds:.2f} s on {result.device}: best objective "
            f"<b>{result.best_objective:.6g}</b> (step {result.best_step}){acc}; "
            f"{result.net.active_subnets(1e-3)} of {result.net.num_subnets} sub-networks carry "
            f"over 0.1% of the largest path norm")


__all__ = ["training_dashboard", "dashboard_data", "data_view", "DASHBOARD_DATA"]
