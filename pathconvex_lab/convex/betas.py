"""The regularization axis of a model: ``m1`` for two or three layers, ``beta_max = sigma_A(y)``
(above which the zero network is optimal, docs/mathematics.md §3.7), grids and checks of
``beta`` values, and the effective number of sub-networks."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_choice, check_int, check_positive
from ..errors import InputError
from .certificate import support_function
from .groups import resolve_groups
from .program import check_problem


def resolve_m1(layers: Any, m1: Any) -> int:
    """``m1`` for a model: 1 for two layers (``m1`` must be None or 1), default 2 for three."""
    check_choice(layers, "layers", (2, 3))
    if layers == 2:
        if m1 not in (None, 1):
            raise InputError(f"m1 applies to layers=3 only (two layers have m1=1); got m1={m1!r}")
        return 1
    return check_int(2 if m1 is None else m1, "m1", minimum=1)


def compute_beta_max(
    X: Any, y: Any, layers: int = 3, m1: int | None = None, groups: Any = "exact", *, seed: Any = 0,
    support: str = "projection",
) -> float:
    """``beta_max = sigma_A(y)``: the smallest ``beta`` at which the zero network is optimal.

    At ``f = 0`` the residual is ``y`` and the certificate of docs/mathematics.md §3.7 says the zero network is
    optimal iff ``sigma_A(y) = max_g max_{V in C_g, ||V||_F <= 1} |y^T M_g V| <= beta``.
    ``groups``, ``seed``: as in :func:`~pathconvex_lab.convex.path.regularization_path` (over sampled groups this is the
    threshold of the restricted program). ``support``: ``"socp"`` or ``"projection"`` (exact).
    """
    X, y, _ = check_problem(X, y, 1.0)
    m1 = resolve_m1(layers, m1)
    full, _ = resolve_groups(X, m1, groups, seed=seed)
    return support_sigma(X, y, full, support)


def support_sigma(X: np.ndarray, y: np.ndarray, full: Any, support: str) -> float:
    """Exact ``sigma_A(y)`` over the groups ``full``."""
    check_choice(support, "support", ("socp", "projection"))
    return float(support_function(X, y, full.D1, full.sigma, full.D2, method=support).sigma)


def beta_grid(beta_max: float, num: int = 20, min_ratio: float = 1e-2) -> np.ndarray:
    """``num`` log-spaced values from ``min_ratio * beta_max`` to ``beta_max``, ascending: ``(num,)``."""
    beta_max = check_positive(beta_max, "beta_max")
    num = check_int(num, "num", minimum=1)
    min_ratio = check_positive(min_ratio, "min_ratio")
    if min_ratio >= 1:
        raise InputError(f"min_ratio must be < 1; got {min_ratio}")
    return np.geomspace(min_ratio * beta_max, beta_max, num)


def check_betas(betas: Any) -> np.ndarray:
    """Sorted unique positive finite betas ``(B,)`` from a sequence."""
    if isinstance(betas, (bool, np.bool_)) or np.asarray(betas).dtype == bool:
        raise InputError(f"betas must be a sequence of positive numbers or an int (grid size); got {betas!r}")
    try:
        arr = np.asarray(betas, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"betas must be a sequence of positive numbers or an int (grid size); got {betas!r}") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(f"betas must be a non-empty sequence of finite numbers > 0; got {arr.tolist()}")
    return np.unique(arr)


def effective_count(norms: Any) -> float:
    """Participation number ``(sum_k R_k)^2 / sum_k R_k^2`` of sub-network norms ``R (K,)``:
    ``K`` when all are equal, close to the number of large ones when the rest are small, 0 for none."""
    R = np.abs(np.asarray(norms, dtype=np.float64).reshape(-1))
    total = float((R**2).sum())
    return float(R.sum() ** 2 / total) if total > 0 else 0.0


__all__ = ["resolve_m1", "compute_beta_max", "support_sigma", "beta_grid", "check_betas", "effective_count"]
