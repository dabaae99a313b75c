"""Redraw time of the 3-D sphere of directions (notebook 01) per slider step, in JupyterLab in
headless Chromium: press the azimuth slider's arrow key, wait until the point u has moved in
the drawn plotly figure. Each variant is a notebook cell of its own, measured side by side.

    python benchmarks/bench_sphere_browser.py [--steps 8] [--json FILE] [--quick]

Variants: ``in place`` (the kit's ``sphere_widget``: a plotly FigureWidget whose u trace is
updated) and ``rebuilt`` (the figure rebuilt and re-sent through an Output widget at every step,
as the kit did before; ``sphere_widget(rebuild=True)``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import harness  # noqa: E402 - the browser tests' JupyterLab and Chromium setup

VARIANTS = {"in place": "aw.sphere_widget()", "rebuilt": "aw.sphere_widget(rebuild=True)"}
U_POSITION_JS = """(i) => {
  const plots = document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelectorAll('.js-plotly-plot');
  if (!plots.length || !plots[0].data) { return null; }
  const u = plots[0].data.find(t => t.name === 'u');
  return u ? JSON.stringify([u.x, u.y, u.z]) : null;
}"""


def write_notebook(folder: Path) -> str:
    """A notebook with one cell per variant (cell 0 imports); returns its file name."""
    cells = [nbformat.v4.new_code_cell("from pathconvex_lab.widgets import arrangements as aw")]
    cells += [nbformat.v4.new_code_cell(code) for code in VARIANTS.values()]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                          "language": "python"}})
    nbformat.write(nb, folder / "sphere_bench.ipynb")
    return "sphere_bench.ipynb"


def step_times(page, cell: int, steps: int, timeout: float = 120.0) -> list[float]:
    """Seconds from each arrow-key press on the cell's azimuth slider until u moved in its plot."""
    handle = page.locator(".jp-Notebook .jp-Cell").nth(cell).locator(".widget-slider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    times = []
    for _ in range(steps):
        before = page.evaluate(U_POSITION_JS, cell)
        start = time.perf_counter()
        handle.press("ArrowRight")
        while page.evaluate(U_POSITION_JS, cell) == before:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"u did not move within {timeout:.0f} s")
            page.wait_for_timeout(20)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="arrow-key steps per variant (default 8)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="3 steps per variant (for `make bench`)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = 3
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "nb"
        source.mkdir()
        name = write_notebook(source)
        server = harness.start_lab_server(Path(tmp) / "lab", source=source)
        try:
            with sync_playwright() as playwright:
                browser = harness.launch_chromium(playwright)
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(120_000)
                page.lab = server
                harness.open_and_run_all(page, name)
                for cell, variant in enumerate(VARIANTS, start=1):
                    step_times(page, cell, 1)  # warm-up: the first redraw loads plotly's 3-D code
                    results[variant] = step_times(page, cell, args.steps)
                browser.close()
        finally:
            server.stop()
    print(f"{platform.node()}, headless Chromium, {args.steps} azimuth steps per variant (seconds per step)")
    print(f"{'variant':10s} {'median':>8s} {'mean':>8s} {'max':>8s}")
    for variant, times in results.items():
        print(f"{variant:10s} {statistics.median(times):8.3f} {statistics.mean(times):8.3f} {max(times):8.3f}")
    base = statistics.median(results["rebuilt"]) / statistics.median(results["in place"])
    print(f"in place is {base:.1f}x faster than rebuilt (median)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
