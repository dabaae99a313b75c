"""Every three-layer group ``g = (c, D2)`` of docs/mathematics.md §3.4, exactly.

A configuration ``c`` is a multiset of ``m1`` labels ``(sigma_j, D1_j)``; ``D2`` ranges over the
nonzero strict sign patterns of ``h_i(V) = sum_j sigma_j D1_j[i] x_i^T v_j`` over ``V`` in the
first-layer cone of ``c``. A row whose active neurons all have the same sign has a forced ``D2``
entry; the other (*mixed*) rows are searched by depth-first search, on one warm-started HiGHS
model per configuration. ``method="lp"`` instead runs the plain §5.2 search on every row
(reference).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np

from .._validate import check_choice, check_int, check_matrix
from ..errors import InputError, ProblemTooLargeError
from ._geometry import row_space
from ._lp import cone_sign_patterns, lp_dfs
from .counting import group_count_lower_bound
from .patterns import enumerate_patterns
from .sets import Groups, Patterns, canonical_groups


def groups_from_patterns(patterns: Patterns) -> Groups:
    """The two-layer program as the ``m1 = 1`` case: one group per nonzero pattern ``D``,
    with ``D1 = D``, ``sigma = +1`` and ``D2 = D`` (docs/mathematics.md §3.3, §3.4)."""
    if not isinstance(patterns, Patterns):
        raise InputError(f"patterns must be a Patterns object; got {type(patterns).__name__}")
    start = time.perf_counter()
    keep = patterns.patterns.any(axis=0)
    D = patterns.patterns[:, keep].T
    V = patterns.directions[:, keep].T[:, :, None]
    sigma = np.ones((len(D), 1), dtype=np.int8)
    return canonical_groups(D[:, None, :].copy(), sigma, D.copy(), V, 1, patterns.method,
                            patterns.exact, start)


def _configurations(P: int, m1: int) -> np.ndarray:
    """Multisets of ``m1`` labels as sorted label-index rows ``(C, m1)``; label ``2p`` is
    ``(+1, pattern p)``, ``2p + 1`` is ``(-1, pattern p)``. All-minus multisets are dropped."""
    combos = np.array(list(itertools.combinations_with_replacement(range(2 * P), m1)), dtype=np.int64)
    combos = combos.reshape(-1, m1)
    return combos[(combos % 2 == 0).any(axis=1)]


def _config_lp(A: np.ndarray, nonzero: np.ndarray, D1: np.ndarray,
               sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cone rows ``G`` and second-layer functionals ``F`` of one configuration in the reduced
    space ``z = (z_1, ..., z_m1)``, ``z_j in R^r``; also the rows off ``Z_c`` (``live (n,)``).

    ``A (n, r)`` is ``X`` in its row space, ``D1 (m1, n)`` bool, ``sigma (m1,)``.
    """
    m1, n = D1.shape
    r = A.shape[1]
    G = np.zeros((m1 * nonzero.sum(), m1 * r))
    F = np.zeros((n, m1 * r))
    An = A[nonzero]
    for j in range(m1):
        block = slice(j * r, (j + 1) * r)
        G[j * len(An):(j + 1) * len(An), block] = np.where(D1[j, nonzero][:, None], An, -An)
        F[:, block] = sigma[j] * D1[j][:, None] * A
    live = D1.any(axis=0)
    return G, F[live], live


def _too_many(max_groups: int) -> ProblemTooLargeError:
    """The error raised when an enumeration passes ``max_groups``."""
    return ProblemTooLargeError(f"more than max_groups={max_groups:,} groups; use sample_groups, "
                                "a smaller m1 or fewer points, or raise max_groups")


def _groups_lp(X: np.ndarray, pats: Patterns, m1: int, max_groups: int) -> tuple[np.ndarray, ...]:
    """Exact groups by one LP depth-first search per configuration (docs/mathematics.md §5.2).
    Returns ``D1 (G, m1, n)``, ``sigma (G, m1)``, ``D2 (G, n)``, ``V (G, d, m1)``."""
    A, Q, nonzero = row_space(X)
    r = A.shape[1]
    labels_D = pats.patterns.T
    out_D1, out_sigma, out_D2, out_V = [], [], [], []
    for config in _configurations(pats.count, m1):
        D1 = labels_D[config // 2]
        sigma = np.where(config % 2 == 0, 1, -1).astype(np.int8)
        G, F, live = _config_lp(A, nonzero, D1, sigma)
        signs, Z = lp_dfs(F, G)
        for s, z in zip(signs, Z):
            if not s.any():
                continue
            D2 = np.zeros(len(live), dtype=bool)
            D2[live] = s
            out_D1.append(D1)
            out_sigma.append(sigma)
            out_D2.append(D2)
            out_V.append(Q @ z.reshape(m1, r).T)
        if len(out_D2) > max_groups:
            raise _too_many(max_groups)
    n, d = X.shape
    return (np.array(out_D1, dtype=bool).reshape(-1, m1, n), np.array(out_sigma, np.int8).reshape(-1, m1),
            np.array(out_D2, dtype=bool).reshape(-1, n), np.array(out_V).reshape(-1, d, m1))


def _groups_fast(X: np.ndarray, pats: Patterns, m1: int, max_groups: int) -> tuple[np.ndarray, ...]:
    """Exact groups. Rows where all active neurons of a configuration share the sign of
    ``sigma`` have a forced ``D2`` entry; only the *mixed* rows need a search, done by
    :func:`~pathconvex_lab.arrangements._lp.cone_sign_patterns` in the row space
    (``z_j = Q^T v_j``). Returns ``D1 (G, m1, n)``, ``sigma (G, m1)``, ``D2 (G, n)``, ``V (G, d, m1)``."""
    A, Q, nonzero = row_space(X)
    r = A.shape[1]
    configs = _configurations(pats.count, m1)
    D1 = pats.patterns.T[configs // 2]                      # (C, m1, n)
    sigma = np.where(configs % 2 == 0, 1, -1).astype(np.int8)  # (C, m1)
    U = pats.directions.T[configs // 2]                     # (C, m1, d)
    pos = (D1 & (sigma > 0)[:, :, None]).any(axis=1)
    neg = (D1 & (sigma < 0)[:, :, None]).any(axis=1)
    mixed = pos & neg
    forced = pos & ~neg
    simple = ~mixed.any(axis=1) & forced.any(axis=1)
    out = [(D1[simple], sigma[simple], forced[simple], U[simple].transpose(0, 2, 1))]
    total = int(simple.sum())
    for c in np.flatnonzero(mixed.any(axis=1)):
        G, F, live = _config_lp(A, nonzero, D1[c], sigma[c])
        rows = np.flatnonzero(mixed[c][live])
        z0 = (U[c] @ Q).reshape(-1)
        signs, points = cone_sign_patterns(F[rows], G, z0)
        D2 = np.repeat(forced[c][None, :], len(signs), axis=0)
        D2[:, np.flatnonzero(mixed[c])] = np.array(signs, dtype=bool).reshape(len(signs), len(rows))
        keep = D2.any(axis=1)
        Z = np.array(points)[keep].reshape(-1, m1, r)
        out.append((np.repeat(D1[c][None], keep.sum(), axis=0), np.repeat(sigma[c][None], keep.sum(), axis=0),
                    D2[keep], np.einsum("dr,kjr->kdj", Q, Z)))
        total += int(keep.sum())
        if total > max_groups:
            raise _too_many(max_groups)
    return tuple(np.concatenate(p) for p in zip(*out))


def enumerate_groups(X: Any, m1: int, *, patterns: Patterns | None = None, method: str = "auto",
                     max_groups: int = 200_000) -> Groups:
    """Every three-layer group ``(c, D2)`` of docs/mathematics.md §3.4, exactly.

    Args:
        X: data ``(n, d)``.
        m1: first-layer width of a sub-network (>= 1).
        patterns: the first-layer patterns to build labels from (default: exact enumeration).
            The result is exact only if ``patterns.exact``.
        method: ``"auto"`` or ``"lp"`` (one LP depth-first search per configuration).
        max_groups: refuse (ProblemTooLargeError) when :func:`group_count_lower_bound` already
            exceeds it, before building, or as soon as the enumeration passes it.
    Returns:
        :class:`Groups` with a realizing ``V`` for each group.
    """
    start = time.perf_counter()
    X = check_matrix(X, "X")
    m1 = check_int(m1, "m1", minimum=1)
    method = check_choice(method, "method", ("auto", "lp"))
    max_groups = check_int(max_groups, "max_groups", minimum=1)
    pats = enumerate_patterns(X) if patterns is None else patterns
    if not isinstance(pats, Patterns) or pats.n != X.shape[0]:
        raise InputError(f"patterns must be a Patterns object for the {X.shape[0]} rows of X")
    least = group_count_lower_bound(pats.count, m1)
    if least > max_groups:
        raise ProblemTooLargeError(
            f"{pats.count} patterns and m1={m1} give at least {least:,} groups, more than "
            f"max_groups={max_groups:,}; use sample_groups(X, m1, num_samples), a smaller m1, fewer "
            f"points, or raise max_groups")
    build = _groups_lp if method == "lp" else _groups_fast
    D1, sigma, D2, V = build(X, pats, m1, max_groups)
    name = "exact-lp" if method == "lp" else "exact"
    return canonical_groups(D1, sigma, D2, V, m1, name if pats.exact else f"{name}-on-{pats.method}",
                            pats.exact, start)
