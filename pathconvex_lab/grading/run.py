"""Grading submissions: each notebook in a sandbox, scored by a referee it cannot touch.

:func:`grade_submission` makes a private folder for one submission and starts the referee
(``python -m pathconvex_lab.grading.referee``) under a time limit. The referee runs the
submission in a sandbox (:mod:`.sandbox`: bubblewrap; no network, read-only system, a private
/tmp, its own folder the only one it may write) and scores it with every test of the autograder
zip in its own process, on answers that cross as plain data (:mod:`.wire`). Scores are the
fraction of each question's tests passed times the points written in the autograder zip.
Whatever happens (a notebook that raises, a missing answer, a file that is not a notebook, a
timeout) the submission gets a score and readable messages, and nothing it started outlives it.

Where no sandbox can be made, grading refuses (:class:`SandboxUnavailable`) unless
``unsafe=True`` (``--unsafe``): then the notebook runs with the grader's rights (the scoring is
still done by the referee on plain data).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .._validate import check_positive
from ..errors import InputError, PathconvexError
from .build import _map_jobs, question_points
from .referee import STARTED_FILE
from .sandbox import INSTALL_HINT, grading_env, sandbox_status

#: Default time limit for grading one submission, in seconds, counted from its kernel's start.
GRADE_TIMEOUT_S = 300.0
#: Default limit, in seconds, for starting a submission's kernel (not the submission's doing: a
#: busy machine can take long; a kernel that does not start in time is an error, not a score).
KERNEL_START_TIMEOUT_S = 300.0


class SandboxUnavailable(PathconvexError):
    """No sandbox can be made on this machine, and grading without one was not asked for."""


def require_sandbox(unsafe: bool) -> str:
    """The sandbox that grading will use (``"none (--unsafe)"`` when ``unsafe``); SandboxUnavailable
    when there is none and ``unsafe`` is False."""
    if unsafe:
        return "none (--unsafe)"
    ok, what = sandbox_status()
    if not ok:
        raise SandboxUnavailable(f"grading needs a sandbox, and {what}: {INSTALL_HINT}")
    return what


@dataclass
class QuestionGrade:
    """Score of one question, and what was wrong (``"all tests passed"`` when nothing)."""

    score: float
    possible: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "possible": self.possible, "message": self.message}


@dataclass
class SubmissionGrade:
    """Result of grading one submission.

    ``status`` is ``"graded"``, ``"not a notebook"``, ``"unknown assignment"``, ``"timeout"`` or
    ``"error"``, and ``message`` says why when it is not ``"graded"`` (then every score is 0);
    ``errors`` lists the exceptions the notebook's own cells raised while it ran; ``sandbox`` names
    the isolation it ran in (e.g. ``"bubblewrap 0.8.0"``, or ``"none (--unsafe)"``).
    """

    file: str
    assignment: str | None
    status: str
    questions: dict[str, QuestionGrade]
    message: str = ""
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sandbox: str = ""

    @property
    def total(self) -> float:
        return float(sum(q.score for q in self.questions.values()))

    @property
    def possible(self) -> float:
        return float(sum(q.possible for q in self.questions.values()))

    def to_dict(self) -> dict[str, Any]:
        """``{"file", "total", "possible", "questions": {name: {"score", "possible", "message"}}, ...}``."""
        return {"file": self.file, "assignment": self.assignment, "status": self.status, "message": self.message,
                "total": self.total, "possible": self.possible,
                "questions": {k: q.to_dict() for k, q in self.questions.items()},
                "errors": self.errors, "seconds": round(self.seconds, 2), "sandbox": self.sandbox}


def _zero_grade(file: str, assignment: str | None, status: str, points: dict[str, float], message: str,
                seconds: float = 0.0) -> SubmissionGrade:
    questions = {name: QuestionGrade(0.0, possible, message) for name, possible in points.items()}
    return SubmissionGrade(file, assignment, status, questions, message, seconds=seconds)


def read_submission(path: str | os.PathLike) -> tuple[Any | None, str]:
    """``(notebook, "")`` if ``path`` is a readable Jupyter notebook, else ``(None, why not)``."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        return None, f"no such file: {path}"
    if path.suffix != ".ipynb":
        return None, f"{path.name} is not a Jupyter notebook (.ipynb): submit the assignment's .ipynb file"
    try:
        return nbformat.read(path, as_version=4), ""
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a notebook"
        return None, f"{path.name} is not a valid Jupyter notebook ({type(exc).__name__}: {str(exc)[:120]})"


def submission_assignment(nb: Any) -> str | None:
    """The assignment name that otter wrote into a notebook's metadata, if any."""
    return (nb.metadata.get("otter") or {}).get("assignment_name")


#: Where ``pathconvex-lab assign`` writes by default (relative to the current folder).
DEFAULT_BUILD_DIR = Path("build") / "assignments"


def find_autograder(assignment: str, root: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """The autograder zip of ``assignment`` that ``assign`` wrote under ``root`` (default: the
    current folder): in ``build/assignments/`` (its default ``--out``), in ``root`` itself, or in
    any folder directly inside ``root`` (another ``--out``). ``(None, why)`` when there is none or
    more than one."""
    root = Path.cwd() if root is None else Path(root)
    relative = Path(assignment) / "autograder" / f"{assignment}-autograder.zip"
    candidates = [root / DEFAULT_BUILD_DIR / relative, root / relative, *sorted(root.glob(f"*/{relative}"))]
    found = list(dict.fromkeys(p.resolve() for p in candidates if p.is_file()))
    if len(found) == 1:
        return found[0], ""
    if not found:
        return None, (f"no autograder for assignment {assignment!r} in {DEFAULT_BUILD_DIR} or any folder here; "
                      "build the assignments first (pathconvex-lab assign), or pass --autograder DIR with the folder "
                      "you gave `assign --out`, or the assignment's autograder zip")
    return None, (f"{len(found)} autograders for assignment {assignment!r} here ({', '.join(map(str, found))}); "
                  "choose one with --autograder")


def resolve_autograder(autograder: str | os.PathLike | None, assignment: str | None) -> tuple[Path | None, str]:
    """The autograder zip for ``assignment``: ``autograder`` itself if it is a zip, else
    ``autograder/<assignment>/autograder/<assignment>-autograder.zip``; with ``autograder=None``,
    :func:`find_autograder` in the current folder. ``(None, why)`` if not found."""
    if autograder is None:
        if assignment is None:
            return None, ("the notebook carries no assignment name (otter metadata): grade it with "
                          "--autograder <the assignment's autograder zip>")
        return find_autograder(assignment)
    path = Path(autograder)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            return None, f"--autograder {path}: not a zip file; give an autograder zip or the folder `assign --out` wrote"
        return path, ""
    if not path.is_dir():
        return None, (f"--autograder {path}: no such zip or folder; build the assignments first "
                      "(pathconvex-lab assign), or pass --autograder DIR with the folder you gave `assign --out`, "
                      "or the assignment's autograder zip")
    if assignment is None:
        return None, ("the notebook carries no assignment name (otter metadata): grade it with "
                      "--autograder <the assignment's autograder zip>")
    zip_path = path / assignment / "autograder" / f"{assignment}-autograder.zip"
    if not zip_path.is_file():
        known = sorted(p.parent.parent.name for p in path.glob("*/autograder/*-autograder.zip"))
        return None, f"no autograder for assignment {assignment!r} in {path} (found: {', '.join(known) or 'none'})"
    return zip_path, ""


_OTTER_FAILURE = re.compile(r"Error at line \d+ in test [^\n]*:\n[^\n]*\n(?P<error>.*)", re.S)


def clean_message(message: str) -> str:
    """One readable line from an otter test-case failure (drops otter's header and the test's source line)."""
    text = message.replace("❌ Test case failed", "").strip()
    match = _OTTER_FAILURE.search(text)
    if match:
        text = match.group("error").strip()
    text = re.sub(r"^(AnswerError|AssertionError): ", "", text)
    return " ".join(text.split())


def _kill_tree(proc: subprocess.Popen) -> None:
    """End ``proc``, its process group and every descendant: the notebook's kernel runs in a session
    of its own (jupyter_client starts kernels with ``start_new_session``), so the group is not enough."""
    try:
        import psutil  # a dependency of IPython, so present wherever otter runs notebooks

        descendants = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - psutil missing, or the process already gone
        descendants = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    for child in descendants:
        try:
            child.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass
    proc.wait()


def _question_message(question: dict[str, Any]) -> str:
    failed = [c for c in question["cases"] if not c["passed"]]
    if not failed:
        return "all tests passed"
    messages: dict[str, str] = {}  # message -> suffix; a message seen in a public test is not repeated
    for case in failed:
        messages.setdefault(clean_message(case["message"]), " (hidden test)" if case["hidden"] else "")
    return "; ".join(text + suffix for text, suffix in messages.items())


def grade_submission(submission: str | os.PathLike, autograder: str | os.PathLike | None, *,
                     timeout: float = GRADE_TIMEOUT_S, unsafe: bool = False,
                     start_timeout: float = KERNEL_START_TIMEOUT_S) -> SubmissionGrade:
    """Grade one submission against an autograder zip (or the folder written by :func:`build_assignments`;
    None: the one :func:`find_autograder` finds in the current folder).

    The notebook runs in a sandbox, scored by a referee process (see the module docstring); both
    end, with every process the notebook started, ``timeout`` seconds after the notebook's kernel
    has started (starting it may take up to ``start_timeout`` seconds, which a busy machine, not
    the submission, decides; past that the grade is an error, "grade again"). Never raises for a
    bad submission: the result says what went wrong. Raises SandboxUnavailable when no sandbox can
    be made and ``unsafe`` is False.
    """
    timeout = check_positive(timeout, "timeout")
    start_timeout = check_positive(start_timeout, "start_timeout")
    sandbox = require_sandbox(unsafe)
    grade = _grade(submission, autograder, timeout, start_timeout, unsafe)
    grade.sandbox = sandbox
    return grade


def _wait_for_kernel(proc: subprocess.Popen, started: Path, limit: float) -> bool:
    """Wait until the referee ``proc`` marks its submission's kernel as started (the file ``started``
    exists) or ends; False when neither happens within ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not started.exists() and proc.poll() is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _grade(submission: str | os.PathLike, autograder: str | os.PathLike | None, timeout: float,
           start_timeout: float, unsafe: bool) -> SubmissionGrade:
    """:func:`grade_submission` once the sandbox is settled."""
    start = time.perf_counter()
    file = str(submission)
    nb, why = read_submission(submission)
    assignment = submission_assignment(nb) if nb is not None else None
    zip_path, zip_why = resolve_autograder(autograder, assignment)
    if nb is None:  # its questions are known only when the autograder is a zip
        return _zero_grade(file, None, "not a notebook", question_points(zip_path) if zip_path else {}, why)
    if zip_path is None:
        return _zero_grade(file, assignment, "unknown assignment", {}, zip_why)
    points = question_points(zip_path)
    with zipfile.ZipFile(zip_path) as zf:
        expected_name = json.loads(zf.read("otter_config.json")).get("assignment_name")
    if assignment is not None and expected_name is not None and assignment != expected_name:
        return _zero_grade(file, assignment, "unknown assignment", points,
                           f"this notebook is assignment {assignment!r}, but the autograder is for {expected_name!r}")
    with tempfile.TemporaryDirectory(prefix="pathconvex-grade-") as tmp:
        # the submission's folder: the only one its sandbox shows it, and may write
        work = Path(tmp) / "work"
        work.mkdir()
        # otter's init cell opens the notebook by the assignment's file name: grade a copy so named
        copy = work / f"{expected_name or Path(file).stem}.ipynb"
        shutil.copyfile(submission, copy)
        result_path = Path(tmp) / "result.json"
        argv = [sys.executable, "-m", "pathconvex_lab.grading.referee", str(Path(zip_path).resolve()), str(copy),
                str(result_path)] + (["--unsafe"] if unsafe else [])
        env = grading_env(Path(tmp) / "referee")  # its own home and working folder, out of the submission's reach
        proc = subprocess.Popen(argv, cwd=env["HOME"], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        if not _wait_for_kernel(proc, Path(tmp) / STARTED_FILE, start_timeout):
            _kill_tree(proc)
            return _zero_grade(file, assignment, "error", points,
                               f"the notebook's kernel did not start within {start_timeout:g} s (a busy machine?): "
                               "grade it again", time.perf_counter() - start)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc)
            return _zero_grade(file, assignment, "timeout", points,
                               f"grading stopped after the time limit of {timeout:.0f} s: does the notebook loop "
                               "forever or compute something much larger than asked?", time.perf_counter() - start)
        if not result_path.is_file():
            tail = " ".join(output.decode(errors="replace").strip().splitlines()[-2:])
            return _zero_grade(file, assignment, "error", points, f"the grader crashed: {tail[:300]}",
                               time.perf_counter() - start)
        summary = _read_summary(result_path)
    if summary is None:
        return _zero_grade(file, assignment, "error", points, "the grader's result file was unreadable",
                           time.perf_counter() - start)
    if summary["error"] and not summary["questions"]:
        grade = _zero_grade(file, assignment, "error", points, f"grading failed: {summary['error'][:300]}",
                            time.perf_counter() - start)
        grade.errors = summary["errors"]
        return grade
    questions = {}
    for name, possible in points.items():  # the points come from the autograder, never from the run
        q = summary["questions"].get(name)
        questions[name] = (QuestionGrade(0.0, possible, "not graded (no test results)") if q is None else
                           QuestionGrade(_scored_points(q, possible), possible, _question_message(q)))
    return SubmissionGrade(file, assignment or expected_name, "graded", questions, errors=summary["errors"],
                           seconds=time.perf_counter() - start)


def _read_summary(path: Path) -> dict[str, Any] | None:
    """The child's JSON summary, or None when it is not the expected shape."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(summary, dict) and isinstance(summary.get("questions"), dict)
            and isinstance(summary.get("errors"), list)):
        return None
    return summary


def _scored_points(result: dict[str, Any], possible: float) -> float:
    """A question's score in the autograder's points: the fraction of the run's points it earned
    (clipped to [0, 1]; 0 for anything that is not a finite number) times ``possible``."""
    try:
        fraction = float(result["score"]) / float(result["possible"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return 0.0
    return possible * min(max(fraction, 0.0), 1.0) if math.isfinite(fraction) else 0.0


def grade_submissions(submissions: Sequence[str | os.PathLike], autograder: str | os.PathLike | None, *,
                      timeout: float = GRADE_TIMEOUT_S, jobs: int = 1, unsafe: bool = False) -> list[SubmissionGrade]:
    """:func:`grade_submission` for each submission, ``jobs`` at a time; results in input order.
    An autograder that is a file but not a zip is the grader's mistake, not the students': InputError;
    no sandbox (and not ``unsafe``): SandboxUnavailable, before any submission runs."""
    if autograder is not None and Path(autograder).is_file() and not zipfile.is_zipfile(autograder):
        raise InputError(f"--autograder {autograder}: not a zip file; give an autograder zip or the folder "
                         "`pathconvex-lab assign --out` wrote")
    require_sandbox(unsafe)
    return _map_jobs(lambda sub: grade_submission(sub, autograder, timeout=timeout, unsafe=unsafe),
                     list(submissions), jobs)
