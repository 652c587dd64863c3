"""Compiled sorts for the day's kernels, which sort a few hundred to a few hundred
thousand small integer keys (cells, channel codes) a day: counting sorts, which beat
numpy's comparison sorts several times over at these sizes."""

from __future__ import annotations

import numpy as np

from ..jit import njit

__all__ = ["radix_sort", "stable_order"]


@njit
def radix_sort(key: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key, idx) pairs sorted stably by the non-negative int64 ``key`` (LSD radix sort, a byte a pass).

    A day's few hundred keys sort in two or three passes over them; a comparison sort
    cost several times more. ``key`` and ``idx`` serve as the second pair of buffers: a
    sort of more than one pass overwrites them.
    """
    key_out, idx_out = np.empty_like(key), np.empty_like(idx)
    top = key.max() if len(key) else 0
    shift = 0
    while shift == 0 or top >> shift > 0:
        starts = np.zeros(257, np.int64)
        for k in key:
            starts[((k >> shift) & 255) + 1] += 1
        for d in range(256):
            starts[d + 1] += starts[d]
        for j in range(len(key)):
            d = (key[j] >> shift) & 255
            key_out[starts[d]], idx_out[starts[d]] = key[j], idx[j]
            starts[d] += 1
        key, idx, key_out, idx_out = key_out, idx_out, key, idx
        shift += 8
    return key, idx


@njit
def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for a few distinct small integers (e.g. the
    channel codes a day's shares link to, −1 included): one counting pass over a range of
    max − min + 1, where a merge sort of a day's shares cost more than writing them, and
    :func:`radix_sort`'s 256 buckets, key copies and second buffers cost more than the pass."""
    if len(keys) == 0:
        return np.empty(0, np.int64)
    low = keys.min()
    counts = np.zeros(keys.max() - low + 2, np.int64)
    for key in keys:
        counts[key - low + 1] += 1
    for j in range(1, len(counts)):
        counts[j] += counts[j - 1]
    order = np.empty(len(keys), np.int64)
    for i in range(len(keys)):
        slot = keys[i] - low
        order[counts[slot]] = i
        counts[slot] += 1
    return order
