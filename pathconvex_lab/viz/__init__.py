"""Figures (matplotlib and plotly). ``viz`` draws results; it never computes them.

One submodule per topic: ``viz.arrangements``, ``viz.convex``, ``viz.sparsity``, ``viz.deep``.
:func:`figure_png` renders any matplotlib figure to PNG bytes.
"""

from __future__ import annotations

import io
from typing import Any


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """PNG bytes of a matplotlib ``Figure``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


__all__ = ["figure_png"]
