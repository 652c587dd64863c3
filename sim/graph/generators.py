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
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..errors import Problem, ScenarioError, SocsimWarning
from .csr import (
    ACQUAINTANCES, CHUNK, MAX_NODES, N_LAYERS, GraphError, SocialGraph, csr_from_keys,
    drop_duplicate_pairs, node_bits, pack_keys,
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

# Internal small-world key: pair << _LOW | low, where low holds either the ring layer
# (bits 0-1) or, for a rewired tie, a flag (bit 10), the owner's side (bit 9) and the
# ring distance d (bits 0-8), so a tie that cannot be rewired can return to the ring.
_LOW = 11
_REWIRED = 1 << 10
_SIDE = 1 << 9
_MAX_HALF_DEGREE = (1 << 9) - 1


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
        ``n·k/2`` ties (fewer only in the rare case described in Notes).

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
    that hits a tie already present (ring or rewired) is redrawn, up to 12 rounds. The
    expected collisions per round are ≈ k/n of the rewired ties (10⁻⁴ at 10⁶ × 150), so
    leftovers occur only in dense graphs; a leftover tie returns to its ring position,
    and is dropped (with a warning) only if another rewired tie took that pair.
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
    k = _even_degree(k, n)
    _check_share(beta, "rewire (beta)")
    bits = node_bits(n)
    table = ring_layer_table(k)
    keys = _ring_keys(n, k, bits, table)
    picked = _bernoulli_positions(len(keys), beta, rng)
    owner = picked % n
    keys[picked] = _rewired_keys(owner, _draw_targets(owner, n, rng), picked // n + 1, bits)
    del picked, owner
    keys.sort()
    keys = _resolve_collisions(keys, n, bits, table, rng)
    _to_plain_keys(keys, bits)
    return csr_from_keys(n, keys, bits)


def _ring_keys(n: int, k: int, bits: int, table: np.ndarray) -> np.ndarray:
    """Ring ties in distance-major order: entry ``(d - 1)·n + i`` is tie (i, i + d mod n)."""
    keys = np.empty(n * (k // 2), dtype=np.int64)
    node = np.arange(n, dtype=np.int64)
    odd = (node & 1).astype(bool)
    for d in range(1, k // 2 + 1):
        far = node + d
        wrap = far >= n
        far[wrap] -= n
        low, high = np.where(wrap, far, node), np.where(wrap, node, far)
        layer = np.where(odd, table[1, d], table[0, d]).astype(np.int64)
        keys[(d - 1) * n:d * n] = ((low << bits) | high) << _LOW | layer
    return keys


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
    owner = owner.astype(np.int64)
    low, high = np.minimum(owner, target), np.maximum(owner, target)
    side = np.where(owner == high, _SIDE, 0)
    return ((low << bits) | high) << _LOW | _REWIRED | side | distance


def _decode_rewired(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Owner and ring distance of rewired keys."""
    pair = keys >> _LOW
    low, high = pair >> bits, pair & ((1 << bits) - 1)
    owner = np.where(keys & _SIDE, high, low)
    return owner, keys & _MAX_HALF_DEGREE


def _resolve_collisions(keys: np.ndarray, n: int, bits: int, table: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
    """Redraw rewired ties that duplicate another tie; return sorted unique keys.

    Ring keys sort before rewired keys of the same pair (smaller low bits), so every
    duplicate after the sort is a rewired tie to redraw.
    """
    dup = _duplicate_mask(keys, _LOW)
    if not dup.any():
        return keys
    pending, keys = keys[dup], keys[~dup]
    for _ in range(REDRAW_ROUNDS):
        if len(pending) == 0:
            return keys
        owner, distance = _decode_rewired(pending, bits)
        fresh = _rewired_keys(owner, _draw_targets(owner, n, rng), distance, bits)
        keys, pending = _insert_unique(keys, fresh, _LOW)
    owner, distance = _decode_rewired(pending, bits)
    far = (owner + distance) % n
    layer = table[owner & 1, distance].astype(np.int64)
    ring = ((np.minimum(owner, far) << bits) | np.maximum(owner, far)) << _LOW | layer
    keys, dropped = _insert_unique(keys, ring, _LOW)
    if len(dropped):
        warnings.warn(f"{len(dropped)} rewired ties found no free partner after {REDRAW_ROUNDS} "
                      "redraws and were dropped (the graph is nearly complete: lower the "
                      "degree or the rewiring)", SocsimWarning, stacklevel=3)
    return keys


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
    accepted = fresh[~clash]
    return np.insert(keys, np.searchsorted(keys, accepted), accepted), fresh[clash]


def _to_plain_keys(keys: np.ndarray, bits: int) -> None:
    """Rewrite small-world keys in place as ``pair << 2 | layer`` (rewired → acquaintance)."""
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        layer = np.where(chunk & _REWIRED, ACQUAINTANCES, chunk & 3)
        chunk[:] = (chunk >> _LOW) << 2 | layer


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
    Newcomer ``s`` flips ``m − 1`` coins: heads (prob. ``p_triangle``) makes a triad
    formation (TF) step, tails a preferential attachment (PA) step; the first step is PA.
    PA targets are sampled in proportion to degree (uniform over tie endpoints), TF
    targets uniformly among the contacts of the anchor (the latest PA target). A TF
    target already chosen is replaced by an extra PA draw, as in [1]_. The loop over
    newcomers is in Python (the process is sequential); 10⁵ nodes × m = 75 take seconds.

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
    """State of a Holme–Kim growth: tie table, incoming lists, degrees, endpoint pool."""

    def __init__(self, n: int, m: int, p: float, rng: np.random.Generator):
        self.n, self.m, self.rng = n, m, rng
        self.out = np.zeros((n, m), dtype=np.int32)    # ties a node made (core: the clique)
        self.incoming: list[list[int]] = [[] for _ in range(n)]  # later nodes that chose it
        self.degree = np.zeros(n, dtype=np.int64)
        self.endpoints = np.empty(m * (m + 1) + 2 * m * max(n - m - 1, 0), dtype=np.int32)
        self.size = 0  # endpoints in use; a uniform endpoint is degree-proportional
        self.p = p
        self._pool, self._used = np.empty(0), 0

    def grow(self) -> np.ndarray:
        """Run the growth; return the (n, m) table of ties each node made."""
        m = self.m
        for c in range(m + 1):
            self.out[c] = np.delete(np.arange(m + 1), c)
        core = self.out[: m + 1].ravel()
        self.endpoints[: len(core)] = core  # each clique tie appears once per endpoint
        self.size = len(core)
        self.degree[: m + 1] = m
        for node in range(m + 1, self.n):
            self._attach(node)
        return self.out

    def _uniform(self, count: int) -> np.ndarray:
        """Next ``count`` numbers of a pre-drawn uniform pool (one rng call per 64 k)."""
        if self._used + count > len(self._pool):
            self._pool, self._used = self.rng.random(max(65536, count)), 0
        chunk = self._pool[self._used:self._used + count]
        self._used += count
        return chunk

    def _attach(self, node: int) -> None:
        """Choose ``m`` distinct contacts for ``node`` and record the ties."""
        steps = self._uniform(self.m) < self.p  # triad-formation coins; step 0 is PA
        steps[0] = False
        preferential = self._preferential(self.m - int(steps.sum()), set())
        anchors = np.asarray(preferential)[np.cumsum(~steps)[steps] - 1]
        chosen = list(dict.fromkeys(self._contact_of(anchors) + preferential))
        if len(chosen) < self.m:
            chosen += self._preferential(self.m - len(chosen), set(chosen))
        self.out[node] = chosen
        self.degree[chosen] += 1
        self.degree[node] = self.m
        self.endpoints[self.size:self.size + self.m] = chosen
        self.endpoints[self.size + self.m:self.size + 2 * self.m] = node
        self.size += 2 * self.m
        for contact in chosen:
            self.incoming[contact].append(node)

    def _preferential(self, count: int, taken: set[int]) -> list[int]:
        """``count`` distinct nodes not in ``taken``, drawn in proportion to degree."""
        picked: list[int] = []
        while len(picked) < count:
            draws = (self._uniform(2 * (count - len(picked)) + 2) * self.size).astype(np.int64)
            for candidate in self.endpoints[draws].tolist():
                if candidate not in taken:
                    taken.add(candidate)
                    picked.append(candidate)
                    if len(picked) == count:
                        break
        return picked

    def _contact_of(self, anchors: np.ndarray) -> list[int]:
        """A uniform contact of each anchor (its own ties first, then incoming ones)."""
        pick = (self._uniform(len(anchors)) * self.degree[anchors]).astype(np.int64)
        own = pick < self.m
        result = np.empty(len(anchors), dtype=np.int64)
        result[own] = self.out[anchors[own], pick[own]]
        late = np.flatnonzero(~own)
        result[late] = [self.incoming[a][j] for a, j in zip(anchors[late].tolist(), (pick[late] - self.m).tolist())]
        return result.tolist()


# ---------------------------------------------------------------------- communities
def community_labels(n: int, n_communities: int) -> np.ndarray:
    """Community of each node for :func:`communities`: consecutive blocks of near-equal size."""
    starts = _community_starts(n, n_communities)
    return (np.searchsorted(starts, np.arange(n), side="right") - 1).astype(np.int32)


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
    picks community ``c`` with probability ∝ ``s_c(s_c − 1)`` and two distinct members
    uniformly; a cross tie picks ``u`` uniformly and ``v`` uniformly outside ``u``'s
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
    probs = _within_layer_probs(mixing)
    keys = _block_keys(*wanted, starts, probs, bits, rng)
    keys.sort()
    keys = drop_duplicate_pairs(keys)
    missing = wanted - _count_by_kind(keys, starts, bits)
    for _ in range(REDRAW_ROUNDS):
        if not missing.any():
            break
        keys, rejected = _insert_unique(keys, _block_keys(*missing, starts, probs, bits, rng), 2)
        missing = _count_by_kind(rejected, starts, bits)
    if missing.sum() > 1e-3 * total:
        warnings.warn(f"{int(missing.sum())} of {total} ties could not be placed without "
                      "duplicates: communities are too small for this degree", SocsimWarning, stacklevel=2)
    return csr_from_keys(n, keys, bits)


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


def _block_keys(n_within: int, n_cross: int, starts: np.ndarray, probs: np.ndarray,
                bits: int, rng: np.random.Generator) -> np.ndarray:
    """Keys of freshly sampled within and cross ties (chunked, int32 endpoints)."""
    parts = [np.empty(0, dtype=np.int64)]
    for start in range(0, int(n_within), CHUNK):
        u, v, layer = _within_ties(min(CHUNK, int(n_within) - start), starts, probs, rng)
        parts.append(pack_keys(u, v, layer, bits))
    for start in range(0, int(n_cross), CHUNK):
        u, v = _cross_ties(min(CHUNK, int(n_cross) - start), starts, rng)
        parts.append(pack_keys(u, v, np.full(len(u), ACQUAINTANCES, dtype=np.uint8), bits))
    return np.concatenate(parts)


def _within_ties(count: int, starts: np.ndarray, probs: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sizes = np.diff(starts)
    weight = np.cumsum(sizes * (sizes - 1), dtype=np.float64)
    block = np.searchsorted(weight / weight[-1], rng.random(count), side="right")
    size = sizes[block]
    first = rng.integers(0, size)
    second = (first + rng.integers(1, size)) % size  # distinct from first
    layer = np.searchsorted(np.cumsum(probs)[:-1], rng.random(count), side="right")
    return (starts[block] + first).astype(np.int32), (starts[block] + second).astype(np.int32), layer.astype(np.uint8)


def _cross_ties(count: int, starts: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(starts[-1])
    u = rng.integers(0, n, size=count)
    block = np.searchsorted(starts, u, side="right") - 1
    size = starts[block + 1] - starts[block]
    v = rng.integers(0, n - size)
    v += np.where(v >= starts[block], size, 0)  # skip u's own block
    return u.astype(np.int32), v.astype(np.int32)


def _count_by_kind(keys: np.ndarray, starts: np.ndarray, bits: int) -> np.ndarray:
    """``[within, cross]`` tie counts among ``pair << 2 | layer`` keys (chunked)."""
    counts = np.zeros(2, dtype=np.int64)
    mask = (1 << bits) - 1
    for start in range(0, len(keys), CHUNK):
        pair = keys[start:start + CHUNK] >> 2
        same = (np.searchsorted(starts, pair >> bits, side="right")
                == np.searchsorted(starts, pair & mask, side="right"))
        counts += (int(same.sum()), int((~same).sum()))
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
