"""The route dashboard of notebook 07: run :func:`~pathconvex_lab.experiments.solve_route` on a real
data set and watch the bracket ``[L, U]`` on the optimum close, round by round.

:func:`route_dashboard` returns a :class:`~pathconvex_lab.widgets._common.JobDashboard` (an
``ipywidgets.VBox``) with a data set dropdown (the four real sets of
:data:`pathconvex_lab.data.REAL_DATASETS`), ``beta`` on a log slider, the number of layers (2 or
3), the number of rows used (the first ``rows`` of the set) and a time limit, and Run / Stop
buttons. Run solves in a background thread; after every convex solve the status line and the
bracket figure are updated. Stop sets a ``threading.Event``: the route ends after the current step
and the best result so far is shown with what is proved about it. Exceptions are shown in the
dashboard's status line and figure area, never lost.

For tests and scripts the dashboard exposes ``controls`` (dict of the value widgets),
``run_button``, ``stop_button``, ``status`` (the HTML status line), ``plot`` (the figure area),
``figure`` (last matplotlib Figure), ``result`` (last RouteResult), ``redraws`` (figures drawn so
far), ``stop_event`` and ``wait(timeout)`` (join the solving thread).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as W

from ..data import REAL_DATASETS, load
from ..viz import real_data as vr
from ._common import JobDashboard, labelled

if TYPE_CHECKING:
    from ..convex import RouteResult, RouteRound


def dashboard_problem(name: str, rows: int) -> tuple[Any, Any]:
    """The first ``rows`` rows of the real data set ``name`` (standardized, bias column appended)."""
    X, y = load(name)
    return X[:rows], y[:rows]


def result_html(result: RouteResult) -> str:
    """The status line of a finished run: the verdict words first, then the details."""
    color = "#1b7837" if result.certified else ("#b35806" if result.lower_bound is not None else "#555")
    return (f"<b style='color:{color}'>{html.escape(result.status)}</b> — {html.escape(result.verdict())}"
            f"<br><small>route: {html.escape(result.route)}; {len(result.rounds)} solve(s); "
            f"stopped: {html.escape(result.stopped)}; {result.seconds:.1f} s</small>")


def round_html(rnd: RouteRound) -> str:
    """The status line while the route runs, after its round ``rnd``."""
    lower = "no lower bound yet" if rnd.lower_bound is None else f"L = {rnd.lower_bound:.6g}"
    return (f"running… round {rnd.round}: {rnd.groups} groups, U = {rnd.upper_bound:.6g}, {lower}, "
            f"best pricing / β = {rnd.ratio:.4g}")


def _controls(dataset: str, beta: float, layers: int, rows: int, time_limit: float) -> dict[str, W.ValueWidget]:
    """The route dashboard's value widgets, by name, at the given initial values."""
    return {
        "dataset": W.Dropdown(options=REAL_DATASETS, value=dataset, description="data set"),
        "beta": W.FloatLogSlider(value=beta, base=10, min=-3, max=1, step=0.25, description="β",
                                 readout_format=".3g", continuous_update=False),
        "layers": W.Dropdown(options=(2, 3), value=layers, description="layers"),
        "rows": W.BoundedIntText(value=rows, min=10, max=1000, step=10, description="rows (first n)",
                                 layout=W.Layout(width="180px")),
        "time_limit": W.BoundedFloatText(value=time_limit, min=1.0, max=600.0, step=1.0, description="time limit (s)",
                                         layout=W.Layout(width="180px")),
    }


@labelled
def route_dashboard(*, dataset: str = "diabetes", beta: float = 0.1, layers: int = 2, max_rows: int = 150,
                    time_limit: float = 10.0, networks: int = 1, steps: int = 300, subnets: int = 100,
                    seed: int = 0) -> JobDashboard:
    """Build the route dashboard (see the module docstring).

    ``max_rows`` and ``time_limit`` are the initial values of the "rows" and "time limit"
    controls (kept small so that one run takes seconds); ``networks``, ``steps`` and ``subnets``
    are the trained starts of :func:`~pathconvex_lab.experiments.solve_route`.
    """
    from ..experiments import solve_route

    controls = _controls(dataset, beta, layers, max_rows, time_limit)
    rows = [[controls[k] for k in ("dataset", "beta", "layers")], [controls["rows"], controls["time_limit"]]]
    board = JobDashboard(controls, rows=rows, layout=("status", "plot"), status="press <b>Run</b> to solve")
    rounds: list[RouteRound] = []

    def draw(settings: dict[str, Any], final: RouteResult | None = None) -> None:
        title = (f"{settings['dataset']}, first {settings['rows']} rows, {settings['layers']} layers, "
                 f"β = {settings['beta']:.3g}")
        board.show(vr.bracket_figure(rounds or final.rounds, final_upper=None if final is None else final.upper_bound,
                                     final_lower=None if final is None else final.lower_bound, title=title))

    def run() -> str:
        settings = {name: widget.value for name, widget in controls.items()}
        X, y = dashboard_problem(settings["dataset"], settings["rows"])
        rounds.clear()
        board.result, board.plot.outputs = None, ()
        board.status.value = (f"running… {settings['dataset']}: {X.shape[0]} rows, {X.shape[1]} columns "
                              f"(bias included), training the starts")

        def on_round(rnd: RouteRound) -> None:
            rounds.append(rnd)
            board.status.value = round_html(rnd)
            draw(settings)

        board.result = solve_route(X, y, settings["beta"], layers=settings["layers"],
                                   time_limit=settings["time_limit"], networks=networks, steps=steps,
                                   subnets=subnets, seed=seed, progress=False, stop_event=board.stop_event,
                                   callback=on_round, round_bounds=True)
        draw(settings, board.result)
        return result_html(board.result)

    board.on_run(run)
    return board


__all__ = ["dashboard_problem", "result_html", "round_html", "route_dashboard"]
