"""Two-layer ReLU networks with weight decay as a convex group lasso (docs/mathematics.md §2).

Weight decay ``beta/2 sum (||u_j||^2 + alpha_j^2)`` equals the path norm ``beta sum ||u_j|| |alpha_j|``
at balanced weights, and the training problem equals the convex program with one pair of
blocks ``(v_i, w_i)`` per activation pattern ``D_i`` -- the ``m1 = 1`` group program.
"""

from __future__ import annotations

import time
from typing import Any

from .groups import max_groups as _max_groups
from .groups import resolve_groups
from .program import MAX_BYTES, MAX_VARIABLES, check_problem
from .results import ConvexResult, solve_groups


def solve_two_layer(
    X: Any,
    y: Any,
    beta: Any,
    patterns: Any = "exact",
    *,
    solver: str = "auto",
    seed: Any = 0,
    max_variables: int = MAX_VARIABLES,
    max_bytes: int = MAX_BYTES,
    verbose: bool = False,
) -> ConvexResult:
    """Globally optimal two-layer ReLU network with weight decay, via the convex program.

    Args:
        X: data ``(n, d)`` (add a bias column with ``add_bias``).
        y: targets ``(n,)``.
        beta: regularization strength > 0 (loss ``1/2 ||f - y||^2``, no ``1/n``).
        patterns: ``"exact"`` (all chamber patterns), an ``int`` (number of random directions,
            docs/mathematics.md §5.4: an upper bound), a ``Patterns`` or ``Groups`` (m1 = 1) object, or a
            two-layer ``ParallelReLUNet`` (its own activation patterns).
        solver: ``"auto"`` (the default: the torch solver for large programs, else CLARABEL),
            ``"cvxpy"`` (CLARABEL, SCS fallback), a cvxpy solver name, or ``"fast"``.
        seed: seed for sampled patterns.
        max_variables, max_bytes: size budget (ProblemTooLargeError beyond it, before building).
    Returns:
        :class:`ConvexResult` with ``blocks (2, P, d, 1)``; ``.network()`` is the balanced network.
    """
    X, y, beta = check_problem(X, y, beta)
    start = time.perf_counter()
    groups, source = resolve_groups(X, 1, patterns, seed=seed, name="patterns", max_groups=_max_groups(X, 1, max_variables))
    return solve_groups(
        X, y, beta, groups, layers=2, source=source, solver=solver, max_variables=max_variables,
        max_bytes=max_bytes, verbose=verbose, group_seconds=time.perf_counter() - start,
    )


__all__ = ["solve_two_layer"]
