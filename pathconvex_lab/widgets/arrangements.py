"""Dashboards for notebook 01 (ReLU sign patterns, docs/mathematics.md §5).

Each builder returns a :class:`~pathconvex_lab.widgets._common.Dashboard` (an ``ipywidgets.VBox``)
whose last figure is also kept as ``figure`` (a matplotlib ``Figure`` or a plotly ``Figure``), so
tests and users can inspect it. Figures are written into ``Output`` widgets as display data (PNG,
or plotly's JSON mime type, rendered by JupyterLab's bundled plotly extension). Exceptions raised
in a callback are shown in the dashboard (a red line and the Output's stderr), never lost.

- :func:`neuron_widget`: one neuron's line over 2-D points; its pattern and index among all P.
- :func:`sphere_widget`: the great circles ``x_i^T u = 0`` on the sphere of directions ``u``.
- :func:`counts_widget`: pattern counts vs Cover's bound as ``n`` grows.
- :func:`coverage_widget`: how much of the pattern set random sampling finds.
- :func:`check_pattern_bound_exercise`: feedback on a student's ``C(n, r)``.
"""

from __future__ import annotations

from typing import Any, Callable

import ipywidgets as W
import numpy as np

from .. import arrangements as ar
from ..data import add_bias, gaussian
from ..viz import arrangements as va
from ._common import Dashboard, labelled, show_png

#: Option names of the counts dashboard's data toggle.
GENERAL, DEGENERATE = "general position", "degenerate (grid points)"


def _direction(angle_deg: float, elevation_deg: float = 0.0) -> np.ndarray:
    """Unit vector ``(3,)`` at azimuth ``angle_deg`` and elevation ``elevation_deg``."""
    a, e = np.radians(angle_deg), np.radians(elevation_deg)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def _pattern_line(pats: ar.Patterns, pre: np.ndarray) -> str:
    """HTML: the pattern ``1[pre > 0]`` and its index among the chamber patterns ``pats``."""
    pattern = pre > 0
    ties = np.flatnonzero(np.abs(pre) <= 1e-12 * max(1.0, np.abs(pre).max()))
    bits = va.pattern_bits(pattern)
    if ties.size:
        return (f"pattern 1[Xu > 0] = <code>{bits}</code>, but u lies on the hyperplane of point(s) "
                f"{', '.join(map(str, ties))}: a boundary, not a chamber; move a little")
    return f"pattern 1[Xu > 0] = <code>{bits}</code> is pattern <b>#{pats.index(pattern)}</b> of P = {pats.count}"


# ----------------------------------------------------------------------------- dashboards
@labelled
def neuron_widget(X2: Any = None) -> Dashboard:
    """One neuron ``(Xu)_+`` with ``u = (cos a, sin a, b)`` over 2-D points ``X2 (n, 2)``
    (a bias column is appended). Sliders: angle ``a`` (degrees) and offset ``b``.

    Shows the line with its active side, the pattern ``1[Xu > 0]`` and its index among all
    chamber patterns (enumerated once). ``children = (HBox(angle, offset), HTML, Output, HTML status)``.
    """
    X2 = gaussian(8, 2, seed=1) if X2 is None else np.asarray(X2, dtype=float)
    X = add_bias(X2)
    pats = ar.enumerate_patterns(X)
    angle = W.IntSlider(value=30, min=0, max=359, description="angle a (deg)", continuous_update=False)
    offset = W.FloatSlider(value=0.1, min=-2.5, max=2.5, step=0.05, description="offset b", continuous_update=False)
    board = Dashboard({"angle": angle, "offset": offset})

    def draw() -> None:
        u = np.append(_direction(angle.value)[:2], offset.value)
        pre = X @ u
        board.text.value = _pattern_line(pats, pre)
        board.show(va.neuron_figure(X2, angle.value, offset.value, pre > 0))

    board.redraw_on(draw, (angle, offset))
    return board


@labelled
def sphere_widget(X: Any = None, *, rebuild: bool = False) -> Dashboard:
    """The arrangement of ``X (n, 3)`` in parameter space: great circles ``x_i^T u = 0`` on the
    sphere of directions ``u``, one dot per chamber, and the current ``u`` (black), set by
    azimuth/elevation sliders. ``children = (HBox(azimuth, elevation), HTML, view, Output, HTML
    status)`` (in place; the Output shows a failed callback's traceback) or ``(..., Output view,
    HTML status)`` (``rebuild``). Default ``X``: 5 Gaussian points in the plane with a bias column.

    The view is a plotly ``FigureWidget`` drawn once; a slider step moves only the point ``u``
    in it (a fraction of a second in the browser, against seconds to rebuild a 3-D scene).
    ``rebuild=True`` instead re-sends the whole figure through an ``Output`` at every step (the
    slow way, kept for the side-by-side benchmark ``benchmarks/bench_sphere_browser.py``).
    """
    import plotly.graph_objects as go

    X = add_bias(gaussian(5, 2, seed=2)) if X is None else np.asarray(X, dtype=float)
    pats = ar.enumerate_patterns(X)
    azimuth = W.IntSlider(value=40, min=0, max=359, description="azimuth", continuous_update=False)
    elevation = W.IntSlider(value=30, min=-90, max=90, description="elevation", continuous_update=False)
    title = f"{len(X)} great circles cut the sphere into P = {pats.count} chambers"

    def figure(u: np.ndarray) -> Any:
        return va.sphere_figure(X, u, found=pats.directions, title=title)

    view = None if rebuild else go.FigureWidget(figure(_direction(azimuth.value, elevation.value)))
    views = () if view is None else (view,)  # in place: the plot area below it shows only errors
    board = Dashboard({"azimuth": azimuth, "elevation": elevation}, layout=("text", *views, "plot", "status"))
    board.figure = view

    def draw() -> None:
        u = _direction(azimuth.value, elevation.value)
        board.text.value = _pattern_line(pats, X @ u)
        if view is None:
            board.show(figure(u))
            return
        point = next(trace for trace in view.data if trace.name == "u")
        with view.batch_update():
            point.x, point.y, point.z = [float(u[0])], [float(u[1])], [float(u[2])]

    board.redraw_on(draw, (azimuth, elevation))
    return board


def degenerate_points(n: int, r: int, seed: int = 0) -> np.ndarray:
    """``n`` points with small integer coordinates in ``[-2, 2]^(r-1)`` plus a bias column:
    many repeated and collinear points, so fewer patterns than Cover's bound. ``(n, r)``."""
    rng = np.random.default_rng(seed)
    return add_bias(rng.integers(-2, 3, size=(n, r - 1)).astype(float))


def _count_curve(mode: str, r: int, max_n: int) -> tuple[list[int], list[int], list[int]]:
    """``n``, exact pattern counts of the first ``n`` rows, and ``C(n, r)``, for ``n <= max_n``."""
    X = gaussian(max_n, r, seed=r) if mode == GENERAL else degenerate_points(max_n, r, seed=r)
    ns = list(range(1, max_n + 1))
    counts = [ar.enumerate_patterns(X[:n]).count for n in ns]
    bounds = [ar.pattern_bound(n, int(np.linalg.matrix_rank(X[:n]))) for n in ns]
    return ns, counts, bounds


@labelled
def counts_widget(max_n: int = 24) -> Dashboard:
    """Exact pattern counts vs ``C(n, rank)`` as points are added, for data in general position
    (Gaussian) or degenerate data (grid points). Controls: data toggle, rank, largest ``n``.
    Curves are cached. ``children = (HBox(toggle, rank, n), HTML, Output, HTML status)``.
    """
    mode = W.ToggleButtons(options=[GENERAL, DEGENERATE], value=GENERAL)
    rank = W.Dropdown(options=[2, 3, 4], value=3, description="rank r")
    size = W.IntSlider(value=max_n, min=4, max=max(max_n, 4), description="largest n", continuous_update=False)
    board = Dashboard({"data": mode, "rank": rank, "largest n": size})
    cache: dict[tuple[str, int, int], tuple[list[int], list[int], list[int]]] = {}

    def draw() -> None:
        key = (mode.value, rank.value, size.value)
        if key not in cache:
            cache[key] = _count_curve(*key)
        ns, counts, bounds = cache[key]
        board.text.value = (f"{mode.value}, rank {rank.value}: at n = {ns[-1]} there are <b>{counts[-1]:,}</b> "
                            f"patterns; Cover's bound C(n, r) = {bounds[-1]:,}; all subsets 2^n = {2 ** ns[-1]:,}")
        board.show(va.counts_figure(ns, counts, bounds, label=f"exact count ({mode.value})"))

    board.redraw_on(draw, (mode, rank, size))
    return board


@labelled
def coverage_widget(X: Any = None, max_samples: int = 100_000, seed: int = 0) -> Dashboard:
    """Sampling coverage meter: the fraction of the exact pattern set that ``N`` Gaussian
    directions find (log slider for ``N``), the coverage curve, and the sphere with the
    missed chambers in red (they are the small ones). ``X (n, 3)``; default 12 Gaussian
    points in the plane with a bias column.
    ``children = (slider, HBox(FloatProgress, HTML), HBox(Output curve, Output sphere), HTML status)``.
    """
    X = add_bias(gaussian(12, 2, seed=3)) if X is None else np.asarray(X, dtype=float)
    exact = ar.enumerate_patterns(X)
    top = float(np.log10(max_samples))
    grid = [int(round(10**e)) for e in np.arange(0.0, top + 1e-9, 0.25)]
    curve = [ar.coverage(ar.sample_patterns(X, s, seed=seed), exact) for s in grid]
    samples = W.FloatLogSlider(value=100, base=10, min=0, max=top, step=0.25, description="samples N",
                               continuous_update=False)
    meter = W.FloatProgress(value=0.0, min=0.0, max=1.0, description="coverage")
    text, curve_out, sphere_out = W.HTML(), W.Output(), W.Output()
    board = Dashboard({"samples": samples}, text=text, plot=sphere_out,
                      layout=(W.HBox([meter, text]), W.HBox([curve_out, sphere_out]), "status"))

    def draw() -> None:
        n_samples = int(round(samples.value))
        found = ar.sample_patterns(X, n_samples, seed=seed)
        fraction = ar.coverage(found, exact)
        missed = [p for p in range(exact.count) if found.index(exact.patterns[:, p]) < 0]
        meter.value = fraction
        text.value = f"found <b>{found.count}</b> of P = {exact.count} patterns ({fraction:.1%}); missed {len(missed)}"
        show_png(curve_out, va.coverage_figure(grid, curve, current=(n_samples, fraction)))
        board.show(va.sphere_figure(X, found=found.directions, missed=exact.directions[:, missed],
                                    title=f"{n_samples:,} samples: green found, red missed"))

    board.redraw_on(draw, (samples,))
    return board


def check_pattern_bound_exercise(func: Callable[[int, int], int]) -> str:
    """Feedback on a student's ``func(n, r)`` for Cover's count ``C(n, r)``: compared with
    exact enumeration of moment-curve data (general position) for small ``n, r``, and with
    :func:`pathconvex_lab.arrangements.pattern_bound` for larger ones. Returns one message."""
    try:
        for r in range(1, 5):
            for n in range(1, 10):
                expected = ar.enumerate_patterns(np.vander(np.linspace(-1, 1, n), r, increasing=True)).count
                got = func(n, r)
                if got != expected:
                    return f"Not yet: for n={n}, r={r} your function gives {got!r}, exact enumeration counts {expected}."
        for n, r in ((50, 3), (200, 3), (30, 7), (12, 20)):
            if func(n, r) != ar.pattern_bound(n, r):
                return f"Not yet: for n={n}, r={r} you give {func(n, r)!r}, expected {ar.pattern_bound(n, r)}."
    except NotImplementedError:
        return "Not implemented yet: replace the `...` and the `raise NotImplementedError` in the exercise cell."
    return "Correct! Your C(n, r) matches exact enumeration and the closed form (also for r >= n, where it is 2^n)."


__all__ = ["neuron_widget", "sphere_widget", "counts_widget", "coverage_widget", "degenerate_points",
           "check_pattern_bound_exercise", "GENERAL", "DEGENERATE"]
