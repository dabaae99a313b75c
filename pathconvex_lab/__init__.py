"""pathconvex_lab: learn, teach and explore the hidden convexity of path-regularized
parallel ReLU networks (Ergen & Pilanci, arXiv 2110.09548).

Heavy submodules (torch, cvxpy, plotting) are imported lazily on first attribute access,
so ``import pathconvex_lab`` is fast and never probes devices.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    IncompletePatternsWarning,
    InputError,
    PathconvexError,
    ProblemTooLargeError,
    SolverError,
    SolverFallbackWarning,
)

_SUBMODULES = ("arrangements", "convex", "data", "experiments", "nets", "train", "viz", "widgets", "grading", "doctor")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pathconvex_lab' has no attribute {name!r}")


__all__ = [
    "__version__",
    "PathconvexError",
    "InputError",
    "ProblemTooLargeError",
    "SolverError",
    "SolverFallbackWarning",
    "IncompletePatternsWarning",
    *_SUBMODULES,
]
