"""The harness itself can fail and its widget helpers work (synthetic notebooks written into
the served copy of notebooks/)."""

from __future__ import annotations

import json

import nbformat
import pytest
from harness import (
    click_button,
    drag_slider,
    move_slider,
    open_and_run_all,
    plotly_state,
    slider_readout,
    wait_for_change,
    widget_output_text,
)
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def test_harness_reports_errors_and_broken_widgets(lab_page):
    """The checks can fail: a widget view whose model does not exist, an exception, a cell left unrun."""
    missing_view = {"model_id": "0" * 32, "version_major": 2, "version_minor": 0}
    cells = [
        new_code_cell("from IPython.display import display\n"
                      f"display({{'application/vnd.jupyter.widget-view+json': {missing_view!r}}}, raw=True)"),
        new_code_cell("raise ValueError('boom')"),
        new_code_cell("print('never reached')"),
    ]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}),
                   lab_page.lab.notebooks / "zz_broken.ipynb")
    with pytest.raises(AssertionError) as failure:
        open_and_run_all(lab_page, "zz_broken.ipynb", timeout=120)
    lines = str(failure.value).splitlines()[1:]
    assert len(lines) == 3, lines
    assert lines[0].startswith("cell 0 ") and "widget output(s) not rendered as widgets" in lines[0]
    assert lines[1].startswith("cell 1 ") and lines[1].endswith("error output ValueError: boom")
    assert lines[2].startswith("cell 2 ") and lines[2].endswith("did not run")


def test_harness_drag_and_click(lab_page):
    """drag_slider, click_button, widget_output_text and plotly_state on a tiny synthetic dashboard."""
    source = """import ipywidgets as W
k = W.IntSlider(value=0, min=0, max=10, description="k", continuous_update=False)
out = W.Output()
def show(_=None):
    with out:
        out.clear_output()
        print(f"k squared is {k.value ** 2}")
go = W.Button(description="Square it")
go.on_click(show)
W.VBox([k, go, out])"""
    figure = "import plotly.graph_objects as go\ngo.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2]))"
    nbformat.write(new_notebook(cells=[new_code_cell(source), new_code_cell(figure)],
                                metadata={"kernelspec": KERNELSPEC}),
                   lab_page.lab.notebooks / "zz_dashboard.ipynb")
    state = open_and_run_all(lab_page, "zz_dashboard.ipynb", timeout=120)
    assert state["cells"][1]["renderedPlotly"] == 1
    assert json.loads(plotly_state(lab_page))["data"][0]["y"] == [1, 3, 2]
    assert widget_output_text(lab_page).strip() == ""
    drag_slider(lab_page, "k", fraction=1.0)
    assert slider_readout(lab_page, "k") == "10"
    click_button(lab_page, "Square it")
    assert wait_for_change(lambda: widget_output_text(lab_page).strip(), "") == "k squared is 100"
    move_slider(lab_page, "k", steps=-3)
    assert slider_readout(lab_page, "k") == "7"
    click_button(lab_page, "Square it")
    assert wait_for_change(lambda: widget_output_text(lab_page).strip(), "k squared is 100") == "k squared is 49"
