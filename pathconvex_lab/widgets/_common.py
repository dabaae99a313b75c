"""Plumbing shared by the dashboards: put figures into ``Output`` widgets, and show every
exception raised in a callback inside the dashboard instead of losing it."""

from __future__ import annotations

import base64
import html
import json
import traceback
from typing import Any, Callable

from ..viz import figure_png


def show_png(out: Any, fig: Any) -> None:
    """Replace the contents of the Output ``out`` by the matplotlib figure ``fig`` as a PNG."""
    png = base64.b64encode(figure_png(fig)).decode("ascii")
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"image/png": png, "text/plain": "<matplotlib figure>"}},)


def show_plotly(out: Any, fig: Any) -> None:
    """Replace the contents of the Output ``out`` by the plotly figure ``fig``."""
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"application/vnd.plotly.v1+json": json.loads(fig.to_json()),
                             "text/plain": "<plotly figure>"}},)


def show_error(status: Any, out: Any, exc: BaseException) -> None:
    """Show ``exc`` as a red line in the HTML widget ``status`` and its traceback in ``out``."""
    status.value = f"<span style='color:#b00'>error: {html.escape(f'{type(exc).__name__}: {exc}')}</span>"
    out.outputs = ({"output_type": "stream", "name": "stderr",
                    "text": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))},)


def guarded(status: Any, out: Any, draw: Callable[[], None]) -> Callable[[Any], None]:
    """Wrap a redraw function for ``observe``: exceptions go to ``status`` (HTML) and ``out``."""

    def callback(_change: Any = None) -> None:
        try:
            draw()
            status.value = ""
        except Exception as exc:  # noqa: BLE001 - a dashboard shows every error instead of losing it
            show_error(status, out, exc)

    return callback


def full_labels(widget: Any) -> Any:
    """Give every control under ``widget`` (itself included) a label as wide as its text, so that no
    description is cut to "sub-netw..." by ipywidgets' fixed label width, and toggle buttons as
    wide as their text ("degenerate (grid points)"). Returns ``widget``."""
    style = getattr(widget, "style", None)
    if getattr(widget, "description", "") and style is not None and style.has_trait("description_width"):
        style.description_width = "initial"
    if style is not None and style.has_trait("button_width"):  # toggle buttons: as wide as their text
        style.button_width = "auto"
    for child in getattr(widget, "children", ()):
        full_labels(child)
    return widget


def labelled(factory: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for a widget factory: :func:`full_labels` on what it returns."""
    import functools

    @functools.wraps(factory)
    def build(*args: Any, **kwargs: Any) -> Any:
        return full_labels(factory(*args, **kwargs))

    return build
