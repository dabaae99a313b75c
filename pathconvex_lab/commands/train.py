"""``pathconvex-lab train``: train a path-regularized parallel ReLU network (docs/mathematics.md §4)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

from ..data import DATASETS, REAL_DATASETS, load, load_csv
from ..errors import InputError, SolverError
from ._common import add_json_flag


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand."""
    p = subparsers.add_parser(
        "train",
        help="train a parallel ReLU network with path-norm or weight-decay regularization",
        description="Train K parallel ReLU sub-networks of depth L (widths d, W, ..., W, 1) on a real data "
        "set (standardized features), a built-in one or a CSV file (column 'y' is the target); a bias column of ones is appended unless the "
        "data already has one. Prints the best objective 0.5||f - y||^2 + beta R found.",
    )
    p.add_argument("--data", required=True,
                   help=f"real data set ({', '.join(REAL_DATASETS)}; standardized, from scikit-learn's bundled "
                        f"copies), built-in data set ({', '.join(DATASETS)}) or a CSV file path")
    p.add_argument("--depth", type=int, default=3, help="number of layers L >= 2 (default 3)")
    p.add_argument("--beta", type=float, default=0.1, help="regularization strength > 0 (default 0.1)")
    p.add_argument("--steps", type=int, default=1000, help="optimizer steps (default 1000)")
    p.add_argument("--width", type=int, default=4, help="width W of every hidden layer but the last (default 4)")
    p.add_argument("--subnets", type=int, default=20, help="number K of parallel sub-networks (default 20)")
    p.add_argument("--lr", type=float, default=1e-2, help="learning rate (default 0.01)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--regularizer", choices=("path", "weight_decay"), default="path")
    p.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: full batch)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    p.add_argument("--seed", type=int, default=0, help="seed of the initialization and mini-batches")
    p.add_argument("--record-every", type=int, default=10, help="history interval in steps (default 10)")
    p.add_argument("--save", metavar="FILE", default=None, help="write the best network here (pickle-free .npz)")
    add_json_flag(p)
    p.set_defaults(func=run)


def load_training_data(spec: str) -> tuple[np.ndarray, np.ndarray, str]:
    """``spec`` is a real or built-in data-set name or a CSV path. Returns ``X`` with a bias column,
    ``y`` and a label."""
    if spec in REAL_DATASETS or spec in DATASETS:
        X, y = load(spec, bias=True)
        return X, y, spec
    if os.path.isfile(spec):
        X, y = load_csv(spec, bias=True)
        return X, y, os.path.basename(spec)
    names = ", ".join(REAL_DATASETS + DATASETS)
    raise InputError(f"--data must be one of {names} or an existing CSV file; got {spec!r}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train and return the summary dict printed by the CLI."""
    from ..nets import ParallelReLUNet
    from ..train import resolve_device, train

    if args.depth < 2:
        raise InputError(f"--depth must be >= 2 (a two-layer net is depth 2); got {args.depth}")
    if args.width < 1 or args.subnets < 1:
        raise InputError(f"--width and --subnets must be >= 1; got {args.width} and {args.subnets}")
    from ..nets import MAX_DEPTH

    if args.depth > MAX_DEPTH:
        raise InputError(f"--depth must be at most {MAX_DEPTH}; got {args.depth}")
    X, y, label = load_training_data(args.data)
    widths = (X.shape[1], *([args.width] * (args.depth - 2)), 1)
    device = resolve_device(args.device)
    try:
        net = ParallelReLUNet(widths, args.subnets, seed=args.seed, device=device)
    except InputError as exc:
        raise InputError(f"--width {args.width} / --subnets {args.subnets}: {exc}") from None
    result = train(
        net, X, y, args.beta, steps=args.steps, lr=args.lr, optimizer=args.optimizer,
        regularizer=args.regularizer, batch_size=args.batch_size, device=device, seed=args.seed,
        record_every=args.record_every, progress=not args.json and sys.stderr.isatty(),
    )
    if not np.isfinite(result.best_objective):
        raise SolverError(f"training diverged: the objective is {result.best_objective} from the first step on; "
                          "lower --lr, --depth or the data's scale")
    if args.save:
        try:
            result.net.save(args.save)
        except OSError as exc:
            raise InputError(f"--save: cannot write {args.save}: {exc}") from None
    return {
        "data": label,
        "n": int(X.shape[0]),
        "widths": list(widths),
        "subnets": args.subnets,
        "beta": args.beta,
        "regularizer": args.regularizer,
        "objective": result.best_objective,
        "initial_objective": result.initial_objective,
        "final_objective": result.final_objective,
        "path_norm": result.net.path_norm().item(),
        "active_subnets": result.net.active_subnets(),
        "accuracy": result.accuracy,
        "device": result.device,
        "seconds": result.seconds,
        "steps_run": result.steps_run,
        "stopped": result.stopped,
        "history": result.history,
    }
