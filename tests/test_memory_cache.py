"""The in-memory side of the kit's one cache policy (``cache.MemoryCache``): bounded by entries
or bytes, least recently used out first, never unbounded; the fast solver's facet sets and the
regularization paths both live in one."""

from __future__ import annotations

import numpy as np
import pytest

from pathconvex_lab import cache
from pathconvex_lab.convex import path as cpath
from pathconvex_lab.convex.fast import facets
from pathconvex_lab.errors import InputError


def test_a_byte_bound_keeps_the_most_recently_used_values():
    memory = cache.MemoryCache(max_bytes=30, size=lambda kept: kept.nbytes)
    for key in "abc":
        memory.put(key, np.zeros(10, bool))
    assert memory.get("a") is not None  # now the most recently used
    memory.put("d", np.ones(10, bool))  # 40 bytes: the least recently used value ("b") goes
    assert memory.get("b") is None and len(memory) == 3 and memory.nbytes == 30
    assert all(memory.get(key) is not None for key in "acd") and memory.get("d").all()
    memory.put("d", np.ones(5, bool))  # replacing a value counts its new size only
    assert memory.nbytes == 25
    memory.clear()
    assert len(memory) == 0 and memory.nbytes == 0


def test_an_entry_bound_keeps_the_last_n_values():
    memory = cache.MemoryCache(max_entries=2)
    for key in "abc":
        memory.put(key, key.upper())
    assert [memory.get(k) for k in "abc"] == [None, "B", "C"]


def test_an_unbounded_memory_cache_is_refused():
    with pytest.raises(InputError, match="max_entries or max_bytes"):
        cache.MemoryCache()


def test_the_kits_memory_caches_are_bounded():
    assert facets.FACET_CACHE.max_bytes is not None and facets.FACET_CACHE.max_bytes <= 2**30
    assert cpath._MEMORY.max_entries == cpath.MEMORY_ENTRIES
