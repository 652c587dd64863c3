"""CSR rows written in place: count each node's ties, place every tie end in its row, sort the rows.

A build that sorts one int64 key per directed entry holds 8 bytes per entry besides the
5-byte result (12 GB of keys at 10⁷ × 150). Here a tie end is written straight into its
row of the result as one ``uint32`` word ``col << 2 | layer`` (node ids are below 2³⁰),
each row is sorted on its own (150 words, in cache), and the words are split in place
into the ``int32`` contacts and a ``uint8`` layer array: the only full-size arrays are
the result's, plus one int64 fill cursor per node.
"""

from __future__ import annotations

import numpy as np

from ..jit import njit

__all__ = ["count_pair_ends", "place_pairs", "rows_from_words", "empty_rows", "merge_in_place"]


@njit
def count_pair_ends(keys: np.ndarray, bits: int, low: int, degree: np.ndarray) -> None:
    """Add to ``degree`` the two ends of every tie key ``(a << bits | b) << low | …``."""
    mask = (np.int64(1) << bits) - 1
    for key in keys:
        pair = key >> low
        degree[pair >> bits] += 1
        degree[pair & mask] += 1


@njit
def place_pairs(keys: np.ndarray, bits: int, low: int, cursor: np.ndarray, words: np.ndarray) -> None:
    """Write both ends of every tie key into their rows; the layer is the key's 2 lowest bits.

    ``cursor[i]`` is the next free slot of row ``i`` and advances by one per end written.
    """
    mask = (np.int64(1) << bits) - 1
    for key in keys:
        pair, layer = key >> low, np.uint32(key & 3)
        a, b = pair >> bits, pair & mask
        words[cursor[a]] = np.uint32(b) << np.uint32(2) | layer
        cursor[a] += 1
        words[cursor[b]] = np.uint32(a) << np.uint32(2) | layer
        cursor[b] += 1


@njit
def _sort_row(row: np.ndarray, scratch: np.ndarray) -> None:
    """Sort ``row`` in place: its longest increasing prefix is kept, the rest sorted and merged in.

    A ring row is written as a sorted run of ring ties followed by a few rewired ties, so
    this costs a pass over the row, not a full sort.
    """
    head = 1
    while head < len(row) and row[head - 1] < row[head]:
        head += 1
    if head >= len(row):
        return
    tail = scratch[:len(row) - head]
    tail[:] = row[head:]
    tail.sort()
    merge_in_place(row, head, tail)


@njit
def merge_in_place(buffer: np.ndarray, size: int, extra: np.ndarray) -> int:
    """Merge sorted ``extra`` into the sorted head ``buffer[:size]``, in place (from the
    back: the head's free slots are behind it); the new size. ``buffer`` must have room
    for ``size + len(extra)`` values; equal values come from the head first."""
    a, b = size - 1, len(extra) - 1
    for out in range(size + len(extra) - 1, -1, -1):
        if b < 0:
            break
        if a >= 0 and buffer[a] > extra[b]:
            buffer[out] = buffer[a]
            a -= 1
        else:
            buffer[out] = extra[b]
            b -= 1
    return size + len(extra)


@njit
def _sort_and_split(indptr: np.ndarray, words: np.ndarray, layer: np.ndarray) -> None:
    """Sort each row's words, then split each word into its contact (in place) and layer."""
    widest = 0
    for i in range(len(indptr) - 1):
        widest = max(widest, indptr[i + 1] - indptr[i])
    scratch = np.empty(widest, words.dtype)
    for i in range(len(indptr) - 1):
        row = words[indptr[i]:indptr[i + 1]]
        _sort_row(row, scratch)
        for e in range(len(row)):
            layer[indptr[i] + e] = row[e] & np.uint32(3)
            row[e] >>= np.uint32(2)


def empty_rows(degree: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row pointers for ``degree``, the unfilled word array, and the fill cursors.

    Returns
    -------
    indptr : int64 (n + 1,)
    words : uint32 (degree.sum(),)
    cursor : int64 (n,)
        The first slot of each row: ``degree``'s own memory, reused.
    """
    indptr = np.zeros(len(degree) + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    words = np.empty(int(indptr[-1]), dtype=np.uint32)
    degree[:] = indptr[:-1]
    return indptr, words, degree


def rows_from_words(indptr: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, layer)`` of filled rows: ``words`` is sorted per row and becomes ``indices`` (int32)."""
    layer = np.empty(len(words), dtype=np.uint8)
    _sort_and_split(indptr, words, layer)
    return words.view(np.int32), layer
