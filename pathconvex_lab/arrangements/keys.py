"""Byte keys of sign patterns and of three-layer groups; sorting, deduplicating and summing rows by key.

A pattern's key is its bits packed big-endian (row 0 first). A group's key is the one identity
of a group ``(D1, sigma, D2)`` in the kit (:func:`group_keys`): every module that compares,
deduplicates or joins groups uses it.
"""

from __future__ import annotations

import numpy as np


def pack(signs: np.ndarray) -> np.ndarray:
    """Pack bool rows ``(K, m)`` into uint8 ``(K, ceil(m/8))`` (big-endian bits)."""
    return np.packbits(signs, axis=1)


def pack_columns(B: np.ndarray) -> np.ndarray:
    """``np.packbits(B, axis=0)`` for bool ``B (m, P)``: uint8 ``(ceil(m/8), P)``, computed
    eight rows at a time (several times faster than packing along a strided axis)."""
    m, P = B.shape
    if m % 8:
        B = np.concatenate([B, np.zeros((-m % 8, P), dtype=bool)])
    octets = B.view(np.uint8).reshape(-1, 8, P)
    out = np.zeros((octets.shape[0], P), dtype=np.uint8)
    for bit in range(8):
        out |= octets[:, bit, :] << np.uint8(7 - bit)
    return out


def sort_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lexicographic order of the rows of the uint8 array ``keys (K, L)``.

    Returns ``order (K,)`` (stable) and ``new (K,)``, True where ``keys[order]`` starts a run
    of equal rows. Sorting big-endian 64-bit words with ``np.lexsort`` is far faster than
    ``np.unique(axis=0)``.
    """
    K, L = keys.shape
    if L == 0:  # zero-width keys: all rows are equal
        return np.arange(K), np.arange(K) == 0
    pad = -L % 8
    if pad or not keys.flags.c_contiguous:
        keys = np.ascontiguousarray(np.pad(keys, ((0, 0), (0, pad))))
    words = keys.view(">u8").astype(np.uint64)
    order = np.lexsort(words.T[::-1]) if words.shape[1] > 1 else np.argsort(words[:, 0], kind="stable")
    ranked = words[order]
    new = np.ones(K, dtype=bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    return order, new


def unique_rows(keys: np.ndarray) -> np.ndarray:
    """Indices ``(U,)`` of the first occurrence of each distinct row of ``keys (K, L)``, in sorted row order."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    order, new = sort_rows(keys)
    return order[new]


def sum_by_key(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows ``(U, L)`` of ``keys (K, L)`` (sorted) and the sum ``(U, c)`` of ``values (K, c)`` over each."""
    if len(keys) == 0:
        return keys, values
    order, new = sort_rows(keys)
    starts = np.flatnonzero(new)
    return keys[order[starts]], np.add.reduceat(values[order], starts, axis=0)


def canonical_group_keys(D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical neuron order and byte key of each group ``(D1 (G, m1, n), sigma (G, m1), D2 (G, n))``.

    A neuron's key is its packed ``D1`` row followed by one byte ``sigma > 0``; neurons are
    ordered by that key (ties keep their order). A group's key is its neurons' keys in that
    order followed by its packed ``D2``. Returns ``order (G, m1)`` (indices into the neurons)
    and uint8 ``keys (G, m1 (ceil(n/8) + 1) + ceil(n/8))``.
    """
    G, m1, n = D1.shape
    neurons = np.concatenate([pack(D1.reshape(G * m1, n)), (sigma.reshape(-1, 1) > 0).astype(np.uint8)], axis=1)
    _, ids = np.unique(neurons, axis=0, return_inverse=True)
    order = np.argsort(ids.reshape(G, m1), axis=1, kind="stable")
    width = neurons.shape[1]
    ordered = np.take_along_axis(neurons.reshape(G, m1, width), order[:, :, None], axis=1)
    return order, np.concatenate([ordered.reshape(G, m1 * width), pack(D2)], axis=1)


def group_keys(D1: np.ndarray, sigma: np.ndarray, D2: np.ndarray) -> np.ndarray:
    """Byte key of each group ``(D1 (G, m1, n) bool, sigma (G, m1) +1/-1, D2 (G, n) bool)``:
    uint8 ``(G, m1 (ceil(n/8) + 1) + ceil(n/8))``.

    Two groups have the same key iff they are the same group: the same multiset of neurons
    ``(D1_j, sigma_j)`` and the same ``D2``, whatever the order of their neurons and whichever
    :class:`~pathconvex_lab.arrangements.Groups` object holds them. Sorting groups by key
    gives the canonical order of :class:`~pathconvex_lab.arrangements.Groups`.
    """
    return canonical_group_keys(D1, sigma, D2)[1]
