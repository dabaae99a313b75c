"""Shared test configuration: markers (declared in pyproject.toml) and common fixtures.

- ``@pytest.mark.gpu`` tests are skipped when CUDA is not available (probed once, lazily).
- ``@pytest.mark.slow`` and ``@pytest.mark.browser`` run by default (``make test``);
  ``make test-fast`` deselects them. A test that takes more than ``SLOW_S`` seconds is marked
  ``slow``; the end of every run lists the unmarked tests that took longer (information only).
- Reference values of docs/mathematics.md §8 live in ``tests/reference_values.py``.
- Ctrl-C works as in a terminal even when the suite was started with SIGINT ignored (a shell's
  background job inherits that), so the tests of interrupted commands hold however CI starts them.
"""

from __future__ import annotations

import signal
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: Seconds (setup, call and teardown together) above which a test must be marked ``slow``.
SLOW_S = 5.0


def pytest_configure(config: pytest.Config) -> None:
    """Give SIGINT its default Python handler when the suite inherited it ignored; the commands the
    tests start then inherit the default disposition too (exec resets a handled signal)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``gpu`` tests without a CUDA device (torch is imported only if such tests exist)."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if not gpu_items or _cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (torch.cuda.is_available() is False)")
    for item in gpu_items:
        item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """List the tests that took more than ``SLOW_S`` seconds without a ``slow`` (or ``browser``) mark.

    Information only: it never changes the outcome of the run.
    """
    seconds: dict[str, float] = defaultdict(float)
    marked: set[str] = set()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) not in ("setup", "call", "teardown"):
                continue
            seconds[report.nodeid] += report.duration
            if "slow" in report.keywords or "browser" in report.keywords:
                marked.add(report.nodeid)
    unmarked = sorted(((s, nodeid) for nodeid, s in seconds.items() if s > SLOW_S and nodeid not in marked),
                      reverse=True)
    if unmarked:
        terminalreporter.write_sep("=", f"tests over {SLOW_S:g} s without @pytest.mark.slow (information only)")
        for s, nodeid in unmarked:
            terminalreporter.write_line(f"{s:8.2f}s {nodeid}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (where pyproject.toml lies)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def notebooks_dir() -> Path:
    """The repository's notebooks/ folder (read it; tests that execute notebooks use a copy)."""
    return NOTEBOOKS_DIR


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one thread for the module, restored after: the tiny problems of the tests run several
    times faster that way when the cores are shared. Use with
    ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def ds1_csv(tmp_path_factory) -> Path:
    """DS1 of docs/mathematics.md §8 as a CSV file, written from its definition, without its bias
    column (the CLI appends it)."""
    from pathconvex_lab.data import save_csv

    path = tmp_path_factory.mktemp("data") / "ds1.csv"
    x = np.array([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0])
    save_csv(path, x[:, None], np.array([0.5, -0.3, 0.8, -0.6, 0.2, 0.9]))
    return path


@pytest.fixture
def ctrl_c_on_second_path_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a regularization path's second solve raise KeyboardInterrupt (Ctrl-C mid-path)."""
    from pathconvex_lab.convex import path as cpath

    real = cpath._solve_point
    calls = []

    def stop_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(cpath, "_solve_point", stop_on_second)
