"""The referee: scores one submission with every test of an autograder zip, outside the sandbox.

``python -m pathconvex_lab.grading.referee AUTOGRADER_ZIP NOTEBOOK RESULT_JSON [--unsafe]``

It starts the submission's :mod:`.runner` in a sandbox (:mod:`.sandbox`; directly with
``--unsafe``), writes the file :data:`STARTED_FILE` beside the result file once the notebook's
kernel has started (the grader's time limit counts from then), waits until its notebook has run, then runs each test file of the zip (otter's
exception-based format) here, against a :class:`.wire.RemoteNamespace`: the tests' ``check_*``
functions see the submission's answers as plain data, and call its functions through the wire.
The hidden tests never enter the sandbox; nothing the submission sends is unpickled; the result
file (JSON) is written here, where the submission cannot reach it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any, Mapping

from .sandbox import grading_env, sandbox_command, sandbox_status
from .wire import MAX_REPLY_BYTES, Remote, RemoteNamespace, WireError

#: Written beside the result file when the submission's kernel has started.
STARTED_FILE = "kernel-started"


def read_autograder(zip_path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """``(otter_config, {test file name: source})`` of an autograder zip, in test-file order."""
    with zipfile.ZipFile(zip_path) as zf:
        config = json.loads(zf.read("otter_config.json"))
        names = sorted(n for n in zf.namelist() if re.fullmatch(r"tests/[^/]+\.py", n))
        return config, {name: zf.read(name).decode("utf-8") for name in names}


class Runner:
    """The submission's runner process and the referee's end of its wire."""

    def __init__(self, argv: list[str], cwd: Path, env: Mapping[str, str] | None, log: Path) -> None:
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(argv, cwd=cwd, env=None if env is None else dict(env),
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)

    def read(self) -> dict[str, Any]:
        """The next message; WireError when the runner is gone or sent something that is not a message."""
        line = self.proc.stdout.readline(MAX_REPLY_BYTES + 1)
        if not line:
            raise WireError("the submission's sandbox closed")
        if len(line) > MAX_REPLY_BYTES:
            raise WireError(f"a reply of more than {MAX_REPLY_BYTES} bytes")
        message = json.loads(line)
        if not isinstance(message, dict):
            raise WireError("a reply that is not a JSON object")
        return message

    def ask(self, request: dict[str, Any]) -> Any:
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WireError("the submission's sandbox closed") from exc
        message = self.read()
        if "reply" not in message:
            raise WireError("a message without a reply")
        return message["reply"]

    def close(self, timeout: float = 10.0) -> None:
        """Close the wire (the runner then exits, and the sandbox with every process in it)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _run_tests(sources: dict[str, str], namespace: RemoteNamespace) -> dict[str, Any]:
    """Run every test file against ``namespace``: ``{name: {"score", "possible", "cases": [...]}}``."""
    with warnings.catch_warnings():  # otter's imports warn about deprecated traitlets usage
        warnings.simplefilter("ignore", DeprecationWarning)
        from otter.test_files import ExceptionTestFile

    questions = {}
    for path, source in sources.items():
        test_file = ExceptionTestFile.from_string(source, path=path)
        test_file.run(namespace)
        questions[test_file.name] = {
            "score": float(test_file.score), "possible": float(test_file.possible),
            "cases": [{"passed": bool(r.passed), "hidden": bool(r.test_case.hidden), "message": r.message}
                      for r in test_file.test_case_results]}
    return questions


def referee(zip_path: Path, notebook: Path, result_path: Path, *, unsafe: bool) -> None:
    """Grade ``notebook`` (in its own folder, which the sandbox may write) against ``zip_path``; write
    ``{"questions", "errors", "error", "sandbox"}`` to ``result_path``. The submission gets the
    environment of :func:`.sandbox.grading_env`, with its home inside its folder."""

    summary: dict[str, Any] = {"questions": {}, "errors": [], "error": None, "sandbox": "none (--unsafe)"}
    config, sources = read_autograder(zip_path)
    seed_variable, seed = config.get("seed_variable"), config.get("seed")
    argv = [sys.executable, "-m", "pathconvex_lab.grading.runner", str(notebook), seed_variable or "",
            "" if seed is None else str(int(seed))]
    workdir = notebook.parent
    env = grading_env(workdir / "home")
    if not unsafe:
        summary["sandbox"] = sandbox_status()[1]
        argv = sandbox_command(argv, workdir, env, hide=[zip_path, result_path.parent])
    runner = Runner(argv, workdir, env if unsafe else {}, result_path.parent / "runner.log")
    try:
        started = runner.read()
        if started.get("op") != "started":
            raise WireError("the runner did not report its kernel's start")
        (result_path.parent / STARTED_FILE).touch()
        ran = runner.read()
        summary["errors"] = [str(e)[:400] for e in ran.get("errors", [])][:20]
        if ran.get("failure"):
            summary["errors"].append(str(ran["failure"])[:400])
        namespace = RemoteNamespace(Remote(runner.ask))
        summary["questions"] = _run_tests(sources, namespace)
    except (WireError, ValueError) as exc:
        log = (result_path.parent / "runner.log").read_text(errors="replace").strip().splitlines()[-2:]
        summary["error"] = f"the submission's sandbox failed: {exc} {' '.join(log)[:300]}".strip()
    finally:
        runner.close()
    result_path.write_text(json.dumps(summary), encoding="utf-8")


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring."""
    args = [a for a in argv if a != "--unsafe"]
    if len(args) != 3:
        sys.stderr.write("usage: python -m pathconvex_lab.grading.referee AUTOGRADER_ZIP NOTEBOOK RESULT_JSON "
                         "[--unsafe]\n")
        return 2
    referee(Path(args[0]), Path(args[1]).resolve(), Path(args[2]).resolve(), unsafe="--unsafe" in argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
