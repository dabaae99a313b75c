"""``pathconvex-lab lab``: JupyterLab on the kit's notebooks, on 127.0.0.1 behind a random token.

The same functions serve the command, its test and the browser tests:
:func:`plan_launch` decides the command line, port, folder and token; :func:`start` runs it;
:func:`wait_until_ready` polls the REST API with the token; :func:`stop` shuts it down.
The token travels in the ``JUPYTER_TOKEN`` environment variable (never on the command
line, where ``ps`` would show it); authentication is never disabled; ``--allow-root`` is
added only when running as root.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..errors import InputError
from ._common import add_json_flag

HOST = "127.0.0.1"
TOKEN_ENV = "JUPYTER_TOKEN"
READY_TIMEOUT_S = 120.0


class ServerLaunch:
    """URL and environment of a planned server (mixed into the frozen launch dataclasses).

    Subclasses have ``argv``, ``port`` and ``token`` fields and set ``URL_PATH``, the page a browser opens.
    """

    URL_PATH = "/"
    argv: tuple[str, ...]
    port: int
    token: str

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The address to open in a browser, token included."""
        return f"{self.base_url}{self.URL_PATH}?token={self.token}"

    def dry_run(self) -> dict[str, object]:
        """What ``--dry-run`` prints: the command, its environment (the token withheld), the URL,
        the port. Subclasses' commands add what they serve."""
        return {
            "command": shlex.join(self.argv),
            "argv": list(self.argv),
            "env": {TOKEN_ENV: "<random, generated at launch>"},
            "url": f"{self.base_url}{self.URL_PATH}?token=<token>",
            "port": self.port,
        }

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) plus ``JUPYTER_TOKEN``."""
        env = dict(os.environ if base is None else base)
        env[TOKEN_ENV] = self.token
        return env


@dataclass(frozen=True)
class LabLaunch(ServerLaunch):
    """Everything needed to start JupyterLab: ``argv`` plus ``token`` (set as JUPYTER_TOKEN)."""

    URL_PATH = "/lab"
    argv: tuple[str, ...]
    port: int
    notebook_dir: Path
    token: str = field(repr=False)


def running_as_root() -> bool:
    """True for uid 0 (JupyterLab then refuses to start without ``--allow-root``)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def default_notebook_dir() -> Path:
    """``./notebooks`` when the current folder has one (your own copy, e.g. a second checkout), else
    the ``notebooks/`` next to the package (the source checkout it is installed from)."""
    for candidate in (Path.cwd() / "notebooks", Path(__file__).resolve().parents[2] / "notebooks"):
        if candidate.is_dir():
            return candidate
    raise InputError("no notebooks/ folder here or next to the package: copy the kit's notebooks here with "
                     "`pathconvex-lab notebooks`, or pass --notebook-dir DIR")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when 127.0.0.1:``port`` can be bound as a server would (closed connections lingering
    in TIME_WAIT do not count: servers bind with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name == "posix":  # elsewhere SO_REUSEADDR would let us steal a busy port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def plan_launch(
    *,
    port: int | None = None,
    notebook_dir: str | os.PathLike | None = None,
    open_browser: bool = True,
    extra_args: Sequence[str] = (),
    token: str | None = None,
) -> LabLaunch:
    """Decide how to launch JupyterLab; checks the folder and the port, starts nothing.

    ``port=None`` picks a free port. ``extra_args`` are appended (the browser tests add
    ``--LabApp.expose_app_in_browser=True``). Raises InputError for a missing folder or a
    busy port, naming the option.
    """
    folder = default_notebook_dir() if notebook_dir is None else Path(notebook_dir).expanduser()
    if not folder.is_dir():
        raise InputError(f"--notebook-dir must be an existing folder; got {str(folder)!r}")
    if port is None:
        port = free_port()
    elif not port_is_free(port):
        raise InputError(f"--port {port}: {HOST}:{port} is already in use; choose another port or omit --port")
    argv = [
        sys.executable, "-m", "jupyterlab",
        f"--ip={HOST}",
        f"--port={port}",
        "--ServerApp.port_retries=0",  # the printed URL must be the one served
        f"--notebook-dir={folder.resolve()}",
        "--LabApp.news_url=None",  # no "receive official Jupyter news?" pop-up over the notebooks
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if not open_browser:
        argv.append("--no-browser")
    if running_as_root():
        argv.append("--allow-root")
    argv.extend(extra_args)
    return LabLaunch(tuple(argv), port, folder.resolve(), token or secrets.token_hex(24))


def start(
    launch: ServerLaunch,
    *,
    env: Mapping[str, str] | None = None,
    log: IO[bytes] | None = None,
) -> subprocess.Popen:
    """Start the server in its own session; ``log`` receives its stdout+stderr (default: inherited).

    ``env`` replaces this process's environment (the token is added either way).
    """
    return subprocess.Popen(
        launch.argv,
        env=launch.env(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        start_new_session=os.name == "posix",  # Ctrl-C reaches us; we stop the server cleanly
    )


def api_status(launch: ServerLaunch, path: str = "/api/status", *, token: str | None = None) -> int:
    """HTTP status of GET ``path`` with ``token`` in the Authorization header (no redirects followed)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    request = urllib.request.Request(launch.base_url + path)
    if token is not None:
        request.add_header("Authorization", f"token {token}")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def wait_until_ready(launch: ServerLaunch, proc: subprocess.Popen, timeout: float = READY_TIMEOUT_S, *,
                     path: str = "/api/status", name: str = "JupyterLab", authorized: bool = True) -> None:
    """Block until the server answers GET ``path``; RuntimeError if it exits or times out.

    With ``authorized`` (JupyterLab's ``/api/status``) the answer must be 200 with the token;
    otherwise any HTTP status counts (Voila's ``/login``, which starts no kernel).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with status {proc.returncode} before it was ready")
        try:
            status = api_status(launch, path, token=launch.token if authorized else None)
            if status == 200 or not authorized:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{name} did not answer on {launch.base_url} within {timeout:.0f} s")


def catch_interrupts() -> None:
    """Make SIGINT raise KeyboardInterrupt here even when this process inherited it ignored or
    blocked (background jobs of a non-interactive shell, some parent processes): ``kill -INT`` and
    Ctrl-C then stop the server cleanly."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> int:
    """Ask the server to shut down (SIGTERM: kernels are stopped too); kill it if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected an integer from 1 to 65535, got {value}")
    return value


def add_server_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--port``, ``--no-browser`` and ``--dry-run``: the options of every subcommand that serves
    notebooks on 127.0.0.1 behind a token."""
    parser.add_argument("--port", type=_port, default=None, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("--dry-run", action="store_true", help="print the command that would run, start nothing")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``lab`` subcommand."""
    parser = subparsers.add_parser(
        "lab",
        help="launch JupyterLab on the notebooks (127.0.0.1, random token)",
        description="Launch JupyterLab on the kit's notebooks/, bound to 127.0.0.1 and protected by a "
        "random token; prints the URL with the token. Ctrl-C stops it.",
    )
    add_server_args(parser)
    parser.add_argument("--notebook-dir", default=None, metavar="DIR",
                        help="folder to serve (default: the repository's notebooks/)")
    add_json_flag(parser)  # with --dry-run
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict | int:
    """Dry run: return the plan. Otherwise serve until Ctrl-C; returns JupyterLab's exit status."""
    if args.json and not args.dry_run:
        raise InputError("--json only applies with --dry-run (a running server prints its URL)")
    launch = plan_launch(port=args.port, notebook_dir=args.notebook_dir, open_browser=not args.no_browser)
    if args.dry_run:
        return {**launch.dry_run(), "notebook_dir": str(launch.notebook_dir)}
    return serve(launch, lambda proc: wait_until_ready(launch, proc), "JupyterLab", str(launch.notebook_dir))


def serve(launch: ServerLaunch, ready: Callable[[subprocess.Popen], None], name: str, serves: str, *,
          open_browser: bool = False) -> int:
    """Start the server of ``launch`` and serve until Ctrl-C: once ``ready(proc)`` returns, print
    "``name`` (pid N) serves ``serves``", the URL with its token and how to stop it (and open a
    browser on the URL with ``open_browser``). Returns the server's exit status; 0 after Ctrl-C,
    which stops it; 1 when it never came up (``ready`` raised RuntimeError)."""
    catch_interrupts()
    proc = start(launch)
    try:
        ready(proc)
        print(f"{name} (pid {proc.pid}) serves {serves}\nopen: {launch.url}\nstop: Ctrl-C", flush=True)
        if open_browser:
            webbrowser.open(launch.url)
        return int(proc.wait())
    except KeyboardInterrupt:
        print(f"stopping {name} ...", file=sys.stderr, flush=True)
        stop(proc)
        return 0
    except RuntimeError as exc:
        stop(proc)
        sys.stderr.write(f"error: {exc}\n")
        return 1
