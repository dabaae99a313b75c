"""02_two_layer_convex in JupyterLab: Run All finishes cleanly; the solve-and-train widget re-solves."""

from __future__ import annotations

import re

import pytest
from harness import (
    assert_no_widget_errors,
    assert_notebook_clean,
    click_button,
    move_slider,
    open_and_run_all,
    slider_readout,
    wait_for_change,
    widget_html_text,
    widget_output_html,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUMMARY = r"convex optimum p2\*"


def _summary(page) -> str:
    return widget_html_text(page, SUMMARY)


def test_two_layer_widget_resolves_for_a_new_beta(lab_page):
    open_and_run_all(lab_page, "02_two_layer_convex.ipynb")
    summary, figure = _summary(lab_page), widget_output_html(lab_page)
    assert "<img" in figure

    move_slider(lab_page, "beta", steps=5)  # 0.05 -> 0.158 (log slider, step 0.1)
    beta = slider_readout(lab_page, "beta")
    click_button(lab_page, "solve and train")
    after = wait_for_change(lambda: _summary(lab_page), summary, timeout=180)
    assert re.search(r"convex optimum p2\* \(exact patterns\)\s+\d", after), after
    assert "certificate of the best Adam network" in after
    wait_for_change(lambda: widget_output_html(lab_page), figure)
    assert float(beta) == pytest.approx(0.158, rel=0.02)
    assert_no_widget_errors(lab_page)
    assert_notebook_clean(lab_page)
