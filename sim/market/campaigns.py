"""What each brand does to consumers today: paid media, pushes, KOL posts, group deals,
and the word of mouth of its buyers (docs/MODEL.md §3.2). Each function adds exposures to the
day's :class:`~sim.market.signals.ExposureBatch` and books its cost in the ledger.

Each producer is a compiled kernel that draws its random numbers through the signals
stream's handle (:mod:`sim.draws`), in the order and number of the rules, and writes the
exposure rows straight into the batch's columns (at most one row per draw, so the
number of draws sizes the room).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import draws
from ..actors import CREDIBILITY_RECOVERY, CREDIBILITY_WEAR, Brand
from ..config.schema import Behaviour
from ..graph.csr import SocialGraph
from ..jit import njit
from ..ledger import Ledger
from ..population import NO_ONE, Population, Stage
from .channels import ChannelTable
from .referral import expected_commission_rate, share_depth_counts
from .signals import (ExposureBatch, SharerPool, Source, content_factor, ragged_size, still_open, tell_contacts,
                      tie_reach)

__all__ = ["CampaignContext", "Sharing", "Relaying", "run_campaigns", "relay_media", "opinion_leaders", "RELAYED_SOURCES", "brand_signals", "push_days", "share_uplift", "sharing"]


@dataclass
class CampaignContext:
    """What the producers read on one day (the model keeps one and moves its day)."""

    day: int
    day_of_month: int
    pop: Population
    graph: SocialGraph
    channels: ChannelTable
    behaviour: Behaviour
    ledger: Ledger
    scale: float
    audience: Callable[[tuple[str, ...]], np.ndarray]  # target segments → consumers (cached)
    rng: np.random.Generator  # the signals stream
    koc_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # consumers who are KOCs
    tie_reach: np.ndarray = field(init=False)  # word of mouth's reach by Dunbar layer (:func:`tie_reach`)
    opinion_leader: np.ndarray = field(init=False)  # (n,) bool: who relays media: hubs and KOCs

    def __post_init__(self) -> None:
        self.tie_reach = tie_reach(self.behaviour)
        two_step = self.behaviour.two_step
        self.opinion_leader = np.zeros(0, bool)
        if two_step.enabled:
            self.opinion_leader = opinion_leaders(self.graph, two_step.leader_share)
            self.opinion_leader[self.koc_nodes] = True

    def enlist_koc(self, node: int) -> None:
        """A KOC signed after the first day (a programme the schedule starts mid-year), at
        consumer ``node``, leads opinion from then on as those signed at the start do."""
        self.koc_nodes = np.append(self.koc_nodes, node)
        if self.behaviour.two_step.enabled:
            self.opinion_leader[node] = True


@functools.cache
def push_days(per_month: int) -> frozenset[int]:
    """Days of the month (1–30) on which ``per_month`` pushes go out, evenly spaced."""
    return frozenset(1 + (i * 30) // per_month for i in range(per_month)) if per_month > 0 else frozenset()


@functools.cache
def _push_table(per_month: tuple[int, ...]) -> np.ndarray:
    """(32, len(per_month)) bool, read-only: whether each cadence sends on each day of the month (row 0 unused)."""
    table = np.zeros((32, len(per_month)), bool)
    for k, n in enumerate(per_month):
        table[sorted(push_days(n)), k] = True
    table.setflags(write=False)
    return table


@njit
def _put(out: tuple, k: int, who: int, brand: int, weight: float, entry: int, source: int, referrer: int) -> int:
    """Write exposure row ``k`` into the batch columns ``out`` (cast to their dtypes); the next row."""
    out[0][k], out[1][k], out[2][k], out[3][k], out[4][k], out[5][k] = who, brand, weight, entry, source, referrer
    return k + 1


def brand_signals(brand: Brand, ctx: CampaignContext, batch: ExposureBatch) -> None:
    """The brand's own signals today, in this order (the order of the signals stream's draws):

    1. **Paid media**: budget ÷ CPM → a Poisson number of impressions, sampled with
       replacement over the target segments; weight paid_strength · ad_trust(segment) ·
       content factor(segment), linking to the media channel if it sells.
    2. **Owned media**: on its push days, each follower opens an official-account push
       (capped by the channel's limit) or a 1:1 WeCom touch with the open rate; weight
       owned_strength · content factor, linking to the WeChat shop.
    3. **Content production**: a Poisson number of posts a day, booked at cost where the
       brand sells (its WeChat shop if it has one); its 4i quality shapes every weight.
    4. **KOL/KOC posts**: every KOL's credibility recovers toward its base; each posts
       with her daily rate; each of a poster's followers sees the post with her reach
       rate (weight kol_strength · credibility · kol_affinity · content factor, linking to
       her platform and naming her); the post costs her fee and wears her credibility.
    5. **Group deals**: each active group leader posts the WeChat deal with the
       broadcast rate; each member of her group reads it with the read rate (weight
       group_strength, linking to the WeChat shop and naming her).

    One compiled call (:func:`_brand_signals`) makes them all: a producer written as
    Python around a kernel cost more than its kernel.
    """
    terms = brand.derived("signal terms", lambda: _signal_terms(brand, ctx))
    leaders = brand.leader_roster
    active = leaders.active_index() if terms.groups_on else _NO_LEADERS
    segments = ctx.pop.segments
    grown, batch.size = _brand_signals(
        draws.stream_handle(ctx.rng), batch.columns, batch.size, ctx.ledger.books[ctx.day], brand.code, terms.cols,
        ctx.pop.segment, ctx.pop.follower, segments.ad_trust, segments.kol_affinity, segments.content_taste,
        terms.quality, terms.strengths, terms.paid,
        (terms.social, terms.owned_on, terms.open_rate, terms.pushing[ctx.day_of_month]), terms.content,
        brand.kol_roster.arrays(), (active, *leaders.members(), leaders.uid, terms.broadcast_rate, terms.read_rate))
    batch.adopt(grown)


_NO_LEADERS = np.zeros(0, np.int64)


@dataclass(frozen=True)
class _SignalTerms:
    """What :func:`brand_signals` reads from a brand's spec and prices (rebuilt when they change)."""

    paid: tuple            # per medium: audience offsets, audiences (ragged, only partial ones), audience
                           # size, whole population?, mean impressions, channel, entry, budget
    quality: float         # 4i content quality score
    strengths: tuple[float, float, float, float]  # paid, owned, KOL, group exposure strengths
    social: int            # WeChat channel code, -1: none
    owned_on: bool         # an official account and a WeChat shop: pushes and touches go out
    open_rate: np.ndarray  # (push, WeCom) open rates
    pushing: np.ndarray    # (32, 2) bool: whether a push (a WeCom touch) goes out on each day of the month
    content: tuple         # posts per day, cost per post, channel booked
    groups_on: bool        # listed on WeChat, so leaders can sell the deal
    broadcast_rate: float
    read_rate: float
    cols: np.ndarray       # ledger columns: ad_spend, content_cost, kol_fees


def _signal_terms(brand: Brand, ctx: CampaignContext) -> _SignalTerms:
    strategy, channels, listed = brand.spec.strategy, ctx.channels, brand.prices.listed
    media = strategy.paid_media
    audiences = [ctx.audience(tuple(m.target)) for m in media]
    # A medium aimed at everyone draws the consumer directly: no list to look her up in.
    everyone = np.array([len(a) == ctx.pop.n for a in audiences], bool)
    partial = [np.zeros(0, np.int32) if whole else a.astype(np.int32) for a, whole in zip(audiences, everyone)]
    codes = [channels.code(m.channel) for m in media]
    paid = (np.concatenate(([0], np.cumsum([len(a) for a in partial]))).astype(np.int64),
            np.concatenate(partial) if partial else np.zeros(0, np.int32),
            np.array([len(a) for a in audiences], np.int64), everyone,
            np.array([m.budget_per_day / m.cpm_yuan * 1000.0 / ctx.scale for m in media]),
            np.array(codes, np.int64), np.array([c if channels.transacts[c] else NO_ONE for c in codes], np.int64),
            np.array([m.budget_per_day for m in media]))
    social = channels.social
    on_social = social is not None and bool(listed[social])
    account = brand.model.config.channels[channels.keys[social]].official_account if social is not None else None
    pd, groups = strategy.private_domain, strategy.group_leaders
    owned = account is not None and on_social
    content_channel = social if on_social else int(np.flatnonzero(listed)[0])
    per_month = (min(pd.pushes_per_month, account.pushes_per_month), pd.wecom_touches_per_month) if owned else (0, 0)
    beh = ctx.behaviour
    return _SignalTerms(
        paid=paid, quality=strategy.content.quality.score,
        strengths=(beh.paid_strength, beh.owned_strength, beh.kol_strength, beh.group_strength),
        social=social if social is not None else NO_ONE, owned_on=owned,
        open_rate=np.array([account.open_rate, account.wecom_open_rate]) if owned else np.zeros(2),
        pushing=_push_table(per_month),
        content=(strategy.content.posts_per_week / 7.0, strategy.content.cost_per_post_yuan, content_channel),
        groups_on=on_social, broadcast_rate=groups.broadcasts_per_week / 7.0, read_rate=groups.read_rate,
        cols=np.array([ctx.ledger.column(f) for f in ("ad_spend", "content_cost", "kol_fees")], np.int64),
    )


@njit
def _brand_signals(h, out, at, books, brand, cols, segment, follower, ad_trust, kol_affinity, taste, quality,
                   strengths, paid, owned, content, kols, groups):
    """:func:`brand_signals` compiled: draws from the stream of handle ``h`` and writes the
    exposure rows into the columns ``out`` from row ``at`` (grown as needed) and the costs
    into the day's ``books``. Returns the grown columns (None if they did not grow) and the
    new row count."""
    capacity = len(out[0])
    paid_strength, owned_strength, kol_strength, group_strength = strengths
    ad_col, content_col, fee_col = cols[0], cols[1], cols[2]
    offsets, audiences, audience_size, everyone, mean_impressions, channel, entry, budget = paid
    for m in range(len(budget)):
        books[brand, channel[m], ad_col] += budget[m]
        n_imp = draws.poisson(h, mean_impressions[m])
        if n_imp == 0 or audience_size[m] == 0:
            continue
        out = _room(out, at, n_imp)
        audience = audiences[offsets[m]:offsets[m + 1]]
        at = _paid_rows(h, out, at, n_imp, audience_size[m], everyone[m], audience, brand, entry[m], segment,
                        paid_strength, ad_trust, taste, quality)
    social, owned_on, open_rate, pushing = owned
    for k in range(2):  # official-account pushes, then WeCom touches
        if owned_on and pushing[k]:
            out = _room(out, at, len(follower))
            at = _owned_rows(h, out, at, follower, brand, open_rate[k], segment, owned_strength, taste, quality, social,
                             _PUSH if k == 0 else _WECOM)
    posts_per_day, cost_per_post, content_channel = content
    posts = draws.poisson(h, posts_per_day)
    if posts:
        books[brand, content_channel, content_col] += posts * cost_per_post
    out, at = _kol_posts(h, out, at, books, brand, fee_col, segment, kol_affinity, taste, quality, kol_strength, kols)
    active, member_offsets, members, leader_uid, broadcast_rate, read_rate = groups
    if len(active):
        speaking = np.empty(len(active), np.int64)
        n_speaking = 0
        for g in active:
            if draws.random(h) < broadcast_rate:
                speaking[n_speaking] = g
                n_speaking += 1
        speaking = speaking[:n_speaking]
        out = _room(out, at, ragged_size(member_offsets, speaking))
        at = _group_rows(h, out, at, speaking, member_offsets, members, leader_uid, read_rate, brand, group_strength,
                         social)
    return _if_grown(out, capacity), at


# The row writers below are kernels of their own on purpose: a loop writing rows into
# ``out`` in the kernel that reassigns ``out`` (from _room) pays numba's reference
# counting of the six columns on every pass — ~60 ns a pass, 50× the loop's own work.


@njit
def _paid_rows(h, out, at, n_imp, audience_size, everyone, audience, brand, entry, segment, strength, ad_trust, taste,
               quality):
    """``n_imp`` impressions, each on a consumer drawn from the audience (everyone: her number)."""
    for _ in range(n_imp):
        pick = draws.integer(h, audience_size)
        who = pick if everyone else audience[pick]
        s = segment[who]
        at = _put(out, at, who, brand, strength * ad_trust[s] * content_factor(taste[s], quality), entry, _PAID, NO_ONE)
    return at


@njit
def _owned_rows(h, out, at, follower, brand, open_rate, segment, strength, taste, quality, social, source):
    """Each follower of the brand opens the push (or WeCom touch) with ``open_rate``."""
    for i in range(len(follower)):
        if follower[i, brand] and draws.random(h) < open_rate:
            at = _put(out, at, i, brand, strength * content_factor(taste[segment[i]], quality), social, source, NO_ONE)
    return at


@njit
def _group_rows(h, out, at, speaking, member_offsets, members, leader_uid, read_rate, brand, strength, social):
    """Each member of a speaking leader's group reads her deal with ``read_rate``."""
    for g in speaking:
        for e in range(member_offsets[g], member_offsets[g + 1]):
            if draws.random(h) < read_rate:
                at = _put(out, at, members[e], brand, strength, social, _GROUP, leader_uid[g])
    return at


@njit
def _kol_posts(h, out, at, books, brand, fee_col, segment, affinity, taste, quality, strength, kols):
    """Step 4 of :func:`brand_signals` (the roster's arrays in ``kols``)."""
    offsets, followers, reach, credibility, entry, uid, base, rate, fee, platform = kols
    posting = _recover_and_post(credibility, base, rate, h)
    if len(posting) == 0:
        return out, at
    out = _room(out, at, ragged_size(offsets, posting))
    at = _kol_rows(h, out, at, posting, offsets, followers, reach, credibility, entry, uid, brand, segment, affinity,
                   taste, quality, strength)
    for k in posting:
        books[brand, platform[k], fee_col] += fee[k]
    for k in posting:  # sponsored posts wear credibility down (audiences discount paid praise)
        credibility[k] *= 1.0 - CREDIBILITY_WEAR
    return out, at


@njit
def _kol_rows(h, out, at, posting, offsets, followers, reach, credibility, entry, uid, brand, segment, affinity, taste,
              quality, strength):
    """Each follower of a posting KOL sees the post with her reach rate (see _paid_rows on why a kernel)."""
    for k in posting:
        for e in range(offsets[k], offsets[k + 1]):
            if draws.random(h) < reach[k]:
                s = segment[followers[e]]
                weight = strength * credibility[k] * affinity[s] * content_factor(taste[s], quality)
                at = _put(out, at, followers[e], brand, weight, entry[k], _KOL, uid[k])
    return at


@njit
def _recover_and_post(credibility: np.ndarray, base: np.ndarray, rate: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Every KOL's credibility recovers toward its base; those whose draw is below their
    daily posting rate post today (their indices)."""
    posting = np.empty(len(rate), np.int64)
    k = 0
    for i in range(len(rate)):
        credibility[i] += (base[i] - credibility[i]) * CREDIBILITY_RECOVERY
        if draws.random(h) < rate[i]:
            posting[k] = i
            k += 1
    return posting[:k]


@njit
def _room(out: tuple, at: int, rows: int) -> tuple:
    """The columns ``out``, grown (doubling) if ``rows`` more rows after row ``at`` do not fit."""
    if at + rows <= len(out[0]):
        return out
    size = max(at + rows, 2 * len(out[0]))
    return (_grown(out[0], at, size), _grown(out[1], at, size), _grown(out[2], at, size),
            _grown(out[3], at, size), _grown(out[4], at, size), _grown(out[5], at, size))


@njit
def _if_grown(out: tuple, capacity: int):
    """``out`` if :func:`_room` grew it past ``capacity``, else None (returning arrays to
    Python costs ~1 µs each; None costs nothing)."""
    return out if len(out[0]) != capacity else None


@njit
def _grown(column: np.ndarray, used: int, size: int) -> np.ndarray:
    grown = np.empty(size, column.dtype)
    grown[:used] = column[:used]
    return grown


_PAID, _PUSH, _WECOM, _KOL, _GROUP, _WOM = (int(s) for s in (Source.PAID, Source.PUSH, Source.WECOM, Source.KOL,
                                                            Source.GROUP, Source.WOM))


def share_uplift(brand: Brand, behaviour: Behaviour) -> float:
    """Multiplier of a buyer's advocacy: referral commissions (分佣) and 4i content both make people share.

    Notes
    -----
    (1 + u_ref · ρ) · (1 + u_content · (q − ½)), with ρ = ℓ1 + ℓ2·m̂ + ℓ3·m̂² the commission
    rate she expects on an order her share brings, counting her downline's orders
    (:func:`~sim.market.referral.expected_commission_rate`); P(share today) =
    advocacy(segment) × this, capped at 1.
    """
    strategy = brand.spec.strategy
    rate = expected_commission_rate(strategy.referral, behaviour.downline_expectation)
    return (1 + behaviour.referral_uplift * rate) * (
        1 + behaviour.content_share_uplift * (strategy.content.quality.score - 0.5))


def sharing(brand: Brand, pool: SharerPool, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Satisfied recent buyers share with their contacts (earned media); unhappy ones warn them.

    The detractors made yesterday warn their contacts once (negative word of mouth,
    linking nowhere, each warning weighing ``negative_wom_ratio`` shares); then each open sharer shares today with probability
    advocacy(segment) · :func:`share_uplift`, becomes LOYAL and tells her contacts, in
    one compiled call (:func:`_word_of_mouth`). Today's sharers are counted by the depth
    of their share in the brand's referral tree (:attr:`Ledger.share_depths`).
    """
    graph, pop, beh = ctx.graph, ctx.pop, ctx.behaviour
    unhappy = pool.drain_unhappy()
    if len(unhappy) == 0 and len(pool.nodes) == 0:
        return
    grown, batch.size, sharers, pool.nodes, pool.until, depths = _word_of_mouth(
        draws.stream_handle(rng), batch.columns, batch.size, unhappy, pool.nodes, pool.until, ctx.day, graph.indptr,
        graph.indices,
        graph.layer, ctx.tie_reach, pop.segment, pop.segments.advocacy,
        brand.derived("share uplift", lambda: share_uplift(brand, beh)), (beh.wom_strength, beh.negative_wom_ratio),
        pop.segments.wom_weight, pop.stage, pop.last_channel, brand.code, pop.parent)
    batch.adopt(grown)
    if sharers:
        ctx.ledger.count_shares(ctx.day, brand.code, sharers)
        ctx.ledger.share_depths[ctx.day, brand.code] += depths


@njit
def _word_of_mouth(h, out, at, unhappy, pool_nodes, pool_until, day, indptr, indices, layer, reach, segment, advocacy,
                   uplift, strengths, wom_weight, stage, last_channel, brand, parent):
    """:func:`sharing` compiled: the warnings (:func:`_warn_contacts`, each weighing
    ``negativity`` shares), then today's sharers
    among the pool's open entries (:func:`_sharers_today`) and their shares
    (:func:`_share_links`). Returns the grown columns (None if they did not grow), the new
    row count, the number of sharers, the pool without its closed entries and the
    sharers by the depth of their share (:func:`~sim.market.referral.share_depth_counts`)."""
    strength, negativity = strengths
    open_nodes, open_until = still_open(pool_nodes, pool_until, day)
    capacity = len(out[0])
    if len(unhappy):
        out = _room(out, at, ragged_size(indptr, unhappy))
        at = _warn_contacts(h, unhappy, indptr, indices, layer, reach, segment, -strength * negativity, wom_weight,
                            brand, out, at)
    sharers = _sharers_today(h, open_nodes, segment, advocacy, uplift)
    if len(sharers):
        out = _room(out, at, ragged_size(indptr, sharers))
        at = _share_links(h, sharers, indptr, indices, layer, reach, segment, strength, wom_weight, stage,
                          last_channel, brand, out, at)
    return (_if_grown(out, capacity), at, len(sharers), open_nodes, open_until,
            share_depth_counts(parent, sharers, brand))


@njit
def _sharers_today(h: np.ndarray, open_nodes: np.ndarray, segment: np.ndarray, advocacy: np.ndarray,
                   uplift: float) -> np.ndarray:
    """Open sharers who share today (a draw each < advocacy(segment) · uplift, capped at 1),
    sorted and without repeats (as np.unique)."""
    chosen = np.empty(len(open_nodes), open_nodes.dtype)
    k = 0
    for i in range(len(open_nodes)):
        if draws.random(h) < min(max(advocacy[segment[open_nodes[i]]] * uplift, 0.0), 1.0):
            chosen[k] = open_nodes[i]
            k += 1
    return np.unique(chosen[:k])


@njit
def _share_links(h, sharers, indptr, indices, layer, reach, segment, strength, wom_weight, stage, last_channel,
                 brand, out, at):
    """Today's sharers become LOYAL and tell their contacts (:func:`tell_contacts`); the
    shares are written grouped by the shop they link to (the sharer's last channel for
    the brand): channels ascending, shares in their order within each."""
    for s in sharers:
        stage[s, brand] = _LOYAL
    receivers, weights, origin = tell_contacts(h, indptr, indices, layer, reach, sharers, segment, strength, wom_weight)
    links = np.empty(len(origin), last_channel.dtype)
    for i in range(len(origin)):
        links[i] = last_channel[origin[i], brand]
    for i in np.argsort(links, kind="mergesort"):  # stable
        at = _put(out, at, receivers[i], brand, weights[i], links[i], _WOM, origin[i])
    return at


_LOYAL = Stage.LOYAL  # a plain int for the kernels

#: A word-of-mouth producer: (brand, its sharer pool, context, batch, rng) → adds exposures.
Sharing = Callable[[Brand, SharerPool, CampaignContext, ExposureBatch, np.random.Generator], None]


@njit
def _warn_contacts(h, unhappy, indptr, indices, layer, reach, segment, strength, wom_weight, brand, out, at):
    """The warnings the unhappy tell their contacts (:func:`tell_contacts`, negative ``strength``), in order."""
    receivers, weights, origin = tell_contacts(h, indptr, indices, layer, reach, unhappy, segment, strength, wom_weight)
    for i in range(len(receivers)):
        at = _put(out, at, receivers[i], brand, weights[i], NO_ONE, _WOM, origin[i])
    return at


# ---------------------------------------------------------------- two-step flow

#: Media an opinion leader passes on: what the brand paid for (impressions, KOL posts).
RELAYED_SOURCES = (Source.PAID, Source.KOL)
_RELAY = int(Source.RELAY)

#: A relay producer: (brand, context, batch, first row of the brand's own signals today, rng) → adds exposures.
Relaying = Callable[[Brand, CampaignContext, ExposureBatch, int, np.random.Generator], None]


def opinion_leaders(graph: SocialGraph, share: float) -> np.ndarray:
    """(n,) bool: the ``share`` of consumers with the most ties (at least one; ties in degree
    broken by the lower consumer number)."""
    degree = np.diff(graph.indptr)
    leaders = np.zeros(len(degree), bool)
    leaders[np.argsort(-degree, kind="stable")[:max(1, int(np.ceil(share * len(degree))))]] = True
    return leaders


def relay_media(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, start: int,
                rng: np.random.Generator) -> None:
    """Opinion leaders pass on the brand's media they saw today (two-step flow, Katz & Lazarsfeld 1955).

    Each opinion leader with a paid impression or KOL post of the brand among rows
    ``start:`` of the batch (her first such row gives the link) relays it with
    probability relay_prob; a relaying leader's ties carry it as word of mouth does (one
    draw per tie below its layer's ``tie_reach``), each contact taking weight
    relay_strength · wom_weight(segment), source RELAY, naming the leader. Relayed
    messages are not relayed again. Off (``two_step.enabled`` false): nothing, no draw.
    """
    spec = ctx.behaviour.two_step
    if not spec.enabled:
        return
    graph, pop = ctx.graph, ctx.pop
    grown, end, relayed = _relay(draws.stream_handle(rng), batch.columns, start, batch.size, ctx.opinion_leader,
                                 spec.relay_prob, graph.indptr, graph.indices, graph.layer, ctx.tie_reach,
                                 pop.segment, (spec.relay_strength, brand.code), pop.segments.wom_weight)
    batch.adopt(grown)
    batch.size = end
    if relayed:
        ctx.ledger.count_relayed(ctx.day, brand.code, relayed)


@njit
def _relay(h, out, start, at, leader, prob, indptr, indices, layer, reach, segment, terms, wom_weight):
    """:func:`relay_media` compiled: the relaying leaders (:func:`_relayers`), then their
    rows (:func:`_relay_rows`). Returns the grown columns (None if not grown), the new row
    count and the rows relayed."""
    capacity = len(out[0])
    relayers, links = _relayers(h, out, start, at, leader, prob)
    if len(relayers) == 0:
        return None, at, 0
    out = _room(out, at, ragged_size(indptr, relayers))
    end = _relay_rows(h, out, at, relayers, links, indptr, indices, layer, reach, segment, terms, wom_weight)
    return _if_grown(out, capacity), end, end - at


@njit
def _relayers(h, out, start, at, leader, prob):
    """Leaders with a paid or KOL row in ``start:at`` (in order of their first such row,
    whose entry is the link they pass on), those whose draw is below ``prob``."""
    who, entry, source = out[0], out[3], out[4]
    first = np.empty(at - start, np.int64)
    n = 0
    for k in range(start, at):
        if (source[k] == _PAID or source[k] == _KOL) and leader[who[k]]:
            first[n] = k
            n += 1
    order = np.argsort(who[first[:n]], kind="mergesort")  # stable: a leader's first row leads her run
    keep = np.zeros(n, np.bool_)
    for j in range(n):
        keep[order[j]] = j == 0 or who[first[order[j]]] != who[first[order[j - 1]]]
    relayers, links = np.empty(n, np.int64), np.empty(n, np.int64)
    m = 0
    for j in range(n):
        if keep[j] and draws.random(h) < prob:
            relayers[m], links[m] = who[first[j]], entry[first[j]]
            m += 1
    return relayers[:m], links[:m]


@njit
def _relay_rows(h, out, at, relayers, links, indptr, indices, layer, reach, segment, terms, wom_weight):
    """Each relayer's ties carry her message (:func:`tell_contacts`), written in her order."""
    strength, brand = terms
    receivers, weights, origin = tell_contacts(h, indptr, indices, layer, reach, relayers, segment, strength, wom_weight)
    r = 0
    for i in range(len(receivers)):
        while relayers[r] != origin[i]:
            r += 1
        at = _put(out, at, receivers[i], brand, weights[i], links[r], _RELAY, origin[i])
    return at


def run_campaigns(brands: list[Brand], pools: list[SharerPool], ctx: CampaignContext, wom_rng: np.random.Generator,
                  batch: ExposureBatch, share: Sharing = sharing, relay: Relaying = relay_media) -> ExposureBatch:
    """All brands' signals for the day, in brand order (deterministic), written into
    ``batch`` from its first row on (the model reuses one batch: its columns stay allocated).

    ``share`` produces word of mouth and ``relay`` the opinion leaders' relays of the
    brand's media; the reference engine passes ones that step each consumer as an agent.
    """
    batch.size = 0
    for brand in brands:
        start = batch.size
        brand_signals(brand, ctx, batch)
        relay(brand, ctx, batch, start, wom_rng)
        share(brand, pools[brand.code], ctx, batch, wom_rng)
    return batch
