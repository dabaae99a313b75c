"""Figures for notebook 07 (real data, honest optima): plain Adam runs against the bracket
``[L, U]`` of :func:`~pathconvex_lab.experiments.solve_route`, and the bracket round by round.

Both functions draw results; they compute nothing. They return a matplotlib ``Figure`` (no
pyplot state), with labelled axes and a legend placed outside the plotting area so that it never
covers a curve.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from . import new_figure

UPPER_COLOR = "#d95f02"
LOWER_COLOR = "#1b9e77"
ADAM_COLORS = ("#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def _log_if_positive(ax: Any, values: Sequence[float]) -> None:
    """A log objective axis when every value is positive (curves and bounds span decades)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if finite and min(finite) > 0:
        ax.set_yscale("log")


def route_vs_adam_figure(histories: Sequence[Mapping[str, Sequence[float]]], labels: Sequence[str] | None = None,
                         *, upper: float, lower: float | None = None, title: str = "") -> Any:
    """Objective curves of plain Adam runs (``history["step"]``, ``history["objective"]``) and the
    route's bracket as horizontal lines: ``upper`` (U, attained by the route's network) and
    ``lower`` (L, valid over every network; omitted when ``None``). One objective axis (log scale
    when all values are positive); the legend sits to the right of the axes."""
    labels = list(labels) if labels is not None else [f"Adam, seed {i}" for i in range(len(histories))]
    fig, ax = new_figure(7.5, 3.6)
    values: list[float] = [upper] + ([] if lower is None else [lower])
    for i, (history, label) in enumerate(zip(histories, labels)):
        steps, objective = list(history["step"]), list(history["objective"])
        ax.plot(steps, objective, color=ADAM_COLORS[i % len(ADAM_COLORS)], lw=1.4,
                label=f"{label} (best {min(objective):.4g})")
        values += objective
    ax.axhline(upper, color=UPPER_COLOR, ls="--", lw=1.6, label=f"route: upper bound U = {upper:.4g}")
    if lower is not None:
        ax.axhline(lower, color=LOWER_COLOR, ls="-.", lw=1.6, label=f"route: lower bound L = {lower:.4g}")
    _log_if_positive(ax, values)
    ax.set_xlabel("Adam step")
    ax.set_ylabel("objective ½‖f − y‖² + β R")
    _legend_and_title(ax, title)
    return fig


def _legend_and_title(ax: Any, title: str) -> None:
    """The legend outside the axes on the right (it never covers a curve) and a small title."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    if title:
        ax.set_title(title, fontsize=9)


def bracket_figure(rounds: Sequence[Any], *, final_upper: float | None = None, final_lower: float | None = None,
                   title: str = "") -> Any:
    """The bracket closing round by round: for each ``RouteRound`` its ``upper_bound`` (the
    objective of the program solved in that round) and its ``lower_bound`` (where one was proved),
    with the gap shaded; optionally the final ``U`` and ``L`` of the result as dashed lines."""
    fig, ax = new_figure(7.5, 3.4)
    k = np.array([r.round for r in rounds], dtype=float)
    upper = np.array([r.upper_bound for r in rounds], dtype=float)
    lower = np.array([np.nan if r.lower_bound is None else r.lower_bound for r in rounds], dtype=float)
    values = list(upper) + [v for v in lower if np.isfinite(v)]
    ax.plot(k, upper, "o-", color=UPPER_COLOR, label="upper bound per round")
    if np.isfinite(lower).any():
        ax.plot(k, lower, "s-", color=LOWER_COLOR, label="lower bound per round")
        ok = np.isfinite(lower)
        ax.fill_between(k[ok], lower[ok], upper[ok], color="#bbbbbb", alpha=0.35, label="gap: p* lies here")
    if final_upper is not None:
        ax.axhline(final_upper, color=UPPER_COLOR, ls="--", lw=1, label=f"final U = {final_upper:.4g}")
        values.append(final_upper)
    if final_lower is not None:
        ax.axhline(final_lower, color=LOWER_COLOR, ls="--", lw=1, label=f"final L = {final_lower:.4g}")
        values.append(final_lower)
    _log_if_positive(ax, values)
    if len(k):
        ax.set_xticks(k)
    ax.set_xlabel("round (one convex solve each)")
    ax.set_ylabel("objective")
    _legend_and_title(ax, title)
    return fig


__all__ = ["bracket_figure", "route_vs_adam_figure"]
