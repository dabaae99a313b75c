"""Where the groups of a convex program come from, and set operations on them.

Sources, strongest first: ``"exact"`` enumeration; a network's own activation patterns
(``groups=net``); a :class:`~pathconvex_lab.arrangements.Groups` object you built (e.g. by
certify-and-grow); an ``int``, the number of random draws (docs/mathematics.md §5.4). Two layers are the
``m1 = 1`` case: one group per pattern with ``D1 = D2 = D``, ``sigma = +1``.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
from typing import Any

import numpy as np

from .. import arrangements as arr
from .._validate import check_int
from ..errors import InputError, ProblemTooLargeError

#: Refuse exact enumeration beyond this many groups (the program would not fit cvxpy anyway).
MAX_GROUPS = 200_000


def network_weights(net: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reparametrized blocks of a 2- or 3-layer :class:`~pathconvex_lab.nets.ParallelReLUNet`
    (docs/mathematics.md §3.2): ``V (K, d, m1) = W1 diag|w2| |w3|``, ``sigma (K, m1)`` = sign(w2) (0 read as +1),
    ``s (K,)`` = sign(w3). Two-layer nets have ``m1 = 1`` and ``sigma = +1``."""
    from ..nets import ParallelReLUNet

    if not isinstance(net, ParallelReLUNet):
        raise InputError(f"net must be a ParallelReLUNet; got {type(net).__name__}")
    if net.depth not in (2, 3):
        raise InputError(f"net must have 2 or 3 layers (widths (d, 1) or (d, m1, 1)); got widths {net.widths}")
    if net.hidden_bias:
        raise InputError("net must not have hidden biases: put the bias as a column of ones in X (add_bias)")
    arrays = net.to_numpy()
    W1, out = arrays["layers"][0], arrays["out"]
    if net.depth == 2:
        w2 = np.ones((W1.shape[0], 1))
    else:
        w2 = arrays["layers"][1][:, :, 0]
    V = W1 * np.abs(w2)[:, None, :] * np.abs(out)[:, None, None]
    sigma = np.where(w2 < 0, -1, 1).astype(np.int8)
    return V, sigma, np.where(out < 0, -1, 1).astype(np.int8)


def network_m1(net: Any) -> int:
    """First-layer width of a sub-network: 1 for two layers, ``widths[1]`` for three."""
    return 1 if net.depth == 2 else int(net.widths[1])


def resolve_groups(
    X: np.ndarray, m1: int, groups: Any, *, seed: Any = 0, name: str = "groups", max_groups: int = MAX_GROUPS
) -> tuple[Any, str]:
    """Turn a ``groups`` argument into a ``Groups`` object for ``m1`` and name its source.

    ``groups`` is ``"exact"``, an ``int`` (number of random draws), a ``Groups``, a
    ``Patterns`` (only for ``m1 = 1``) or a ``ParallelReLUNet`` (its own activation
    patterns). Exact enumeration refuses (ProblemTooLargeError) beyond ``max_groups``, already
    before enumerating patterns when Cover's bound on their number says it must.
    Returns ``(Groups, source)`` with source ``"exact"``, ``"sampled"``,
    ``"network"`` or the given object's ``method``.
    """
    from ..nets import ParallelReLUNet

    n = X.shape[0]
    if isinstance(groups, str):
        if groups != "exact":
            raise InputError(f"{name} must be 'exact', a number of samples, a Groups/Patterns object or a network; got {groups!r}")
        try:
            patterns = arr.enumerate_patterns(X, max_patterns=max_patterns(m1, max_groups))
            if m1 == 1:
                return arr.groups_from_patterns(patterns), "exact"
            return arr.enumerate_groups(X, m1, patterns=patterns, max_groups=max_groups), "exact"
        except ProblemTooLargeError as exc:
            raise ProblemTooLargeError(
                f"the exact group set for m1={m1} is too large for the convex program (more than "
                f"{max_groups:,} groups): {exc}. For the program: pass {name}=<number of random draws> "
                "and check the result with a certificate, use certify_and_grow with a sampled pool, "
                "or raise max_variables"
            ) from None
    if isinstance(groups, numbers.Integral) and not isinstance(groups, bool):
        num = check_int(groups, name, minimum=1)
        if m1 == 1:
            return arr.groups_from_patterns(arr.sample_patterns(X, num, seed=seed)), "sampled"
        return arr.sample_groups(X, m1, num, seed=seed), "sampled"
    if isinstance(groups, arr.Patterns):
        if m1 != 1:
            raise InputError(f"{name}: a Patterns object defines two-layer (m1=1) groups; got m1={m1}")
        if groups.n != n:
            raise InputError(f"{name} has n={groups.n} points but X has {n} rows")
        return arr.groups_from_patterns(groups), "exact" if groups.exact else groups.method
    if isinstance(groups, ParallelReLUNet):
        if network_m1(groups) != m1:
            raise InputError(f"{name}: the network has m1={network_m1(groups)} but m1={m1} was asked for")
        V, sigma, _ = network_weights(groups)
        return arr.groups_from_network(X, V, sigma), "network"
    if isinstance(groups, arr.Groups):
        if groups.n != n:
            raise InputError(f"{name} has n={groups.n} points but X has {n} rows")
        if groups.m1 != m1:
            raise InputError(f"{name} has m1={groups.m1} but m1={m1} was asked for")
        return groups, "exact" if groups.exact else groups.method
    raise InputError(
        f"{name} must be 'exact', a number of samples, a Groups/Patterns object or a ParallelReLUNet; "
        f"got {type(groups).__name__}"
    )


def max_groups(X: np.ndarray, m1: int, max_variables: int) -> int:
    """Largest group count whose program fits ``max_variables`` (``2 G d m1`` variables), capped at MAX_GROUPS."""
    return max(1, min(MAX_GROUPS, int(max_variables) // (2 * X.shape[1] * m1)))


def max_patterns(m1: int, max_groups: int) -> int:
    """Largest pattern count ``P`` whose groups may fit: ``group_count_lower_bound(P, m1) <= max_groups``
    (:func:`~pathconvex_lab.arrangements.group_count_lower_bound`)."""
    low, high = 1, max_groups + 1
    while low < high:  # bisection on the monotone count
        mid = (low + high + 1) // 2
        if arr.group_count_lower_bound(mid, m1) <= max_groups:
            low = mid
        else:
            high = mid - 1
    return low


def group_keys(groups: Any) -> np.ndarray:
    """The key of each group of a ``Groups`` object as one ``bytes``: object array ``(G,)``.

    The bytes of :func:`pathconvex_lab.arrangements.group_keys`: equal iff the groups are
    equal, whatever the order of their neurons and whichever object holds them.
    """
    keys = arr.group_keys(groups.D1, groups.sigma, groups.D2)
    return np.array([key.tobytes() for key in keys], dtype=object)


def subset_groups(groups: Any, idx: Any, *, method: str | None = None, exact: bool = False) -> Any:
    """The groups ``idx`` of ``groups`` (a new ``Groups``; ``exact`` False unless told)."""
    idx = np.asarray(idx, dtype=np.int64)
    return dataclasses.replace(
        groups,
        D1=groups.D1[idx],
        sigma=groups.sigma[idx],
        D2=groups.D2[idx],
        V=None if groups.V is None else groups.V[idx],
        method=method or groups.method,
        exact=exact,
        seconds=0.0,
    )


def union_groups(first: Any, second: Any, *, method: str = "union") -> Any:
    """Groups of ``first`` followed by those of ``second`` that are not already in ``first``."""
    if first.m1 != second.m1 or first.n != second.n:
        raise InputError(f"cannot join groups with (m1, n)={first.m1, first.n} and {second.m1, second.n}")
    start = time.perf_counter()
    known = set(group_keys(first))
    new = np.array([key not in known for key in group_keys(second)], dtype=bool)
    V = None if first.V is None or second.V is None else np.concatenate([first.V, second.V[new]])
    return dataclasses.replace(
        first,
        D1=np.concatenate([first.D1, second.D1[new]]),
        sigma=np.concatenate([first.sigma, second.sigma[new]]),
        D2=np.concatenate([first.D2, second.D2[new]]),
        V=V,
        method=method,
        exact=first.exact or second.exact,
        seconds=time.perf_counter() - start,
    )


__all__ = ["resolve_groups", "max_groups", "network_weights", "network_m1", "group_keys", "subset_groups", "union_groups", "MAX_GROUPS"]
