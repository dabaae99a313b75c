"""Three-layer path-regularized parallel ReLU networks as a convex group program (docs/mathematics.md §3).

``f = sum_k ((X W1k)_+ w2k)_+ w3k`` with the l2 path norm ``sum_k ||W1k diag(w2k) w3k||_F``
equals, for a fixed first-layer width ``m1``, the group program of §3.5 over all groups
(configuration of ``m1`` labelled patterns, second-layer pattern). The optimum DEcreases as
``m1`` grows (splitting lemma, §3.3), so ``m1`` is part of the model.
"""

from __future__ import annotations

import time
from typing import Any

from .._validate import check_int
from .groups import max_groups as _max_groups
from .groups import resolve_groups
from .program import MAX_BYTES, MAX_VARIABLES, check_problem
from .results import ConvexResult, solve_groups


def solve_three_layer(
    X: Any,
    y: Any,
    beta: Any,
    m1: int = 2,
    groups: Any = "exact",
    *,
    solver: str = "auto",
    seed: Any = 0,
    max_variables: int = MAX_VARIABLES,
    max_bytes: int = MAX_BYTES,
    verbose: bool = False,
) -> ConvexResult:
    """Globally optimal three-layer path-regularized parallel network, via the convex program.

    Args:
        X: data ``(n, d)`` (bias as a column of ones), ``y`` targets ``(n,)``, ``beta > 0``.
        m1: first-layer width of each sub-network (>= 1; ``m1 = 1`` equals two layers).
        groups: ``"exact"`` (every group, docs/mathematics.md §3.4), an ``int`` (random draws, docs/mathematics.md §5.4: an
            upper bound), a ``Groups`` object, or a three-layer ``ParallelReLUNet`` with this
            ``m1`` (its own activation patterns: lands just below that network).
        solver, seed, max_variables, max_bytes: as in :func:`solve_two_layer`.
    Returns:
        :class:`ConvexResult` with ``blocks (2, G, d, m1)``; ``.network()`` has ``W1 = V``,
        ``w2 = sigma``, ``w3 = s``.
    """
    X, y, beta = check_problem(X, y, beta)
    m1 = check_int(m1, "m1", minimum=1)
    start = time.perf_counter()
    grp, source = resolve_groups(X, m1, groups, seed=seed, max_groups=_max_groups(X, m1, max_variables))
    return solve_groups(
        X, y, beta, grp, layers=3, source=source, solver=solver, max_variables=max_variables,
        max_bytes=max_bytes, verbose=verbose, group_seconds=time.perf_counter() - start,
    )


__all__ = ["solve_three_layer"]
