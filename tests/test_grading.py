"""Assignments and grading: the answer checks accept right answers and reject wrong ones with a
readable message; `otter assign` output is reproducible; each solution scores full points and
each student version zero on every question; bad submissions get 0 and a message, not a crash."""

from __future__ import annotations

import json
import math
import os
import socket
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathconvex_lab import grading
from pathconvex_lab.arrangements import pattern_bound
from pathconvex_lab.nets import path_norm
from reference_values import PATH_NORM_TEST_VECTOR_SQUARED

MASTERS_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "assignments"
ASSIGNMENTS = ("hw1_arrangements", "hw2_two_layer_convex", "hw3_path_norm_certificate")
#: Points per question, as stated in the masters.
POINTS = {
    "hw1_arrangements": {"q1": 2.0, "q2": 2.0, "q3": 2.0, "q4": 3.0},
    "hw2_two_layer_convex": {"q1": 3.0, "q2": 1.0, "q3": 3.0, "q4": 2.0},
    "hw3_path_norm_certificate": {"q1": 3.0, "q2": 1.0, "q3": 2.0, "q4": 2.0, "q5": 2.0},
}


def _fails(check, *args, match: str) -> str:
    with pytest.raises(grading.AnswerError, match=match) as info:
        check(*args)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --------------------------------------------------------------------------- answer checks (fast)


def _not_implemented(*_args):
    raise NotImplementedError("fill me in")


def test_missing_and_placeholder_answers_have_readable_messages():
    _fails(grading.answered, None, "x", match=r"`x` is not defined")
    _fails(grading.answered, ..., "x", match=r"`x` is still `...`")
    _fails(grading.call_answer, _not_implemented, "f", match=r"`f` is not implemented yet")
    _fails(grading.call_answer, lambda: 1 / 0, "f", match=r"`f\(...\)` raised ZeroDivisionError")
    _fails(grading.call_answer, lambda: None, "f", match=r"returned None")
    _fails(grading.call_answer, 3, "f", match=r"should be a function")
    assert grading.call_answer(lambda a: a + 1, "f", 1) == 2


def test_sign_patterns_check_accepts_any_column_order_and_rejects_wrong_answers():
    right = lambda X, U: np.unique(X @ U > 0, axis=1)[:, ::-1]  # noqa: E731
    grading.check_sign_patterns(right)
    grading.check_sign_patterns_random(right)
    _fails(grading.check_sign_patterns, lambda X, U: X @ U > 0, match="distinct")
    _fails(grading.check_sign_patterns, lambda X, U: np.unique(X @ U >= 0, axis=1), match="no column of U realizes")
    _fails(grading.check_sign_patterns, lambda X, U: np.unique(X @ U > 0, axis=1)[:, :1], match="misses")
    _fails(grading.check_sign_patterns, lambda X, U: (X @ U > 0).T, match="shape")


def test_cover_bound_checks():
    grading.check_cover_bound_all(pattern_bound)
    wrong = lambda n, r: 2 * sum(math.comb(n, k) for k in range(r))  # noqa: E731 - binom(n, k), not binom(n-1, k)
    _fails(grading.check_cover_bound, wrong, match=r"cover_bound\(6, 2\) is 14, but C\(6, 2\) = 12")
    off_by_one = lambda n, r: 2 * sum(math.comb(n - 1, k) for k in range(min(r, n - 1)))  # noqa: E731
    grading.check_cover_bound(off_by_one)  # right on the public table (r < n)...
    _fails(grading.check_cover_bound_all, off_by_one, match=r"cover_bound\(1, 1\) is 0")  # ...not for r >= n


def test_missed_pattern_checks():
    X = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    u = np.array([1.0, -2.0, 0.1])
    grading.check_missed(X @ u > 0, u, X)
    _fails(grading.check_missed, ~(X @ u > 0), u, X, match="differs from `missed`")
    _fails(grading.check_missed, X @ u > 0, np.array([1.0, -1.0, 0.0]), X, match="lies on a hyperplane")
    sampled = np.array([[True], [False], [True]])
    grading.check_missed_by_sampling(np.array([False, True, True]), sampled, X)
    _fails(grading.check_missed_by_sampling, np.array([True, False, True]), sampled, X, match="one of the sampled")


def test_rebuild_check_rejects_unbalanced_neurons():
    def balanced(V, W):
        blocks, signs = np.hstack([V, W]), np.r_[np.ones(V.shape[1]), -np.ones(W.shape[1])]
        keep = np.linalg.norm(blocks, axis=0) > 0
        root = np.sqrt(np.linalg.norm(blocks[:, keep], axis=0))
        return blocks[:, keep] / root, signs[keep] * root

    def unbalanced(V, W):
        U, alpha = balanced(V, W)
        return 2 * U, alpha / 2

    grading.check_rebuild(balanced)
    _fails(grading.check_rebuild, unbalanced, match="u = v / sqrt")
    X = np.array([[1.0, 1.0], [-1.0, 1.0], [2.0, 1.0]])
    D = np.array([[True], [False], [True]])
    V, W = np.array([[1.0], [0.5]]), np.zeros((2, 1))  # (2 D - 1) X v >= 0 holds
    grading.check_rebuild_network(balanced, X, D, V, W)
    _fails(grading.check_rebuild_network, unbalanced, X, D, V, W, match="not balanced")


@settings(max_examples=25, deadline=None)
@given(widths=st.lists(st.integers(1, 3), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_brute_force_path_norm_equals_the_one_pass_formula(widths, seed):
    """The grader's path enumeration against the kit's one-pass path norm (docs/mathematics.md §4.2)."""
    rng = np.random.default_rng(seed)
    dims = [2, *widths]
    weights = [rng.standard_normal((a, b)) for a, b in zip(dims[:-1], dims[1:], strict=True)]
    weights.append(rng.standard_normal(dims[-1]))
    assert grading.brute_force_path_norm(weights) == pytest.approx(path_norm(weights), rel=1e-12)


def test_path_norm_checks():
    one_pass = lambda ws: path_norm(ws)  # noqa: E731
    grading.check_path_norm_test_vector(one_pass)
    grading.check_path_norm_random(one_pass)
    squared = grading.brute_force_path_norm(list(grading.PATH_NORM_TEST_VECTOR)) ** 2
    assert squared == pytest.approx(PATH_NORM_TEST_VECTOR_SQUARED)
    _fails(grading.check_path_norm_test_vector, lambda ws: path_norm(ws) ** 2, match="return the square root")
    frobenius = lambda ws: float(np.prod([np.linalg.norm(w) for w in ws]))  # noqa: E731 - an upper bound only
    _fails(grading.check_path_norm_random, frobenius, match="sum over all paths")


def test_decision_checks():
    right = lambda s, b, p, lb, tol=1e-5: s <= b * (1 + tol) and p - lb <= tol * p  # noqa: E731
    grading.check_decide_optimal(right)
    grading.check_decide_optimal_edges(right)
    sigma_only = lambda s, b, p, lb, tol=1e-5: s <= b  # noqa: E731
    _fails(grading.check_decide_optimal, sigma_only, match="expected False")
    _fails(grading.check_decide_optimal, lambda s, b, p, lb: 1, match="True or False")


def test_clean_message_keeps_only_what_is_wrong():
    otter = ("❌ Test case failed\nError at line 10 in test q1:\n      grading.check_x(x)\n"
             "AnswerError: `x` is still `...`: replace the `...` with your answer")
    assert grading.clean_message(otter) == "`x` is still `...`: replace the `...` with your answer"
    other = "❌ Test case failed\nError at line 3 in test q2:\n      foo()\nNameError: name 'foo' is not defined"
    assert grading.clean_message(other) == "NameError: name 'foo' is not defined"


def test_read_submission_rejects_non_notebooks(tmp_path):
    text = tmp_path / "answers.txt"
    text.write_text("my answers")
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert grading.read_submission(text)[0] is None and "not a Jupyter notebook" in grading.read_submission(text)[1]
    assert grading.read_submission(broken)[0] is None and "not a valid" in grading.read_submission(broken)[1]
    assert "no such file" in grading.read_submission(tmp_path / "missing.ipynb")[1]


def test_masters_are_found_with_their_config():
    masters = grading.find_masters(MASTERS_DIR)
    assert [m.stem for m in masters] == list(ASSIGNMENTS)
    for master in masters:
        config = nbformat.read(master, as_version=4).cells[0].source
        assert f"name: {master.stem}" in config and "ok_format: false" in config


# --------------------------------------------------------------------------- otter assign, otter run (slow)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("assign") / "out"
    assignments = grading.build_assignments(out, MASTERS_DIR, jobs=3)
    assert [a.name for a in assignments] == list(ASSIGNMENTS)
    assert {a.name: a.questions for a in assignments} == POINTS
    return out


def _paths(out: Path, name: str) -> dict[str, Path]:
    return {"student": out / name / "student" / f"{name}.ipynb",
            "solution": out / name / "autograder" / f"{name}.ipynb",
            "zip": out / name / "autograder" / f"{name}-autograder.zip"}


def _edit(source: Path, target: Path, change) -> Path:
    nb = nbformat.read(source, as_version=4)
    change(nb)
    nbformat.write(nb, target)
    return target


def _answer_cell(nb, marker: str):
    return next(c for c in nb.cells if c.cell_type == "code" and marker in c.source)


@pytest.fixture(scope="module")
def bad_submissions(built, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("submissions")
    hw1, hw3 = _paths(built, ASSIGNMENTS[0])["solution"], _paths(built, ASSIGNMENTS[2])["solution"]

    def raise_in_q2(nb):
        cell = _answer_cell(nb, "sampled = sign_patterns(X, U)")
        cell.source = "1 / 0\n" + cell.source

    def drop_q4_answer(nb):
        nb.cells.remove(_answer_cell(nb, "def decide_optimal"))

    (folder / "answers.txt").write_text("q1: 42\n")
    (folder / "broken.ipynb").write_text('{"cells": [')
    return {
        "raises": _edit(hw1, folder / "alice.ipynb", raise_in_q2),  # also renamed: graded under its own name
        "missing": _edit(hw3, folder / "bob.ipynb", drop_q4_answer),
        "text": folder / "answers.txt",
        "broken": folder / "broken.ipynb",
    }


@pytest.fixture(scope="module")
def graded(built, bad_submissions) -> dict[str, grading.SubmissionGrade]:
    """Every solution, every student version and the bad submissions, graded in one batch."""
    jobs = {f"{kind}:{name}": _paths(built, name)[kind] for name in ASSIGNMENTS for kind in ("solution", "student")}
    jobs.update(bad_submissions)
    start = time.perf_counter()
    grades = grading.grade_submissions(list(jobs.values()), built, timeout=240, jobs=3)
    print(f"graded {len(grades)} submissions in {time.perf_counter() - start:.1f} s")
    return dict(zip(jobs, grades, strict=True))


@pytest.mark.slow
def test_assign_output_is_byte_reproducible(built, tmp_path):
    again = tmp_path / "again"
    grading.build_assignments(again, MASTERS_DIR, jobs=3)
    for name in ASSIGNMENTS:
        first, second = _paths(built, name), _paths(again, name)
        for kind in ("student", "solution", "zip"):
            assert first[kind].read_bytes() == second[kind].read_bytes(), f"{name} {kind} differs between builds"


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_version_hides_solutions_and_hidden_tests(built, name):
    paths = _paths(built, name)
    student, solution = (nbformat.read(paths[k], as_version=4) for k in ("student", "solution"))
    source = "\n".join(c.source for c in student.cells)
    assert "NotImplementedError" in source and "= ..." in source
    assert "BEGIN SOLUTION" not in source and "grading.check" not in source
    public = json.dumps(student.metadata["otter"]["tests"])
    everything = json.dumps(solution.metadata["otter"]["tests"])
    assert "hidden=True" not in public and "hidden=True" in everything
    assert student.metadata["otter"]["assignment_name"] == name
    with zipfile.ZipFile(paths["zip"]) as zf:
        tests = sorted(n for n in zf.namelist() if n.startswith("tests/"))
        assert tests == [f"tests/{q}.py" for q in POINTS[name]]
        if name != "hw2_two_layer_convex":  # hw1 and hw3 are graded with another seed than students use
            assert json.loads(zf.read("otter_config.json"))["seed_variable"] == "SEED"


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_scores_full_points(graded, name):
    grade = graded[f"solution:{name}"]
    assert grade.status == "graded" and not grade.errors, grade.to_dict()
    assert grade.total == grade.possible == sum(POINTS[name].values()), grade.to_dict()
    assert all(q.message == "all tests passed" for q in grade.questions.values())


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_version_scores_zero_on_every_question(graded, name):
    """No test passes on the unanswered notebook: none is vacuous."""
    grade = graded[f"student:{name}"]
    assert grade.status == "graded", grade.to_dict()
    assert set(grade.questions) == set(POINTS[name])
    for question, result in grade.questions.items():
        assert result.score == 0 and result.possible == POINTS[name][question], (question, result)
        assert "not implemented yet" in result.message or "still `...`" in result.message \
            or "not defined" in result.message, (question, result.message)
        assert "Traceback" not in result.message


@pytest.mark.slow
def test_a_notebook_that_raises_loses_only_what_depends_on_the_error(graded):
    grade = graded["raises"].to_dict()
    assert grade["status"] == "graded"
    assert any("ZeroDivisionError" in e for e in grade["errors"]), grade["errors"]
    assert grade["questions"]["q1"]["score"] == 2  # before the error
    assert grade["questions"]["q2"]["score"] == 0
    assert "`sampled` is not defined" in grade["questions"]["q2"]["message"]


@pytest.mark.slow
def test_a_missing_answer_scores_zero_with_a_message(graded):
    questions = graded["missing"].to_dict()["questions"]
    assert questions["q4"]["score"] == 0
    assert questions["q4"]["message"].startswith("`decide_optimal` is not defined")
    assert questions["q1"]["score"] == 3 and questions["q3"]["score"] == 2


@pytest.mark.slow
@pytest.mark.parametrize(("key", "why"), [("text", "not a Jupyter notebook"),
                                          ("broken", "not a valid Jupyter notebook")])
def test_files_that_are_not_notebooks_score_zero(graded, key, why):
    grade = graded[key]
    assert grade.status == "not a notebook" and why in grade.message
    assert grade.total == 0 and grade.questions == {}  # which assignment it was meant for is unknown


@pytest.mark.slow
def test_non_notebook_against_a_zip_lists_every_question(built, bad_submissions):
    grade = grading.grade_submission(bad_submissions["text"], _paths(built, ASSIGNMENTS[0])["zip"])
    assert grade.status == "not a notebook" and "not a Jupyter notebook" in grade.message
    assert {q: r.possible for q, r in grade.questions.items()} == POINTS[ASSIGNMENTS[0]]
    assert grade.total == 0 and grade.possible == 9


@pytest.mark.slow
def test_a_submission_for_another_assignment_is_refused(built):
    grade = grading.grade_submission(_paths(built, ASSIGNMENTS[1])["solution"], _paths(built, ASSIGNMENTS[0])["zip"])
    assert grade.status == "unknown assignment" and grade.total == 0
    assert "hw2_two_layer_convex" in grade.message and "hw1_arrangements" in grade.message


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except OSError:
        return False


def _canary_processes(canary: str) -> list[int]:
    """Live processes of this machine (any namespace) whose command line holds ``canary``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if canary.encode() in (entry / "cmdline").read_bytes() and _alive(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _wait_gone(canary: str, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _canary_processes(canary):
        time.sleep(0.2)
    return _canary_processes(canary)


def _grading_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("pathconvex-grade-*")}


@pytest.mark.slow
def test_a_timeout_scores_zero_and_ends_every_process_and_folder(built, tmp_path):
    """A submission that never ends scores 0 at the time limit, and the process it started and its
    grading folder are gone afterwards. The limit counts from the kernel's start, which the
    submission does not control (a loaded machine can take longer than the limit to start it)."""
    canary = f"pathconvex-canary-{os.getpid()}-timeout"

    def hang(nb):
        cell = nbformat.v4.new_code_cell(
            "import subprocess, sys, time\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {canary!r}])\n"
            "time.sleep(600)")
        nb.cells.insert(1, cell)  # right after otter's init cell

    submission = _edit(_paths(built, ASSIGNMENTS[0])["solution"], tmp_path / "hw1_arrangements.ipynb", hang)
    before = _grading_folders()
    seen: list[int] = []
    watcher = threading.Thread(target=lambda: seen.extend(_wait_seen(canary, 600.0)), daemon=True)
    watcher.start()
    grade = grading.grade_submission(submission, built, timeout=60)
    watcher.join(5)
    assert seen, f"the kernel never reached the hanging cell: {grade.message}"
    assert grade.status == "timeout" and grade.total == 0 and "time limit of 60 s" in grade.message
    assert all(q.score == 0 and "time limit" in q.message for q in grade.questions.values())
    assert not _wait_gone(canary), "a process started by a timed-out submission is still running"
    assert _grading_folders() <= before, "a timed-out submission's grading folder was left behind"


@pytest.mark.slow
def test_a_kernel_that_does_not_start_in_time_is_an_error_to_grade_again(built, tmp_path):
    """Starting the kernel has its own limit: past it the grade is an error that says to grade again
    (not a timeout charged to the submission), and nothing is left running or on disk."""
    before = _grading_folders()
    solution = _paths(built, ASSIGNMENTS[0])["solution"]
    grade = grading.grade_submission(solution, built, timeout=60, start_timeout=0.001)
    assert grade.status == "error" and grade.total == 0
    assert "did not start within 0.001 s" in grade.message and "grade it again" in grade.message
    assert _grading_folders() <= before


def _wait_seen(canary: str, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = _canary_processes(canary)
        if found:
            return found
        time.sleep(0.2)
    return []


@pytest.mark.slow
def test_a_submission_sees_neither_the_graders_environment_nor_its_home(built, tmp_path, monkeypatch):
    home = tmp_path / "grader-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATHCONVEX_TEST_SECRET", "s3cr3t-value")

    def snoop(nb):
        cell = nbformat.v4.new_code_cell(
            "import os, pathlib\n"
            "pathlib.Path.home().joinpath('written-by-submission').write_text('x')\n"
            "leak = os.environ.get('PATHCONVEX_TEST_SECRET', 'absent')\n"
            "raise RuntimeError('the secret is ' + leak + ' and HOME is ' + str(pathlib.Path.home()))")
        nb.cells.insert(0, cell)

    submission = _edit(_paths(built, ASSIGNMENTS[0])["solution"], tmp_path / "hw1_arrangements.ipynb", snoop)
    grade = grading.grade_submission(submission, built, timeout=240).to_dict()
    text = json.dumps(grade)
    assert "the secret is absent" in text, grade["errors"]
    assert "s3cr3t-value" not in text
    assert not (home / "written-by-submission").exists()
    assert str(home) not in text


def test_scores_are_taken_in_the_autograders_points_never_the_runs():
    assert grading._scored_points({"score": 1000.0, "possible": 1000.0}, 3.0) == 3.0
    assert grading._scored_points({"score": 5.0, "possible": 10.0}, 3.0) == 1.5
    assert grading._scored_points({"score": 1e9, "possible": 1.0}, 3.0) == 3.0
    assert grading._scored_points({"score": float("nan"), "possible": 1.0}, 3.0) == 0.0
    assert grading._scored_points({"score": "all", "possible": 1.0}, 3.0) == 0.0
    assert grading._scored_points({"score": 1.0, "possible": 0.0}, 3.0) == 0.0


# --------------------------------------------------------------------------- attacks on grading (slow)
#
# Each attack is a cell put at the top of an unanswered (student) notebook, or of a solution where
# it says so; every attacked notebook must score what it would without the attack, and leave no
# process, file or folder behind.

ATTACK_CANARY = f"pathconvex-canary-{os.getpid()}-attack"
#: A file the write attack puts in /tmp: the sandbox's /tmp is private, so it never appears here.
HOST_TMP_FILE = Path(tempfile.gettempdir()) / f"pathconvex-attack-{os.getpid()}"


def _attack_cells(zip_path: Path, solution: Path, outside: Path, marker: Path, port: int) -> dict[str, str]:
    return {
        # rewrite otter's results as they are pickled out of the kernel
        "patch_pickle": (
            "import pickle\n_real_dump = pickle.dump\n"
            "def _forged_dump(obj, file, *args, **kwargs):\n"
            "    try:\n"
            "        for tf in obj.results.values():\n"
            "            tf.test_case_results = [r._replace(passed=True) for r in tf.test_case_results]\n"
            "    except Exception:\n"
            "        pass\n"
            "    return _real_dump(obj, file, *args, **kwargs)\n"
            "pickle.dump = _forged_dump\n"),
        # make every check pass wherever it would run in this kernel
        "patch_checker": (
            "import numpy, otter.test_files.exception_test as _et\n"
            "from otter.test_files.abstract_test import TestCaseResult\n"
            "def _all_pass(self, env):\n"
            "    self.test_case_results = [TestCaseResult(test_case=tc, message='ok', passed=True)"
            " for tc in self.test_cases]\n"
            "_et.ExceptionTestFile.run = _all_pass\n"
            "import pathconvex_lab.grading as _g, pathconvex_lab.grading.checks as _c\n"
            "for _name in dir(_c):\n"
            "    if _name.startswith('check_'):\n"
            "        setattr(_c, _name, lambda *a, **k: None)\n"
            "        setattr(_g, _name, lambda *a, **k: None)\n"
            "numpy.allclose = lambda *a, **k: True\n"),
        # a pickle that runs a command wherever it is unpickled, dropped where results might be read,
        # a forged result file, and an answer that is such an object
        "forged_results": (
            "import os, json, pickle, pathlib\n"
            "class _Payload:\n"
            f"    def __reduce__(self):\n        return (os.system, ({f'touch {marker}'!r},))\n"
            "blob = pickle.dumps(_Payload())\n"
            "for folder in (pathlib.Path.cwd(), pathlib.Path.cwd().parent, pathlib.Path('/tmp')):\n"
            "    for name in ('results.pkl', '.otter_results.pkl', 'result.json', '.OTTER_LOG'):\n"
            "        try:\n            (folder / name).write_bytes(blob)\n"
            "        except OSError:\n            pass\n"
            "forged = {'questions': {q: {'score': 1000, 'possible': 1000, 'cases': []} for q in ('q1', 'q2', 'q3', 'q4')},"
            " 'errors': [], 'error': None}\n"
            "try:\n    (pathlib.Path.cwd().parent / 'result.json').write_text(json.dumps(forged))\n"
            "except OSError:\n    pass\n"
            "sign_patterns = cover_bound = _Payload()\n"),
        # read the hidden tests: the autograder zip, the solutions, any test file on the disk
        "steal_hidden_tests": (
            "import os, pathlib\nfound = []\n"
            f"for path in ({str(zip_path)!r}, {str(solution)!r}):\n"
            "    try:\n        found.append(pathlib.Path(path).read_bytes().decode('latin1'))\n"
            "    except OSError as exc:\n        found.append(type(exc).__name__)\n"
            "for root, dirs, files in os.walk('/'):\n"
            "    if root.startswith(('/proc', '/sys', '/dev', '/usr')):\n        dirs[:] = []\n        continue\n"
            "    for f in files:\n"
            "        if f.endswith(('.zip', '.ipynb')) or f in ('q1.py', 'q2.py', 'q3.py', 'q4.py'):\n"
            "            try:\n                data = open(os.path.join(root, f), 'rb').read()\n"
            "            except OSError:\n                continue\n"
            "            if b'test_cover_bound_all_sizes' in data:\n"
            "                found.append(data.decode('latin1'))\n"
            "raise RuntimeError('STOLEN ' + ' | '.join(found))\n"),
        # three processes meant to outlive grading
        "escape_processes": (
            "import os, subprocess, sys\n"
            f"sleeper = [sys.executable, '-c', 'import time; time.sleep(600)', {ATTACK_CANARY!r}]\n"
            "subprocess.Popen(sleeper, start_new_session=True)\n"
            "subprocess.Popen(['nohup'] + sleeper, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execv(sys.executable, sleeper)\n"
            "    os._exit(0)\n"
            "os.waitpid(pid, 0)\n"),
        # the network: a port the test listens on, and the outside world
        "network": (
            "import socket\nresults = []\n"
            f"for host, port in (('127.0.0.1', {port}), ('1.1.1.1', 53), ('10.255.255.1', 80)):\n"
            "    s = socket.socket()\n    s.settimeout(3)\n"
            "    try:\n        s.connect((host, port))\n        results.append('connected to ' + host)\n"
            "    except OSError as exc:\n        results.append(host + ' ' + type(exc).__name__)\n"
            "raise RuntimeError('NET ' + '; '.join(results))\n"),
        # write outside its own folder
        "write_outside": (
            "import pathlib\nresults = []\n"
            f"for target in ({str(outside)!r}, '/etc/pathconvex-written', '/usr/pathconvex-written',"
            f" {str(HOST_TMP_FILE)!r}):\n"
            "    try:\n        pathlib.Path(target).write_text('x')\n        results.append('wrote ' + target)\n"
            "    except OSError as exc:\n        results.append(type(exc).__name__)\n"
            "raise RuntimeError('WRITE ' + '; '.join(results))\n"),
    }


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the host's loopback that counts the connections it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted: list[str] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append("connection")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture(scope="module")
def attacked(built, listener, tmp_path_factory) -> dict:
    """Every attack graded in one batch, with what it left behind."""
    folder = tmp_path_factory.mktemp("attacks")
    hw1 = _paths(built, ASSIGNMENTS[0])
    outside, marker = folder / "written-outside", folder / "pwned"
    cells = _attack_cells(hw1["zip"], hw1["solution"], outside, marker, listener[0])
    jobs = {}
    for name, source in cells.items():
        def attack(nb, source=source):
            nb.cells.insert(1, nbformat.v4.new_code_cell(source))
        (folder / name).mkdir()
        jobs[name] = _edit(hw1["student"], folder / name / "hw1_arrangements.ipynb", attack)

    def inflate_points(nb):  # a solution whose own copy of the tests claims 1000 points each
        nb.metadata["otter"]["tests"] = {q: text.replace("points", "points = 1000  #")
                                         for q, text in nb.metadata["otter"].get("tests", {}).items()}
    (folder / "points").mkdir()
    jobs["inflate_points"] = _edit(hw1["solution"], folder / "points" / "hw1_arrangements.ipynb", inflate_points)
    before = _grading_folders()
    seen: list[int] = []
    watcher = threading.Thread(target=lambda: seen.extend(_wait_seen(ATTACK_CANARY, 600.0)), daemon=True)
    watcher.start()
    grades = grading.grade_submissions(list(jobs.values()), built, timeout=240, jobs=3)
    watcher.join(5)
    return {"grades": dict(zip(jobs, grades, strict=True)), "outside": outside, "marker": marker,
            "before": before, "seen": seen, "accepted": listener[1]}


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["patch_pickle", "patch_checker", "forged_results", "steal_hidden_tests",
                                    "escape_processes", "network", "write_outside"])
def test_an_attacked_unanswered_notebook_scores_zero(attacked, attack):
    grade = attacked["grades"][attack]
    assert grade.status == "graded", grade.to_dict()
    assert grade.total == 0 and grade.possible == 9, grade.to_dict()
    assert grade.sandbox.startswith("bubblewrap"), grade.sandbox


@pytest.mark.slow
def test_a_solution_claiming_1000_points_a_test_scores_its_true_points(attacked):
    grade = attacked["grades"]["inflate_points"]
    assert grade.total == 9 and grade.possible == 9, grade.to_dict()


@pytest.mark.slow
def test_no_pickle_from_a_submission_is_ever_unpickled(attacked):
    assert not attacked["marker"].exists(), "a pickle written by a submission ran a command outside its sandbox"


@pytest.mark.slow
def test_the_hidden_tests_are_out_of_a_submissions_reach(attacked):
    grade = attacked["grades"]["steal_hidden_tests"]
    text = json.dumps(grade.to_dict())
    assert "STOLEN FileNotFoundError | FileNotFoundError" in text, grade.errors  # the attempt ran, and failed
    assert "test_cover_bound_all_sizes" not in text


@pytest.mark.slow
def test_a_submission_has_no_network(attacked):
    errors = " ".join(attacked["grades"]["network"].errors)
    assert "NET 127.0.0.1" in errors and "connected" not in errors, errors
    assert attacked["accepted"] == [], "the submission reached a port on the grader's machine"


@pytest.mark.slow
def test_a_submission_writes_only_into_its_own_folder(attacked):
    errors = " ".join(attacked["grades"]["write_outside"].errors)
    assert f"wrote {HOST_TMP_FILE}" in errors, errors  # its private /tmp is writable...
    assert not HOST_TMP_FILE.exists()  # ...and not the grader's
    assert errors.count("wrote") == 1, errors
    assert not attacked["outside"].exists()
    assert not Path("/etc/pathconvex-written").exists() and not Path("/usr/pathconvex-written").exists()


@pytest.mark.slow
def test_nothing_a_submission_started_outlives_its_grading(attacked):
    assert attacked["seen"], "the escaping processes never started (the attack did not run)"
    assert not _wait_gone(ATTACK_CANARY), "a process started by a graded submission is still running"
    assert _grading_folders() <= attacked["before"], "a grading folder was left behind"


def test_without_a_sandbox_grading_refuses_unless_unsafe(monkeypatch, tmp_path):
    import pathconvex_lab.grading.run as run

    monkeypatch.setattr(run, "sandbox_status", lambda: (False, "bubblewrap (bwrap) is not installed"))
    nb = tmp_path / "x.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    with pytest.raises(grading.SandboxUnavailable, match=r"bwrap\) is not installed.*--unsafe"):
        grading.grade_submissions([nb], tmp_path)
    [grade] = grading.grade_submissions([nb], tmp_path / "nowhere", unsafe=True)
    assert grade.status == "unknown assignment"


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_an_unanswered_student_notebook_never_prints_a_placeholder(built, name, tmp_path):
    """Run as handed out (errors allowed, as a student would): no output reads ``Ellipsis``."""
    from nbclient import NotebookClient

    path = tmp_path / f"{name}.ipynb"
    path.write_bytes(_paths(built, name)["student"].read_bytes())
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    texts = [o.get("text", "") + o.get("data", {}).get("text/plain", "")
             for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [t for t in texts if "Ellipsis" in t]
    if name != "hw2_two_layer_convex":  # hw2's unanswered cells raise before anything is shown
        assert any("not answered yet" in t for t in texts)


def test_the_sandbox_mounts_its_private_tmp_before_the_folders_it_shows(monkeypatch, tmp_path):
    """A checkout (and its venv) under /tmp must stay visible: the private /tmp is mounted first,
    the read-only folders on top of it (else bwrap cannot find the interpreter)."""
    from pathconvex_lab.grading import sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "/usr/bin/bwrap")
    venv = tmp_path / "checkout" / ".venv"
    venv.mkdir(parents=True)
    monkeypatch.setattr(sandbox, "visible_roots", lambda: [Path("/usr"), venv])
    cmd = sandbox.sandbox_command(["python"], tmp_path / "work", {"PATH": "/usr/bin"})
    tmp_mount = next(i for i in range(len(cmd) - 1) if cmd[i:i + 2] == ["--tmpfs", "/tmp"])
    venv_bind = next(i for i in range(len(cmd) - 2) if cmd[i:i + 3] == ["--ro-bind", str(venv), str(venv)])
    assert tmp_mount < venv_bind < cmd.index("--bind")
