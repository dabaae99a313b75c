"""Convex programs equivalent to path-regularized parallel ReLU networks (docs/mathematics.md §2-§3, §6).

Main entry points:

- :func:`solve_two_layer` -- two-layer ReLU network with weight decay (group lasso, §2);
- :func:`solve_three_layer` -- three-layer path-regularized parallel network (§3.5);
- :func:`certificate` -- dual certificate of global optimality for any network (§3.7);
- :func:`certify_and_grow` -- column generation: few groups, priced by the certificate;
- :func:`regularization_path` -- the program along a grid of ``beta``, certified at every point;
- :mod:`~pathconvex_lab.convex.route` -- the convex side of the default route (the route itself,
  with its trained starts, is :func:`pathconvex_lab.experiments.solve_route`).

Each solve returns a :class:`ConvexResult` with ``.network()``, ``.prune()``, ``.certificate()``.
"""

from .betas import beta_grid, compute_beta_max, effective_count
from .certificate import Certificate, certificate, certify_outputs
from .grow import GrowthHistory, certify_and_grow
from .lowrank import (
    LowRankResult,
    RankSweep,
    group_count_bound,
    low_rank_approximation,
    low_rank_sweep,
)
from .path import RegularizationPath, regularization_path
from .program import ProblemSize, estimate_size, solve_group_program
from .results import ConvexResult, solve_groups
from .route import RouteResult, RouteRound
from .three_layer import solve_three_layer
from .two_layer import solve_two_layer

__all__ = [
    "RouteResult",
    "RouteRound",
    "solve_two_layer",
    "solve_three_layer",
    "solve_groups",
    "solve_group_program",
    "estimate_size",
    "ProblemSize",
    "ConvexResult",
    "certificate",
    "certify_outputs",
    "Certificate",
    "certify_and_grow",
    "GrowthHistory",
    "regularization_path",
    "RegularizationPath",
    "compute_beta_max",
    "beta_grid",
    "effective_count",
    "low_rank_approximation",
    "LowRankResult",
    "low_rank_sweep",
    "RankSweep",
    "group_count_bound",
]
