"""The consumers' day (docs/MODEL.md §3.3–3.6): attitude, need, choice and after purchase in one
compiled call.

Each stage's rules are kernels in their own module — :func:`~sim.market.attitude.fold_exposures`,
:func:`~sim.market.choice.shoppers_today`, :func:`~sim.market.choice.shop`,
:func:`~sim.market.attitude.fold_search`, :func:`~sim.market.aftercare.settle` — and
:func:`_consumers` runs them in that order, so the day's intermediate results (the
strong exposures, the shoppers, the orders and the search pages) stay inside compiled
code: handing them to Python and back (some twenty arrays) cost a tenth of a day at 10⁴
consumers. The kernel reads the CPU's cycle counter between stages, so the call's wall
time can still be booked stage by stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import draws
from ..config.schema import Behaviour
from ..jit import cycle_count, njit, plain
from ..ledger import Ledger
from ..population import Population
from ..rng import Streams
from .aftercare import (ORDER_FIELDS, BrandTerms, Buyers, BuyerTerms, DayBooks, Judging, MoneyTerms, Orders,
                        reward_and_pool, settle)
from .attitude import Attitudes, ExposureRows, fold_exposures, fold_search
from .choice import WECHAT_SEEDED_MASK, MarketDay, need_boost, shop, shoppers_today
from .signals import Exposures, SharerPool

__all__ = ["ConsumerDay", "STAGES", "consumer_day"]

#: The stages :func:`consumer_day` runs, as ``MarketModel.stage_seconds`` names them.
STAGES = ("3 attitude", "4 need", "5 choice", "6 after purchase")


@dataclass(frozen=True)
class ConsumerDay:
    """What the consumers' day leaves the model."""

    shoppers: int
    orders: int
    clicks: np.ndarray   # (B, C) search-ad clicks delivered (agents), for the ad bill
    browsed: tuple       # (who, brand, channel) of the visits that did not end in buying the brand
    cycles: np.ndarray   # (4,) CPU cycles spent in each of :data:`STAGES` (all 0 without a counter)


def consumer_day(pop: Population, exposures: Exposures, day: int, event_boost: float, wait_until: int,
                 promoting: np.ndarray, market: MarketDay, terms: BrandTerms, ledger: Ledger, pools: list[SharerPool],
                 scale: float, beh: Behaviour, judging: Judging, streams: Streams) -> ConsumerDay:
    """Stages 3–6 of day ``day``: fold today's ``exposures`` into attitudes; find who shops
    (a need, boosted by today's event and, for those who know them, by the ``promoting``
    brands' promotions — :func:`~sim.market.choice.need_boost` —, unless it waits for her
    preferred brand's next deal (``market.deal_wait``) or for the event whose coupon
    starts on day ``wait_until``; or an impulse); run their
    trips and book the orders; update the buyers (judged by ``judging``), pay the group
    leaders, fill the sharer pools and count the detractors."""
    seg, factors = pop.segments, pop.decay_factors(day)
    (shoppers, orders, clicks, browsed, leader_uid, pay, happy, happy_ends, warns, warn_ends, detractors,
     cycles) = _consumers(
        (pop.attitude, pop.attitude_day, pop.stage, pop.entry, pop.source, pop.referrer, pop.segment,
         pop.stock_until, pop.follower, pop.parent, pop.purchases, pop.bought_on, pop.last_channel, pop.ref_price,
         pop.paid, pop.paid_day),
        (exposures.who, exposures.brand, exposures.weight, exposures.entry, exposures.source, exposures.referrer),
        day, factors,
        (seg.need_rate, event_boost, promoting, beh.promo_need_boost, np.float32(beh.impulse_threshold),
         beh.impulse_prob, beh.interest_threshold,
         (wait_until, beh.event_wait_share, (beh.deal_wait_share > 0.0, (pop.awaited, pop.await_end, *market.deal_wait,
                                                                         pop.attitude, pop.attitude_day, pop.stage,
                                                                         factors)))),
        ((seg.price_sensitivity, seg.compare_prob, seg.tmall_habit, seg.stockpile), market.kernel_terms(),
         market.search_clicks, market.social,
         (beh.category_search_prob, beh.entry_bonus, beh.beta_attitude, beh.beta_quality, beh.outside_utility,
          beh.search_strength, beh.search_click_strength,
          (beh.reference_smoothing, beh.reference_weight, beh.loss_aversion, beh.category_price_weight)),
         WECHAT_SEEDED_MASK),
        (plain(DayBooks(ledger.books[day], ledger.by_source[day], ledger.columns(ORDER_FIELDS),
                        ledger.column("traffic"), scale, ledger.referrals[day])),
         plain(terms.money), plain(terms.buyers), plain(judging), len(pools)),
        (draws.stream_handle(streams.needs), draws.stream_handle(streams.choice), draws.stream_handle(streams.after)))
    reward_and_pool(leader_uid, pay, happy, happy_ends, warns, warn_ends, terms, pools, day, beh)
    ledger.count_detractors(day, detractors)
    return ConsumerDay(shoppers, orders, clicks, browsed, cycles)


@njit
def _consumers(pop, exposures, day, factors, need, market, books, handles):
    """:func:`consumer_day` compiled, with the cycle count of each stage."""
    (attitude, attitude_day, stage, entry, source, referrer, segment, stock_until, follower, parent, purchases,
     bought_on, last_channel, ref_price, paid, paid_day) = pop
    who, brand, weight, exp_entry, exp_source, exp_referrer = exposures
    need_rate, event_boost, promoting, promo_need_boost, impulse_threshold, impulse_prob, interest_threshold, waiting = need
    segment_terms, terms, search_clicks, social, behaviour, seeded = market
    search_strength, click_strength = behaviour[5], behaviour[6]
    ledger_day, money_terms, buyer_terms, judging, n_pools = books  # named again (handed over plain)
    ledger_day, money_terms = DayBooks(*ledger_day), MoneyTerms(*money_terms)
    buyer_terms, judging = BuyerTerms(*buyer_terms), Judging(*judging)
    h_needs, h_choice, h_after = handles
    attitudes = Attitudes(attitude, attitude_day, stage, entry, source, referrer)
    start = cycle_count()
    touched = fold_exposures(attitudes, ExposureRows(who, brand, weight, exp_entry, exp_source, exp_referrer), day,
                             factors, interest_threshold)
    folded = cycle_count()
    boost = need_boost(stage, promoting, event_boost, promo_need_boost)
    shoppers = shoppers_today(segment, need_rate, boost, stock_until, day, waiting, touched, attitude,
                              impulse_threshold, impulse_prob, h_needs)
    needed = cycle_count()
    buyers, rows, traffic = shop(shoppers, h_choice, attitude, attitude_day, factors, day, stage, segment,
                                 segment_terms, entry, source, referrer, follower, ref_price, terms, search_clicks,
                                 social, behaviour, seeded)
    visits, clicks, searched, browsed = traffic
    fold_search(attitudes, searched, search_strength, click_strength, day, factors, interest_threshold)
    shopped = cycle_count()
    brand_of, channel, units, price, coupon, gift, order_source, order_referrer = rows
    leader_uid, pay, happy, happy_ends, warns, warn_ends, detractors = settle(
        ledger_day, Orders(buyers, brand_of, channel, units, price, coupon, gift, order_source, order_referrer), visits,
        Buyers(parent, purchases, stage, bought_on, last_channel, follower, stock_until, attitude, paid, paid_day),
        money_terms, buyer_terms, judging, day, n_pools, h_after)
    settled = cycle_count()
    cycles = np.array([folded - start, needed - folded, shopped - needed, settled - shopped], np.int64)
    return (len(shoppers), len(buyers), clicks, browsed, leader_uid, pay, happy, happy_ends, warns, warn_ends,
            detractors, cycles)
