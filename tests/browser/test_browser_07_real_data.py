"""07_real_data in JupyterLab: Run All finishes cleanly (figures and the dashboard render); the
route dashboard runs on Run and its status line ends with a bracket verdict."""

from __future__ import annotations

import re

import pytest
from harness import (
    assert_no_widget_errors,
    assert_notebook_clean,
    click_button,
    open_and_run_all,
    wait_for_change,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _dashboard(page):
    """The route dashboard's box (the widget area holding the Run button)."""
    run = page.locator("button.widget-button", has_text=re.compile(r"^\s*Run\s*$"))
    return page.locator(".jp-Notebook .widget-vbox", has=run).last


def _status(page) -> str:
    return _dashboard(page).locator(".widget-html").first.inner_text()


def test_route_dashboard_runs_to_a_verdict(lab_page):
    open_and_run_all(lab_page, "07_real_data.ipynb", timeout=420)
    images = lab_page.locator(".jp-Notebook .jp-OutputArea-output img")
    assert images.count() >= 2, "the two figures of section 3 did not display as images"

    # a short run: 60 rows and a 3 s time limit
    for label, value in (("rows (first n)", "60"), ("time limit (s)", "3")):
        box = _dashboard(lab_page).locator(".widget-inline-hbox",
                                           has=lab_page.locator(".widget-label", has_text=label))
        field = box.locator("input").first
        field.fill(value)
        field.press("Enter")
    status = _status(lab_page)
    assert "press Run" in status
    click_button(lab_page, "Run", settle_kernel=False)
    wait_for_change(lambda: _status(lab_page), status, timeout=60)
    final = wait_until(lambda: _status(lab_page),
                        lambda text: "p* in [" in text or "certified optimal" in text or "error:" in text, timeout=180)
    assert "error:" not in final, final
    assert _dashboard(lab_page).locator(".widget-output img").count() >= 1, "no bracket figure in the dashboard"
    stop = _dashboard(lab_page).locator("button.widget-button", has_text="Stop")
    wait_until(lambda: "yes" if stop.is_disabled() else "", bool, timeout=30)
    assert_no_widget_errors(lab_page)
    assert_notebook_clean(lab_page)
