"""The consumers: a vectorised population, one row an agent (docs/MODEL.md §1, §4).

Every consumer is an individual agent with her own state and her own random draws, but
the state lives in numpy arrays so a day is stepped in bulk. Attitude decays lazily:
each (consumer, brand) cell stores the day of its last update and is decayed on read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config.schema import World
from .jit import njit

__all__ = ["Stage", "SegmentTable", "Population", "build_population", "population_bytes", "channel_bits", "NO_ONE",
           "NEVER", "decayed", "decayed_rows"]

NO_ONE = -1  # empty referrer / parent / entry channel
NEVER = -1_000_000  # day of an event that has not happened (far enough back to be outside any window)


class Stage:
    """AIPL funnel stages (Alibaba): the highest stage a consumer has reached per brand."""

    NONE, AWARE, INTERESTED, PURCHASED, LOYAL = 0, 1, 2, 3, 4
    NAMES = ("aware", "interested", "purchased", "loyal")


@dataclass(frozen=True)
class SegmentTable:
    """Segment parameters as arrays indexed by segment code (one entry per segment)."""

    keys: tuple[str, ...]
    share: np.ndarray
    price_sensitivity: np.ndarray
    ad_trust: np.ndarray
    kol_affinity: np.ndarray
    wom_weight: np.ndarray
    content_taste: np.ndarray
    tmall_habit: np.ndarray
    compare_prob: np.ndarray
    need_rate: np.ndarray
    stockpile: np.ndarray
    advocacy: np.ndarray

    @classmethod
    def from_world(cls, world: World) -> "SegmentTable":
        keys = tuple(world.segments)
        rows = [world.segments[k].resolved(k) for k in keys]
        columns = {name: np.array([r[name] for r in rows], dtype=np.float64)
                   for name in cls.__dataclass_fields__ if name != "keys"}
        return cls(keys=keys, **columns)


@dataclass
class Population:
    """Array state of all consumers for ``n_brands`` brands.

    Attributes (n = consumers, B = brands)
    ----------
    segment : (n,) uint8 segment code
    attitude : (n, B) float32 ad-stock in [−1, 1] (below 0: a bad opinion from warnings), as of ``attitude_day``
    attitude_day : (n, B) int16 day of the last attitude update (lazy decay; a run has at most
        3,650 days, so int16 is exact)
    stage : (n, B) uint8 highest AIPL stage reached
    entry : (n, B) int8 channel the latest effective exposure points to (-1: none)
    source : (n, B) int8 source of the latest effective exposure (signals.Source)
    referrer : (n, B) int32 who or what sent it: sharer node, leader or KOL id (-1)
    follower : (n, B) bool in the brand's private domain (私域)
    purchases : (n, B) uint16 orders placed
    bought_on : (n, B) uint8, uint16 or uint32, the narrowest with a bit per channel: bit c
        set when she ever bought on channel c
    last_channel : (n, B) int8 channel of the latest purchase (-1)
    parent : (n, B) int32 who referred her first referred purchase of each brand (its referral tree)
    stock_until : (n,) int32 day her category stock runs out
    awaited : (n,) int8 the brand whose next deal her need waits for (-1: none)
    await_end : (n,) int32 the day that wait ends (her ``stock_until`` when it began)
    ref_price : (n, B) float32 her reference price of each brand (¥): what she expects to
        pay, smoothed over the prices she has seen (Kalyanaram & Winer 1995)
    paid : (n, B) float32 unit price she paid for the brand last, net of coupons (¥; 0: never bought)
    paid_day : (n, B) int32 day of that purchase (:data:`NEVER` before the first)
    """

    n: int
    n_brands: int
    segments: SegmentTable
    segment: np.ndarray
    decay: float
    n_channels: int = 32
    attitude: np.ndarray = field(init=False)
    attitude_day: np.ndarray = field(init=False)
    stage: np.ndarray = field(init=False)
    entry: np.ndarray = field(init=False)
    source: np.ndarray = field(init=False)
    referrer: np.ndarray = field(init=False)
    follower: np.ndarray = field(init=False)
    purchases: np.ndarray = field(init=False)
    bought_on: np.ndarray = field(init=False)
    last_channel: np.ndarray = field(init=False)
    parent: np.ndarray = field(init=False)
    stock_until: np.ndarray = field(init=False)
    awaited: np.ndarray = field(init=False)
    await_end: np.ndarray = field(init=False)
    ref_price: np.ndarray = field(init=False)
    paid: np.ndarray = field(init=False)
    paid_day: np.ndarray = field(init=False)
    _factors: tuple[float, np.ndarray] = field(init=False, repr=False)  # decay_factors' (decay, table)

    def __post_init__(self) -> None:
        shape = (self.n, self.n_brands)
        self.attitude = np.zeros(shape, np.float32)
        self.attitude_day = np.zeros(shape, np.int16)
        self.stage = np.zeros(shape, np.uint8)
        self.entry = np.full(shape, NO_ONE, np.int8)
        self.source = np.full(shape, NO_ONE, np.int8)
        self.referrer = np.full(shape, NO_ONE, np.int32)
        self.follower = np.zeros(shape, bool)
        self.purchases = np.zeros(shape, np.uint16)
        self.bought_on = np.zeros(shape, channel_bits(self.n_channels))
        self.last_channel = np.full(shape, NO_ONE, np.int8)
        self.parent = np.full(shape, NO_ONE, np.int32)
        self.stock_until = np.zeros(self.n, np.int32)
        self.awaited = np.full(self.n, NO_ONE, np.int8)
        self.await_end = np.zeros(self.n, np.int32)
        self.ref_price = np.zeros(shape, np.float32)
        self.paid = np.zeros(shape, np.float32)
        self.paid_day = np.full(shape, NEVER, np.int32)
        self._factors = (self.decay, np.ones(1, np.float32))

    def decay_factors(self, day: int) -> np.ndarray:
        """float32 (1 − λ)^e for e = 0..day at least: what an attitude keeps after e days.

        a(t) = a(t0) · (1 − λ)^(t − t0): the ad-stock decays geometrically between
        updates, so decay costs nothing on days a consumer sees nothing (kernels read a
        stored attitude through this table, :func:`decayed_rows`).
        Computed in float64 and rounded to float32, as attitudes have always been decayed;
        kept for the run (extended as days pass), so a read costs a lookup, not a power.
        """
        decay, table = self._factors
        if day >= len(table) or decay != self.decay:
            table = np.power(1.0 - self.decay, np.arange(2 * day + 1), dtype=np.float64).astype(np.float32)
            self._factors = (self.decay, table)
        return table

    def funnel_counts(self) -> np.ndarray:
        """(B, 4) AIPL stocks: consumers at stage ≥ A, I, P, L for each brand."""
        return self.daily_counts()[:, :_N_STAGES - 1]

    def daily_counts(self) -> np.ndarray:
        """(B, 5) the AIPL stocks (:meth:`funnel_counts`) and the followers (private domain) of each brand."""
        return _stage_stocks(self.stage, self.follower)

    def members_of(self, segment_codes: np.ndarray) -> np.ndarray:
        """Indices of consumers in the given segment codes."""
        chosen = np.zeros(len(self.segments.keys), bool)
        chosen[segment_codes] = True
        return np.flatnonzero(chosen[self.segment])


@njit
def decayed(attitude: np.float32, since: int, day: int, factors: np.ndarray) -> np.float32:
    """An attitude stored on day ``since``, read on ``day`` (``factors``: :meth:`Population.decay_factors`)."""
    return attitude * factors[day - since]


@njit
def decayed_rows(attitude: np.ndarray, attitude_day: np.ndarray, who: np.ndarray, day: int,
                  factors: np.ndarray) -> np.ndarray:
    """(len(who), B) decayed attitudes of consumers ``who`` on ``day``."""
    out = np.empty((len(who), attitude.shape[1]), np.float32)
    for k in range(len(who)):
        for b in range(attitude.shape[1]):
            out[k, b] = decayed(attitude[who[k], b], attitude_day[who[k], b], day, factors)
    return out


_N_STAGES = Stage.LOYAL + 1  # a plain int: kernels read it as a constant


_HIGH_BITS, _LOW_BITS = np.uint64(0x8080808080808080), np.uint64(0x0101010101010101)


@njit
def _stage_stocks(stage: np.ndarray, follower: np.ndarray) -> np.ndarray:
    """(B, 5) int64 counts of consumers at stage ≥ AWARE, INTERESTED, PURCHASED, LOYAL and
    of followers, per brand.

    Counted eight cells at a time: the (N, B) bytes are read as 64-bit words, in which a
    byte x (a stage code, < 128) with its high bit set stays ≥ 0x80 after subtracting
    t iff x ≥ t; the high bits, moved to the low ones, add up in byte lanes (flushed every
    255 words). Byte k of a word is brand k mod B when B divides 8; other cells (the
    tail, or all of them for other B) are counted one by one.
    """
    n, n_brands = stage.shape
    flat, follows = stage.reshape(-1), follower.reshape(-1).view(np.uint8)
    stocks = np.zeros((n_brands, _N_STAGES), np.int64)
    n_words = (n * n_brands) // 8 if 8 % n_brands == 0 else 0
    words, follow_words = flat[:n_words * 8].view(np.uint64), follows[:n_words * 8].view(np.uint64)
    start = 0
    while start < n_words:
        stop = min(start + 255, n_words)
        aware = interested = purchased = loyal = follows_ = np.uint64(0)  # byte lanes, in registers
        for w in range(start, stop):
            x = words[w] | _HIGH_BITS
            aware += ((x - _LOW_BITS) & _HIGH_BITS) >> np.uint64(7)
            interested += ((x - np.uint64(2) * _LOW_BITS) & _HIGH_BITS) >> np.uint64(7)
            purchased += ((x - np.uint64(3) * _LOW_BITS) & _HIGH_BITS) >> np.uint64(7)
            loyal += ((x - np.uint64(4) * _LOW_BITS) & _HIGH_BITS) >> np.uint64(7)
            follows_ += follow_words[w]
        for k in range(8):
            shift, b = np.uint64(8 * k), k % n_brands
            for col, lane in enumerate((aware, interested, purchased, loyal, follows_)):
                stocks[b, col] += (lane >> shift) & np.uint64(0xFF)
        start = stop
    for j in range(n_words * 8, n * n_brands):
        b = j % n_brands
        for t in range(1, _N_STAGES):
            stocks[b, t - 1] += flat[j] >= t
        stocks[b, _N_STAGES - 1] += follows[j]
    return stocks


def channel_bits(n_channels: int) -> type:
    """The narrowest unsigned dtype with a bit per channel (at most 32 channels)."""
    return next(t for t in (np.uint8, np.uint16, np.uint32) if n_channels <= 8 * np.dtype(t).itemsize)


#: Bytes of consumer state per agent and brand (attitude, its day, stage, entry, source,
#: referrer, tree parent, follower, purchases, last channel, reference price, price paid and
#: its day; ``bought_on`` apart) and per agent (segment, stock, awaited deal and its end).
BYTES_PER_AGENT_BRAND = 4 + 2 + 1 + 1 + 1 + 4 + 4 + 1 + 2 + 1 + 4 + 4 + 4
BYTES_PER_AGENT_ALONE = 1 + 4 + 1 + 4


def population_bytes(n: int, n_brands: int, n_channels: int) -> int:
    """Bytes of a :class:`Population`'s arrays."""
    per_brand = BYTES_PER_AGENT_BRAND + np.dtype(channel_bits(n_channels)).itemsize
    return n * (n_brands * per_brand + BYTES_PER_AGENT_ALONE)


def build_population(world: World, n_brands: int, rng: np.random.Generator, n_channels: int = 32) -> Population:
    """Draw each consumer's segment.

    Notes
    -----
    Everyone starts without stock of the modelled brands (``stock_until = -1``): needs
    arrive at the segment's daily rate from day 0, the same rate as in steady state for
    a non-buyer, so the market opens without a replenishment wave. Every reference price
    starts at ``world.reference_price_yuan``.

    Parameters
    ----------
    world : World
        Population size, segment mix and behaviour parameters.
    n_brands : int
        Number of brands in the market.
    rng : numpy.random.Generator
        The population stream.
    n_channels : int, default 32
        Number of channels (sets the width of ``bought_on``).
    """
    table = SegmentTable.from_world(world)
    segment = rng.choice(len(table.keys), size=world.population, p=table.share / table.share.sum())
    pop = Population(
        n=world.population, n_brands=n_brands, segments=table,
        segment=segment.astype(np.uint8), decay=world.behaviour.attitude_decay, n_channels=n_channels,
    )
    pop.stock_until[:] = -1
    pop.ref_price[:] = world.reference_price_yuan
    return pop
