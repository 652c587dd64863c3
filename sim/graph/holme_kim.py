"""Holme–Kim growth (``powerlaw_cluster``): preferential attachment with triad formation.

A scale-free graph with tunable clustering; each newcomer's ties take Dunbar layers by
rank (:func:`~sim.graph.dunbar.ring_layer_table`), triangle-closing ties strongest.
"""

from __future__ import annotations

import warnings
from collections import deque
from itertools import repeat

import numpy as np

from ..errors import SocsimWarning
from .common import check_population, check_share
from .csr import GraphError, SocialGraph
from .dunbar import ring_layer_table

__all__ = ["powerlaw_cluster"]


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
    takes the layer of ring distance ``r + 1`` in
    :func:`~sim.graph.dunbar.ring_layer_table` with ``k = 2m``. Each node's own ties thus
    follow the Dunbar proportions exactly, and the whole graph does too.

    References
    ----------
    .. [1] Holme, P. & Kim, B. J. (2002). Growing scale-free networks with tunable
       clustering. Physical Review E 65, 026107.
    """
    check_population(n)
    check_share(p_triangle, "triangle_prob")
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
