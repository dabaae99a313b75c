"""``pathconvex-lab solve``: solve the convex program of a 2- or 3-layer network on a CSV file.

Prints the convex optimum, the path-regularized objective of the rebuilt and pruned network,
its number of sub-networks, and the certificate's lower bound (a proof only with exact groups).
"""

from __future__ import annotations

import argparse
import time

from .._validate import check_int, check_positive
from ..errors import InputError
from ._common import add_data_args, add_json_flag, load_data


def _groups_arg(text: str) -> str | int:
    """``exact`` or a positive number of random draws."""
    if text == "exact":
        return text
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"--groups must be 'exact' or a positive integer (number of random draws); got {text!r}") from None
    return check_int(value, "--groups", minimum=1)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``solve`` subcommand."""
    p = subparsers.add_parser("solve", help="solve the convex program of a 2- or 3-layer ReLU network on a CSV file",
                              description=__doc__)
    add_data_args(p)
    p.add_argument("--layers", type=int, choices=(2, 3), default=2, help="2 (weight decay) or 3 (path norm); default 2")
    p.add_argument("--beta", type=float, required=True, help="regularization strength > 0")
    p.add_argument("--m1", type=int, default=None, help="first-layer width of each sub-network (3 layers; default 2)")
    p.add_argument("--groups", default="exact", help="'exact' (default) or N: sample groups from N random draws")
    p.add_argument("--seed", type=int, default=0, help="seed for sampled groups")
    p.add_argument("--solver", default="cvxpy", help="cvxpy (CLARABEL, SCS fallback), a cvxpy solver name, fast or auto")
    p.add_argument("--rank", type=int, default=None,
                   help="solve the rank-R approximation instead (MATH §6): groups of the truncated SVD of X, "
                        "network evaluated on X; adds bound_factor = (1 + gamma)^2")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict:
    """Solve, prune, rebuild and certify; returns the summary dict."""
    from ..convex import solve_three_layer, solve_two_layer
    from ..nets import network_objective

    start = time.perf_counter()
    beta = check_positive(args.beta, "--beta")
    groups = _groups_arg(args.groups)
    seed = check_int(args.seed, "--seed", minimum=0)
    if args.layers == 2:
        if args.m1 not in (None, 1):
            raise InputError(f"--m1 applies to --layers 3 only (two layers have m1=1); got --m1 {args.m1}")
        m1 = 1
    else:
        m1 = check_int(2 if args.m1 is None else args.m1, "--m1", minimum=1)
    X, y = load_data(args)
    if args.rank is not None:
        return _run_low_rank(args, X, y, beta, m1, groups, start)
    if args.layers == 2:
        result = solve_two_layer(X, y, beta, groups, solver=args.solver, seed=seed)
    else:
        result = solve_three_layer(X, y, beta, m1, groups, solver=args.solver, seed=seed)
    pruned = result.prune(drop_tol=1e-6)  # solver-noise blocks out: objective moves ~1e-8
    net = pruned.network()
    cert = result.certificate()
    return {
        "objective": result.objective,
        "network_objective": network_objective(net, X, y, beta),
        "subnetworks": net.num_subnets,
        "lower_bound": cert.lower_bound,
        "certified": cert.certified,
        "groups": result.num_groups,
        "group_source": result.source,
        "exact_groups": cert.exact_groups,
        "layers": args.layers,
        "m1": m1,
        "beta": beta,
        "n": X.shape[0],
        "d": X.shape[1],
        "status": result.status,
        "solver": result.solver,
        "seconds": time.perf_counter() - start,
    }


def _run_low_rank(args: argparse.Namespace, X, y, beta: float, m1: int, groups: str | int, start: float) -> dict:
    """``--rank R``: the approximation of MATH §6; ``network_objective`` is the approximate
    network's objective on the original X, ``lower_bound`` the certificate on X (exact groups of X)."""
    from ..convex.lowrank import low_rank_approximation

    if groups != "exact":
        raise InputError("--rank uses the exact groups of the rank-R data; drop --groups")
    rank = check_int(args.rank, "--rank", minimum=1, maximum=min(X.shape))
    approx = low_rank_approximation(X, y, beta, rank, args.layers, m1, solver=args.solver)
    cert = approx.certificate
    return {
        "objective": approx.program_objective,
        "network_objective": approx.objective,
        "subnetworks": approx.subnetworks,
        "lower_bound": None if cert is None else cert.lower_bound,
        "certified": False if cert is None else cert.certified,
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
        "status": approx.result.status,
        "solver": approx.result.solver,
        "seconds": time.perf_counter() - start,
    }
