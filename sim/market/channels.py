"""Channels as data, and the platform calendar (618, Double 11).

A channel is what the scenario says it is: an open marketplace (Tmall, 天猫: search
shows rivals, trust premium, platform events), a closed social channel (WeChat, 微信:
private domain, groups, referral links), a livestream channel (Taobao Live, Douyin
live: a brand sells there only on its session days) or a seeding-only medium (小红书).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..config.schema import OfficialAccount, Scenario

__all__ = ["ChannelTable", "Calendar", "build_calendar", "DOUBLE11", "CHANNEL_NAMES", "CHANNEL_NAMES_ZH", "channel_name"]

#: Display names of the well-known channel keys (plots, tables, dashboard); any other key shows as written.
CHANNEL_NAMES = {"tmall": "Tmall", "wechat": "WeChat", "douyin": "Douyin", "jd": "JD.com",
                 "xiaohongshu": "Xiaohongshu", "pinduoduo": "Pinduoduo", "kuaishou": "Kuaishou"}
#: The same in Chinese (the dashboard's and handouts' zh text).
CHANNEL_NAMES_ZH = {"tmall": "天猫", "wechat": "微信", "douyin": "抖音", "jd": "京东", "xiaohongshu": "小红书",
                    "pinduoduo": "拼多多", "kuaishou": "快手"}


def channel_name(key: str, lang: str = "en") -> str:
    """The display name of channel ``key`` in ``lang`` ("en" or "zh"): ``tmall`` → ``Tmall`` / ``天猫``;
    an unknown key as written."""
    return (CHANNEL_NAMES_ZH if lang == "zh" else CHANNEL_NAMES).get(key.lower(), key)

DOUBLE11 = "double11"


@dataclass(frozen=True)
class ChannelTable:
    """Per-channel arrays, indexed by channel code (scenario order)."""

    keys: tuple[str, ...]
    roles: tuple[str, ...]
    transacts: np.ndarray
    take_rate: np.ndarray
    payment_fee: np.ndarray
    trust_premium_yuan: np.ndarray
    open_search: np.ndarray
    #: Each channel's official account (公众号) rules, None where it has none.
    accounts: tuple[OfficialAccount | None, ...]

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> "ChannelTable":
        chans = list(scenario.channels.values())
        return cls(
            keys=tuple(scenario.channels),
            roles=tuple(c.role for c in chans),
            transacts=np.array([c.transacts for c in chans]),
            take_rate=np.array([c.take_rate for c in chans]),
            payment_fee=np.array([c.payment_fee for c in chans]),
            trust_premium_yuan=np.array([c.trust_premium_yuan for c in chans]),
            open_search=np.array([c.open_search for c in chans]),
            accounts=tuple(c.official_account for c in chans),
        )

    def code(self, key: str) -> int:
        return self.keys.index(key)

    def with_role(self, role: str) -> list[int]:
        return [i for i, r in enumerate(self.roles) if r == role]

    @cached_property  # read many times a day; a frozen table never changes
    def social(self) -> int | None:
        """The (first) transacting social channel, e.g. WeChat."""
        codes = [c for c in self.with_role("social") if self.transacts[c]]
        return codes[0] if codes else None

    @cached_property
    def marketplaces(self) -> list[int]:
        return [c for c in self.with_role("marketplace") if self.transacts[c]]

    @cached_property
    def livestreams(self) -> list[int]:
        """Livestream channels (Taobao Live, Douyin live): a brand sells there in its sessions only."""
        return self.with_role("livestream")

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class Calendar:
    """Platform events laid out over the run's days.

    Attributes
    ----------
    dates : list of datetime.date, one per day
    coupon_yuan : (days, C) platform coupon per order
    brand_funded : (days, C) share of that coupon the brand pays
    need_boost : (days,) multiplier on category need (main event days)
    wait_until : (days,) int, the day an event's coupon starts on the anticipation days
        before it (``behaviour.event_anticipation_days``), −1 on other days
    double11_window : (days, C) presale-to-main-day window of a Double 11 event
    event_names : (days,) name of the main event that day, '' otherwise
    event_window : (days, C) bool, a platform event (presale to main day) runs on the channel
    double11_open : (days,) bool, a Double 11 window is open on some channel (routing runs)
    """

    dates: list[dt.date]
    coupon_yuan: np.ndarray
    brand_funded: np.ndarray
    need_boost: np.ndarray
    wait_until: np.ndarray
    double11_window: np.ndarray
    event_names: list[str]
    event_window: np.ndarray
    double11_open: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "double11_open", self.double11_window.any(axis=1))  # frozen: set once, here


def _month_day(text: str, year: int) -> dt.date:
    month, day = (int(x) for x in text.split("-"))
    return dt.date(year, month, day)


def build_calendar(scenario: Scenario) -> Calendar:
    """Lay out each channel's events over the simulated days (repeating each year)."""
    sim = scenario.simulation
    dates = [sim.start_date + dt.timedelta(days=t) for t in range(sim.days)]
    n_c = len(scenario.channels)
    coupon = np.zeros((sim.days, n_c))
    funded = np.ones((sim.days, n_c))
    boost = np.ones(sim.days)
    wait_until = np.full(sim.days, -1, np.int64)
    d11 = np.zeros((sim.days, n_c), bool)
    window = np.zeros((sim.days, n_c), bool)
    names = [""] * sim.days
    day_of = {d: t for t, d in enumerate(dates)}
    for c, channel in enumerate(scenario.channels.values()):
        for event in channel.events:
            for year in sorted({d.year for d in dates}):
                main = _month_day(event.date, year)
                first = _month_day(event.presale_from, year) if event.presale_from else main
                for t in (day_of[d] for d in _days_between(first, main) if d in day_of):
                    coupon[t, c] = event.coupon_yuan
                    funded[t, c] = event.brand_funded_share
                    d11[t, c] |= event.name.lower() == DOUBLE11
                    window[t, c] = True
                if main in day_of:
                    boost[day_of[main]] = max(boost[day_of[main]], event.need_boost)
                    names[day_of[main]] = event.name
                if event.coupon_yuan > 0:  # an event without a coupon gives nothing to wait for
                    _anticipate(wait_until, dates[0], first, scenario.world.behaviour.event_anticipation_days)
    return Calendar(dates, coupon, funded, boost, wait_until, d11, names, window)


def _anticipate(wait_until: np.ndarray, start: dt.date, first: dt.date, days: int) -> None:
    """Mark the ``days`` before an event's coupon starts on ``first`` with that day's index
    (which may lie past the run's end): a need arriving then may wait for it."""
    coupon_day = (first - start).days
    for t in range(max(coupon_day - days, 0), min(coupon_day, len(wait_until))):
        wait_until[t] = coupon_day


def _days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
