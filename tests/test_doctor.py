"""The doctor reports truthfully: each check is held against an independent probe or a fault
injected with monkeypatch (a solver, a package, a GPU, chromium, an extension)."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathconvex_lab import doctor
from pathconvex_lab.cli import main


def _by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {c.name: c for c in checks}


# --------------------------------------------------------------------------- versions


def test_versions_agree_with_the_modules_themselves():
    import cvxpy
    import numpy
    import torch

    found = doctor.versions()
    assert found["numpy"] == numpy.__version__
    assert found["cvxpy"] == cvxpy.__version__
    assert found["torch"] == torch.__version__
    assert found["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert found["pathconvex-lab"] == metadata.version("pathconvex-lab")


def test_versions_cover_every_declared_dependency():
    declared = {doctor.parse_requirement(r).name for r in metadata.requires("pathconvex-lab")} - {"pathconvex-lab"}
    assert declared <= set(doctor.versions())
    for name in ("numpy", "scipy", "cvxpy", "torch", "matplotlib", "plotly", "pandas", "ipywidgets", "tqdm",
                 "scikit-learn", "jupyterlab", "ipykernel", "ipympl", "nbclient", "playwright", "otter-grader"):
        assert name in declared


@pytest.mark.parametrize(
    ("version", "minimum", "expected"),
    [("2.13.0+cpu", "2.1", True), ("1.10", "1.9", True), ("1.9", "1.10", False), ("8.0", "8.0.0", True),
     ("4.0.0rc1", "4.0", True), ("0.9", "1.0", False), ("v3.7.1", "3.7", True)],
)
def test_at_least_compares_numerically(version, minimum, expected):
    assert doctor.at_least(version, minimum) is expected


@given(st.lists(st.integers(0, 300), min_size=1, max_size=4), st.lists(st.integers(0, 300), min_size=1, max_size=4))
def test_at_least_matches_padded_tuple_order(a, b):
    width = max(len(a), len(b))
    pad = lambda t: tuple(t) + (0,) * (width - len(t))  # noqa: E731
    assert doctor.at_least(".".join(map(str, a)), ".".join(map(str, b))) == (pad(a) >= pad(b))


def test_parse_requirement_reads_name_bound_and_extra():
    req = doctor.parse_requirement('ipykernel>=6.25; extra == "lab"')
    assert (req.name, req.minimum, req.extra, req.required) == ("ipykernel", "6.25", "lab", True)
    req = doctor.parse_requirement('otter-grader>=7.0; extra == "grading"')
    assert (req.name, req.minimum, req.extra, req.required) == ("otter-grader", "7.0", "grading", False)
    assert doctor.parse_requirement("numpy>=1.24").extra == ""


# --------------------------------------------------------------------------- faults injected


def test_missing_solver_is_reported_and_fails(monkeypatch):
    import cvxpy

    monkeypatch.setattr(cvxpy, "installed_solvers", lambda: ["CLARABEL", "OSQP"])
    check = doctor.check_solvers()
    assert check.status == "fail"
    assert "missing SCS" in check.detail and "CLARABEL" not in check.detail.split(";")[0]
    assert "scs" in check.hint
    result = doctor.report()
    assert result["ok"] is False
    assert {"name": "cvxpy solvers", "status": "fail"}.items() <= next(
        c for c in result["checks"] if c["name"] == "cvxpy solvers").items()


def test_cli_exits_nonzero_and_says_why_when_a_solver_is_missing(monkeypatch, capsys):
    import cvxpy

    monkeypatch.setattr(cvxpy, "installed_solvers", lambda: ["SCS"])
    assert main(["doctor", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    solvers = next(c for c in out["checks"] if c["name"] == "cvxpy solvers")
    assert solvers["status"] == "fail" and "CLARABEL" in solvers["detail"]


def test_reported_solvers_actually_solve_a_group_lasso():
    """Independent check: each solver the doctor calls present solves a tiny SOCP correctly."""
    import cvxpy as cp
    import numpy as np

    check = doctor.check_solvers()
    assert check.status == "pass"
    # min 1/2||x - a||^2 + ||x||_2 has the closed form x = a (1 - 1/||a||)_+.
    a = np.array([3.0, 4.0])
    x = cp.Variable(2)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - a) + cp.norm(x, 2)))
    for solver in doctor.REQUIRED_SOLVERS:
        problem.solve(solver=solver)
        np.testing.assert_allclose(x.value, a * (1 - 1 / 5.0), atol=1e-4)


@pytest.mark.parametrize(("dist", "expected"), [("plotly", "fail"), ("ipykernel", "fail"), ("otter-grader", "warn")])
def test_missing_package_fails_if_required_else_warns(monkeypatch, dist, expected):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version", lambda name: None if name == dist else real(name))
    check = _by_name(doctor.run_checks())[dist]
    assert check.status == expected
    assert "not installed" in check.detail and dist in check.hint


def test_too_old_package_fails(monkeypatch):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version", lambda name: "1.0.0" if name == "cvxpy" else real(name))
    check = _by_name(doctor.run_checks())["cvxpy"]
    assert check.status == "fail" and "1.0.0 is older than the required cvxpy>=1.4" in check.detail


def test_device_is_probed_at_call_time(monkeypatch):
    import torch

    assert doctor.check_device().detail.split()[0] in {"cpu", "mps", "cuda"}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Fake GPU 9000")
    check = doctor.check_device()
    assert check.status == "pass" and check.detail == "cuda (Fake GPU 9000, 2 devices)"


def test_gpu_that_a_cpu_torch_cannot_use_warns(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    monkeypatch.setattr(doctor.shutil, "which", lambda name: "/usr/bin/nvidia-smi" if name == "nvidia-smi" else None)
    check = doctor.check_device()
    assert check.status == "warn" and "CPU build" in check.detail and "TORCH_SPEC" in check.hint


def test_chromium_missing_warns_with_a_fix(monkeypatch, tmp_path):
    monkeypatch.delenv("PATHCONVEX_CHROMIUM", raising=False)
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    check = doctor.check_chromium()
    assert check.status == "warn" and "apt-get install chromium" in check.hint
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    monkeypatch.setenv("PATHCONVEX_CHROMIUM", str(not_executable))
    assert doctor.find_chromium() is None
    assert "not executable" in doctor.check_chromium().detail


def test_missing_widget_extension_fails_and_plotly_warns(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor, "lab_extension_dirs", lambda: [tmp_path])
    assert doctor.check_lab_extension("widgets extension").status == "fail"
    assert doctor.check_lab_extension("plotly extension").status == "warn"
    (tmp_path / "jupyterlab-plotly").mkdir()
    (tmp_path / "jupyterlab-plotly" / "package.json").write_text('{"name": "jupyterlab-plotly", "version": "9.9.9"}')
    check = doctor.check_lab_extension("plotly extension")
    assert check.status == "pass" and "9.9.9" in check.detail


def test_widget_manager_mismatch_fails(monkeypatch):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version", lambda n: "1.2.0" if n == "jupyterlab_widgets" else real(n))
    check = doctor.check_lab_extension("widgets extension")
    assert check.status == "fail" and "jupyterlab_widgets 1.2.0" in check.detail


# --------------------------------------------------------------------------- the command


def test_doctor_json_in_this_environment():
    """The real environment (bootstrap installs everything) is ready; the JSON has the schema."""
    proc = subprocess.run([sys.executable, "-m", "pathconvex_lab", "doctor", "--json"],
                          capture_output=True, text=True, timeout=120)
    out = json.loads(proc.stdout)
    assert set(out) == {"ok", "checks"}
    for check in out["checks"]:
        assert set(check) == {"name", "status", "detail", "hint"} and check["status"] in doctor.STATUSES
        assert check["status"] == "pass" or check["hint"], check
    failed = [c for c in out["checks"] if c["status"] == "fail"]
    assert out["ok"] is (not failed) and proc.returncode == (1 if failed else 0)
    assert out["ok"], failed
    names = {c["name"] for c in out["checks"]}
    assert {"cvxpy solvers", "torch device", "chromium", "widgets extension", "plotly extension"} <= names


def test_doctor_table_has_one_line_per_check(capsys):
    status = main(["doctor"])
    text = capsys.readouterr().out
    checks = doctor.run_checks()
    rows = [line for line in text.splitlines() if line.startswith("  ") and not line.startswith("        fix:")]
    assert len(rows) == len(checks)
    assert status == (0 if all(c.status != "fail" for c in checks) else 1)
    assert text.rstrip().splitlines()[-1].startswith("ready" if status == 0 else "NOT ready")


def test_summary_names_versions_and_device():
    import numpy

    line = doctor.summary()
    assert f"numpy {numpy.__version__}" in line
    assert line.rsplit("device: ", 1)[1] == doctor.torch_device()
