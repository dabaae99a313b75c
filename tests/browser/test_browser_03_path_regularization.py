"""03_path_regularization in JupyterLab: Run All finishes cleanly; the three-layer widget re-solves for m1 = 1."""

from __future__ import annotations

import pytest
from harness import (
    assert_no_widget_errors,
    assert_notebook_clean,
    click_button,
    move_slider,
    open_and_run_all,
    wait_for_change,
    widget_html_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUMMARY = r"convex optimum p3\*\(m1="


def _summary(page) -> str:
    return widget_html_text(page, SUMMARY)


def test_three_layer_widget_resolves_for_another_width(lab_page):
    open_and_run_all(lab_page, "03_path_regularization.ipynb", timeout=420)
    summary = _summary(lab_page)
    assert "p3*(m1=2)" in summary

    move_slider(lab_page, "m1", steps=-1)  # m1: 2 -> 1 (two layers in disguise)
    click_button(lab_page, "solve and train")
    after = wait_for_change(lambda: _summary(lab_page), summary, timeout=240)
    assert "p3*(m1=1)" in after and "certificate of the best Adam network" in after
    assert_no_widget_errors(lab_page)
    assert_notebook_clean(lab_page)
