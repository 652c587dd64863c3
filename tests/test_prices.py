"""Prices and channel protection (渠道保护) on one day, checked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.config.schema import BrandSpec
from sim.market.channels import ChannelTable
from sim.market.prices import brand_prices

from _support import scenario

DAY = dt.date(2026, 3, 1)
CHANNELS = ChannelTable.from_scenario(scenario())
TMALL, WECHAT = CHANNELS.code("tmall"), CHANNELS.code("wechat")


def brand(**strategy) -> BrandSpec:
    return BrandSpec.model_validate({
        "name": "b", "product": {"price": 129, "unit_cost": 35},
        "channels": {"tmall": {"price": 129}, "wechat": {"price": 129}},
        "strategy": {"promotions": [{"from": "2026-02-01", "to": "2026-03-31", "depth": 0.2, "channels": ["tmall"]}], **strategy},
    })


def coupon(tmall: float = 0.0) -> np.ndarray:
    c = np.zeros(len(CHANNELS))
    c[TMALL] = tmall
    return c


def test_no_parity_leaves_the_gap_open():
    p = brand_prices(brand(parity="none"), CHANNELS, coupon(), DAY)
    assert p.price[TMALL] == pytest.approx(103.2) and p.price[WECHAT] == 129
    assert p.parity_gap == pytest.approx(129 - 103.2) and p.promo[TMALL] and not p.promo[WECHAT]


def test_strict_parity_matches_wechat_to_tmall_effective_price_after_coupons():
    p = brand_prices(brand(parity="strict"), CHANNELS, coupon(10), DAY)
    assert p.effective[TMALL] == pytest.approx(93.2)
    assert p.price[WECHAT] == pytest.approx(93.2) and p.parity_gap == pytest.approx(0)


def test_floor_holds_tmall_at_the_wechat_price_but_not_above_list():
    p = brand_prices(brand(parity="floor"), CHANNELS, coupon(), DAY)
    assert p.price[TMALL] == pytest.approx(129) and p.parity_gap == pytest.approx(0)
    q = brand_prices(brand(parity="floor"), CHANNELS, coupon(30), DAY)
    assert q.price[TMALL] == pytest.approx(129) and q.parity_gap == pytest.approx(30)  # platform coupon still bites


def test_minimum_advertised_price_caps_every_discount():
    p = brand_prices(brand(parity="none", min_advertised_price_yuan=119), CHANNELS, coupon(), DAY)
    assert p.price[TMALL] == pytest.approx(119) and p.parity_gap == pytest.approx(10)


def test_wechat_bundle_hides_the_gap():
    p = brand_prices(brand(parity="none", wechat_bundle=True), CHANNELS, coupon(), DAY)
    assert p.parity_gap == 0 and not p.comparable and p.price[WECHAT] == 129


def test_promotion_outside_its_dates_does_nothing():
    p = brand_prices(brand(parity="none"), CHANNELS, coupon(), dt.date(2026, 4, 1))
    assert p.price[TMALL] == 129 and not p.promo.any()
