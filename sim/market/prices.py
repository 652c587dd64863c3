"""A brand's prices on one day: list price, promotions, channel protection, coupons.

Channel protection (渠道保护, 价格体系) is applied here, after promotions:

* ``parity: strict`` — the WeChat price follows the lowest effective marketplace price
  (after platform coupons), so group leaders never see a gap;
* ``parity: floor`` — a marketplace price may not be cut below the WeChat price plus the
  platform coupon (the brand holds back from deep Tmall discounts), never above list;
* ``min_advertised_price_yuan`` — no channel price below the MAP (Israeli et al. 2016);
* ``wechat_bundle`` — WeChat sells a bundle, so prices cannot be compared: the gap seen
  by comparing shoppers and by group leaders is zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..config.schema import BrandSpec
from .channels import ChannelTable

__all__ = ["BrandPrices", "brand_prices", "nan_to_zero"]


@dataclass(frozen=True)
class BrandPrices:
    """One brand's prices on one day, per channel code (NaN where not listed).

    Attributes
    ----------
    listed : (C,) bool
    price : (C,) price charged per unit after promotions and protection (¥) = revenue
    promo : (C,) bool a brand promotion or platform coupon runs
    coupon : (C,) platform coupon per order (¥)
    effective : (C,) price − coupon: what a shopper pays for one unit (¥)
    parity_gap : WeChat effective − lowest marketplace effective (¥); 0 if not comparable
    comparable : False when a WeChat-only bundle hides the price
    discount : the brand's deepest own discount today, share of list price (platform
        coupons excluded): what its deal history remembers
    promoting : a promotion or platform coupon runs on some channel (promo.any(), read daily)
    """

    listed: np.ndarray
    price: np.ndarray
    promo: np.ndarray
    coupon: np.ndarray
    effective: np.ndarray
    parity_gap: float
    comparable: bool
    discount: float
    promoting: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "promoting", bool(self.promo.any()))  # frozen: set once, here


def nan_to_zero(prices: np.ndarray) -> np.ndarray:
    """Prices with 0 where a channel does not list the brand (NaN): ``np.nan_to_num`` for
    finite prices (the schema admits no infinity), at a tenth of its cost."""
    return np.where(np.isnan(prices), 0.0, prices)


def _promo_depth(brand: BrandSpec, channels: ChannelTable, date: dt.date) -> np.ndarray:
    depth = np.zeros(len(channels))
    for promo in brand.strategy.promotions:
        if promo.start <= date <= promo.end:
            for key in promo.channels:
                c = channels.code(key)
                depth[c] = max(depth[c], promo.depth)
    return depth


def brand_prices(brand: BrandSpec, channels: ChannelTable, coupon_today: np.ndarray, date: dt.date) -> BrandPrices:
    """Compute ``brand``'s prices for ``date``.

    Parameters
    ----------
    brand : BrandSpec
        The brand as of today (scheduled changes already applied).
    channels : ChannelTable
    coupon_today : (C,) ndarray
        Platform coupon per order on each channel today (Calendar.coupon_yuan[t]).
    date : datetime.date
    """
    listed = np.array([k in brand.channels for k in channels.keys])
    base = np.array([brand.price_on(k) if ok else np.nan for k, ok in zip(channels.keys, listed)])
    depth = _promo_depth(brand, channels, date)
    price = base * (1.0 - depth)
    coupon = np.where(listed, coupon_today, 0.0)
    price = _protect(brand, channels, price, base, coupon)
    coupon = np.minimum(coupon, nan_to_zero(price))
    effective = price - coupon
    gap, comparable = _parity_gap(brand, channels, effective, listed)
    promo = listed & ((depth > 0) | (coupon > 0))
    discount = float(np.max(np.where(listed, 1.0 - price / base, 0.0), initial=0.0))  # a MAP above list is no discount
    return BrandPrices(listed, price, promo, coupon, effective, gap, comparable, discount)


def _protect(brand: BrandSpec, channels: ChannelTable, price: np.ndarray, base: np.ndarray, coupon: np.ndarray) -> np.ndarray:
    strategy = brand.strategy
    social = channels.social
    markets = [c for c in channels.marketplaces if not np.isnan(price[c])]
    price = price.copy()
    if social is not None and not np.isnan(price[social]) and markets:
        if strategy.parity == "strict":
            lowest = min(price[c] - coupon[c] for c in markets)
            price[social] = min(price[social], lowest)
        elif strategy.parity == "floor":
            for c in markets:
                price[c] = min(base[c], max(price[c], price[social] + coupon[c]))
    if strategy.min_advertised_price_yuan is not None:
        price = np.maximum(price, strategy.min_advertised_price_yuan)
    return price


def _parity_gap(brand: BrandSpec, channels: ChannelTable, effective: np.ndarray, listed: np.ndarray) -> tuple[float, bool]:
    social = channels.social
    markets = [c for c in channels.marketplaces if listed[c]]
    if social is None or not listed[social] or not markets:
        return 0.0, True
    if brand.strategy.wechat_bundle:
        return 0.0, False
    return float(effective[social] - min(effective[c] for c in markets)), True
