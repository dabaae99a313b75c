"""`pathconvex-lab dashboard` in Chromium: Voila serves the explorers on 127.0.0.1 behind the token,
code cells hidden; moving a slider updates its panel."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from harness import ARTIFACTS_DIR, wait_for_change

from pathconvex_lab.commands import dashboard as dashboard_command
from pathconvex_lab.commands.lab import start, stop
from pathconvex_lab.dashboard import write_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """The dashboard served exactly as the command serves it (same plan, same start)."""
    folder = tmp_path_factory.mktemp("dashboard")
    launch = dashboard_command.plan_launch(write_dashboard(folder))
    log_path = folder / "voila.log"
    with open(log_path, "wb") as log:
        proc = start(launch, log=log)
        try:
            dashboard_command.wait_until_ready(launch, proc)
            yield launch, log_path
        finally:
            stop(proc)


@pytest.fixture()
def dashboard_page(request, chromium, voila):
    """A fresh page; on failure a screenshot and the Voila log go to test-artifacts/."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    yield page
    if any(getattr(request.node, f"report_{when}", None) is not None
           and getattr(request.node, f"report_{when}").failed for when in ("setup", "call")):
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        stem = ARTIFACTS_DIR / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
        except Exception:  # noqa: BLE001 - a crashed page cannot be photographed; keep the log anyway
            pass
        Path(f"{stem}.console.txt").write_text(voila[1].read_text(errors="replace")[-6000:], encoding="utf-8")
    context.close()


def test_dashboard_needs_the_token(voila, dashboard_page):
    page = dashboard_page
    launch, _ = voila
    assert launch.base_url.startswith("http://127.0.0.1:")
    page.goto(launch.base_url + "/")
    assert "/login" in page.url  # no token: the login form, not the dashboard
    assert page.locator(".widget-slider").count() == 0
    request = urllib.request.Request(launch.base_url + "/?token=wrong-token")
    with urllib.request.urlopen(request, timeout=30) as response:  # redirected to the login form
        assert "/login" in response.url


def test_dashboard_renders_hidden_code_and_reacts_to_a_slider(voila, dashboard_page):
    page = dashboard_page
    launch, _ = voila
    page.goto(launch.url, timeout=120_000)
    page.locator(".widget-slider").first.wait_for(timeout=120_000)
    page.locator("button.widget-button", has_text="Train").wait_for()
    pattern = page.locator(".widget-html", has_text=re.compile(r"pattern 1\[Xu > 0\]")).first
    pattern.wait_for(timeout=120_000)
    content = page.content()
    assert "training_dashboard(" not in content and "neuron_widget(" not in content  # sources stripped
    for text in ("Error displaying widget", "Failed to load model class", "Traceback"):
        assert text not in page.inner_text("body")
    assert page.locator(".widget-slider").count() >= 7  # depth, beta, K, width, steps, angle, offset, largest n

    before = pattern.inner_text()
    angle = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="angle a (deg)")).first
    handle = angle.locator(".noUi-handle").first
    handle.focus()
    for _ in range(90):
        handle.press("ArrowRight")
    after = wait_for_change(lambda: pattern.inner_text(), before, timeout=60)
    assert re.search(r"= \d+ is pattern #\d+ of P = \d+|a boundary", after), after

    depth = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="depth L")).first
    summary = page.locator(".widget-html", has_text="ParallelReLUNet(").first
    before = summary.inner_text()
    depth.locator(".noUi-handle").first.focus()
    depth.locator(".noUi-handle").first.press("ArrowRight")
    assert "depth=4" in wait_for_change(lambda: summary.inner_text(), before, timeout=60)
