"""Helpers the graph generators share: argument checks and sets of sorted tie keys.

A tie key packs a node pair above ``low_bits`` bits of extra data (layer, owner,
ring distance); the set operations here compare pairs only and keep keys sorted, so
generators can redraw ties that hit one already present (:data:`REDRAW_ROUNDS` rounds).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import SocsimWarning
from .csr import CHUNK, MAX_NODES, GraphError

__all__ = [
    "REDRAW_ROUNDS", "cap_degree", "check_population", "check_share", "duplicate_mask", "insert_unique",
    "merge_sorted", "new_pairs",
]

#: Redraw rounds for rewired / sampled ties that hit an existing tie.
REDRAW_ROUNDS = 12


def check_population(n: int) -> None:
    """Raise :class:`~sim.graph.csr.GraphError` unless ``0 < n <= MAX_NODES``."""
    if not 0 < n <= MAX_NODES:
        raise GraphError(f"population {n} is outside 1 .. {MAX_NODES}")


def cap_degree(k: int, n: int, cap: int, what: str = "degree") -> int:
    """``k``, or ``cap`` with a :class:`~sim.errors.SocsimWarning` when ``k >= n``.

    A degree that does not fit is a setting to fix, not a reason to stop the run. The
    warning points at the caller of the public generator (two frames above this one).
    """
    if k < n:
        return k
    warnings.warn(f"{what} {k} >= population {n}: capped at {cap} "
                  "(choose a smaller degree or a larger population)", SocsimWarning, stacklevel=4)
    return cap


def check_share(value: float, name: str) -> None:
    """Raise :class:`~sim.graph.csr.GraphError`, naming ``name``, unless ``value`` is in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise GraphError(f"{name} {value} is not a probability: choose a value in [0, 1]")


def duplicate_mask(keys: np.ndarray, low_bits: int) -> np.ndarray:
    """True where a sorted key has the same pair as the key before it."""
    dup = np.zeros(len(keys), dtype=bool)
    for start in range(1, len(keys), CHUNK):
        stop = min(start + CHUNK, len(keys))
        dup[start:stop] = (keys[start:stop] ^ keys[start - 1:stop - 1]) < (1 << low_bits)
    return dup


def insert_unique(keys: np.ndarray, fresh: np.ndarray, low_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Insert the ``fresh`` keys whose pair is new into sorted ``keys``.

    Returns the merged sorted keys and the rejected fresh keys (pair already present,
    or repeated within ``fresh``).
    """
    accepted, rejected = new_pairs(keys, fresh, low_bits)
    return merge_sorted(keys, accepted), rejected


def new_pairs(keys: np.ndarray, fresh: np.ndarray, low_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``fresh`` keys, sorted, split into those whose pair is new to sorted ``keys``
    and the rest (pair already present, or repeated within ``fresh``)."""
    fresh = np.sort(fresh)
    clash = duplicate_mask(fresh, low_bits)
    first_of_pair = np.searchsorted(keys, (fresh >> low_bits) << low_bits)
    inside = first_of_pair < len(keys)
    clash[inside] |= (keys[first_of_pair[inside]] >> low_bits) == (fresh[inside] >> low_bits)
    return fresh[~clash], fresh[clash]


def merge_sorted(keys: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Merge sorted ``extra`` into sorted ``keys`` in O(len) (``np.insert`` is slower)."""
    if len(extra) == 0:
        return keys
    merged = np.empty(len(keys) + len(extra), dtype=keys.dtype)
    slot = np.searchsorted(keys, extra) + np.arange(len(extra))
    from_keys = np.ones(len(merged), dtype=bool)
    from_keys[slot] = False
    merged[slot] = extra
    merged[from_keys] = keys
    return merged
