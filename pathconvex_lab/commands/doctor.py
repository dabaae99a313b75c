"""``pathconvex-lab doctor [--json]``: is this environment ready? (see :mod:`pathconvex_lab.doctor`)."""

from __future__ import annotations

import argparse
import json

from .. import doctor
from ._common import add_json_flag

#: Exit status when a required check fails (2 stays reserved for bad command-line input).
EXIT_NOT_READY = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check versions, cvxpy solvers, torch device, chromium and JupyterLab extensions",
        description="Check every dependency, the cvxpy solvers (CLARABEL, SCS), the torch device, "
        "the python3 kernel, the JupyterLab widget/plotly extensions and chromium. "
        "Each line is pass/warn/fail with a fix; exit status 1 when a required check fails.",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the report (a table, or one JSON object with --json); 0 when ready, else 1."""
    result = doctor.report()
    print(json.dumps(result) if args.json else doctor.format_report(result))
    return 0 if result["ok"] else EXIT_NOT_READY
