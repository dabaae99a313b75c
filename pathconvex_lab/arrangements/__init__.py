"""ReLU sign patterns (hyperplane arrangements, docs/mathematics.md §5) and three-layer groups (§3.4).

A *chamber pattern* of ``X (n, d)`` is ``1[X u > 0]`` for a direction ``u`` in an open chamber of
the central arrangement ``{u : x_i^T u = 0}``; rows of ``X`` that are zero always get 0. The
set of all of them, :func:`enumerate_patterns`, has at most ``pattern_bound(n, rank X)``
members (Cover 1965), with equality iff the rows are in general position.

Exact methods (all work on the row space of ``X``, of dimension ``r = rank X``):

- ``"sweep"`` (r <= 2): sort the boundary angles and read one pattern per arc (§5.3).
- ``"rays"`` (any r): every chamber of an essential central arrangement is a pointed cone, so
  it has an extreme ray lying on ``r - 1`` independent hyperplanes; the chambers touching a
  ray are read off the local arrangement of the hyperplanes through it (``2^(r-1)`` sign
  choices in general position, a recursive lower-dimensional enumeration otherwise).
- ``"lp"``: the incremental depth-first search with one LP per undecided node (§5.2), the
  general reference method.

Three-layer groups ``g = (c, D2)`` (§3.4): a configuration ``c`` is a multiset of ``m1`` labels
``(sigma_j, D1_j)``; ``D2`` ranges over the nonzero strict sign patterns of
``h_i(V) = sum_j sigma_j D1_j[i] x_i^T v_j`` over ``V`` in the first-layer cone of ``c``.
A row whose active neurons all have the same sign has a forced ``D2`` entry; the other
(*mixed*) rows are searched by the same depth-first search, on one warm-started HiGHS model
per configuration. ``method="lp"`` instead runs the plain §5.2 search on every row (reference).

Modules: ``sets`` (:class:`Patterns`, :class:`Groups`, :func:`coverage`), ``patterns`` (exact
patterns), ``sampling`` (patterns and groups of random or given weights), ``groups`` (exact
groups), ``counting`` (Cover's count and bounds), ``keys`` (the byte key of a pattern or group);
the private ``_chambers``, ``_lp``, ``_geometry`` and ``_chunks`` do the work behind them.
"""

from __future__ import annotations

from .counting import group_count_lower_bound, is_general_position, pattern_bound, pattern_count_upper_bound
from .groups import enumerate_groups, groups_from_patterns
from .keys import group_keys
from .patterns import METHODS, enumerate_patterns
from .sampling import MAX_SAMPLES, groups_from_network, sample_groups, sample_patterns
from .sets import Groups, Patterns, coverage

__all__ = [
    "Patterns", "Groups", "METHODS", "MAX_SAMPLES", "enumerate_patterns", "sample_patterns", "pattern_bound",
    "is_general_position", "coverage", "pattern_count_upper_bound", "enumerate_groups", "sample_groups",
    "groups_from_patterns", "groups_from_network", "group_count_lower_bound", "group_keys",
]
