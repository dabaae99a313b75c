"""The ``pathconvex-lab`` command (also ``python -m pathconvex_lab``).

Each subcommand lives in ``pathconvex_lab/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> dict | int``.
A returned dict is printed as JSON with ``--json`` and as ``key: value`` lines otherwise.
Bad input (an :class:`InputError` or :class:`PathconvexError`) ends with a one-line
``error: ...`` on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any, Sequence

from . import __version__
from .errors import PathconvexError

#: Subcommand modules, in the order ``--help`` lists them. A missing module is skipped, so
#: capabilities can land one at a time.
COMMAND_MODULES = ("doctor", "lab", "patterns", "solve", "path", "train", "assign", "grade", "dashboard")


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
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
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
        out = args.func(args)
    except PathconvexError as exc:
        msg = " ".join(str(exc).split())
        if getattr(args, "json", False):
            print(json.dumps({"error": msg, "type": type(exc).__name__}))
        sys.stderr.write(f"error: {msg}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    if isinstance(out, dict):
        emit(out, getattr(args, "json", False))
        return 0
    return int(out or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
