"""Plumbing shared by the dashboards.

:class:`Dashboard` lays out an explorer (rows of controls, a text line, the figure area and a
status line in plain words) and runs its callbacks through :func:`guarded`, so that every
exception shows up in the dashboard instead of being lost. :class:`JobDashboard` adds Run / Stop
buttons for long work in a background thread. Figures go into ``Output`` widgets as display data
(PNG, or plotly's JSON), and :func:`full_labels` keeps every label as wide as its text.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

import ipywidgets as W

from ..viz import figure_png

P = ParamSpec("P")
T = TypeVar("T")

#: What stands below a dashboard's controls unless it says otherwise, top to bottom.
LAYOUT = ("text", "plot", "status")


def show_image(out: W.Output, png: bytes | str) -> None:
    """Replace the contents of the Output ``out`` by the PNG image ``png`` (bytes, or their base64 text)."""
    data = png if isinstance(png, str) else base64.b64encode(png).decode("ascii")
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"image/png": data, "text/plain": "<matplotlib figure>"}},)


def show_png(out: W.Output, fig: Any) -> None:
    """Replace the contents of the Output ``out`` by the matplotlib figure ``fig`` as a PNG."""
    show_image(out, figure_png(fig))


def show_plotly(out: W.Output, fig: Any) -> None:
    """Replace the contents of the Output ``out`` by the plotly figure ``fig``."""
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"application/vnd.plotly.v1+json": json.loads(fig.to_json()),
                             "text/plain": "<plotly figure>"}},)


def show_error(status: W.HTML, out: W.Output, exc: BaseException) -> None:
    """Show ``exc`` as a red line in the HTML widget ``status`` and its traceback in ``out``."""
    status.value = f"<span style='color:#b00'>error: {html.escape(f'{type(exc).__name__}: {exc}')}</span>"
    out.outputs = ({"output_type": "stream", "name": "stderr",
                    "text": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))},)


def guarded(status: W.HTML, out: W.Output, draw: Callable[[], str | None]) -> Callable[[Any], None]:
    """Wrap ``draw`` for ``observe``, ``on_click`` or a thread: afterwards the HTML ``status`` shows
    the line that ``draw`` returns (empty for ``None``). An exception, or an interrupt, is shown
    instead: a red line in ``status`` and the traceback in the Output ``out``."""

    def callback(_change: Any = None) -> None:
        try:
            status.value = draw() or ""
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - a dashboard shows every error instead of losing it
            show_error(status, out, exc)

    return callback


def throttled(func: Callable[P, None], per_second: float) -> Callable[P, None]:
    """``func``, called at most ``per_second`` times a second and for at most about a third of the
    time (after a call, twice its duration passes before the next); calls in between are dropped."""
    last, cost = 0.0, 0.0

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> None:
        nonlocal last, cost
        now = time.perf_counter()
        if now - last >= max(1.0 / per_second, 2.0 * cost):
            func(*args, **kwargs)
            last = time.perf_counter()
            cost = last - now

    return call


def full_labels(widget: T) -> T:
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


def labelled(factory: Callable[P, T]) -> Callable[P, T]:
    """Decorator for a widget factory: :func:`full_labels` on what it returns."""

    @functools.wraps(factory)
    def build(*args: P.args, **kwargs: P.kwargs) -> T:
        return full_labels(factory(*args, **kwargs))

    return build


class Dashboard(W.VBox):
    """An explorer: rows of controls on top, then its text line, its figure area and its status line.

    ``controls`` are its value widgets by name; ``rows`` groups them (and any buttons) into rows,
    one ``HBox`` each, a row of one widget standing alone (default: one row of all controls).
    ``layout`` is what stands below the rows, top to bottom: widgets, or the names of the parts
    ``"text"``, ``"plot"`` and ``"status"``. ``text`` and ``plot`` replace the default parts (a new
    ``HTML`` and ``Output``); ``status`` is the first status line.

    Callbacks run through :meth:`guard` (or :meth:`redraw_on`): an exception is shown as a red
    status line with its traceback in :attr:`plot`, never lost.
    """

    #: The value widgets, by name.
    controls: dict[str, W.Widget]
    #: A line of text (HTML) about what the dashboard shows.
    text: W.HTML
    #: The figure area; a failed callback's traceback is shown here.
    plot: W.Output
    #: The status line in plain words (HTML): empty when all is well, a red line after an error.
    status: W.HTML
    #: The last figure shown (matplotlib or plotly), ``None`` before the first.
    figure: Any
    #: What the last computation returned (its type depends on the dashboard), ``None`` before.
    result: Any
    #: How many figures :meth:`show` has shown.
    redraws: int
    #: Seconds taken by the last redraw through :meth:`redraw_on` (``nan`` before the first).
    redraw_seconds: float

    def __init__(self, controls: Mapping[str, W.Widget], *, rows: Sequence[Sequence[W.Widget]] | None = None,
                 layout: Sequence[W.Widget | str] = LAYOUT, text: W.HTML | None = None,
                 plot: W.Output | None = None, status: str = "") -> None:
        self.controls = dict(controls)
        self.text = W.HTML() if text is None else text
        self.plot = W.Output() if plot is None else plot
        self.status = W.HTML(status)
        self.figure = self.result = None
        self.redraws, self.redraw_seconds = 0, float("nan")
        parts = {"text": self.text, "plot": self.plot, "status": self.status}
        lines = [row[0] if len(row) == 1 else W.HBox(list(row)) for row in rows or [list(self.controls.values())]]
        super().__init__([*lines, *(parts[part] if isinstance(part, str) else part for part in layout)])

    @property
    def running(self) -> bool:
        """Whether background work runs now (never, for a dashboard without any)."""
        return False

    def guard(self, draw: Callable[[], str | None]) -> Callable[[Any], None]:
        """``draw`` wrapped by :func:`guarded` into this dashboard's status line and figure area."""
        return guarded(self.status, self.plot, draw)

    def redraw_on(self, draw: Callable[[], str | None], controls: Iterable[W.Widget]) -> None:
        """Run ``draw`` through :meth:`guard` now, on each click of a button among ``controls`` and on
        each change of value of the others, except while background work runs."""

        def timed() -> str | None:
            start = time.perf_counter()
            line = draw()
            self.redraw_seconds = time.perf_counter() - start
            return line

        redraw = self.guard(timed)

        def callback(_change: Any = None) -> None:
            if not self.running:
                redraw()

        for control in controls:
            if isinstance(control, W.Button):
                control.on_click(callback)
            else:
                control.observe(callback, names="value")
        callback()

    def show(self, figure: Any = None, png: bytes | str | None = None) -> None:
        """Show ``figure`` in :attr:`plot` and keep it as :attr:`figure`: a plotly figure through its
        JSON, a matplotlib one as a PNG, or ``png`` when given (that PNG, already rendered)."""
        if png is not None:
            show_image(self.plot, png)
        elif hasattr(figure, "to_plotly_json"):
            show_plotly(self.plot, figure)
        else:
            show_png(self.plot, figure)
        self.figure = figure
        self.redraws += 1


class JobDashboard(Dashboard):
    """A :class:`Dashboard` whose Run button starts long work in a background thread (see
    :meth:`on_run`) and whose Stop button sets :attr:`stop_event`, for the work to end early and
    keep the best it has. The two buttons end the last row of controls. While the work runs, Run
    is disabled, Stop is enabled and the controls do not redraw the dashboard."""

    #: Starts the work (its label is the ``run`` argument).
    run_button: W.Button
    #: Sets :attr:`stop_event` (disabled while no work runs).
    stop_button: W.Button
    #: Set by Stop; the work checks it and ends early. Cleared on Run.
    stop_event: threading.Event
    #: The thread of the last run, ``None`` before the first.
    thread: threading.Thread | None

    def __init__(self, controls: Mapping[str, W.Widget], *, run: str = "Run",
                 rows: Sequence[Sequence[W.Widget]] | None = None, layout: Sequence[W.Widget | str] = LAYOUT,
                 status: str = "") -> None:
        self.run_button = W.Button(description=run, button_style="success", icon="play")
        self.stop_button = W.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        rows = [list(row) for row in rows or [list(controls.values())]]
        rows[-1] += [self.run_button, self.stop_button]
        super().__init__(controls, rows=rows, layout=layout, status=status)
        self.stop_event, self.thread = threading.Event(), None
        self.stop_button.on_click(self.stop)

    @property
    def running(self) -> bool:
        """Whether the work runs now."""
        return self.thread is not None and self.thread.is_alive()

    def on_run(self, work: Callable[[], str | None], status: str = "running…") -> None:
        """On Run, show ``status`` and run ``work`` in a background thread through :meth:`guard`
        (the status line then says what it returns, or shows its error)."""

        def job() -> None:
            self.guard(work)()
            self.run_button.disabled, self.stop_button.disabled = False, True

        def start(_button: Any = None) -> None:
            if self.running:
                return
            self.stop_event.clear()
            self.run_button.disabled, self.stop_button.disabled = True, False
            self.status.value = status
            self.thread = threading.Thread(target=job, daemon=True)
            self.thread.start()

        self.run_button.on_click(start)

    def stop(self, _button: Any = None) -> None:
        """Ask the work to end early; it keeps the best result it has."""
        if self.running:
            self.status.value = "stopping… (keeping the best result so far)"
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the work ends, at most ``timeout`` seconds (for tests and scripts)."""
        if self.thread is not None:
            self.thread.join(timeout)
