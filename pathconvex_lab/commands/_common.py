"""Helpers shared by subcommands: common options and data loading."""

from __future__ import annotations

import argparse
import os

import numpy as np

from .. import data
from ..errors import InputError

_NAMES = data.REAL_DATASETS + data.DATASETS


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--json`` (machine-readable output on stdout)."""
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def add_data_args(parser: argparse.ArgumentParser) -> None:
    """Add the optional positional ``DATA`` (CSV path or data-set name), ``--data`` and ``--no-bias``."""
    names = ", ".join(_NAMES)
    parser.add_argument(
        "data", nargs="?", default=None, metavar="DATA",
        help="a CSV file with a header row (column 'y' is the target, all others features) or a data-set "
             f"name ({names}); or give it with --data",
    )
    parser.add_argument(
        "--data", dest="data_option", metavar="NAME_OR_CSV", default=None,
        help=f"the data as a data-set name ({names}) or a CSV file path, instead of the positional DATA",
    )
    parser.add_argument(
        "--no-bias", action="store_true",
        help="do not append a column of ones to X (ds1-ds4 keep the bias column they carry)",
    )


def add_program_args(parser: argparse.ArgumentParser, *, seed_help: str) -> None:
    """Add ``--layers`` (2 or 3), ``--m1``, ``--seed`` and ``--solver`` (default ``auto``): the options
    of every subcommand that solves the convex program."""
    parser.add_argument("--layers", type=int, choices=(2, 3), default=2, help="2 (weight decay) or 3 (path norm); default 2")
    parser.add_argument("--m1", type=int, default=None, help="first-layer width of each sub-network (3 layers; default 2)")
    parser.add_argument("--seed", type=int, default=0, help=seed_help)
    parser.add_argument("--solver", default="auto",
                        help="auto (default: the fast torch solver for large programs, else CLARABEL), fast, cvxpy "
                             "(CLARABEL, SCS fallback) or a cvxpy solver name")


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """Load the positional ``DATA`` or ``--data`` (exactly one of them), honouring ``--no-bias``.

    A name in :data:`~pathconvex_lab.data.REAL_DATASETS` or :data:`~pathconvex_lab.data.DATASETS`
    loads with :func:`pathconvex_lab.data.load`, anything else is read as a CSV file. Raises
    InputError with a one-line message.
    """
    positional, option = getattr(args, "data", None), getattr(args, "data_option", None)
    usage = f"give the data as a CSV path or --data NAME (one of {', '.join(_NAMES)})"
    if positional is None and option is None:
        raise InputError(f"no data given: {usage}")
    if positional is not None and option is not None:
        raise InputError(f"got both the positional DATA {positional!r} and --data {option!r}: {usage}")
    spec, label = (positional, "DATA") if option is None else (option, "--data")
    bias = not args.no_bias
    if spec in _NAMES:
        return data.load(spec, bias=bias)
    if os.path.isfile(spec):
        return data.load_csv(spec, bias=bias)
    raise InputError(f"data file not found: {spec}; {label} must be an existing CSV file path "
                     f"or a data-set name ({', '.join(_NAMES)})")
