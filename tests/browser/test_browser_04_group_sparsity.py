"""04_group_sparsity in JupyterLab: Run All finishes cleanly; both regularization-path scrubbers react."""

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


def _path_text(page, index: int) -> str:
    return widget_html_text(page, r"sub-networks after pruning", index)


def test_path_scrubbers_move_along_beta(lab_page):
    open_and_run_all(lab_page, "04_group_sparsity.ipynb", timeout=420)
    for index in (0, 1):  # DS3 (1-D), then moons (2-D)
        text, figures = _path_text(lab_page, index), widget_output_html(lab_page)
        beta = re.search(r"beta = ([\d.e+-]+)", text).group(1)
        move_slider(lab_page, "beta", steps=2, index=index)
        after = wait_for_change(lambda i=index: _path_text(lab_page, i), text)
        assert re.search(r"beta = ([\d.e+-]+)", after).group(1) != beta
        assert "certificate: p* in [" in after
        wait_for_change(lambda: widget_output_html(lab_page), figures)
    assert_no_widget_errors(lab_page)
    assert_notebook_clean(lab_page)
