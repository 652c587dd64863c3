"""After purchase (docs/MODEL.md §3.6): satisfaction, sharing, private-domain capture,
repurchase scheduling and the money each order moves (commissions, fees, coupons).

A day has ~100 orders: one kernel (:func:`settle`, run by :mod:`sim.market.consumers`)
books their money (:func:`_order_money`) and updates the buyers' state
(:func:`_after_purchase`); :func:`reward_and_pool` does the rest in Python.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .. import draws
from ..config.schema import Behaviour
from ..jit import njit
from ..ledger import add_by_source, add_grid, add_rows
from ..population import NO_ONE, Stage
from .referral import book_levels, in_upline, upline
from .signals import SharerPool, Source

__all__ = ["BrandTerms", "MoneyTerms", "BuyerTerms", "DayBooks", "Orders", "Buyers", "Judging", "judging", "settle",
           "reward_and_pool", "ORDER_FIELDS"]

#: Ledger fields each order books, in the columns of :func:`_order_money`'s table.
ORDER_FIELDS = ("orders", "units", "revenue", "coupons", "gifts", "cogs", "platform_fees",
                "referral_commission", "leader_commission", "kol_commission")
_LEADER = ORDER_FIELDS.index("leader_commission")
# Plain ints, which kernels bake in when compiled (sim.jit drops stale caches when a code changes).
_WOM, _GROUP, _KOL = int(Source.WOM), int(Source.GROUP), int(Source.KOL)
_PURCHASED, _LOYAL = Stage.PURCHASED, Stage.LOYAL


class MoneyTerms(NamedTuple):
    """What an order's money is booked on (:func:`_order_money`'s named terms)."""

    unit_cost: np.ndarray          # (B,) yuan per unit
    take_rate: np.ndarray          # (C,) platform commission, share of revenue
    payment_fee: np.ndarray        # (C,) payment processing, share of revenue
    levels: np.ndarray             # (B, REFERRAL_LEVELS) referral commission rates by level
    leader_commission: np.ndarray  # (B,) group-leader commission, share of revenue
    kol_cps_by_id: np.ndarray      # KOL CPS rate by id (0.0: no KOL's id)
    kol_channel_by_id: np.ndarray  # channel a streamer's CPS is paid on, by id (−1: any)
    social: int                    # WeChat channel code (−1: none)


class BuyerTerms(NamedTuple):
    """Per-brand (B,) terms a buyer's state is updated on (:func:`_after_purchase`)."""

    on_social: np.ndarray        # bool, listed on the social channel
    capture: np.ndarray          # package-card capture rate on marketplaces
    repurchase_days: np.ndarray  # days one unit lasts
    quality: np.ndarray          # product quality


class DayBooks(NamedTuple):
    """The ledger's records of the day that orders are booked into, in place."""

    books: np.ndarray      # (B, C, fields) money and counts of the day
    by_source: np.ndarray  # (B, C, sources) orders by the source of the sale
    cols: np.ndarray       # the book columns of :data:`ORDER_FIELDS`
    traffic_col: int       # the book column of traffic
    scale: float           # real consumers per agent
    referrals: np.ndarray  # the day's referral-tree record (:func:`~sim.market.referral.book_levels`)


class Orders(NamedTuple):
    """Today's orders as aligned columns, one row per order (a buyer orders once a day)."""

    who: np.ndarray       # buyer
    brand: np.ndarray     # brand code
    channel: np.ndarray   # channel code
    units: np.ndarray     # units bought
    price: np.ndarray     # yuan per unit on the shelf
    coupon: np.ndarray    # yuan off the order
    gift: np.ndarray      # yuan of gifts with the order
    source: np.ndarray    # :class:`~sim.market.signals.Source` of the sale
    referrer: np.ndarray  # who brought it (−1: no one)


class Buyers(NamedTuple):
    """The population's arrays :func:`_after_purchase` updates, in place."""

    parent: np.ndarray        # (n, B) referral-tree parent (−1: a root)
    purchases: np.ndarray     # (n, B) orders so far
    stage: np.ndarray         # (n, B) funnel stage
    bought_on: np.ndarray     # (n, B) bit mask of the channels bought on
    last_channel: np.ndarray  # (n, B) channel of the last order
    follower: np.ndarray      # (n, B) bool, in the brand's private domain
    stock_until: np.ndarray   # (n,) day her stock runs out
    attitude: np.ndarray      # (n, B) float32 ad-stock
    paid: np.ndarray          # (n, B) unit price last paid, net of coupons
    paid_day: np.ndarray      # (n, B) day of that price


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

    @functools.cached_property
    def money(self) -> MoneyTerms:
        """The terms :func:`settle` books money on."""
        return MoneyTerms(self.unit_cost, self.take_rate, self.payment_fee, self.levels, self.leader_commission,
                          self.kol_cps_by_id, self.kol_channel_by_id, self.social)

    @functools.cached_property
    def buyers(self) -> BuyerTerms:
        """The terms :func:`settle` updates buyers on."""
        return BuyerTerms(self.on_social, self.capture, self.repurchase_days, self.quality)

    def cps(self, kol_id: int, channel: int) -> float:
        """The CPS rate KOL ``kol_id`` earns on an order on ``channel`` (a streamer: on her stream only)."""
        paid_on = self.kol_cps_channel.get(kol_id, channel)
        return self.kol_cps.get(kol_id, 0.0) if paid_on == channel else 0.0


class Judging(NamedTuple):
    """How buyers judge their purchase (the kernel's named terms): what makes a detractor.

    A detractor is a buyer let down by the product (quality + noise ≤ ``threshold``), by a
    late delivery (probability ``late_prob``) or by hearing that the contact she asks — one
    tie of her row of the graph (``indptr``, ``indices``) — paid at least ``regret_share``
    less for the brand within ``regret_days`` (the price-parity link).
    """

    threshold: float         # experienced quality above which the product satisfies
    noise: float             # s.d. of experienced quality around the product's quality
    warn_prob: float         # probability a detractor warns her contacts
    detractor_factor: float  # a detractor's own attitude is multiplied by this
    late_prob: float         # probability an order arrives late
    regret_share: float      # the friend paid at least this share less …
    regret_days: int         # … within this many days
    indptr: np.ndarray       # (n + 1,) the social graph's CSR rows
    indices: np.ndarray      # contacts


def judging(beh: Behaviour, indptr: np.ndarray, indices: np.ndarray) -> Judging:
    """The :class:`Judging` terms of behaviour ``beh`` on the graph (``indptr``, ``indices``)."""
    return Judging(beh.satisfaction_threshold, beh.satisfaction_noise, beh.negative_wom_prob,
                   beh.detractor_attitude_factor, beh.late_delivery_prob, beh.price_regret_share,
                   beh.price_regret_days, indptr, indices)


def reward_and_pool(leader_uid: np.ndarray, pay: np.ndarray, happy: np.ndarray, happy_ends: np.ndarray,
                    warns: np.ndarray, warn_ends: np.ndarray, terms: BrandTerms, pools: list[SharerPool], day: int,
                    beh: Behaviour) -> None:
    """What :func:`settle` leaves to Python: each group leader earns her commission, order
    by order (``leader_uid``, ``pay``), and the satisfied join their brand's sharer pool
    for the share window while the disappointed will warn their contacts tomorrow."""
    for uid, amount in zip(leader_uid.tolist(), pay.tolist()):
        terms.leader_of[uid].earn(amount)
    until = day + beh.share_window_days
    happy_ends, warn_ends = happy_ends.tolist(), warn_ends.tolist()  # Python ints: no numpy scalar per slice
    for brand_code, pool in enumerate(pools):
        pool.add(happy[happy_ends[brand_code]:happy_ends[brand_code + 1]], until)
        pool.warn(warns[warn_ends[brand_code]:warn_ends[brand_code + 1]])


@njit
def settle(books, orders, traffic, buyers, money, buyer_terms, judging, day, n_pools, h):
    """Book today's ``orders`` (:class:`Orders`) and update the ``buyers`` (:class:`Buyers`):
    the orders' money into the :class:`DayBooks` ``books`` (:func:`_book_money`, which
    reads the referral tree before today's buyers join it; ``traffic`` the (B, C) visits
    of the day), then the buyers (:func:`_after_purchase`, drawing from the after stream's
    handle ``h``) on day ``day``. ``money`` and ``buyer_terms`` are :attr:`BrandTerms.money` and
    :attr:`BrandTerms.buyers`, ``judging`` a :class:`Judging`. Returns the group leaders
    the orders pay (their ids, order by order) and what each order pays, the satisfied
    and the warning buyers by brand (:func:`reward_and_pool` takes them on) and the number
    of detractors each brand made today."""
    grouped, pay = _book_money(books, orders, traffic, buyers.parent, money)
    happy, happy_ends, warns, warn_ends, detractors = _after_purchase(orders, buyers, buyer_terms, money.social, day,
                                                                      judging, n_pools, h)
    return orders.referrer[grouped].astype(np.int64), pay, happy, happy_ends, warns, warn_ends, detractors


@njit
def _book_money(books, orders, traffic, parent, money):
    """The ``orders``' money (:func:`_order_money`) into the day's books row by row, the
    ``traffic`` grid × scale, and scale orders per order by source; the referral levels
    into the day's tree record. Returns the orders that pay a group leader and what each
    pays her."""
    money_rows, grouped = _order_money(orders, parent, money, books.scale, books.referrals)
    add_rows(books.books, orders.brand, orders.channel, books.cols, money_rows)
    add_grid(books.books, books.traffic_col, traffic, books.scale)
    add_by_source(books.by_source, orders.brand, orders.channel, orders.source, books.scale)
    pay = np.empty(len(grouped))
    for j in range(len(grouped)):
        pay[j] = money_rows[grouped[j], _LEADER]
    return grouped, pay


@njit
def _order_money(orders, parent, money, scale, tree_day):
    """The ledger amounts of each of the ``orders`` (rows) in :data:`ORDER_FIELDS`
    (columns), × ``scale``, on the :class:`MoneyTerms` ``money``; and the indices of the
    orders that pay a group leader. Orders through a shared link are booked by level in
    the tree record ``tree_day`` (:func:`~sim.market.referral.book_levels`); ``parent`` is
    the (n, B) referral tree.

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
    brand, channel, units, price, source, referrer = (orders.brand, orders.channel, orders.units, orders.price,
                                                      orders.source, orders.referrer)
    levels, social, kol_cps_by_id, kol_channel_by_id = money.levels, money.social, money.kol_cps_by_id, \
        money.kol_channel_by_id
    rows = np.zeros((len(brand), len(ORDER_FIELDS)))
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
        row = rows[k]  # in ORDER_FIELDS' order; each product in the numpy version's order
        row[0], row[1], row[2] = 1.0 * scale, units[k] * scale, revenue * scale       # orders, units, revenue
        row[3], row[4] = orders.coupon[k] * scale, orders.gift[k] * scale            # coupons, gifts
        row[5] = units[k] * money.unit_cost[b] * scale                               # cogs
        row[6] = revenue * (money.take_rate[c] + money.payment_fee[c]) * scale       # platform fees
        row[7] = (level_1 + level_2 + level_3) * scale                               # referral
        row[8] = (money.leader_commission[b] * revenue if leader else 0.0) * scale   # leader
        row[9] = cps * revenue * scale if kol else 0.0                               # KOL CPS
        if leader:
            grouped[n_grouped] = k
            n_grouped += 1
    return rows, grouped[:n_grouped]


@njit
def _after_purchase(orders, buyers, buyer_terms, social, day, judging, n_pools, h):
    """Update the :class:`Buyers` after their :class:`Orders` of the day; return who shares
    and who warns, by brand, and how many detractors each brand made. ``buyer_terms`` are
    :class:`BuyerTerms`, ``social`` the WeChat channel's code (−1: none), ``day`` today,
    ``judging`` a :class:`Judging`.

    Each buyer (one order each: a shopper buys once a day) joins the brand's referral
    tree under the sharer of her first shared WeChat link, unless she stands above the
    sharer already (:func:`~sim.market.referral.in_upline`: trees have no cycles), counts
    the purchase (stage PURCHASED, LOYAL on
    a repeat), records the channel and the unit price she paid net of coupons, may be
    captured into the brand's private domain (always on WeChat, else when
    ``capture_draw`` < the package-card rate; only for a brand with a WeChat shop), stocks
    up for units × repurchase days × ``spread`` days, and judges the purchase
    (:func:`_detractor`): satisfied, she becomes a sharer for the share window; a
    detractor, her attitude is multiplied by ``detractor_factor`` and she warns her
    contacts when ``warn_draw`` < ``warn_prob``.

    The draws (stream handle ``h``) come in blocks of one per buyer, in this order: the
    capture draw, the stock spread (uniform 0.8–1.2), the satisfaction noise (normal,
    sd ``noise``), the warning draw, the delivery draw, the draw picking the contact she
    asks about the price.

    Returns
    -------
    happy, happy_ends, warns, warn_ends : ndarray
        The satisfied (warning) buyers of brand b are ``happy[happy_ends[b]:happy_ends[b + 1]]``
        (likewise for warns), in order.
    detractors : ndarray
        (n_pools,) int64 detractors made today per brand.
    """
    who, brand, channel, units, referrer = orders.who, orders.brand, orders.channel, orders.units, orders.referrer
    parent, purchases, stage, paid, paid_day = buyers.parent, buyers.purchases, buyers.stage, buyers.paid, \
        buyers.paid_day
    n = len(who)
    drawn = np.empty((6, n))  # capture, spread, noise, warn, late, ask: a block of n each
    for k in range(n):
        drawn[0, k] = draws.random(h)
    for k in range(n):
        drawn[1, k] = draws.uniform(h, 0.8, 1.2)
    for k in range(n):
        drawn[2, k] = draws.normal(h, 0.0, judging.noise)
    for j in range(3, 6):
        for k in range(n):
            drawn[j, k] = draws.random(h)
    happy, warns = np.empty(n, np.bool_), np.empty(n, np.bool_)
    detractors = np.zeros(n_pools, np.int64)
    for k in range(n):
        w, b, c = who[k], brand[k], channel[k]
        ref = referrer[k]
        if (orders.source[k] == _WOM and c == social and ref != NO_ONE and parent[w, b] == NO_ONE
                and not in_upline(parent, ref, w, b)):
            parent[w, b] = ref
        stage[w, b] = max(stage[w, b], _LOYAL if purchases[w, b] > 0 else _PURCHASED)
        purchases[w, b] += 1
        buyers.bought_on[w, b] |= np.uint32(1) << np.uint32(c)
        buyers.last_channel[w, b] = c
        if buyer_terms.on_social[b] and (c == social or drawn[0, k] < buyer_terms.capture[b]):
            buyers.follower[w, b] = True
        lasts = units[k] * buyer_terms.repurchase_days[b] * drawn[1, k]
        buyers.stock_until[w] = day + np.int32(max(1.0, np.rint(lasts)))
        unit_paid = orders.price[k] - orders.coupon[k] / units[k]
        detractor = _detractor(w, b, unit_paid, buyer_terms.quality[b] + drawn[2, k], drawn[4, k], drawn[5, k], day,
                               paid, paid_day, judging)
        paid[w, b], paid_day[w, b] = unit_paid, day
        happy[k] = not detractor
        warns[k] = detractor and drawn[3, k] < judging.warn_prob
        if detractor:
            buyers.attitude[w, b] *= np.float32(judging.detractor_factor)  # she thinks less of it: buys it less often
            if b < n_pools:
                detractors[b] += 1
    return _by_brand(who, brand, happy, n_pools) + _by_brand(who, brand, warns, n_pools) + (detractors,)


# Inlined where it is called, once per order: as a call it cost a third of the after-purchase
# stage (numba counts references on the arrays a call takes).
@njit(inline="always")
def _detractor(w, b, unit_paid, experienced, late_draw, ask_draw, day, paid, paid_day, judging):
    """Is buyer ``w`` of brand ``b`` a detractor? The product let her down (``experienced``
    quality ≤ the threshold), the order came late (``late_draw`` < ``late_prob``), or the
    contact she asks (tie ⌊``ask_draw`` · degree⌋ of her row) bought the brand within
    ``regret_days`` days at a unit price at least ``regret_share`` below ``unit_paid``
    (she paid more than a friend)."""
    if experienced <= judging.threshold or late_draw < judging.late_prob:
        return True
    first, degree = judging.indptr[w], judging.indptr[w + 1] - judging.indptr[w]
    if degree == 0:
        return False
    friend = judging.indices[first + min(np.int64(ask_draw * degree), degree - 1)]
    recent = day - paid_day[friend, b] < judging.regret_days
    return recent and paid[friend, b] <= (1.0 - judging.regret_share) * unit_paid


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
