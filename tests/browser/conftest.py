"""Fixtures of the browser tests: ``lab_server``, ``chromium``, ``lab_page`` (see harness.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `from harness import ...` in the tests

import harness  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so that ``lab_page`` knows whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab on a copy of notebooks/ (private config, token, 127.0.0.1)."""
    server = harness.start_lab_server(tmp_path_factory.mktemp("browser-lab"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium, driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = harness.launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture()
def lab_page(request, lab_server, chromium):
    """A fresh page on ``lab_server``; on failure, screenshot and console log go to test-artifacts/."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.lab = lab_server
    console: list[str] = []
    page.on("console", lambda msg: msg.type in ("error", "warning") and console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    yield page
    failed = any(getattr(request.node, f"report_{when}", None) is not None
                 and getattr(request.node, f"report_{when}").failed for when in ("setup", "call"))
    if failed:
        harness.ARTIFACTS_DIR.mkdir(exist_ok=True)
        stem = harness.ARTIFACTS_DIR / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
        except Exception as exc:  # a crashed page cannot be photographed; keep the log anyway
            console.append(f"screenshot failed: {exc}")
        Path(f"{stem}.console.txt").write_text("\n".join(console) + "\n--- server log ---\n"
                                               + lab_server.log_tail(), encoding="utf-8")
    context.close()
    lab_server.shutdown_kernels()
