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
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from .. import draws
from ..config.schema import Behaviour
from ..jit import cycle_count, njit, plain
from ..ledger import Ledger
from ..population import Population
from ..rng import Streams
from .aftercare import (ORDER_FIELDS, BrandTerms, Buyers, BuyerTerms, DayBooks, Judging, MoneyTerms, reward_and_pool,
                        settle)
from .attitude import Attitudes, ExposureRows, fold_exposures, fold_search
from .choice import (ChoiceTerms, DealTerms, DealWait, Impulse, MarketDay, MarketTerms, SegmentTerms, Waiting,
                     choice_terms, need_boost, segment_terms, shop, shoppers_today)
from .signals import Exposures, SharerPool

__all__ = ["ConsumerDay", "STAGES", "Today", "ConsumerState", "consumer_state", "NeedTerms", "Settlement", "Handles",
           "consumer_day"]

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


class Today(NamedTuple):
    """What the calendar and the brands' promotions do to today's needs."""

    day: int
    event_boost: float     # multiplier of need on a platform event day (1: none)
    wait_until: int        # day a coming event's coupon starts (> day), −1 if none
    promoting: np.ndarray  # int64 codes of the brands running a promotion or platform coupon


class ConsumerState(NamedTuple):
    """The population's arrays the consumers' day reads and writes, by name (n consumers, B brands);
    :class:`~sim.population.Population` documents each."""

    attitude: np.ndarray
    attitude_day: np.ndarray
    stage: np.ndarray
    entry: np.ndarray
    source: np.ndarray
    referrer: np.ndarray
    segment: np.ndarray
    stock_until: np.ndarray
    follower: np.ndarray
    parent: np.ndarray
    purchases: np.ndarray
    bought_on: np.ndarray
    last_channel: np.ndarray
    ref_price: np.ndarray
    paid: np.ndarray
    paid_day: np.ndarray
    awaited: np.ndarray
    await_end: np.ndarray


#: A population's arrays as a plain tuple in :class:`ConsumerState` order (one C call).
_state_arrays = attrgetter(*ConsumerState._fields)


def consumer_state(pop: Population) -> ConsumerState:
    """The :class:`ConsumerState` views of population ``pop``'s arrays (no copies)."""
    return ConsumerState._make(_state_arrays(pop))


#: Today's exposure columns (:class:`~sim.market.signals.Exposures`) as a plain tuple in
#: :class:`~sim.market.attitude.ExposureRows` order.
_exposure_columns = attrgetter(*ExposureRows._fields)


class NeedTerms(NamedTuple):
    """What stages 3–4 (attitude, need) read besides the population and the brands' deals."""

    need_rate: np.ndarray       # (G,) needs per consumer per day, by segment
    event_boost: float          # :class:`Today`'s
    promoting: np.ndarray       # :class:`Today`'s
    promo_need_boost: float     # multiplier of need for a consumer who knows a brand promoting
    impulse_threshold: np.float32  # attitude (float32, as attitudes) that makes a strong exposure an impulse
    impulse_prob: float         # probability such an exposure makes her shop
    impulse_window: int         # days an impulse can pull her next need forward
    interest_threshold: float   # attitude that makes her INTERESTED (stages 3 and 5)
    wait_until: int             # :class:`Today`'s
    wait_share: float           # share of the needs before an event's coupon that wait for it
    deal_on: bool               # needs may wait for a brand's next deal


class Settlement(NamedTuple):
    """What stage 6 (after purchase, :func:`~sim.market.aftercare.settle`) reads besides
    today's orders: :mod:`~sim.market.aftercare`'s structures, each as a plain tuple."""

    books: tuple        # DayBooks: the ledger's records of the day
    money_terms: tuple  # MoneyTerms: what an order's money is booked on
    buyer_terms: tuple  # BuyerTerms: per brand, what a buyer's state is updated on
    judging: tuple      # Judging: how buyers judge their purchase
    n_pools: int


class Outcome(NamedTuple):
    """What the compiled day (:func:`_consumers`) hands back: :class:`ConsumerDay`'s fields and
    what :func:`~sim.market.aftercare.settle` leaves to Python. The kernel returns a plain
    tuple in this order, named in Python: boxing a NamedTuple runs its constructor, which
    takes a pending Ctrl-C and leaves numba's boxing with no object (a segfault)."""

    shoppers: int
    orders: int
    clicks: np.ndarray      # (B, C) search-ad clicks delivered (agents)
    browsed: tuple          # (who, brand, channel) of the visits that did not end in buying the brand
    leader_uid: np.ndarray  # the group leader each paying order pays, order by order
    pay: np.ndarray         # what each such order pays her
    happy: np.ndarray       # satisfied buyers, by brand (``happy_ends`` the CSR offsets)
    happy_ends: np.ndarray
    warns: np.ndarray       # disappointed buyers who will warn, by brand (``warn_ends`` the offsets)
    warn_ends: np.ndarray
    detractors: np.ndarray  # (B,) detractors each brand made today
    cycles: np.ndarray      # (4,) CPU cycles spent in each of :data:`STAGES`


class Handles(NamedTuple):
    """The day's random stream handles (:func:`~sim.draws.stream_handle`)."""

    needs: np.ndarray
    choice: np.ndarray
    after: np.ndarray


def consumer_day(pop: Population, exposures: Exposures, today: Today, market: MarketDay, terms: BrandTerms,
                 ledger: Ledger, pools: list[SharerPool], scale: float, beh: Behaviour, judging: Judging,
                 streams: Streams) -> ConsumerDay:
    """Stages 3–6 of day ``today.day``: fold today's ``exposures`` into attitudes; find who
    shops (a need, boosted by today's event and, for those who know them, by the
    ``today.promoting`` brands' promotions — :func:`~sim.market.choice.need_boost` —, unless
    it waits for her preferred brand's next deal (``market.deal_wait``) or for the event
    whose coupon starts on day ``today.wait_until``; or an impulse); run their trips and
    book the orders; update the buyers (judged by ``judging``), pay the group leaders,
    fill the sharer pools and count the detractors."""
    day = today.day
    handles = Handles(draws.stream_handle(streams.needs), draws.stream_handle(streams.choice),
                      draws.stream_handle(streams.after))
    # Plain tuples into the kernel, which names them again (:func:`~sim.jit.plain`), and out.
    out = Outcome._make(_consumers(
        _state_arrays(pop), _exposure_columns(exposures), day, pop.decay_factors(day), plain(_need_terms(pop, today, beh)),
        plain(market.deal_wait), plain(segment_terms(pop.segments)), plain(market.kernel_terms()),
        plain(choice_terms(beh)), plain(_settlement(ledger, day, scale, terms, judging, len(pools))), plain(handles)))
    reward_and_pool(out.leader_uid, out.pay, out.happy, out.happy_ends, out.warns, out.warn_ends, terms, pools, day, beh)
    ledger.count_detractors(day, out.detractors)
    return ConsumerDay(out.shoppers, out.orders, out.clicks, out.browsed, out.cycles)


def _need_terms(pop: Population, today: Today, beh: Behaviour) -> NeedTerms:
    """The :class:`NeedTerms` of ``today``."""
    return NeedTerms(pop.segments.need_rate, today.event_boost, today.promoting, beh.promo_need_boost,
                     np.float32(beh.impulse_threshold), beh.impulse_prob, beh.impulse_window_days, beh.interest_threshold, today.wait_until,
                     beh.event_wait_share, beh.deal_wait_share > 0.0)


def _settlement(ledger: Ledger, day: int, scale: float, terms: BrandTerms, judging: Judging,
                n_pools: int) -> Settlement:
    """The :class:`Settlement` of day ``day``: the ledger's day and the brands' ``terms``, as
    :func:`~sim.market.aftercare.settle` takes them."""
    return Settlement(
        plain(DayBooks(ledger.books[day], ledger.by_source[day], ledger.columns(ORDER_FIELDS), ledger.column("traffic"),
                       scale, ledger.referrals[day])),
        plain(terms.money), plain(terms.buyers), plain(judging), n_pools)


@njit
def _consumers(state, exposed, day, factors, need, deals, segments, market, choice, settlement, handles):
    """:func:`consumer_day` compiled, with the cycle count of each stage (an :class:`Outcome`'s
    fields, as a plain tuple): the fields, in
    order, of ``state`` (:class:`ConsumerState`), ``exposed`` (:class:`~sim.market.attitude.ExposureRows`), ``need``
    (:class:`NeedTerms`), ``deals`` (:class:`~sim.market.choice.DealTerms`), ``segments``,
    ``market`` and ``choice`` (:mod:`~sim.market.choice`'s terms), ``settlement``
    (:class:`Settlement`) and ``handles`` (:class:`Handles`); ``factors``: the attitude
    decay by age."""
    state, exposed, need, deals = ConsumerState(*state), ExposureRows(*exposed), NeedTerms(*need), DealTerms(*deals)
    segments, market, choice = SegmentTerms(*segments), MarketTerms(*market), ChoiceTerms(*choice)
    settlement, handles = Settlement(*settlement), Handles(*handles)
    books, money, buyer_terms = (DayBooks(*settlement.books), MoneyTerms(*settlement.money_terms),
                                 BuyerTerms(*settlement.buyer_terms))
    attitudes = Attitudes(state.attitude, state.attitude_day, state.stage, state.entry, state.source, state.referrer)
    waiting = Waiting(need.wait_until, need.wait_share, need.deal_on,
                      DealWait(state.awaited, state.await_end, deals.wait_prob, deals.wait_days, deals.on_deal,
                               state.attitude, state.attitude_day, state.stage, factors))
    start = cycle_count()
    touched = fold_exposures(attitudes, exposed, day, factors, need.interest_threshold)
    folded = cycle_count()
    boost = need_boost(state.stage, need.promoting, need.event_boost, need.promo_need_boost)
    shoppers = shoppers_today(state.segment, need.need_rate, boost, state.stock_until, day, waiting, touched,
                              state.attitude, Impulse(need.impulse_threshold, need.impulse_prob, need.impulse_window),
                              handles.needs)
    needed = cycle_count()
    orders, traffic = shop(shoppers, handles.choice, state, day, factors, segments, market, choice)
    fold_search(attitudes, traffic.searched, choice.search_strength, choice.click_strength, day, factors,
                need.interest_threshold)
    shopped = cycle_count()
    leader_uid, pay, happy, happy_ends, warns, warn_ends, detractors = settle(
        books, orders, traffic.visits,
        Buyers(state.parent, state.purchases, state.stage, state.bought_on, state.last_channel, state.follower,
               state.stock_until, state.attitude, state.paid, state.paid_day),
        money, buyer_terms, Judging(*settlement.judging), day, settlement.n_pools, handles.after)
    settled = cycle_count()
    cycles = np.array([folded - start, needed - folded, shopped - needed, settled - shopped], np.int64)
    return (len(shoppers), len(orders.who), traffic.clicks, traffic.browsed, leader_uid, pay, happy, happy_ends, warns,
            warn_ends, detractors, cycles)
