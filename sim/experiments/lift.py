"""Incrementality: what each marketing source adds, next to what last-touch attribution credits it.

Last-touch attribution gives each order to the source of the buyer's latest effective
exposure. It is what dashboards show, and it overstates sources that touch buyers who
would have bought anyway (word of mouth among friends who already knew the brand, a
push to a follower about to reorder). Incrementality asks the counterfactual instead:
run the market again on the same seeds (common random numbers) with one source switched
off; the paired difference in orders, revenue and profit is that source's lift
(Lewis & Rao 2015 on why the experiment, not the attribution, is the measure; Blake,
Nosko & Tadelis 2015 on paid search ads whose attributed sales were mostly not incremental).

Per replication r and source s, with X a KPI of the brand over the run,

    lift_s(r)  = X(all on, r) − X(s off, r)
    iROAS_s    = mean lift in revenue / mean lift in the source's own cost (ad spend, KOL fees
                 and commissions, content cost, leader or referral commissions)
    organic(r) = X(every source off, r)      (the base that needs no marketing)

Each lift's interval is the paired t-interval (:func:`~sim.experiments.stats.paired_difference`).
Sources interact (word of mouth carries what ads started), so the lifts need not add up
to the total minus the organic base; the difference is reported as the interaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..config.loader import Document
from ..config.schema import BrandSpec, Scenario
from ..errors import SocsimError
from ..files import csv_cell, number_cell, strict_json
from ..ledger import LAST_TOUCH
from .design import Design, build_design
from .stats import Interval, mean_ci, paired_difference
from .verdict import clear_of_zero, interval_text

__all__ = ["SOURCES", "Source", "lift_sources", "lift_design", "LiftRow", "LiftResult", "lift_rows", "write_lift",
           "lift_verdict"]

#: Variant names of the reference (every source on) and of the organic base (every source off).
ALL_ON, ORGANIC = "all_on", "organic"
#: KPIs a lift is measured on (and the spend lines a source's cost is read from).
LIFT_KPIS = ("orders", "revenue", "contribution", "marketing_spend")


@dataclass(frozen=True)
class Source:
    """A marketing source that can be switched off.

    Attributes
    ----------
    key : str
        Variant name (``no_<key>``) and row label.
    label : str
        What it is, for people.
    touch : str
        The last-touch class its orders are credited to (:data:`sim.ledger.LAST_TOUCH`).
    switch_off : callable
        ``switch_off(brand, b)`` → ``{dotted path: value}`` that silence it for brand index ``b``,
        or ``{}`` when the brand does not use it.
    cost : tuple of str
        The ledger's marketing fields it is paid through (its own cost, the iROAS
        denominator); empty for a free source.
    """

    key: str
    label: str
    touch: str
    switch_off: Callable[[BrandSpec, int], dict[str, Any]]
    cost: tuple[str, ...] = ()


def _items(brand: BrandSpec, b: int, field: str, keep: Callable[[Any], bool], path: str, value: Any) -> dict[str, Any]:
    items = getattr(brand.strategy, field)
    return {f"brands.{b}.strategy.{field}.{i}.{path}": value for i, item in enumerate(items) if keep(item)}


def _paid_on(channel: str) -> Callable[[BrandSpec, int], dict[str, Any]]:
    return lambda br, b: _items(br, b, "paid_media", lambda m: m.channel == channel and m.budget_per_day > 0,
                                "budget_per_day", 0)


def _kols(tier: str) -> Callable[[BrandSpec, int], dict[str, Any]]:
    return lambda br, b: _items(br, b, "kols", lambda k: k.tier == tier and k.count > 0, "count", 0)


def _if(active: Callable[[BrandSpec], bool], changes: Callable[[int], dict[str, Any]]) -> Callable[[BrandSpec, int], dict[str, Any]]:
    return lambda br, b: changes(b) if active(br) else {}


def _strategy(path: str, value: Any) -> Callable[[int], dict[str, Any]]:
    return lambda b: {f"brands.{b}.strategy.{path}": value}


_ADS, _KOL = ("ad_spend",), ("kol_fees", "kol_commission")

SOURCES: tuple[Source, ...] = (
    Source("search_ads", "search ads (截流)", "search",
           lambda br, b: _items(br, b, "search_ads", lambda a: a.budget_per_day > 0, "budget_per_day", 0), _ADS),
    Source("head_kol", "head KOL (头部)", "kol", _kols("head"), _KOL),
    Source("waist_kol", "waist KOLs (腰部)", "kol", _kols("waist"), _KOL),
    Source("kocs", "KOCs", "kol", _kols("koc"), _KOL),
    Source("content", "owned content", "wom", _if(lambda br: br.strategy.content.posts_per_week > 0,
                                                   _strategy("content.posts_per_week", 0)), ("content_cost",)),
    Source("pushes", "official-account pushes (公众号)", "push",
           _if(lambda br: br.strategy.private_domain.pushes_per_month > 0, _strategy("private_domain.pushes_per_month", 0))),
    Source("wecom", "WeCom 1:1 touches (企业微信)", "wecom",
           _if(lambda br: br.strategy.private_domain.wecom_touches_per_month > 0,
               _strategy("private_domain.wecom_touches_per_month", 0))),
    Source("group_leaders", "group leaders (团长)", "group",
           _if(lambda br: any((br.strategy.group_leaders.initial, br.strategy.group_leaders.market_coverage,
                               br.strategy.group_leaders.recruit_per_month)),
               lambda b: {f"brands.{b}.strategy.group_leaders.{k}": 0
                          for k in ("initial", "market_coverage", "recruit_per_month")}), ("leader_commission",)),
    Source("referral", "referral commissions (分佣)", "wom",
           _if(lambda br: any(br.strategy.referral.model_dump().values()),
               lambda b: {f"brands.{b}.strategy.referral.level{k}": 0 for k in (1, 2, 3)}),
           ("referral_commission",)),
)
#: Word of mouth is a market-wide rule: switching it off silences every brand's buyers.
WORD_OF_MOUTH = Source("word_of_mouth", "word of mouth (口碑, every brand's)", "wom",
                       lambda br, b: {"world.behaviour.wom_strength": 0.0})
#: The two-step flow is market-wide too: switching it off stops every opinion leader's relays.
OPINION_LEADERS = Source("opinion_leaders", "opinion leaders' relays (two-step flow, every brand's)", "relay",
                         lambda br, b: {"world.behaviour.two_step.enabled": False})


def lift_sources(sc: Scenario, b: int) -> list[tuple[Source, dict[str, Any]]]:
    """The sources brand ``b`` uses in ``sc``, each with the changes that switch it off."""
    brand = sc.brands[b]
    paid = sorted({m.channel for m in brand.strategy.paid_media if m.budget_per_day > 0})
    sources = [Source(f"paid_{c}", f"paid media on {c}", "paid", _paid_on(c), _ADS) for c in paid] + list(SOURCES)
    found = [(s, s.switch_off(brand, b)) for s in sources]
    if sc.world.behaviour.wom_strength > 0:
        found.append((WORD_OF_MOUTH, WORD_OF_MOUTH.switch_off(brand, b)))
    if sc.world.behaviour.two_step.enabled:
        found.append((OPINION_LEADERS, OPINION_LEADERS.switch_off(brand, b)))
    return [(s, changes) for s, changes in found if changes]


def lift_design(sc: Scenario, scenario_file: Path, brand: str | None, replications: int, seed: int,
                overrides: Sequence[str] = ()) -> tuple[Design, list[Source]]:
    """The experiment: every source on, each source off, every source off (one variant each)."""
    names = [x.name for x in sc.brands]
    if brand is not None and brand not in names:
        raise SocsimError(f"--brand: no brand {brand!r} in {scenario_file}; brands: {', '.join(names)}")
    b = names.index(brand) if brand is not None else 0
    found = lift_sources(sc, b)
    if not found:
        raise SocsimError(f"brand {names[b]!r} uses no marketing source that can be switched off: nothing to measure")
    everything = {path: value for _, changes in found for path, value in changes.items()}
    variants = [{"name": ALL_ON, "description": "every source as in the scenario"}]
    variants += [{"name": f"no_{s.key}", "description": f"{s.label} off", "set": changes} for s, changes in found]
    variants += [{"name": ORGANIC, "description": "every source off: the organic base", "set": everything}]
    data = {"name": f"lift_{sc.name}"[:64], "base": str(scenario_file.resolve()), "variants": variants,
            "replications": replications, "seed": seed,
            "metrics": [f"{names[b]}.{k}" for k in LIFT_KPIS] + [f"{names[b]}.last_touch.{t}" for t in LAST_TOUCH]}
    text = json.dumps({**data, "set": list(overrides)}, indent=2, default=str)
    origin = Document(str(scenario_file), {}, {}, scenario_file.resolve().parent)
    return build_design(data, origin, text, overrides), [s for s, _ in found]


@dataclass(frozen=True)
class LiftRow:
    """One source: its lift on each KPI (paired, all on − off) and its last-touch credit."""

    key: str
    label: str
    touch: str
    orders: Interval
    revenue: Interval
    contribution: Interval     # contribution: after COGS, platform fees and all marketing (docs/KPIS.md)
    spend: Interval            # lift in the source's own cost (Source.cost); 0 for a free source
    last_touch_orders: float   # orders credited to its last-touch class in the all-on runs (shared within a class)

    @property
    def iroas(self) -> float:
        """Incremental revenue per ¥ of the source's own cost (iROAS); NaN for a free source."""
        return self.revenue.mean / self.spend.mean if self.spend.mean > 0 else float("nan")


@dataclass(frozen=True)
class LiftResult:
    """What ``socsim lift`` measured for one brand."""

    brand: str
    rows: tuple[LiftRow, ...]
    total_orders: Interval
    organic_orders: Interval
    last_touch: dict[str, float]     # mean orders per last-touch class, all sources on

    @property
    def interaction(self) -> float:
        """Total − organic − Σ lifts (orders): what the sources do together beyond their parts."""
        return self.total_orders.mean - self.organic_orders.mean - sum(r.orders.mean for r in self.rows)


def lift_rows(design: Design, sources: Sequence[Source], kpis: dict[tuple[str, int], dict[str, float]],
              brand: str) -> LiftResult:
    """Paired lifts from the stored runs' KPIs, keyed by (variant, replication)."""
    reps = range(design.replications)

    def values(variant: str, kpi: str) -> list[float]:
        return [kpis[(variant, r)][f"{brand}.{kpi}"] for r in reps]

    touch = {t: mean_ci(values(ALL_ON, f"last_touch.{t}")).mean for t in LAST_TOUCH}
    rows = []
    for s in sources:
        off = f"no_{s.key}"
        diff = {k: paired_difference(values(ALL_ON, k), values(off, k)).diff for k in ("orders", "revenue", "contribution")}
        cost = [sum(kpis[(v, r)][f"{brand}.spend.{f}"] for f in s.cost) for v in (ALL_ON, off) for r in reps]
        spend = paired_difference(cost[:len(reps)], cost[len(reps):]).diff
        rows.append(LiftRow(s.key, s.label, s.touch, diff["orders"], diff["revenue"], diff["contribution"], spend,
                            touch[s.touch]))
    return LiftResult(brand, tuple(rows), mean_ci(values(ALL_ON, "orders")), mean_ci(values(ORGANIC, "orders")), touch)


def lift_verdict(result: LiftResult) -> str:
    """One line first: the source that adds the most contribution, and what last touch credits it with.

    Significance here is the paired interval clearing zero (95 %).
    """
    if not result.rows:
        return f"Verdict: {result.brand} has no marketing source to switch off."
    best = max(result.rows, key=lambda r: r.contribution.mean)
    worst = min(result.rows, key=lambda r: r.contribution.mean)
    text = (f"Verdict: {best.label} adds the most contribution for {result.brand}: "
            f"{interval_text('contribution', best.contribution)}, {clear_of_zero(best.contribution)}; it adds "
            f"{interval_text('orders', best.orders)} orders, where last touch credits its class ({best.touch}) "
            f"with {best.last_touch_orders:,.0f}")
    if worst is not best:
        text += (f"; least: {worst.label}, {interval_text('contribution', worst.contribution)}, "
                 f"{clear_of_zero(worst.contribution)}")
    return text + "."


def write_lift(result: LiftResult, folder: Path) -> list[Path]:
    """lift.csv (one row a source) and lift.json (strict JSON: no NaN) in ``folder``."""
    import csv

    head = ["source", "label", "last_touch_class", "last_touch_orders", "orders_lift", "orders_low", "orders_high",
            "revenue_lift", "revenue_low", "revenue_high", "contribution_lift", "contribution_low", "contribution_high", "spend_lift", "iroas"]
    rows = [[r.key, r.label, r.touch, r.last_touch_orders, r.orders.mean, r.orders.low, r.orders.high, r.revenue.mean,
             r.revenue.low, r.revenue.high, r.contribution.mean, r.contribution.low, r.contribution.high, r.spend.mean, r.iroas]
            for r in result.rows]
    csv_path = folder / "lift.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        writer.writerows([[_cell(v) for v in row] for row in rows])
    data = {"verdict": lift_verdict(result), "brand": result.brand, "total_orders": result.total_orders.mean,
            "organic_orders": result.organic_orders.mean, "interaction_orders": result.interaction,
            "last_touch": result.last_touch, "sources": [dict(zip(head, row)) for row in rows]}
    json_path = folder / "lift.json"
    json_path.write_text(strict_json(data, indent=2), encoding="utf-8")
    return [csv_path, json_path]


def _cell(v: Any) -> str:
    return number_cell(v) if isinstance(v, float) else str(csv_cell(v))
