"""Shared test configuration: markers (declared in pyproject.toml) and common fixtures.

- ``@pytest.mark.gpu`` tests are skipped when CUDA is not available (probed once, lazily).
- ``@pytest.mark.slow`` and ``@pytest.mark.browser`` run by default (``make test``);
  ``make test-fast`` deselects them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


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


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (where pyproject.toml lies)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def notebooks_dir() -> Path:
    """The repository's notebooks/ folder (read it; tests that execute notebooks use a copy)."""
    return NOTEBOOKS_DIR



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
