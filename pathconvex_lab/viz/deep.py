"""Figures for deep parallel ReLU networks (docs/mathematics.md §4): decision boundaries, loss curves,
per-sub-network path norms, restarts against the convex optimum, accuracy grids.

These functions draw; training happens in :mod:`pathconvex_lab.train`. The only evaluation
done here is :func:`score_grid` (and :func:`decision_grid` for a network), a model's output on a
plotting grid; :func:`draw_boundary` is the one decision-boundary drawing of the package (also
behind :func:`pathconvex_lab.viz.convex.decision_boundary_figure`). Figures are
``matplotlib.figure.Figure`` objects (no global pyplot state); render them with
:func:`pathconvex_lab.viz.arrangements.figure_png` or display them directly in a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .._validate import check_matrix
from ..errors import InputError
from . import new_figure

POSITIVE, NEGATIVE = "#d95f02", "#1b9e77"


@dataclass(frozen=True)
class Grid:
    """A model's output ``values (ny, nx)`` on the grid ``xs (nx,)`` x ``ys (ny,)``."""

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray


def score_grid(predict: Callable[[np.ndarray], Any], X2: Any, *, resolution: int = 120, margin: float = 0.25) -> Grid:
    """Evaluate ``predict`` (points ``(m, 2)`` -> scores ``(m,)``) on a ``resolution x resolution``
    grid covering the 2-D points ``X2 (n, 2)`` plus ``margin`` times their spread on each side."""
    X2 = check_matrix(X2, "X2")
    if X2.shape[1] != 2:
        raise InputError(f"X2 must have 2 columns (points in the plane); got shape {X2.shape}")
    lo, hi = X2.min(axis=0), X2.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    values = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()])), dtype=float)
    return Grid(xs, ys, values.reshape(gy.shape))


def decision_grid(net: Any, X2: Any, *, bias: bool = True, resolution: int = 120, margin: float = 0.25) -> Grid:
    """:func:`score_grid` of ``net.predict``; ``bias=True`` appends the ones column the net expects."""
    def predict(points: np.ndarray) -> np.ndarray:
        return net.predict(np.column_stack([points, np.ones(len(points))]) if bias else points)

    return score_grid(predict, X2, resolution=resolution, margin=margin)


def draw_boundary(ax: Any, X2: Any, y: Any, grid: Grid, title: str = "") -> None:
    """On ``ax``: the regions ``sign f`` of ``grid`` (shaded), the boundary ``f = 0`` (black) and the
    points ``X2 (n, 2)`` colored by their labels ``y (n,)`` in {-1, +1}, with the title ``title``."""
    X2, y = np.asarray(X2, dtype=float), np.asarray(y, dtype=float).reshape(-1)
    ax.contourf(grid.xs, grid.ys, grid.values > 0, levels=[-0.5, 0.5, 1.5], colors=[NEGATIVE, POSITIVE], alpha=0.18)
    if grid.values.min() < 0 < grid.values.max():
        ax.contour(grid.xs, grid.ys, grid.values, levels=[0.0], colors="k", linewidths=1.2)
    ax.scatter(*X2[y > 0].T, s=18, c=POSITIVE, edgecolors="k", linewidths=0.4, label="+1")
    ax.scatter(*X2[y <= 0].T, s=18, c=NEGATIVE, edgecolors="k", linewidths=0.4, label="-1")
    ax.set_xlim(grid.xs[0], grid.xs[-1])
    ax.set_ylim(grid.ys[0], grid.ys[-1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def draw_fit_1d(ax: Any, x: Any, y: Any, xs: Any, fs: Any, title: str = "") -> None:
    """On ``ax``: 1-D data ``(x, y)`` and a fitted curve ``fs`` over ``xs`` (regression view)."""
    ax.plot(xs, fs, color=POSITIVE, lw=1.6, label="f(x)")
    ax.scatter(x, y, s=16, c="k", label="data")
    ax.set_xlabel("x")
    if title:
        ax.set_title(title, fontsize=9)


def boundaries_figure(panels: Sequence[tuple[str, Grid]], X2: Any, y: Any, *, width: float = 3.2) -> Any:
    """One panel (``width`` inches wide) per ``(title, grid)``: the decision boundaries of several
    models on the same 2-D classification data ``X2 (n, 2)``, ``y (n,)`` (the paper's Fig. 1 idea)."""
    if not panels:
        raise InputError("panels must hold at least one (title, Grid) pair")
    fig, _ = new_figure(width * len(panels), width + 0.3, len(panels))
    for ax, (title, grid) in zip(fig.axes, panels):
        draw_boundary(ax, X2, y, grid, title)
    return fig


def draw_history(ax: Any, history: Mapping[str, Sequence[float]], *, reference: float | None = None,
                 label: str = "objective", color: str | None = None) -> None:
    """On ``ax``: ``history["objective"]`` against ``history["step"]`` (log scale), with an optional
    horizontal ``reference`` (for example the convex optimum)."""
    ax.plot(history["step"], history["objective"], label=label, color=color, lw=1.3)
    if reference is not None:
        ax.axhline(reference, color="k", ls="--", lw=1, label=f"convex optimum {reference:.6g}")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("0.5||f - y||² + β R")


def histories_figure(histories: Sequence[Mapping[str, Sequence[float]]], labels: Sequence[str] | None = None,
                     *, reference: float | None = None) -> Any:
    """Objective curves of several runs on one log-scale axis."""
    fig, ax = new_figure(5.5, 3.4)
    labels = list(labels) if labels is not None else [f"run {i}" for i in range(len(histories))]
    for i, (history, label) in enumerate(zip(histories, labels)):
        draw_history(ax, history, label=label, reference=reference if i == len(histories) - 1 else None)
    ax.legend(fontsize=8)
    return fig


def draw_path_norms(ax: Any, norms: Any) -> None:
    """On ``ax``: the path norms ``R_k`` of the sub-networks, largest first (bars)."""
    norms = np.sort(np.asarray(norms, dtype=float))[::-1]
    ax.bar(np.arange(1, norms.size + 1), norms, color="#7570b3")
    ax.set_xlabel("sub-network (sorted)")
    ax.set_ylabel("path norm R_k")


def restarts_figure(objectives: Sequence[float], convex_optimum: float, *, title: str = "") -> Any:
    """Best objectives of nonconvex restarts as points, the convex optimum as a line: no restart
    may fall below it (docs/mathematics.md §8), and the gap shows how far local training stopped."""
    objectives = np.asarray(objectives, dtype=float)
    fig, ax = new_figure(5.0, 3.0)
    order = np.argsort(objectives)
    ax.plot(np.arange(1, objectives.size + 1), objectives[order], "o", color=POSITIVE, label="trained (sorted)")
    ax.axhline(convex_optimum, color="k", ls="--", label=f"convex optimum {convex_optimum:.6g}")
    ax.set_xlabel("restart (sorted by objective)")
    ax.set_ylabel("objective")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def accuracy_grid_figure(depths: Sequence[int], betas: Sequence[float], accuracy: Any, *,
                         title: str = "test accuracy") -> Any:
    """``accuracy (len(depths), len(betas))`` as one line per depth against ``beta`` (log scale)."""
    acc = np.asarray(accuracy, dtype=float)
    if acc.shape != (len(depths), len(betas)):
        raise InputError(f"accuracy must have shape ({len(depths)}, {len(betas)}); got {acc.shape}")
    fig, ax = new_figure(5.0, 3.2)
    for depth, row in zip(depths, acc):
        ax.plot(betas, row, "o-", label=f"depth {depth}")
    ax.set_xscale("log")
    ax.set_xlabel("β")
    ax.set_ylabel("accuracy")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def dashboard_figure(history: Mapping[str, Sequence[float]], norms: Any, view: Mapping[str, Any]) -> Any:
    """The live training view: objective curve, the data view (``view["kind"]`` is ``"boundary"``
    with ``X2, y, grid`` or ``"fit"`` with ``x, y, xs, fs``) and the per-sub-network path norms."""
    fig, (ax_loss, ax_view, ax_norms) = new_figure(11.0, 3.3, 3, width_ratios=[1.2, 1.0, 1.0])
    if history.get("step"):
        draw_history(ax_loss, history)
        ax_loss.set_title(f"step {history['step'][-1]}: objective {history['objective'][-1]:.5g}", fontsize=9)
    else:  # before training: say so, instead of an empty 0-1 box
        ax_loss.set_axis_off()
        ax_loss.text(0.5, 0.5, "the objective curve appears here\nwhen you press Train", ha="center", va="center",
                     fontsize=10, color="0.4", transform=ax_loss.transAxes)
    if view["kind"] == "boundary":
        draw_boundary(ax_view, view["X2"], view["y"], view["grid"], view.get("title", ""))
    else:
        draw_fit_1d(ax_view, view["x"], view["y"], view["xs"], view["fs"], view.get("title", ""))
    draw_path_norms(ax_norms, norms)
    return fig


__all__ = [
    "Grid",
    "score_grid",
    "decision_grid",
    "draw_boundary",
    "draw_fit_1d",
    "boundaries_figure",
    "draw_history",
    "histories_figure",
    "draw_path_norms",
    "restarts_figure",
    "accuracy_grid_figure",
    "dashboard_figure",
]
