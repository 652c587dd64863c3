"""Dunbar's tie-strength layers, scaled to a mean degree (docs/GRAPH.md).

Cumulative 5 / 15 / 50 / 150 contacts are intimate / close / friends / acquaintances
(Dunbar 1992; Arnaboldi et al. 2015), scaled to the mean degree ``k``. The ring
generator (:mod:`sim.graph.ring`) gives a tie its layer by ring distance and Holme–Kim
growth (:mod:`sim.graph.holme_kim`) by tie rank, both through :func:`ring_layer_table`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DUNBAR_LAYERS", "dunbar_cumulative", "ring_layer_table"]

#: Cumulative Dunbar layer sizes at k = 150 (Dunbar 1992; Arnaboldi et al. 2015).
DUNBAR_LAYERS = (5, 15, 50, 150)


def dunbar_cumulative(k: int) -> np.ndarray:
    """Cumulative layer sizes scaled to degree ``k``: ``c_j = round(k · {5,15,50,150} / 150)``.

    Rounds half up; the last layer is exactly ``k``.
    """
    cumulative = np.floor(k * np.asarray(DUNBAR_LAYERS) / DUNBAR_LAYERS[-1] + 0.5).astype(np.int64)
    cumulative[-1] = k
    return cumulative


def ring_layer_table(k: int) -> np.ndarray:
    """Layer of a ring tie by the owner's parity and the ring distance.

    Parameters
    ----------
    k : int
        Even ring degree.

    Returns
    -------
    numpy.ndarray of uint8, shape (2, k // 2 + 1)
        ``table[i % 2, d]`` is the layer of tie ``(i, i + d)``; column 0 is unused.

    Notes
    -----
    Base rule: a tie at distance ``d`` is in the first layer ``j`` with ``2d ≤ c_j``
    (:func:`dunbar_cumulative`). When ``c_j`` is odd, the ties at distance
    ``(c_j + 1) / 2`` are split by the parity of the owner ``i`` of tie ``(i, i + d)``:
    the inner layer ``j`` iff ``i`` is even.

    Node x owns ``(x, x + d)`` and is the far end of ``(x − d, x)``; for odd ``d`` and
    even N the two owners have opposite parity, so x gets exactly one inner tie. For even
    ``d`` they share a parity, and no owner rule can be exact: the ties at distance d form
    cycles of length N / gcd(N, d), odd e.g. for N = 1000, d = 8. So when the split
    distance is even it swaps places with an adjacent odd distance that is not itself
    split (``(c_j − 1) / 2`` if possible): at k = 150 distance 8 is wholly close and
    distance 7 is split close / friends. With β = 0 and even N every node then has
    exactly ``c_j`` ties in layers ``0..j`` — 5 / 10 / 35 / 100 at k = 150 (checked for
    every even k from 2 to 400).
    """
    half = k // 2
    cumulative = dunbar_cumulative(k)
    splits = sorted({(c + 1) // 2 for c in cumulative.tolist() if c % 2})
    order = _odd_split_order(half, splits)  # order[p]: the distance placed at position p
    position = np.arange(half + 1)
    base = np.argmax(2 * position[:, None] <= cumulative[None, :], axis=1)
    even_owner, odd_owner = base.copy(), base.copy()
    for j, c in enumerate(cumulative.tolist()):
        if c % 2:
            even_owner[(c + 1) // 2] = min(even_owner[(c + 1) // 2], j)
    table = np.zeros((2, half + 1), dtype=np.uint8)
    table[0, order], table[1, order] = even_owner, odd_owner
    table[:, 0] = 0
    return table


def _odd_split_order(half: int, splits: list[int]) -> np.ndarray:
    """Distances by position, swapped so split positions hold odd distances where possible."""
    order = np.arange(half + 1)
    for p in splits:
        if order[p] % 2:
            continue
        for q in (p - 1, p + 1):
            if 1 <= q <= half and q not in splits and order[q] % 2:
                order[p], order[q] = order[q], order[p]
                break
    return order
