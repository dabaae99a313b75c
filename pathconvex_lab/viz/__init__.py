"""Figures (matplotlib and plotly). ``viz`` draws results; it never computes them.

One submodule per topic: ``viz.arrangements``, ``viz.convex``, ``viz.sparsity``, ``viz.deep``,
``viz.real_data``. :func:`new_figure` makes the empty figure every matplotlib figure starts from;
:func:`figure_png` renders any matplotlib figure to PNG bytes.
"""

from __future__ import annotations

import io
from typing import Any, Sequence


def new_figure(width: float, height: float, ncols: int = 1, *,
               width_ratios: Sequence[float] | None = None) -> tuple[Any, Any]:
    """A ``width x height`` inch matplotlib ``Figure`` (constrained layout, no pyplot state) with one
    row of ``ncols`` axes: ``(fig, ax)`` for one column, else ``(fig, axes (ncols,))``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, ncols, gridspec_kw={"width_ratios": width_ratios} if width_ratios else None)


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """PNG bytes of a matplotlib ``Figure``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


__all__ = ["new_figure", "figure_png"]
