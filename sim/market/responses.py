"""Competitor responses at work: each morning a brand reads yesterday's public facts and
its rules decide whether to move (竞品应对).

Each rule (:class:`~sim.config.responses.Response`) is a small state machine::

    idle ──trigger holds──▶ noticed ──lag, still holds──▶ acting ──trigger gone, hold
      ▲                        │ (gone: back to idle)        │    days over──▶ ending
      └──────────────────── lag, still gone ◀────────────────┴──────────────────┘

While acting, a ``match_price`` rule follows the rival's price (each move counts as one
response), a ``bid_search_ads`` rule commits its daily budget until its cap, and a
``counter_promote`` rule holds a promotion over the next platform event on its channel.
A brand changes at most one thing a day (its first rule that wants to), so rules that
answer each other take turns day by day and can never loop within a day; caps
(``max_responses``, ``budget_cap_yuan``) and floors end a price war.

Only what a real brand could see is read: rivals' shelf prices (after promotions),
rivals' ad spend on a channel (search ads are visible on the results page), and the
brand's own orders against the category's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config.responses import Response
from ..config.schema import BrandSpec
from .channels import Calendar, ChannelTable

__all__ = ["MarketWatch", "ResponseDesk", "ResponseEvent"]

#: Price moves smaller than this (¥) are not worth a change.
PRICE_STEP_YUAN = 0.5
#: Days of rival ad spend averaged by a rival_search_ads trigger.
AD_WINDOW_DAYS = 7


@dataclass(frozen=True)
class MarketWatch:
    """What every brand can see on the morning of ``day``: yesterday's public facts.

    Attributes
    ----------
    day : int
    shelf : (B, C) ndarray
        Each brand's price per channel yesterday after promotions, protection and
        responses, before platform coupons (¥; NaN where not listed).
    regular : (B, C) ndarray
        Each brand's regular price (the crossed-out 划线价 a shelf shows beside a deal):
        as written and scheduled, before promotions and responses (¥; NaN where not listed).
    orders : (day, B) ndarray
        Orders per day and brand so far, all channels.
    ad_spend : (day, B, C) ndarray
        Ad spend per day, brand and channel so far (¥).
    """

    day: int
    shelf: np.ndarray
    regular: np.ndarray
    orders: np.ndarray
    ad_spend: np.ndarray


@dataclass(frozen=True)
class ResponseEvent:
    """A line of the response log: on ``date`` ``brand`` started, moved or ended ``rule``."""

    day: int
    date: dt.date
    brand: str
    rule: str
    what: str      # "start", "move", "end", "cap"
    detail: str


@dataclass
class _RuleState:
    phase: str = "idle"           # idle, noticed, acting, ending, spent
    due: int = 0                  # day the pending phase change falls due
    since: int = 0                # day the action started
    count: int = 0                # responses taken
    committed: float = 0.0        # ¥ committed by bid_search_ads
    price: float = float("nan")   # match_price: the price set
    window: tuple[int, int] | None = None  # counter_promote: event days (first, last)


@dataclass
class ResponseDesk:
    """One brand's response rules and their state over a run.

    Parameters
    ----------
    code : int
        The brand's row in the watch's arrays.
    names : list of str
        Every brand's name, by code.
    channels : ChannelTable
    calendar : Calendar
        Platform events (for counter-promotions).
    rules : list of Response
    """

    code: int
    names: list[str]
    channels: ChannelTable
    calendar: Calendar
    rules: list[Response]
    states: list[_RuleState] = field(init=False)
    log: list[ResponseEvent] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.states = [_RuleState() for _ in self.rules]

    def morning(self, watch: MarketWatch, regular: BrandSpec) -> bool:
        """Let the rules read ``watch``; True if the brand's response changes changed.

        ``regular`` is the brand as scheduled, before responses: the terms it returns to.
        """
        for rule, state in zip(self.rules, self.states):
            if self._advance(rule, state, watch, regular):
                return True  # one change a brand a day
        return False

    def changes(self, regular: BrandSpec) -> dict[str, Any]:
        """The dotted-path changes the acting rules make to ``regular`` (the scheduled brand).

        A matched price is the brand's deal price on its channel: its own promotions there
        pause meanwhile (else a matched price would be discounted again).
        """
        out: dict[str, Any] = {}
        ads = [a.model_dump() for a in regular.strategy.search_ads]
        promos = [p.model_dump(by_alias=True) for p in regular.strategy.promotions]
        matched: set[str] = set()
        for rule, state in zip(self.rules, self.states):
            if state.phase not in ("acting", "ending"):
                continue
            act = rule.action
            if act.kind == "match_price":
                out[f"channels.{act.channel}.price"] = state.price
                matched.add(act.channel)
            elif act.kind == "bid_search_ads":
                ads.append({"channel": act.channel, "budget_per_day": act.budget_per_day_yuan, "cpc_yuan": act.cpc_yuan})
            elif state.window is not None:
                first, last = state.window
                promos.append({"name": rule.name, "from": self.calendar.dates[first], "to": self.calendar.dates[last],
                               "depth": act.depth, "channels": [act.channel]})
        if len(ads) > len(regular.strategy.search_ads):
            out["strategy.search_ads"] = ads
        kept = [{**p, "channels": [c for c in p["channels"] if c not in matched]} for p in promos]
        kept = [p for p in kept if p["channels"]]
        if kept != [p.model_dump(by_alias=True) for p in regular.strategy.promotions]:
            out["strategy.promotions"] = kept
        return out

    # ------------------------------------------------------------------ the machine
    def _advance(self, rule: Response, state: _RuleState, watch: MarketWatch, regular: BrandSpec) -> bool:
        t = watch.day
        holds = self._holds(rule, watch, regular)
        if state.phase == "idle" and holds and state.count < rule.max_responses:
            state.phase, state.due = "noticed", t + rule.lag_days
        if state.phase == "noticed" and t >= state.due:
            if not holds:
                state.phase = "idle"
                return False
            return self._start(rule, state, watch, regular)
        if state.phase == "acting":
            return self._act(rule, state, watch, regular, holds)
        if state.phase == "ending" and t >= state.due:
            if holds:
                state.phase = "acting"
                return False
            return self._end(rule, state, t, "trigger gone")
        return False

    def _start(self, rule: Response, state: _RuleState, watch: MarketWatch, regular: BrandSpec) -> bool:
        t, act = watch.day, rule.action
        if act.kind == "match_price":
            state.price = self._target_price(rule, watch, regular)
            if not state.price < regular.price_on(act.channel) - PRICE_STEP_YUAN:
                state.phase = "idle"  # the rival is not below what we would charge: nothing to do
                return False
            detail = f"{act.channel} price ¥{state.price:,.2f}"
        elif act.kind == "counter_promote":
            state.window = self._next_event(act.channel, t)
            if state.window is None:
                state.phase = "spent"  # no event left in the run
                return False
            first, last = state.window
            detail = f"{act.depth:.0%} off on {act.channel} {self.calendar.dates[first]}–{self.calendar.dates[last]}"
        else:
            state.committed += act.budget_per_day_yuan
            detail = f"search ads on {act.channel} ¥{act.budget_per_day_yuan:,.0f}/day"
        state.phase, state.since, state.count = "acting", t, state.count + 1
        self._log(t, rule, "start", detail)
        return True

    def _act(self, rule: Response, state: _RuleState, watch: MarketWatch, regular: BrandSpec, holds: bool) -> bool:
        t, act = watch.day, rule.action
        if rule.max_days is not None and t - state.since >= rule.max_days:
            return self._end(rule, state, t, f"{rule.max_days} days: given up")
        if act.kind == "bid_search_ads":
            if rule.budget_cap_yuan is not None and state.committed + act.budget_per_day_yuan > rule.budget_cap_yuan:
                state.phase = "spent"
                self._log(t, rule, "cap", f"¥{state.committed:,.0f} committed")
                return True
            state.committed += act.budget_per_day_yuan
        if act.kind == "counter_promote":
            if t > state.window[1]:
                return self._end(rule, state, t, "event over")
            return False
        if act.kind == "match_price" and holds and state.count < rule.max_responses:
            price = self._target_price(rule, watch, regular)
            if abs(price - state.price) >= PRICE_STEP_YUAN and price < regular.price_on(act.channel):
                state.price, state.count = price, state.count + 1
                self._log(t, rule, "move", f"{act.channel} price ¥{price:,.2f}")
                return True
        if not holds and t - state.since >= rule.hold_days:
            state.phase, state.due = "ending", t + rule.lag_days
        return False

    def _end(self, rule: Response, state: _RuleState, t: int, why: str) -> bool:
        state.phase = "idle" if state.count < rule.max_responses else "spent"
        state.window = None
        self._log(t, rule, "end", why)
        return True

    # ------------------------------------------------------------------ what it reads
    def _rivals(self, rule: Response) -> list[int]:
        if rule.trigger.rival is not None:
            return [self.names.index(rule.trigger.rival)]
        return [b for b in range(len(self.names)) if b != self.code]

    def _holds(self, rule: Response, watch: MarketWatch, regular: BrandSpec) -> bool:
        trig, t = rule.trigger, watch.day
        if t == 0:
            return False
        c = self.channels.code(trig.channel)
        rivals = self._rivals(rule)
        if trig.kind == "rival_price_cut":
            shelf = watch.shelf[rivals, c]
            if trig.below_yuan is not None:
                return bool(np.any(shelf < trig.below_yuan))
            return bool(np.any(shelf <= watch.regular[rivals, c] * (1.0 - trig.cut_share)))
        if trig.kind == "rival_search_ads":
            days = slice(max(0, t - AD_WINDOW_DAYS), t)
            return bool(np.any(watch.ad_spend[days, rivals, c].mean(axis=0) >= trig.spend_per_day_yuan))
        return self._share_fell(trig.window_days, trig.share_drop, watch.orders)

    def _share_fell(self, window: int, drop: float, orders: np.ndarray) -> bool:
        if len(orders) < 2 * window:
            return False
        recent, before = orders[-window:].sum(axis=0), orders[-2 * window:-window].sum(axis=0)
        if recent.sum() <= 0 or before.sum() <= 0:
            return False
        return bool(before[self.code] / before.sum() - recent[self.code] / recent.sum() >= drop)

    def _target_price(self, rule: Response, watch: MarketWatch, regular: BrandSpec) -> float:
        """The rivals' lowest shelf price on the action's channel less the undercut, never below the floor."""
        act = rule.action
        shelf = watch.shelf[self._rivals(rule), self.channels.code(act.channel)]
        lowest = float(np.nanmin(shelf)) if np.any(~np.isnan(shelf)) else regular.price_on(act.channel)
        floor = act.floor_yuan if act.floor_yuan is not None else regular.product.unit_cost
        return round(max(floor, lowest * (1.0 - act.undercut_share)), 2)

    def _next_event(self, channel: str, t: int) -> tuple[int, int] | None:
        """First and last day of the next platform event window on ``channel`` from day ``t``."""
        days = np.flatnonzero(self.calendar.event_window[t:, self.channels.code(channel)]) + t
        if len(days) == 0:
            return None
        gaps = np.flatnonzero(np.diff(days) > 1)
        last = days[gaps[0]] if len(gaps) else days[-1]
        return int(days[0]), int(last)

    def _log(self, t: int, rule: Response, what: str, detail: str) -> None:
        self.log.append(ResponseEvent(t, self.calendar.dates[t], self.names[self.code], rule.name, what, detail))
