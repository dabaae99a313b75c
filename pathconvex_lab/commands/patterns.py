"""``pathconvex-lab patterns DATA.csv [--exact | --sample N]``: count the ReLU sign patterns
(chambers of the hyperplane arrangement, docs/mathematics.md §5) of a data set."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ..errors import InputError, ProblemTooLargeError
from ._common import add_data_args, add_json_flag, load_data


def register(subparsers: Any) -> None:
    """Add the ``patterns`` subcommand."""
    p = subparsers.add_parser(
        "patterns",
        help="count the ReLU sign patterns 1[Xu > 0] of a data set (exactly or by sampling)",
        description="Enumerate the chamber patterns 1[Xu > 0] of X (CSV features plus a bias column) "
        "exactly, or sample them with Gaussian directions u; report the count, Cover's bound C(n, rank X) "
        "and whether the rows are in general position (count = bound).",
    )
    add_data_args(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--exact", action="store_true", help="exact enumeration (the default)")
    mode.add_argument("--sample", type=int, metavar="N", default=None,
                      help="sample N Gaussian directions instead (a subset of the patterns)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    p.add_argument("--max-patterns", type=int, default=2_000_000,
                   help="refuse exact enumeration above this estimated count (default 2,000,000)")
    add_json_flag(p)
    p.set_defaults(func=run)


def _general_position(X: np.ndarray) -> bool | None:
    """``is_general_position(X)``, or None when that check alone would be too large."""
    from ..arrangements import is_general_position

    try:
        return is_general_position(X)
    except ProblemTooLargeError:
        return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Count the patterns; returns ``{n, d, rank, count, bound, general_position, method, seconds}``."""
    from ..arrangements import enumerate_patterns, pattern_bound, sample_patterns

    X, _ = load_data(args)
    from ..arrangements import MAX_SAMPLES

    if args.sample is not None and not 1 <= args.sample <= MAX_SAMPLES:
        raise InputError(f"--sample must be a number of directions from 1 to {MAX_SAMPLES:,}; got {args.sample:,}")
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0; got {args.seed}")
    if args.sample is None:
        try:
            result = enumerate_patterns(X, max_patterns=args.max_patterns)
        except ProblemTooLargeError as exc:
            raise ProblemTooLargeError(
                f"{str(exc).split(';', 1)[0].replace('max_patterns=', '--max-patterns ')}; use --sample N (N random directions), fewer rows, "
                f"or raise --max-patterns") from None
    else:
        result = sample_patterns(X, args.sample, seed=args.seed)
    rank = int(np.linalg.matrix_rank(X))
    return {
        "n": int(X.shape[0]),
        "d": int(X.shape[1]),
        "rank": rank,
        "count": result.count,
        "bound": pattern_bound(X.shape[0], rank),
        "general_position": _general_position(X),
        "method": result.method,
        "seconds": round(result.seconds, 6),
    }
