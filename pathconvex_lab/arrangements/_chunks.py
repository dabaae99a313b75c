"""Blocks of work: how many items fit a memory or cache budget, and the loops over them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

#: Booleans materialised at once when sampling (memory cap, ~40 MB).
CHUNK_BOOLS = 40_000_000
#: Floats per block of ray/direction work: small enough to stay in the CPU cache.
CACHE_FLOATS = 60_000


def block_size(budget: int, per_item: int) -> int:
    """Items per block when each item costs ``per_item`` units of ``budget`` (at least 1)."""
    return max(1, budget // max(1, per_item))


def blocks(total: int, size: int) -> Iterator[slice]:
    """Consecutive slices covering ``range(total)``, each of at most ``size`` (>= 1) items."""
    for lo in range(0, total, size):
        yield slice(lo, min(lo + size, total))


def concat_blocks(total: int, size: int, work: Callable[[int], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Call ``work(k)`` once per block of ``k <= size`` items (the blocks add up to ``total``, in
    order) and concatenate each of the arrays it returns along axis 0 over the blocks."""
    parts = [work(s.stop - s.start) for s in blocks(total, size)]
    return tuple(np.concatenate(arrays) for arrays in zip(*parts))
