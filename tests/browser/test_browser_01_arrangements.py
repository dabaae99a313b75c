"""01_arrangements in JupyterLab: Run All finishes cleanly; each of its four explorers reacts."""

from __future__ import annotations

import re

import pytest
from harness import (
    assert_no_widget_errors,
    assert_notebook_clean,
    move_slider,
    open_and_run_all,
    plotly_state,
    wait_for_change,
    widget_html_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _html_text(page, pattern: str) -> str:
    """Text of the first ipywidgets HTML widget whose text matches ``pattern``."""
    return widget_html_text(page, pattern).strip()


def test_arrangement_explorers_react(lab_page):
    state = open_and_run_all(lab_page, "01_arrangements.ipynb")
    assert sum(c["renderedWidgets"] > 0 for c in state["cells"]) >= 4, "an explorer did not render"

    # one neuron: turning the line changes its pattern (angle 30 -> 120 degrees)
    before = _html_text(lab_page, r"pattern 1\[Xu > 0\]")
    move_slider(lab_page, "angle a (deg)", steps=90)
    after = wait_for_change(lambda: _html_text(lab_page, r"pattern 1\[Xu > 0\]"), before)
    assert re.search(r"= \d+ is pattern #\d+ of P = \d+|a boundary", after), after

    # the sphere of directions: the current u moves on the plotly sphere
    sphere = plotly_state(lab_page, 0)
    assert sphere is not None, "the sphere figure did not render"
    move_slider(lab_page, "azimuth", steps=20)
    wait_for_change(lambda: plotly_state(lab_page, 0), sphere)

    # counts vs the bound: a smaller largest n changes the summary line
    counts = _html_text(lab_page, r"Cover's bound C\(n, r\)")
    move_slider(lab_page, "largest n", steps=-4)
    assert "at n = " in wait_for_change(lambda: _html_text(lab_page, r"Cover's bound C\(n, r\)"), counts)

    # sampling coverage: more samples find more patterns
    coverage = _html_text(lab_page, r"found .* of P = ")
    move_slider(lab_page, "samples N", steps=4)  # N: 100 -> 1000
    found_before = int(re.search(r"found (\d+)", coverage).group(1))
    found_after = int(re.search(r"found (\d+)", wait_for_change(lambda: _html_text(lab_page, r"found .* of P = "),
                                                                 coverage)).group(1))
    assert found_after >= found_before

    assert_no_widget_errors(lab_page)
    assert_notebook_clean(lab_page)
