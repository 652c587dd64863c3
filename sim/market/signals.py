"""Signals: the day's exposures, each with a source, a weight and an entry channel (§5.2).

Producers push exposure batches onto an :class:`ExposureBatch`; the attitude step then
folds them into each consumer's ad-stock. Every producer's cost grows with what it
produces (impressions, posts, shares), never with N·k: word of mouth is pushed from
today's sharers along their CSR rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from ..config.schema import Behaviour
from ..graph.csr import SocialGraph
from ..population import NO_ONE, Population

__all__ = [
    "Source", "WECHAT_SEEDED", "ExposureBatch", "Exposures", "content_factor",
    "expand_rows", "word_of_mouth", "SharerPool",
]


class Source(IntEnum):
    """Where an exposure came from (attribution)."""

    PAID = 0     # paid media (PaidMedia)
    PUSH = 1     # official-account push (公众号, OwnedMedia)
    WECOM = 2    # enterprise-WeChat 1:1 touch (企业微信)
    KOL = 3      # KOL/KOC post
    GROUP = 4    # group-leader broadcast (团长)
    WOM = 5      # word of mouth / shared link (EarnedMedia)
    SEARCH = 6   # open-shelf search page (organic or search ads)


#: Sources that count as "seeded by WeChat" for spill-over (DESIGN §8.3).
WECHAT_SEEDED = (Source.PUSH, Source.WECOM, Source.GROUP)


@dataclass(frozen=True)
class Exposures:
    """All of today's exposures as aligned arrays."""

    who: np.ndarray       # int32 consumer
    brand: np.ndarray     # int16 brand code
    weight: np.ndarray    # float32 exposure weight (negative: bad word of mouth)
    entry: np.ndarray     # int8 channel the exposure links to (-1: none)
    source: np.ndarray    # int8 Source
    referrer: np.ndarray  # int32 sharer / leader / KOL id (-1)

    def __len__(self) -> int:
        return len(self.who)


@dataclass
class ExposureBatch:
    """Collects exposure batches from the producers of one day."""

    parts: list[tuple] = field(default_factory=list)

    def add(self, who: np.ndarray, brand: int, weight: np.ndarray | float, entry: np.ndarray | int,
            source: Source, referrer: np.ndarray | int = NO_ONE) -> None:
        n = len(who)
        if n == 0:
            return
        self.parts.append((
            np.asarray(who, np.int32), np.full(n, brand, np.int16), _column(weight, n, np.float32),
            _column(entry, n, np.int8), np.full(n, int(source), np.int8), _column(referrer, n, np.int32),
        ))

    def collect(self) -> Exposures:
        if not self.parts:
            empty = [np.zeros(0, t) for t in (np.int32, np.int16, np.float32, np.int8, np.int8, np.int32)]
            return Exposures(*empty)
        return Exposures(*(np.concatenate(cols) for cols in zip(*self.parts)))


def _column(value: np.ndarray | float | int, n: int, dtype: type) -> np.ndarray:
    """``value`` as a length-``n`` column (np.full for a scalar: broadcast_to costs more per call)."""
    return np.full(n, value, dtype) if np.ndim(value) == 0 else np.asarray(value, dtype)


def content_factor(taste: np.ndarray, quality: float) -> np.ndarray:
    """Weight multiplier of content of 4i ``quality`` for consumers of ``taste``.

    Notes
    -----
    f = 1 − τ + 2τq: neutral (1) at q = 0.5; a quality-minded consumer (τ → 1) sees a
    hard ad (q → 0) as nothing and great content (q → 1) as double weight.
    """
    return 1.0 - taste + 2.0 * taste * quality


def expand_rows(graph: SocialGraph, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR rows of ``nodes``: (row owner position, neighbour, layer), vectorised."""
    starts = graph.indptr[nodes]
    lens = (graph.indptr[nodes + 1] - starts).astype(np.int64)
    owner = np.repeat(np.arange(len(nodes)), lens)
    offsets = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
    pos = np.repeat(starts, lens) + offsets
    return owner, graph.indices[pos], graph.layer[pos]


@dataclass
class SharerPool:
    """Satisfied recent buyers of one brand whose share window is open."""

    nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    unhappy: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def warn(self, nodes: np.ndarray) -> None:
        """Queue unsatisfied buyers who will warn their contacts tomorrow."""
        if len(nodes):  # most days bring a brand no unhappy buyer: skip the copy
            self.unhappy = np.concatenate([self.unhappy, nodes.astype(np.int32)])

    def drain_unhappy(self) -> np.ndarray:
        nodes, self.unhappy = self.unhappy, np.zeros(0, np.int32)
        return nodes

    def add(self, nodes: np.ndarray, until: int) -> None:
        if len(nodes):
            self.nodes = np.concatenate([self.nodes, nodes.astype(np.int32)])
            self.until = np.concatenate([self.until, np.full(len(nodes), until, np.int32)])

    def open_on(self, day: int) -> np.ndarray:
        keep = self.until >= day
        self.nodes, self.until = self.nodes[keep], self.until[keep]
        return self.nodes


def word_of_mouth(graph: SocialGraph, pop: Population, sharers: np.ndarray, brand: int,
                  behaviour: Behaviour, rng: np.random.Generator, sign: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Push shares from ``sharers`` along their ties.

    Returns
    -------
    receivers, weights, sharer_of_each : ndarray
        A contact on layer ℓ is reached with probability ``tie_reach[ℓ]`` and receives
        weight ``sign · wom_strength · wom_weight(segment)``.
    """
    owner, nbr, layer = expand_rows(graph, sharers)
    reach = np.asarray(behaviour.tie_reach, np.float64)[layer]
    hit = rng.random(len(nbr)) < reach
    receivers = nbr[hit]
    weights = sign * behaviour.wom_strength * pop.param("wom_weight", receivers)
    return receivers, weights, sharers[owner[hit]]
