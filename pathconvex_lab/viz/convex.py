"""Figures for the convex programs (docs/mathematics.md §2-§3): fits, training against the convex optimum,
group sparsity, the splitting effect, certify-and-grow and decision boundaries.

These functions draw results computed elsewhere (:mod:`pathconvex_lab.convex`,
:mod:`pathconvex_lab.train`). They build ``matplotlib.figure.Figure`` objects (no pyplot state);
render one with :func:`pathconvex_lab.viz.figure_png`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import InputError
from . import new_figure
from .deep import boundaries_figure, score_grid


def _label(ax: Any, xlabel: str, ylabel: str, title: str | None = None, legend: int = 7, loc: str = "best") -> None:
    """Axis labels, a legend (font size ``legend``, at ``loc``) and, unless None, the title ``title``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=legend, loc=loc)
    if title is not None:
        ax.set_title(title, fontsize=10)


def fit_figure(x: Any, y: Any, curves: Mapping[str, tuple[Any, Any]], title: str = "") -> Any:
    """1-D data ``(x (n,), y (n,))`` as dots and one line per entry ``label -> (xs (m,), f(xs) (m,))``."""
    x, y = np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise InputError(f"x and y must have the same length; got {x.shape} and {y.shape}")
    fig, ax = new_figure(5.6, 3.6)
    ax.scatter(x, y, color="black", zorder=3, label="data")
    for i, (label, (xs, fs)) in enumerate(curves.items()):
        ax.plot(xs, fs, color=f"C{i}", lw=2 if i == 0 else 1.3, ls="-" if i == 0 else "--", label=label)
    _label(ax, "x", "f(x)", title, legend=8)
    return fig


def training_figure(
    runs: Mapping[str, Sequence[tuple[Any, Any]]], optimum: float, lower_bound: float | None = None, title: str = ""
) -> Any:
    """Nonconvex training against the convex optimum on the same objective axis.

    ``runs`` maps a label (e.g. "K = 4") to a list of ``(steps (T,), objectives (T,))`` curves, one
    per restart. Left: objective vs step (log scale of ``objective - optimum``); right: the best
    objective of every restart next to the optimum (and the certificate's lower bound).
    """
    fig, (left, right) = new_figure(9.0, 3.6, 2)
    for i, (label, curves) in enumerate(runs.items()):
        for j, (steps, values) in enumerate(curves):
            gap = np.maximum(np.asarray(values, dtype=float) - optimum, 1e-12)
            left.semilogy(steps, gap, color=f"C{i}", alpha=0.8, lw=1, label=label if j == 0 else None)
        finals = [float(np.min(values)) for _, values in curves]
        right.scatter(np.full(len(finals), i) + np.linspace(-0.15, 0.15, len(finals)), finals, color=f"C{i}", zorder=3)
    right.axhline(optimum, color="black", lw=1.5, label=f"convex optimum {optimum:.6g}")
    if lower_bound is not None:
        right.axhline(lower_bound, color="gray", ls=":", label=f"certificate lower bound {lower_bound:.6g}")
    right.set_xticks(range(len(runs)), list(runs))
    _label(right, "", "best objective of each restart")
    _label(left, "step", "objective - convex optimum")
    fig.suptitle(title, fontsize=10)
    return fig


def block_norms_figure(norms: Mapping[str, Any], floor: float = 1e-12, title: str = "",
                       keep_rtol: float = 1e-9) -> Any:
    """Sorted block norms (log scale) of one or more solutions, ``label -> norms`` (any shape,
    flattened): group sparsity at a glance. Each legend entry counts the blocks above ``keep_rtol``
    times the largest, the rule by which ``ConvexResult.network()`` keeps a sub-network (default
    1e-9, the same), so the count is the number of neurons (two layers) or sub-networks (three
    layers) of the network. Norms below ``floor`` are drawn at ``floor``."""
    fig, ax = new_figure(5.6, 3.4)
    for i, (label, values) in enumerate(norms.items()):
        v = np.sort(np.asarray(values, dtype=float).reshape(-1))[::-1]
        kept = int(((v > keep_rtol * v.max(initial=0)) & (v > 0)).sum())
        ax.semilogy(np.arange(1, v.size + 1), np.maximum(v, floor), marker=".", color=f"C{i}",
                    label=f"{label}: {kept} kept in the network")
    ax.set_xscale("log")
    _label(ax, "block, largest first", "block norm (log)", title, legend=8)
    return fig


def splitting_figure(m1s: Sequence[int], p3: Sequence[float], p2_split: Sequence[float], p2: float, title: str = "") -> Any:
    """The splitting lemma (docs/mathematics.md §3.3): ``p3*(m1)`` falls with ``m1``, stays below
    ``p2*(beta / sqrt(m1))`` and equals ``p2*(beta)`` at ``m1 = 1``; ``p3`` and ``p2_split`` are
    ``(len(m1s),)``."""
    fig, ax = new_figure(5.0, 3.4)
    ax.plot(m1s, p3, marker="o", lw=2, label="three layers, path norm: p3*(m1)")
    ax.plot(m1s, p2_split, marker="s", ls="--", label="two layers, split neurons: p2*(beta/sqrt(m1))")
    ax.axhline(p2, color="gray", ls=":", label=f"two layers: p2*(beta) = {p2:.6g}")
    ax.set_xticks(list(m1s))
    _label(ax, "m1 (first-layer width of each sub-network)", "optimal objective", title)
    return fig


def growth_history_figure(history: Any, optimum: float | None = None, title: str = "") -> Any:
    """Certify-and-grow, round by round: upper bound (restricted optimum) and certificate lower
    bound, with the working-set size as bars on a second axis. ``history`` is a ``GrowthHistory``;
    ``optimum``, when known, is drawn as a dotted line."""
    rounds = history.column("round")
    fig, ax = new_figure(5.6, 3.4)
    ax.plot(rounds, history.column("objective"), marker="o", label="upper bound (restricted optimum)")
    ax.plot(rounds, history.column("lower_bound"), marker="v", label="lower bound (certificate)")
    if optimum is not None:
        ax.axhline(optimum, color="black", lw=1, ls=":", label=f"optimum {optimum:.8g}")
    twin = ax.twinx()
    twin.bar(rounds, history.column("groups"), color="gray", alpha=0.2)
    twin.set_ylabel(f"groups in the working set (pool {history.pool_size})")
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    _label(ax, "round", "objective", title, loc="upper right")
    return fig


def certificate_figure(cert: Any, top: int = 40, title: str = "") -> Any:
    """The ``top`` largest support values ``max_V s <M_g^T r, V> / beta`` of a ``Certificate``: bars
    above 1 are atoms that would improve the candidate (a proof of suboptimality)."""
    values = np.asarray(cert.top_values[:top], dtype=float)
    fig, ax = new_figure(5.6, 3.2)
    ax.bar(np.arange(values.size), values, color=np.where(values > 1 + 1e-6, "C3", "C2"))
    ax.axhline(1.0, color="black", lw=1)
    ax.set_xlabel("group (sorted)")
    ax.set_ylabel("neuron score / beta")
    ax.set_title(title or cert.headline(), fontsize=9)
    return fig


def decision_boundary_figure(predicts: Mapping[str, Callable[[np.ndarray], Any]], X2: Any, y: Any,
                             resolution: int = 150, margin: float = 0.25) -> Any:
    """One panel per model ``label -> predict``, where ``predict`` maps 2-D points ``(m, 2)`` to
    scores ``(m,)``: the sign regions, the zero level set and the data ``X2 (n, 2)``, ``y (n,)`` in
    {-1, +1}, drawn by :func:`pathconvex_lab.viz.deep.draw_boundary` on a ``resolution`` squared
    grid (``margin`` as in :func:`pathconvex_lab.viz.deep.score_grid`)."""
    panels = [(label, score_grid(predict, X2, resolution=resolution, margin=margin)) for label, predict in predicts.items()]
    return boundaries_figure(panels, X2, y, width=3.6)


__all__ = [
    "fit_figure",
    "training_figure",
    "block_norms_figure",
    "splitting_figure",
    "growth_history_figure",
    "certificate_figure",
    "decision_boundary_figure",
]
