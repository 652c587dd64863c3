"""After purchase (docs/MODEL.md §3.6): satisfaction, sharing, private-domain capture,
repurchase scheduling and the money each order moves (commissions, fees, coupons).

A day has ~100 orders: one kernel (:func:`settle`, run by :mod:`sim.market.consumers`)
books their money (:func:`_order_money`) and updates the buyers' state
(:func:`_after_purchase`); :func:`reward_and_pool` does the rest in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import draws
from ..config.schema import Behaviour
from ..jit import njit
from ..ledger import add_by_source, add_grid, add_rows
from ..population import NO_ONE, Stage
from .referral import book_levels, in_upline, upline
from .signals import SharerPool, Source

__all__ = ["BrandTerms", "settle", "reward_and_pool", "ORDER_FIELDS"]

#: Ledger fields each order books, in the columns of :func:`_order_money`'s table.
ORDER_FIELDS = ("orders", "units", "revenue", "coupons", "gifts", "cogs", "platform_fees",
                "referral_commission", "leader_commission", "kol_commission")
_LEADER = ORDER_FIELDS.index("leader_commission")
# Plain ints, which kernels bake in when compiled (sim.jit drops stale caches when a code changes).
_WOM, _GROUP, _KOL = int(Source.WOM), int(Source.GROUP), int(Source.KOL)
_PURCHASED, _LOYAL = Stage.PURCHASED, Stage.LOYAL


@dataclass(frozen=True)
class BrandTerms:
    """Per-brand (B,) terms that orders are settled on, as of today."""

    unit_cost: np.ndarray
    quality: np.ndarray
    repurchase_days: np.ndarray
    capture: np.ndarray          # package-card capture rate on marketplaces
    levels: np.ndarray           # (B, REFERRAL_LEVELS) referral commission rates: sharer, her referrer, theirs
    leader_commission: np.ndarray
    take_rate: np.ndarray        # (C,)
    payment_fee: np.ndarray      # (C,)
    social: int
    on_social: np.ndarray        # (B,) bool, listed on the social channel
    kol_cps: dict[int, float]    # KOL uid → CPS rate
    kol_cps_channel: dict[int, int]  # streamer uid → the livestream channel her CPS is paid on (KOLs: any)
    leader_of: dict[int, object]  # leader uid → GroupLeader
    kol_cps_by_id: np.ndarray = field(init=False)  # ``kol_cps`` indexed by id (0.0: no KOL's id)
    kol_channel_by_id: np.ndarray = field(init=False)  # ``kol_cps_channel`` indexed by id (−1: any channel)

    def __post_init__(self) -> None:
        table = np.zeros(max(self.kol_cps, default=-1) + 1)
        channel = np.full(len(table), -1, np.int64)
        for kol_id, rate in self.kol_cps.items():
            table[kol_id] = rate
            channel[kol_id] = self.kol_cps_channel.get(kol_id, -1)
        object.__setattr__(self, "kol_cps_by_id", table)  # frozen: set once, here
        object.__setattr__(self, "kol_channel_by_id", channel)

    def cps(self, kol_id: int, channel: int) -> float:
        """The CPS rate KOL ``kol_id`` earns on an order on ``channel`` (a streamer: on her stream only)."""
        paid_on = self.kol_cps_channel.get(kol_id, channel)
        return self.kol_cps.get(kol_id, 0.0) if paid_on == channel else 0.0


def reward_and_pool(leader_uid: np.ndarray, pay: np.ndarray, happy: np.ndarray, happy_ends: np.ndarray,
                    warns: np.ndarray, warn_ends: np.ndarray, terms: BrandTerms, pools: list[SharerPool], day: int,
                    beh: Behaviour) -> None:
    """What :func:`settle` leaves to Python: each group leader earns her commission, order
    by order (``leader_uid``, ``pay``), and the satisfied join their brand's sharer pool
    for the share window while the disappointed will warn their contacts tomorrow."""
    for uid, amount in zip(leader_uid.tolist(), pay.tolist()):
        terms.leader_of[uid].earn(amount)
    for brand_code, pool in enumerate(pools):
        pool.add(happy[happy_ends[brand_code]:happy_ends[brand_code + 1]], day + beh.share_window_days)
        pool.warn(warns[warn_ends[brand_code]:warn_ends[brand_code + 1]])


@njit
def settle(books, orders, buyers, money_terms, buyer_terms, judging, day, n_pools, h):
    """Book today's orders and update the buyers' state: the orders' money into the day's
    books (:func:`_book_money`, which reads the referral tree before today's buyers join
    it), then the buyers (:func:`_after_purchase`, drawing from the after stream's handle
    ``h``). Returns the group leaders the orders pay (their ids, order by order) and what
    each order pays, and the satisfied and the warning buyers by brand
    (:func:`reward_and_pool` takes them on)."""
    books_day, by_source_day, cols, traffic_col, scale, tree_day = books
    who, brand, channel, units, price, coupon, gift, source, referrer, traffic = orders
    parent, purchases, stage, bought_on, last_channel, follower, stock_until, attitude = buyers
    unit_cost, take_rate, payment_fee, levels, leader_commission, kol_cps_by_id, kol_channel_by_id, social = money_terms
    on_social, capture, repurchase_days, quality = buyer_terms
    satisfaction_threshold, negative_wom_prob, satisfaction_noise = judging
    grouped, pay = _book_money(books_day, by_source_day, cols, traffic_col, traffic, brand, channel, units, price,
                               coupon, gift, source, referrer, parent, unit_cost, take_rate, payment_fee, levels,
                               leader_commission, kol_cps_by_id, kol_channel_by_id, social, scale, tree_day)
    happy, happy_ends, warns, warn_ends = _after_purchase(
        who, brand, channel, units, source, referrer, parent, purchases, stage, bought_on, last_channel, follower,
        stock_until, attitude, on_social, capture, repurchase_days, quality, social, day, satisfaction_threshold,
        negative_wom_prob, n_pools, h, satisfaction_noise)
    return referrer[grouped].astype(np.int64), pay, happy, happy_ends, warns, warn_ends


@njit
def _book_money(books_day, by_source_day, cols, traffic_col, traffic, brand, channel, units, price, coupon, gift,
                source, referrer, parent, unit_cost, take_rate, payment_fee, levels, leader_commission,
                kol_cps_by_id, kol_channel_by_id, social, scale, tree_day):
    """The orders' money (:func:`_order_money`) into the day's books row by row, the traffic
    grid × ``scale``, and ``scale`` orders per order by source; the referral levels into
    the day's tree record ``tree_day``. Returns the orders that pay a group leader and
    what each pays her."""
    money, grouped = _order_money(brand, channel, units, price, coupon, gift, source, referrer, parent, unit_cost,
                                  take_rate, payment_fee, levels, leader_commission, kol_cps_by_id,
                                  kol_channel_by_id, social, scale, tree_day)
    add_rows(books_day, brand, channel, cols, money)
    add_grid(books_day, traffic_col, traffic, scale)
    add_by_source(by_source_day, brand, channel, source, scale)
    pay = np.empty(len(grouped))
    for j in range(len(grouped)):
        pay[j] = money[grouped[j], _LEADER]
    return grouped, pay


@njit
def _order_money(brand, channel, units, price, coupon, gift, source, referrer, parent, unit_cost, take_rate,
                 payment_fee, levels, leader_commission, kol_cps_by_id, kol_channel_by_id, social, scale, tree_day):
    """The ledger amounts of each order (rows) in :data:`ORDER_FIELDS` (columns), × ``scale``;
    and the indices of the orders that pay a group leader. Orders through a shared link
    are booked by level in the tree record ``tree_day`` (:func:`~sim.market.referral.book_levels`).

    Notes
    -----
    Revenue is units × price; platform fees are (take rate + payment fee) × revenue.
    A shared WeChat link (WOM source, a referrer) pays its sharer ``levels[b, 0]`` × revenue
    (分佣), her referrer in the brand's tree ``levels[b, 1]`` × revenue and that one's referrer
    ``levels[b, 2]`` × revenue, each when there is one (:func:`~sim.market.referral.upline`). A
    group-leader order on WeChat pays the leader's commission; a KOL-sourced order pays
    the KOL's CPS rate (0 for a KOL no longer in the programme; a livestream streamer's
    only on her stream's channel, ``kol_channel_by_id``). Orders that owe nothing
    in a field carry 0.0 there, which leaves a ledger cell unchanged bit for bit.
    """
    money = np.zeros((len(brand), len(ORDER_FIELDS)))
    grouped = np.empty(len(brand), np.int64)
    n_grouped = 0
    for k in range(len(brand)):
        b, c, src, ref = brand[k], channel[k], source[k], referrer[k]
        revenue = units[k] * price[k]
        linked = src == _WOM and c == social and ref != NO_ONE
        # parent is read before today's buyers join the referral tree (_after_purchase)
        second = third = NO_ONE
        if linked:
            second, third = upline(parent, ref, b)
        level_1 = levels[b, 0] * revenue if linked else 0.0
        level_2 = levels[b, 1] * revenue if second != NO_ONE else 0.0
        level_3 = levels[b, 2] * revenue if third != NO_ONE else 0.0
        if linked:
            book_levels(tree_day, b, (level_1, level_2, level_3), (True, second != NO_ONE, third != NO_ONE), scale)
        leader = src == _GROUP and c == social and ref != NO_ONE
        kol = src == _KOL and ref != NO_ONE
        known = kol and ref < len(kol_cps_by_id)
        anywhere = known and (kol_channel_by_id[ref] < 0 or kol_channel_by_id[ref] == c)
        cps = kol_cps_by_id[ref] if anywhere else 0.0  # BrandTerms.cps(ref, c)
        row = money[k]  # in ORDER_FIELDS' order; each product in the numpy version's order
        row[0], row[1], row[2] = 1.0 * scale, units[k] * scale, revenue * scale       # orders, units, revenue
        row[3], row[4], row[5] = coupon[k] * scale, gift[k] * scale, units[k] * unit_cost[b] * scale  # …, cogs
        row[6] = revenue * (take_rate[c] + payment_fee[c]) * scale                   # platform fees
        row[7] = (level_1 + level_2 + level_3) * scale                               # referral
        row[8] = (leader_commission[b] * revenue if leader else 0.0) * scale         # leader
        row[9] = cps * revenue * scale if kol else 0.0                               # KOL CPS
        if leader:
            grouped[n_grouped] = k
            n_grouped += 1
    return money, grouped[:n_grouped]


@njit
def _after_purchase(who, brand, channel, units, source, referrer, parent, purchases, stage, bought_on, last_channel,
                    follower, stock_until, attitude, on_social, capture, repurchase_days, quality, social, day,
                    satisfaction_threshold, negative_wom_prob, n_pools, h, satisfaction_noise):
    """Update the buyers' state after their orders; return who shares and who warns, by brand.

    Each buyer (one order each: a shopper buys once a day) joins the brand's referral
    tree under the sharer of her first shared WeChat link, unless she stands above the
    sharer already (:func:`~sim.market.referral.in_upline`: trees have no cycles), counts the purchase (stage PURCHASED, LOYAL on
    a repeat), records the channel, may be captured into the brand's private domain
    (always on WeChat, else when ``capture_draw`` < the package-card rate; only for a
    brand with a WeChat shop), stocks up for units × repurchase days × ``spread`` days,
    and judges the product: quality + ``noise`` above the threshold makes her a sharer
    for the share window; else her attitude halves and she warns her contacts when
    ``warn_draw`` < ``negative_wom_prob``.

    The draws (stream handle ``h``) come in blocks of one per buyer, in this order: the
    capture draw, the stock spread (uniform 0.8–1.2), the satisfaction noise (normal,
    sd ``satisfaction_noise``), the warning draw.

    Returns
    -------
    happy, happy_ends, warns, warn_ends : ndarray
        The satisfied (warning) buyers of brand b are ``happy[happy_ends[b]:happy_ends[b + 1]]``
        (likewise for warns), in order.
    """
    n = len(who)
    capture_draw, spread, noise, warn_draw = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for k in range(n):
        capture_draw[k] = draws.random(h)
    for k in range(n):
        spread[k] = draws.uniform(h, 0.8, 1.2)
    for k in range(n):
        noise[k] = draws.normal(h, 0.0, satisfaction_noise)
    for k in range(n):
        warn_draw[k] = draws.random(h)
    happy, warns = np.empty(n, np.bool_), np.empty(n, np.bool_)
    for k in range(n):
        w, b, c = who[k], brand[k], channel[k]
        ref = referrer[k]
        if source[k] == _WOM and c == social and ref != NO_ONE and parent[w, b] == NO_ONE and not in_upline(parent, ref, w, b):
            parent[w, b] = ref
        stage[w, b] = max(stage[w, b], _LOYAL if purchases[w, b] > 0 else _PURCHASED)
        purchases[w, b] += 1
        bought_on[w, b] |= np.uint32(1) << np.uint32(c)
        last_channel[w, b] = c
        if on_social[b] and (c == social or capture_draw[k] < capture[b]):
            follower[w, b] = True
        stock_until[w] = day + np.int32(max(1.0, np.rint(units[k] * repurchase_days[b] * spread[k])))
        happy[k] = quality[b] + noise[k] > satisfaction_threshold
        warns[k] = not happy[k] and warn_draw[k] < negative_wom_prob
        if not happy[k]:
            attitude[w, b] *= np.float32(0.5)  # a disappointing product halves the buyer's own attitude
    return _by_brand(who, brand, happy, n_pools) + _by_brand(who, brand, warns, n_pools)


@njit
def _by_brand(who, brand, chosen, n_brands):
    """The ``chosen`` buyers of brands 0..n_brands−1 as int32, grouped by brand (in order
    within a brand), and the end of each brand's group."""
    ends = np.zeros(n_brands + 1, np.int64)
    for k in range(len(who)):
        if chosen[k] and brand[k] < n_brands:
            ends[brand[k] + 1] += 1
    ends = np.cumsum(ends)
    nodes, filled = np.empty(ends[-1], np.int32), ends[:-1].copy()
    for k in range(len(who)):
        if chosen[k] and brand[k] < n_brands:
            nodes[filled[brand[k]]] = who[k]
            filled[brand[k]] += 1
    return nodes, ends
