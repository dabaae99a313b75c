"""``pathconvex-lab assign``: build the student and autograder versions of the assignments (otter assign)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import grading
from ._common import add_json_flag

DEFAULT_OUT = "build/assignments"


def register(subparsers: Any) -> None:
    """Add the ``assign`` subcommand."""
    p = subparsers.add_parser(
        "assign",
        help="build student notebooks and autograders from notebooks/assignments (otter assign)",
        description="Run otter assign on every master notebook of notebooks/assignments. For each assignment "
        "NAME it writes OUT/NAME/student/NAME.ipynb (hand this out), OUT/NAME/autograder/NAME.ipynb (solutions) "
        "and OUT/NAME/autograder/NAME-autograder.zip (used by `pathconvex-lab grade`). The same masters give "
        "byte-identical output.",
    )
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT}; each assignment's "
                   "subfolder is replaced)")
    p.add_argument("--masters", default=None, help="folder of master notebooks (default: notebooks/assignments)")
    p.add_argument("--jobs", type=int, default=1, help="assignments built at once (default 1)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict | int:
    """Build every assignment; a dict (``--json``) or a readable summary."""
    built = grading.build_assignments(args.out, args.masters, jobs=args.jobs)
    result = {"out": args.out, "assignments": [b.to_dict() for b in built]}
    if args.json:
        return result
    for b in built:
        questions = ", ".join(f"{q} ({p:g})" for q, p in b.questions.items())
        print(f"{b.name}: {sum(b.questions.values()):g} points in {len(b.questions)} questions: {questions}")
        print(f"  hand out:   {b.student}\n  solutions:  {b.solution}\n  autograder: {b.autograder}")
    return 0
