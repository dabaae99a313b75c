"""06_deep_networks in JupyterLab: Run All finishes cleanly; the training dashboard follows the depth
slider, trains live (the loss curve is redrawn) and stops on Stop, keeping the best weights."""

from __future__ import annotations

import re

import pytest
from harness import (
    assert_no_widget_errors,
    assert_notebook_clean,
    click_button,
    drag_slider,
    move_slider,
    open_and_run_all,
    slider_readout,
    wait_for_change,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _dashboard(page):
    """The training dashboard's box (the widget area holding the Train button)."""
    return page.locator(".jp-Notebook .widget-vbox", has=page.locator("button.widget-button", has_text="Train")).last


def _summary(page) -> str:
    return _dashboard(page).locator(".widget-html").first.inner_text()


def _plot(page) -> str:
    return _dashboard(page).locator(".widget-output").first.inner_html()


def test_training_dashboard_depth_train_and_stop(lab_page):
    open_and_run_all(lab_page, "06_deep_networks.ipynb", timeout=420)
    summary = _summary(lab_page)
    assert "depth=3" in summary

    move_slider(lab_page, "depth L", steps=2)  # preview redraws a depth-4, then a depth-5 network
    assert slider_readout(lab_page, "depth L") == "5"
    summary = wait_until(lambda: _summary(lab_page), lambda text: "depth=5" in text)

    drag_slider(lab_page, "steps", fraction=1.0)  # 10000 steps: long enough to press Stop
    assert slider_readout(lab_page, "steps") == "10000"
    plot = _plot(lab_page)
    click_button(lab_page, "Train")
    plot = wait_for_change(lambda: _plot(lab_page), plot, timeout=60)  # a live redraw: loss curve so far
    wait_for_change(lambda: _plot(lab_page), plot, timeout=60)  # and another one
    click_button(lab_page, "Stop")
    final = wait_for_change(lambda: _summary(lab_page), summary, timeout=60)
    assert re.search(r"stopped after \d+ steps", final), final
    assert "best objective" in final
    stop = _dashboard(lab_page).locator("button.widget-button", has_text="Stop")
    assert stop.is_disabled()
    assert_no_widget_errors(lab_page)
    assert_notebook_clean(lab_page)
