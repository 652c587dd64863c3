"""Signals: the day's exposures, each with a source, a weight and an entry channel (docs/MODEL.md §3.2).

Producers add exposures to the day's :class:`ExposureBatch` (their compiled kernels
write rows straight into its columns); the attitude step then folds them into each
consumer's ad-stock. Every producer's cost grows with what it
produces (impressions, posts, shares), never with N·k: word of mouth is pushed from
today's sharers along their CSR rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

import numpy as np

from .. import draws
from ..config.schema import Behaviour
from ..graph.csr import SocialGraph
from ..jit import njit
from ..population import NO_ONE, Population

__all__ = [
    "Source", "WECHAT_SEEDED", "ExposureBatch", "Exposures", "content_factor",
    "expand_rows", "ragged_size", "word_of_mouth", "Ties", "ties_of", "tell_contacts", "tie_reach", "SharerPool",
    "still_open",
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
    RELAY = 7    # an opinion leader passing on a paid impression or KOL post (two-step flow)


#: Sources that count as "seeded by WeChat" for spill-over (docs/MODEL.md §6).
WECHAT_SEEDED = (Source.PUSH, Source.WECOM, Source.GROUP)


@dataclass
class Exposures:
    """All of today's exposures as aligned arrays (read, never changed; not frozen, whose
    ``__init__`` costs a day ~1 µs more)."""

    who: np.ndarray       # int32 consumer
    brand: np.ndarray     # int16 brand code
    weight: np.ndarray    # float32 exposure weight (negative: bad word of mouth)
    entry: np.ndarray     # int8 channel the exposure links to (-1: none)
    source: np.ndarray    # int8 Source
    referrer: np.ndarray  # int32 sharer / leader / KOL id (-1)

    def __len__(self) -> int:
        return len(self.who)


#: dtypes of the exposure columns, in :class:`Exposures` order.
COLUMN_DTYPES = (np.int32, np.int16, np.float32, np.int8, np.int8, np.int32)
#: Rows an ExposureBatch starts with: a day's draws at 10⁴ consumers need ~1,200 (a head KOL's post, ~11,000).
INITIAL_ROWS = 4096


@dataclass
class ExposureBatch:
    """The day's exposures as the producers add them: six growable columns.

    A producer that knows at most how many rows it adds asks for :meth:`room` and has a
    kernel write the rows from :attr:`size` on (the kernel returns the new size);
    :meth:`add` appends rows given as arrays, or as scalars for a constant column.
    """

    columns: tuple[np.ndarray, ...] = field(
        default_factory=lambda: tuple(np.empty(INITIAL_ROWS, t) for t in COLUMN_DTYPES))
    size: int = 0

    def room(self, rows: int) -> tuple[np.ndarray, ...]:
        """The columns, grown if need be to hold ``rows`` more rows after :attr:`size`."""
        if self.size + rows > len(self.columns[0]):
            capacity = max(self.size + rows, 2 * len(self.columns[0]))
            self.columns = tuple(np.concatenate([c[:self.size], np.empty(capacity - self.size, c.dtype)])
                                 for c in self.columns)
        return self.columns

    def adopt(self, grown: tuple[np.ndarray, ...] | None) -> None:
        """Take the columns a kernel grew while writing rows (None: it wrote into these)."""
        if grown is not None:
            self.columns = grown

    def add(self, who: np.ndarray, brand: int, weight: np.ndarray | float, entry: np.ndarray | int,
            source: Source, referrer: np.ndarray | int = NO_ONE) -> None:
        """Append ``len(who)`` rows; each other column an array or one value for all of them."""
        n = len(who)
        if n == 0:
            return
        rows = slice(self.size, self.size + n)
        for column, value in zip(self.room(n), (who, brand, weight, entry, int(source), referrer)):
            column[rows] = value  # cast as astype would
        self.size += n

    def collect(self) -> Exposures:
        """The rows added so far, in order (views of the columns)."""
        n = self.size
        return Exposures(*[c[:n] for c in self.columns])


@njit
def content_factor(taste: float | np.ndarray, quality: float) -> float | np.ndarray:
    """Weight multiplier of content of 4i ``quality`` for consumers of ``taste``.

    Notes
    -----
    f = 1 − τ + 2τq: neutral (1) at q = 0.5; a quality-minded consumer (τ → 1) sees a
    hard ad (q → 0) as nothing and great content (q → 1) as double weight. Compiled, for
    one segment's taste or a table of them: the same operations, in the same order, as numpy's.
    """
    return 1.0 - taste + 2.0 * taste * quality


@njit
def ragged_size(offsets: np.ndarray, rows: np.ndarray) -> int:
    """Total length of ``rows`` of a ragged array (CSR ``offsets``): e.g. the ties of some
    nodes, so that a draw per tie can be made in one call before a kernel uses them."""
    total = 0
    for r in rows:
        total += offsets[r + 1] - offsets[r]
    return total


def expand_rows(graph: SocialGraph, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR rows of ``nodes``: (row owner position, neighbour, layer)."""
    return _expand_rows(graph.indptr, graph.indices, graph.layer, nodes)


@njit
def _expand_rows(indptr: np.ndarray, indices: np.ndarray, layer: np.ndarray,
                 nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every tie of ``nodes``, row after row: position of its node in ``nodes``, contact, layer."""
    total = ragged_size(indptr, nodes)
    owner, nbr, lay = np.empty(total, np.int64), np.empty(total, indices.dtype), np.empty(total, layer.dtype)
    k = 0
    for i, node in enumerate(nodes):
        for e in range(indptr[node], indptr[node + 1]):
            owner[k], nbr[k], lay[k] = i, indices[e], layer[e]
            k += 1
    return owner, nbr, lay


@dataclass
class SharerPool:
    """Satisfied recent buyers of one brand whose share window is open."""

    nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    unhappy: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    def warn(self, nodes: np.ndarray) -> None:
        """Queue unsatisfied buyers who will warn their contacts tomorrow."""
        if len(nodes):  # most days bring a brand no unhappy buyer: skip the copy
            self.unhappy = np.concatenate([self.unhappy, nodes.astype(np.int32, copy=False)])

    def drain_unhappy(self) -> np.ndarray:
        nodes = self.unhappy
        if len(nodes):
            self.unhappy = np.zeros(0, np.int32)
        return nodes

    def add(self, nodes: np.ndarray, until: int) -> None:
        if len(nodes):
            self.nodes, self.until = _joined(self.nodes, self.until, nodes, until)

    def open_on(self, day: int) -> np.ndarray:
        """Drop the entries whose window closed before ``day``; the rest, in pool order."""
        self.nodes, self.until = still_open(self.nodes, self.until, day)
        return self.nodes


@njit
def _joined(nodes: np.ndarray, until: np.ndarray, new: np.ndarray, last_day: int) -> tuple[np.ndarray, np.ndarray]:
    """The pool entries with the ``new`` sharers appended, each open until ``last_day`` (int32 both)."""
    n = len(nodes)
    joined, ends = np.empty(n + len(new), np.int32), np.empty(n + len(new), np.int32)
    joined[:n], ends[:n] = nodes, until
    for k in range(len(new)):
        joined[n + k], ends[n + k] = new[k], last_day
    return joined, ends


@njit
def still_open(nodes: np.ndarray, until: np.ndarray, day: int) -> tuple[np.ndarray, np.ndarray]:
    """The pool entries (node, last day) whose share window is still open on ``day``."""
    keep = until >= day
    return nodes[keep], until[keep]


def word_of_mouth(graph: SocialGraph, pop: Population, sharers: np.ndarray, brand: int,
                  behaviour: Behaviour, rng: np.random.Generator, sign: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Push shares from ``sharers`` along their ties (:func:`tell_contacts`, drawing from ``rng``).

    Returns
    -------
    receivers, weights, sharer_of_each : ndarray
        A contact on layer ℓ is reached with probability ``tie_reach[ℓ]`` and receives
        weight ``sign · wom_strength · wom_weight(segment)``.
    """
    return tell_contacts(draws.stream_handle(rng), ties_of(graph, pop, behaviour), sharers,
                         sign * behaviour.wom_strength)


def tie_reach(behaviour: Behaviour) -> np.ndarray:
    """Probability that word of mouth crosses a tie, by Dunbar layer (float64 array)."""
    return np.asarray(behaviour.tie_reach, np.float64)


class Ties(NamedTuple):
    """The social graph as word of mouth travels on it (the word-of-mouth kernels' input)."""

    indptr: np.ndarray      # (n + 1,) CSR rows
    indices: np.ndarray     # contacts
    layer: np.ndarray       # each tie's Dunbar layer
    reach: np.ndarray       # (layers,) probability a tie of each layer carries a message (:func:`tie_reach`)
    segment: np.ndarray     # (n,) consumer → segment
    wom_weight: np.ndarray  # (S,) weight of a message to the receiver's segment


def ties_of(graph: SocialGraph, pop: Population, behaviour: Behaviour) -> Ties:
    """The :class:`Ties` of ``graph`` and ``pop`` under ``behaviour`` (views, no copies)."""
    return Ties(graph.indptr, graph.indices, graph.layer, tie_reach(behaviour), pop.segment, pop.segments.wom_weight)


@njit
def tell_contacts(h: np.ndarray, ties: Ties, sharers: np.ndarray,
                  strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sharer's ties (:class:`Ties`), row after row, carry the word when their draw
    (one per tie, from the stream of handle ``h``) is below their layer's ``reach``.
    Returns the contacts reached, the weight each takes (``strength`` · wom_weight(her
    segment)) and who told her.
    """
    n = ragged_size(ties.indptr, sharers)  # at most one contact reached per tie
    receivers, weights, origin = np.empty(n, ties.indices.dtype), np.empty(n), np.empty(n, sharers.dtype)
    k = 0
    for s in sharers:
        for e in range(ties.indptr[s], ties.indptr[s + 1]):
            # Every tie is written and kept only if its draw carries the word: with a third
            # or more of ties carrying it, a branch per tie would be mispredicted half the time.
            contact = ties.indices[e]
            receivers[k], weights[k], origin[k] = contact, strength * ties.wom_weight[ties.segment[contact]], s
            k += draws.random(h) < ties.reach[ties.layer[e]]
    return receivers[:k], weights[:k], origin[:k]
