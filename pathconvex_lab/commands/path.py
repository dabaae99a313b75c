"""``pathconvex-lab path``: solve the convex program along a list of regularization strengths.

Prints, in the order the betas were given: the optimal objectives, the number of sub-networks
of each pruned solution, the certificate's lower bounds, and ``beta_max = sigma_A(y)`` (the
zero network is optimal from there on). Paths are cached on disk (``$PATHCONVEX_CACHE``);
``--no-cache`` solves afresh.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from .._validate import check_int
from ..errors import InputError
from ._common import add_data_args, add_json_flag, load_data
from .solve import _groups_arg


def _betas_arg(text: str) -> list[float]:
    """``B1,B2,...``: positive numbers, comma separated."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"--betas must be comma-separated numbers such as 0.01,0.1,1; got {text!r}") from None
    if not values or not all(np.isfinite(v) and v > 0 for v in values):
        raise InputError(f"--betas must hold at least one finite number > 0; got {text!r}")
    return values


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``path`` subcommand."""
    p = subparsers.add_parser("path", help="solve the convex program along a list of betas (regularization path)",
                              description=__doc__)
    add_data_args(p)
    p.add_argument("--layers", type=int, choices=(2, 3), default=2, help="2 (weight decay) or 3 (path norm); default 2")
    p.add_argument("--betas", required=True, help="comma-separated regularization strengths, e.g. 0.01,0.1,1")
    p.add_argument("--m1", type=int, default=None, help="first-layer width of each sub-network (3 layers; default 2)")
    p.add_argument("--groups", default="exact", help="'exact' (default) or N: sample groups from N random draws")
    p.add_argument("--seed", type=int, default=0, help="seed for sampled groups")
    p.add_argument("--solver", default="auto", help="auto (fast torch solver for large programs, else CLARABEL), cvxpy, a cvxpy solver name, or fast")
    p.add_argument("--no-cache", action="store_true", help="solve afresh and do not store the path")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    """Solve the path; returns the summary dict (lists in the order of ``--betas``)."""
    from ..convex.path import regularization_path, resolve_m1

    start = time.perf_counter()
    betas = _betas_arg(args.betas)
    m1 = resolve_m1(args.layers, args.m1)
    groups = _groups_arg(args.groups)
    seed = check_int(args.seed, "--seed", minimum=0)
    X, y = load_data(args)
    path = regularization_path(X, y, betas, layers=args.layers, m1=m1, groups=groups, seed=seed, solver=args.solver,
                               cache=not args.no_cache)
    order = [int(np.searchsorted(path.betas, b)) for b in betas]  # path.betas is the sorted unique list

    def pick(values: list) -> list:
        return [values[i] for i in order]

    return {
        "betas": betas,
        "objectives": pick(path.objectives.tolist()),
        "network_objectives": pick(path.network_objectives.tolist()),
        "subnetworks": pick(path.subnetworks.tolist()),
        "active_groups": pick(path.active_groups().tolist()),
        "lower_bounds": pick(path.lower_bounds.tolist()),
        "certified": pick(path.certified.tolist()),
        "beta_max": path.beta_max,
        "groups": path.num_groups,
        "group_source": path.group_source,
        "exact_groups": path.exact_groups,
        "layers": args.layers,
        "m1": m1,
        "n": X.shape[0],
        "d": X.shape[1],
        "cached": path.cached,
        "seconds": time.perf_counter() - start,
    }
