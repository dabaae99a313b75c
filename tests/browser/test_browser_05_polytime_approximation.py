"""05_polytime_approximation in JupyterLab: Run All finishes cleanly; the rank scrubber reacts."""

from __future__ import annotations

import re

import pytest
from harness import (
    assert_no_widget_errors,
    assert_notebook_clean,
    move_slider,
    open_and_run_all,
    wait_for_change,
    widget_html_text,
    widget_output_html,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RANK_TEXT = r"rank \d+: .* groups \(exact program:"


def _rank_text(page) -> str:
    return widget_html_text(page, RANK_TEXT)


def test_rank_slider_scrubs_the_sweep(lab_page):
    open_and_run_all(lab_page, "05_polytime_approximation.ipynb", timeout=420)
    text, figures = _rank_text(lab_page), widget_output_html(lab_page)
    rank = int(re.match(r"rank (\d+)", text).group(1))
    move_slider(lab_page, "rank r", steps=-1)
    after = wait_for_change(lambda: _rank_text(lab_page), text)
    assert int(re.match(r"rank (\d+)", after).group(1)) == rank - 1
    assert "p_hat/p* = " in after
    wait_for_change(lambda: widget_output_html(lab_page), figures)
    assert_no_widget_errors(lab_page)
    assert_notebook_clean(lab_page)
