"""Rounds of one market: every team's brand, decisions taking effect from a round's first day.

A game's market is the scenario of the game file with its brands replaced by the teams'
brands, each a copy of one scenario brand (so every team starts equal), running
``rounds × days_per_round`` days from one seed. A round's decisions become, for each
team, a schedule entry of its brand from the round's first day to the end of the run
(:func:`sim.dashboard.workshop.schedule_from`) and, if it chose one, a promotion over the
round's first days. The market then simulates the round's days and continues from
there in the next round.

Everything is determined by the market, the seed and the decisions: the market after
round r is rebuilt exactly by replaying rounds 1..r (:func:`replay`), which is how a
game survives its server being killed, how a round is undone, and how "what if" works
(replay round r with one team's decision changed, on the same random numbers).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..config.loader import Document, load_model, load_scenario, read_text
from ..config.schema import Promotion, Scenario
from ..dashboard.levers import Lever, LeverSet, Value, lever_set
from ..dashboard.workshop import schedule_from
from ..errors import Problem, ScenarioError, SocsimError
from ..ledger import MARKETING_FIELDS
from ..model import MarketModel
from ..population import Stage
from .spec import GameSpec, LeverRule

__all__ = ["GameRules", "TeamLevers", "Market", "TeamResult", "ChannelResult", "Decisions", "load_game", "market_scenario", "replay",
           "planned_spend", "PROMOTION_LEVERS", "RESEARCH", "GAME_LEVERS", "DecisionError"]

#: Decisions of one round: team name → lever key → value.
Decisions = Mapping[str, Mapping[str, Value]]
#: Days in a month when a monthly budget is spread over a round (assumption: 30-day months).
DAYS_PER_MONTH = 30.0


class DecisionError(SocsimError):
    """A team's decision is not allowed (unknown lever, out of range, over budget)."""


def _game_levers(spec: GameSpec) -> tuple[Lever, ...]:
    """Levers the game adds to the catalogue: a price promotion at the start of the round,
    and buying the market research if the game offers it (then every team may buy it)."""
    research = (Lever(RESEARCH, "Buy market research this round", "switch", False,
                      help="rivals' revenue shares, buyers and followers at the end of the round",
                      label_zh="本轮购买市场调研"),) if spec.research else ()
    return research + _promotion_levers(spec.days_per_round)


def _promotion_levers(days_per_round: int) -> tuple[Lever, ...]:
    return (Lever("promotion_depth", "Promotion: discount (%)", "slider", 0, low=0, high=50, step=1.0, integer=True,
                  help="a discount on every channel the brand sells on, public: rivals see it", label_zh="促销折扣 (%)"),
            Lever("promotion_days", "Promotion: days from the round's start", "slider", 0, low=0,
                  high=days_per_round, step=1.0, integer=True, help="how long the discount runs (0: no promotion)",
                  label_zh="促销天数 (从本轮第一天起)"))


PROMOTION_LEVERS = ("promotion_depth", "promotion_days")
RESEARCH = "buy_research"
#: Levers the engine acts on itself (not brand fields).
GAME_LEVERS = (*PROMOTION_LEVERS, RESEARCH)


def planned_spend(values: Mapping[str, Value], spec: GameSpec) -> float:
    """¥ a round's decisions plan to spend: paid media, influencers and research bought.

    Paid media (¥/day) × days + influencer budget (¥/month) × days / 30 + the research's
    price if bought. Commissions, coupons and content are paid as sales come and are not
    budgeted.
    """
    days = spec.days_per_round
    research = spec.research.price if spec.research is not None and values.get(RESEARCH) else 0.0
    return (float(values.get("paid_budget", 0)) * days + float(values.get("influencer_budget", 0)) * days / DAYS_PER_MONTH
            + research)


@dataclass(frozen=True)
class TeamLevers:
    """The levers one team may move, with the game's ranges, and its brand's catalogue.

    Attributes
    ----------
    team, brand : str
    code : int
        The brand's column in the market.
    catalogue : LeverSet
        The brand's dashboard levers (how values become brand fields).
    levers : tuple of Lever
        The game's levers for this team, ranges narrowed by the game file.
    initial : dict
        Round 1's values when a team submits nothing: the scenario's, within the game's ranges.
    """

    team: str
    brand: str
    code: int
    catalogue: LeverSet
    levers: tuple[Lever, ...]
    initial: dict[str, Value]

    def lever(self, key: str) -> Lever:
        for lever in self.levers:
            if lever.key == key:
                return lever
        raise DecisionError(f"lever {key!r} is not part of this game; levers: {', '.join(l.key for l in self.levers)}")

    def checked(self, values: Mapping[str, Any], previous: Mapping[str, Value]) -> dict[str, Value]:
        """``previous`` with ``values`` applied, each checked against the game's range.

        Raises
        ------
        DecisionError
            An unknown lever or a value of the wrong type or out of range.
        """
        out = dict(previous)
        for key, value in values.items():
            lever = self.lever(key)
            try:
                out[key] = lever.check(value)
            except SocsimError as exc:
                raise DecisionError(str(exc)) from None
        return out

    def changes(self, values: Mapping[str, Value]) -> dict[str, Any]:
        """Brand field changes of the catalogue levers among ``values``."""
        return self.catalogue.changes({k: v for k, v in values.items() if k not in GAME_LEVERS})


@dataclass(frozen=True)
class GameRules:
    """A validated game: the spec, its market and every team's levers."""

    spec: GameSpec
    scenario: Scenario
    teams: tuple[TeamLevers, ...]

    def team(self, name: str) -> TeamLevers:
        for team in self.teams:
            if team.team == name:
                return team
        raise DecisionError(f"no team {name!r} in this game")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.team for t in self.teams)

    def check(self, team: str, values: Mapping[str, Any], previous: Mapping[str, Value]) -> dict[str, Value]:
        """A team's full decision for a round: ranges and the budget checked.

        Raises
        ------
        DecisionError
            Unknown lever, value out of range, or planned spend over the budget per round.
        """
        full = self.team(team).checked(values, previous)
        spend = planned_spend(full, self.spec)
        if spend > self.spec.budget_per_round + 1e-6:
            raise DecisionError(f"planned spend ¥{spend:,.0f} for the round is over the budget of "
                                f"¥{self.spec.budget_per_round:,.0f}; lower the paid media or influencer budget")
        return full


# --------------------------------------------------------------------------- building the market
def market_scenario(spec: GameSpec, folder: Path) -> Scenario:
    """The game's market: the scenario with one copy of the starting brand per team.

    Raises
    ------
    ScenarioError
        The scenario file or an override is wrong.
    SocsimError
        The starting brand is not in the scenario.
    """
    base = load_scenario(_market_path(spec, folder), spec.overrides())
    names = [b.name for b in base.brands]
    start = spec.brand or names[0]
    if start not in names:
        raise SocsimError(f"brand {start!r} is not in the market; its brands: {', '.join(names)}")
    template = base.brands[names.index(start)].model_dump(mode="json", by_alias=True)
    data = base.model_dump(mode="json", by_alias=True)
    data["brands"] = [{**template, "name": t.brand} for t in spec.teams]
    data["name"] = f"{base.name}-game"
    return Scenario.model_validate(data)


def _market_path(spec: GameSpec, folder: Path) -> Path:
    return spec.market if spec.market.is_absolute() else folder / spec.market


def _narrowed(lever: Lever, rule: LeverRule) -> Lever:
    """``lever`` with the game's range; raises SocsimError when the rule does not fit the lever."""
    if lever.kind == "choice":
        if rule.low is not None or rule.high is not None:
            raise SocsimError(f"{lever.key} is a choice ({' | '.join(lever.choices)}): give choices, not low/high")
        choices = tuple(rule.choices) if rule.choices else lever.choices
        wrong = [c for c in choices if c not in lever.choices]
        if wrong:
            raise SocsimError(f"choices: {', '.join(wrong)} not allowed; allowed: {' | '.join(lever.choices)}")
        value = lever.value if lever.value in choices else choices[0]
        return replace(lever, choices=choices, value=value)
    if rule.choices is not None:
        raise SocsimError(f"{lever.key} is a {lever.kind}: choices do not apply")
    if lever.kind == "switch":
        if rule.low is not None or rule.high is not None:
            raise SocsimError(f"{lever.key} is an on/off switch: low/high do not apply")
        return lever
    low = lever.low if rule.low is None else rule.low
    high = lever.high if rule.high is None else rule.high
    if low < lever.low or high > lever.high:
        raise SocsimError(f"range {low:g}–{high:g} is outside what the lever allows in this market "
                          f"({lever.low:g}–{lever.high:g})")
    value = min(max(float(lever.value), low), high)
    return replace(lever, low=low, high=high, value=int(round(value)) if lever.integer else value)


def _team_levers(spec: GameSpec, scenario: Scenario) -> tuple[TeamLevers, ...]:
    out = []
    for code, team in enumerate(spec.teams):
        catalogue = lever_set(scenario, team.brand)
        known = {lever.key: lever for lever in (*catalogue.levers, *_game_levers(spec))}
        levers = tuple(_narrowed(known[key], rule) for key, rule in spec.levers.items())
        if spec.research is not None and RESEARCH not in spec.levers:
            levers += (known[RESEARCH],)
        out.append(TeamLevers(team.name, team.brand, code, catalogue, levers, {lv.key: lv.value for lv in levers}))
    return tuple(out)


def _game_check(folder: Path):
    """Loader check: the market loads, the brand exists, levers fit the catalogue, the budget the start."""

    def check(doc: Document, spec: GameSpec | None) -> list[Problem]:
        if spec is None:
            return []
        try:
            scenario = market_scenario(spec, folder)
        except ScenarioError as exc:
            where = doc.line_of(("market",))
            return [Problem("market", f"{p.render(exc.file)}", where) for p in exc.problems]
        except SocsimError as exc:
            return [Problem("brand" if spec.brand else "market", str(exc), doc.line_of(("brand",)) or doc.line_of(("market",)))]
        catalogue = lever_set(scenario, spec.teams[0].brand)
        known = {lever.key: lever for lever in (*catalogue.levers, *_game_levers(spec))}
        problems = []
        for key, rule in spec.levers.items():
            if key not in known:
                problems.append(Problem(f"levers.{key}", f"unknown lever; levers of this market: {', '.join(known)}",
                                        doc.line_of(("levers", key))))
                continue
            try:
                _narrowed(known[key], rule)
            except SocsimError as exc:
                problems.append(Problem(f"levers.{key}", str(exc), doc.line_of(("levers", key))))
        if not problems:
            start = _team_levers(spec, scenario)[0].initial
            values = {**catalogue.defaults(), **start}
            spend = planned_spend(values, spec)
            if spend > spec.budget_per_round:
                problems.append(Problem("budget_per_round", f"the starting decisions already plan ¥{spend:,.0f} a round "
                                        "(paid media × days + influencers × days/30); raise the budget to at least that",
                                        doc.line_of(("budget_per_round",))))
        return problems

    return check


def load_game(path: str | Path, overrides: Sequence[str] = ()) -> tuple[GameRules, str]:
    """Read and check a game file (with ``--set``-style ``overrides`` of its own fields, e.g.
    ``population=2000``); returns the rules and the file's text.

    Raises
    ------
    ScenarioError
        Every problem, as ``file:line: field: message`` (the market's own problems under ``market``).
    """
    path = Path(path)
    spec = load_model(path, GameSpec, overrides=overrides, file=str(path), checks=[_game_check(path.parent)])
    return rules_of(spec, market_scenario(spec, path.parent)), read_text(path)


def rules_of(spec: GameSpec, scenario: Scenario) -> GameRules:
    """The rules of a game whose market is already built (as stored)."""
    return GameRules(spec, scenario, _team_levers(spec, scenario))


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ChannelResult:
    """A team's round on one channel.

    Attributes
    ----------
    revenue : float
        ¥ in the round.
    share : float
        The team's part of the channel's revenue (all brands) in the round.
    price : float
        Mean price paid per unit over the round's days, after promotions (¥): what rivals see.
    """

    revenue: float
    share: float
    price: float


@dataclass(frozen=True)
class TeamResult:
    """A team's round: P&L, shares, funnel, partners, prices.

    Attributes
    ----------
    revenue, gross_profit, marketing_spend, contribution : float
        ¥ in the round (docs/KPIS.md): gross profit = revenue − COGS; contribution = gross
        profit − platform fees − all marketing (coupons, commissions, spend) − the research
        bought (``research_cost``).
    orders : float
    share : float
        The team's part of the whole market's revenue in the round.
    channels : dict[str, ChannelResult]
        Per channel the brand sells on.
    funnel : dict[str, float]
        AIPL stocks at the end of the round (people), stage → count.
    private_domain : float
        Followers at the end of the round (people).
    active_leaders : int
        Group leaders still selling at the end of the round.
    parity_gap : float
        Mean WeChat − lowest marketplace effective price over the round (¥).
    promotion_days : int
        Days of the round with a promotion or platform coupon on some channel.
    research_cost : float
        ¥ of market research bought for the round.
    """

    revenue: float
    gross_profit: float
    marketing_spend: float
    contribution: float
    orders: float
    share: float
    channels: dict[str, ChannelResult]
    funnel: dict[str, float]
    private_domain: float
    active_leaders: int
    parity_gap: float
    promotion_days: int
    research_cost: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TeamResult":
        channels = {c: ChannelResult(**v) for c, v in data["channels"].items()}
        return cls(**{**data, "channels": channels})


# --------------------------------------------------------------------------- the running market
class Market:
    """The game's market, advanced round by round.

    Parameters
    ----------
    rules : GameRules
    progress : callable, optional
        ``progress(day_in_round, days_per_round)`` after each simulated day.
    """

    def __init__(self, rules: GameRules):
        self.rules = rules
        self.model = MarketModel(rules.scenario, seed=rules.spec.seed)
        self.played = 0
        n_days, n_brands, n_channels = self.model.days, len(self.model.brands), len(self.model.channels)
        self._price = np.full((n_days, n_brands, n_channels), np.nan)  # ¥ a unit, after promotions
        self._promo = np.zeros((n_days, n_brands), bool)
        self._gap = np.zeros((n_days, n_brands))

    def play(self, decisions: Decisions, progress: Callable[[int, int], None] | None = None) -> dict[str, TeamResult]:
        """Play the next round with ``decisions`` (every team's full values); its results per team."""
        spec = self.rules.spec
        first = self.played * spec.days_per_round
        for team in self.rules.teams:
            self._decide(team, decisions[team.team], first)
        for i in range(spec.days_per_round):
            self.model.step()
            self._record(first + i)
            if progress is not None:
                progress(i + 1, spec.days_per_round)
        self.played += 1
        return self._charge_research(self.results(self.played), decisions)

    def _charge_research(self, results: dict[str, TeamResult], decisions: Decisions) -> dict[str, TeamResult]:
        """Each team's results with the research it bought deducted from its contribution."""
        research = self.rules.spec.research
        out = {}
        for team, result in results.items():
            cost = research.price if research is not None and decisions[team].get(RESEARCH) else 0.0
            out[team] = replace(result, research_cost=cost, contribution=result.contribution - cost)
        return out

    def _decide(self, team: TeamLevers, values: Mapping[str, Value], first: int) -> None:
        schedule_from(self.model, team.code, first, team.changes(values))
        depth, days = float(values.get("promotion_depth", 0)), int(values.get("promotion_days", 0))
        if depth > 0 and days > 0:
            brand = self.model.brands[team.code]
            dates = self.model.calendar.dates
            channels = [c for c in brand.base.channels if self.rules.scenario.channels[c].transacts]
            promo = Promotion.model_validate({"name": f"round {self.played + 1}", "from": dates[first],
                                              "to": dates[first + days - 1], "depth": depth / 100.0, "channels": channels})
            strategy = brand.base.strategy.model_copy(update={"promotions": [*brand.base.strategy.promotions, promo]})
            brand.base = brand.base.model_copy(update={"strategy": strategy})

    def _record(self, day: int) -> None:
        for brand in self.model.brands:
            self._price[day, brand.code] = np.where(brand.prices.listed, brand.prices.price, np.nan)
            self._promo[day, brand.code] = brand.prices.promoting
            self._gap[day, brand.code] = brand.prices.parity_gap

    def results(self, number: int) -> dict[str, TeamResult]:
        """Round ``number``'s results per team (the model must have just played it: stocks are today's)."""
        d = self.rules.spec.days_per_round
        days = slice((number - 1) * d, number * d)
        led, model = self.model.ledger, self.model
        keys = model.channels.keys
        revenue = led.field("revenue")[days].sum(axis=0)            # (B, C)
        market = revenue.sum()
        by_channel = revenue.sum(axis=0)
        funnel = model.population.daily_counts() * model.scale      # (B, 5): AIPL + followers
        out = {}
        for team in self.rules.teams:
            b = team.code
            brand = model.brands[b]
            listed = [c for c, key in enumerate(keys) if model.channels.transacts[c] and key in brand.base.channels]
            prices = self._price[days, b]
            out[team.team] = TeamResult(
                revenue=float(revenue[b].sum()),
                gross_profit=float(led.field("gross_profit")[days, b].sum()),
                contribution=float(led.field("contribution")[days, b].sum()),
                marketing_spend=float(sum(led.field(f)[days, b].sum() for f in MARKETING_FIELDS)),
                orders=float(led.field("orders")[days, b].sum()),
                share=float(revenue[b].sum() / market) if market else 0.0,
                channels={keys[c]: ChannelResult(float(revenue[b, c]),
                                                 float(revenue[b, c] / by_channel[c]) if by_channel[c] else 0.0,
                                                 _mean(prices[:, c])) for c in listed},
                funnel={s: float(funnel[b, i]) for i, s in enumerate(Stage.NAMES)},
                private_domain=float(funnel[b, len(Stage.NAMES)]),
                active_leaders=int(brand.leader_roster.active_count()),
                parity_gap=float(self._gap[days, b].mean()),
                promotion_days=int(self._promo[days, b].sum()),
            )
        return out


def _mean(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else math.nan


def replay(rules: GameRules, rounds: Sequence[Decisions], progress: Callable[[int, int], None] | None = None
           ) -> tuple[Market, list[dict[str, TeamResult]]]:
    """A fresh market with ``rounds`` of decisions played in order; the market and each round's results."""
    market = Market(rules)
    results = [market.play(decisions, progress) for decisions in rounds]
    return market, results
