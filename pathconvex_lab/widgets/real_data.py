"""The route dashboard of notebook 07: run :func:`~pathconvex_lab.convex.solve_route` on a real
data set and watch the bracket ``[L, U]`` on the optimum close, round by round.

:func:`route_dashboard` returns an ``ipywidgets.VBox`` with a data set dropdown (the four real
sets of :data:`pathconvex_lab.data.REAL_DATASETS`), ``beta`` on a log slider, the number of
layers (2 or 3), the number of rows used (the first ``rows`` of the set) and a time limit, and
Run / Stop buttons. Run solves in a background thread; after every convex solve the status line
and the bracket figure are updated. Stop sets a ``threading.Event``: the route ends after the
current step and the best result so far is shown with what is proved about it. Exceptions are
shown in the dashboard's status line and figure area, never lost.

For tests and scripts the box carries ``controls`` (dict of the value widgets), ``run_button``,
``stop_button``, ``status`` (the HTML status line), ``plot`` (the figure area), ``figure`` (last
matplotlib Figure), ``result`` (last RouteResult), ``rounds`` (rounds seen so far), ``stop_event``
and ``wait(timeout)`` (join the solving thread).
"""

from __future__ import annotations

import html
import threading
from typing import Any

from ..data import REAL_DATASETS, load
from ..viz import real_data as vr
from ._common import labelled, show_error, show_png


def dashboard_problem(name: str, rows: int) -> tuple[Any, Any]:
    """The first ``rows`` rows of the real data set ``name`` (standardized, bias column appended)."""
    X, y = load(name)
    return X[:rows], y[:rows]


def result_html(result: Any) -> str:
    """The status line of a finished run: the verdict words first, then the details."""
    color = "#1b7837" if result.certified else ("#b35806" if result.lower_bound is not None else "#555")
    return (f"<b style='color:{color}'>{html.escape(result.status)}</b> — {html.escape(result.verdict())}"
            f"<br><small>route: {html.escape(result.route)}; {len(result.rounds)} solve(s); "
            f"stopped: {html.escape(result.stopped)}; {result.seconds:.1f} s</small>")


@labelled
def route_dashboard(*, dataset: str = "diabetes", beta: float = 0.1, layers: int = 2, max_rows: int = 150,
                    time_limit: float = 10.0, networks: int = 1, steps: int = 300, subnets: int = 100,
                    seed: int = 0) -> Any:
    """Build the route dashboard (see the module docstring).

    ``max_rows`` and ``time_limit`` are the initial values of the "rows" and "time limit"
    controls (kept small so that one run takes seconds); ``networks``, ``steps`` and ``subnets``
    are the trained starts of :func:`~pathconvex_lab.convex.solve_route`.
    """
    import ipywidgets as W

    from ..convex import solve_route

    style = {"description_width": "initial"}
    controls = {
        "dataset": W.Dropdown(options=REAL_DATASETS, value=dataset, description="data set", style=style),
        "beta": W.FloatLogSlider(value=beta, base=10, min=-3, max=1, step=0.25, description="β",
                                 readout_format=".3g", continuous_update=False, style=style),
        "layers": W.Dropdown(options=(2, 3), value=layers, description="layers", style=style),
        "rows": W.BoundedIntText(value=max_rows, min=10, max=1000, step=10, description="rows (first n)",
                                 style=style, layout=W.Layout(width="180px")),
        "time_limit": W.BoundedFloatText(value=time_limit, min=1.0, max=600.0, step=1.0, description="time limit (s)",
                                         style=style, layout=W.Layout(width="180px")),
    }
    run_button = W.Button(description="Run", button_style="success", icon="play")
    stop_button = W.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
    status, plot = W.HTML("press <b>Run</b> to solve"), W.Output()
    box = W.VBox([W.HBox([controls["dataset"], controls["beta"], controls["layers"]]),
                  W.HBox([controls["rows"], controls["time_limit"], run_button, stop_button]),
                  status, plot])
    box.controls, box.run_button, box.stop_button, box.status, box.plot = controls, run_button, stop_button, status, plot
    box.figure, box.result, box.rounds, box.thread = None, None, [], None
    stop_event = threading.Event()
    box.stop_event = stop_event
    lock = threading.Lock()

    def draw(final: Any = None) -> None:
        with lock:
            if not box.rounds and final is None:
                return
            rounds = final.rounds if final is not None and not box.rounds else box.rounds
            name, b = controls["dataset"].value, controls["beta"].value
            box.figure = vr.bracket_figure(
                rounds, final_upper=None if final is None else final.upper_bound,
                final_lower=None if final is None else final.lower_bound,
                title=f"{name}, first {controls['rows'].value} rows, {controls['layers'].value} layers, β = {b:.3g}")
            show_png(plot, box.figure)

    def on_round(rnd: Any) -> None:
        box.rounds.append(rnd)
        lower = "no lower bound yet" if rnd.lower_bound is None else f"L = {rnd.lower_bound:.6g}"
        status.value = (f"running… round {rnd.round}: {rnd.groups} groups, U = {rnd.upper_bound:.6g}, {lower}, "
                        f"best pricing / β = {rnd.ratio:.4g}")
        draw()

    def run(X: Any, y: Any, settings: dict) -> None:
        try:
            box.result = solve_route(X, y, settings["beta"], layers=settings["layers"],
                                     time_limit=settings["time_limit"], networks=networks, steps=steps,
                                     subnets=subnets, seed=seed, progress=False, stop_event=stop_event,
                                     callback=on_round, round_bounds=True)
            draw(box.result)
            status.value = result_html(box.result)
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - a dashboard shows every error
            show_error(status, plot, exc)
        finally:
            run_button.disabled, stop_button.disabled = False, True

    def on_run(_button: Any = None) -> None:
        if box.thread is not None and box.thread.is_alive():
            return
        try:
            settings = {k: w.value for k, w in controls.items()}
            X, y = dashboard_problem(settings["dataset"], settings["rows"])
        except Exception as exc:  # noqa: BLE001
            show_error(status, plot, exc)
            return
        stop_event.clear()
        box.result, box.rounds = None, []
        plot.outputs = ()
        run_button.disabled, stop_button.disabled = True, False
        status.value = (f"running… {settings['dataset']}: {X.shape[0]} rows, {X.shape[1]} columns (bias included), "
                        f"training the starts")
        box.thread = threading.Thread(target=run, args=(X, y, settings), daemon=True)
        box.thread.start()

    def on_stop(_button: Any = None) -> None:
        stop_event.set()
        if box.thread is not None and box.thread.is_alive():
            status.value = "stopping… (keeping the best result so far)"

    def wait(timeout: float | None = None) -> None:
        if box.thread is not None:
            box.thread.join(timeout)

    box.wait = wait
    run_button.on_click(on_run)
    stop_button.on_click(on_stop)
    return box


__all__ = ["dashboard_problem", "result_html", "route_dashboard"]
