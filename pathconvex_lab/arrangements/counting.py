"""How many patterns and groups there are: Cover's count, bounds from both sides, general position
(docs/mathematics.md §5, §3.4)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import check_int, check_matrix
from ..errors import ProblemTooLargeError
from ._chunks import CHUNK_BOOLS, block_size, blocks
from ._geometry import ZERO_TOL, combinations, distinct_hyperplanes, null_vectors, row_space

#: Most ``(ray, row)`` tests :func:`is_general_position` makes before refusing.
_MAX_POSITION_TESTS = 4_000_000_000


def pattern_bound(n: int, r: int) -> int:
    """Cover's bound ``C(n, r) = 2 sum_{k<r} binom(n-1, k)`` (exact int) on the number of
    chamber patterns of ``n`` rows of rank ``r``; equals ``2^n`` when ``r >= n``, 2 when
    ``r = 1``, and 1 for ``r = 0`` or ``n = 0`` (one chamber, the whole space)."""
    n = check_int(n, "n", minimum=0)
    r = check_int(r, "r", minimum=0)
    if n == 0 or r == 0:
        return 1
    return 2 * sum(math.comb(n - 1, k) for k in range(min(r, n)))


def pattern_count_upper_bound(X: Any) -> int:
    """Upper bound (exact int) on the number of chamber patterns of ``X (n, d)``:
    ``pattern_bound(m, r)`` with ``m`` the number of distinct hyperplanes (nonzero rows up to
    scale) and ``r = rank X``. Equal to the count when those ``m`` hyperplanes are in general
    position; cheap (one SVD), so it can refuse an enumeration before anything is built."""
    X = check_matrix(X, "X")
    A, _, nonzero = row_space(X)
    if not nonzero.any():
        return 1
    m = len(distinct_hyperplanes(A[nonzero])[0])
    return pattern_bound(m, A.shape[1])


def group_count_lower_bound(P: int, m1: int) -> int:
    """Lower bound (exact int) on the number of three-layer groups built from ``P`` first-layer
    patterns with width ``m1``: ``binom(P + m1 - 1, m1) - 1``. Every multiset of ``m1`` positive
    labels (all ``sigma = +1``) gives exactly one group, except the one made only of the
    all-zero pattern, which gives none."""
    return math.comb(P + m1 - 1, m1) - 1


def is_general_position(X: Any) -> bool:
    """True iff every ``min(r, n)`` rows of ``X (n, d)`` are linearly independent (``r = rank X``),
    which (except for rank 1 with zero rows) holds iff the number of chamber patterns equals
    ``pattern_bound(n, r)``.

    Checked on the row space: no zero or parallel rows, and every ray cut out by ``r - 1``
    rows lies on no other row's hyperplane. Cost ``O(n^r)``; refuses when too large.
    """
    X = check_matrix(X, "X")
    A, _, nonzero = row_space(X)
    n, r = A.shape
    if r == 0:
        return True  # min(r, n) = 0 rows: vacuously independent
    if not nonzero.all():
        return False
    if n <= r or r == 1:
        return r == n or r == 1
    N, _, _ = distinct_hyperplanes(A)
    if len(N) < n:
        return False
    if r <= 2:
        return True
    if math.comb(n, r - 1) * n > _MAX_POSITION_TESTS:
        raise ProblemTooLargeError(f"checking general position of {n} rows of rank {r} needs "
                                   f"{math.comb(n, r - 1) * n:,} tests; use fewer rows")
    combos = combinations(n, r - 1)
    for rows in blocks(len(combos), block_size(CHUNK_BOOLS, n)):
        W, ok = null_vectors(N[combos[rows]])
        if not ok.all() or ((np.abs(W @ N.T) < ZERO_TOL).sum(axis=1) != r - 1).any():
            return False
    return True
