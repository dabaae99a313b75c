"""`pathconvex-lab assign`, `grade` and `dashboard --dry-run` from the command line: JSON shapes,
readable reports, one-line errors for bad options."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pathconvex_lab.cli import main

MASTER = Path(__file__).resolve().parents[1] / "notebooks" / "assignments" / "hw1_arrangements.ipynb"


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pathconvex_lab", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def assigned(tmp_path_factory) -> tuple[Path, dict]:
    """`assign --json` on a folder holding only the first master (one otter run)."""
    root = tmp_path_factory.mktemp("cli-assign")
    masters = root / "masters"
    masters.mkdir()
    shutil.copy(MASTER, masters)
    proc = _cli("assign", "--masters", str(masters), "--out", str(root / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    return root / "out", json.loads(proc.stdout)


@pytest.mark.slow
def test_assign_json_lists_the_products(assigned):
    out, result = assigned
    [hw1] = result["assignments"]
    assert hw1["name"] == "hw1_arrangements" and hw1["points"] == 9
    assert hw1["questions"] == {"q1": 2, "q2": 2, "q3": 2, "q4": 3}
    for key, relative in (("student", "student/hw1_arrangements.ipynb"),
                          ("solution", "autograder/hw1_arrangements.ipynb"),
                          ("autograder", "autograder/hw1_arrangements-autograder.zip")):
        assert Path(hw1[key]) == (out / "hw1_arrangements" / relative).resolve()
        assert Path(hw1[key]).is_file()


@pytest.mark.slow
def test_grade_json_scores_each_submission(assigned, tmp_path):
    out, result = assigned
    text = tmp_path / "essay.txt"
    text.write_text("no notebook here")
    proc = _cli("grade", result["assignments"][0]["solution"], str(text), "--autograder", str(out), "--json",
                "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    solution, essay = json.loads(proc.stdout)["submissions"]
    assert set(solution) >= {"file", "total", "possible", "questions"}
    assert solution["total"] == solution["possible"] == 9
    assert solution["questions"]["q4"] == {"score": 3, "possible": 3, "message": "all tests passed"}
    assert essay["total"] == 0 and essay["status"] == "not a notebook" and "not a Jupyter notebook" in essay["message"]


@pytest.mark.slow
def test_grade_prints_a_readable_report(assigned, tmp_path, capsys):
    out, result = assigned
    text = tmp_path / "answers.md"
    text.write_text("# my answers")
    zip_path = result["assignments"][0]["autograder"]
    assert main(["grade", str(text), "--autograder", zip_path]) == 0
    report = capsys.readouterr().out
    assert f"{text}: 0 / 9 (not a notebook: answers.md is not a Jupyter notebook" in report
    assert "  q4: 0 / 3  answers.md is not a Jupyter notebook" in report


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--timeout", "-1"]])
def test_grade_rejects_bad_options_in_one_line(tmp_path, option):
    nb = tmp_path / "x.ipynb"
    nb.write_text("{}")
    proc = _cli("grade", str(nb), *option, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1


def test_grade_without_an_autograder_says_how_to_get_one(tmp_path, capsys):
    nb = tmp_path / "x.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    assert main(["grade", str(nb), "--autograder", str(tmp_path / "nowhere"), "--json"]) == 0
    [grade] = json.loads(capsys.readouterr().out)["submissions"]
    assert grade["status"] == "unknown assignment" and "pathconvex-lab assign" in grade["message"]


def test_assign_rejects_a_folder_without_masters(tmp_path):
    proc = _cli("assign", "--masters", str(tmp_path), "--out", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 2 and "no otter master notebook" in proc.stderr and "Traceback" not in proc.stderr


def test_grade_without_a_sandbox_refuses_in_one_line_unless_unsafe(tmp_path):
    """No bwrap on PATH: `grade` says why and how, exit status 2; --unsafe grades anyway."""
    nb = tmp_path / "x.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(tmp_path)}
    argv = [sys.executable, "-m", "pathconvex_lab", "grade", str(nb), "--autograder", str(tmp_path / "nowhere")]
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "bubblewrap (bwrap) is not installed" in refused.stderr and "--unsafe" in refused.stderr
    unsafe = subprocess.run(argv + ["--unsafe", "--json"], capture_output=True, text=True, timeout=120, env=env)
    assert unsafe.returncode == 0, unsafe.stderr
    [grade] = json.loads(unsafe.stdout)["submissions"]
    assert grade["status"] == "unknown assignment" and grade["sandbox"] == "none (--unsafe)"


def test_grade_without_the_default_folder_names_the_assign_out_folder_option(tmp_path, capsys, monkeypatch):
    """After `assign --out DIR`, a plain `grade` (which looks in build/assignments) says how to point at DIR."""
    monkeypatch.chdir(tmp_path)
    nb = tmp_path / "x.ipynb"
    nb.write_text('{"cells": [], "metadata": {"otter": {"assignment_name": "hw1_arrangements"}}, "nbformat": 4, '
                  '"nbformat_minor": 5}')
    assert main(["grade", str(nb), "--json"]) == 0
    [grade] = json.loads(capsys.readouterr().out)["submissions"]
    assert grade["status"] == "unknown assignment" and "--autograder DIR" in grade["message"]
    assert "assign --out" in grade["message"]


@pytest.mark.slow
def test_grade_finds_the_autograder_that_assign_out_wrote(assigned, monkeypatch, capsys):
    """`assign --out DIR` then `grade SUB` in the same folder: no --autograder needed."""
    out, _ = assigned
    monkeypatch.chdir(out.parent)
    student = out / "hw1_arrangements" / "student" / "hw1_arrangements.ipynb"
    assert main(["grade", str(student), "--json"]) == 0
    [grade] = json.loads(capsys.readouterr().out)["submissions"]
    assert grade["status"] == "graded" and grade["possible"] == 9 and grade["total"] == 0
