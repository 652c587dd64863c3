"""The compiled consumer kernels on hand-made inputs with fixed shocks: need, choice, attitude, aftercare.

Each case is small enough to work out on paper; the expected pick, venue or stage
transition is written next to the arithmetic that gives it. A Gumbel shock g enters a
kernel as the uniform u = exp(−exp(−g)) it is drawn from, so a test sets g exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.draws import stream_handle
from sim.market.aftercare import BuyerTerms, Buyers, Judging, MoneyTerms, Orders, _after_purchase, _order_money
from sim.market.attitude import Attitudes, ExposureRows, fold_exposures
from sim.market.choice import (WECHAT_SEEDED_MASK, ChoiceTerms, DealWait, Impulse, MarketTerms, Shelf, Shoppers,
                               Trips, Waiting, _awaits_deal, _needing, _pick_kernel, _shops, _venue_kernel, buys_now,
                               price_cost, shoppers_today)
from sim.market.signals import Source
from sim.market.sorting import radix_sort, stable_order
from sim.population import NEVER, NO_ONE, Stage

TMALL, WECHAT = 0, 1


def uniform_of(gumbel: float) -> float:
    """The uniform draw whose Gumbel shock is ``gumbel``."""
    return math.exp(-math.exp(-gumbel))


# --------------------------------------------------------------------------- need
@pytest.mark.parametrize("stock_until, draw, shops, note", [
    (5, 0.99, True, "her stock runs out today: the need is certain, whatever the draw"),
    (3, 0.09, True, "out of stock and the draw is under the rate"),
    (3, 0.11, False, "out of stock, the draw is over the rate"),
    (9, 0.01, False, "stock at home suppresses need"),
])
def test_a_consumer_shops_when_her_stock_runs_out_or_a_need_arrives(stock_until, draw, shops, note):
    stock = np.array([stock_until], np.int32)
    assert bool(_shops(0, draw, 0.1, stock, 5, False, -1, 0.0)) is shops, note
    assert stock[0] == stock_until


def test_a_need_before_an_event_waits_for_its_coupon():
    """Rate 0.1, wait share 0.6: a draw under 0.06 waits for day 8, one in [0.06, 0.1) shops today."""
    stock = np.array([3, 3], np.int32)
    assert not _shops(0, 0.05, 0.1, stock, 5, True, 8, 0.6)
    assert stock[0] == 8  # her need is now certain on the coupon's first day
    assert _shops(1, 0.07, 0.1, stock, 5, True, 8, 0.6) and stock[1] == 3
    assert _shops(0, 0.99, 0.1, stock, 8, False, -1, 0.0)  # and on day 8 she shops


def deal_terms(n=2, wait_prob=(0.5, 0.0), wait_days=(7, 0), on_deal=(False, True), attitude=(0.6, 0.3)):
    """Two brands, everyone aware of both: brand 0 (preferred, attitude 0.6 > 0.3) off deal, a
    need for it waits with probability ω·D = 0.5 for 7 days; brand 1 on deal today."""
    return DealWait(np.full(n, NO_ONE, np.int8), np.zeros(n, np.int32), np.array(wait_prob),
                    np.array(wait_days, np.int64), np.array(on_deal), np.tile(np.array(attitude, np.float32), (n, 1)),
                    np.zeros((n, 2), np.int16), np.full((n, 2), Stage.AWARE, np.uint8), np.ones(32, np.float32))


def test_a_need_waits_for_her_preferred_brands_next_deal_and_shops_when_it_comes():
    """Rate 0.1, ω·D = 0.5: a draw under 0.05 waits 7 days (day 5 → 12); one in [0.05, 0.1) shops today."""
    stock = np.array([3, 3], np.int32)
    terms = deal_terms()
    _awaits_deal(0, 0.04, 0.1, stock, 5, terms)
    assert stock[0] == 12 and terms[0][0] == 0 and terms[1][0] == 12  # waits for brand 0 until day 12
    assert not _shops(0, 0.04, 0.1, stock, 5, False, -1, 0.0)
    _awaits_deal(1, 0.06, 0.1, stock, 5, terms)
    assert stock[1] == 3 and terms[0][1] == NO_ONE and _shops(1, 0.06, 0.1, stock, 5, False, -1, 0.0)
    _awaits_deal(0, 0.99, 0.1, stock, 6, terms)  # day 6, brand 0 still off deal: she waits on
    assert stock[0] == 12 and terms[0][0] == 0
    terms[4][0] = True  # day 8: brand 0's deal comes before the wait ends
    _awaits_deal(0, 0.99, 0.1, stock, 8, terms)
    assert stock[0] == 8 and terms[0][0] == NO_ONE and _shops(0, 0.99, 0.1, stock, 8, False, -1, 0.0)


def test_the_need_stage_applies_the_deal_wait_rule_to_every_consumer_it_concerns():
    """A thousand consumers, a third already waiting (some until today, some for a brand on
    deal), stocks around today: the need stage skips the deal-wait rule for the consumers it
    cannot concern, and gives what the rule applied to each in turn gives — shoppers, stocks
    and waits alike."""
    n, day, rate = 1000, 20, np.array([0.3])
    rng = np.random.default_rng(3)
    stock = rng.integers(day - 10, day + 10, n).astype(np.int32)
    terms = deal_terms(n, wait_prob=(0.6, 0.2), on_deal=(False, False))
    terms.awaited[:] = rng.choice([NO_ONE, NO_ONE, 0, 1], n)
    waiting = terms.awaited >= 0
    terms.await_end[waiting] = stock[waiting] = rng.integers(day, day + 5, waiting.sum())
    terms.on_deal[1] = True
    expected_stock, expected_terms = stock.copy(), deal_terms(n, wait_prob=(0.6, 0.2), on_deal=(False, True))
    expected_terms.awaited[:], expected_terms.await_end[:] = terms.awaited, terms.await_end
    draw = np.random.default_rng(9).random(n)
    expected = []
    for i in range(n):
        _awaits_deal(i, draw[i], rate[0], expected_stock, day, expected_terms)
        if _shops(i, draw[i], rate[0], expected_stock, day, False, -1, 0.0):
            expected.append(i)
    got = _needing(np.zeros(n, np.int8), rate, np.array([1.0]), stock, day, Waiting(-1, 0.0, True, terms),
                   stream_handle(np.random.default_rng(9)))
    assert got.tolist() == expected
    assert (stock == expected_stock).all() and (terms.awaited == expected_terms.awaited).all()
    assert (expected_terms.awaited >= 0).sum() != waiting.sum()  # waits began or ended today: the rule did work


@pytest.mark.parametrize("change, note", [
    (dict(attitude=(0.3, 0.6)), "her preferred brand is on deal today: nothing to wait for"),
    (dict(wait_prob=(0.0, 0.0)), "a brand that never discounts (D = 0) teaches no waiting"),
])
def test_no_wait_for_a_brand_on_deal_or_one_that_never_discounts(change, note):
    stock = np.array([3], np.int32)
    terms = deal_terms(1, **change)
    _awaits_deal(0, 0.01, 0.1, stock, 5, terms)
    assert stock[0] == 3 and terms[0][0] == NO_ONE, note


def test_a_wait_ends_on_its_last_day_or_with_a_purchase_meanwhile():
    """Waiting for brand 0 until day 12: on day 12 she shops; an impulse purchase that moved her
    stock to day 40 ends the wait, and brand 0's deal then leaves her stock alone."""
    stock, terms = np.array([12, 40], np.int32), deal_terms()
    terms[0][:], terms[1][:] = 0, 12
    _awaits_deal(0, 0.99, 0.1, stock, 12, terms)
    assert terms[0][0] == NO_ONE and _shops(0, 0.99, 0.1, stock, 12, False, -1, 0.0)
    terms[4][0] = True
    _awaits_deal(1, 0.99, 0.1, stock, 20, terms)
    assert stock[1] == 40 and terms[0][1] == NO_ONE


def test_needs_are_drawn_one_uniform_per_consumer_from_the_needs_stream():
    """Six consumers in two segments (daily rates 0.5, 0.2); boost 1.5 → rates 0.75 and 0.3."""
    segment = np.array([0, 0, 0, 1, 1, 1], np.int8)
    stock = np.array([0, 0, 7, 0, 0, 4], np.int32)  # consumer 2 is stocked; consumer 5 runs out today (day 4)
    rate = np.array([0.5, 0.2])
    seed = 11
    draw = np.random.default_rng(seed).random(6)  # the same numbers the kernel draws
    expected = [i for i in range(6) if stock[i] == 4 or (stock[i] < 4 and draw[i] < rate[segment[i]] * 1.5)]
    gen = np.random.default_rng(seed)
    got = _needing(segment, rate, np.array([1.5]), stock, 4, Waiting(-1, 0.0, False, deal_terms(6)), stream_handle(gen))
    assert got.tolist() == expected
    assert 5 in expected and 2 not in expected


def impulse_shoppers(stock: list[int], window: int, prob: float, rate: float = 0.0, seed: int = 5) -> list[int]:
    """Day 10, one brand, needs at ``rate`` a day: consumers with these stock-out days, each
    exposed to the brand today at attitude 0.9 (over the threshold 0.8), except the last at 0.7."""
    n = len(stock)
    attitude = np.full((n, 1), 0.9, np.float32)
    attitude[-1] = 0.7
    got = shoppers_today(np.zeros(n, np.int8), np.array([rate]), np.array([1.0]), np.array(stock, np.int32), 10,
                         Waiting(-1, 0.0, False, deal_terms(n)), np.arange(n, dtype=np.int64), attitude,
                         Impulse(np.float32(0.8), prob, window), stream_handle(np.random.default_rng(seed)))
    return got.tolist()


@pytest.mark.parametrize("window, shoppers, note", [
    (14, [1, 2], "stock for 30 more days: no impulse; runs out in 14 or 5 days: each shops; out of stock, "
                 "no need ever arrives (rate 0): none to pull forward"),
    (0, [], "window 0: an impulse pulls nothing forward"),
    (3650, [0, 1, 2], "a window longer than any stock: an impulse whatever she has at home (attitude 0.7 never)"),
])
def test_an_impulse_only_pulls_her_next_need_forward(window, shoppers, note):
    assert impulse_shoppers([40, 24, 15, -1, -1], window, 1.0) == shoppers, note


def test_impulse_draws_follow_the_need_draws_one_per_strong_exposure():
    """Five consumers, none with a need today (rate 0.05, seed 5: every need draw ≥ 0.05):
    five need draws, then one for each of the four strong exposures. Consumers 1 and 2 run
    out within the 14 days: u < 0.4; consumer 3, out of stock: u < 0.4 · (1 − 0.95¹⁴) = 0.205;
    consumer 0 (30 days of stock) never."""
    draw = np.random.default_rng(5).random(9)
    assert (draw[:5] >= 0.05).all()
    bar = [0.0, 0.4, 0.4, 0.4 * (1 - 0.95 ** 14)]
    expected = [i for i in range(4) if draw[5 + i] < bar[i]]
    assert impulse_shoppers([40, 24, 15, -1, -1], 14, 0.4, 0.05) == expected
    assert 0 < len(expected) < 3


# --------------------------------------------------------------------------- choice: the venue
def market_terms(**given) -> MarketTerms:
    """Two brands on Tmall and WeChat: the terms a test gives, the others neutral (unused by the kernel tested)."""
    neutral = dict(listed=np.ones((2, 2), bool), price=np.full((2, 2), 100.0), effective=np.full((2, 2), 100.0),
                   coupon=np.zeros((2, 2)), funded=np.zeros(2), promo=np.zeros((2, 2), bool),
                   comparable=np.ones(2, bool), quality=np.zeros(2), visibility=np.zeros((2, 2)), pd_coupon=np.zeros(2),
                   routing=np.zeros(2, bool), gift=np.zeros(2), search_clicks=np.zeros((2, 2)), price_lift=np.ones(2),
                   trust_yuan=np.zeros(2), open_search=np.zeros(2, bool), marketplace=np.zeros(2, bool),
                   live=np.zeros(2, bool), social=WECHAT)
    return MarketTerms(**{**neutral, **given})


def choice_terms(**given) -> ChoiceTerms:
    """The behaviour terms a test gives, the others neutral."""
    neutral = dict(search_prob=0.0, entry_bonus=0.0, beta_attitude=0.0, beta_quality=0.0, outside_utility=0.0,
                   search_strength=0.0, click_strength=0.0, smoothing=0.0, reference_weight=0.0, loss_aversion=1.0,
                   category_weight=0.0, seeded=WECHAT_SEEDED_MASK)
    return ChoiceTerms(**{**neutral, **given})


def named(cls, terms: dict, **neutral):
    """``cls`` of the entries of ``terms`` that are its fields (taken out of ``terms``), the rest from ``neutral``."""
    return cls(**{**neutral, **{k: terms.pop(k) for k in cls._fields if k in terms}})


def kernel_args(terms: dict) -> dict:
    """A kernel's arguments: a test's flat ``terms`` grouped into the named structures the kernels read."""
    terms = dict(terms)
    S = len(terms["who"])
    shoppers = named(Shoppers, terms, aware=np.ones((S, 2), bool), habit=np.zeros(S), compares=np.zeros(S, bool))
    return dict(shoppers=shoppers, market=named(MarketTerms, terms, **market_terms()._asdict()),
                choice=named(ChoiceTerms, terms, **choice_terms()._asdict()), **terms)


def venue_inputs(**change):
    """One shopper who knows both brands (attitudes 0.6, 0.3), brand 0 listed on Tmall and WeChat.

    β = 2, Tmall habit 0.5, Tmall trust ¥10, category reference ¥100, entry bonus 0.4,
    entered by WeChat: V_Tmall = 2·10/100 + 0.5 + g = 0.7 + g, V_WeChat = 0.4 + g.
    """
    terms = dict(
        who=np.array([0]), att=np.array([[0.6, 0.3]], np.float32), aware=np.array([[True, True]]),
        beta=np.array([2.0]), habit=np.array([0.5]), compares=np.array([False]),
        shock=np.array([[uniform_of(0.0), uniform_of(0.0)]]), search_pick=np.array([0]), search_coin=np.array([0.5]),
        search_prob=0.3, entry_of=np.array([[WECHAT, NO_ONE]], np.int8), source_of=np.array([[Source.PAID, NO_ONE]], np.int8),
        listed=np.array([[True, True], [True, False]]), effective=np.array([[100.0, 100.0], [80.0, 0.0]]),
        comparable=np.array([True, True]), routing=np.array([False, False]), gift=np.array([0.0, 0.0]),
        trust_yuan=np.array([10.0, 0.0]), open_search=np.array([True, False]), marketplace=np.array([True, False]),
        live=np.array([False, False]), scale=np.array([100.0]), entry_bonus=0.4, seeded=WECHAT_SEEDED_MASK,
    )
    terms.update(change)
    return terms


def venue_of(**change):
    target, venue, routed = _venue_kernel(**kernel_args(venue_inputs(**change)))
    return int(target[0]), int(venue[0]), bool(routed[0])


def test_the_target_is_the_known_brand_with_the_highest_attitude_and_the_venue_the_best_channel():
    assert venue_of() == (0, TMALL, False)  # 0.7 > 0.4
    assert venue_of(shock=np.array([[uniform_of(0.0), uniform_of(0.31)]])) == (0, WECHAT, False)  # 0.71 > 0.7
    assert venue_of(att=np.array([[0.2, 0.3]], np.float32))[0] == 1


def test_comparing_prices_sends_her_to_the_cheaper_channel():
    """WeChat ¥10 cheaper: a comparing shopper's Tmall utility loses 2·10/100 = 0.2 → 0.5 < 0.4 + 0.15."""
    cheaper = dict(effective=np.array([[100.0, 90.0], [80.0, 0.0]]), shock=np.array([[uniform_of(0.0), uniform_of(0.15)]]))
    assert venue_of(**cheaper)[1] == TMALL                                    # 0.7 > 0.55
    assert venue_of(**cheaper, compares=np.array([True]))[1] == WECHAT         # 0.5 < 0.55
    assert venue_of(**cheaper, compares=np.array([True]), comparable=np.array([False, True]))[1] == TMALL


def test_a_livestream_is_a_venue_only_for_her_watchers_and_comparing_shoppers():
    live = dict(live=np.array([False, True]), shock=np.array([[uniform_of(0.0), uniform_of(5.0)]]),
                entry_of=np.array([[TMALL, NO_ONE]], np.int8))
    assert venue_of(**live)[1] == TMALL                                     # not hers: −∞ whatever the shock
    assert venue_of(**live, compares=np.array([True]))[1] == WECHAT          # 5.0 > 0.2 + 0.5 + 0.4 (her entry)
    assert venue_of(**{**live, "entry_of": np.array([[WECHAT, NO_ONE]], np.int8)})[1] == WECHAT


def test_double_11_routing_sends_wechat_seeded_shoppers_to_the_marketplace_with_a_gift():
    """Source PUSH, routing on: entry becomes Tmall and a ¥30 gift adds 2·30/100 = 0.6 there."""
    routed = dict(routing=np.array([True, False]), gift=np.array([30.0, 0.0]),
                  source_of=np.array([[Source.PUSH, NO_ONE]], np.int8), shock=np.array([[uniform_of(0.0), uniform_of(1.2)]]))
    assert venue_of(**routed) == (0, TMALL, True)    # 0.2 + 0.5 + 0.4 + 0.6 = 1.7 > 1.2
    assert venue_of(**{**routed, "source_of": np.array([[Source.PAID, NO_ONE]], np.int8)}) == (0, WECHAT, False)  # 0.7 < 1.6


def test_a_shopper_who_knows_no_brand_searches_an_open_marketplace_or_stays_home():
    unknown = dict(aware=np.array([[False, False]]))
    assert venue_of(**unknown, search_coin=np.array([0.29]))[1] == TMALL    # coin < search_prob 0.3
    assert venue_of(**unknown, search_coin=np.array([0.31]))[1] == NO_ONE


# --------------------------------------------------------------------------- choice: the shelf
def pick_inputs(**change):
    """One shopper on Tmall offered both brands at ¥100, her reference prices ¥100 (no gain or loss).

    Appeal = 2·attitude + 1·quality: brand 0 2·0.5 + 0.6 = 1.6, brand 1 2·0.4 + 0.9 = 1.7;
    price cost x = 0 at the reference price. Incidence: outside utility 0, so she buys now
    with probability σ(log(e^1.6 + e^1.7)) ≈ 0.9;  'not now' is index B = 2.
    """
    terms = dict(
        who=np.array([0]), att=np.array([[0.5, 0.4]], np.float32), offered=np.array([[True, True]]),
        found=np.array([[False, False]]), clicked=np.array([[False, False]]), venue=np.array([TMALL]),
        target=np.array([0]), routed=np.array([False]), beta=np.array([2.0]), follower=np.array([[False, False]]),
        effective=np.array([[100.0, 100.0], [100.0, 100.0]]), pd_coupon=np.array([0.0, 0.0]), gift=np.array([0.0, 0.0]),
        quality=np.array([0.6, 0.9]), social=WECHAT, ref_price=np.array([[100.0, 100.0]], np.float32),
        scale=np.array([100.0]), price_lift=np.array([1.0, 1.0]), smoothing=0.3, reference_weight=1.0,
        loss_aversion=2.0, category_weight=0.5, beta_attitude=2.0,
        beta_quality=1.0, outside_utility=0.0, search_strength=0.5, click_strength=1.0,
        shock=np.array([[uniform_of(0.0), uniform_of(0.0), 0.5]]),
    )
    terms.update(change)
    return terms


def pick(terms: dict) -> np.ndarray:
    """:func:`_pick_kernel` on a test's flat ``terms``."""
    args = kernel_args(terms)
    trips = named(Trips, args, here=args["shoppers"].aware, organic=np.zeros_like(args["shoppers"].aware))
    return _pick_kernel(trips=trips, shelf=named(Shelf, args), **args)


def pick_of(**change) -> int:
    return int(pick(pick_inputs(**change))[0])


def test_the_shelf_pick_is_the_highest_utility_brand_with_its_gumbel_shock():
    assert pick_of() == 1                                                            # 1.7 > 1.6
    assert pick_of(shock=np.array([[uniform_of(0.2), uniform_of(0.0), 0.5]])) == 0   # 1.8 > 1.7
    assert pick_of(offered=np.array([[True, False]])) == 0                          # brand 1 not on offer: −∞


def test_a_price_above_her_reference_costs_loss_averse_utility():
    """Brand 1 at ¥110: x = 10/100 (level, R̄ = 100) + 1·2·10/100 (loss) = 0.3; β·x = 0.6 → 1.1 < 1.6."""
    assert price_cost(110.0, 100.0, 100.0, 1.0, 2.0) == pytest.approx(0.3)
    assert price_cost(90.0, 100.0, 100.0, 1.0, 2.0) == pytest.approx(-0.2)  # a gain counts once
    assert pick_of(effective=np.array([[100.0, 100.0], [110.0, 110.0]])) == 0


def test_she_does_not_buy_now_when_the_incidence_draw_is_over_the_category_odds():
    odds = (math.exp(1.6) + math.exp(1.7)) / (1 + math.exp(1.6) + math.exp(1.7))
    assert pick_of(shock=np.array([[uniform_of(0.0), uniform_of(0.0), odds - 1e-6]])) == 1
    assert pick_of(shock=np.array([[uniform_of(0.0), uniform_of(0.0), odds + 1e-6]])) == 2
    assert not buys_now(np.array([-np.inf, -np.inf]), 0.0, 0.0)  # nothing on offer: never


def test_a_brand_found_on_the_search_page_counts_with_the_search_attitude_and_references_move():
    """Found brand 0: attitude 1 − e^{−0.5} ≈ 0.393 replaces 0.5 → appeal 1.387 < 1.7, still brand 1;
    clicked as well: 0.393 + 0.607·(1 − e^{−1}) ≈ 0.777 → appeal 2.154 > 1.7, brand 0."""
    assert pick_of(found=np.array([[True, False]])) == 1
    assert pick_of(found=np.array([[True, False]]), clicked=np.array([[True, False]])) == 0
    terms = pick_inputs(effective=np.array([[80.0, 80.0], [100.0, 100.0]]))
    pick(terms)
    assert terms["ref_price"][0].tolist() == pytest.approx([94.0, 100.0])  # 100 + 0.3·(80 − 100)


# --------------------------------------------------------------------------- attitude
def fold(attitude, stage, weights, brands, day=3, attitude_day=None, threshold=0.5):
    """Fold exposures of consumer 0 (one row per weight) into (1, B) state; decay 10 % a day."""
    n = len(weights)
    attitude_day = np.zeros(attitude.shape, np.int32) if attitude_day is None else attitude_day
    entry, source, referrer = (np.full(attitude.shape, NO_ONE, t) for t in (np.int8, np.int8, np.int32))
    factors = (0.9 ** np.arange(10)).astype(np.float32)
    rows = ExposureRows(np.zeros(n, np.int32), np.array(brands, np.int16), np.array(weights, np.float32),
                        np.arange(n, dtype=np.int8), np.full(n, Source.KOL, np.int8),
                        np.arange(100, 100 + n, dtype=np.int32))
    keys = fold_exposures(Attitudes(attitude, attitude_day, stage, entry, source, referrer), rows, day, factors,
                          threshold)
    return keys, entry, source, referrer


def test_exposures_saturate_the_decayed_attitude_and_raise_the_stage():
    """a = 0.5 decayed 3 days → 0.5·0.729 = 0.3645; S = 0.2 + 0.4: a + (1 − a)(1 − e^{−0.6}) ≈ 0.651."""
    attitude = np.array([[0.5, 0.0]], np.float32)
    stage = np.zeros((1, 2), np.uint8)
    keys, entry, source, referrer = fold(attitude, stage, [0.2, 0.4], [0, 0])
    a = np.float32(0.5) * np.float32(0.729)
    assert attitude[0, 0] == pytest.approx(a + (1 - a) * (1 - math.exp(-0.6)), rel=1e-6)
    assert stage[0, 0] == Stage.INTERESTED  # ≥ the interest threshold 0.5
    assert (entry[0, 0], source[0, 0], referrer[0, 0]) == (1, Source.KOL, 101)  # the heaviest exposure: last touch
    assert keys.tolist() == [0] and stage[0, 1] == 0 and attitude[0, 1] == 0


def test_a_weak_exposure_makes_her_aware_only_and_never_lowers_a_stage():
    attitude = np.zeros((1, 2), np.float32)
    stage = np.array([[0, Stage.PURCHASED]], np.uint8)
    fold(attitude, stage, [0.1, 0.1], [0, 1])
    assert attitude[0, 0] == pytest.approx(1 - math.exp(-0.1), rel=1e-6)
    assert stage[0].tolist() == [Stage.AWARE, Stage.PURCHASED]


def test_negative_word_of_mouth_pushes_the_attitude_towards_minus_one():
    """a = 0.8 (fresh today), S_neg = −0.5: a − (1 + a)(1 − e^{−0.5}) ≈ 0.092; the stage stays.
    A consumer who has never heard of the brand (a = 0) is left with a bad opinion,
    −(1 − e^{−0.5}) ≈ −0.39, and stays unaware."""
    attitude = np.array([[0.8, 0.0]], np.float32)
    stage = np.array([[Stage.INTERESTED, 0]], np.uint8)
    keys, *_ = fold(attitude, stage, [-0.5, -0.5], [0, 1], attitude_day=np.full((1, 2), 3, np.int32))
    assert attitude[0, 0] == pytest.approx(0.8 - 1.8 * (1 - math.exp(-0.5)), rel=1e-6)
    assert attitude[0, 1] == pytest.approx(-(1 - math.exp(-0.5)), rel=1e-6)
    assert stage[0].tolist() == [Stage.INTERESTED, 0] and keys.tolist() == []


# --------------------------------------------------------------------------- aftercare
@pytest.mark.parametrize("grandparent, referral, levels_paid",
                         [(NO_ONE, 30.0, [20.0, 10.0, 0.0]), (5, 34.0, [20.0, 10.0, 4.0])])
def test_an_order_books_revenue_fees_cogs_and_each_level_of_referral_commission(grandparent, referral, levels_paid):
    """2 units at ¥100 on WeChat by a shared link from consumer 7, who was referred by 3
    (whom 5 referred, or nobody).

    revenue 200; fees (0 + 0.006)·200 = 1.2; cogs 2·30 = 60; referral 0.10·200 + 0.05·200
    (+ 0.02·200 with a third level) = 30 (34), booked level by level in the tree record."""
    parent = np.full((10, 1), NO_ONE, np.int32)
    parent[7, 0], parent[3, 0] = 3, grandparent
    tree = np.zeros((1, 2, 3))
    money, grouped = _order_money(
        Orders(who=np.array([1], np.int32), brand=np.array([0]), channel=np.array([WECHAT]), units=np.array([2]),
               price=np.array([100.0]), coupon=np.array([5.0]), gift=np.array([0.0]),
               source=np.array([Source.WOM], np.int8), referrer=np.array([7], np.int32)),
        parent=parent,
        money=MoneyTerms(unit_cost=np.array([30.0]), take_rate=np.array([0.05, 0.0]),
                         payment_fee=np.array([0.006, 0.006]), levels=np.array([[0.10, 0.05, 0.02]]),
                         leader_commission=np.array([0.08]), kol_cps_by_id=np.zeros(1),
                         kol_channel_by_id=np.full(1, -1, np.int64), social=WECHAT),
        scale=1.0, tree_day=tree)
    orders, units, revenue, coupons, gifts, cogs, fees, referral_paid, leader, kol = money[0]
    assert (orders, units, revenue, coupons, gifts, cogs) == (1.0, 2.0, 200.0, 5.0, 0.0, 60.0)
    assert fees == pytest.approx(1.2) and referral_paid == pytest.approx(referral) and leader == 0.0 and kol == 0.0
    assert tree[0, 1].tolist() == pytest.approx(levels_paid) and tree[0, 0].tolist() == [1.0, 1.0, float(levels_paid[2] > 0)]
    assert grouped.tolist() == []


def buyer_state(n=4, brands=1):
    return dict(parent=np.full((n, brands), NO_ONE, np.int32), purchases=np.zeros((n, brands), np.uint16),
                stage=np.full((n, brands), Stage.INTERESTED, np.uint8), bought_on=np.zeros((n, brands), np.uint32),
                last_channel=np.full((n, brands), NO_ONE, np.int8), follower=np.zeros((n, brands), bool),
                stock_until=np.zeros(n, np.int32), attitude=np.full((n, brands), 0.6, np.float32),
                paid=np.zeros((n, brands), np.float32), paid_day=np.full((n, brands), NEVER, np.int32))


#: Four consumers on a ring of single ties: i's only contact is i + 1 (mod 4).
RING = (np.arange(5, dtype=np.int64), np.array([1, 2, 3, 0], np.int32))


def after(state, who, channel, source, referrer, quality, noise_sd=0.0, warn_prob=1.0, capture=0.0, late=0.0,
          price=100.0, day=20, regret=(0.10, 30)):
    n = len(who)
    orders = Orders(who=np.array(who, np.int32), brand=np.zeros(n, np.int64), channel=np.array(channel, np.int64),
                    units=np.ones(n, np.int64), price=np.full(n, price), coupon=np.zeros(n), gift=np.zeros(n),
                    source=np.array(source, np.int8), referrer=np.array(referrer, np.int32))
    terms = BuyerTerms(on_social=np.array([True]), capture=np.array([capture]), repurchase_days=np.array([10.0]),
                       quality=np.array([quality]))
    judging = Judging(0.5, noise_sd, warn_prob, 0.5, late, regret[0], regret[1], *RING)
    return _after_purchase(orders, Buyers(**state), terms, WECHAT, day, judging, 1,
                           stream_handle(np.random.default_rng(5)))


def test_a_first_purchase_makes_her_a_purchaser_a_second_loyal_and_a_good_product_a_sharer():
    """Quality 0.7 > threshold 0.5 (no noise): satisfied; stock for 1 unit × 10 days × spread 0.8–1.2."""
    state = buyer_state()
    happy, happy_ends, warns, warn_ends, detractors = after(state, [1], [WECHAT], [Source.WOM], [2], quality=0.7)
    assert state["stage"][1, 0] == Stage.PURCHASED and state["purchases"][1, 0] == 1
    assert state["parent"][1, 0] == 2                     # joins the brand's referral tree under her sharer
    assert state["follower"][1, 0]                         # a WeChat buyer is in the private domain
    assert state["bought_on"][1, 0] == 1 << WECHAT and state["last_channel"][1, 0] == WECHAT
    assert 28 <= state["stock_until"][1] <= 32
    assert happy.tolist() == [1] and happy_ends.tolist() == [0, 1] and warns.tolist() == [] and detractors.tolist() == [0]
    assert state["paid"][1, 0] == 100.0 and state["paid_day"][1, 0] == 20  # what she paid, for her friends
    after(state, [1], [TMALL], [Source.PAID], [NO_ONE], quality=0.7)
    assert state["stage"][1, 0] == Stage.LOYAL and state["purchases"][1, 0] == 2
    assert state["bought_on"][1, 0] == (1 << WECHAT) | (1 << TMALL)


def test_a_disappointing_product_halves_her_attitude_and_she_warns():
    """Quality 0.4 < 0.5: not satisfied; attitude 0.6 → 0.3; warns with probability 1, none with 0."""
    state = buyer_state()
    happy, _, warns, warn_ends, detractors = after(state, [0, 3], [TMALL, TMALL], [Source.PAID] * 2, [NO_ONE] * 2,
                                                   quality=0.4)
    assert happy.tolist() == [] and warns.tolist() == [0, 3] and warn_ends.tolist() == [0, 2]
    assert detractors.tolist() == [2]
    assert state["attitude"][[0, 3], 0].tolist() == [pytest.approx(0.3)] * 2
    assert not state["follower"][0, 0]                    # Tmall, capture rate 0: not captured
    _, _, warns, _, detractors = after(buyer_state(), [0], [TMALL], [Source.PAID], [NO_ONE], quality=0.4, warn_prob=0.0)
    assert warns.tolist() == [] and detractors.tolist() == [1]  # a quiet detractor is still one


def test_a_late_delivery_makes_a_detractor_of_a_satisfied_buyer():
    """Quality 0.7 satisfies, but a parcel late with probability 1 lets her down: no share, attitude halved."""
    state = buyer_state()
    happy, _, warns, _, detractors = after(state, [2], [TMALL], [Source.PAID], [NO_ONE], quality=0.7, late=1.0)
    assert happy.tolist() == [] and warns.tolist() == [2] and detractors.tolist() == [1]
    assert state["attitude"][2, 0] == pytest.approx(0.3)


@pytest.mark.parametrize("friend_paid, friend_day, let_down", [
    (80.0, 5, True),      # a friend paid 20 % less 15 days ago: she paid more than a friend
    (95.0, 5, False),     # only 5 % less: within the 10 % she shrugs off
    (80.0, -15, False),   # 20 % less, but 35 days ago: outside the 30-day window
])
def test_paying_more_than_the_friend_she_asks_makes_a_detractor(friend_paid, friend_day, let_down):
    """Consumer 1 buys at ¥100 on day 20 and asks her only contact, consumer 2 (the ring)."""
    state = buyer_state()
    state["paid"][2, 0], state["paid_day"][2, 0] = friend_paid, friend_day
    happy, _, _, _, detractors = after(state, [1], [TMALL], [Source.PAID], [NO_ONE], quality=0.7)
    assert detractors.tolist() == [int(let_down)] and happy.tolist() == ([] if let_down else [1])


def test_a_marketplace_buyer_is_captured_by_the_package_card_at_its_rate():
    state = buyer_state()
    after(state, [0], [TMALL], [Source.PAID], [NO_ONE], quality=0.7, capture=1.0)
    assert state["follower"][0, 0]


def test_a_buyer_never_joins_the_tree_under_her_own_downline():
    """1 referred 2; when 1 buys through 2's link she stays a root (the tree keeps no cycle),
    and 3, outside the tree, joins under 2 at depth 2."""
    state = buyer_state()
    state["parent"][2, 0] = 1
    after(state, [1, 3], [WECHAT, WECHAT], [Source.WOM] * 2, [2, 2], quality=0.7)
    assert state["parent"][1, 0] == NO_ONE and state["parent"][3, 0] == 2


@pytest.mark.parametrize("top", [1, 255, 256, 70_000, 2**40])
def test_radix_sort_orders_pairs_by_key_keeping_equal_keys_in_their_order(top):
    key = np.random.default_rng(top).integers(0, top + 1, 5_000)
    got_key, got_idx = radix_sort(key.copy(), np.arange(len(key)))
    order = np.argsort(key, kind="stable")
    assert np.array_equal(got_idx, order) and np.array_equal(got_key, key[order])


@pytest.mark.parametrize("keys", [np.zeros(0, np.int8), np.array([2, -1, 0, 2, -1, 1], np.int8),
                                  np.random.default_rng(5).integers(-1, 9, 3_000).astype(np.int8)])
def test_stable_order_is_numpys_stable_argsort(keys):
    assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable"))
