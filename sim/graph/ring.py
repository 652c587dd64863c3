"""Watts–Strogatz small world on a ring, with Dunbar layers by ring distance.

Ring ties take their layer from :func:`~sim.graph.dunbar.ring_layer_table`; rewired
ties are long-range bridges, hence acquaintances (Granovetter 1973). Rewiring is drawn
in bulk with numpy; every tie is written straight into its CSR row (docs/GRAPH.md has
the timings).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import SocsimWarning
from .common import REDRAW_ROUNDS, cap_degree, check_population, check_share, new_pairs
from ..jit import njit
from .csr import ACQUAINTANCES, CHUNK, GraphError, SocialGraph, node_bits
from .dunbar import ring_layer_table
from .fill import count_pair_ends, empty_rows, merge_in_place, place_pairs, rows_from_words

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
    when more than 1 % of the rewiring was undone. The ring ties are then written into
    their rows straight from the ring's structure and each row is sorted on its own.
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
    cut, rewired = _rewire(n, half, beta, bits, rng)
    rewired = _place_rewired(rewired, cut, n, half, bits, rng)
    indptr, words = _small_world_rows(n, k, cut, rewired, bits)
    del cut, rewired  # the rows hold every tie now: free the keys before the layers are split off
    indices, layer = rows_from_words(indptr, words)
    return SocialGraph(indptr=indptr, indices=indices, layer=layer)


def _rewire(n: int, half: int, beta: float, bits: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The ring ties rewired away and the sorted keys of their rewired ties.

    Ring tie ``(i, i + d)`` has position ``(d − 1)·n + i``; the positions rewired away
    are Bernoulli(β) (all of them at β = 1, never listed), kept as one bit each in
    ``cut``. The targets are drawn ``CHUNK`` ties at a time, in position order: the same
    draws as in one call, without a full-size array per intermediate.
    """
    m = n * half
    picked = None if beta >= 1.0 else _bernoulli_positions(m, beta, rng)
    count = m if picked is None else len(picked)
    cut, keys = np.zeros((m + 7) // 8, np.uint8), np.empty(count, np.int64)
    for start in range(0, count, CHUNK):
        stop = min(start + CHUNK, count)
        positions = np.arange(start, stop, dtype=np.int64) if picked is None else picked[start:stop]
        owner = positions % n
        keys[start:stop] = _rewired_keys(owner, _draw_targets(owner, n, rng), positions // n + 1, bits)
        _set_bits(cut, positions, 1)
    keys.sort()  # in place
    return cut, keys


@njit
def _set_bits(bitmap: np.ndarray, positions: np.ndarray, value: int) -> None:
    """Set (``value`` 1) or clear (0) bit ``p`` of ``bitmap`` for each of ``positions``."""
    for p in positions:
        bit = np.uint8(1) << np.uint8(p & 7)
        bitmap[p >> 3] = bitmap[p >> 3] | bit if value else bitmap[p >> 3] & ~bit


@njit(inline="always")
def _bit(bitmap: np.ndarray, p: int) -> int:
    return (bitmap[p >> 3] >> (p & 7)) & 1


def _bernoulli_positions(m: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of successes among ``m`` Bernoulli(p) trials (geometric gaps).

    Draws O(m·p) numbers instead of m uniforms.
    """
    if p <= 0.0 or m == 0:
        return np.empty(0, dtype=np.int64)
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


@njit
def _rewired_keys(owner: np.ndarray, target: np.ndarray, distance: np.ndarray, bits: int) -> np.ndarray:
    """Keys of rewired ties; the low bits remember the owner and its ring distance.

    One compiled pass: written as numpy calls it held five temporaries per tie.
    """
    keys = np.empty(len(owner), np.int64)
    for j in range(len(owner)):
        mine, other = np.int64(owner[j]), np.int64(target[j])
        low, high = min(mine, other), max(mine, other)
        side = _SIDE if mine == high else 0
        keys[j] = ((low << bits) | high) << _LOW | side | np.int64(distance[j]) << _DISTANCE_SHIFT | ACQUAINTANCES
    return keys


def _decode_rewired(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Owner and ring distance of rewired keys."""
    pair = keys >> _LOW
    low, high = pair >> bits, pair & ((1 << bits) - 1)
    owner = np.where(keys & _SIDE, high, low)
    return owner, (keys >> _DISTANCE_SHIFT) & _MAX_HALF_DEGREE


def _place_rewired(rewired: np.ndarray, cut: np.ndarray, n: int, half: int, bits: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Redraw rewired ties that hit a kept ring tie or another rewired tie.

    Returns the sorted, duplicate-free rewired keys, in ``rewired``'s memory (a view of
    its head); ``cut`` loses the bits of the ties that found no partner in 12 rounds
    and went back to the ring.
    """
    kept, pending = _split_clashes(rewired, cut, n, half, bits)
    for _ in range(REDRAW_ROUNDS):
        if len(pending) == 0:
            break
        owner, distance = _decode_rewired(pending, bits)
        fresh = np.sort(_rewired_keys(owner, _draw_targets(owner, n, rng), distance, bits))
        on_ring = _hits_ring(fresh, cut, n, half, bits)
        accepted, rejected = new_pairs(rewired[:kept], fresh[~on_ring], _LOW)
        kept = merge_in_place(rewired, kept, accepted)
        pending = np.sort(np.concatenate((fresh[on_ring], rejected)))
    return _restore_ring(pending, rewired[:kept], cut, n, bits)


@njit
def _split_clashes(keys: np.ndarray, cut: np.ndarray, n: int, half: int, bits: int) -> tuple[int, np.ndarray]:
    """Move out of sorted ``keys`` those with the pair of the key before them or of a kept
    ring tie (:func:`_on_ring`): the rest stay in order at the head of ``keys``. Returns
    their count and the moved keys, in order."""
    clashes = 0
    for j in range(len(keys)):
        clashes += _clash(keys[j], keys[j - 1] if j else -1, cut, n, half, bits)
    moved, kept, previous = np.empty(clashes, np.int64), 0, np.int64(-1)
    for j in range(len(keys)):
        key = keys[j]
        if _clash(key, previous, cut, n, half, bits):
            moved[j - kept] = key
        else:
            keys[kept] = key  # kept <= j: may overwrite the key before, hence ``previous``
            kept += 1
        previous = key
    return kept, moved


@njit(inline="always")
def _clash(key: int, previous: int, cut: np.ndarray, n: int, half: int, bits: int) -> bool:
    """Whether ``key`` has the pair of the sorted key before it (−1: none) or of a kept ring tie."""
    return (previous >= 0 and (key ^ previous) < (1 << _LOW)) or _on_ring(key, cut, n, half, bits)


@njit
def _hits_ring(keys: np.ndarray, cut: np.ndarray, n: int, half: int, bits: int) -> np.ndarray:
    """True where a key's pair is a ring tie that was not rewired away (:func:`_on_ring`)."""
    hits = np.empty(len(keys), np.bool_)
    for j in range(len(keys)):
        hits[j] = _on_ring(keys[j], cut, n, half, bits)
    return hits


@njit(inline="always")
def _on_ring(key: int, cut: np.ndarray, n: int, half: int, bits: int) -> bool:
    """Whether ``key``'s pair is a ring tie whose bit in ``cut`` is clear.

    Pair (a, b), a < b, is ring tie (a, a + g) if g = b − a ≤ half, or (b, b + n − g)
    if n − g ≤ half (never both, since 2·half < n).
    """
    pair = key >> _LOW
    low, high = pair >> bits, pair & ((np.int64(1) << bits) - 1)
    gap = high - low
    if gap <= half:
        return not _bit(cut, (gap - 1) * n + low)
    if n - gap <= half:
        return not _bit(cut, (n - gap - 1) * n + high)
    return False


def _restore_ring(pending: np.ndarray, rewired: np.ndarray, cut: np.ndarray, n: int, bits: int) -> np.ndarray:
    """Put rewired ties that found no partner back on the ring (their bits in ``cut`` cleared).

    If a rewired tie X already holds such a ring pair, X gives it up and returns to its
    own ring position instead (and so on along the chain), so the tie count stays
    exactly n·k/2. Happens only in nearly complete graphs.
    """
    # The last redraw round may have placed every tie: then nothing goes back.
    if len(pending) == 0:
        return rewired
    undone = len(pending)
    while len(pending):
        owner, distance = _decode_rewired(pending, bits)
        _set_bits(cut, (distance - 1) * n + owner, 0)
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
    return rewired


def _small_world_rows(n: int, k: int, cut: np.ndarray, rewired: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The CSR row pointers and filled word rows (:mod:`sim.graph.fill`) of the kept ring
    ties (layer by distance) and the rewired ties.

    Ring ties are written into their rows straight from the ring's structure, rewired
    ties from their keys; the rows are sorted when the layers are split off.
    """
    degree = np.full(n, k, dtype=np.int64)
    _drop_ring_ends(n, k // 2, cut, degree)
    count_pair_ends(rewired, bits, _LOW, degree)
    indptr, words, cursor = empty_rows(degree)
    _place_ring(n, k // 2, cut, ring_layer_table(k), cursor, words)
    place_pairs(rewired, bits, _LOW, cursor, words)
    return indptr, words


@njit
def _drop_ring_ends(n: int, half: int, cut: np.ndarray, degree: np.ndarray) -> None:
    """Take from ``degree`` both ends of each ring tie rewired away (bit ``(d − 1)·n + i`` of ``cut``)."""
    for byte in range(len(cut)):
        if cut[byte] == 0:  # most bytes at a low β: skip them whole
            continue
        for position in range(8 * byte, min(8 * byte + 8, n * half)):
            if _bit(cut, position):
                i, d = position % n, position // n + 1
                degree[i] -= 1
                degree[(i + d) % n] -= 1


@njit
def _place_ring(n: int, half: int, cut: np.ndarray, table: np.ndarray, cursor: np.ndarray,
                words: np.ndarray) -> None:
    """Write each row's kept ring ties (bit clear in ``cut``) in contact order.

    Row ``i`` holds the ties at offsets ``d = −half .. −1, 1 .. half``: tie ``(i + d, i)``
    at distance ``−d`` owned by ``i + d`` for ``d < 0``, tie ``(i, i + d)`` owned by ``i``
    for ``d > 0``. Taken from the offset whose contact ``(i + d) mod n`` is smallest,
    the contacts increase, so the row needs no sort until rewired ties join it.
    """
    for i in range(n):
        slot = cursor[i]
        if half <= i < n - half:  # no offset wraps around the ring: contacts i − half .. i + half
            for d in range(-half, 0):
                slot = _place_ring_tie(i + d, -d, i + d, slot, n, cut, table, words)
            for d in range(1, half + 1):
                slot = _place_ring_tie(i, d, i + d, slot, n, cut, table, words)
        else:  # near the ends of the id range, start at the offset whose contact is 0
            start = half + n - i - 1 if i + half >= n else half - i
            for t in range(2 * half):
                offset = (start + t) % (2 * half)
                d = offset - half if offset < half else offset - half + 1
                owner = i if d > 0 else (i + d) % n
                if not _bit(cut, (abs(d) - 1) * n + owner):  # a branch: the last row has no slack
                    slot = _place_ring_tie(owner, abs(d), (i + d) % n, slot, n, cut, table, words)
        cursor[i] = slot


@njit(inline="always")
def _place_ring_tie(owner: int, distance: int, contact: int, slot: int, n: int, cut: np.ndarray,
                    table: np.ndarray, words: np.ndarray) -> int:
    """Write ring tie ``(owner, owner + distance)``'s end at ``contact`` into ``words[slot]``;
    the next free slot (unchanged if the tie was rewired away: written over, no branch).

    A skipped tie's word lands in the row's next slot, or the next row's first, which is
    written later; so only rows followed by another may skip this way.
    """
    position = (distance - 1) * n + owner
    words[slot] = np.uint32(contact) << np.uint32(2) | np.uint32(table[owner & 1, distance])
    return slot + 1 - _bit(cut, position)
