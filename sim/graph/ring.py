"""Watts–Strogatz small world on a ring, with Dunbar layers by ring distance.

Ring ties take their layer from :func:`~sim.graph.dunbar.ring_layer_table`; rewired
ties are long-range bridges, hence acquaintances (Granovetter 1973). Rewiring is drawn
in bulk with numpy and written straight into CSR order (docs/GRAPH.md has the timings).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import SocsimWarning
from .common import REDRAW_ROUNDS, cap_degree, check_population, check_share, duplicate_mask, insert_unique
from .csr import ACQUAINTANCES, CHUNK, GraphError, SocialGraph, csr_from_directed, node_bits
from .dunbar import ring_layer_table

__all__ = ["SMALL_WORLD_MAX_NODES", "small_world"]

# Key of a rewired tie: pair << _LOW | side << 11 | d << 2 | layer. The low bits remember
# which end owns the tie and its ring distance d, so a tie that finds no free partner
# can be redrawn from its owner or return to its ring position.
_LOW = 12
_SIDE = 1 << 11
_DISTANCE_SHIFT = 2
_MAX_HALF_DEGREE = (1 << 9) - 1
#: Largest small-world population: two node ids and the low bits must fit in 63 bits.
SMALL_WORLD_MAX_NODES = 1 << ((63 - _LOW) // 2)


def _even_degree(k: int, n: int, what: str = "degree") -> int:
    """Cap ``k`` below ``n`` and round it down to even, warning for each change."""
    if k < 2:
        raise GraphError(f"{what} {k} is too small: a ring needs at least 2 contacts per node")
    if n < 3:
        raise GraphError(f"population {n} is too small for a ring: use at least 3 nodes")
    k = cap_degree(k, n, n - 1 if (n - 1) % 2 == 0 else n - 2, what)
    if k % 2:
        warnings.warn(f"{what} {k} is odd: a ring links k/2 neighbours on each side, "
                      f"so it is rounded down to {k - 1}", SocsimWarning, stacklevel=3)
        k -= 1
    if k // 2 > _MAX_HALF_DEGREE:
        raise GraphError(f"{what} {k} is above {2 * _MAX_HALF_DEGREE}: choose a smaller degree")
    return k


def small_world(n: int, k: int, beta: float, rng: np.random.Generator) -> SocialGraph:
    """Watts–Strogatz small world with Dunbar layers by ring distance.

    Parameters
    ----------
    n : int
        Number of nodes.
    k : int
        Ring degree: each node links to its ``k/2`` nearest neighbours on each side.
        Odd ``k`` is rounded down and ``k >= n`` is capped, each with a
        :class:`~sim.errors.SocsimWarning`.
    beta : float
        Probability that each ring tie ``(i, i + d)`` is rewired to ``(i, j)``, ``j``
        uniform.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    SocialGraph
        Exactly ``n·k/2`` ties.

    Raises
    ------
    GraphError
        If ``n < 3``, ``k < 2`` or ``beta`` is not in [0, 1].

    Notes
    -----
    Layers: a ring tie's layer follows its distance
    (:func:`~sim.graph.dunbar.ring_layer_table`); with ``beta = 0`` and even ``n`` every
    node has exactly 5 intimate, 10 close, 35 friends and 100 acquaintances at ``k = 150``. Rewired ties are acquaintances: long-range
    bridges are weak ties (Granovetter 1973).

    Rewiring is simultaneous, not sequential as in [1]_: ties to rewire are Bernoulli(β)
    (drawn as geometric gaps), targets avoid self-loops by construction, and a target
    that hits a tie already present (a kept ring tie, found arithmetically from the
    ring distance, or another rewired tie, found by sorting the rewired keys) is
    redrawn, up to 12 rounds. The expected collisions per round are ≈ k/n of the
    rewired ties (10⁻⁴ at 10⁶ × 150), so leftovers occur only in nearly complete
    graphs: a leftover tie returns to its ring position (a rewired tie holding that
    pair returns to its own), so there are always exactly n·k/2 ties; a warning says
    when more than 1 % of the rewiring was undone. The ring ties are then written in both
    directions straight from the ring's structure and sorted once into CSR order.
    Ring clustering is ``3(k − 2) / (4(k − 1))`` (0.745 at k = 150).

    References
    ----------
    .. [1] Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world'
       networks. Nature 393, 440–442.
    .. [2] Granovetter, M. S. (1973). The strength of weak ties. American Journal of
       Sociology 78(6), 1360–1380.
    .. [3] Arnaboldi, V., Conti, M., Passarella, A. & Dunbar, R. I. M. (2015). Online
       social networks and information diffusion: the role of ego networks. Online
       Social Networks and Media 1, 44–55.
    """
    check_population(n)
    if n > SMALL_WORLD_MAX_NODES:
        raise GraphError(f"population {n} is above {SMALL_WORLD_MAX_NODES} for small_world")
    k = _even_degree(k, n)
    check_share(beta, "rewire (beta)")
    bits, half = node_bits(n), k // 2
    # Ring tie (i, i + d) has position (d - 1)·n + i; `picked` are the rewired ones.
    picked = _bernoulli_positions(n * half, beta, rng)
    owner = picked % n
    rewired = np.sort(_rewired_keys(owner, _draw_targets(owner, n, rng), picked // n + 1, bits))
    del owner
    rewired, picked = _place_rewired(rewired, picked, n, half, bits, rng)
    directed = _small_world_directed(n, k, picked, rewired, bits)
    del rewired, picked
    return csr_from_directed(n, directed)


def _bernoulli_positions(m: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of successes among ``m`` Bernoulli(p) trials (geometric gaps).

    Draws O(m·p) numbers instead of m uniforms.
    """
    if p <= 0.0 or m == 0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(m, dtype=np.int64)
    batch = int(m * p + 5.0 * np.sqrt(m * p) + 16)
    positions = np.cumsum(_gaps(m, p, batch, rng)) - 1
    while positions[-1] < m:
        more = positions[-1] + np.cumsum(_gaps(m, p, batch, rng))
        positions = np.concatenate((positions, more))
    return positions[:np.searchsorted(positions, m)]


def _gaps(m: int, p: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Geometric(p) gaps, clipped to m + 1.

    For tiny p numpy returns gaps near 2⁶³ whose sum wraps around to negative
    positions; a gap above m lands past the last trial either way, so clipping changes
    no result.
    """
    return np.minimum(rng.geometric(p, size=size), m + 1)


def _draw_targets(owner: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A uniform node other than the owner, for each owner."""
    target = rng.integers(0, n - 1, size=len(owner), dtype=np.int64)
    target += target >= owner
    return target


def _rewired_keys(owner: np.ndarray, target: np.ndarray, distance: np.ndarray, bits: int) -> np.ndarray:
    """Keys of rewired ties; the low bits remember the owner and its ring distance."""
    owner = owner.astype(np.int64, copy=False)
    low, high = np.minimum(owner, target), np.maximum(owner, target)
    side = np.where(owner == high, _SIDE, 0)
    return ((low << bits) | high) << _LOW | side | distance << _DISTANCE_SHIFT | ACQUAINTANCES


def _decode_rewired(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Owner and ring distance of rewired keys."""
    pair = keys >> _LOW
    low, high = pair >> bits, pair & ((1 << bits) - 1)
    owner = np.where(keys & _SIDE, high, low)
    return owner, (keys >> _DISTANCE_SHIFT) & _MAX_HALF_DEGREE


def _place_rewired(rewired: np.ndarray, picked: np.ndarray, n: int, half: int, bits: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Redraw rewired ties that hit a kept ring tie or another rewired tie.

    Returns the sorted, duplicate-free rewired keys and the ring positions still
    rewired away (a tie that found no partner in 12 rounds goes back to the ring).
    """
    clash = duplicate_mask(rewired, _LOW) | _hits_ring(rewired, picked, n, half, bits)
    pending, rewired = rewired[clash], rewired[~clash]
    for _ in range(REDRAW_ROUNDS):
        if len(pending) == 0:
            break
        owner, distance = _decode_rewired(pending, bits)
        fresh = np.sort(_rewired_keys(owner, _draw_targets(owner, n, rng), distance, bits))
        on_ring = _hits_ring(fresh, picked, n, half, bits)
        rewired, rejected = insert_unique(rewired, fresh[~on_ring], _LOW)
        pending = np.sort(np.concatenate((fresh[on_ring], rejected)))
    return _restore_ring(pending, rewired, picked, n, bits)


def _hits_ring(keys: np.ndarray, picked: np.ndarray, n: int, half: int, bits: int) -> np.ndarray:
    """True where a key's pair is a ring tie that was not rewired away.

    Pair (a, b), a < b, is ring tie (a, a + g) if g = b − a ≤ half, or (b, b + n − g)
    if n − g ≤ half (never both, since 2·half < n).
    """
    pair = keys >> _LOW
    low, high = pair >> bits, pair & ((1 << bits) - 1)
    gap = high - low
    forward = gap <= half
    on_ring = forward | (n - gap <= half)
    position = (np.where(forward, gap, n - gap) - 1) * n + np.where(forward, low, high)
    return on_ring & ~_contains(picked, position)


def _contains(sorted_values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Membership of ``queries`` in a sorted array."""
    if len(sorted_values) == 0:
        return np.zeros(len(queries), dtype=bool)
    slot = np.minimum(np.searchsorted(sorted_values, queries), len(sorted_values) - 1)
    return sorted_values[slot] == queries


def _restore_ring(pending: np.ndarray, rewired: np.ndarray, picked: np.ndarray, n: int,
                  bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Put rewired ties that found no partner back on the ring.

    If a rewired tie X already holds such a ring pair, X gives it up and returns to its
    own ring position instead (and so on along the chain), so the tie count stays
    exactly n·k/2. Happens only in nearly complete graphs.
    """
    # The last redraw round may have placed every tie: then nothing goes back.
    if len(pending) == 0:
        return rewired, picked
    restored, undone = [], len(pending)
    while len(pending):
        owner, distance = _decode_rewired(pending, bits)
        restored.append((distance - 1) * n + owner)
        far = (owner + distance) % n
        pair = np.minimum(owner, far) << bits | np.maximum(owner, far)
        slot = np.minimum(np.searchsorted(rewired, pair << _LOW), max(len(rewired) - 1, 0))
        taken = (rewired[slot] >> _LOW) == pair if len(rewired) else np.zeros(len(pair), dtype=bool)
        holders = np.unique(slot[taken])
        pending, rewired = rewired[holders], np.delete(rewired, holders)
        undone += len(holders)
    if undone > 0.01 * (len(rewired) + undone):
        warnings.warn(f"{undone} of {len(rewired) + undone} rewired ties found no free partner and "
                      "stayed on the ring: the graph is nearly complete, so the effective rewiring "
                      "is below beta (lower the degree or raise the population)", SocsimWarning, stacklevel=4)
    return rewired, picked[~_contains(np.sort(np.concatenate(restored)), picked)]


def _small_world_directed(n: int, k: int, picked: np.ndarray, rewired: np.ndarray,
                          bits: int) -> np.ndarray:
    """Directed keys of the kept ring ties (layer by distance) and the rewired ties.

    Written chunk by chunk straight from the ring's structure: no key per ring tie is
    ever sorted except in the final CSR sort.
    """
    table = ring_layer_table(k)
    directed = np.empty(2 * (n * (k // 2) - len(picked) + len(rewired)), dtype=np.int64)
    filled = 0
    for d in range(1, k // 2 + 1):
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            first = (d - 1) * n
            cut = picked[np.searchsorted(picked, first + start):np.searchsorted(picked, first + stop)]
            keep = np.ones(stop - start, dtype=bool)
            keep[cut - first - start] = False
            node = np.arange(start, stop, dtype=np.int64)[keep]
            far = node + d
            far[far >= n] -= n
            filled = _write_both(directed, filled, node, far, table[node & 1, d])
    mask = (1 << bits) - 1
    for start in range(0, len(rewired), CHUNK):
        pair = rewired[start:start + CHUNK] >> _LOW
        filled = _write_both(directed, filled, pair >> bits, pair & mask, ACQUAINTANCES)
    return directed


def _write_both(directed: np.ndarray, filled: int, a: np.ndarray, b: np.ndarray,
                layer: np.ndarray | int) -> int:
    """Write ties (a, b) in both directions as ``row << 32 | col << 2 | layer``."""
    count = len(a)
    directed[filled:filled + count] = a << 32 | b << 2 | layer
    directed[filled + count:filled + 2 * count] = b << 32 | a << 2 | layer
    return filled + 2 * count
