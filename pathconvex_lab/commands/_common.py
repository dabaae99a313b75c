"""Helpers shared by subcommands: common options and data loading."""

from __future__ import annotations

import argparse

import numpy as np

from ..data import load_csv


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--json`` (machine-readable output on stdout)."""
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def add_data_args(parser: argparse.ArgumentParser) -> None:
    """Add the positional CSV path and ``--no-bias``."""
    parser.add_argument("data", help="CSV file with a header row; column 'y' is the target, all others features")
    parser.add_argument("--no-bias", action="store_true", help="do not append a column of ones to X")


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """Load ``args.data`` honouring ``--no-bias``; raises InputError with a one-line message."""
    return load_csv(args.data, bias=not args.no_bias)
