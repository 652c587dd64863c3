"""Need and choice: who shops today, where, and what she buys (docs/MODEL.md §3.4–3.5).

Choice is a sequential (nested) logit, recorded in docs/MODEL.md:

1. **Venue.** A consumer with a need thinks of her target brand (the known brand with
   the highest attitude) and picks a transacting channel where it is listed:
   V_c = β_p·trust_c/R̄ + habit_c + entry_bonus·[entry = c] + gift_c
         − [compares]·β_p·(p_c − min p)/R̄ + ε_c,
   R̄ her category reference price (the mean of her reference prices of the brands).
   Someone who knows no brand searches an open marketplace with a probability.
2. **Shelf.** At the venue she sees the brands she knows that are listed there and — on
   an open channel (开架) — brands the search page shows (organic visibility, search
   ads). Whether she buys now (incidence) and which brand are two steps:
   A_b = β_att·a_b + β_q·q_b, x_b = (pay_b − R̄)/R̄ + η·G(pay_b − R_b)/R_b,
   G(g) = λ·g for a loss (g > 0), g for a gain, R_b her reference price of brand b,
   β_p her segment's price sensitivity × (1 + κ·D_b), D_b the brand's deal history;
   she buys with probability σ(log Σ_b exp(A_b − γ·β_p·x_b) − u_0) and then takes
   argmax_b A_b − β_p·x_b + ε_b. Afterwards every reference price of a brand she saw
   moves towards what it costs her: R_b ← R_b + w·(pay_b − R_b).

Rivals therefore intercept traffic only on open shelves: a closed private domain's
sales do not depend on rivals' search ads (the open_vs_closed check, docs/BEHAVIOURS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from .. import draws
from ..config.schema import Behaviour
from ..jit import njit
from ..population import NO_ONE, SegmentTable, Stage, decayed, decayed_rows
from .aftercare import Orders
from .signals import WECHAT_SEEDED, Source

__all__ = ["MarketDay", "MarketTerms", "DealTerms", "SegmentTerms", "segment_terms", "ChoiceTerms",
           "choice_terms", "DealWait", "Waiting", "Shoppers", "Trips", "Shelf", "Searched", "Traffic",
           "WECHAT_SEEDED_MASK", "need_boost", "Impulse", "shoppers_today", "shop", "category_reference", "price_cost",
           "buys_now", "update_reference"]


class MarketTerms(NamedTuple):
    """A day's terms of trade as the choice kernels read them, by name (:meth:`MarketDay.kernel_terms`)."""

    listed: np.ndarray         # (B, C) bool, listed on a transacting channel
    price: np.ndarray          # (B, C) price charged per unit (¥)
    effective: np.ndarray      # (B, C) price − platform coupon (¥)
    coupon: np.ndarray         # (B, C) platform coupon per order (¥)
    funded: np.ndarray         # (C,) share of the platform coupon the brand pays
    promo: np.ndarray          # (B, C) bool, a promotion or coupon runs
    comparable: np.ndarray     # (B,) bool, prices can be compared across channels
    quality: np.ndarray        # (B,)
    visibility: np.ndarray     # (B, C) organic search-page visibility
    pd_coupon: np.ndarray      # (B,) private-domain coupon for followers on WeChat (¥)
    routing: np.ndarray        # (B,) bool, Double 11 routing to the marketplace active today
    gift: np.ndarray           # (B,) routing gift (¥)
    search_clicks: np.ndarray  # (B, C) search-ad clicks bought today (agents)
    price_lift: np.ndarray     # (B,) 1 + κ·D_b
    trust_yuan: np.ndarray     # (C,) trust premium (¥)
    open_search: np.ndarray    # (C,) bool
    marketplace: np.ndarray    # (C,) bool, open marketplace role
    live: np.ndarray           # (C,) bool, livestream role
    social: int                # WeChat channel code, −1 if none


#: A MarketDay's :class:`MarketTerms` fields, as a plain tuple in their order (one C call).
_market_fields = attrgetter(*MarketTerms._fields)


class DealTerms(NamedTuple):
    """Per brand (B,) today: what its deal history teaches a need for it (docs/MODEL.md §3.4)."""

    wait_prob: np.ndarray  # ω·D_b: probability a need for it waits for its next deal
    wait_days: np.ndarray  # int64 days of that wait
    on_deal: np.ndarray    # bool, on deal today


@dataclass
class MarketDay:
    """Per brand (B) × channel (C) terms of trade on one day (read, never changed: not
    frozen only because a frozen dataclass's ``__init__`` sets its 21 fields through
    ``object.__setattr__``, ≈ 4 µs of a fast day at 10⁴ consumers)."""

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
    price_lift: np.ndarray    # (B,) 1 + κ·D_b: shoppers' price sensitivity to the brand, raised by its deal history
    deal_wait: DealTerms      # (B,) what a need for each brand waits for its next deal
    trust_yuan: np.ndarray    # (C,)
    open_search: np.ndarray   # (C,) bool
    marketplace: np.ndarray   # (C,) bool, open marketplace role
    live: np.ndarray          # (C,) bool, livestream role: a venue for her watchers and comparing shoppers only
    social: int               # WeChat channel code, -1 if none

    def kernel_terms(self) -> MarketTerms:
        """The terms :func:`shop` reads, by name (the fields of the same names)."""
        return MarketTerms._make(_market_fields(self))


class SegmentTerms(NamedTuple):
    """Per segment (G,) terms of the choice."""

    price_sensitivity: np.ndarray  # β_p: utility lost per one reference price of extra cost
    compare_prob: np.ndarray       # probability of comparing a brand's price across channels
    tmall_habit: np.ndarray        # utility of shopping on a marketplace
    stockpile: np.ndarray          # mean extra units bought on promotion


def segment_terms(segments: SegmentTable) -> SegmentTerms:
    """The :class:`SegmentTerms` of a population's ``segments``."""
    return SegmentTerms(segments.price_sensitivity, segments.compare_prob, segments.tmall_habit, segments.stockpile)


class ChoiceTerms(NamedTuple):
    """The behaviour terms of the choice and of reference prices (docs/MODEL.md §3.5), by name: flat, so
    that a plain ``tuple`` of it crosses into compiled code fast (:func:`~sim.market.consumers.consumer_day`)."""

    search_prob: float      # probability a shopper who knows no brand searches an open marketplace
    entry_bonus: float      # utility of the channel her exposure linked to
    beta_attitude: float    # β_att
    beta_quality: float     # β_q
    outside_utility: float  # u_0 of 'not now'
    search_strength: float  # attitude a search page gives a brand it shows: 1 − e^{−strength}
    click_strength: float   # lift of a search-ad click: 1 − e^{−strength} of what is left
    smoothing: float        # w: share a reference price moves towards the price seen, per trip
    reference_weight: float  # η: weight of the gain or loss against her reference price of the brand
    loss_aversion: float    # λ: a loss weighs λ times a gain
    category_weight: float  # γ: share of the price response that reaches incidence
    seeded: np.ndarray      # (len(Source) + 1,) bool: source code + 1 → seeded by WeChat (Double 11 routing)


def choice_terms(beh: Behaviour) -> ChoiceTerms:
    """The :class:`ChoiceTerms` of behaviour ``beh``."""
    return ChoiceTerms(beh.category_search_prob, beh.entry_bonus, beh.beta_attitude, beh.beta_quality,
                       beh.outside_utility, beh.search_strength, beh.search_click_strength, beh.reference_smoothing,
                       beh.reference_weight, beh.loss_aversion, beh.category_price_weight, WECHAT_SEEDED_MASK)


class DealWait(NamedTuple):
    """What a need reads to wait for her preferred brand's next deal (:func:`_awaits_deal`)."""

    awaited: np.ndarray       # (n,) int8 brand each consumer waits for (−1: none)
    await_end: np.ndarray     # (n,) int32 day her wait ends
    wait_prob: np.ndarray     # (B,) ω·D_b
    wait_days: np.ndarray     # (B,) days of the wait
    on_deal: np.ndarray       # (B,) bool, on deal today
    attitude: np.ndarray      # (n, B) float32 attitudes, as :func:`~sim.population.decayed` reads them
    attitude_day: np.ndarray  # (n, B) day each attitude was last written
    stage: np.ndarray         # (n, B) funnel stage
    factors: np.ndarray       # decay factor by age in days


class Waiting(NamedTuple):
    """Needs that wait: for a coming platform event's coupon, or for a brand's next deal."""

    wait_until: int     # day a coming event's coupon starts (> today), −1 if none
    wait_share: float   # share of the needs arriving before it that wait for it
    deal_on: bool       # needs may wait for a deal (a draw is spent on it only then)
    deals: DealWait


class Shoppers(NamedTuple):
    """Today's shoppers (S) as the choice kernels see them."""

    who: np.ndarray      # (S,) consumer
    att: np.ndarray      # (S, B) float32 attitudes, decayed to today
    aware: np.ndarray    # (S, B) bool, knows the brand (stage ≥ AWARE)
    beta: np.ndarray     # (S,) her segment's price sensitivity β_p
    habit: np.ndarray    # (S,) her segment's marketplace habit
    compares: np.ndarray  # (S,) bool, compares prices across channels today
    scale: np.ndarray    # (S,) category reference price R̄ (¥): yuan → utility


class Trips(NamedTuple):
    """Where today's shoppers (S) went and what their venue's shelf holds."""

    target: np.ndarray   # (S,) int64 target brand
    venue: np.ndarray    # (S,) int64 channel (−1: stayed home)
    routed: np.ndarray   # (S,) bool, Double 11 routing brought her to her venue
    here: np.ndarray     # (S, B) bool, listed at her venue
    organic: np.ndarray  # (S, B) bool, shown organically by her venue's search page


class Shelf(NamedTuple):
    """(S, B) what each shopper's shelf offers her."""

    offered: np.ndarray  # on offer: listed at her venue and known to her or shown by its search page
    found: np.ndarray    # shown by the search page and new to her
    clicked: np.ndarray  # she clicked its search ad


class Searched(NamedTuple):
    """The brands a search page showed, one row per (shopper, brand)."""

    who: np.ndarray
    brand: np.ndarray    # int64
    channel: np.ndarray  # int64
    clicked: np.ndarray  # bool


class Traffic(NamedTuple):
    """The day's traffic."""

    visits: np.ndarray  # (B, C) visits where the brand was on offer
    clicks: np.ndarray  # (B, C) search-ad clicks
    searched: Searched  # the brands search pages showed
    browsed: tuple      # (who, brand, channel) of the visits that did not end in buying the brand (:func:`_browsed`)


@njit
def need_boost(stage, promoting, event_boost, promo_need_boost):
    """Today's multiplier of need: the event boost, one value for all — or, while brands
    ``promoting`` run a promotion or platform coupon, one value each, × ``promo_need_boost``
    for a consumer who knows (stage ≥ AWARE) one of them. Read after today's exposures."""
    if len(promoting) == 0:
        return np.full(1, event_boost)
    n = stage.shape[0]
    boost = np.empty(n)
    for i in range(n):
        knows = False
        for b in promoting:
            knows |= stage[i, b] >= _AWARE
        boost[i] = event_boost * (promo_need_boost if knows else 1.0)
    return boost


class Impulse(NamedTuple):
    """When a strong exposure makes a consumer shop on impulse (docs/MODEL.md §3.4)."""

    threshold: np.float32  # attitude (float32, as attitudes) a brand exposed today must have reached
    prob: float            # probability that such an exposure makes her shop today if her next need falls within the window
    window_days: int       # days an impulse can pull her next need forward (:func:`_need_within`)


@njit
def shoppers_today(segment, need_rate, boost, stock_until, day, waiting, touched, attitude, impulse, h):
    """Consumers who shop today, sorted and distinct: a category need (:func:`_needing`),
    or an impulse after a strong exposure. ``waiting``: the needs that wait (:class:`Waiting`,
    :func:`_needing`).

    Stock at home suppresses need; on the day it runs out the need is certain
    (replenishment); after that needs arrive at the segment's daily rate × ``boost``
    (platform event days; promotions of brands the consumer knows: one value for all, or
    one each). A consumer whose attitude to a brand exposed today (``touched``: keys
    consumer · B + brand) reached ``impulse.threshold`` shops on impulse with
    ``impulse.prob`` × the chance that her next need falls within ``impulse.window_days``
    (:func:`_need_within`): an impulse only pulls that need forward. The needs stream
    (handle ``h``) draws a uniform per consumer, then one per strong exposure.
    """
    need = _needing(segment, need_rate, boost, stock_until, day, waiting, h)
    n_brands = attitude.shape[1]
    strong = np.empty(len(touched), np.int64)
    k = 0
    for key in touched:  # strong exposures, in key order: numpy compared float32 attitudes in float32
        i = key // n_brands  # one division a key: thousands of keys a day once word of mouth travels
        if attitude[i, key - i * n_brands] >= impulse.threshold:
            strong[k] = i
            k += 1
    strong = strong[:k]
    u = _uniforms(h, (k,))
    pulled = np.empty(k, np.bool_)
    each = boost.size == len(segment) and len(segment) > 1
    for j in range(k):
        # u ≥ prob cannot be below prob × a chance ≤ 1: most draws need no chance worked out
        pulled[j] = u[j] < impulse.prob
        if pulled[j]:
            i = strong[j]
            rate = need_rate[segment[i]] * (boost[i] if each else boost[0])
            pulled[j] = u[j] < impulse.prob * _need_within(stock_until[i] - day, rate, impulse.window_days)
    return _merge_sorted(need, strong[pulled])


@njit
def _need_within(stock_days: int, rate: float, window: int) -> float:
    """The chance that a consumer's next need falls within the next ``window`` days: certain
    if her stock runs out in ``stock_days`` ≤ ``window`` days (none if later); out of stock
    (``stock_days`` < 0), needs arrive at ``rate`` a day: 1 − (1 − rate)^window."""
    if stock_days >= 0:
        return 1.0 if stock_days <= window else 0.0
    return 1.0 - (1.0 - min(rate, 1.0)) ** window


#: Consumers whose need draws are drawn at once (a 512 KiB buffer, reused across the day).
_NEED_BLOCK = 1 << 16


@njit
def _needing(segment: np.ndarray, need_rate: np.ndarray, boost: np.ndarray, stock_until: np.ndarray, day: int,
             waiting: Waiting, h: np.ndarray) -> np.ndarray:
    """Consumers out of stock today whose stock ran out today or whose need arrives (a draw
    each, stocked or not, < her segment's daily rate × boost; ``boost`` holds one value for
    all or one per consumer).

    In the days before a platform event's coupon starts on day ``waiting.wait_until``
    (> ``day``; −1 otherwise), a need arriving with a draw < rate × ``waiting.wait_share``
    waits for it: her ``stock_until`` becomes that day, when her need is certain
    (:func:`_shops`). A need may first wait for her preferred brand's next deal
    (``waiting.deals``, as :func:`_awaits_deal` reads them); ``waiting.deal_on`` False
    skips it (no draw is spent on it)."""
    n = len(segment)
    draw = np.empty(min(n, _NEED_BLOCK))  # drawn a block at a time: the same stream, and no n-long array to fault in daily
    out = np.empty(n, np.int64)  # only the pages of the shoppers found are ever touched
    k = 0
    wait_until, wait_share = waiting.wait_until, waiting.wait_share
    waits = wait_until > day
    each = boost.size == n and n > 1  # a boost each (promotions): her segment's rate × hers
    rate = need_rate * boost[0]  # else one boost for all: a rate per segment
    for first in range(0, n, _NEED_BLOCK):
        block = draw[:min(_NEED_BLOCK, n - first)]
        draws.fill_random(h, block)
        if waiting.deal_on:  # first, as a need that waits moves her stock before she is seen to shop
            _await_deals(first, block, segment, need_rate, boost, rate, each, stock_until, day, waiting.deals)
        for j in range(len(block)):
            i = first + j
            out[k] = i  # written always, kept (k moves on) only if she shops: no branch to mispredict
            r = _need_rate(i, segment, need_rate, boost, rate, each)
            k += _shops(i, block[j], r, stock_until, day, waits, wait_until, wait_share)
    return out[:k]


@njit(inline="always")
def _need_rate(i: int, segment: np.ndarray, need_rate: np.ndarray, boost: np.ndarray, rate: np.ndarray,
               each: bool) -> float:
    """Consumer ``i``'s daily need rate: her segment's × her own boost when each has one
    (``each``), else her segment's entry of ``rate`` (the rates × the one boost for all)."""
    return need_rate[segment[i]] * boost[i] if each else rate[segment[i]]


@njit
def _await_deals(first: int, block: np.ndarray, segment: np.ndarray, need_rate: np.ndarray, boost: np.ndarray,
                 rate: np.ndarray, each: bool, stock_until: np.ndarray, day: int, deals: DealWait) -> None:
    """The deal-wait rule (:func:`_awaits_deal`) for consumers ``first`` … of one block of
    need draws, each with her rate as :func:`_needing` reads it; the rule touches only her
    own stock and wait, so the whole block can pass before any of it is seen to shop.

    Only a consumer who waits for a deal, or is out of stock with a need arriving, has
    anything to do there: a call for everyone cost 0.15 µs a consumer (numba counts
    references on the arrays a call takes), thirteen times the rest of the need stage."""
    awaited = deals.awaited
    for j in range(len(block)):
        i = first + j
        r = _need_rate(i, segment, need_rate, boost, rate, each)
        if _deal_wait_concerns(awaited[i], stock_until[i], day, block[j], r):
            _awaits_deal(i, block[j], r, stock_until, day, deals)


@njit(inline="always")
def _deal_wait_concerns(waiting_for: int, stock_until: int, day: int, draw: float, rate: float) -> bool:
    """Whether the deal-wait rule (:func:`_awaits_deal`) can change a consumer's day: she
    waits for a brand's deal (``waiting_for`` ≥ 0), or she is out of stock and a need
    arrives (``draw`` < ``rate``); stocked, replenishing today or without a need, it leaves her be."""
    return waiting_for >= 0 or (stock_until < day and draw < rate)


@njit
def _awaits_deal(i: int, draw: float, rate: float, stock_until: np.ndarray, day: int, deals: DealWait) -> None:
    """Consumer ``i``'s need and her preferred brand's next deal (docs/MODEL.md §3.4).

    ``deals`` (:class:`DealWait`): per consumer the brand she waits for (−1: none) and the
    day the wait ends; per brand ω·D_b, the wait (days) and whether it is on deal today;
    her attitudes, as :func:`~sim.population.decayed` reads them. A need arriving
    while she is out of stock (``draw`` < ``rate``) whose preferred brand b — the known
    brand with the highest attitude — is not on deal waits with ``draw`` < rate·ω·D_b:
    her ``stock_until`` moves to the wait's end. When b's deal comes first her need is
    certain that day; a purchase meanwhile (an impulse) moves her stock and ends the wait."""
    awaited, await_end = deals.awaited, deals.await_end
    b = awaited[i]
    if not _deal_wait_concerns(b, stock_until[i], day, draw, rate):
        return
    if b >= 0:
        if stock_until[i] == await_end[i] and stock_until[i] > day:
            if not deals.on_deal[b]:
                return
            stock_until[i] = day  # the deal came before the wait ended
        awaited[i] = NO_ONE
        return
    b = _preferred(deals.attitude, deals.attitude_day, deals.stage, i, day, deals.factors)
    if b >= 0 and draw < rate * deals.wait_prob[b]:
        stock_until[i] = await_end[i] = day + deals.wait_days[b]
        awaited[i] = b


@njit
def _preferred(attitude: np.ndarray, attitude_day: np.ndarray, stage: np.ndarray, i: int, day: int,
               factors: np.ndarray) -> int:
    """The known brand (stage ≥ AWARE) consumer ``i`` likes best on ``day`` (the highest
    decayed attitude), the first of equals; −1 if none."""
    best, best_attitude = -1, np.float32(0.0)
    for b in range(attitude.shape[1]):
        if stage[i, b] >= _AWARE:
            a = decayed(attitude[i, b], attitude_day[i, b], day, factors)
            if best < 0 or a > best_attitude:
                best, best_attitude = b, a
    return best


@njit
def _shops(i: int, draw: float, rate: float, stock_until: np.ndarray, day: int, waits: bool, wait_until: int,
           wait_share: float) -> bool:
    """Consumer ``i`` shops today: her stock runs out today, or she is out of stock and a
    need arrives (``draw`` < ``rate``) that does not wait for the coming event
    (``waits``: draw < rate × ``wait_share`` sets her ``stock_until`` to ``wait_until``)."""
    out_of_stock = stock_until[i] < day
    if waits and out_of_stock and draw < rate * wait_share:
        stock_until[i] = wait_until
        return False
    return (stock_until[i] == day) | (out_of_stock & (draw < rate))


@njit
def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distinct values of two ascending arrays, ascending (``np.union1d``)."""
    out = np.empty(len(a) + len(b), np.int64)
    i = j = k = 0
    while i < len(a) or j < len(b):
        x = a[i] if j == len(b) or (i < len(a) and a[i] <= b[j]) else b[j]
        if k == 0 or out[k - 1] != x:
            out[k] = x
            k += 1
        i += i < len(a) and a[i] == x
        j += j < len(b) and b[j] == x
    return out[:k]


@njit
def _gumbel(u: float) -> float:
    """Gumbel shock from a uniform draw."""
    return -np.log(-np.log(u))


@njit
def _argmax(x: np.ndarray) -> int:
    """np.argmax of a row: the first maximum (a NaN counts as the maximum)."""
    best = 0
    for j in range(1, len(x)):
        if x[j] > x[best] or (x[j] != x[j] and x[best] == x[best]):
            best = j
    return best


@njit
def _venue_kernel(shoppers, shock, search_pick, search_coin, entry_of, source_of, market, choice):
    """Per shopper: her target brand (the known brand with the highest attitude), her venue
    (argmax of V_c over the channels listing it, Gumbel shocks from ``shock`` (S, C); a
    livestream session only if she watched it — her entry, ``entry_of`` (n, B) — or
    compares prices) and whether Double 11 routing brought her there (``source_of``
    (n, B)). Shoppers who know no brand search an open marketplace with
    ``choice.search_prob`` (uniform ``search_coin``, channel ``search_pick``).
    ``shoppers.scale`` holds each shopper's category reference price (¥), which turns
    yuan into utility."""
    who, att, aware, beta, habit, compares, scale = (shoppers.who, shoppers.att, shoppers.aware, shoppers.beta,
                                                     shoppers.habit, shoppers.compares, shoppers.scale)
    listed, effective, trust, marketplace, live = (market.listed, market.effective, market.trust_yuan,
                                                   market.marketplace, market.live)
    S, B = att.shape
    C = listed.shape[1]
    open_codes = np.flatnonzero(market.open_search & marketplace)
    target = np.empty(S, np.int64)
    venue = np.empty(S, np.int64)
    routed_here = np.zeros(S, np.bool_)
    score = np.empty(B, np.float32)
    v = np.empty(C)
    for s in range(S):
        for b in range(B):
            score[b] = att[s, b] if aware[s, b] else -1.0
        t = _argmax(score)
        target[s] = t
        if score[t] < 0.0:  # she knows no brand (a known brand scores its attitude, ≥ 0)
            searches = len(open_codes) > 0 and search_coin[s] < choice.search_prob
            venue[s] = open_codes[search_pick[s]] if searches else NO_ONE
            continue
        destination, routed = _routing(source_of[who[s], t], listed, t, marketplace, market.routing[t], choice.seeded)
        entry = destination if routed else entry_of[who[s], t]
        cheapest = np.inf
        for c in range(C):
            if listed[t, c]:
                cheapest = min(cheapest, effective[t, c])
        compare = compares[s] and market.comparable[t]
        # Term by term, in this order: float sums are not associative and a seed's outputs must not change.
        for c in range(C):
            x = beta[s] * trust[c] / scale[s]
            x = x + (habit[s] if marketplace[c] else 0.0)
            x = x + choice.entry_bonus * (1.0 if entry == c else 0.0)
            x = x + (beta[s] * market.gift[t] / scale[s] if routed and marketplace[c] else 0.0)
            gap = effective[t, c] - cheapest if listed[t, c] else 0.0
            x = x - (beta[s] * gap / scale[s] if compare else 0.0)
            open_to_her = listed[t, c] and (compare or entry == c or not live[c])
            v[c] = x + _gumbel(shock[s, c]) if open_to_her else -np.inf
        venue[s] = _argmax(v)
        routed_here[s] = routed and venue[s] == destination
    return target, venue, routed_here


_AWARE = Stage.AWARE  # a plain int for the kernels
#: Source code + 1 (so 'none', −1, is row 0) → seeded by WeChat.
WECHAT_SEEDED_MASK = np.isin(np.arange(-1, len(Source)), WECHAT_SEEDED)


@njit
def _routing(source: int, listed: np.ndarray, brand: int, marketplace: np.ndarray, routing: bool,
             seeded: np.ndarray) -> tuple[int, bool]:
    """Double 11 routing (the HFP play) of one shopper to her target ``brand``: shoppers
    brought by its WeChat pushes, 1:1 touches or group deals are sent to its first
    marketplace listing (``listed``: (B, C)), with a gift. (destination channel — 0 if
    none —, routed). Takes the whole table: a row view costs reference counting."""
    for c in range(listed.shape[1]):
        if listed[brand, c] and marketplace[c]:
            return c, routing and seeded[source + 1]
    return 0, False


@njit
def _listed_here(venue, listed, open_search, visibility, draw):
    """(S, B) brands listed at each shopper's venue (none for those at home) and those
    the venue's search page shows organically (open shelves; ``draw`` < visibility)."""
    S, B = draw.shape
    here = np.zeros((S, B), np.bool_)
    organic = np.zeros((S, B), np.bool_)
    for s in range(S):
        c = max(venue[s], 0)
        for b in range(B):
            here[s, b] = listed[b, c] and venue[s] >= 0
            organic[s, b] = open_search[c] and draw[s, b] < visibility[b, c]
    return here, organic


@njit
def _on_offer(listed, organic, clicked, aware):
    """(S, B) brands on offer to each shopper — listed at her venue and known to her or
    shown by its search page (organically or by an ad click) — and those she found there."""
    shown = listed & (organic | clicked)
    return listed & (aware | shown), shown & ~aware


@njit
def _search_ad_clicks(h: np.ndarray, venue: np.ndarray, listed: np.ndarray, search_clicks: np.ndarray) -> np.ndarray:
    """(S, B) search-ad clicks: each ad's clicks (brand by brand, channel by channel) go to
    distinct visitors of its channel where the brand is listed (drawn as numpy's
    ``choice(visitors, k, replace=False)``)."""
    S, B = listed.shape
    clicked = np.zeros((S, B), np.bool_)
    for b in range(search_clicks.shape[0]):
        for c in range(search_clicks.shape[1]):
            if search_clicks[b, c] != 0:
                visitors = np.array([s for s in range(S) if venue[s] == c and listed[s, b]], np.int64)
                k = min(len(visitors), int(search_clicks[b, c]))
                for i in draws.sample(h, len(visitors), k):
                    clicked[visitors[i], b] = True
    return clicked


@njit
def shop(who, h, state, day, factors, segments, market, choice):
    """Today's shopping trips of consumers ``who`` (those with a need): the trips
    (:func:`_trips`), the search-ad clicks and the checkout (:func:`_checkout`), which
    also moves the shoppers' reference prices ``state.ref_price`` ((n, B) ¥, in place).

    ``state`` holds the population's arrays by name (``attitude``, ``attitude_day``,
    ``stage``, ``segment``, ``entry``, ``source``, ``referrer``, ``follower``,
    ``ref_price``: :class:`~sim.market.consumers.ConsumerState`), ``factors`` the attitude
    decay by age; ``segments`` (:class:`SegmentTerms`), ``market`` (:class:`MarketTerms`,
    the day's terms of trade and search-ad clicks) and ``choice`` (:class:`ChoiceTerms`)
    the terms. The draws come from the choice stream (handle ``h``) in this order: a
    compare-prices coin per shopper, the venue shocks (S, C), the category-search draws
    (when an open marketplace exists), the organic search-page draws (S, B), the ad
    clicks, the shelf shocks (S, B + 1) and a stock-up count per buyer.

    Returns today's :class:`~sim.market.aftercare.Orders` and :class:`Traffic`, with the visits that did not end
    in a purchase of the brand.
    """
    shoppers, trips = _trips(who, h, state, day, factors, segments, market, choice)
    clicked = _search_ad_clicks(h, trips.venue, trips.here, market.search_clicks)
    return _checkout(shoppers, trips, clicked, h, state, segments, market, choice)


@njit
def category_reference(ref_price: np.ndarray, who: np.ndarray) -> np.ndarray:
    """(S,) each shopper's category reference price R̄ (¥): the mean of her reference
    prices of the brands (``ref_price``: (n, B))."""
    out = np.empty(len(who))
    for s in range(len(who)):
        total = 0.0
        for b in range(ref_price.shape[1]):
            total += ref_price[who[s], b]
        out[s] = total / ref_price.shape[1]
    return out


@njit
def price_cost(pay: float, own_reference: float, category_reference: float, weight: float,
               loss_aversion: float) -> float:
    """x: what paying ``pay`` (¥) costs a shopper, in units of her price sensitivity β_p.

    x = (pay − R̄)/R̄ + η·G(pay − R_b)/R_b, with G(g) = λ·g for a loss (a price above her
    reference price R_b of the brand, g > 0) and g for a gain: the price level against
    her category reference R̄ plus the gain or loss against what she expects to pay for
    this brand, losses weighing λ times as much (Kalwani et al. 1990; Putler 1992).
    """
    gap = pay - own_reference
    felt = loss_aversion * gap if gap > 0.0 else gap
    return (pay - category_reference) / category_reference + weight * felt / own_reference


@njit
def _uniforms(h: np.ndarray, shape: tuple) -> np.ndarray:
    """``Generator.random(shape)`` drawn in a kernel."""
    out = np.empty(shape)
    flat = out.reshape(-1)
    for i in range(flat.size):
        flat[i] = draws.random(h)
    return out


@njit
def _trips(who, h, state, day, factors, segments, market, choice):
    """Each shopper's attitudes, known brands and price sensitivity (:class:`Shoppers`),
    then her target brand, venue and routing (:func:`_venue_kernel`) and the brands
    listed and organically shown at her venue (:func:`_listed_here`): :class:`Trips`."""
    S = len(who)
    C = market.listed.shape[1]
    att = decayed_rows(state.attitude, state.attitude_day, who, day, factors)
    aware = np.empty(att.shape, np.bool_)
    for s in range(S):
        for b in range(att.shape[1]):
            aware[s, b] = state.stage[who[s], b] >= _AWARE
    seg = state.segment[who]
    beta, habit, compare_p = segments.price_sensitivity[seg], segments.tmall_habit[seg], segments.compare_prob[seg]
    compares = _uniforms(h, (S,)) < compare_p
    shock = _uniforms(h, (S, C))
    n_open = 0
    for c in range(C):
        n_open += market.open_search[c] and market.marketplace[c]
    search_pick = np.empty(S if n_open else 0, np.int64)
    for s in range(len(search_pick)):
        search_pick[s] = draws.integer(h, n_open)
    search_coin = _uniforms(h, (len(search_pick),))
    shoppers = Shoppers(who, att, aware, beta, habit, compares, category_reference(state.ref_price, who))
    target, venue, routed = _venue_kernel(shoppers, shock, search_pick, search_coin, state.entry, state.source,
                                          market, choice)
    here, organic = _listed_here(venue, market.listed, market.open_search, market.visibility,
                                 _uniforms(h, aware.shape))
    return shoppers, Trips(target, venue, routed, here, organic)


@njit
def _checkout(shoppers, trips, clicked, h, state, segments, market, choice):
    """The shelf (:func:`_on_offer`, with the search-ad ``clicked`` (S, B)), the choice
    (:func:`_pick_kernel`) and today's orders (:func:`_order_rows`), one per buyer, with
    the traffic and clicks (:func:`_traffic`)."""
    who = shoppers.who
    S, B = shoppers.aware.shape
    offered, found = _on_offer(trips.here, trips.organic, clicked, shoppers.aware)
    shelf = Shelf(offered, found, clicked)
    pick = _pick_kernel(shoppers, trips, shelf, state.follower, state.ref_price, market, choice,
                        _uniforms(h, (S, B + 1)))
    bought = np.flatnonzero(pick < B)
    w = who[bought]
    # Every buyer draws, though only a promotion makes her stock up: the stream stays the same.
    stock_up = np.empty(len(w), np.int64)
    for k in range(len(w)):
        stock_up[k] = draws.poisson(h, segments.stockpile[state.segment[w[k]]])
    orders = _order_rows(w, bought, pick, stock_up, trips, found, state, market)
    return orders, _traffic(who, trips.venue, shelf, pick, market.listed.shape[1])


@njit
def _pick_kernel(shoppers, trips, shelf, follower, ref_price, market, choice, shock):
    """Shelf choice per shopper, after the search page lifts the attitudes it shows: buy
    now or not (:func:`buys_now`, uniform ``shock[s, B]``), then the brand, argmax of
    A_b − β_p·x_b + ε_b over the offered brands (Gumbel from ``shock[s, b]``); 'not now'
    is index B. β_p for brand b is her segment's × ``market.price_lift[b]`` (its deal
    history). Then the reference prices ``ref_price`` (n, B) of the brands she saw move
    (:func:`update_reference`); ``follower`` (n, B) gets the private-domain coupon on WeChat.
    """
    who, att, beta, scale = shoppers.who, shoppers.att, shoppers.beta, shoppers.scale
    venue, target, routed = trips.venue, trips.target, trips.routed
    offered, found, clicked = shelf.offered, shelf.found, shelf.clicked
    effective, pd_coupon, gift, quality, social, price_lift = (market.effective, market.pd_coupon, market.gift,
                                                               market.quality, market.social, market.price_lift)
    S, B = offered.shape
    found_att = 1.0 - np.exp(-choice.search_strength)
    click_lift = 1.0 - np.exp(-choice.click_strength)
    pick = np.empty(S, np.int64)
    u = np.empty(B)
    pays = np.empty(B)
    category_value = np.empty(B)
    for s in range(S):
        c = max(venue[s], 0)  # a shopper at home reads channel 0's terms; nothing is on offer to her
        for b in range(B):
            category_value[b] = -np.inf
            if not offered[s, b]:  # −∞ whatever the shock (the shock's draw was made all the same)
                u[b] = -np.inf
                continue
            a = found_att if found[s, b] else np.float64(att[s, b])
            if clicked[s, b]:
                a = a + (1.0 - a) * click_lift
            pay = effective[b, c] - _coupon_extra(c, follower[who[s], b], pd_coupon[b], social)
            pays[b] = pay - (gift[target[s]] if routed[s] and b == target[s] else 0.0)
            appeal = choice.beta_attitude * a + choice.beta_quality * quality[b]
            x = beta[s] * price_lift[b] * price_cost(pays[b], ref_price[who[s], b], scale[s], choice.reference_weight,
                                                     choice.loss_aversion)
            u[b] = appeal - x + _gumbel(shock[s, b])
            category_value[b] = appeal - choice.category_weight * x
        pick[s] = _argmax(u) if buys_now(category_value, choice.outside_utility, shock[s, B]) else B
        update_reference(ref_price, who[s], offered[s], pays, choice.smoothing)
    return pick


@njit
def buys_now(category_value: np.ndarray, outside_utility: float, draw: float) -> bool:
    """Incidence: buy in the category now with probability σ(log Σ_b exp(v_b) − u_0), the
    logit of the category's inclusive value against 'not now' (Bucklin & Gupta 1992);
    ``category_value`` v_b is −∞ for brands not on offer (none on offer: never)."""
    total = 0.0
    for v in category_value:
        total += np.exp(v - outside_utility)
    return draw * (1.0 + total) < total  # draw < total / (1 + total), without a division by zero


@njit
def update_reference(ref_price: np.ndarray, i: int, seen: np.ndarray, pays: np.ndarray, smoothing: float) -> None:
    """Consumer ``i``'s reference price of each brand she ``seen`` (on offer to her) moves
    towards what it cost her today: R ← R + w·(pay − R) (exponential smoothing, Kalyanaram
    & Winer 1995), kept in float32."""
    for b in range(len(seen)):
        if seen[b]:
            r = np.float64(ref_price[i, b])
            ref_price[i, b] = r + smoothing * (pays[b] - r)


@njit
def _coupon_extra(channel: int, follows: bool, pd_coupon: float, social: int) -> float:
    """Private-domain coupon (¥) for a follower shopping on WeChat."""
    return pd_coupon if channel == social and follows else 0.0


_SEARCH = int(Source.SEARCH)  # a plain int: numba does not unify an IntEnum with int8


@njit
def _order_rows(w, bought, pick, stock_up, trips, found, state, market):
    """One order per buyer ``w`` (row ``bought`` of the shoppers): brand, channel, units (1,
    plus ``stock_up`` on promotion), unit price, brand-funded coupon (platform share +
    private domain, at most the price), routing gift, and attribution (the search page if
    she ``found`` the brand there, else her last touch in ``state``): :class:`~sim.market.aftercare.Orders`."""
    n = len(bought)
    brand = np.empty(n, np.int64)
    channel = np.empty(n, np.int64)
    units = np.empty(n, np.int64)
    price = np.empty(n)
    paid = np.empty(n)
    gifted = np.empty(n)
    source = np.empty(n, np.int8)
    referrer = np.empty(n, np.int32)
    for k in range(n):
        s, b = bought[k], pick[bought[k]]
        c = trips.venue[s]
        brand[k], channel[k] = b, c
        units[k] = 1 + (stock_up[k] if market.promo[b, c] else 0)
        price[k] = market.price[b, c]
        x = market.coupon[b, c] * market.funded[c] + _coupon_extra(c, state.follower[w[k], b], market.pd_coupon[b],
                                                                    market.social)
        paid[k] = x if x <= price[k] or x != x else price[k]  # np.minimum: a NaN wins
        gifted[k] = market.gift[b] if trips.routed[s] and b == trips.target[s] else 0.0
        if found[s, b]:
            source[k], referrer[k] = _SEARCH, NO_ONE
        else:
            source[k], referrer[k] = state.source[w[k], b], state.referrer[w[k], b]
    return Orders(w, brand, channel, units, price, paid, gifted, source, referrer)


@njit
def _traffic(who, venue, shelf, pick, C):
    """The day's :class:`Traffic`: (B, C) visits where the brand was on offer, (B, C)
    search-ad clicks, who saw which brand on a search page (:class:`Searched`:
    :func:`~sim.market.attitude.fold_search` reads them), and the visits that did not end
    in buying the brand (:func:`_browsed`, from the shelf ``pick``)."""
    return Traffic(_count(shelf.offered, venue, C), _count(shelf.clicked, venue, C),
                   _searched(who, venue, shelf.found, shelf.clicked), _browsed(who, venue, shelf.offered, pick))


@njit
def _browsed(who, venue, offered, pick):
    """(who, brand, channel) of each visit without a purchase of the brand: a brand on offer
    to a shopper (its shop or detail page, counted in the traffic) that she did not pick,
    shopper by shopper; non-buyer capture on the detail page reads them."""
    not_bought = offered.copy()
    for s in range(len(pick)):
        if pick[s] < offered.shape[1]:
            not_bought[s, pick[s]] = False
    rows, brand = np.nonzero(not_bought)
    return who[rows], brand.astype(np.int64), venue[rows].astype(np.int64)


@njit
def _count(mask, venue, C):
    """(B, C) shoppers per brand and venue channel among the (shopper, brand) pairs in ``mask``."""
    S, B = mask.shape
    out = np.zeros((B, C))
    for s in range(S):
        for b in range(B):
            if mask[s, b]:
                out[b, venue[s]] += 1.0
    return out


@njit
def _searched(who, venue, found, clicked):
    """:class:`Searched`: (who, brand, channel, clicked) of the brands a search page showed, shopper by shopper."""
    S, B = found.shape
    n = 0
    for s in range(S):
        for b in range(B):
            if found[s, b] or clicked[s, b]:
                n += 1
    w = np.empty(n, who.dtype)
    brand = np.empty(n, np.int64)
    channel = np.empty(n, np.int64)
    click = np.empty(n, np.bool_)
    k = 0
    for s in range(S):
        for b in range(B):
            if found[s, b] or clicked[s, b]:
                w[k], brand[k], channel[k], click[k] = who[s], b, venue[s], clicked[s, b]
                k += 1
    return Searched(w, brand, channel, click)
