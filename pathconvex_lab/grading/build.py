"""Building assignments: ``otter assign`` on each master notebook, made byte-reproducible.

Layout of the output folder ``OUT``::

    OUT/<name>/student/<name>.ipynb             the notebook to hand out (public tests only)
    OUT/<name>/autograder/<name>.ipynb          solutions and every test
    OUT/<name>/autograder/<name>-autograder.zip what `grade` runs submissions against
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from .._validate import check_int
from ..errors import InputError, PathconvexError

#: Time limit for ``otter assign`` on one master notebook, in seconds.
ASSIGN_TIMEOUT_S = 300.0
#: Date written into every entry of a rebuilt autograder zip (zip timestamps start in 1980).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# =========================================================================== building (otter assign)


@dataclass(frozen=True)
class BuiltAssignment:
    """One assignment after ``otter assign``: where its three products are, and its questions."""

    name: str
    master: Path
    student: Path
    solution: Path
    autograder: Path
    questions: dict[str, float]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (paths as strings)."""
        return {"name": self.name, "master": str(self.master), "student": str(self.student),
                "solution": str(self.solution), "autograder": str(self.autograder),
                "questions": self.questions, "points": sum(self.questions.values()),
                "seconds": round(self.seconds, 2)}


def default_masters_dir() -> Path:
    """``notebooks/assignments`` of the source checkout (next to the package), else of the current
    folder, else the copy installed with the wheel (``<prefix>/share/pathconvex-lab/notebooks``)."""
    share = Path("share") / "pathconvex-lab" / "notebooks" / "assignments"  # where the wheel installs them
    for candidate in (Path(__file__).resolve().parents[2] / "notebooks" / "assignments",
                      Path.cwd() / "notebooks" / "assignments", Path(sys.prefix) / share):
        if candidate.is_dir():
            return candidate
    raise InputError("no notebooks/assignments/ folder found next to the package or in the current folder; "
                     "pass --masters DIR")


def find_masters(folder: str | os.PathLike) -> list[Path]:
    """The master notebooks (``*.ipynb`` whose first cell is a raw ``# ASSIGNMENT CONFIG``) in ``folder``."""
    import nbformat

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--masters must be an existing folder; got {str(folder)!r}")
    masters = []
    for path in sorted(folder.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        if cells and cells[0].cell_type == "raw" and cells[0].source.lstrip().startswith("# ASSIGNMENT CONFIG"):
            masters.append(path)
    if not masters:
        raise InputError(f"no otter master notebook (raw first cell '# ASSIGNMENT CONFIG') in {str(folder)!r}")
    return masters


def _stable_cell_ids(path: Path) -> None:
    """Rewrite the notebook at ``path`` with cell ids derived from position and content."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        digest = hashlib.sha1(f"{index}\0{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:8]
        cell["id"] = f"c{index:03d}-{digest}"
    nbformat.write(nb, path)


def _rezip(source: Path, target: Path) -> None:
    """Copy the zip ``source`` to ``target`` with sorted entries and fixed timestamps (byte-reproducible)."""
    with zipfile.ZipFile(source) as zin:
        entries = sorted((info.filename, zin.read(info)) for info in zin.infolist() if not info.is_dir())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = (0o755 if name == "run_autograder" else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


def question_points(autograder_zip: str | os.PathLike) -> dict[str, float]:
    """``{question: possible points}`` from the test files of an autograder zip, in test-file order."""
    with warnings.catch_warnings():  # otter's imports warn about deprecated traitlets usage
        warnings.simplefilter("ignore", DeprecationWarning)
        from otter.test_files import ExceptionTestFile

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(autograder_zip) as zf:
        names = sorted(n for n in zf.namelist() if re.fullmatch(r"tests/[^/]+\.py", n))
        points = {}
        for name in names:
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(zf.read(name))
            test_file = ExceptionTestFile.from_file(str(path))  # the masters use exception-based tests
            points[test_file.name] = float(test_file.possible)
    return points


def _child_env() -> dict[str, str]:
    """Environment for child processes: quiet, unbuffered, no user site packages."""
    env = dict(os.environ)
    env.update({"PYTHONUNBUFFERED": "1", "PYTHONNOUSERSITE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    return env


def build_assignment(master: str | os.PathLike, out: str | os.PathLike, *,
                     timeout: float = ASSIGN_TIMEOUT_S) -> BuiltAssignment:
    """Run ``otter assign`` on ``master`` into ``out/<name>/`` (replaced) and make the output reproducible.

    Raises PathconvexError with otter's output when it fails.
    """
    start = time.perf_counter()
    master = Path(master).resolve()
    name = master.stem
    target = Path(out).resolve() / name
    if target.exists():
        shutil.rmtree(target)
    argv = [sys.executable, "-m", "otter", "assign", "--no-pdfs", "--no-run-tests", str(master), str(target)]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=_child_env(),
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PathconvexError(f"otter assign on {master.name} did not finish within {timeout:.0f} s") from None
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        raise PathconvexError(f"otter assign failed on {master.name}: {' | '.join(tail)}")
    student, solution = target / "student" / f"{name}.ipynb", target / "autograder" / f"{name}.ipynb"
    for notebook in (student, solution):
        _stable_cell_ids(notebook)
    zips = sorted((target / "autograder").glob(f"{name}-autograder_*.zip"))
    if len(zips) != 1:
        raise PathconvexError(f"otter assign on {master.name} wrote {len(zips)} autograder zips; expected 1")
    autograder = target / "autograder" / f"{name}-autograder.zip"
    _rezip(zips[0], autograder)
    zips[0].unlink()
    return BuiltAssignment(name, master, student, solution, autograder, question_points(autograder),
                           time.perf_counter() - start)


def build_assignments(out: str | os.PathLike, masters: str | os.PathLike | None = None, *,
                      jobs: int = 1) -> list[BuiltAssignment]:
    """Build every master of ``masters`` (default: :func:`default_masters_dir`) into ``out``,
    ``jobs`` at a time (each in its own child process); results in master order."""
    folder = default_masters_dir() if masters is None else Path(masters)
    if Path(out).exists() and not Path(out).is_dir():
        raise InputError(f"--out {out}: is a file; give a folder (it is created if missing)")
    return _map_jobs(lambda master: build_assignment(master, out), find_masters(folder), jobs)


def _map_jobs(func: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> list[Any]:
    """``[func(x) for x in items]`` with up to ``jobs`` calls at once (threads: each call waits on a child process)."""
    jobs = check_int(jobs, "jobs", minimum=1)
    if jobs == 1 or len(items) <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(func, items))


# =========================================================================== grading (otter run)

