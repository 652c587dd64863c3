"""What each brand does to consumers today: paid media, pushes, KOL posts, group deals,
and the word of mouth of its buyers (DESIGN §5.2). Each function adds exposures to the
day's :class:`~sim.market.signals.ExposureBatch` and books its cost in the ledger.

Each producer is a compiled kernel that draws its random numbers through the signals
stream's handle (:mod:`sim.draws`), in the order and number of the rules, and writes the
exposure rows straight into the batch's columns (at most one row per draw, so the
number of draws sizes the room).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import draws
from ..actors import Brand
from ..config.schema import Behaviour
from ..graph.csr import SocialGraph
from ..jit import njit
from ..ledger import Ledger
from ..population import NO_ONE, Population, Stage
from .channels import ChannelTable
from .signals import ExposureBatch, SharerPool, Source, content_factor, ragged_size, tell_contacts, tie_reach

__all__ = ["CampaignContext", "Sharing", "run_campaigns", "push_days", "share_uplift", "sharing"]


@dataclass(frozen=True)
class CampaignContext:
    """What the producers read on one day."""

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


@functools.cache
def push_days(per_month: int) -> frozenset[int]:
    """Days of the month (1–30) on which ``per_month`` pushes go out, evenly spaced."""
    return frozenset(1 + (i * 30) // per_month for i in range(per_month)) if per_month > 0 else frozenset()


@njit
def _put(out: tuple, k: int, who: int, brand: int, weight: float, entry: int, source: int, referrer: int) -> None:
    """Write exposure row ``k`` into the batch columns ``out`` (cast to their dtypes)."""
    out[0][k], out[1][k], out[2][k], out[3][k], out[4][k], out[5][k] = who, brand, weight, entry, source, referrer


def paid_media(brand: Brand, ctx: CampaignContext, batch: ExposureBatch) -> None:
    """Budget ÷ CPM → impressions, sampled with replacement over the target segments."""
    quality = brand.spec.strategy.content.quality.score
    for media in brand.spec.strategy.paid_media:
        audience = ctx.audience(tuple(media.target))
        c = ctx.channels.code(media.channel)
        ctx.ledger.add(ctx.day, brand.code, c, "ad_spend", media.budget_per_day)
        n_imp = ctx.rng.poisson(media.budget_per_day / media.cpm_yuan * 1000.0 / ctx.scale)
        if n_imp == 0 or len(audience) == 0:
            continue
        entry = c if ctx.channels.transacts[c] else NO_ONE
        segments = ctx.pop.segments
        batch.size = _impressions(draws.stream_handle(ctx.rng), n_imp, audience, ctx.pop.segment,
                                  ctx.behaviour.paid_strength, segments.ad_trust, segments.content_taste, quality,
                                  brand.code, entry, int(Source.PAID), batch.room(n_imp), batch.size)


@njit
def _impressions(h: np.ndarray, n_imp: int, audience: np.ndarray, segment: np.ndarray, strength: float,
                 ad_trust: np.ndarray, taste: np.ndarray, quality: float, brand: int, entry: int, source: int,
                 out: tuple, at: int) -> int:
    """``n_imp`` paid impressions on consumers drawn from ``audience`` with replacement, each
    of weight paid_strength · ad_trust(segment) · content factor(segment), linking to ``entry``."""
    for i in range(n_imp):
        who = audience[draws.integer(h, len(audience))]
        s = segment[who]
        _put(out, at + i, who, brand, strength * ad_trust[s] * content_factor(taste[s], quality), entry, source, NO_ONE)
    return at + n_imp


def owned_media(brand: Brand, ctx: CampaignContext, batch: ExposureBatch) -> None:
    """Official-account pushes (capped by the channel's limit) and 1:1 WeCom touches to followers."""
    social = ctx.channels.social
    account = brand.model.scenario.channels[ctx.channels.keys[social]].official_account if social is not None else None
    if account is None or not brand.prices.listed[social]:
        return
    pd = brand.spec.strategy.private_domain
    for per_month, open_rate, source in (
        (min(pd.pushes_per_month, account.pushes_per_month), account.open_rate, Source.PUSH),
        (pd.wecom_touches_per_month, account.wecom_open_rate, Source.WECOM),
    ):
        if ctx.day_of_month not in push_days(per_month):
            continue
        followers = np.count_nonzero(ctx.pop.follower[:, brand.code])
        batch.size = _opened(draws.stream_handle(ctx.rng), ctx.pop.follower, open_rate, ctx.pop.segment,
                             ctx.behaviour.owned_strength, ctx.pop.segments.content_taste,
                             brand.spec.strategy.content.quality.score, brand.code, social, int(source),
                             batch.room(followers), batch.size)


@njit
def _opened(h: np.ndarray, follower: np.ndarray, open_rate: float, segment: np.ndarray, strength: float,
            taste: np.ndarray, quality: float, brand: int, social: int, source: int, out: tuple, at: int) -> int:
    """The brand's followers (in consumer order, one draw each) who open the message; each
    takes owned_strength · content factor(segment), linking to the WeChat shop."""
    for i in range(len(follower)):
        if follower[i, brand] and draws.random(h) < open_rate:
            _put(out, at, i, brand, strength * content_factor(taste[segment[i]], quality), social, source, NO_ONE)
            at += 1
    return at


def content_posts(brand: Brand, ctx: CampaignContext) -> None:
    """Owned content production: its cost; its 4i quality shapes every weight and share."""
    content = brand.spec.strategy.content
    posts = ctx.rng.poisson(content.posts_per_week / 7.0)
    if posts:  # booked where the brand sells: its WeChat shop if it has one
        social = ctx.channels.social
        listed = brand.prices.listed
        channel = social if social is not None and listed[social] else int(np.flatnonzero(listed)[0])
        ctx.ledger.add(ctx.day, brand.code, channel, "content_cost", posts * content.cost_per_post_yuan)


def kol_posts(brand: Brand, ctx: CampaignContext, batch: ExposureBatch) -> None:
    """KOL/KOC posts: followers who see the post; credibility wears with sponsorship.

    Today's posters are drawn in one go and their audiences handled as one ragged array.
    """
    roster = brand.kol_roster
    posting = roster.posting_today(ctx.rng)
    if len(posting) == 0:
        return
    offsets, followers = roster.followers()
    segments = ctx.pop.segments
    kols = (offsets, followers, roster.reach, roster.credibility, roster.entry, roster.uid)
    batch.size = _post_audiences(draws.stream_handle(ctx.rng), posting, kols, ctx.pop.segment,
                                 ctx.behaviour.kol_strength, segments.kol_affinity, segments.content_taste,
                                 brand.spec.strategy.content.quality.score, brand.code, int(Source.KOL),
                                 batch.room(ragged_size(offsets, posting)), batch.size)
    ctx.ledger.add_many(ctx.day, np.full(len(posting), brand.code), roster.platform[posting], "kol_fees",
                        roster.fee[posting])
    roster.after_post(posting)


@njit
def _post_audiences(h: np.ndarray, posting: np.ndarray, kols: tuple, segment: np.ndarray, strength: float,
                    affinity: np.ndarray, taste: np.ndarray, quality: float, brand: int, source: int, out: tuple,
                    at: int) -> int:
    """Followers of today's posters who see the post (draw < the KOL's reach rate).

    Weight = kol_strength · credibility · kol_affinity(segment) · content factor(segment);
    the row links to the KOL's entry channel and names her. ``kols``: the roster's
    (offsets, followers, reach, credibility, entry, uid); one draw per follower, poster
    after poster.
    """
    offsets, followers, reach, credibility, entry, uid = kols
    for k in posting:
        for e in range(offsets[k], offsets[k + 1]):
            if draws.random(h) < reach[k]:
                s = segment[followers[e]]
                weight = strength * credibility[k] * affinity[s] * content_factor(taste[s], quality)
                _put(out, at, followers[e], brand, weight, entry[k], source, uid[k])
                at += 1
    return at


def group_broadcasts(brand: Brand, ctx: CampaignContext, batch: ExposureBatch) -> None:
    """Active group leaders post the brand's WeChat deal; members read it at the read rate."""
    social = ctx.channels.social
    roster = brand.leader_roster
    active = roster.active_index()
    if social is None or not brand.prices.listed[social] or len(active) == 0:
        return
    policy = brand.spec.strategy.group_leaders
    speaking = _speakers(draws.stream_handle(ctx.rng), active, policy.broadcasts_per_week / 7.0)
    offsets, members = roster.members()
    batch.size = _readers(draws.stream_handle(ctx.rng), speaking, offsets, members, policy.read_rate, roster.uid,
                          ctx.behaviour.group_strength, brand.code, social, int(Source.GROUP),
                          batch.room(ragged_size(offsets, speaking)), batch.size)


@njit
def _speakers(h: np.ndarray, active: np.ndarray, rate: float) -> np.ndarray:
    """The active leaders who post the deal today (a draw each < the daily rate), in order."""
    return active[_draws_below(h, len(active), rate)]


@njit
def _draws_below(h: np.ndarray, n: int, rate: float) -> np.ndarray:
    """``Generator.random(n) < rate``."""
    below = np.empty(n, np.bool_)
    for i in range(n):
        below[i] = draws.random(h) < rate
    return below


@njit
def _readers(h: np.ndarray, speaking: np.ndarray, offsets: np.ndarray, members: np.ndarray, read_rate: float,
             uid: np.ndarray, weight: float, brand: int, social: int, source: int, out: tuple, at: int) -> int:
    """Members of the speaking leaders' groups who read the deal (a draw each < read rate),
    speaker after speaker; the row links to the WeChat shop and names the leader."""
    for g in speaking:
        for e in range(offsets[g], offsets[g + 1]):
            if draws.random(h) < read_rate:
                _put(out, at, members[e], brand, weight, social, source, uid[g])
                at += 1
    return at


def share_uplift(brand: Brand, behaviour: Behaviour) -> float:
    """Multiplier of a buyer's advocacy: referral commissions (分佣) and 4i content both make people share.

    Notes
    -----
    (1 + u_ref · level1) · (1 + u_content · (q − ½)); P(share today) = advocacy(segment) × this, capped at 1.
    """
    strategy = brand.spec.strategy
    return (1 + behaviour.referral_uplift * strategy.referral.level1) * (
        1 + behaviour.content_share_uplift * (strategy.content.quality.score - 0.5))


def sharing(brand: Brand, pool: SharerPool, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Satisfied recent buyers share with their contacts (earned media); unhappy ones warn them.

    Each open sharer shares today with probability advocacy(segment) · :func:`share_uplift`.
    """
    _warnings(brand, pool, ctx, batch, rng)
    open_nodes = pool.open_on(ctx.day)
    if len(open_nodes) == 0:
        return
    h, graph, pop = draws.stream_handle(rng), ctx.graph, ctx.pop
    sharers = _sharers_today(h, open_nodes, pop.segment, pop.segments.advocacy, share_uplift(brand, ctx.behaviour))
    if len(sharers) == 0:
        return
    batch.size = _share_links(h, sharers, graph.indptr, graph.indices, graph.layer, tie_reach(ctx.behaviour),
                              pop.segment, ctx.behaviour.wom_strength, pop.segments.wom_weight, pop.stage,
                              pop.last_channel, brand.code, int(Source.WOM),
                              batch.room(ragged_size(graph.indptr, sharers)), batch.size)
    ctx.ledger.count_shares(ctx.day, brand.code, len(sharers))


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
                 brand, source, out, at):
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
        _put(out, at, receivers[i], brand, weights[i], links[i], source, origin[i])
        at += 1
    return at


_LOYAL = Stage.LOYAL  # a plain int for the kernels

#: A word-of-mouth producer: (brand, its sharer pool, context, batch, rng) → adds exposures.
Sharing = Callable[[Brand, SharerPool, CampaignContext, ExposureBatch, np.random.Generator], None]


def _warnings(brand: Brand, pool: SharerPool, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Unsatisfied buyers warn their contacts once: negative word of mouth, linking nowhere."""
    unhappy = pool.drain_unhappy()
    if len(unhappy):
        graph, pop = ctx.graph, ctx.pop
        batch.size = _warn_contacts(draws.stream_handle(rng), unhappy, graph.indptr, graph.indices, graph.layer,
                                    tie_reach(ctx.behaviour), pop.segment, -ctx.behaviour.wom_strength,
                                    pop.segments.wom_weight, brand.code, int(Source.WOM),
                                    batch.room(ragged_size(graph.indptr, unhappy)), batch.size)


@njit
def _warn_contacts(h, unhappy, indptr, indices, layer, reach, segment, strength, wom_weight, brand, source, out, at):
    """The warnings the unhappy tell their contacts (:func:`tell_contacts`, negative ``strength``), in order."""
    receivers, weights, origin = tell_contacts(h, indptr, indices, layer, reach, unhappy, segment, strength, wom_weight)
    for i in range(len(receivers)):
        _put(out, at, receivers[i], brand, weights[i], NO_ONE, source, origin[i])
        at += 1
    return at


def run_campaigns(brands: list[Brand], pools: list[SharerPool], ctx: CampaignContext,
                  wom_rng: np.random.Generator, share: Sharing = sharing) -> ExposureBatch:
    """All brands' signals for the day, in brand order (deterministic).

    ``share`` produces word of mouth; the reference engine passes one that steps each
    sharer as a consumer agent.
    """
    batch = ExposureBatch()
    for brand in brands:
        paid_media(brand, ctx, batch)
        owned_media(brand, ctx, batch)
        content_posts(brand, ctx)
        kol_posts(brand, ctx, batch)
        group_broadcasts(brand, ctx, batch)
        share(brand, pools[brand.code], ctx, batch, wom_rng)
    return batch
