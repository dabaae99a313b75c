"""The two result types, :class:`Patterns` and :class:`Groups`; the canonical form of a group set;
how much of one set another covers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from .keys import canonical_group_keys, group_keys, pack, unique_rows


@dataclass(frozen=True, eq=False)
class Patterns:
    """A set of ReLU sign patterns of ``X (n, d)`` with a realizing direction for each.

    Attributes:
        patterns: bool ``(n, P)``; column ``p`` is ``1[X u_p > 0]``. Deduplicated, columns in
            lexicographic order (row 0 most significant, False < True).
        directions: float64 ``(d, P)`` unit vectors; ``X u_p`` is > 0 where the pattern is True
            and < 0 where it is False, except on zero rows of ``X``.
        method: ``"exact-sweep"``, ``"exact-rays"``, ``"exact-lp"``, ``"sampled"`` ...
        exact: True only when the set is provably every chamber pattern.
        seconds: wall time spent computing it.
    """

    patterns: np.ndarray
    directions: np.ndarray
    method: str
    exact: bool
    seconds: float

    @property
    def count(self) -> int:
        """Number of patterns ``P``."""
        return int(self.patterns.shape[1])

    @property
    def n(self) -> int:
        """Number of data points (rows of ``X``)."""
        return int(self.patterns.shape[0])

    def index(self, pattern: Any) -> int:
        """Column index of ``pattern`` (bool ``(n,)``) in :attr:`patterns`, or -1 if absent."""
        key = np.asarray(pattern, dtype=bool).reshape(-1)
        if key.shape[0] != self.n:
            raise InputError(f"pattern must have n={self.n} entries; got {key.shape[0]}")
        hits = np.flatnonzero((self.patterns == key[:, None]).all(axis=0))
        return int(hits[0]) if hits.size else -1

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "incomplete"
        return (f"Patterns(count={self.count}, n={self.n}, method={self.method!r}, {kind}, "
                f"seconds={self.seconds:.3g})")


@dataclass(frozen=True, eq=False)
class Groups:
    """Three-layer groups ``g = (c, D2)`` of docs/mathematics.md §3.4, one per row of the arrays.

    Attributes:
        D1: bool ``(G, m1, n)``; first-layer pattern of neuron ``j`` of group ``g``.
        sigma: int8 ``(G, m1)``, entries +1/-1 (sign of ``w2`` for neuron ``j``).
        D2: bool ``(G, n)``; second-layer pattern, nonzero and zero on ``Z_c``.
        m1: first-layer width of a sub-network.
        method: ``"exact"``, ``"exact-lp"``, ``"sampled"``, ``"network"``, ``"patterns"``.
        exact: True only when the set is provably every group.
        seconds: wall time spent computing it.
        V: float64 ``(G, d, m1)`` realizing first-layer weights: ``1[X v_j > 0] = D1_j`` and
            ``1[h > 0] = D2`` strictly off ``Z_c``, with ``h = sum_j sigma_j (X v_j)_+``.
    Neurons inside a group are in a canonical order; groups are deduplicated and sorted
    by :func:`~pathconvex_lab.arrangements.group_keys`.
    """

    D1: np.ndarray
    sigma: np.ndarray
    D2: np.ndarray
    m1: int
    method: str
    exact: bool
    seconds: float
    V: np.ndarray | None = None

    @property
    def count(self) -> int:
        """Number of groups ``G``."""
        return int(self.D2.shape[0])

    @property
    def n(self) -> int:
        """Number of data points."""
        return int(self.D2.shape[1])

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "incomplete"
        return (f"Groups(count={self.count}, m1={self.m1}, n={self.n}, method={self.method!r}, "
                f"{kind}, seconds={self.seconds:.3g})")


def canonical_groups(D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray, V: np.ndarray, m1: int,
                     method: str, exact: bool, start: float) -> Groups:
    """A :class:`Groups` from ``D1 (G, m1, n)``, ``sigma (G, m1)``, ``D2 (G, n)`` and
    ``V (G, d, m1)``: neurons sorted inside each group, duplicate groups dropped, groups sorted
    by key; ``start`` is the ``time.perf_counter()`` reading when the work began."""
    n, d = D2.shape[1], V.shape[1]
    if len(D2) == 0:
        return Groups(np.zeros((0, m1, n), bool), np.zeros((0, m1), np.int8), np.zeros((0, n), bool),
                      m1, method, exact, time.perf_counter() - start, np.zeros((0, d, m1)))
    order, keys = canonical_group_keys(D1, sigma, D2)
    D1 = np.take_along_axis(D1, order[:, :, None], axis=1)
    sigma = np.take_along_axis(sigma, order, axis=1)
    V = np.take_along_axis(V, order[:, None, :], axis=2)
    idx = unique_rows(keys)
    return Groups(D1[idx], sigma[idx].astype(np.int8), D2[idx], m1, method, exact,
                  time.perf_counter() - start, V[idx])


def _set_keys(found: Patterns | Groups) -> np.ndarray:
    """Byte keys ``(count, L)`` of the members of a pattern or group set."""
    if isinstance(found, Patterns):
        return pack(found.patterns.T)
    return group_keys(found.D1, found.sigma, found.D2)


def coverage(found: Patterns | Groups, reference: Patterns | Groups | int) -> float:
    """Fraction of ``reference`` found: ``|found ∩ reference| / |reference|`` for a pattern
    (or group) set, or ``found.count / reference`` for an integer (e.g. ``pattern_bound``)."""
    if isinstance(reference, (int, np.integer)) and not isinstance(reference, bool):
        if reference <= 0:
            raise InputError(f"reference must be a positive count; got {reference}")
        return found.count / int(reference)
    if not isinstance(reference, (Patterns, Groups)) or type(found) is not type(reference):
        raise InputError("coverage needs found and reference of the same type (Patterns or Groups), "
                         f"or an int reference; got {type(found).__name__} and {type(reference).__name__}")
    if found.n != reference.n:
        raise InputError(f"found has n={found.n} points but reference has n={reference.n}")
    if reference.count == 0:
        return 1.0
    a, b = _set_keys(found), _set_keys(reference)
    if a.shape[1] != b.shape[1]:
        return 0.0
    both = np.concatenate([np.unique(a, axis=0), np.unique(b, axis=0)])
    common = len(both) - len(np.unique(both, axis=0))
    return common / len(np.unique(b, axis=0))
