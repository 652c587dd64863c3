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
from typing import Callable, NamedTuple

import numpy as np

from .. import draws
from ..actors import CREDIBILITY_RECOVERY, CREDIBILITY_WEAR, Brand, KolArrays
from ..config.schema import Behaviour
from ..graph.csr import SocialGraph
from ..jit import njit, plain
from ..ledger import Ledger
from ..population import NO_ONE, Population, Stage
from .channels import ChannelTable
from .referral import expected_commission_rate, share_depth_counts
from .signals import (ExposureBatch, SharerPool, Source, Ties, content_factor, ragged_size, still_open, tell_contacts,
                      ties_of)
from .sorting import stable_order

__all__ = ["CampaignContext", "Viewers", "SharerState", "Sharing", "Relaying", "run_campaigns", "relay_media",
           "opinion_leaders", "RELAYED_SOURCES", "brand_signals", "push_days", "share_uplift", "sharing"]


class Viewers(NamedTuple):
    """Who a brand's own signals reach and what they weigh to her segment (the signal kernels' input)."""

    segment: np.ndarray       # (n,) consumer → segment
    follower: np.ndarray      # (n, B) bool: in the brand's private domain
    ad_trust: np.ndarray      # (S,) trust in paid media
    kol_affinity: np.ndarray  # (S,) affinity for KOL posts
    taste: np.ndarray         # (S,) taste for content (:func:`~sim.market.signals.content_factor`)


class SharerState(NamedTuple):
    """The population's (n, B) arrays word of mouth reads and writes, in place."""

    stage: np.ndarray         # funnel stage: today's sharers become LOYAL
    last_channel: np.ndarray  # channel of her last order: the shop her share links to
    parent: np.ndarray        # referral tree: the depth of her share


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
    opinion_leader: np.ndarray = field(init=False)  # (n,) bool: who relays media: hubs and KOCs
    viewers: Viewers = field(init=False)  # the population as the brands' signals read it
    ties: Ties = field(init=False)  # the graph as word of mouth reads it
    sharers: SharerState = field(init=False)  # the population as word of mouth updates it

    def __post_init__(self) -> None:
        pop, graph, segments = self.pop, self.graph, self.pop.segments
        self.viewers = Viewers(pop.segment, pop.follower, segments.ad_trust, segments.kol_affinity,
                               segments.content_taste)
        self.ties = ties_of(graph, pop, self.behaviour)
        self.sharers = SharerState(pop.stage, pop.last_channel, pop.parent)
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
    paid = brand.derived("paid media", lambda: _paid_media(brand, ctx))
    leaders = brand.leader_roster
    groups = _Groups(leaders.active_index() if terms.groups_on else _NO_LEADERS, *leaders.members(), leaders.uid)
    grown, batch.size = _brand_signals(draws.stream_handle(ctx.rng), batch.columns, batch.size,
                                       ctx.ledger.books[ctx.day], brand.code, ctx.day_of_month, plain(ctx.viewers),
                                       plain(terms), plain(paid), plain(brand.kol_roster.arrays()), plain(groups))
    batch.adopt(grown)


_NO_LEADERS = np.zeros(0, np.int64)


class _PaidMedia(NamedTuple):
    """A brand's paid media, one entry per medium (the audiences ragged, only the partial ones listed)."""

    offsets: np.ndarray           # (M + 1,) medium m's audience is audiences[offsets[m]:offsets[m + 1]]
    audiences: np.ndarray         # int32 consumers of the partial audiences
    audience_size: np.ndarray     # (M,) consumers in each audience
    everyone: np.ndarray          # (M,) bool: aimed at everyone (a draw is the consumer's number)
    mean_impressions: np.ndarray  # (M,) agents' impressions a day
    channel: np.ndarray           # (M,) channel the spend is booked on
    entry: np.ndarray             # (M,) channel an impression links to (−1: the medium does not sell)
    budget: np.ndarray            # (M,) yuan a day


class _SignalTerms(NamedTuple):
    """What :func:`brand_signals` reads from a brand's spec and prices but its paid media (rebuilt when they change)."""

    quality: float         # 4i content quality score
    paid_strength: float   # exposure strengths of a paid impression, …
    owned_strength: float  # … an owned push or touch, …
    kol_strength: float    # … a KOL post …
    group_strength: float  # … and a group deal
    social: int            # WeChat channel code, -1: none
    owned_on: bool         # an official account and a WeChat shop: pushes and touches go out
    open_rate: np.ndarray  # (push, WeCom) open rates
    pushing: np.ndarray    # (32, 2) bool: whether a push (a WeCom touch) goes out on each day of the month
    posts_per_day: float   # content production
    cost_per_post: float   # yuan
    content_channel: int   # channel the content's cost is booked on
    groups_on: bool        # listed on WeChat, so leaders can sell the deal
    broadcast_rate: float  # deal posts per leader a day
    read_rate: float       # share of a group who read a deal post
    cols: np.ndarray       # ledger columns: ad_spend, content_cost, kol_fees


class _Groups(NamedTuple):
    """A brand's group leaders as the signals kernel reads them (members ragged)."""

    active: np.ndarray          # leaders who sell the deal today: not quit (none if the brand is not on WeChat)
    member_offsets: np.ndarray  # (L + 1,) leader g's members are members[member_offsets[g]:member_offsets[g + 1]]
    members: np.ndarray         # consumers in each group
    uid: np.ndarray             # (L,) Partner.uid (the referrer of her deal's exposures)


def _paid_media(brand: Brand, ctx: CampaignContext) -> _PaidMedia:
    channels, media = ctx.channels, brand.spec.strategy.paid_media
    audiences = [ctx.audience(tuple(m.target)) for m in media]
    # A medium aimed at everyone draws the consumer directly: no list to look her up in.
    everyone = np.array([len(a) == ctx.pop.n for a in audiences], bool)
    partial = [np.zeros(0, np.int32) if whole else a.astype(np.int32) for a, whole in zip(audiences, everyone)]
    codes = [channels.code(m.channel) for m in media]
    return _PaidMedia(
        offsets=np.concatenate(([0], np.cumsum([len(a) for a in partial]))).astype(np.int64),
        audiences=np.concatenate(partial) if partial else np.zeros(0, np.int32),
        audience_size=np.array([len(a) for a in audiences], np.int64), everyone=everyone,
        mean_impressions=np.array([m.budget_per_day / m.cpm_yuan * 1000.0 / ctx.scale for m in media]),
        channel=np.array(codes, np.int64),
        entry=np.array([c if channels.transacts[c] else NO_ONE for c in codes], np.int64),
        budget=np.array([m.budget_per_day for m in media]))


def _signal_terms(brand: Brand, ctx: CampaignContext) -> _SignalTerms:
    strategy, channels, listed = brand.spec.strategy, ctx.channels, brand.prices.listed
    social = channels.social
    on_social = social is not None and bool(listed[social])
    account = channels.accounts[social] if social is not None else None
    pd, groups = strategy.private_domain, strategy.group_leaders
    owned = account is not None and on_social
    content_channel = social if on_social else int(np.flatnonzero(listed)[0])
    per_month = (min(pd.pushes_per_month, account.pushes_per_month), pd.wecom_touches_per_month) if owned else (0, 0)
    beh = ctx.behaviour
    return _SignalTerms(
        quality=strategy.content.quality.score,
        paid_strength=beh.paid_strength, owned_strength=beh.owned_strength, kol_strength=beh.kol_strength,
        group_strength=beh.group_strength,
        social=social if social is not None else NO_ONE, owned_on=owned,
        open_rate=np.array([account.open_rate, account.wecom_open_rate]) if owned else np.zeros(2),
        pushing=_push_table(per_month),
        posts_per_day=strategy.content.posts_per_week / 7.0, cost_per_post=strategy.content.cost_per_post_yuan,
        content_channel=content_channel,
        groups_on=on_social, broadcast_rate=groups.broadcasts_per_week / 7.0, read_rate=groups.read_rate,
        cols=np.array([ctx.ledger.column(f) for f in ("ad_spend", "content_cost", "kol_fees")], np.int64),
    )


@njit
def _brand_signals(h, out, at, books, brand, day_of_month, viewers, terms, paid, kols, groups):
    """:func:`brand_signals` compiled: draws from the stream of handle ``h`` and writes the
    exposure rows into the columns ``out`` from row ``at`` (grown as needed) and the costs
    into the day's ``books``; ``viewers`` a :class:`Viewers`, ``terms`` the brand's
    :class:`_SignalTerms`, ``paid`` its :class:`_PaidMedia`, ``kols`` its
    :class:`~sim.actors.KolArrays`, ``groups`` its :class:`_Groups`, each handed over as a
    plain tuple (:func:`~sim.jit.plain`). Returns the grown columns (None if they did not
    grow) and the new row count."""
    viewers, terms, paid = Viewers(*viewers), _SignalTerms(*terms), _PaidMedia(*paid)
    kols, groups = KolArrays(*kols), _Groups(*groups)
    capacity = len(out[0])
    for m in range(len(paid.budget)):
        books[brand, paid.channel[m], terms.cols[0]] += paid.budget[m]  # ad_spend
        n_imp = draws.poisson(h, paid.mean_impressions[m])
        if n_imp == 0 or paid.audience_size[m] == 0:
            continue
        out = _room(out, at, n_imp)
        at = _paid_rows(h, out, at, m, n_imp, brand, viewers, terms, paid)
    for k in range(2):  # official-account pushes, then WeCom touches
        if terms.owned_on and terms.pushing[day_of_month, k]:
            out = _room(out, at, len(viewers.follower))
            at = _owned_rows(h, out, at, k, brand, viewers, terms)
    posts = draws.poisson(h, terms.posts_per_day)
    if posts:
        books[brand, terms.content_channel, terms.cols[1]] += posts * terms.cost_per_post  # content_cost
    out, at = _kol_posts(h, out, at, books, brand, viewers, terms, kols)
    if len(groups.active):
        speaking = np.empty(len(groups.active), np.int64)
        n_speaking = 0
        for g in groups.active:
            if draws.random(h) < terms.broadcast_rate:
                speaking[n_speaking] = g
                n_speaking += 1
        speaking = speaking[:n_speaking]
        out = _room(out, at, ragged_size(groups.member_offsets, speaking))
        at = _group_rows(h, out, at, speaking, brand, terms, groups)
    return _if_grown(out, capacity), at


# The row writers below are kernels of their own on purpose: a loop writing rows into
# ``out`` in the kernel that reassigns ``out`` (from _room) pays numba's reference
# counting of the six columns on every pass — ~60 ns a pass, 50× the loop's own work.


@njit
def _paid_rows(h, out, at, m, n_imp, brand, viewers, terms, paid):
    """``n_imp`` impressions of medium ``m``, each on a consumer drawn from its audience (everyone: her number)."""
    audience = paid.audiences[paid.offsets[m]:paid.offsets[m + 1]]
    for _ in range(n_imp):
        pick = draws.integer(h, paid.audience_size[m])
        who = pick if paid.everyone[m] else audience[pick]
        s = viewers.segment[who]
        weight = terms.paid_strength * viewers.ad_trust[s] * content_factor(viewers.taste[s], terms.quality)
        at = _put(out, at, who, brand, weight, paid.entry[m], _PAID, NO_ONE)
    return at


@njit
def _owned_rows(h, out, at, k, brand, viewers, terms):
    """Each follower of the brand opens the push (``k`` = 0) or WeCom touch (1) with its open rate."""
    open_rate, source = terms.open_rate[k], _PUSH if k == 0 else _WECOM
    follower, segment, taste = viewers.follower, viewers.segment, viewers.taste
    for i in range(len(follower)):
        if follower[i, brand] and draws.random(h) < open_rate:
            weight = terms.owned_strength * content_factor(taste[segment[i]], terms.quality)
            at = _put(out, at, i, brand, weight, terms.social, source, NO_ONE)
    return at


@njit
def _group_rows(h, out, at, speaking, brand, terms, groups):
    """Each member of a speaking leader's group reads her deal with the read rate."""
    for g in speaking:
        for e in range(groups.member_offsets[g], groups.member_offsets[g + 1]):
            if draws.random(h) < terms.read_rate:
                at = _put(out, at, groups.members[e], brand, terms.group_strength, terms.social, _GROUP,
                          groups.uid[g])
    return at


@njit
def _kol_posts(h, out, at, books, brand, viewers, terms, kols):
    """Step 4 of :func:`brand_signals` (the roster's :class:`~sim.actors.KolArrays` in ``kols``)."""
    posting = _recover_and_post(kols.credibility, kols.base, kols.rate, h)
    if len(posting) == 0:
        return out, at
    out = _room(out, at, ragged_size(kols.offsets, posting))
    at = _kol_rows(h, out, at, posting, brand, viewers, terms, kols)
    for k in posting:
        books[brand, kols.platform[k], terms.cols[2]] += kols.fee[k]  # kol_fees
    for k in posting:  # sponsored posts wear credibility down (audiences discount paid praise)
        kols.credibility[k] *= 1.0 - CREDIBILITY_WEAR
    return out, at


@njit
def _kol_rows(h, out, at, posting, brand, viewers, terms, kols):
    """Each follower of a posting KOL sees the post with her reach rate (see _paid_rows on why a kernel)."""
    for k in posting:
        for e in range(kols.offsets[k], kols.offsets[k + 1]):
            if draws.random(h) < kols.reach[k]:
                who = kols.followers[e]
                s = viewers.segment[who]
                weight = (terms.kol_strength * kols.credibility[k] * viewers.kol_affinity[s]
                          * content_factor(viewers.taste[s], terms.quality))
                at = _put(out, at, who, brand, weight, kols.entry[k], _KOL, kols.uid[k])
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
    unhappy = pool.drain_unhappy()
    if len(unhappy) == 0 and len(pool.nodes) == 0:
        return
    terms = brand.derived("word of mouth", lambda: _word_of_mouth_terms(brand, ctx))
    grown, batch.size, sharers, pool.nodes, pool.until, depths = _word_of_mouth(
        draws.stream_handle(rng), batch.columns, batch.size, brand.code, ctx.day, unhappy, pool.nodes, pool.until,
        plain(ctx.ties), plain(terms), plain(ctx.sharers))
    batch.adopt(grown)
    if sharers:
        ctx.ledger.count_shares(ctx.day, brand.code, sharers)
        ctx.ledger.share_depths[ctx.day, brand.code] += depths


class _WordOfMouth(NamedTuple):
    """What :func:`sharing` reads from a brand's spec and the behaviour (rebuilt when the spec changes)."""

    advocacy: np.ndarray  # (S,) daily probability an open sharer of each segment shares
    uplift: float         # :func:`share_uplift`
    strength: float       # weight of a share (wom_strength)
    negativity: float     # a warning weighs this many shares (negative_wom_ratio)


def _word_of_mouth_terms(brand: Brand, ctx: CampaignContext) -> _WordOfMouth:
    beh = ctx.behaviour
    return _WordOfMouth(ctx.pop.segments.advocacy, share_uplift(brand, beh), beh.wom_strength, beh.negative_wom_ratio)


@njit
def _word_of_mouth(h, out, at, brand, day, unhappy, pool_nodes, pool_until, ties, terms, state):
    """:func:`sharing` compiled: the warnings of the ``unhappy`` (:func:`_warn_contacts`,
    each weighing ``terms.negativity`` shares), then today's sharers among the pool's open
    entries (:func:`_sharers_today`) and their shares (:func:`_share_links`), along the
    :class:`Ties` ``ties``, on the :class:`_WordOfMouth` ``terms``, into the
    :class:`SharerState` ``state``. Returns the grown columns (None if they did not
    grow), the new row count, the number of sharers, the pool without its closed entries
    and the sharers by the depth of their share
    (:func:`~sim.market.referral.share_depth_counts`). The structures come as plain tuples
    (:func:`~sim.jit.plain`)."""
    ties, terms, state = Ties(*ties), _WordOfMouth(*terms), SharerState(*state)
    open_nodes, open_until = still_open(pool_nodes, pool_until, day)
    capacity = len(out[0])
    if len(unhappy):
        out = _room(out, at, ragged_size(ties.indptr, unhappy))
        at = _warn_contacts(h, out, at, unhappy, brand, ties, -terms.strength * terms.negativity)
    sharers = _sharers_today(h, open_nodes, ties.segment, terms.advocacy, terms.uplift)
    if len(sharers):
        out = _room(out, at, ragged_size(ties.indptr, sharers))
        at = _share_links(h, out, at, sharers, brand, ties, terms.strength, state)
    return (_if_grown(out, capacity), at, len(sharers), open_nodes, open_until,
            share_depth_counts(state.parent, sharers, brand))


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
def _share_links(h, out, at, sharers, brand, ties, strength, state):
    """Today's sharers become LOYAL and tell their contacts (:func:`tell_contacts`); the
    shares are written grouped by the shop they link to (the sharer's last channel for
    the brand): channels ascending, shares in their order within each."""
    for s in sharers:
        state.stage[s, brand] = _LOYAL
    receivers, weights, origin = tell_contacts(h, ties, sharers, strength)
    links = np.empty(len(origin), state.last_channel.dtype)
    for i in range(len(origin)):
        links[i] = state.last_channel[origin[i], brand]
    for i in stable_order(links):
        at = _put(out, at, receivers[i], brand, weights[i], links[i], _WOM, origin[i])
    return at


_LOYAL = Stage.LOYAL  # a plain int for the kernels

#: A word-of-mouth producer: (brand, its sharer pool, context, batch, rng) → adds exposures.
Sharing = Callable[[Brand, SharerPool, CampaignContext, ExposureBatch, np.random.Generator], None]


@njit
def _warn_contacts(h, out, at, unhappy, brand, ties, strength):
    """The warnings the unhappy tell their contacts (:func:`tell_contacts`, negative ``strength``), in order."""
    receivers, weights, origin = tell_contacts(h, ties, unhappy, strength)
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
    grown, end, relayed = _relay(draws.stream_handle(rng), batch.columns, start, batch.size, brand.code,
                                 plain(ctx.ties), ctx.opinion_leader, spec.relay_prob, spec.relay_strength)
    batch.adopt(grown)
    batch.size = end
    if relayed:
        ctx.ledger.count_relayed(ctx.day, brand.code, relayed)


@njit
def _relay(h, out, start, at, brand, ties, leader, prob, strength):
    """:func:`relay_media` compiled: the relaying leaders among the ``leader`` mask
    (:func:`_relayers`), then their rows along the :class:`Ties` ``ties`` (:func:`_relay_rows`).
    Returns the grown columns (None if not grown), the new row count and the rows relayed.
    ``ties`` comes as a plain tuple (:func:`~sim.jit.plain`)."""
    ties = Ties(*ties)
    capacity = len(out[0])
    relayers, links = _relayers(h, out, start, at, leader, prob)
    if len(relayers) == 0:
        return None, at, 0
    out = _room(out, at, ragged_size(ties.indptr, relayers))
    end = _relay_rows(h, out, at, relayers, links, brand, ties, strength)
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
def _relay_rows(h, out, at, relayers, links, brand, ties, strength):
    """Each relayer's ties carry her message (:func:`tell_contacts`), written in her order."""
    receivers, weights, origin = tell_contacts(h, ties, relayers, strength)
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
