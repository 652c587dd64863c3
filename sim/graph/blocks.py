"""Communities: a stochastic block model sampled by tie endpoints, never an n × n matrix.

Communities are consecutive id blocks (:func:`community_labels`); cross-community ties
are acquaintances (weak bridges, Granovetter 1973) and within ties are drawn so each
node's expected layer counts follow Dunbar's (:data:`~sim.graph.dunbar.DUNBAR_LAYERS`).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import SocsimWarning
from .common import REDRAW_ROUNDS, cap_degree, check_population, check_share, insert_unique
from .csr import (
    ACQUAINTANCES, CHUNK, GraphError, SocialGraph, csr_from_pairs, drop_duplicate_pairs, node_bits, pack_keys,
)
from .dunbar import DUNBAR_LAYERS

__all__ = ["communities", "community_labels", "max_communities"]


def community_labels(n: int, n_communities: int) -> np.ndarray:
    """Community of each node for :func:`communities`: consecutive blocks of near-equal size."""
    return _block_of(np.arange(n), n, n_communities).astype(np.int32)


def _community_starts(n: int, n_communities: int) -> np.ndarray:
    return (np.arange(n_communities + 1, dtype=np.int64) * n) // n_communities


def communities(n: int, k: int, n_communities: int, mixing: float,
                rng: np.random.Generator) -> SocialGraph:
    """Stochastic block model with mean degree ``k`` and a share ``mixing`` of cross ties.

    Parameters
    ----------
    n : int
        Number of nodes.
    k : int
        Mean degree; ``k >= n`` is capped with a warning.
    n_communities : int
        Number of communities: consecutive id blocks of near-equal size
        (:func:`community_labels`), at least 2 nodes each.
    mixing : float
        Share of ties whose endpoints lie in different communities.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    SocialGraph
        ``round(n·k/2)`` ties (fewer only when communities are too small to hold them).

    Raises
    ------
    GraphError
        If ``n_communities`` is not in 1 .. n/2 or ``mixing`` is not in [0, 1].

    Notes
    -----
    Ties are sampled by their endpoints, never through an n × n matrix: a within tie
    picks ``u`` uniformly and ``v`` uniformly among the other members of ``u``'s
    community; a cross tie picks ``u`` uniformly and ``v`` uniformly outside ``u``'s
    community. This is the block model [1]_ with ``p_in ∝ (1 − mixing)`` and
    ``p_out ∝ mixing`` conditioned on the number of ties. A tie drawn twice is redrawn
    (up to 12 rounds), so the mean degree is ``k``.

    Layers: cross ties are acquaintances (weak bridges, Granovetter 1973). A within tie
    is intimate / close / friends with probability ``s_j / (1 − mixing)`` where
    ``s = (5, 10, 35)/150``, otherwise an acquaintance, so each node's expected layer
    counts are the Dunbar 5 / 10 / 35 / 100 per 150. When ``mixing > 2/3`` there are too
    few within ties: all of them are intimate / close / friends in ratio 5 : 10 : 35.

    References
    ----------
    .. [1] Holland, P. W., Laskey, K. B. & Leinhardt, S. (1983). Stochastic
       blockmodels: first steps. Social Networks 5(2), 109–137.
    """
    check_population(n)
    check_share(mixing, "mixing")
    k, mixing = _check_blocks(n, k, n_communities, mixing)
    starts, bits = _community_starts(n, n_communities), node_bits(n)
    total = (n * k) // 2
    wanted = np.array([total - round(total * mixing), round(total * mixing)])
    keys = _block_keys(*wanted, starts, bits, rng)
    keys.sort()
    keys = drop_duplicate_pairs(keys)
    missing = wanted - _count_by_kind(keys, starts, bits)
    for _ in range(REDRAW_ROUNDS):
        if not missing.any():
            break
        keys, rejected = insert_unique(keys, _block_keys(*missing, starts, bits, rng), 2)
        missing = _count_by_kind(rejected, starts, bits)
    if missing.sum() > 1e-3 * total:
        warnings.warn(f"{int(missing.sum())} of {total} ties could not be placed without "
                      "duplicates: communities are too small for this degree", SocsimWarning, stacklevel=2)
    _draw_block_layers(keys, starts, bits, _within_layer_probs(mixing), rng)
    return csr_from_pairs(n, keys, bits)


def max_communities(n: int) -> int:
    """Most communities ``n`` nodes can form: each needs at least two members."""
    return max(1, n // 2)


def _check_blocks(n: int, k: int, n_communities: int, mixing: float) -> tuple[int, float]:
    """Validate block-model arguments; return the (possibly capped) degree and mixing."""
    if not 1 <= n_communities <= max_communities(n):
        raise GraphError(f"communities {n_communities} is not in 1 .. {max_communities(n)}: each "
                         "community needs at least two members; choose fewer communities")
    if k < 1:
        raise GraphError(f"degree {k} is too small: choose at least 1")
    k = cap_degree(k, n, n - 1)
    if n_communities == 1 and mixing > 0:
        warnings.warn("one community has no outside: mixing is set to 0", SocsimWarning, stacklevel=3)
        mixing = 0.0
    if n_communities > 1 and mixing < 1 and k * (1 - mixing) > (n // n_communities - 1) / 2:
        warnings.warn(f"{k * (1 - mixing):.0f} within-community ties per node fill more than half of "
                      f"a community of {n // n_communities}: use fewer communities or more mixing",
                      SocsimWarning, stacklevel=3)
    return k, mixing


def _within_layer_probs(mixing: float) -> np.ndarray:
    """Layer probabilities of a within tie so that a node's layers match Dunbar's overall."""
    share = np.diff(np.concatenate(([0], DUNBAR_LAYERS))) / DUNBAR_LAYERS[-1]
    inner = share[:3] / max(1.0 - mixing, share[:3].sum())
    return np.append(inner, 1.0 - inner.sum())


def _block_of(nodes: np.ndarray, n: int, n_communities: int) -> np.ndarray:
    """Community of each node: block c holds ids ``floor(c·n/C) .. floor((c+1)·n/C) − 1``.

    Closed form of ``searchsorted(starts, u, "right") − 1`` (3× faster at 10⁸ ties).
    """
    return (n_communities * (np.asarray(nodes, dtype=np.int64) + 1) - 1) // n


def _block_keys(n_within: int, n_cross: int, starts: np.ndarray, bits: int,
                rng: np.random.Generator) -> np.ndarray:
    """Keys ``pair << 2`` of freshly sampled within and cross ties (layers come later)."""
    parts = [np.empty(0, dtype=np.int64)]
    for start in range(0, int(n_within), CHUNK):
        u, v = _within_ties(min(CHUNK, int(n_within) - start), starts, rng)
        parts.append(pack_keys(u, v, np.zeros(len(u), dtype=np.uint8), bits))
    for start in range(0, int(n_cross), CHUNK):
        u, v = _cross_ties(min(CHUNK, int(n_cross) - start), starts, rng)
        parts.append(pack_keys(u, v, np.zeros(len(u), dtype=np.uint8), bits))
    return np.concatenate(parts)


def _within_ties(count: int, starts: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """u uniform; v uniform among the other members of u's block."""
    n = int(starts[-1])
    u = rng.integers(0, n, size=count)
    block = _block_of(u, n, len(starts) - 1)
    first, size = starts[block], starts[block + 1] - starts[block]
    # A float draw scaled per tie: integers() with per-element bounds is ~5× slower.
    step = 1 + (rng.random(count) * (size - 1)).astype(np.int64)
    return u, first + (u - first + step) % size


def _cross_ties(count: int, starts: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """u uniform; v uniform among the nodes outside u's block."""
    n = int(starts[-1])
    u = rng.integers(0, n, size=count)
    block = _block_of(u, n, len(starts) - 1)
    first, size = starts[block], starts[block + 1] - starts[block]
    v = (rng.random(count) * (n - size)).astype(np.int64)
    v += np.where(v >= first, size, 0)  # skip u's own block
    return u, v


def _draw_block_layers(keys: np.ndarray, starts: np.ndarray, bits: int, probs: np.ndarray,
                       rng: np.random.Generator) -> None:
    """Set the layer bits in place: cross ties acquaintances, within ties drawn from ``probs``.

    Drawn after duplicates are merged, so merging cannot bias the layer shares.
    """
    n, blocks, mask = int(starts[-1]), len(starts) - 1, (1 << bits) - 1
    thresholds = np.cumsum(probs)[:-1]
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        pair = chunk >> 2
        within = _block_of(pair >> bits, n, blocks) == _block_of(pair & mask, n, blocks)
        draw = rng.random(len(chunk))
        layer = sum((draw >= edge).astype(np.int64) for edge in thresholds)
        chunk |= np.where(within, layer, ACQUAINTANCES)


def _count_by_kind(keys: np.ndarray, starts: np.ndarray, bits: int) -> np.ndarray:
    """``[within, cross]`` tie counts among ``pair << 2 | layer`` keys (chunked)."""
    counts = np.zeros(2, dtype=np.int64)
    n, blocks, mask = int(starts[-1]), len(starts) - 1, (1 << bits) - 1
    for start in range(0, len(keys), CHUNK):
        pair = keys[start:start + CHUNK] >> 2
        same = int(np.count_nonzero(_block_of(pair >> bits, n, blocks) == _block_of(pair & mask, n, blocks)))
        counts += (same, len(pair) - same)
    return counts
