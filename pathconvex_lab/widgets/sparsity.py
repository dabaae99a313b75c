"""Dashboards for notebooks 04 (group sparsity along the path) and 05 (the low-rank approximation).

Both scrub precomputed results: nothing is solved in a callback.

- :func:`path_widget`: a ``beta`` slider over a cached :class:`~pathconvex_lab.convex.RegularizationPath`;
  redraws the function (1-D data) or the decision boundary (2-D data) with each active
  sub-network's contribution, and the certificate of that point.
- :func:`rank_widget`: a rank slider over a :class:`~pathconvex_lab.convex.RankSweep`: groups, time,
  and ``p_hat / p*`` against the bound ``(1 + gamma)^2``.

Each builder returns a :class:`ScrubDashboard` (an ``ipywidgets.VBox``) with ``figure`` (the last
matplotlib figure), ``slider`` and ``redraw_seconds`` (the duration of the last redraw, PNG
included; the path dashboard renders each point's PNG once and reuses it when the slider comes
back). Exceptions in callbacks are shown in the dashboard's status line and output.
"""

from __future__ import annotations

import base64
from typing import Any

import ipywidgets as W
import numpy as np

from ..errors import InputError
from ..viz import sparsity as vs
from ._common import Dashboard, labelled

#: Grid resolution of the function (1-D) and decision-boundary (2-D) views.
GRID_1D, GRID_2D = 300, 90


def data_dimension(X: np.ndarray) -> int:
    """1 or 2 when ``X`` is 1-D or 2-D data with a trailing bias column of ones; else InputError."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2 and X.shape[1] in (2, 3) and np.allclose(X[:, -1], 1.0):
        return X.shape[1] - 1
    raise InputError("the dashboard draws 1-D or 2-D data with a bias column of ones as the last column of X; "
                     f"got X of shape {X.shape}")


class ScrubDashboard(Dashboard):
    """A :class:`~pathconvex_lab.widgets._common.Dashboard` over precomputed results, scrubbed by
    one slider: ``children = (slider, HTML text, Output figure, HTML status)``."""

    #: The slider that picks the result shown.
    slider: W.SelectionSlider

    def __init__(self, name: str, slider: W.SelectionSlider) -> None:
        super().__init__({name: slider})
        self.slider = slider


class _PathView:
    """One reusable :class:`~pathconvex_lab.viz.sparsity.PathFigure` for a path, and the grid
    evaluations of its points, computed once per point (the scrubbing cache)."""

    def __init__(self, path: Any):
        self.path = path
        self.dim = data_dimension(path.X)
        raw = path.X[:, :-1]
        lo, hi = raw.min(axis=0), raw.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-9)
        if self.dim == 1:
            self.axes = (np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID_1D),)
            grid = self.axes[0][:, None]
        else:
            self.axes = tuple(np.linspace(lo[k] - pad[k], hi[k] + pad[k], GRID_2D) for k in range(2))
            gx, gy = np.meshgrid(*self.axes)
            grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.grid = np.hstack([grid, np.ones((grid.shape[0], 1))])
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._frames: dict[int, str] = {}
        span = float(np.ptp(path.y)) or 1.0
        ylim = (float(path.y.min()) - 0.6 * span, float(path.y.max()) + 0.6 * span)
        norms = np.sqrt((path.weights**2).sum(axis=(1, 2)))
        self.figure = vs.PathFigure(self.dim, self.axes, raw, path.y, max_norm=float(norms.max(initial=0.0)),
                                    ylim=ylim, max_subnets=int(path.subnetworks.max(initial=1)))

    def fields(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Each sub-network's output and pre-activation at point ``i`` on the grid: ``(m, K)`` or ``(b, a, K)``."""
        if i not in self._cache:
            shape = (-1,) if self.dim == 1 else (GRID_2D, GRID_2D, -1)
            H = self.path.preactivations(i, self.grid)
            C = np.maximum(H, 0.0) * self.path.subnetwork_weights(i)[2].astype(np.float64)
            self._cache[i] = (C.reshape(*shape) if self.dim == 2 else C, H.reshape(*shape) if self.dim == 2 else H)
        return self._cache[i]

    def frame(self, i: int) -> tuple[Any, str]:
        """``(figure, base64 PNG)`` of point ``i``: the figure is updated to ``i`` (cheap); its PNG is
        rendered on the first visit and reused when the slider comes back."""
        figure = self.draw(i)
        if i not in self._frames:
            self._frames[i] = base64.b64encode(self.figure.png()).decode("ascii")
        return figure, self._frames[i]

    def draw(self, i: int) -> Any:
        """Update the figure to point ``i`` and return it."""
        path = self.path
        C, H = self.fields(i)
        W = path.subnetwork_weights(i)[0]
        K = C.shape[-1]
        title = (f"β = {path.betas[i]:.4g}: objective {path.objectives[i]:.6g}, "
                 f"{K} sub-network{'s' if K != 1 else ''}")
        return self.figure.update(C, np.sqrt((W**2).sum(axis=(1, 2))), title, regions=H if self.dim == 2 else None)


def _path_text(path: Any, i: int) -> str:
    """HTML summary of point ``i``: objective, sub-networks, active blocks and the certificate."""
    p = path.point(i)
    verdict = ("certified optimal" if p["certified"] else "not a proof (not all groups were checked)"
               if not path.exact_groups else "not certified to the tolerance")
    zero = " (beta >= beta_max: the zero network is optimal)" if p["beta"] >= path.beta_max else ""
    return (f"beta = <b>{p['beta']:.4g}</b>{zero}; objective {p['objective']:.8g}; "
            f"<b>{p['subnetworks']}</b> sub-networks after pruning (at most n + 1 = {path.X.shape[0] + 1}), "
            f"{p['active_groups']} active blocks before; certificate: p* in [{p['lower_bound']:.8g}, "
            f"{p['objective']:.8g}], best new neuron's score / beta = {p['ratio']:.6f}: {verdict}")


@labelled
def path_widget(path: Any, start: int | None = None) -> ScrubDashboard:
    """Scrub a solved :class:`~pathconvex_lab.convex.RegularizationPath` of 1-D or 2-D data (with a
    bias column). The slider's options are the path's betas (value: the index ``i``).
    ``children = (slider, HTML text, Output figure, HTML status)``."""
    if len(path) == 0:
        raise InputError("path has no points to show")
    view = _PathView(path)
    options = [(f"{b:.3g}", i) for i, b in enumerate(path.betas)]
    slider = W.SelectionSlider(options=options, value=len(path) // 2 if start is None else start,
                               description="beta", continuous_update=True, layout=W.Layout(width="600px"))
    board = ScrubDashboard("beta", slider)

    def draw() -> None:
        board.text.value = _path_text(path, slider.value)
        board.show(*view.frame(slider.value))

    board.redraw_on(draw, (slider,))
    return board


@labelled
def rank_widget(sweep: Any, start: int | None = None) -> ScrubDashboard:
    """Scrub a :class:`~pathconvex_lab.convex.RankSweep`: the slider picks the rank ``r``; the text
    gives groups, time, ``p_hat``, ``p_hat / p*`` and the bound. ``children = (slider, HTML, Output, HTML status)``."""
    ranks = [int(r) for r in sweep.ranks]
    if not ranks:
        raise InputError("sweep has no ranks to show")
    slider = W.SelectionSlider(options=ranks, value=ranks[len(ranks) // 2] if start is None else start,
                               description="rank r", continuous_update=True)
    board = ScrubDashboard("rank", slider)

    def draw() -> None:
        k = ranks.index(slider.value)
        res = sweep.results[k]
        exact = "?" if res.num_groups_exact is None else f"{res.num_groups_exact:,}"
        board.text.value = (f"rank {res.rank}: <b>{res.num_groups:,}</b> groups (exact program: {exact}), "
                            f"{res.solve_seconds:.2f} s; p_hat = {res.objective:.8g}, "
                            f"p* = {sweep.exact_objective:.8g}, <b>p_hat/p* = {sweep.ratios[k]:.6f}</b> &le; "
                            f"(1 + gamma)^2 = {res.bound_factor:.4g} "
                            f"(gamma = {res.gamma:.3g}, sigma_(r+1) = {res.sigma_next:.3g})")
        board.show(vs.rank_figure(sweep.ranks, sweep.num_groups, sweep.solve_seconds, sweep.ratios,
                                  sweep.bound_factors, exact_groups=sweep.exact_groups,
                                  exact_seconds=sweep.exact_seconds, current=res.rank))

    board.redraw_on(draw, (slider,))
    return board


__all__ = ["ScrubDashboard", "path_widget", "rank_widget", "data_dimension", "GRID_1D", "GRID_2D"]
