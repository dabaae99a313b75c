"""Browser-test harness: the notebooks in JupyterLab, in headless Debian Chromium, via Playwright.

How to write a browser test for your notebook (``tests/browser/test_browser_<topic>.py``)::

    import pytest
    from harness import click_button, move_slider, open_and_run_all, wait_for_change, widget_output_html

    pytestmark = [pytest.mark.browser, pytest.mark.slow]

    def test_beta_slider_resolves(lab_page):
        open_and_run_all(lab_page, "03_path_regularization.ipynb")  # Run All, every cell done, no error
        before = widget_output_html(lab_page)                       # all .widget-output areas
        move_slider(lab_page, "beta", steps=3)                      # slider whose description is "beta"
        wait_for_change(lambda: widget_output_html(lab_page), before)
        assert_notebook_clean(lab_page)                             # still no error after the interaction

Fixtures (``tests/browser/conftest.py``):

- ``lab_server`` (session): JupyterLab serving a *copy* of ``notebooks/`` on 127.0.0.1 with a
  token, private ``JUPYTER_CONFIG_DIR`` and runtime dir (the venv's lab extensions and kernels
  are still found), news and update checks off, autosave off, notebook windowing off (every
  cell is in the DOM), and ``window.jupyterapp`` exposed. Started by ``pathconvex_lab.commands.lab``, the code
  path of ``pathconvex-lab lab``.
- ``chromium`` (session): Debian's chromium (``pathconvex_lab.doctor.find_chromium``) launched
  by Playwright with ``executable_path``; ``playwright install`` is never needed.
- ``lab_page`` (per test): a fresh browser context and page bound to ``lab_server``
  (``lab_page.lab`` is the :class:`LabServer`, ``lab_page.lab.notebooks`` the served copy).
  Afterwards every kernel is shut down, so each test starts fresh. If the test fails, a
  full-page screenshot and the browser console (errors, warnings) plus the server log go to
  ``test-artifacts/<test id>.png`` / ``.console.txt``.

Helpers (all take the Playwright ``page``): :func:`open_notebook`, :func:`run_all`,
:func:`wait_until_all_cells_ran`, :func:`assert_notebook_clean`, :func:`open_and_run_all`,
:func:`view_problems`,
:func:`wait_for_kernel_idle`, :func:`slider`, :func:`move_slider`, :func:`drag_slider`,
:func:`click_button`, :func:`widget_output_text`, :func:`widget_output_html`,
:func:`widget_html_text`, :func:`assert_no_widget_errors`,
:func:`plotly_state`, :func:`wait_for_change`. Sliders and buttons are found by their widget
``description``; give your dashboard's controls distinct descriptions.

Environment: ``PATHCONVEX_CHROMIUM`` overrides the browser path; ``PATHCONVEX_HEADED=1`` shows
the browser window (needs a display); ``PATHCONVEX_SLOWMO=<ms>`` slows every action down.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable
from urllib.parse import quote

from pathconvex_lab.commands import lab as lab_command
from pathconvex_lab.doctor import find_chromium

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"

#: Chromium flags that work on this kind of machine (headless, closed network, running as root).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)
#: JupyterLab user settings written into the private config folder.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},  # the served copies stay clean
}
#: Text that ipywidgets or JupyterLab show when a widget or an output fails to render.
RENDER_ERROR_TEXTS = (
    "Error displaying widget",
    "Failed to load model class",
    "Javascript Error",
    "Error rendering output item",
    "No renderer could be found",
)
KERNEL_IDLE = re.compile(r"\(ipykernel\)\s*\|\s*Idle")
DEFAULT_RUN_TIMEOUT_S = 300.0


# --------------------------------------------------------------------------- server and browser


@dataclass
class LabServer:
    """A running JupyterLab for tests: where it serves, how to reach it, where it logs."""

    launch: lab_command.LabLaunch
    process: subprocess.Popen
    notebooks: Path  # the served copy of notebooks/
    log_path: Path
    log: IO[bytes]

    def url(self, path: str, query: str = "") -> str:
        """Address of ``path`` (e.g. ``"lab/tree/00_tour.ipynb"``) with the token appended."""
        extra = f"{query}&" if query else ""
        return f"{self.launch.base_url}/{path.lstrip('/')}?{extra}token={self.launch.token}"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server log (for failure messages)."""
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def shutdown_kernels(self) -> None:
        """End every session and kernel (each test then starts from fresh kernels)."""
        for kind in ("sessions", "kernels"):
            for item in self._api("GET", f"/api/{kind}") or []:
                self._api("DELETE", f"/api/{kind}/{item['id']}")

    def _api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.launch.base_url + path, method=method,
                                         headers={"Authorization": f"token {self.launch.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # already gone (a session's kernel, deleted with it)
                return None
            raise
        return json.loads(body) if body else None

    def stop(self) -> None:
        """Shut the server (and its kernels) down."""
        lab_command.stop(self.process)
        self.log.close()


def write_user_settings(config_dir: Path, settings: dict[str, dict] = USER_SETTINGS) -> None:
    """Write JupyterLab user settings (``<plugin id>.jupyterlab-settings`` files) under ``config_dir``."""
    for plugin, values in settings.items():
        package, _, name = plugin.rpartition("/")
        target = config_dir / "lab" / "user-settings" / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values), encoding="utf-8")


def start_lab_server(workdir: Path, source: Path = NOTEBOOKS_DIR, timeout: float = 120.0) -> LabServer:
    """Copy ``source`` into ``workdir`` and serve it with JupyterLab, isolated from the user's config.

    Only the config and runtime folders are private: the data path (lab extensions, kernels)
    stays the venv's. Raises RuntimeError with the server log if it does not come up.
    """
    notebooks = workdir / "notebooks"
    shutil.copytree(source, notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "jupyter-config"), ("JUPYTER_RUNTIME_DIR", "jupyter-runtime")):
        (workdir / sub).mkdir()
        env[var] = str(workdir / sub)
    env.pop("JUPYTERLAB_SETTINGS_DIR", None)
    env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
    write_user_settings(workdir / "jupyter-config")
    launch = lab_command.plan_launch(notebook_dir=notebooks, open_browser=False,
                                     extra_args=["--LabApp.expose_app_in_browser=True"])
    log_path = workdir / "jupyterlab.log"
    log = open(log_path, "wb")
    process = lab_command.start(launch, env=env, log=log)
    server = LabServer(launch, process, notebooks, log_path, log)
    try:
        lab_command.wait_until_ready(launch, process, timeout=timeout)
    except RuntimeError as exc:
        tail = server.log_tail()
        server.stop()
        raise RuntimeError(f"{exc}\n--- JupyterLab log ---\n{tail}") from None
    return server


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium through Playwright (``executable_path``); headless unless PATHCONVEX_HEADED=1."""
    path = find_chromium()
    if path is None:
        raise RuntimeError("chromium not found: install it (scripts/bootstrap.sh test, or apt-get install "
                           "chromium) or set PATHCONVEX_CHROMIUM; never `playwright install`")
    return playwright.chromium.launch(
        executable_path=path,
        headless=os.environ.get("PATHCONVEX_HEADED", "") != "1",
        args=list(CHROMIUM_FLAGS),
        slow_mo=float(os.environ.get("PATHCONVEX_SLOWMO", "0")),
    )


# --------------------------------------------------------------------------- notebooks


def open_notebook(page: Any, notebook: str, timeout: float = 120.0) -> None:
    """Open ``lab/tree/<notebook>?reset`` (path relative to notebooks/) and wait for an idle kernel."""
    server: LabServer = page.lab
    page.goto(server.url(f"lab/tree/{quote(notebook)}", "reset"), timeout=timeout * 1000)
    page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.shell)", timeout=timeout * 1000)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.wait_for(timeout=timeout * 1000)
    wait_for_kernel_idle(page, timeout)


def wait_for_kernel_idle(page: Any, timeout: float = 120.0) -> None:
    """Wait for the status bar's ``(ipykernel) | Idle`` (the toolbar says idle before a kernel exists)."""
    page.get_by_text(KERNEL_IDLE).first.wait_for(timeout=timeout * 1000)


def run_all(page: Any) -> None:
    """Clear every output and execution count, then run every cell (command ``runmenu:run-all``).

    Clearing first makes :func:`wait_until_all_cells_ran` meaningful even for a notebook that
    already ran in this page.
    """
    page.evaluate("""async () => {
        await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
        window.jupyterapp.commands.execute('runmenu:run-all');  // not awaited: we poll, with a timeout
    }""")


#: Cell states of the current notebook: prompts and outputs, from JupyterLab's own models.
_CELL_STATES_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) { return null; }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code').map((c, i) => {
    const prompt = c.node.querySelector('.jp-InputArea-prompt');
    const outputs = c.model.outputs.toJSON();
    const widgetViews = outputs.filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length;
    const plotlyViews = outputs.filter(o => o.data && o.data['application/vnd.plotly.v1+json']).length;
    return {
      index: i,
      prompt: prompt ? prompt.textContent.trim() : '',
      count: c.model.executionCount,
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      widgetViews: widgetViews,
      renderedWidgets: c.node.querySelectorAll('.jp-OutputArea .jupyter-widgets').length,
      plotlyViews: plotlyViews,
      renderedPlotly: c.node.querySelectorAll('.jp-OutputArea .js-plotly-plot').length,
      text: c.node.querySelector('.jp-Cell-outputWrapper') ?
            c.node.querySelector('.jp-Cell-outputWrapper').innerText : '',
      source: c.model.sharedModel.getSource().slice(0, 80),
    };
  });
  return {kernel: kernel ? kernel.status : 'none', cells: cells};
}"""


def cell_states(page: Any) -> dict:
    """``{"kernel": status, "cells": [{index, prompt, count, errors, widgetViews, renderedWidgets,
    plotlyViews, renderedPlotly, text, source}, ...]}`` for the code cells of the open notebook."""
    return page.evaluate(_CELL_STATES_JS)


def _finished(state: dict | None) -> bool:
    """Kernel idle, no ``[*]`` left, and every cell ran (or an error stopped Run All)."""
    if not state or state["kernel"] != "idle" or any("*" in c["prompt"] for c in state["cells"]):
        return False
    return all(c["count"] is not None for c in state["cells"]) or any(c["errors"] for c in state["cells"])


def wait_until_all_cells_ran(page: Any, timeout: float = DEFAULT_RUN_TIMEOUT_S, settle: float = 1.0) -> dict:
    """Wait until every code cell has an execution count (or an error stopped Run All), no
    ``[*]`` prompt is left and the kernel is idle, twice ``settle`` seconds apart (the kernel
    is briefly idle between cells). Returns the final :func:`cell_states`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _finished(cell_states(page)):
            page.wait_for_timeout(settle * 1000)
            state = cell_states(page)
            if _finished(state):
                return state
        else:
            page.wait_for_timeout(250)
    state = cell_states(page)
    pending = [f"[{c['index']}] {c['prompt']} {c['source']!r}" for c in (state or {"cells": []})["cells"]
               if c["count"] is None or "*" in c["prompt"]]
    raise AssertionError(f"cells still pending after {timeout:.0f} s (kernel {state and state['kernel']}): {pending}")


def notebook_problems(page: Any, state: dict | None = None) -> list[str]:
    """Error outputs, cells that did not run, widget/plot rendering failures, unrendered views."""
    state = cell_states(page) if state is None else state
    problems = []
    for c in state["cells"]:
        where = f"cell {c['index']} ({c['source']!r})"
        problems += [f"{where}: error output {e}" for e in c["errors"]]
        if c["count"] is None:
            problems.append(f"{where}: did not run")
        problems += [f"{where}: shows {t!r}" for t in RENDER_ERROR_TEXTS if t in c["text"]]
        if c["widgetViews"] and not c["renderedWidgets"]:
            problems.append(f"{where}: {c['widgetViews']} widget output(s) not rendered as widgets")
        if c["plotlyViews"] and not c["renderedPlotly"]:
            problems.append(f"{where}: {c['plotlyViews']} plotly output(s) not rendered")
    return problems


def assert_notebook_clean(page: Any) -> None:
    """No error output, no widget rendering error, every widget and plotly view rendered."""
    problems = notebook_problems(page)
    assert not problems, "\n".join(problems)


_VIEW_PROBLEMS_JS = """async () => {
  const problems = [];
  const labels = '.jp-Notebook .widget-label, .jp-Notebook .widget-label-basic, .jp-Notebook .widget-toggle-button, '
                 + '.jp-Notebook .jupyter-button';
  for (const label of document.querySelectorAll(labels)) {
    if (label.offsetParent !== null && label.scrollWidth > label.clientWidth + 1) {
      problems.push('widget label cut off: ' + JSON.stringify(label.textContent));
    }
  }
  const images = Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output img'));
  for (const img of images) {
    if (!img.complete) {
      await new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); setTimeout(done, 5000); });
    }
    if (img.offsetParent === null) { continue; }  // not displayed (e.g. a replaced widget output)
    if (img.naturalWidth === 0 || img.getBoundingClientRect().width === 0) {
      problems.push('image of zero size (natural ' + img.naturalWidth + 'x' + img.naturalHeight + ', shown '
                    + img.getBoundingClientRect().width + ' px wide)');
      continue;
    }
    const canvas = document.createElement('canvas');
    canvas.width = Math.min(img.naturalWidth, 300);
    canvas.height = Math.max(1, Math.round(canvas.width * img.naturalHeight / img.naturalWidth));
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0, sq = 0, count = 0;
    for (let i = 0; i < data.length; i += 4) {
      const v = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      sum += v; sq += v * v; count += 1;
    }
    const variance = sq / count - (sum / count) ** 2;
    if (variance < 1.0) { problems.push('blank image (' + img.naturalWidth + 'x' + img.naturalHeight + ')'); }
  }
  for (const plot of document.querySelectorAll('.jp-Notebook .js-plotly-plot')) {
    const box = plot.getBoundingClientRect();
    if (plot.offsetParent !== null && (box.width < 10 || box.height < 10)) { problems.push('plotly view of zero size'); }
  }
  return problems;
}"""


def view_problems(page: Any) -> list[str]:
    """What a student would see wrong in the open notebook: a widget label cut off (its text wider
    than its box), an image that is empty or blank (luminance variance < 1 on a 0-255 scale), a
    plotly view of zero size."""
    return page.evaluate(_VIEW_PROBLEMS_JS)


def open_and_run_all(page: Any, notebook: str, timeout: float = DEFAULT_RUN_TIMEOUT_S) -> dict:
    """Open ``notebook``, Run All, wait until every cell finished, assert nothing failed and that
    nothing shown is cut off or blank (:func:`view_problems`).

    Returns the final :func:`cell_states`.
    """
    open_notebook(page, notebook)
    run_all(page)
    state = wait_until_all_cells_ran(page, timeout)
    problems = notebook_problems(page, state) + view_problems(page)
    assert not problems, f"{notebook}:\n" + "\n".join(problems)
    return state


# --------------------------------------------------------------------------- widgets


def slider(page: Any, description: str | None = None, index: int = 0) -> Any:
    """Locator of an ipywidgets slider, by its description (exact text) or by position."""
    sliders = page.locator(".jp-Notebook .widget-slider")
    if description is not None:
        label = page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
        sliders = sliders.filter(has=label)
    return sliders.nth(index)


def slider_readout(page: Any, description: str | None = None, index: int = 0) -> str:
    """The value a slider displays (its readout text)."""
    return slider(page, description, index).locator(".widget-readout").inner_text().strip()


def move_slider(page: Any, description: str | None = None, steps: int = 1, index: int = 0,
                settle_kernel: bool = True) -> None:
    """Move a slider by ``steps`` steps with the arrow keys (negative: left/down), then wait for the
    kernel to be idle again."""
    handle = slider(page, description, index).locator(".noUi-handle").first
    handle.focus()
    key = "ArrowRight" if steps > 0 else "ArrowLeft"
    for _ in range(abs(steps)):
        handle.press(key)
    if settle_kernel:
        page.wait_for_timeout(300)
        wait_for_kernel_idle(page)


def drag_slider(page: Any, description: str | None = None, fraction: float = 0.5, index: int = 0,
                settle_kernel: bool = True) -> None:
    """Drag a slider's handle with the mouse to ``fraction`` (0: left end, 1: right end) of its track."""
    target = slider(page, description, index)
    track = target.locator(".noUi-target").first.bounding_box()
    box = target.locator(".noUi-handle").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + fraction * track["width"], box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    if settle_kernel:
        page.wait_for_timeout(300)
        wait_for_kernel_idle(page)


def click_button(page: Any, description: str, settle_kernel: bool = True) -> None:
    """Click the ipywidgets button whose description is ``description``, then wait for idle."""
    page.locator(".jp-Notebook button.widget-button", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$")).click()
    if settle_kernel:
        page.wait_for_timeout(300)
        wait_for_kernel_idle(page)


def widget_output_text(page: Any, index: int | None = None) -> str:
    """Visible text of the ``.widget-output`` areas (all joined, or the ``index``-th)."""
    outputs = page.locator(".jp-Notebook .widget-output")
    if index is not None:
        return outputs.nth(index).inner_text()
    return "\n".join(outputs.all_inner_texts())


def widget_output_html(page: Any, index: int | None = None) -> str:
    """HTML of the ``.widget-output`` areas (catches changed images, which have no text)."""
    outputs = page.locator(".jp-Notebook .widget-output")
    if index is not None:
        return outputs.nth(index).inner_html()
    return "\n".join(outputs.nth(i).inner_html() for i in range(outputs.count()))


def widget_html_text(page: Any, pattern: str | None = None, index: int = 0) -> str:
    """Text of the ``index``-th ipywidgets HTML widget (``.widget-html``) of the notebook, counting
    only those whose text matches the regular expression ``pattern`` when one is given."""
    if pattern is None:
        widgets = page.locator(".jp-Notebook .widget-html")
    else:
        widgets = page.locator(".jp-Notebook .widget-html", has_text=re.compile(pattern))
    return widgets.nth(index).inner_text()


def assert_no_widget_errors(page: Any) -> None:
    """No ipywidgets HTML widget of the notebook shows an ``error: ...`` message."""
    texts = page.locator(".jp-Notebook .widget-html").all_inner_texts()
    errors = [t for t in texts if t.strip().startswith("error:")]
    assert not errors, errors


def plotly_state(page: Any, index: int = 0) -> str:
    """JSON of the ``index``-th plotly figure's data and layout as drawn in the page."""
    return page.evaluate(
        """(i) => { const el = document.querySelectorAll('.jp-Notebook .js-plotly-plot')[i];
                    return el ? JSON.stringify({data: el.data, layout: el.layout}) : null; }""",
        index,
    )


def wait_for_change(getter: Callable[[], Any], before: Any, timeout: float = 60.0, interval: float = 0.25) -> Any:
    """Poll ``getter()`` until it differs from ``before``; return the new value (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = getter()
        if now != before:
            return now
        time.sleep(interval)
    raise AssertionError(f"no change within {timeout:.0f} s; still {str(before)[:300]!r}")


def wait_until(getter: Callable[[], str], predicate: Callable[[str], Any], timeout: float = 60.0) -> str:
    """Poll ``getter()`` every 0.25 s until ``predicate`` holds for its value; return that value."""
    deadline = time.monotonic() + timeout
    value = getter()
    while time.monotonic() < deadline:
        value = getter()
        if predicate(value):
            return value
        time.sleep(0.25)
    raise AssertionError(f"condition not met within {timeout:.0f} s; last value {value[:300]!r}")
