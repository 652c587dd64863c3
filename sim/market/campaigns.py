"""What each brand does to consumers today: paid media, pushes, KOL posts, group deals,
and the word of mouth of its buyers (DESIGN §5.2). Each function adds exposures to the
day's :class:`~sim.market.signals.ExposureBatch` and books its cost in the ledger.

Random numbers are drawn with numpy in the order and batch sizes of the rules (a
``Generator`` handed to a numba kernel costs more to unbox than the kernel saves); a
compiled kernel then turns the draws into exposures. A weight that depends only on the
consumer's segment is computed once per segment (the same products, in the same order)
and looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..actors import Brand
from ..config.schema import Behaviour
from ..graph.csr import SocialGraph
from ..jit import njit
from ..ledger import Ledger
from ..population import NO_ONE, Population, Stage
from .channels import ChannelTable
from .signals import ExposureBatch, SharerPool, Source, content_factor, ragged_size, word_of_mouth

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


def push_days(per_month: int) -> set[int]:
    """Days of the month (1–30) on which ``per_month`` pushes go out, evenly spaced."""
    return {1 + (i * 30) // per_month for i in range(per_month)} if per_month > 0 else set()


def paid_media(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Budget ÷ CPM → impressions, sampled with replacement over the target segments."""
    content = content_factor(ctx.pop.segments.content_taste, brand.spec.strategy.content.quality.score)  # per segment
    for media in brand.spec.strategy.paid_media:
        audience = ctx.audience(tuple(media.target))
        c = ctx.channels.code(media.channel)
        ctx.ledger.add(ctx.day, brand.code, c, "ad_spend", media.budget_per_day)
        n_imp = rng.poisson(media.budget_per_day / media.cpm_yuan * 1000.0 / ctx.scale)
        if n_imp == 0 or len(audience) == 0:
            continue
        who, weight = _impressions(audience, rng.integers(len(audience), size=n_imp), ctx.pop.segment,
                                   ctx.behaviour.paid_strength, ctx.pop.segments.ad_trust, content)
        batch.add(who, brand.code, weight, c if ctx.channels.transacts[c] else NO_ONE, Source.PAID)


@njit
def _impressions(audience: np.ndarray, picks: np.ndarray, segment: np.ndarray, strength: float,
                 ad_trust: np.ndarray, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The consumers the impressions reach (``picks`` index the audience) and the weight of
    each: paid_strength · ad_trust(segment) · content factor(segment)."""
    who, weight = np.empty(len(picks), audience.dtype), np.empty(len(picks))
    for i in range(len(picks)):
        who[i] = audience[picks[i]]
        s = segment[who[i]]
        weight[i] = strength * ad_trust[s] * content[s]
    return who, weight


def owned_media(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Official-account pushes (capped by the channel's limit) and 1:1 WeCom touches to followers."""
    social = ctx.channels.social
    account = brand.model.scenario.channels[ctx.channels.keys[social]].official_account if social is not None else None
    if account is None or not brand.prices.listed[social]:
        return
    pd = brand.spec.strategy.private_domain
    content = content_factor(ctx.pop.segments.content_taste, brand.spec.strategy.content.quality.score)  # per segment
    for per_month, open_rate, source in (
        (min(pd.pushes_per_month, account.pushes_per_month), account.open_rate, Source.PUSH),
        (pd.wecom_touches_per_month, account.wecom_open_rate, Source.WECOM),
    ):
        if ctx.day_of_month not in push_days(per_month):
            continue
        follower = ctx.pop.follower[:, brand.code]
        opened, weight = _opened(follower, rng.random(np.count_nonzero(follower)), open_rate, ctx.pop.segment,
                                 ctx.behaviour.owned_strength, content)
        batch.add(opened, brand.code, weight, social, source)


@njit
def _opened(follower: np.ndarray, draws: np.ndarray, open_rate: float, segment: np.ndarray, strength: float,
            content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Followers (in consumer order, one draw each) who open the message, and the weight
    each takes: owned_strength · content factor(segment)."""
    opened, weight = np.empty(len(draws), np.int64), np.empty(len(draws))
    k = t = 0
    for i in range(len(follower)):
        if follower[i]:
            if draws[t] < open_rate:
                opened[k], weight[k] = i, strength * content[segment[i]]
                k += 1
            t += 1
    return opened[:k], weight[:k]


def content_posts(brand: Brand, ctx: CampaignContext, rng: np.random.Generator) -> None:
    """Owned content production: its cost; its 4i quality shapes every weight and share."""
    content = brand.spec.strategy.content
    posts = rng.poisson(content.posts_per_week / 7.0)
    if posts:  # booked where the brand sells: its WeChat shop if it has one
        listed = np.flatnonzero(brand.prices.listed)
        social = ctx.channels.social
        channel = social if social is not None and social in listed else int(listed[0])
        ctx.ledger.add(ctx.day, brand.code, channel, "content_cost", posts * content.cost_per_post_yuan)


def kol_posts(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """KOL/KOC posts: followers who see the post; credibility wears with sponsorship.

    Today's posters are drawn in one go and their audiences handled as one ragged array.
    """
    roster = brand.kol_roster
    posting = roster.posting_today(rng)
    if len(posting) == 0:
        return
    offsets, followers = roster.followers()
    seen = rng.random(ragged_size(offsets, posting))  # one draw per follower of each poster
    segments = ctx.pop.segments
    content = content_factor(segments.content_taste, brand.spec.strategy.content.quality.score)  # per segment
    who, weight, entry, referrer = _post_audiences(
        posting, offsets, followers, seen, roster.reach, roster.credibility, roster.platform, roster.uid,
        ctx.channels.transacts, ctx.pop.segment, ctx.behaviour.kol_strength, segments.kol_affinity, content)
    batch.add(who, brand.code, weight, entry, Source.KOL, referrer)
    ctx.ledger.add_many(ctx.day, np.full(len(posting), brand.code), roster.platform[posting], "kol_fees",
                        roster.fee[posting])
    roster.after_post(posting)


@njit
def _post_audiences(posting: np.ndarray, offsets: np.ndarray, followers: np.ndarray, draws: np.ndarray,
                    reach: np.ndarray, credibility: np.ndarray, platform: np.ndarray, uid: np.ndarray,
                    transacts: np.ndarray, segment: np.ndarray, strength: float, affinity: np.ndarray,
                    content: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Followers of today's posters who see the post (draw < the KOL's reach): who, weight,
    entry channel, KOL id.

    Weight = kol_strength · credibility · kol_affinity(segment) · content factor(segment);
    the post links to its platform if that platform sells. ``draws``: one uniform per
    follower, poster after poster.
    """
    n_draws = len(draws)
    who, weight = np.empty(n_draws, followers.dtype), np.empty(n_draws)
    entry, referrer = np.empty(n_draws, np.int64), np.empty(n_draws, np.int64)
    n = t = 0
    for k in posting:
        for e in range(offsets[k], offsets[k + 1]):
            if draws[t] < reach[k]:
                s = segment[followers[e]]
                who[n], weight[n] = followers[e], strength * credibility[k] * affinity[s] * content[s]
                entry[n] = platform[k] if transacts[platform[k]] else NO_ONE
                referrer[n] = uid[k]
                n += 1
            t += 1
    return who[:n], weight[:n], entry[:n], referrer[:n]


def group_broadcasts(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Active group leaders post the brand's WeChat deal; members read it at the read rate."""
    social = ctx.channels.social
    active = brand.leader_roster.active_index()
    if social is None or not brand.prices.listed[social] or len(active) == 0:
        return
    policy = brand.spec.strategy.group_leaders
    speaking = active[rng.random(len(active)) < policy.broadcasts_per_week / 7.0]
    offsets, members = brand.leader_roster.members()
    draws = rng.random(ragged_size(offsets, speaking))  # one per member of each speaker
    readers, referrer = _readers(speaking, offsets, members, draws, policy.read_rate, brand.leader_roster.uid)
    batch.add(readers, brand.code, ctx.behaviour.group_strength, social, Source.GROUP, referrer)


@njit
def _readers(speaking: np.ndarray, offsets: np.ndarray, members: np.ndarray, draws: np.ndarray,
             read_rate: float, uid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Members of the speaking leaders' groups who read the deal (draw < read rate), and
    whose group it was. ``draws``: one uniform per member, speaker after speaker."""
    readers, referrer = np.empty(len(draws), members.dtype), np.empty(len(draws), np.int64)
    n = t = 0
    for g in speaking:
        for e in range(offsets[g], offsets[g + 1]):
            if draws[t] < read_rate:
                readers[n], referrer[n] = members[e], uid[g]
                n += 1
            t += 1
    return readers[:n], referrer[:n]


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
    sharers = _sharers_today(open_nodes, rng.random(len(open_nodes)), ctx.pop.segment, ctx.pop.segments.advocacy,
                             share_uplift(brand, ctx.behaviour))
    if len(sharers) == 0:
        return
    ctx.pop.stage[sharers, brand.code] = Stage.LOYAL
    receivers, weights, origin = word_of_mouth(ctx.graph, ctx.pop, sharers, brand.code, ctx.behaviour, rng)
    who, weight, entry, referrer = _by_link(receivers, weights, origin, ctx.pop.last_channel, brand.code)
    batch.add(who, brand.code, weight, entry, Source.WOM, referrer)
    ctx.ledger.count_shares(ctx.day, brand.code, len(sharers))


@njit
def _sharers_today(open_nodes: np.ndarray, draws: np.ndarray, segment: np.ndarray, advocacy: np.ndarray,
                   uplift: float) -> np.ndarray:
    """Open sharers who share today (draw < advocacy(segment) · uplift, capped at 1), sorted
    and without repeats (as np.unique). ``draws``: one uniform per pool entry."""
    chosen = np.empty(len(open_nodes), open_nodes.dtype)
    k = 0
    for i in range(len(open_nodes)):
        if draws[i] < min(max(advocacy[segment[open_nodes[i]]] * uplift, 0.0), 1.0):
            chosen[k] = open_nodes[i]
            k += 1
    return np.unique(chosen[:k])


@njit
def _by_link(receivers: np.ndarray, weights: np.ndarray, origin: np.ndarray, last_channel: np.ndarray,
             brand: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shares grouped by the shop they link to (the sharer's last channel for the brand),
    channels ascending and shares in their order within each: who, weight, entry, sharer."""
    links = np.empty(len(origin), last_channel.dtype)
    for i in range(len(origin)):
        links[i] = last_channel[origin[i], brand]
    order = np.argsort(links, kind="mergesort")  # stable
    return receivers[order], weights[order], links[order], origin[order]


#: A word-of-mouth producer: (brand, its sharer pool, context, batch, rng) → adds exposures.
Sharing = Callable[[Brand, SharerPool, CampaignContext, ExposureBatch, np.random.Generator], None]


def _warnings(brand: Brand, pool: SharerPool, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Unsatisfied buyers warn their contacts once: negative word of mouth."""
    unhappy = pool.drain_unhappy()
    if len(unhappy):
        receivers, weights, origin = word_of_mouth(ctx.graph, ctx.pop, unhappy, brand.code, ctx.behaviour, rng, sign=-1.0)
        batch.add(receivers, brand.code, weights, NO_ONE, Source.WOM, origin)


def run_campaigns(brands: list[Brand], pools: list[SharerPool], ctx: CampaignContext,
                  rng: np.random.Generator, wom_rng: np.random.Generator, share: Sharing = sharing) -> ExposureBatch:
    """All brands' signals for the day, in brand order (deterministic).

    ``share`` produces word of mouth; the reference engine passes one that steps each
    sharer as a consumer agent.
    """
    batch = ExposureBatch()
    for brand in brands:
        paid_media(brand, ctx, batch, rng)
        owned_media(brand, ctx, batch, rng)
        content_posts(brand, ctx, rng)
        kol_posts(brand, ctx, batch, rng)
        group_broadcasts(brand, ctx, batch, rng)
        share(brand, pools[brand.code], ctx, batch, wom_rng)
    return batch
