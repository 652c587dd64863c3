"""Social graph generators, in numpy straight into CSR.

Every generator that draws takes a ``numpy.random.Generator`` explicitly, so the graph
is fixed by the run's seed (the ``graph`` stream of :mod:`sim.rng`). networkx is used
only for small graphs, checks and pictures, never on the 10⁶-node path
(docs/GRAPH.md has the timings).

Tie strength follows Dunbar's layers: cumulative 5 / 15 / 50 / 150 contacts are
intimate / close / friends / acquaintances (Dunbar 1992; Arnaboldi et al. 2015), scaled
to the mean degree ``k``. Long-range ties are weak ties (Granovetter 1973).
"""

from __future__ import annotations

import warnings
from collections import deque
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..errors import Problem, ScenarioError, SocsimWarning
from .csr import (
    ACQUAINTANCES, CHUNK, MAX_NODES, N_LAYERS, GraphError, SocialGraph, csr_from_directed,
    directed_keys, drop_duplicate_pairs, node_bits, pack_keys,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..config.schema import GraphSpec

__all__ = [
    "DUNBAR_LAYERS", "EdgeListError", "small_world", "powerlaw_cluster", "communities",
    "community_labels", "complete", "edge_list", "write_edge_list", "build_graph",
    "dunbar_cumulative", "ring_layer_table",
]

#: Cumulative Dunbar layer sizes at k = 150 (Dunbar 1992; Arnaboldi et al. 2015).
DUNBAR_LAYERS = (5, 15, 50, 150)
#: Redraw rounds for rewired / sampled ties that hit an existing tie.
REDRAW_ROUNDS = 12
#: Largest complete graph (n² entries: 20 000 nodes is already 2 GB).
COMPLETE_MAX_NODES = 20_000

# Key of a rewired tie: pair << _LOW | side << 11 | d << 2 | layer. The low bits remember
# which end owns the tie and its ring distance d, so a tie that finds no free partner
# can be redrawn from its owner or return to its ring position.
_LOW = 12
_SIDE = 1 << 11
_DISTANCE_SHIFT = 2
_MAX_HALF_DEGREE = (1 << 9) - 1
#: Largest small-world population: two node ids and the low bits must fit in 63 bits.
SMALL_WORLD_MAX_NODES = 1 << ((63 - _LOW) // 2)


class EdgeListError(ScenarioError, GraphError):
    """An edge-list file is wrong; names the file and each bad line."""


# ---------------------------------------------------------------------- Dunbar layers
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


# ---------------------------------------------------------------------- argument checks
def _even_degree(k: int, n: int, what: str = "degree") -> int:
    """Cap ``k`` below ``n`` and round it down to even, warning for each change."""
    if k < 2:
        raise GraphError(f"{what} {k} is too small: a ring needs at least 2 contacts per node")
    if n < 3:
        raise GraphError(f"population {n} is too small for a ring: use at least 3 nodes")
    if k >= n:
        capped = n - 1 if (n - 1) % 2 == 0 else n - 2
        warnings.warn(f"{what} {k} >= population {n}: capped at {capped} "
                      "(choose a smaller degree or a larger population)", SocsimWarning, stacklevel=3)
        k = capped
    if k % 2:
        warnings.warn(f"{what} {k} is odd: a ring links k/2 neighbours on each side, "
                      f"so it is rounded down to {k - 1}", SocsimWarning, stacklevel=3)
        k -= 1
    if k // 2 > _MAX_HALF_DEGREE:
        raise GraphError(f"{what} {k} is above {2 * _MAX_HALF_DEGREE}: choose a smaller degree")
    return k


def _check_population(n: int) -> None:
    if not 0 < n <= MAX_NODES:
        raise GraphError(f"population {n} is outside 1 .. {MAX_NODES}")


def _check_share(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise GraphError(f"{name} {value} is not a probability: choose a value in [0, 1]")


# ---------------------------------------------------------------------- small world
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
    Layers: a ring tie's layer follows its distance (:func:`ring_layer_table`); with
    ``beta = 0`` and even ``n`` every node has exactly 5 intimate, 10 close, 35 friends
    and 100 acquaintances at ``k = 150``. Rewired ties are acquaintances: long-range
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
    _check_population(n)
    if n > SMALL_WORLD_MAX_NODES:
        raise GraphError(f"population {n} is above {SMALL_WORLD_MAX_NODES} for small_world")
    k = _even_degree(k, n)
    _check_share(beta, "rewire (beta)")
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
    positions = np.cumsum(rng.geometric(p, size=batch)) - 1
    while positions[-1] < m:
        more = positions[-1] + np.cumsum(rng.geometric(p, size=batch))
        positions = np.concatenate((positions, more))
    return positions[:np.searchsorted(positions, m)]


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
    clash = _duplicate_mask(rewired, _LOW) | _hits_ring(rewired, picked, n, half, bits)
    pending, rewired = rewired[clash], rewired[~clash]
    for _ in range(REDRAW_ROUNDS):
        if len(pending) == 0:
            return rewired, picked
        owner, distance = _decode_rewired(pending, bits)
        fresh = np.sort(_rewired_keys(owner, _draw_targets(owner, n, rng), distance, bits))
        on_ring = _hits_ring(fresh, picked, n, half, bits)
        rewired, rejected = _insert_unique(rewired, fresh[~on_ring], _LOW)
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


def _duplicate_mask(keys: np.ndarray, low_bits: int) -> np.ndarray:
    """True where a sorted key has the same pair as the key before it."""
    dup = np.zeros(len(keys), dtype=bool)
    for start in range(1, len(keys), CHUNK):
        stop = min(start + CHUNK, len(keys))
        dup[start:stop] = (keys[start:stop] ^ keys[start - 1:stop - 1]) < (1 << low_bits)
    return dup


def _insert_unique(keys: np.ndarray, fresh: np.ndarray, low_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Insert the ``fresh`` keys whose pair is new into sorted ``keys``.

    Returns the merged sorted keys and the rejected fresh keys (pair already present,
    or repeated within ``fresh``).
    """
    fresh = np.sort(fresh)
    clash = _duplicate_mask(fresh, low_bits)
    first_of_pair = np.searchsorted(keys, (fresh >> low_bits) << low_bits)
    inside = first_of_pair < len(keys)
    clash[inside] |= (keys[first_of_pair[inside]] >> low_bits) == (fresh[inside] >> low_bits)
    return _merge_sorted(keys, fresh[~clash]), fresh[clash]


def _merge_sorted(keys: np.ndarray, extra: np.ndarray) -> np.ndarray:
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


# ---------------------------------------------------------------------- Holme–Kim
def powerlaw_cluster(n: int, m: int, p_triangle: float, rng: np.random.Generator) -> SocialGraph:
    """Holme–Kim growth: preferential attachment with triad formation.

    Parameters
    ----------
    n : int
        Number of nodes.
    m : int
        Ties each newcomer makes (mean degree ≈ 2m). ``m ≥ n`` is capped with a warning.
    p_triangle : float
        Probability that each tie after the first closes a triangle (links to a random
        contact of the last preferentially chosen node) instead of another preferential
        attachment.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    SocialGraph
        ``m(m+1)/2 + (n − m − 1)·m`` ties; node ids in arrival order (hubs are old,
        low ids).

    Raises
    ------
    GraphError
        If ``m < 1`` or ``p_triangle`` is not in [0, 1].

    Notes
    -----
    Growth starts from a clique of ``m + 1`` nodes (every node then has ``m`` ties).
    Each newcomer makes ``m`` distinct ties in sequence: the first by preferential
    attachment (PA: a node drawn in proportion to degree, i.e. a uniform tie
    endpoint); each later one, with probability ``p_triangle``, by triad formation (TF:
    a uniform contact of the latest PA target, closing a triangle), else by PA. A TF
    pick already chosen falls back to PA, as in [1]_. Mean clustering stays roughly
    constant as n grows and falls with m; the degree tail is a power law with exponent
    ≈ 3.

    Unlike ``networkx.powerlaw_cluster_graph``, which takes its PA targets from a
    Python set (popping low, i.e. old, ids first: larger hubs), the PA targets here are
    used in the order drawn.

    Cost: the process is sequential, so the loop is in Python, one step per tie
    (≈ 2–3 µs): 10⁵ nodes × m = 75 take ≈ 21 s, 10⁵ × m = 10 about 4 s.

    Layers: newcomer ``s`` owns its ``m`` ties, ranked triangle-closing ties first
    (embedded ties are stronger, Granovetter 1973) then preferential ones; rank ``r``
    takes the layer of ring distance ``r + 1`` in :func:`ring_layer_table` with
    ``k = 2m``. Each node's own ties thus follow the Dunbar proportions exactly, and the
    whole graph does too.

    References
    ----------
    .. [1] Holme, P. & Kim, B. J. (2002). Growing scale-free networks with tunable
       clustering. Physical Review E 65, 026107.
    """
    _check_population(n)
    _check_share(p_triangle, "triangle_prob")
    if m < 1:
        raise GraphError(f"m = {m} ties per newcomer is too small: use a degree of at least 2")
    if m >= n:
        warnings.warn(f"degree {2 * m} >= population {n}: newcomers make {n - 1} ties instead "
                      f"of {m} (choose a smaller degree or a larger population)", SocsimWarning, stacklevel=2)
        m = n - 1
    out = _HolmeKim(n, m, p_triangle, rng).grow()
    owner, target, rank = _holme_kim_ties(out, m)
    layer = ring_layer_table(2 * m)[owner & 1, rank + 1]
    return SocialGraph.from_edges(n, owner, target, layer)


def _holme_kim_ties(out: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner, target and rank of every tie from the per-node tie table ``out``."""
    n = len(out)
    core = np.arange(m + 1)
    later, earlier = np.meshgrid(core, core, indexing="ij")
    below = earlier < later  # core node c owns its ties to core nodes c' < c, rank c'
    owner = np.concatenate((later[below], np.repeat(np.arange(m + 1, n), m)))
    target = np.concatenate((earlier[below], out[m + 1:].ravel()))
    rank = np.concatenate((earlier[below], np.tile(np.arange(m), n - m - 1)))
    return owner.astype(np.int64), target, rank


class _HolmeKim:
    """State of a Holme–Kim growth (sequential: one Python loop step per tie).

    ``own[v]`` are the m ties v made on arrival (core nodes: their clique), ``later[v]``
    the ties later nodes made to v; ``endpoints`` (numpy) lists both ends of every tie,
    so a uniform draw from it is a degree-proportional draw. A newcomer's coins, TF
    picks and PA candidates are drawn with numpy, then consumed in Python.
    """

    def __init__(self, n: int, m: int, p: float, rng: np.random.Generator):
        self.n, self.m, self.p, self.rng = n, m, p, rng
        self.own: list[list[int]] = [[x for x in range(m + 1) if x != c] for c in range(m + 1)]
        self.later: list[list[int]] = [[] for _ in range(n)]
        self.endpoints = np.empty(m * (m + 1) + 2 * m * max(n - m - 1, 0), dtype=np.int32)
        self.size = m * (m + 1)
        self.endpoints[: self.size] = [x for ties in self.own for x in ties]

    def grow(self) -> np.ndarray:
        """Run the growth; return the (n, m) table of ties each node made, TF ties first."""
        m = self.m
        for node in range(m + 1, self.n):
            triads, preferred = self._attach()
            ties = triads + preferred
            self.own.append(ties)
            # C-level loop: later[contact].append(node) for every contact.
            deque(map(list.append, map(self.later.__getitem__, ties), repeat(node, m)), maxlen=0)
            self.endpoints[self.size:self.size + m] = ties
            self.endpoints[self.size + m:self.size + 2 * m] = node
            self.size += 2 * m
        return np.asarray(self.own, dtype=np.int32).reshape(self.n, self.m)

    def _candidates(self, count: int) -> list[int]:
        """``count`` degree-proportional draws (with repeats) from the current ties."""
        slots = (self.rng.random(count) * self.size).astype(np.int64)
        return self.endpoints[slots].tolist()

    def _attach(self) -> tuple[list[int], list[int]]:
        """The newcomer's m distinct contacts: (triad-formation ties, preferential ties)."""
        m, p, own, later = self.m, self.p, self.own, self.later
        triad_step = (self.rng.random(m) < p).tolist()
        triad_step[0] = False  # the first tie is always preferential
        picks = self.rng.random(m).tolist()
        candidates, used = self._candidates(m + 8), 0
        triads: list[int] = []
        preferred: list[int] = []
        taken: set[int] = set()
        for step, is_triad in enumerate(triad_step):
            if is_triad:  # TF: a uniform contact of the last PA target
                pick = int(picks[step] * (m + len(later[anchor])))
                contact = own[anchor][pick] if pick < m else later[anchor][pick - m]
                if contact not in taken:
                    triads.append(contact)
                    taken.add(contact)
                    continue
            while True:  # PA (also when the TF pick was already chosen)
                if used == len(candidates):
                    candidates, used = self._candidates(m + 8), 0
                anchor, used = candidates[used], used + 1
                if anchor not in taken:
                    break
            preferred.append(anchor)
            taken.add(anchor)
        return triads, preferred


# ---------------------------------------------------------------------- communities
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
    _check_population(n)
    _check_share(mixing, "mixing")
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
        keys, rejected = _insert_unique(keys, _block_keys(*missing, starts, bits, rng), 2)
        missing = _count_by_kind(rejected, starts, bits)
    if missing.sum() > 1e-3 * total:
        warnings.warn(f"{int(missing.sum())} of {total} ties could not be placed without "
                      "duplicates: communities are too small for this degree", SocsimWarning, stacklevel=2)
    _draw_block_layers(keys, starts, bits, _within_layer_probs(mixing), rng)
    directed = directed_keys(keys, bits)
    del keys
    return csr_from_directed(n, directed)


def _check_blocks(n: int, k: int, n_communities: int, mixing: float) -> tuple[int, float]:
    """Validate block-model arguments; return the (possibly capped) degree and mixing."""
    if not 1 <= n_communities <= max(1, n // 2):
        raise GraphError(f"communities {n_communities} is not in 1 .. {max(1, n // 2)}: each "
                         "community needs at least two members; choose fewer communities")
    if k < 1:
        raise GraphError(f"degree {k} is too small: choose at least 1")
    if k >= n:
        warnings.warn(f"degree {k} >= population {n}: capped at {n - 1} "
                      "(choose a smaller degree or a larger population)", SocsimWarning, stacklevel=3)
        k = n - 1
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


# ---------------------------------------------------------------------- complete
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
    Used for mean-field docking (the Bass model, DESIGN §8): there is no tie structure,
    so no Dunbar layers; all ties are acquaintances (layer 3) and the tie-strength rule
    plays no part.
    """
    _check_population(n)
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


# ---------------------------------------------------------------------- edge lists
def edge_list(path: str | Path, n: int) -> SocialGraph:
    """Read a graph from a text file of ``u v`` or ``u v layer`` lines.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, as given (the scenario loader resolves it relative to the scenario).
        ``#`` starts a comment; blank lines are skipped; ids are 0-based integers;
        the optional third column is the layer (0 intimate, 1 close, 2 friends,
        3 acquaintances; default 3). Every line has the same number of columns.
    n : int
        Population: every id must be below it (nodes without ties are allowed).

    Returns
    -------
    SocialGraph
        Self-loops dropped and repeated pairs merged (strongest layer kept), each with a
        :class:`~sim.errors.SocsimWarning`.

    Raises
    ------
    EdgeListError
        Naming the file and each bad line (up to 10): missing file, a line that is not
        two or three integers, a mixed column count, an id outside ``0 .. n-1`` or a
        layer outside 0–3.
    """
    path = Path(path)
    if not path.is_file():
        raise EdgeListError(str(path), [Problem("", "edge-list file not found: check world.graph.path "
                                                "(relative to the scenario file)")])
    table = _read_table(path)
    _validate_table(path, table, n)
    u, v = table[:, 0], table[:, 1]
    layer = table[:, 2] if table.shape[1] == 3 else ACQUAINTANCES
    graph = SocialGraph.from_edges(n, u, v, layer)
    loops = int(np.count_nonzero(u == v))
    repeats = len(table) - loops - graph.n_edges
    if loops or repeats:
        warnings.warn(f"{path}: dropped {loops} self-loops and merged {repeats} repeated ties "
                      "(strongest layer kept)", SocsimWarning, stacklevel=2)
    return graph


def _read_table(path: Path) -> np.ndarray:
    """Parse the file with numpy; on failure, rescan it to name the bad lines."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            table = np.loadtxt(path, dtype=np.int64, comments="#", ndmin=2)
    except ValueError:
        raise EdgeListError(str(path), _format_problems(path)) from None
    if table.size == 0:
        warnings.warn(f"{path}: no ties in the edge list", SocsimWarning, stacklevel=3)
        return np.zeros((0, 2), dtype=np.int64)
    if table.shape[1] not in (2, 3):
        line = _data_line_numbers(path)[0]
        raise EdgeListError(str(path), [Problem("", f"expected 'u v' or 'u v layer', got "
                                                f"{table.shape[1]} columns", line)])
    return table


def _data_lines(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number, tokens)`` of every line that is not blank or a comment."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        rows = [(number, line.split("#", 1)[0].split()) for number, line in enumerate(handle, 1)]
    return [(number, tokens) for number, tokens in rows if tokens]


def _data_line_numbers(path: Path) -> np.ndarray:
    return np.array([number for number, _ in _data_lines(path)], dtype=np.int64)


def _format_problems(path: Path, limit: int = 10) -> list[Problem]:
    """Name lines that are not two or three integers, or that change the column count."""
    problems: list[Problem] = []
    first: tuple[int, int] | None = None
    for number, tokens in _data_lines(path):
        if len(tokens) not in (2, 3) or not all(_is_int(t) for t in tokens):
            problems.append(Problem("", f"expected 'u v' or 'u v layer' (integers), got {' '.join(tokens)!r}", number))
        elif first is None:
            first = (number, len(tokens))
        elif len(tokens) != first[1]:
            problems.append(Problem("", f"{len(tokens)} columns but line {first[0]} has {first[1]}: "
                                    "give every line a layer or none", number))
        if len(problems) == limit:
            break
    return problems or [Problem("", "the file could not be read as integer columns")]


def _is_int(token: str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True


def _validate_table(path: Path, table: np.ndarray, n: int, limit: int = 10) -> None:
    """Range checks; on failure map the bad rows back to line numbers."""
    bad_id = (table[:, :2] < 0) | (table[:, :2] >= n)
    bad_layer = (table[:, 2] < 0) | (table[:, 2] >= N_LAYERS) if table.shape[1] == 3 else np.zeros(len(table), bool)
    bad_rows = np.flatnonzero(bad_id.any(axis=1) | bad_layer)[:limit]
    if len(bad_rows) == 0:
        return
    lines = _data_line_numbers(path)
    problems = []
    for row in bad_rows.tolist():
        if bad_id[row].any():
            node = int(table[row, :2][bad_id[row]][0])
            message = (f"node id {node} is outside 0 .. {n - 1} (population {n}): ids are 0-based; "
                       "renumber the file or raise world.population")
        else:
            message = (f"layer {int(table[row, 2])} is not 0 .. 3 "
                       "(0 intimate, 1 close, 2 friends, 3 acquaintances)")
        problems.append(Problem("", message, int(lines[row])))
    raise EdgeListError(str(path), problems)


def write_edge_list(graph: SocialGraph, path: str | Path) -> Path:
    """Write ``graph`` as ``u v layer`` lines (each tie once, ``u < v``) that :func:`edge_list` reads back.

    Parameters
    ----------
    graph : SocialGraph
    path : str or pathlib.Path

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    u, v, layer = graph.upper_edges()
    header = (f"socsim edge list: n={graph.n} ties={graph.n_edges}\n"
              "u v layer (0 intimate, 1 close, 2 friends, 3 acquaintances); ids 0-based")
    np.savetxt(path, np.column_stack((u, v, layer)), fmt="%d", header=header, comments="# ")
    return path


# ---------------------------------------------------------------------- dispatch
def build_graph(spec: "GraphSpec", n: int, rng: np.random.Generator) -> SocialGraph:
    """Build the social graph a scenario asks for.

    Parameters
    ----------
    spec : sim.config.schema.GraphSpec
        ``kind`` selects the generator; ``degree``, ``rewire``, ``triangle_prob``,
        ``communities``, ``mixing`` and ``path`` are its arguments.
    n : int
        Population (``world.population``).
    rng : numpy.random.Generator
        The run's graph stream.

    Returns
    -------
    SocialGraph

    Raises
    ------
    GraphError
        If the arguments cannot give a graph (messages say how to fix them).

    Notes
    -----
    ``powerlaw_cluster`` uses ``m = degree // 2`` ties per newcomer; ``complete``
    ignores ``degree``; ``edge_list`` reads ``path`` as given.
    """
    builders: dict[str, Callable[[], SocialGraph]] = {
        "small_world": lambda: small_world(n, spec.degree, spec.rewire, rng),
        "powerlaw_cluster": lambda: powerlaw_cluster(n, _half_degree(spec.degree), spec.triangle_prob, rng),
        "communities": lambda: communities(n, spec.degree, spec.communities, spec.mixing, rng),
        "edge_list": lambda: edge_list(spec.path, n),
        "complete": lambda: complete(n),
    }
    if spec.kind not in builders:
        raise GraphError(f"graph kind {spec.kind!r} is unknown: choose one of {', '.join(builders)}")
    return builders[spec.kind]()


def _half_degree(degree: int) -> int:
    if degree % 2:
        warnings.warn(f"degree {degree} is odd: Holme–Kim newcomers make degree // 2 = {degree // 2} "
                      f"ties, so the mean degree is {degree - 1}", SocsimWarning, stacklevel=4)
    return degree // 2
