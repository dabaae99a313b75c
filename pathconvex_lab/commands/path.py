"""``pathconvex-lab path``: solve the convex program along a list of regularization strengths.

Prints, in the order the betas were given: the objectives of the programs and of their pruned
networks (``upper_bounds``), lower bounds valid over ALL groups, relative gaps, a status in words
for each beta ("certified optimal", "bracketed: p* in [L, U]"), the number of sub-networks, and
``beta_max = sigma_A(y)`` (the zero network is best from there on). With ``--groups auto`` (the
default) the path runs over every group where that set is small, and otherwise over the groups
grown by the kit's route at the smallest beta, each point bounded by a branch and bound over the
sphere. Paths are cached on disk (``$PATHCONVEX_CACHE``); ``--no-cache`` solves afresh.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .._validate import check_int, check_positive
from ..convex.certificate import GAP_TOL
from ..errors import InputError, ProblemTooLargeError
from ._common import add_data_args, add_json_flag, add_program_args, load_data
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
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_args(p)
    add_program_args(p, seed_help="seed of the route's trained starts and of sampled groups")
    p.add_argument("--betas", required=True, help="comma-separated regularization strengths, e.g. 0.01,0.1,1")
    p.add_argument("--groups", default="auto",
                   help="'auto' (default: every group where that set is small, else the route's grown groups), "
                        "'exact' or N: groups of N random draws")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds for the route that grows the groups (--groups auto on large data; default 60)")
    p.add_argument("--no-cache", action="store_true", help="solve afresh and do not store the path")
    add_json_flag(p)
    p.set_defaults(func=run)


def _auto_groups(X, y, betas: list[float], layers: int, m1: int, seed: int, time_limit: float, solver: str) -> tuple:
    """``--groups auto``: ``"exact"`` where the complete group set is small, else the groups grown
    by the route at the smallest beta (where the most groups are active). Returns (groups, route)."""
    from ..convex.route import EXACT_GROUPS, _exact_groups
    from ..experiments import solve_route

    if _exact_groups(X, m1, EXACT_GROUPS) is not None:
        return "exact", "exact groups"
    route = solve_route(X, y, min(betas), layers=layers, m1=m1, time_limit=time_limit, seed=seed, solver=solver,
                        progress=False)
    if route.result is None:  # stopped before its first convex solve: no groups to give the path
        raise KeyboardInterrupt("the route was stopped before its first convex solve ended")
    return route.result.groups, "route groups grown at the smallest beta, branch-and-bound bounds"


def run(args: argparse.Namespace) -> dict:
    """Solve the path; returns the summary dict (lists in the order of ``--betas``)."""
    from ..convex.betas import resolve_m1
    from ..convex.path import regularization_path
    from ..convex.program import check_solver
    from ..convex.route import (
        consistent_lower,
        lower_bound_over_all_groups,
        relative_gap,
        status_words,
    )

    start = time.perf_counter()
    betas = _betas_arg(args.betas)
    m1 = resolve_m1(args.layers, args.m1)
    groups = _groups_arg(args.groups)
    seed = check_int(args.seed, "--seed", minimum=0)
    time_limit = check_positive(args.time_limit, "--time-limit")
    check_solver(args.solver, "--solver")
    X, y = load_data(args)
    route = "exact groups" if groups == "exact" else f"{groups} random draws, branch-and-bound bounds"
    if groups == "auto":
        groups, route = _auto_groups(X, y, betas, args.layers, m1, seed, time_limit, args.solver)
    try:
        path = regularization_path(X, y, betas, layers=args.layers, m1=m1, groups=groups, seed=seed,
                                   solver=args.solver, cache=not args.no_cache, progress=True)
    except ProblemTooLargeError as exc:
        raise ProblemTooLargeError(
            f"--groups exact: {str(exc).split(': ', 1)[0]}; use --groups auto (the default), --groups N "
            "(N random draws) or fewer rows") from None
    solved = [b for b in betas if np.any(path.betas == b)]  # all of them unless Ctrl-C stopped the path
    order = [int(np.searchsorted(path.betas, b)) for b in solved]  # path.betas is the sorted unique list
    uppers = [float(v) for v in path.network_objectives]
    if path.exact_groups:
        raw = [float(v) for v in path.lower_bounds]
    else:  # a certificate over some groups bounds nothing else: bound over all groups
        raw = [lower_bound_over_all_groups(X, y, b, m1, path.network(i).predict(X), time_limit / (4 * len(uppers)))[1]
               for i, b in enumerate(path.betas)]
    lowers = [consistent_lower(low, up) for low, up in zip(raw, uppers)]
    gaps = [relative_gap(low, up) for low, up in zip(lowers, uppers)]
    certified = [g is not None and g <= GAP_TOL for g in gaps]

    def pick(values: list) -> list:
        return [values[i] for i in order]

    if not path.complete:
        sys.stderr.write(f"interrupted: {len(solved)} of {len(betas)} betas solved; printing those\n")
    return {
        "betas": solved,
        "interrupted": not path.complete,
        "unsolved_betas": [b for b in betas if b not in solved],
        "objectives": pick(path.objectives.tolist()),
        "network_objectives": pick(uppers),
        "upper_bounds": pick(uppers),
        "subnetworks": pick(path.subnetworks.tolist()),
        "active_groups": pick(path.active_groups().tolist()),
        "lower_bounds": pick(lowers),
        "relative_gaps": pick(gaps),
        "certified": pick(certified),
        "statuses": pick([status_words(low, up, c) for low, up, c in zip(lowers, uppers, certified)]),
        "route": route,
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
