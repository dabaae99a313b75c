"""``pathconvex-lab solve``: the best 2- or 3-layer network for a data set, and what is proved about it.

By default (``--groups auto``) the kit's route runs: the program over every group where that set is
small, otherwise a few short trained networks, their groups solved by the convex program and grown
by a search for violating neurons, then a lower bound valid over all groups. Prints the bracket
``[lower_bound, upper_bound]`` on the best possible objective, its ``relative_gap``, ``certified``,
the ``route`` and a ``status`` in words ("certified optimal", "bracketed: p* in [L, U]", "optimal
over the given groups only"). ``--groups exact`` or ``--groups N`` solve over those groups only.
"""

from __future__ import annotations

import argparse
import sys
import time

from .._validate import check_int, check_positive
from ..convex.certificate import GAP_TOL
from ..convex.program import check_solver
from ..errors import InputError, ProblemTooLargeError
from ._common import add_data_args, add_json_flag, add_program_args, load_data


def _groups_arg(text: str) -> str | int:
    """``auto``, ``exact`` or a positive number of random draws."""
    if text in ("auto", "exact"):
        return text
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"--groups must be 'auto', 'exact' or a positive integer (number of random draws); "
                         f"got {text!r}") from None
    return check_int(value, "--groups", minimum=1)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``solve`` subcommand."""
    p = subparsers.add_parser("solve", help="the best 2- or 3-layer ReLU network for a data set, with a bracket on the optimum",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_args(p)
    add_program_args(p, seed_help="seed of the trained starts and of sampled groups")
    p.add_argument("--beta", type=float, required=True, help="regularization strength > 0")
    p.add_argument("--groups", default="auto",
                   help="'auto' (default: the kit's route, with a bracket over all groups), 'exact' (every group; "
                        "small data only) or N: groups of N random draws")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds for the route's training and growth (default 60; the lower bound gets a quarter more)")
    p.add_argument("--rank", type=int, default=None,
                   help="solve the rank-R approximation instead (docs/mathematics.md §6): groups of the truncated SVD of X, "
                        "network evaluated on X; adds bound_factor = (1 + gamma)^2")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    """Solve (by the route or over the given groups), rebuild and bound; returns the summary dict."""
    start = time.perf_counter()
    beta = check_positive(args.beta, "--beta")
    groups = _groups_arg(args.groups)
    seed = check_int(args.seed, "--seed", minimum=0)
    time_limit = check_positive(args.time_limit, "--time-limit")
    check_solver(args.solver, "--solver")
    if args.layers == 2:
        if args.m1 not in (None, 1):
            raise InputError(f"--m1 applies to --layers 3 only (two layers have m1=1); got --m1 {args.m1}")
        m1 = 1
    else:
        m1 = check_int(2 if args.m1 is None else args.m1, "--m1", minimum=1)
    X, y = load_data(args)
    if args.rank is not None:
        return _run_low_rank(args, X, y, beta, m1, groups, start)
    if groups == "auto":
        return _run_route(args, X, y, beta, m1, seed, time_limit, start)
    return _run_groups(args, X, y, beta, m1, groups, seed, time_limit, start)


def _summary(X, y, beta: float, m1: int, args: argparse.Namespace, start: float) -> dict:
    """The keys every ``solve`` output shares."""
    return {"layers": args.layers, "m1": m1, "beta": beta, "n": X.shape[0], "d": X.shape[1],
            "seconds": time.perf_counter() - start}


def _run_route(args: argparse.Namespace, X, y, beta: float, m1: int, seed: int, time_limit: float, start: float) -> dict:
    """``--groups auto``: the kit's route (:func:`~pathconvex_lab.experiments.solve_route`)."""
    from ..experiments import solve_route

    route = solve_route(X, y, beta, layers=args.layers, m1=m1, time_limit=time_limit, seed=seed, solver=args.solver,
                        progress=not args.json and sys.stderr.isatty())
    result, net = route.result, route.network()
    return {
        "objective": route.upper_bound,
        "network_objective": route.upper_bound,
        "upper_bound": route.upper_bound,
        "lower_bound": route.lower_bound,
        "relative_gap": route.relative_gap,
        "certified": route.certified,
        "status": route.status,
        "route": route.route,
        "subnetworks": net.num_subnets,
        "groups": 0 if result is None else result.num_groups,
        "group_source": "exact" if route.route.startswith("exact") else "route",
        "exact_groups": route.route.startswith("exact"),
        "start_objectives": list(route.start_objectives),
        "rounds": len(route.rounds),
        "stopped": route.stopped,
        "solver_status": "not solved (stopped before the first convex solve ended)" if result is None else result.status,
        "solver": None if result is None else result.solver,
        **_summary(X, y, beta, m1, args, start),
    }


def _run_groups(args: argparse.Namespace, X, y, beta: float, m1: int, groups: str | int, seed: int, time_limit: float,
                start: float) -> dict:
    """``--groups exact`` or ``--groups N``: the program over those groups; the lower bound is the
    certificate over every group (exact) or the branch and bound over all groups (sampled)."""
    from ..convex import solve_three_layer, solve_two_layer
    from ..convex.route import lower_bound_over_all_groups, relative_gap, status_words
    from ..nets import network_objective

    try:
        if args.layers == 2:
            result = solve_two_layer(X, y, beta, groups, solver=args.solver, seed=seed)
        else:
            result = solve_three_layer(X, y, beta, m1, groups, solver=args.solver, seed=seed)
    except ProblemTooLargeError as exc:
        raise ProblemTooLargeError(
            f"--groups exact: {str(exc).split(': ', 1)[0]}; use --groups auto (the default: trained starts, "
            "grown, with a bound over all groups), --groups N (N random draws), --rank R, or fewer rows") from None
    pruned = result.prune(drop_tol=1e-6)  # solver-noise blocks out: objective moves ~1e-8
    net = pruned.network()
    upper = network_objective(net, X, y, beta)
    if result.exact:
        cert = result.certificate()
        lower = min(cert.lower_bound, upper) if cert.sigma_exact else None
        route = "exact groups, certificate over every group"
    else:
        lower = min(lower_bound_over_all_groups(X, y, beta, m1, result.outputs(), time_limit / 4)[1], upper)
        route = "given groups, branch-and-bound bound"
    gap = relative_gap(lower, upper)
    certified = gap is not None and gap <= GAP_TOL
    return {
        "objective": result.objective,
        "network_objective": upper,
        "upper_bound": upper,
        "lower_bound": lower,
        "relative_gap": gap,
        "certified": certified,
        "status": status_words(lower, upper, certified),
        "route": route,
        "subnetworks": net.num_subnets,
        "groups": 0 if result is None else result.num_groups,
        "group_source": result.source,
        "exact_groups": bool(result.exact),
        "solver_status": result.status,
        "solver": result.solver,
        **_summary(X, y, beta, m1, args, start),
    }


def _run_low_rank(args: argparse.Namespace, X, y, beta: float, m1: int, groups: str | int, start: float) -> dict:
    """``--rank R``: the approximation of docs/mathematics.md §6; ``network_objective`` is the approximate
    network's objective on the original X, ``lower_bound`` the certificate on X (exact groups of X)."""
    from ..convex.lowrank import low_rank_approximation
    from ..convex.route import relative_gap, status_words

    if groups not in ("auto", "exact"):
        raise InputError("--rank uses the exact groups of the rank-R data; drop --groups")
    rank = check_int(args.rank, "--rank", minimum=1, maximum=min(X.shape))
    approx = low_rank_approximation(X, y, beta, rank, args.layers, m1, solver=args.solver)
    cert = approx.certificate
    lower = None if cert is None or not cert.sigma_exact else min(cert.lower_bound, approx.objective)
    gap = relative_gap(lower, approx.objective)
    certified = gap is not None and gap <= GAP_TOL
    return {
        "objective": approx.program_objective,
        "network_objective": approx.objective,
        "upper_bound": approx.objective,
        "subnetworks": approx.subnetworks,
        "lower_bound": lower,
        "relative_gap": gap,
        "certified": certified,
        "route": f"rank-{rank} approximation",
        "groups": approx.num_groups,
        "groups_exact": approx.num_groups_exact,
        "group_source": f"rank-{rank}",
        "exact_groups": False,
        "bound_factor": approx.bound_factor,
        "gamma": approx.gamma,
        "sigma_next": approx.sigma_next,
        "rank": rank,
        "layers": args.layers,
        "m1": m1,
        "beta": beta,
        "n": X.shape[0],
        "d": X.shape[1],
        "status": status_words(lower, approx.objective, certified),
        "solver_status": approx.result.status,
        "solver": approx.result.solver,
        "seconds": time.perf_counter() - start,
    }
