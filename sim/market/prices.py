"""A brand's prices on one day: list price, promotions, channel protection, coupons.

Channel protection (渠道保护, 价格体系) is applied here, after promotions:

* ``parity: strict`` — the WeChat price follows the lowest effective marketplace price
  (after platform coupons), so group leaders never see a gap;
* ``parity: floor`` — a marketplace price may not be cut below the WeChat price plus the
  platform coupon (the brand holds back from deep Tmall discounts), never above list;
* ``min_advertised_price_yuan`` — no channel price below the MAP (Israeli et al. 2016);
* ``wechat_bundle`` — WeChat sells a bundle, so prices cannot be compared: the gap seen
  by comparing shoppers and by group leaders is zero.

Livestream sessions (``strategy.livestreams``) list the brand on their livestream channel
for the day at the session price, held to the lowest-price clause (全网最低价): a session
price above the lowest effective price anywhere else that day is clipped to it. The
session price is public: it enters the parity gap; strict parity matches it on WeChat only
for a session ``covered_by_parity``.
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


def sessions_on(brand: BrandSpec, date: dt.date) -> tuple[int, ...]:
    """Indices of ``brand``'s livestream sessions on ``date``."""
    return tuple(j for j, s in enumerate(brand.strategy.livestreams) if s.date == date)


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
    covered = _open_sessions(brand, channels, date, listed, base, price)
    coupon = np.where(listed, coupon_today, 0.0)
    price = _protect(brand, channels, price, base, coupon, covered)
    coupon = np.minimum(coupon, nan_to_zero(price))
    effective = price - coupon
    gap, comparable = _parity_gap(brand, channels, effective, listed)
    promo = listed & ((depth > 0) | (coupon > 0))
    discount = float(np.max(np.where(listed, 1.0 - price / base, 0.0), initial=0.0))  # a MAP above list is no discount
    return BrandPrices(listed, price, promo, coupon, effective, gap, comparable, discount)


def _open_sessions(brand: BrandSpec, channels: ChannelTable, date: dt.date, listed: np.ndarray, base: np.ndarray,
                   price: np.ndarray) -> list[int]:
    """List the brand on the livestream channels of today's sessions at the session price
    (in place: ``listed``, ``base`` = list price, ``price``); the channel codes whose
    session strict parity covers."""
    covered = []
    for j in sessions_on(brand, date):
        session = brand.strategy.livestreams[j]
        c = channels.code(session.channel)
        listed[c], base[c] = True, brand.product.price
        price[c] = session.price_yuan if session.price_yuan is not None else base[c] * (1.0 - session.terms()[4])
        if session.covered_by_parity:
            covered.append(c)
    return covered


def _protect(brand: BrandSpec, channels: ChannelTable, price: np.ndarray, base: np.ndarray, coupon: np.ndarray,
             covered: list[int]) -> np.ndarray:
    """Channel protection, then the lowest-price clause of today's sessions; strict parity
    matches the ``covered`` sessions too."""
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
    _lowest_price_clause(channels, price, coupon)
    if social is not None and not np.isnan(price[social]) and strategy.parity == "strict":
        for c in covered:
            price[social] = min(price[social], price[c] - coupon[c])
    if strategy.min_advertised_price_yuan is not None:
        price = np.maximum(price, strategy.min_advertised_price_yuan)
    return price


def _lowest_price_clause(channels: ChannelTable, price: np.ndarray, coupon: np.ndarray) -> None:
    """Clip (in place) each open session's effective price to the lowest effective price
    on the brand's other channels today (全网最低价)."""
    live = [c for c in channels.livestreams if not np.isnan(price[c])]
    others = [c for c in range(len(price)) if c not in live and not np.isnan(price[c])]
    if live and others:
        lowest = min(price[c] - coupon[c] for c in others)
        for c in live:
            price[c] = min(price[c], lowest + coupon[c])


def _parity_gap(brand: BrandSpec, channels: ChannelTable, effective: np.ndarray, listed: np.ndarray) -> tuple[float, bool]:
    """WeChat's effective price above the lowest on the open marketplaces and today's
    livestream sessions (both public prices); 0 when not comparable."""
    social = channels.social
    markets = [c for c in channels.marketplaces + channels.livestreams if listed[c]]
    if social is None or not listed[social] or not markets:
        return 0.0, True
    if brand.strategy.wechat_bundle:
        return 0.0, False
    return float(effective[social] - min(effective[c] for c in markets)), True
