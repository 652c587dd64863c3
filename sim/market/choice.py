"""Need and choice: who shops today, where, and what she buys (DESIGN §5.4–5.5).

Choice is a sequential (nested) logit, recorded in docs/MODEL.md:

1. **Venue.** A consumer with a need thinks of her target brand (the known brand with
   the highest attitude) and picks a transacting channel where it is listed:
   V_c = β_p·trust_c/ref + habit_c + entry_bonus·[entry = c] + gift_c
         − [compares]·β_p·(p_c − min p)/ref + ε_c.
   Someone who knows no brand searches an open marketplace with a probability.
2. **Shelf.** At the venue she sees the brands she knows that are listed there and — on
   an open channel (开架) — brands the search page shows (organic visibility, search
   ads). She picks among them and "not now":
   U_b = β_att·a_b + β_q·q_b − β_p·(p_bc − coupons − gift − ref)/ref + ε_b, U_0 = u_0 + ε_0.

Rivals therefore intercept traffic only on open shelves: a closed private domain's
sales do not depend on rivals' search ads (DESIGN §8.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.schema import Behaviour
from ..population import NO_ONE, Population, Stage
from .signals import WECHAT_SEEDED, Source

__all__ = ["MarketDay", "Purchases", "need_today", "shop"]


@dataclass(frozen=True)
class MarketDay:
    """Per brand (B) × channel (C) terms of trade on one day."""

    day: int
    listed: np.ndarray        # (B, C) bool, listed on a transacting channel
    price: np.ndarray         # (B, C) price charged per unit (¥)
    effective: np.ndarray     # (B, C) price − platform coupon (¥)
    coupon: np.ndarray        # (B, C) platform coupon per order (¥)
    funded: np.ndarray        # (C,) share of the platform coupon the brand pays
    promo: np.ndarray         # (B, C) a promotion or coupon runs
    comparable: np.ndarray    # (B,) prices can be compared across channels
    quality: np.ndarray       # (B,)
    visibility: np.ndarray    # (B, C) organic search-page visibility
    pd_coupon: np.ndarray     # (B,) private-domain coupon for followers on WeChat (¥)
    routing: np.ndarray       # (B,) Double 11 routing to the marketplace active today
    gift: np.ndarray          # (B,) routing gift (¥)
    search_clicks: np.ndarray  # (B, C) search-ad clicks bought today (agents)
    trust_yuan: np.ndarray    # (C,)
    open_search: np.ndarray   # (C,) bool
    marketplace: np.ndarray   # (C,) bool, open marketplace role
    social: int               # WeChat channel code, -1 if none
    ref_price: float


@dataclass(frozen=True)
class Purchases:
    """Today's orders (one row per order) and shop traffic."""

    who: np.ndarray
    brand: np.ndarray
    channel: np.ndarray
    units: np.ndarray
    price: np.ndarray        # per unit (¥)
    coupon: np.ndarray       # brand-funded coupon per order (¥)
    gift: np.ndarray         # routing gift per order (¥)
    source: np.ndarray
    referrer: np.ndarray
    traffic: np.ndarray      # (B, C) visits where the brand was on offer
    clicks: np.ndarray       # (B, C) search-ad clicks delivered
    searched: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (who, brand, channel, clicked) seen via search


def need_today(pop: Population, day: int, boost: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Consumers with a category need today.

    Notes
    -----
    Stock at home suppresses need; on the day it runs out the need is certain
    (replenishment); after that needs arrive at the segment's daily rate × ``boost``
    (platform event days; promotions of brands the consumer knows).
    """
    rate = pop.need_rate * boost
    out_of_stock = pop.stock_until <= day
    arrive = rng.random(pop.n) < rate
    return np.flatnonzero(out_of_stock & (arrive | (pop.stock_until == day)))


def _gumbel(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return -np.log(-np.log(rng.random(shape)))


def _venues(who: np.ndarray, att: np.ndarray, aware: np.ndarray, beta: np.ndarray, md: MarketDay,
            pop: Population, beh: Behaviour, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Target brand, venue channel and routed flag per shopper (venue -1: stays home)."""
    S, C = len(who), md.listed.shape[1]
    target = np.where(aware, att, -1.0).argmax(1)
    has_target = aware.any(1)
    entry = pop.entry[who, target].astype(np.int64)
    destination, routed = _routing(who, target, entry, md, pop)
    entry = np.where(routed, destination, entry)
    cols = np.arange(C)
    v = beta[:, None] * md.trust_yuan[None, :] / md.ref_price
    v = v + np.where(md.marketplace, pop.param("tmall_habit", who)[:, None], 0.0)
    v = v + beh.entry_bonus * (entry[:, None] == cols[None, :])
    v = v + np.where(routed[:, None] & md.marketplace[None, :], beta[:, None] * md.gift[target][:, None] / md.ref_price, 0.0)
    compares = (rng.random(S) < pop.param("compare_prob", who)) & md.comparable[target]
    eff, listed = md.effective[target], md.listed[target]
    gap = np.where(listed, eff - np.where(listed, eff, np.inf).min(axis=1, keepdims=True), 0.0)
    v = v - np.where(compares[:, None], beta[:, None] * gap / md.ref_price, 0.0)
    v = np.where(listed, v + _gumbel(rng, (S, C)), -np.inf)
    venue = np.where(has_target, v.argmax(1), _search_venue(S, md, beh, rng))
    return target, venue, routed & has_target & (venue == destination)


#: Source code + 1 (so 'none', −1, is row 0) → seeded by WeChat; a lookup beats np.isin on small arrays.
_WECHAT_SEEDED_MASK = np.isin(np.arange(-1, len(Source)), WECHAT_SEEDED)


def _routing(who: np.ndarray, target: np.ndarray, entry: np.ndarray, md: MarketDay, pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Double 11 routing (the HFP play): shoppers brought by the brand's WeChat pushes,
    1:1 touches or group deals are sent to its first marketplace listing, with a gift."""
    market_listed = md.listed[target] & md.marketplace[None, :]
    destination = market_listed.argmax(1)
    wechat_seeded = _WECHAT_SEEDED_MASK[pop.source[who, target] + 1]
    routed = md.routing[target] & wechat_seeded & market_listed.any(1)
    return destination, routed


def _search_venue(S: int, md: MarketDay, beh: Behaviour, rng: np.random.Generator) -> np.ndarray:
    """Category search by shoppers who know no brand: a random open marketplace, or home."""
    open_codes = np.flatnonzero(md.open_search & md.marketplace)
    if len(open_codes) == 0:
        return np.full(S, NO_ONE)
    pick = open_codes[rng.integers(len(open_codes), size=S)]
    return np.where(rng.random(S) < beh.category_search_prob, pick, NO_ONE)


def _shelf(venue: np.ndarray, aware: np.ndarray, md: MarketDay, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which brands each shopper sees at her venue: known ones, plus search-page ones."""
    S, B = aware.shape
    v = np.maximum(venue, 0)
    listed = md.listed[:, v].T & (venue >= 0)[:, None]
    organic = md.open_search[v][:, None] & (rng.random((S, B)) < md.visibility[:, v].T)
    clicked = np.zeros((S, B), bool)
    for b, c in zip(*np.nonzero(md.search_clicks)):
        visitors = np.flatnonzero((venue == c) & listed[:, b])
        k = min(len(visitors), int(md.search_clicks[b, c]))
        clicked[rng.choice(visitors, size=k, replace=False), b] = True
    shown = listed & (organic | clicked)
    return listed & (aware | shown), shown & ~aware, clicked


def shop(who: np.ndarray, md: MarketDay, pop: Population, beh: Behaviour, rng: np.random.Generator) -> Purchases:
    """Run today's shopping trips for consumers ``who`` (those with a need)."""
    att = pop.attitude_now(who, md.day)
    aware = pop.stage[who] >= Stage.AWARE
    beta = pop.param("price_sensitivity", who)
    target, venue, routed = _venues(who, att, aware, beta, md, pop, beh, rng)
    offered, found, clicked = _shelf(venue, aware, md, rng)
    att = np.where(found, 1.0 - np.exp(-beh.search_strength), att)
    att = np.where(clicked, att + (1.0 - att) * (1.0 - np.exp(-beh.search_click_strength)), att)
    pick = _pick(who, att, offered, venue, target, routed, beta, md, pop, beh, rng)
    return _orders(who, pick, venue, target, routed, offered, found, clicked, md, pop, rng)


def _pick(who, att, offered, venue, target, routed, beta, md: MarketDay, pop: Population,
          beh: Behaviour, rng: np.random.Generator) -> np.ndarray:
    """Index of the chosen brand per shopper, or B for 'not now'."""
    S, B = offered.shape
    v = np.maximum(venue, 0)
    pay = md.effective[:, v].T - _coupon_extra(who, v, md, pop)
    pay = pay - np.where(routed[:, None] & (np.arange(B)[None, :] == target[:, None]), md.gift[target][:, None], 0.0)
    u = beh.beta_attitude * att + beh.beta_quality * md.quality[None, :] - beta[:, None] * (pay - md.ref_price) / md.ref_price
    u = np.where(offered, u, -np.inf)
    u = np.concatenate([u, np.full((S, 1), beh.outside_utility)], axis=1) + _gumbel(rng, (S, B + 1))
    return u.argmax(1)


def _coupon_extra(who: np.ndarray, venue: np.ndarray, md: MarketDay, pop: Population) -> np.ndarray:
    """(S, B) private-domain coupon for followers shopping on WeChat."""
    on_social = (venue == md.social)[:, None]
    return np.where(on_social & pop.follower[who], md.pd_coupon[None, :], 0.0)


def _orders(who, pick, venue, target, routed, offered, found, clicked, md: MarketDay,
            pop: Population, rng: np.random.Generator) -> Purchases:
    S, B = offered.shape
    bought = pick < B
    w, b, c = who[bought], pick[bought], venue[bought]
    promo = md.promo[b, c]
    units = 1 + np.where(promo, rng.poisson(pop.param("stockpile", w)), 0)
    via_search = found[bought, b]
    source = np.where(via_search, int(Source.SEARCH), pop.source[w, b])
    referrer = np.where(via_search, NO_ONE, pop.referrer[w, b])
    coupon = md.coupon[b, c] * md.funded[c] + _coupon_extra(w, c, md, pop)[np.arange(len(w)), b]
    gift = np.where(routed[bought] & (b == target[bought]), md.gift[b], 0.0)
    traffic = _count(B, md.listed.shape[1], np.nonzero(offered)[1], venue[np.nonzero(offered)[0]])
    clicks = _count(B, md.listed.shape[1], np.nonzero(clicked)[1], venue[np.nonzero(clicked)[0]])
    sw, sb = np.nonzero(found | clicked)
    return Purchases(w, b, c, units, md.price[b, c], np.minimum(coupon, md.price[b, c]), gift,
                     source.astype(np.int8), referrer.astype(np.int32), traffic, clicks,
                     (who[sw], sb, venue[sw], clicked[sw, sb]))


def _count(B: int, C: int, brand: np.ndarray, channel: np.ndarray) -> np.ndarray:
    out = np.zeros((B, C))
    np.add.at(out, (brand, channel), 1.0)
    return out
