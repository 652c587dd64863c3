"""What each brand does to consumers today: paid media, pushes, KOL posts, group deals,
and the word of mouth of its buyers (DESIGN §5.2). Each function adds exposures to the
day's :class:`~sim.market.signals.ExposureBatch` and books its cost in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..actors import Brand
from ..config.schema import Behaviour
from ..graph.csr import SocialGraph
from ..ledger import Ledger
from ..population import NO_ONE, Population, Stage
from .channels import ChannelTable
from .signals import ExposureBatch, SharerPool, Source, content_factor, word_of_mouth

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


def _stochastic_round(x: float, rng: np.random.Generator) -> int:
    return int(np.floor(x) + (rng.random() < x - np.floor(x)))


def paid_media(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Budget ÷ CPM → impressions, sampled with replacement over the target segments."""
    quality = brand.spec.strategy.content.quality.score
    for media in brand.spec.strategy.paid_media:
        audience = ctx.audience(tuple(media.target))
        c = ctx.channels.code(media.channel)
        ctx.ledger.add(ctx.day, brand.code, c, "ad_spend", media.budget_per_day)
        n_imp = rng.poisson(media.budget_per_day / media.cpm_yuan * 1000.0 / ctx.scale)
        if n_imp == 0 or len(audience) == 0:
            continue
        who = audience[rng.integers(len(audience), size=n_imp)]
        weight = ctx.behaviour.paid_strength * ctx.pop.param("ad_trust", who) * content_factor(ctx.pop.param("content_taste", who), quality)
        batch.add(who, brand.code, weight, c if ctx.channels.transacts[c] else NO_ONE, Source.PAID)


def owned_media(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Official-account pushes (capped by the channel's limit) and 1:1 WeCom touches to followers."""
    social = ctx.channels.social
    account = brand.model.scenario.channels[ctx.channels.keys[social]].official_account if social is not None else None
    if account is None or not brand.prices.listed[social]:
        return
    pd = brand.spec.strategy.private_domain
    quality = brand.spec.strategy.content.quality.score
    for per_month, open_rate, source in (
        (min(pd.pushes_per_month, account.pushes_per_month), account.open_rate, Source.PUSH),
        (pd.wecom_touches_per_month, account.wecom_open_rate, Source.WECOM),
    ):
        if ctx.day_of_month not in push_days(per_month):
            continue
        followers = np.flatnonzero(ctx.pop.follower[:, brand.code])
        opened = followers[rng.random(len(followers)) < open_rate]
        weight = ctx.behaviour.owned_strength * content_factor(ctx.pop.param("content_taste", opened), quality)
        batch.add(opened, brand.code, weight, social, source)


def content_posts(brand: Brand, ctx: CampaignContext, rng: np.random.Generator) -> None:
    """Owned content production: its cost; its 4i quality shapes every weight and share."""
    content = brand.spec.strategy.content
    posts = rng.poisson(content.posts_per_week / 7.0)
    if posts:  # booked where the brand sells: its WeChat shop if it has one
        listed = np.flatnonzero(brand.prices.listed)
        social = ctx.channels.social
        channel = social if social is not None and social in listed else int(listed[0])
        ctx.ledger.add(ctx.day, brand.code, channel, "content_cost", posts * content.cost_per_post_yuan)


def _ragged(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-agent index arrays; return them with each one's length."""
    lens = np.array([len(a) for a in arrays], dtype=np.int64)
    return (np.concatenate(arrays) if arrays else np.zeros(0, np.int32)), lens


def kol_posts(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """KOL/KOC posts: followers who see the post; credibility wears with sponsorship.

    Today's posters are drawn in one go and their audiences handled as one ragged array.
    """
    roster = brand.kol_roster
    posting = roster.posting_today(rng)
    if len(posting) == 0:
        return
    kols = [roster.kols[i] for i in posting]
    followers, lens = _ragged([k.followers for k in kols])
    seen = rng.random(len(followers)) < np.repeat([k.program.reach_rate for k in kols], lens)
    who = followers[seen]
    per_post = lambda values: np.repeat(np.asarray(values), lens)[seen]
    platform = np.array([k.platform for k in kols])
    weight = (ctx.behaviour.kol_strength * per_post(roster.credibility[posting]) * ctx.pop.param("kol_affinity", who)
              * content_factor(ctx.pop.param("content_taste", who), brand.spec.strategy.content.quality.score))
    entry = np.where(ctx.channels.transacts[platform], platform, NO_ONE)
    batch.add(who, brand.code, weight, per_post(entry), Source.KOL, per_post([k.unique_id for k in kols]))
    fees = np.array([k.program.fee_per_post_yuan for k in kols])
    ctx.ledger.add_many(ctx.day, np.full(len(kols), brand.code), platform, "kol_fees", fees)
    roster.after_post(posting)


def group_broadcasts(brand: Brand, ctx: CampaignContext, batch: ExposureBatch, rng: np.random.Generator) -> None:
    """Active group leaders post the brand's WeChat deal; members read it at the read rate."""
    social = ctx.channels.social
    leaders = brand.active_leaders
    if social is None or not brand.prices.listed[social] or not leaders:
        return
    policy = brand.spec.strategy.group_leaders
    speaking = [g for g, s in zip(leaders, rng.random(len(leaders)) < policy.broadcasts_per_week / 7.0) if s]
    members, lens = _ragged([g.members for g in speaking])
    read = rng.random(len(members)) < policy.read_rate
    referrer = np.repeat([g.unique_id for g in speaking], lens)[read] if speaking else NO_ONE
    batch.add(members[read], brand.code, ctx.behaviour.group_strength, social, Source.GROUP, referrer)


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
    p = np.clip(ctx.pop.param("advocacy", open_nodes) * share_uplift(brand, ctx.behaviour), 0.0, 1.0)
    sharers = np.unique(open_nodes[rng.random(len(open_nodes)) < p])
    if len(sharers) == 0:
        return
    ctx.pop.stage[sharers, brand.code] = Stage.LOYAL
    receivers, weights, origin = word_of_mouth(ctx.graph, ctx.pop, sharers, brand.code, ctx.behaviour, rng)
    links = ctx.pop.last_channel[origin, brand.code]
    for c in np.unique(links):
        mine = links == c
        batch.add(receivers[mine], brand.code, weights[mine], int(c), Source.WOM, origin[mine])
    ctx.ledger.count_shares(ctx.day, brand.code, len(sharers))


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
