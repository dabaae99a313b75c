"""``pathconvex-lab grade``: grade submitted notebooks locally, each in a sandbox (bubblewrap), no Docker."""

from __future__ import annotations

import argparse
from typing import Any

from .. import grading
from ._common import add_json_flag
from .assign import DEFAULT_OUT


def register(subparsers: Any) -> None:
    """Add the ``grade`` subcommand."""
    p = subparsers.add_parser(
        "grade",
        help="grade submitted notebooks with the autograders built by `assign` (no Docker)",
        description="Run each submission top to bottom in a sandbox (bubblewrap: no network, read-only system, "
        "a private /tmp, no access to your home, your environment or the hidden tests) under a time limit, and "
        "score its questions with the public and hidden tests in a separate process that reads its answers as "
        "plain data. A submission that raises, misses answers, is not a notebook or runs out of time gets 0 "
        "points where it fails and a message saying why. Without bubblewrap, grading refuses unless --unsafe.",
    )
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="submitted .ipynb files")
    p.add_argument("--autograder", default=None, help="an autograder zip, or the output folder of "
                   f"`pathconvex-lab assign` (default: {DEFAULT_OUT}, or any folder here that `assign --out` "
                   "wrote; the assignment is read from each notebook)")
    p.add_argument("--timeout", type=float, default=grading.GRADE_TIMEOUT_S,
                   help=f"seconds allowed per submission, counted from its kernel's start (default "
                        f"{grading.GRADE_TIMEOUT_S:g})")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--unsafe", action="store_true", help="grade without a sandbox when none can be made: the "
                   "notebooks run with your rights (only for notebooks you trust)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict | int:
    """Grade every submission; ``{"submissions": [...]}`` with ``--json``, else a readable report."""
    grades = grading.grade_submissions(args.submissions, args.autograder, timeout=args.timeout, jobs=args.jobs,
                                       unsafe=args.unsafe)
    if args.json:
        return {"submissions": [g.to_dict() for g in grades]}
    for g in grades:
        print(f"{g.file}: {g.total:g} / {g.possible:g} ({g.status}{': ' + g.message if g.message else ''})"
              f"{'' if not g.sandbox else ' [sandbox: ' + g.sandbox + ']'}")
        for name, q in g.questions.items():
            print(f"  {name}: {q.score:g} / {q.possible:g}  {q.message}")
        for error in g.errors:
            print(f"  error in the notebook: {error}")
    return 0
