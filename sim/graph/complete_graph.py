"""The complete graph, for mean-field docking (the Bass model, docs/BEHAVIOURS.md)."""

from __future__ import annotations

import numpy as np

from .common import check_population
from .csr import ACQUAINTANCES, CHUNK, GraphError, SocialGraph

__all__ = ["COMPLETE_MAX_NODES", "complete"]

#: Largest complete graph (n² entries: 20 000 nodes is already 2 GB).
COMPLETE_MAX_NODES = 20_000


def complete(n: int) -> SocialGraph:
    """The complete graph on ``n`` nodes, every tie an acquaintance.

    Parameters
    ----------
    n : int
        Number of nodes, at most 20 000 (n² entries).

    Returns
    -------
    SocialGraph

    Raises
    ------
    GraphError
        If ``n > 20000``.

    Notes
    -----
    Used for mean-field docking (the Bass model, docs/BEHAVIOURS.md): there is no tie structure,
    so no Dunbar layers; all ties are acquaintances (layer 3) and the tie-strength rule
    plays no part.
    """
    check_population(n)
    if n > COMPLETE_MAX_NODES:
        raise GraphError(f"a complete graph on {n} nodes has {n * (n - 1) // 2} ties: use at most "
                         f"{COMPLETE_MAX_NODES} nodes, or kind small_world with a large rewire for a "
                         "well-mixed population")
    indptr = np.arange(n + 1, dtype=np.int64) * (n - 1)
    indices = np.empty(n * (n - 1), dtype=np.int32)
    rows_per_block = max(1, CHUNK // max(n, 1))
    others = np.arange(n, dtype=np.int32)
    for first in range(0, n, rows_per_block):
        rows = np.arange(first, min(first + rows_per_block, n), dtype=np.int32)
        grid = np.broadcast_to(others, (len(rows), n))
        indices[indptr[first]:indptr[first + len(rows)]] = grid[grid != rows[:, None]]
    return SocialGraph(indptr=indptr, indices=indices,
                       layer=np.full(len(indices), ACQUAINTANCES, dtype=np.uint8))
