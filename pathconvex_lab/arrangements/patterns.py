"""Every chamber pattern of ``X``, exactly (docs/mathematics.md §5.2, §5.3).

All methods work on the row space of ``X``, of dimension ``r = rank X``: ``"sweep"`` (r <= 2),
``"rays"`` (any r, :mod:`~pathconvex_lab.arrangements._chambers`) and ``"lp"`` (the LP
depth-first search, the general reference method).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._validate import check_choice, check_int, check_matrix
from ..errors import InputError, ProblemTooLargeError
from ._chambers import chambers
from ._geometry import row_space
from ._lp import lp_dfs
from .counting import pattern_count_upper_bound
from .keys import pack_columns, unique_rows
from .sets import Patterns

METHODS = ("auto", "sweep", "rays", "lp")
#: Largest pattern matrix ``n x P`` (booleans, i.e. bytes) that enumeration may build.
_MAX_OUTPUT_BOOLS = 2_000_000_000


def _check_size(X: np.ndarray, max_patterns: int) -> None:
    """Raise ProblemTooLargeError when the pattern count, or the ``n x P`` output, may be too big."""
    bound = pattern_count_upper_bound(X)
    if bound * X.shape[0] > _MAX_OUTPUT_BOOLS:
        raise ProblemTooLargeError(
            f"X of shape {X.shape} may have up to {bound:,} patterns: the ({X.shape[0]}, P) pattern matrix "
            f"alone could need {bound * X.shape[0] / 1e9:.1f} GB; use fewer points or sample_patterns(X, num_samples)")
    if bound > max_patterns:
        raise ProblemTooLargeError(
            f"X of shape {X.shape} and rank {np.linalg.matrix_rank(X)} may have up to {bound:,} "
            f"chamber patterns, more than max_patterns={max_patterns:,}; use fewer points, reduce the "
            f"rank (project X on its top singular vectors), call sample_patterns(X, num_samples), or "
            f"raise max_patterns")


def _row_signs(hyper: np.ndarray, h: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Row patterns ``(k, P)`` from hyperplane signs ``hyper (m, P)``: ``hyper[h_i] XOR (o_i < 0)``
    (no copy when the map is the identity)."""
    if len(h) == len(hyper) and (h == np.arange(len(h))).all() and (o > 0).all():
        return hyper
    rows = hyper[h]
    np.logical_xor(rows, (o < 0)[:, None], out=rows)
    return rows


def _sorted_patterns(hyper: np.ndarray, dirs: np.ndarray, h: np.ndarray, o: np.ndarray, nonzero: np.ndarray,
                     Q: np.ndarray, method: str, exact: bool, start: float) -> Patterns:
    """Assemble a :class:`Patterns` from hyperplane signs ``hyper (m, P)``, row-space
    directions ``dirs (P, r)`` and the row map ``h, o`` of the nonzero rows.

    Columns are sorted lexicographically by the row patterns. Sorting by the hyperplanes in
    the order of their first row gives that order without building the ``n x P`` matrix twice.
    """
    first = np.sort(np.unique(h, return_index=True)[1])  # first row of each hyperplane, in row order
    keys = pack_columns(_row_signs(hyper, h[first], o[first]))
    idx = unique_rows(np.ascontiguousarray(keys.T))
    hyper = np.take(hyper, idx, axis=1)
    if nonzero.all():
        pats = _row_signs(hyper, h, o)
    else:
        pats = np.zeros((len(nonzero), len(idx)), dtype=bool)
        pats[np.flatnonzero(nonzero)] = _row_signs(hyper, h, o)
    U = dirs[idx] @ Q.T if Q.shape[1] else np.tile(np.eye(1, Q.shape[0]), (len(idx), 1))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    return Patterns(pats, np.ascontiguousarray(U.T), method, exact, time.perf_counter() - start)


def enumerate_patterns(X: Any, *, method: str = "auto", max_patterns: int = 2_000_000) -> Patterns:
    """Every chamber pattern of ``X (n, d)`` exactly, with a realizing direction each.

    Args:
        X: data matrix ``(n, d)``, any rank; repeated, collinear and zero rows are fine.
        method: ``"auto"`` (sweep for rank <= 2, rays otherwise), ``"sweep"`` (rank <= 2 only),
            ``"rays"`` or ``"lp"`` (the LP depth-first search of docs/mathematics.md §5.2, slow).
        max_patterns: refuse (ProblemTooLargeError) when :func:`pattern_count_upper_bound`
            exceeds it, before building anything.
    Returns:
        :class:`Patterns` with ``exact=True``.
    """
    start = time.perf_counter()
    X = check_matrix(X, "X")
    method = check_choice(method, "method", METHODS)
    max_patterns = check_int(max_patterns, "max_patterns", minimum=1)
    _check_size(X, max_patterns)
    A, Q, nonzero = row_space(X)
    r = A.shape[1]
    if method == "sweep" and r > 2:
        raise InputError(f"method='sweep' needs rank X <= 2; got rank {r} (use 'rays' or 'auto')")
    rows = A[nonzero]
    identity = np.arange(len(rows)), np.ones(len(rows), dtype=int)  # row map when rows are not merged
    if r == 0:
        hyper, dirs, (h, o), name = np.zeros((0, 1), dtype=bool), np.zeros((1, 0)), identity, "exact-sweep"
    elif method == "lp":
        signs, dirs = lp_dfs(rows)
        hyper, (h, o), name = np.ascontiguousarray(signs.T), identity, "exact-lp"
    else:
        use_rays = method == "rays" or (method == "auto" and r > 2)
        hyper, dirs, h, o = chambers(rows, "rays" if use_rays else "sweep")
        name = "exact-rays" if use_rays else "exact-sweep"
    return _sorted_patterns(hyper, dirs, h, o, nonzero, Q, name, True, start)
