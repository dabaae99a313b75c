"""The ``pathconvex-lab`` command (also ``python -m pathconvex_lab``).

Each subcommand lives in ``pathconvex_lab/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> dict | int``.
A returned dict is printed as JSON with ``--json`` and as ``key: value`` lines otherwise.
Bad input (an :class:`InputError` or :class:`PathconvexError`) ends with a one-line
``error: ...`` on stderr and exit status 2; never a traceback.

Ctrl-C: the computing commands (those in :data:`INTERRUPTIBLE`) run in a worker thread, so the
main thread takes Ctrl-C at once even while a native solver holds the worker. The worker is
then interrupted as soon as it is back in Python and gets :data:`GRACE_SECONDS` to return what
it has (the route's best network so far, a path's solved betas), which is printed; otherwise the
command says that no result was ready. Either way it exits with status 130 within about two
seconds. A closed stdout (``| head``) ends quietly.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import os
import sys
import threading
from typing import Any, Sequence

from . import __version__
from .errors import PathconvexError

#: Subcommand modules, in the order ``--help`` lists them. A missing module is skipped, so
#: capabilities can land one at a time.
COMMAND_MODULES = ("doctor", "lab", "notebooks", "patterns", "solve", "path", "train", "assign", "grade", "dashboard")
#: Commands that compute (and so run in a worker thread that Ctrl-C can leave behind).
INTERRUPTIBLE = ("patterns", "solve", "path", "train")
#: Seconds an interrupted command gets to return what it has.
GRACE_SECONDS = 1.5


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"error: {self.prog}: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available subcommand."""
    parser = _Parser(prog="pathconvex-lab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"pathconvex-lab {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"commands.{name}"):
                continue
            raise
        module.register(sub)
    return parser


def _to_jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # NaN and infinities are not JSON; commands refuse inputs that would make them
    return value


def emit(result: dict, as_json: bool) -> None:
    """Print a command's result dict as JSON or as readable lines."""
    if as_json:
        print(json.dumps(_to_jsonable(result), indent=None, allow_nan=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        out = _run_interruptibly(args) if args.command in INTERRUPTIBLE else args.func(args)
        stopped = isinstance(out, dict) and (out.get("interrupted") is True
                                             or out.get("stopped") in (True, "interrupted", "stopped"))
        code = 130 if stopped else 0
        if isinstance(out, dict):
            emit(out, getattr(args, "json", False))
            return code
        return int(out or 0)
    except PathconvexError as exc:
        msg = " ".join(str(exc).split())
        if getattr(args, "json", False):
            print(json.dumps({"error": msg, "type": type(exc).__name__}))
        sys.stderr.write(f"error: {msg}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted before a result was ready\n")
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _run_interruptibly(args: argparse.Namespace) -> Any:
    """``args.func(args)`` in a worker thread; on Ctrl-C, raise KeyboardInterrupt inside the
    worker (where the library keeps its best result) and wait :data:`GRACE_SECONDS` for it.
    (An Event, not ``Thread.join``, is waited on: a join cut short by Ctrl-C can leave the
    thread marked as finished while it still runs.)"""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["out"] = args.func(args)
        except BaseException as exc:  # handed to the main thread below
            box["exc"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"pathconvex-lab {args.command}", daemon=True)
    worker.start()
    try:
        while not done.wait(0.05):
            pass
    except KeyboardInterrupt:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(KeyboardInterrupt))
        if not done.wait(GRACE_SECONDS):
            _ABANDONED.append(worker)
            raise KeyboardInterrupt from None
    if "exc" in box:
        raise box["exc"]
    return box["out"]


#: Worker threads left running after Ctrl-C (in native code); :func:`entry` exits without them.
_ABANDONED: list[threading.Thread] = []


def entry() -> int:
    """The console script: :func:`main`, then an immediate exit if a worker was left running
    in native code (a normal interpreter exit would wait on it or abort in its libraries)."""
    code = main()
    if _ABANDONED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
