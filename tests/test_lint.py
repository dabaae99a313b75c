"""Static checks: pyflakes' rules (ruff ``F``: undefined names, unused imports and variables,
redefinitions) over the package, the tests, the benchmarks and the scripts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_pyflakes_errors() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F", "--output-format", "concise", "--no-cache",
         "pathconvex_lab", "tests", "benchmarks", "scripts"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
