"""Figures of group sparsity along the regularization path (docs/mathematics.md §3.5-§3.6) and of the
low-rank approximation (§6).

These functions draw arrays they are given (from
:class:`~pathconvex_lab.convex.RegularizationPath`, :class:`~pathconvex_lab.convex.RankSweep` ...);
they do not solve anything. All return a matplotlib ``Figure`` built without pyplot.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from . import new_figure

#: Norms below this are drawn at this value on log axes (they are exact zeros or solver noise).
LOG_FLOOR = 1e-12


def subnet_colors(count: int) -> list:
    """``count`` distinct colors (tab10, then tab20), one per sub-network."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(k % cmap.N) for k in range(count)]


def group_norms_stem(norms: Any, *, rtol: float = 1e-4, title: str = "") -> Any:
    """Sorted stem plot of block norms ``||V_g^s||_F`` (any shape, flattened) on a log axis, with
    the activity threshold ``rtol * max`` as a dashed line: a few large blocks, the rest at 0."""
    values = np.sort(np.abs(np.asarray(norms, dtype=np.float64)).reshape(-1))[::-1]
    if values.size == 0:
        raise InputError("norms must hold at least one value")
    fig, ax = new_figure(7.0, 3.2)
    shown = np.maximum(values, LOG_FLOOR)
    ax.stem(np.arange(1, values.size + 1), shown, basefmt=" ", bottom=LOG_FLOOR)
    ax.set_yscale("log")
    top = float(values.max())
    if top > 0:
        ax.axhline(rtol * top, color="tab:red", ls="--", lw=1, label=f"active threshold ({rtol:g} x max)")
        ax.legend(loc="upper right")
    active = int((values > rtol * top).sum()) if top > 0 else 0
    ax.set_xlabel("block (group and output sign), sorted by norm")
    ax.set_ylabel("||V_g^s||_F")
    ax.set_title(title or f"{active} of {values.size} blocks are active")
    return fig


def path_heatmap(betas: Any, norms: Any, *, rtol: float = 1e-4, max_rows: int = 60, what: str = "block") -> Any:
    """Heatmap of norms along the path at ascending ``betas (B,)``: ``norms`` is ``(B, R)`` (one column
    per block or sub-network, e.g. ``path.subnetwork_norms()``) or ``(B, 2, G)`` (``path.group_norms``).

    Rows are the columns that are ever active (above ``rtol`` times the largest at the same ``beta``;
    at most ``max_rows``, the largest), ordered by the largest ``beta`` at which they are active (those that
    enter first, at large ``beta``, on top); colors are ``log10`` norms, blank where zero.
    """
    betas = np.asarray(betas, dtype=np.float64)
    flat = np.asarray(norms, dtype=np.float64)
    if flat.ndim not in (2, 3) or flat.shape[0] != betas.shape[0]:
        raise InputError(f"norms must have shape (B, R) or (B, 2, G) with B={betas.shape[0]}; got {flat.shape}")
    flat = flat.reshape(flat.shape[0], -1)
    top = flat.max(axis=1, keepdims=True, initial=0.0)
    active = (flat > rtol * top) & (top > 0)
    ever = np.flatnonzero(active.any(axis=0))
    ever = ever[np.argsort(-flat[:, ever].max(axis=0), kind="stable")][:max_rows]
    entry = np.array([np.flatnonzero(active[:, k]).max() for k in ever], dtype=np.int64)
    order = ever[np.lexsort((-flat[:, ever].max(axis=0), -entry))]
    image = np.where(active[:, order], np.log10(np.maximum(flat[:, order], LOG_FLOOR)), np.nan).T
    fig, ax = new_figure(7.5, 1.2 + 0.12 * max(len(order), 8))
    mesh = ax.imshow(image, aspect="auto", interpolation="nearest", cmap="viridis",
                     extent=(-0.5, len(betas) - 0.5, len(order) - 0.5, -0.5))
    ax.set_xticks(np.arange(len(betas)), [f"{b:.2g}" for b in betas], rotation=60, fontsize=7)
    ax.set_xlabel("β")
    ax.set_yticks(np.arange(len(order)) if len(order) <= 20 else np.arange(0, len(order), 5))
    ax.set_ylabel(f"active {what}")
    ax.set_title(f"{what} norms along the path ({len(ever)} of {flat.shape[1]} ever active)")
    fig.colorbar(mesh, ax=ax, label="log10 norm")
    return fig


def subnetworks_figure(betas: Any, subnetworks: Any, *, n: int | None = None, beta_max: float | None = None,
                       active_groups: Any = None, nonconvex: dict[str, Any] | None = None, current: float | None = None) -> Any:
    """Sub-networks of the pruned convex solution vs ``beta`` (log x), with optional: active blocks
    before pruning, the Caratheodory bound ``n + 1``, ``beta_max``, a nonconvex comparison
    ``{"betas": ..., "counts": ..., "label": ...}`` and a marker at ``current``."""
    betas = np.asarray(betas, dtype=np.float64)
    fig, ax = new_figure(6.5, 3.4)
    ax.plot(betas, subnetworks, "o-", color="tab:blue", label="convex, pruned (sub-networks)")
    if active_groups is not None:
        ax.plot(betas, active_groups, "s--", color="tab:gray", ms=3, lw=1, label="convex, active blocks before pruning")
    if nonconvex is not None:
        ax.plot(nonconvex["betas"], nonconvex["counts"], "^-", color="tab:orange",
                label=nonconvex.get("label", "nonconvex training"))
    if n is not None:
        ax.axhline(n + 1, color="tab:red", ls=":", lw=1, label=f"n + 1 = {n + 1}")
    if beta_max is not None:
        ax.axvline(beta_max, color="black", ls="--", lw=1, label="β_max = σ_A(y)")
    if current is not None:
        ax.axvline(current, color="tab:green", lw=2, alpha=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("β")
    ax.set_ylabel("number")
    ax.legend(fontsize=7, loc="upper right")
    return fig


class PathFigure:
    """A reusable figure for scrubbing a path. Axes, ticks, limits, legend and the data are drawn
    once; each :meth:`update` replaces only the network, the sub-networks, the norm bars and the
    title, and :meth:`png` renders them over the cached background (blitting), so a step costs a
    few milliseconds of drawing instead of a full redraw. ``fig`` is an ordinary matplotlib
    ``Figure`` (``savefig`` draws everything).

    ``dim = 1``: ``axes_grid = (x_grid (m,),)``; the network and each sub-network's contribution
    are curves over the data ``(x, y)``. ``dim = 2``: ``axes_grid = (gx (a,), gy (b,))``; the sign of
    ``f``, the decision boundary ``f = 0`` (black) and the boundary of each sub-network's active
    region (colored, dashed) over the points ``x (n, 2)`` colored by ``y``. Right: the
    sub-networks' norms ``||V_k||_F`` (y-axis up to ``max_norm``, at most ``max_subnets`` bars).
    """

    DPI = 80

    def __init__(self, dim: int, axes_grid: Sequence[Any], x: Any, y: Any, *, max_norm: float,
                 ylim: tuple[float, float] | None = None, max_subnets: int = 10):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if dim not in (1, 2):
            raise InputError(f"dim must be 1 or 2; got {dim!r}")
        self.dim, self.grid = dim, [np.asarray(g, dtype=np.float64) for g in axes_grid]
        self.fig = Figure(figsize=(8.0, 3.6 if dim == 1 else 4.0), dpi=self.DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax, self.bars = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": (3.2, 1)})
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.88, wspace=0.22)
        self.max_subnets = max(int(max_subnets), 1)
        self.colors = subnet_colors(self.max_subnets)
        self._artists: list = []
        self._background = None
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.ax.set_xlim(self.grid[0][0], self.grid[0][-1])
        self._fixed = self._fix_curve_view(x, y, ylim) if dim == 1 else self._fix_plane_view(x, y)
        self._fix_bars(max_norm)
        self.title = self.ax.text(0.5, 1.03, "", transform=self.ax.transAxes, ha="center", va="bottom",
                                  fontsize=10)
        self._fixed.append(self.title)
        for artist in self._fixed:  # drawn over the dynamic artists in z-order, not in the background
            artist.set_animated(True)

    def _fix_curve_view(self, x: np.ndarray, y: np.ndarray, ylim: tuple[float, float] | None) -> list:
        """1-D: the data ``x (n,)``, ``y (n,)`` as points, the zero line and the legend; returns the
        artists drawn over the curves."""
        from matplotlib.lines import Line2D

        points = self.ax.plot(x, y, "o", color="tab:red", ms=5, zorder=4)[0]
        self.ax.axhline(0, color="0.8", lw=0.8, zorder=0)
        if ylim is not None:
            self.ax.set_ylim(*ylim)
        self.ax.set_xlabel("x")
        legend = self.ax.legend(
            [Line2D([], [], color="black", lw=2), Line2D([], [], color="0.4", ls="--"),
             Line2D([], [], color="tab:red", marker="o", ls="")],
            ["network f", "sub-network contributions", "data"], fontsize=7, loc="upper left")
        return [points, legend]

    def _fix_plane_view(self, x: np.ndarray, y: np.ndarray) -> list:
        """2-D: the points ``x (n, 2)`` colored by ``y (n,)``, the sign image and the (empty)
        boundary lines that :meth:`update` fills, and the legend; returns them."""
        from matplotlib.collections import LineCollection
        from matplotlib.colors import ListedColormap
        from matplotlib.lines import Line2D

        points = self.ax.scatter(x[:, 0], x[:, 1], c=np.where(y > 0, "tab:red", "tab:blue"), edgecolors="black",
                                 s=30, zorder=4)
        extent = (self.grid[0][0], self.grid[0][-1], self.grid[1][0], self.grid[1][-1])
        self._fill = self.ax.imshow(np.zeros((len(self.grid[1]), len(self.grid[0]))), extent=extent, origin="lower",
                                    cmap=ListedColormap(["#c6dbef", "#fdd0a2"]), vmin=-1, vmax=1, alpha=0.8,
                                    interpolation="nearest", aspect="auto", zorder=1)
        self._boundaries = self.ax.add_collection(LineCollection([], zorder=3))
        self.ax.set_xlim(extent[0], extent[1])
        self.ax.set_ylim(extent[2], extent[3])
        legend = self.ax.legend(
            [Line2D([], [], color="black", lw=2), Line2D([], [], color="0.4", ls="--")],
            ["decision boundary f = 0", "sub-network active regions"], fontsize=7, loc="upper left")
        return [points, self._fill, self._boundaries, legend]

    def _fix_bars(self, max_norm: float) -> None:
        """The axes of the norm bars: up to ``max_norm``, one numbered slot per sub-network."""
        self.bars.set_ylim(0, 1.05 * max_norm if max_norm > 0 else 1.0)
        self.bars.set_xlim(-0.6, self.max_subnets - 0.4)
        ticks = bar_ticks(self.max_subnets)
        self.bars.set_xticks(ticks, [str(k + 1) for k in ticks], fontsize=7)
        self.bars.set_xlabel("sub-network")
        self.bars.set_title("sub-network norm", fontsize=9)

    def _color(self, k: int) -> Any:
        return self.colors[k % len(self.colors)]

    def _level_lines(self, values: np.ndarray, level: float) -> list:
        """Polylines ``(k, 2)`` where ``values`` (on the grid) crosses ``level`` (contourpy, no artist)."""
        import contourpy

        if not values.min() < level < values.max():
            return []
        return list(contourpy.contour_generator(*self.grid, values).lines(level))

    def _add(self, artist: Any) -> None:
        """Register a dynamic artist (drawn over the cached background, skipped by it)."""
        artist.set_animated(True)
        self._artists.append(artist)

    def _draw_curves(self, C: np.ndarray) -> None:
        """1-D: each sub-network's contribution ``C (m, K)`` (colored, dashed) and their sum ``f`` (black)."""
        for k in range(C.shape[-1]):
            self._add(self.ax.plot(self.grid[0], C[:, k], "--", color=self._color(k), lw=1.2)[0])
        self._add(self.ax.plot(self.grid[0], C.sum(axis=1), color="black", lw=2)[0])

    def _draw_regions(self, C: np.ndarray, regions: np.ndarray | None) -> None:
        """2-D: the sign of ``f = C.sum(-1)`` for ``C (b, a, K)``, the line ``f = 0`` (black) and the zero
        line of each field ``regions[..., k]`` (colored, dashed; default ``|C| > 0``, shifted by 1/2)."""
        F = C.sum(axis=-1)
        self._fill.set_data(np.where(F > 0, 1.0, -1.0))
        R = (np.abs(C) > 0).astype(float) - 0.5 if regions is None else np.asarray(regions, dtype=np.float64)
        fields = [(F, "black", 2.0, "-")] + [(R[..., k], self._color(k), 1.2, "--") for k in range(C.shape[-1])]
        segments, colors, widths, styles = [], [], [], []
        for values, color, width, style in fields:
            lines = self._level_lines(values, 0.0)
            segments += lines
            colors += [color] * len(lines)
            widths += [width] * len(lines)
            styles += [style] * len(lines)
        self._boundaries.set_segments(segments)
        self._boundaries.set(colors=colors or ["black"], linewidths=widths or [1.0], linestyles=styles or ["-"])

    def update(self, contributions: Any, norms: Any, title: str = "", regions: Any = None) -> Any:
        """Draw one path point: ``contributions`` ``(m, K)`` (1-D) or ``(b, a, K)`` (2-D) on the grid,
        sub-network norms ``(K,)``; in 2-D, ``regions (b, a, K)`` are fields positive exactly where
        each sub-network is active (e.g. its pre-activation; default: ``|contribution| > 0``, whose
        boundary is only resolved to the grid). Returns the figure."""
        for artist in self._artists:
            artist.remove()
        self._artists = []
        C = np.asarray(contributions, dtype=np.float64)
        if self.dim == 1:
            self._draw_curves(C)
        else:
            self._draw_regions(C, regions)
        for k, patch in enumerate(self.bars.bar(np.arange(C.shape[-1]), np.asarray(norms, dtype=np.float64)).patches):
            patch.set_facecolor(self._color(k))
            self._add(patch)
        self.title.set_text(title)
        return self.fig

    def png(self) -> bytes:
        """PNG bytes of the current state: the static background is rendered once and cached,
        the dynamic artists are drawn over it."""
        import io

        from PIL import Image

        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in sorted((*self._fixed, *self._artists), key=lambda a: a.get_zorder()):
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba()).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()


def bar_ticks(count: int, most: int = 6) -> np.ndarray:
    """Positions (0-based) of the tick labels for ``count`` bars numbered from 1: every bar when at
    most ``most`` fit, else bar 1 and the multiples of a round step (2, 5, 10, 20, 50, ...), so that
    labels never run together."""
    steps = [m * 10**e for e in range(7) for m in (1, 2, 5)]
    step = 1 if count <= most else next(s for s in steps[1:] if count // s + 1 <= most)
    if step == 1:
        return np.arange(count)
    return np.array([0] + list(range(step - 1, count, step)))


#: Smallest excess objective drawn on a log axis: below it, the approximation equals the optimum
#: to the solvers' accuracy, and the point is drawn hollow at this level (never off the axis).
EXCESS_FLOOR = 1e-8


def _plot_excess(ax: Any, x: Any, ratios: Any, label: str) -> None:
    """``ratios - 1`` on a log axis: values below :data:`EXCESS_FLOOR` (the approximation is exact to
    solver accuracy) are drawn hollow at the floor, with their own legend entry."""
    excess = np.asarray(ratios, dtype=np.float64) - 1.0
    exact = excess < EXCESS_FLOOR
    ax.plot(x, np.maximum(excess, EXCESS_FLOOR), "o-", color="C0", label=label)
    if exact.any():
        ax.plot(np.asarray(x)[exact], np.full(int(exact.sum()), EXCESS_FLOOR), "o", color="C0", mfc="white",
                label=f"exact (below {EXCESS_FLOOR:g}: solver accuracy)")


def rank_figure(ranks: Any, num_groups: Any, seconds: Any, ratios: Any, bound_factors: Any, *,
                exact_groups: int | None = None, exact_seconds: float | None = None, current: int | None = None) -> Any:
    """The approximation of docs/mathematics.md §6 against the rank ``r``: groups of ``X_hat`` (and of ``X``),
    solve time (and the exact program's), ``p_hat / p*`` with the bound ``(1 + gamma)^2`` (log axes)."""
    ranks = np.asarray(ranks)
    fig, axes = new_figure(10.5, 3.2, 3)
    ax = axes[0]
    ax.plot(ranks, num_groups, "o-", label="groups of X_hat (rank r)")
    if exact_groups is not None:
        ax.axhline(exact_groups, color="black", ls="--", lw=1, label=f"exact: {exact_groups}")
    ax.set_yscale("log")
    ax.set_title("groups")
    ax = axes[1]
    ax.plot(ranks, seconds, "o-", label="approximation")
    if exact_seconds is not None and np.isfinite(exact_seconds):
        ax.axhline(exact_seconds, color="black", ls="--", lw=1, label=f"exact: {exact_seconds:.2f} s")
    ax.set_title("solve time (s)")
    ax = axes[2]
    _plot_excess(ax, ranks, ratios, "p_hat / p* - 1")
    ax.plot(ranks, np.maximum(np.asarray(bound_factors, dtype=float) - 1.0, EXCESS_FLOOR), "s--", color="tab:red",
            label="bound (1 + γ)² - 1")
    ax.set_yscale("log")
    ax.set_title("excess objective")
    for ax in axes:
        ax.set_xlabel("rank r")
        ax.set_xticks(ranks)
        if current is not None:
            ax.axvline(current, color="tab:green", lw=2, alpha=0.6)
        ax.legend(fontsize=7)
    return fig


def tightness_figure(x: Any, ratios: Any, bound_factors: Any, *, xlabel: str = "γ = √m1 σ_(r+1) ||y|| / β") -> Any:
    """``p_hat / p* - 1`` (measured) and ``(1 + gamma)^2 - 1`` (the guarantee) against ``x`` (e.g. gamma),
    log-log: how far below the a-priori bound the approximation lands."""
    order = np.argsort(np.asarray(x, dtype=np.float64))
    x = np.asarray(x, dtype=np.float64)[order]
    fig, ax = new_figure(6.0, 3.4)
    _plot_excess(ax, x, np.asarray(ratios, dtype=np.float64)[order], "measured p_hat / p* - 1")
    ax.plot(x, np.maximum(np.asarray(bound_factors, dtype=np.float64)[order] - 1.0, EXCESS_FLOOR), "s--",
            color="tab:red", label="bound (1 + γ)² - 1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("excess objective")
    ax.legend(fontsize=7)
    return fig


def group_count_figure(ns: Any, counts: dict[str, Any], *, title: str = "") -> Any:
    """Log-log plot of group counts against the number of points ``ns (N,)``, one line per label in
    ``counts`` (label -> ``(N,)``): straight lines are polynomials in ``n``; their slopes grow with
    ``r`` and ``m1``."""
    fig, ax = new_figure(6.5, 3.6)
    for label, values in counts.items():
        ax.plot(ns, values, "o-", ms=3, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of points n")
    ax.set_ylabel("groups (upper bound)")
    ax.set_title(title or "group count: polynomial in n, exponential in r and m1")
    ax.legend(fontsize=7)
    return fig


__all__ = [
    "group_norms_stem", "path_heatmap", "subnetworks_figure", "PathFigure",
    "rank_figure", "tightness_figure", "group_count_figure", "subnet_colors", "LOG_FLOOR",
]
