"""00_tour in JupyterLab: Run All finishes without errors; the ReLU-neuron widget reacts."""

from __future__ import annotations

import pytest
from harness import (
    assert_notebook_clean,
    move_slider,
    open_and_run_all,
    slider_readout,
    wait_for_change,
    widget_html_text,
    widget_output_html,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _pattern_line(page) -> str:
    return widget_html_text(page).strip()


def test_tour_runs_and_the_neuron_widget_reacts(lab_page):
    state = open_and_run_all(lab_page, "00_tour.ipynb")
    assert len(state["cells"]) >= 4
    assert any(c["renderedWidgets"] for c in state["cells"]), "the ReLU-neuron widget did not render"
    assert "000111" in _pattern_line(lab_page)  # w = +1, b = 0 on x = linspace(-1, 1, 6)
    plot_before, line_before = widget_output_html(lab_page), _pattern_line(lab_page)
    assert "<img" in plot_before

    move_slider(lab_page, "b", steps=5)  # b: 0.0 -> +0.5, the kink moves from 0 to -0.5
    assert slider_readout(lab_page, "b") == "+0.5"
    line = wait_for_change(lambda: _pattern_line(lab_page), line_before)
    assert "(+1.0, +0.5)" in line and "001111" in line
    wait_for_change(lambda: widget_output_html(lab_page), plot_before)
    assert_notebook_clean(lab_page)

