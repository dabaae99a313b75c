"""``pathconvex-lab dashboard``: the training and arrangement explorers as a web app (Voila).

Serves :mod:`pathconvex_lab.dashboard`'s notebook, written into a temporary folder, with Voila on
127.0.0.1 behind a random token (passed in ``JUPYTER_TOKEN``, never on the command line;
authentication is never disabled); the code cells are hidden (``strip_sources``). The same
functions serve the command and its tests: :func:`plan_launch`, :func:`start`,
:func:`wait_until_ready`, and ``lab``'s ``stop``.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..dashboard import write_dashboard
from ..errors import InputError
from ._common import add_json_flag
from .lab import (
    HOST,
    READY_TIMEOUT_S,
    ServerLaunch,
    add_server_args,
    free_port,
    port_is_free,
    serve,
)
from .lab import wait_until_ready as lab_wait_until_ready


@dataclass(frozen=True)
class DashboardLaunch(ServerLaunch):
    """Everything needed to start Voila: ``argv`` plus ``token`` (set as JUPYTER_TOKEN)."""

    URL_PATH = "/"
    argv: tuple[str, ...]
    port: int
    notebook: Path
    token: str = field(repr=False)


def plan_launch(notebook: str | Path, *, port: int | None = None, token: str | None = None) -> DashboardLaunch:
    """Decide how to launch Voila on ``notebook``; checks the port, starts nothing.

    ``--Voila.auto_token=True`` makes Voila require a token and take it from ``JUPYTER_TOKEN``.
    """
    if port is None:
        port = free_port()
    elif not port_is_free(port):
        raise InputError(f"--port {port}: {HOST}:{port} is already in use; choose another port or omit --port")
    argv = (
        sys.executable, "-m", "voila", str(notebook),
        f"--Voila.ip={HOST}",
        f"--port={port}",
        "--Voila.port_retries=0",  # the printed URL must be the one served
        "--Voila.auto_token=True",  # token required; its value comes from JUPYTER_TOKEN
        "--no-browser",  # this command opens the browser itself, with the token
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
    )
    return DashboardLaunch(argv, port, Path(notebook), token or secrets.token_hex(24))


def wait_until_ready(launch: DashboardLaunch, proc: subprocess.Popen, timeout: float = READY_TIMEOUT_S) -> None:
    """Block until Voila answers HTTP (``/login``, which starts no kernel); RuntimeError if it exits or times out."""
    lab_wait_until_ready(launch, proc, timeout, path="/login", name="Voila", authorized=False)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``dashboard`` subcommand."""
    parser = subparsers.add_parser(
        "dashboard",
        help="serve the depth x beta and arrangement explorers as a web app (Voila, 127.0.0.1, token)",
        description="Serve the training explorer (depth, beta, Train/Stop) and the hyperplane-arrangement "
        "explorers as a web app with Voila, on 127.0.0.1 behind a random token; code cells are hidden. "
        "Prints the URL with the token; Ctrl-C stops it.",
    )
    add_server_args(parser)
    add_json_flag(parser)  # with --dry-run
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict | int:
    """Dry run: return the plan. Otherwise serve until Ctrl-C; returns Voila's exit status."""
    if args.json and not args.dry_run:
        raise InputError("--json only applies with --dry-run (a running server prints its URL)")
    folder = Path(tempfile.mkdtemp(prefix="pathconvex-dashboard-"))
    try:
        launch = plan_launch(write_dashboard(folder), port=args.port)
        if args.dry_run:
            return {**launch.dry_run(), "host": HOST, "notebook": str(launch.notebook), "token_required": True,
                    "sources_hidden": True}
        return serve(launch, lambda proc: wait_until_ready(launch, proc), "Voila", "the pathconvex_lab dashboard",
                     open_browser=not args.no_browser)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
