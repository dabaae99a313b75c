"""Exact group enumeration on the oldest highspy the kit supports (``pyproject.toml``'s lower
bound), installed into a throw-away folder; the newest is the one the suite runs on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pathconvex_lab import arrangements as ar
from pathconvex_lab import data

OLDEST = "1.7.2"
ROOT = Path(__file__).resolve().parents[1]


def test_the_lower_bound_in_pyproject_is_the_version_tested_here():
    assert f'"highspy>={OLDEST}"' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.slow
def test_exact_groups_on_the_oldest_supported_highspy(tmp_path):
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                              f"highspy=={OLDEST}"], capture_output=True, text=True, timeout=300)
    if install.returncode:
        pytest.skip(f"highspy=={OLDEST} could not be installed (no package index?): {install.stderr[-300:]}")
    script = textwrap.dedent("""
        import highspy, numpy as np
        from pathconvex_lab import arrangements as ar, data
        assert highspy.__file__.startswith(%r), highspy.__file__
        X = data.add_bias(np.random.default_rng(1).standard_normal((8, 2)))
        print(ar.enumerate_groups(X, 2).count)
    """ % str(target))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                         env={"PYTHONPATH": f"{target}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    X = data.add_bias(np.random.default_rng(1).standard_normal((8, 2)))
    assert int(run.stdout.split()[-1]) == ar.enumerate_groups(X, 2).count
