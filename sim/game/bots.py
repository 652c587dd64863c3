"""Scripted teams for the demo: three plans a class might try, each adapting to what it sees.

A bot sees what a team sees — its own results and rivals' public prices and
promotions — and decides like a team, through :meth:`Game.submit` (same ranges, same
budget). The plans are illustrations, not optima:

* ``premium`` — price 15 % above the start, strict parity, better content, KOL-heavy
  influencer budget, buys the market research (when the game offers it); cuts its price 5 % when its revenue share falls below 2/3 of an
  equal share;
* ``discounter`` — undercuts the cheapest rival marketplace price by ¥5, no parity,
  paid media and a 10-day promotion every round;
* ``private_domain`` — WeChat price 10 % under the marketplace (no parity), KOCs,
  a higher referral commission and every free push; raises the commission 2 points
  while its private domain grows less than 10 % a round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..dashboard.levers import Value
from .engine import RESEARCH, TeamLevers, TeamResult, planned_spend
from .game import Game, PublicView
from .spec import GameSpec

__all__ = ["ARCHETYPES", "decide", "play_demo", "DEMO_GAME"]

DEMO_GAME = Path(__file__).resolve().parent.parent.parent / "experiments" / "game_demo.yaml"

Plan = Callable[[TeamLevers, dict[str, Value], list[TeamResult], list[dict[str, PublicView]]], dict[str, float | str | bool]]


def _premium(team: TeamLevers, last: dict[str, Value], own: list[TeamResult], public: list[dict[str, PublicView]]) -> dict:
    if not own:
        start = float(team.initial.get("marketplace_price", 129)) * 1.15
        return {"marketplace_price": start, "social_price": start, "parity": "strict", "content_quality": 0.8,
                "koc_share": 20, "paid_budget": 2000, RESEARCH: True}
    fair = 1.0 / (len(public[-1]) + 1)
    if own[-1].share < 2 / 3 * fair:
        price = float(last["marketplace_price"]) * 0.95
        return {"marketplace_price": price, "social_price": price}
    return {}


def _discounter(team: TeamLevers, last: dict[str, Value], own: list[TeamResult], public: list[dict[str, PublicView]]) -> dict:
    base = {"parity": "none", "paid_budget": 8000, "promotion_depth": 20, "promotion_days": 10}
    rivals = [p.prices.get("tmall") for p in public[-1].values()] if public else []
    rivals = [x for x in rivals if x == x and x is not None]
    target = min(rivals) - 5 if rivals else float(team.initial.get("marketplace_price", 129)) * 0.85
    return {**base, "marketplace_price": target, "social_price": target}


def _private_domain(team: TeamLevers, last: dict[str, Value], own: list[TeamResult], public: list[dict[str, PublicView]]) -> dict:
    if not own:
        price = float(team.initial.get("marketplace_price", 129))
        return {"parity": "none", "social_price": price * 0.9, "koc_share": 80, "referral": 15, "pushes": 4}
    growing = len(own) < 2 or own[-1].private_domain >= 1.1 * own[-2].private_domain
    return {} if growing else {"referral": float(last["referral"]) + 2}


ARCHETYPES: dict[str, Plan] = {"premium": _premium, "discounter": _discounter, "private_domain": _private_domain}


def decide(game: Game, team: str, plan: str) -> dict[str, Value]:
    """The bot's decision for the open round, within the game's ranges and budget."""
    levers = game.rules.team(team)
    number, _ = game.current()
    last = game.decisions_of(number)[team]
    own = [game.results(r)[team] for r in range(1, number)]
    public = [{t: v for t, v in game.public(r).items() if t != team} for r in range(1, number)]
    wanted = {k: v for k, v in ARCHETYPES[plan](levers, last, own, public).items() if k in {l.key for l in levers.levers}}
    return _within(levers, wanted, last, game.spec)


def _within(levers: TeamLevers, wanted: dict, last: dict[str, Value], spec: GameSpec) -> dict[str, Value]:
    """``wanted`` clipped to each lever's range, budgets scaled down to fit the budget per round."""
    out = {}
    for key, value in wanted.items():
        lever = levers.lever(key)
        if lever.kind == "slider":
            value = min(max(float(value), lever.low), lever.high)
            value = int(round(value)) if lever.integer else round(value, 2)
        out[key] = value
    spend, budget = planned_spend({**last, **out}, spec), spec.budget_per_round
    if spend > budget:
        factor = budget / spend
        for key in ("paid_budget", "influencer_budget"):
            if key in last or key in out:
                out[key] = int(float(out.get(key, last[key])) * factor)
    return out


def play_demo(out: Path, population: int | None = None, progress: Callable[[str], None] | None = None) -> Game:
    """Create the demo game in ``out`` and play every round with the three bots.

    Teams are matched to plans in order: premium, discounter, private domain.
    """
    overrides = [f"population={population}"] if population else []
    game = Game.create(DEMO_GAME, out, overrides)
    plans = dict(zip(game.rules.names, ARCHETYPES))
    say = progress or (lambda _text: None)
    while not game.over():
        number = game.open_round()
        for team, plan in plans.items():
            game.submit(team, decide(game, team, plan))
        game.close_round()
        game.play_round()
        say(f"round {number} played")
    return game
