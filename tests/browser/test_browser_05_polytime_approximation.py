"""05_polytime_approximation in JupyterLab: Run All finishes cleanly; the rank scrubber reacts."""

from __future__ import annotations

import re

import pytest
from harness import assert_notebook_clean, move_slider, open_and_run_all, wait_for_change, widget_output_html

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RANK_TEXT = r"rank \d+: .* groups \(exact program:"


def _rank_text(page) -> str:
    return page.locator(".jp-Notebook .widget-html", has_text=re.compile(RANK_TEXT)).first.inner_text()


def test_rank_slider_scrubs_the_sweep(lab_page):
    open_and_run_all(lab_page, "05_polytime_approximation.ipynb", timeout=420)
    text, figures = _rank_text(lab_page), widget_output_html(lab_page)
    rank = int(re.match(r"rank (\d+)", text).group(1))
    move_slider(lab_page, "rank r", steps=-1)
    after = wait_for_change(lambda: _rank_text(lab_page), text)
    assert int(re.match(r"rank (\d+)", after).group(1)) == rank - 1
    assert "p_hat/p* = " in after
    wait_for_change(lambda: widget_output_html(lab_page), figures)
    errors = [t for t in lab_page.locator(".jp-Notebook .widget-html").all_inner_texts() if t.startswith("error:")]
    assert not errors, errors
    assert_notebook_clean(lab_page)
