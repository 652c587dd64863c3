"""Competitor response rules (竞品应对): what a brand does when a rival moves.

A rule is a trigger (what the brand watches: a rival's shelf price, its own order share,
a rival's search ads), an action (match or undercut a price, bid search ads back,
counter-promote at the next platform event), a lag and caps. Bundled archetypes
(:data:`ARCHETYPES`) stand for common postures and can be named instead of written out.

The default is no rule at all: in the largest study of competitive reactions (Steenkamp,
Nijs, Hanssens & Dekimpe 2005, 442 categories) the most common reaction to a rival's
price promotion is none; where brands do react they mostly answer in kind (a promotion
with a promotion, advertising with advertising; Leeflang & Wittink 1996). Lags, depths
and caps of the archetypes are assumptions, documented in docs/MODEL.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .base import Strict

__all__ = ["Response", "ResponseTrigger", "ResponseAction", "ARCHETYPES", "TriggerKind", "ActionKind",
           "expand_archetypes"]

TriggerKind = Literal["rival_price_cut", "share_loss", "rival_search_ads"]
ActionKind = Literal["match_price", "bid_search_ads", "counter_promote"]


class ResponseTrigger(Strict):
    """What the brand watches, read each morning from yesterday's public facts."""

    kind: TriggerKind = Field(description="rival_price_cut: a rival's shelf price on `channel` is at least `cut_share` "
                                          "below that rival's regular price there (or below `below_yuan`); "
                                          "share_loss: the brand's share of the category's orders fell by at least "
                                          "`share_drop` over `window_days`; rival_search_ads: a rival spends at least "
                                          "`spend_per_day_yuan` a day on ads on `channel`")
    channel: str = Field("tmall", description="channel watched (a channel key)")
    rival: str | None = Field(None, description="brand watched (a brand name); default: every other brand")
    cut_share: float = Field(0.05, gt=0, lt=1, description="rival_price_cut: the rival's cut below its own regular price, share. assumption")
    below_yuan: float | None = Field(None, gt=0, description="rival_price_cut: fires when the rival's shelf price is below this (¥) instead")
    share_drop: float = Field(0.03, gt=0, le=1, description="share_loss: fall in order share (share points, 0.03 = 3 points). assumption")
    window_days: int = Field(28, ge=1, le=365, description="share_loss: days compared with the same number of days before. assumption")
    spend_per_day_yuan: float = Field(5000.0, ge=0, description="rival_search_ads: a rival's mean ad spend over the last 7 days (¥/day). assumption")


class ResponseAction(Strict):
    """What the brand does while the trigger holds (after the lag)."""

    kind: ActionKind = Field(description="match_price: set the price on `channel` to the rival's shelf price × "
                                         "(1 − `undercut_share`), never below `floor_yuan`; bid_search_ads: buy search ads "
                                         "on `channel`; counter_promote: a promotion of `depth` on `channel` over the "
                                         "next platform event there")
    channel: str = Field("tmall", description="channel where the brand acts (a channel key it sells on)")
    undercut_share: float = Field(0.0, ge=0, lt=1, description="match_price: 0 matches, 0.05 undercuts by 5 %")
    floor_yuan: float | None = Field(None, gt=0, description="match_price: lowest price (¥); default: the product's unit cost")
    budget_per_day_yuan: float = Field(10000.0, ge=0, description="bid_search_ads: ¥ per day. assumption")
    cpc_yuan: float = Field(1.5, gt=0, description="bid_search_ads: cost per click (¥). assumption")
    depth: float = Field(0.15, gt=0, lt=1, description="counter_promote: discount, share of price. assumption")


class Response(Strict):
    """One rule: when ``trigger`` holds, do ``action`` after ``lag_days``; stop after caps."""

    name: str = Field("response", min_length=1, max_length=64, description="label in the response log")
    trigger: ResponseTrigger
    action: ResponseAction
    lag_days: int = Field(7, ge=0, le=365, description="days from noticing to acting, and from the trigger ending to undoing the action. assumption")
    hold_days: int = Field(0, ge=0, le=365, description="an action lasts at least this many days once taken")
    max_responses: int = Field(3, ge=1, le=1000, description="actions taken at most (a price move, a bid, a promotion each count once)")
    max_days: int | None = Field(None, ge=1, le=3650, description="an action ends after this many days whatever the trigger "
                                 "does: the brand gives up a price war (default: it lasts while the trigger holds)")
    budget_cap_yuan: float | None = Field(None, ge=0, description="bid_search_ads: stop once this much (¥) has been committed")

    @model_validator(mode="after")
    def _price_trigger_for_price_action(self) -> "Response":
        if self.action.kind == "match_price" and self.trigger.kind == "rival_search_ads":
            raise ValueError("action.kind: match_price needs a price to match: use a rival_price_cut or share_loss "
                             "trigger, or bid_search_ads / counter_promote for rival_search_ads")
        return self


def _rule(name: str, trigger: dict[str, Any], action: dict[str, Any], **terms: Any) -> dict[str, Any]:
    return {"name": name, "trigger": trigger, "action": action, **terms}


#: Named postures (all figures assumptions; docs/MODEL.md, "Competitor responses").
ARCHETYPES: dict[str, list[dict[str, Any]]] = {
    # Matches a rival's Tmall price cut a week later, never below cost; three moves a year.
    "follower": [_rule("follow a price cut", {"kind": "rival_price_cut", "cut_share": 0.05},
                       {"kind": "match_price"}, lag_days=7, max_responses=3)],
    # Undercuts by 5 % within two days (five moves, two months at most) and bids back
    # against search-ad poaching.
    "aggressor": [
        _rule("undercut a price cut", {"kind": "rival_price_cut", "cut_share": 0.03},
              {"kind": "match_price", "undercut_share": 0.05}, lag_days=2, max_responses=5, max_days=60),
        _rule("bid back", {"kind": "rival_search_ads", "spend_per_day_yuan": 5000},
              {"kind": "bid_search_ads", "budget_per_day_yuan": 10000}, lag_days=3, max_responses=3,
              budget_cap_yuan=1_000_000),
    ],
    # Never cuts its price: answers a share loss with a promotion at the next platform event.
    "premium_holder": [
        _rule("promote at the next event", {"kind": "share_loss", "share_drop": 0.03, "window_days": 28},
              {"kind": "counter_promote", "depth": 0.15}, lag_days=0, max_responses=2),
    ],
}


def expand_archetypes(rules: Any) -> Any:
    """``responses`` as written, with each archetype name replaced by its rules."""
    if not isinstance(rules, list):
        return rules
    out: list[Any] = []
    for rule in rules:
        if isinstance(rule, str) and rule in ARCHETYPES:
            out += [dict(r) for r in ARCHETYPES[rule]]
        elif isinstance(rule, str):
            raise ValueError(f"unknown archetype {rule!r}; bundled: {', '.join(ARCHETYPES)} (or write a rule)")
        else:
            out.append(rule)
    return out
