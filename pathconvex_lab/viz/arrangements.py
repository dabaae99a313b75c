"""Figures of ReLU sign patterns (docs/mathematics.md §5): a neuron over 2-D data, the arrangement of
great circles on the sphere of directions, counts vs Cover's bound, sampling coverage.

These functions draw; they do not compute patterns (use :mod:`pathconvex_lab.arrangements`).
Matplotlib figures are built with ``matplotlib.figure.Figure`` (no global pyplot state);
:func:`figure_png` renders one to PNG bytes.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._validate import check_matrix
from ..errors import InputError
from . import figure_png, new_figure


def pattern_bits(pattern: Any) -> str:
    """A bool pattern ``(n,)`` as a string of 0/1 (row 0 first)."""
    return "".join("1" if v else "0" for v in np.asarray(pattern, dtype=bool))


def neuron_figure(X2: Any, angle_deg: float, offset: float, pattern: Any, title: str = "") -> Any:
    """One neuron ``u = (cos a, sin a, b)`` acting on 2-D points ``X2 (n, 2)`` with a bias.

    Draws the line ``x . (cos a, sin a) + b = 0``, an arrow towards its active side, and
    the points (filled: active, ``pattern[i]`` True; hollow: inactive), numbered by row.
    Returns a matplotlib ``Figure``.
    """
    from matplotlib.figure import Figure

    X2 = check_matrix(X2, "X2", min_cols=2)
    if X2.shape[1] != 2:
        raise InputError(f"X2 must be 2-D points of shape (n, 2); got {X2.shape}")
    active = np.asarray(pattern, dtype=bool)
    normal = np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))])
    lo, hi = X2.min(axis=0) - 0.5, X2.max(axis=0) + 0.5
    fig = Figure(figsize=(4.6, 4.2))
    ax = fig.add_subplot()
    foot = -offset * normal  # closest point of the line to the origin
    along = np.array([-normal[1], normal[0]])
    t = np.linspace(-10, 10, 2)
    ax.plot(foot[0] + t * along[0], foot[1] + t * along[1], color="C0", lw=2, label="x . n + b = 0")
    ax.annotate("", xy=foot + 0.5 * normal, xytext=foot, arrowprops={"arrowstyle": "->", "color": "C0"})
    ax.scatter(*X2[active].T, color="C1", s=50, zorder=3, label="active (1)")
    ax.scatter(*X2[~active].T, facecolors="white", edgecolors="C1", s=50, zorder=3, label="inactive (0)")
    for i, (a, b) in enumerate(X2):
        ax.annotate(str(i), (a, b), textcoords="offset points", xytext=label_offset(X2, i), fontsize=7,
                    ha="center", va="center")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=7, frameon=False)
    ax.set_title(title or f"pattern {pattern_bits(active)}", fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # room below the axes for the legend: it never hides the line
    return fig


def label_offset(points: Any, i: int, distance: float = 7.0) -> tuple[float, float]:
    """Offset in points ``(dx, dy)`` for the label of ``points[i]`` (``(n, 2)``), pointing away from
    its nearest neighbour, so that labels of close points do not run together ("3" and "7" as "37")."""
    points = np.asarray(points, dtype=float)
    others = np.delete(points, i, axis=0)
    if others.size == 0:
        return (distance * 0.7, distance * 0.7)
    away = points[i] - others[np.argmin(np.linalg.norm(others - points[i], axis=1))]
    norm = float(np.linalg.norm(away))
    away = away / norm if norm > 0 else np.array([0.7071, 0.7071])
    return (float(distance * away[0]), float(distance * away[1]))


def _great_circle(x: np.ndarray, points: int = 120) -> np.ndarray:
    """Points ``(points, 3)`` of the unit circle ``{u : x^T u = 0, |u| = 1}``."""
    basis = np.linalg.svd(x[None, :])[2][1:]  # (2, 3): orthonormal basis of x^perp
    t = np.linspace(0, 2 * np.pi, points)
    return np.cos(t)[:, None] * basis[0] + np.sin(t)[:, None] * basis[1]


def sphere_figure(X: Any, u: Any = None, *, found: Any = None, missed: Any = None, title: str = "") -> Any:
    """Plotly 3-D figure of the arrangement of ``X (n, 3)`` on the sphere of directions ``u``.

    Each nonzero row ``x_i`` is the great circle ``x_i^T u = 0``; the circles cut the sphere
    into the chambers (one per pattern). ``u (3,)`` is drawn as a black point; ``found`` and
    ``missed`` are optional directions ``(3, k)`` drawn as green and red markers.
    Returns a ``plotly.graph_objects.Figure``.
    """
    import plotly.graph_objects as go

    X = check_matrix(X, "X")
    if X.shape[1] != 3:
        raise InputError(f"X must have 3 columns (a direction u lives on the 2-sphere); got shape {X.shape}")
    phi, theta = np.meshgrid(np.linspace(0, 2 * np.pi, 40), np.linspace(0, np.pi, 20))
    traces = [go.Surface(x=np.cos(phi) * np.sin(theta), y=np.sin(phi) * np.sin(theta), z=np.cos(theta),
                         opacity=0.15, showscale=False, colorscale=[[0, "lightgrey"], [1, "lightgrey"]],
                         hoverinfo="skip", name="sphere")]
    for i, x in enumerate(X):
        if np.linalg.norm(x) == 0:
            continue
        c = _great_circle(x)
        traces.append(go.Scatter3d(x=c[:, 0], y=c[:, 1], z=c[:, 2], mode="lines", name=f"x_{i}^T u = 0",
                                   line={"width": 3}, showlegend=False, hoverinfo="name"))
    for dirs, color, name, size in ((found, "green", "found chambers", 3), (missed, "red", "missed chambers", 6)):
        if dirs is not None and np.size(dirs):
            D = np.asarray(dirs, dtype=float).reshape(3, -1)
            D = D / np.linalg.norm(D, axis=0)
            traces.append(go.Scatter3d(x=D[0], y=D[1], z=D[2], mode="markers", name=name,
                                       marker={"size": size, "color": color}))
    if u is not None:
        u = np.asarray(u, dtype=float).reshape(3)
        u = u / np.linalg.norm(u)
        traces.append(go.Scatter3d(x=[u[0]], y=[u[1]], z=[u[2]], mode="markers", name="u",
                                   marker={"size": 8, "color": "black"}))
    fig = go.Figure(traces)
    fig.update_layout(title=title, height=480, margin={"l": 0, "r": 0, "t": 40, "b": 0},
                      scene={"aspectmode": "cube", "xaxis_title": "u1", "yaxis_title": "u2", "zaxis_title": "u3"})
    return fig


def counts_figure(ns: Sequence[int], counts: Sequence[int], bounds: Sequence[int], label: str = "patterns") -> Any:
    """Pattern counts (markers) and Cover's bound ``C(n, r)`` (line) against ``n``; log y axis.
    Returns a matplotlib ``Figure``."""
    fig, ax = new_figure(5, 3.4)
    ax.plot(ns, bounds, color="C0", label="bound C(n, r)")
    ax.plot(ns, counts, "o", color="C1", ms=4, label=label)
    ax.plot(ns, [2.0**n for n in ns], ":", color="grey", label="2^n (all subsets)")
    ax.set_yscale("log")
    ax.set_ylim(1, max(max(bounds), 2) * 4)
    ax.set_xlabel("n (points)")
    ax.set_ylabel("number of patterns")
    ax.legend(fontsize=8)
    return fig


def coverage_figure(samples: Sequence[int], fractions: Sequence[float], current: tuple[int, float] | None = None) -> Any:
    """Fraction of the chamber patterns found by sampling against the number of random
    directions (log x axis), with the current setting as a red point. Returns a ``Figure``."""
    fig, ax = new_figure(5, 3.2)
    ax.plot(samples, fractions, "-o", color="C0", ms=3)
    if current is not None:
        ax.plot([current[0]], [current[1]], "o", color="red", ms=8, label=f"{current[0]:,} samples: {current[1]:.0%}")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("random directions sampled")
    ax.set_ylabel("fraction of patterns found")
    return fig


__all__ = ["figure_png", "pattern_bits", "neuron_figure", "sphere_figure", "counts_figure", "coverage_figure"]
