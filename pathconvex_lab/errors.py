"""Exception and warning types shared by the whole package.

Every exception subclasses the builtin it refines, so ``except ValueError`` in user
code keeps working, and :class:`PathconvexError` catches all of ours at once.
"""

from __future__ import annotations


class PathconvexError(Exception):
    """Base class of every error raised on purpose by pathconvex_lab."""


class InputError(PathconvexError, ValueError):
    """A bad argument: the message names the argument, the expected form and the value seen."""


class ProblemTooLargeError(PathconvexError, ValueError):
    """Raised *before* allocating, when the estimated size of a problem exceeds a budget.

    The message states the estimate and how to shrink it (fewer points, sampled
    patterns or groups, the low-rank approximation).
    """


class SolverError(PathconvexError, RuntimeError):
    """Every backend failed; the message names each backend tried and its status."""


class SolverFallbackWarning(RuntimeWarning):
    """A solver failed and another backend was used instead."""


class InconsistentBoundWarning(RuntimeWarning):
    """A lower bound came out above an objective that a network attains: it was discarded."""


class IncompletePatternsWarning(UserWarning):
    """A sampled pattern or group set is (probably) incomplete: results are bounds, not optima."""


__all__ = [
    "InconsistentBoundWarning",
    "PathconvexError",
    "InputError",
    "ProblemTooLargeError",
    "SolverError",
    "SolverFallbackWarning",
    "IncompletePatternsWarning",
]
