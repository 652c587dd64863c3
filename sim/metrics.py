"""Metrics: the daily series collected each day and the KPI summary of a run (docs/KPIS.md defines each KPI).

The revenue decomposition (营收 = 流量 × 转化率 × 客单价 × 复购) holds exactly because each
factor is defined from the same books:

* traffic T = shop visits where the brand was on offer,
* conversion C = distinct buyers / T,
* AOV = revenue / orders (客单价),
* repurchase multiplier R = orders / distinct buyers,

so T · C · AOV · R = revenue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .ledger import FIXED_MARKETING, LAST_TOUCH, MARKETING_FIELDS
from .market.capture import TOUCHPOINTS
from .market.referral import expected_commission_rate, referral_kpis
from .market.signals import WECHAT_SEEDED, Source
from .population import Stage

if TYPE_CHECKING:  # pragma: no cover
    from .model import MarketModel

__all__ = ["DailySeries", "brand_kpis", "flatten_kpis", "spillover_share", "kpi_table", "VARIABLE_COSTS",
           "last_touch_orders"]

#: Costs that scale with each order: what an order contributes before fixed spend.
VARIABLE_COSTS = ("cogs", "platform_fees", "coupons", "gifts", "referral_commission",
                  "leader_commission", "kol_commission")


class DailySeries:
    """The daily series of a run (:class:`_RowToday`), filled a row a day.

    ``model_vars[name]`` lists the series ``name`` by day, as in Mesa's DataCollector,
    which this replaces: the day's values are computed together and appended as they are
    (every value is a fresh float or int), and the fast engine need not import Mesa.
    """

    def __init__(self, model: "MarketModel") -> None:
        self._row = _RowToday(model)
        self.model_vars: dict[str, list] = {name: [] for name in self._row.names}

    def collect(self, model: "MarketModel") -> None:
        """Append today's values to every series."""
        for series, value in zip(self.model_vars.values(), self._row(model)):
            series.append(value)


class _RowToday:
    """The daily series' values of the day, in their order, computed together.

    Per brand: the AIPL stocks and the private domain (real people), active leaders,
    the parity gap, the price image (1 − deal history), and on each of its channels the
    effective price and the organic search visibility (0 where the channel has no open
    search page).
    """

    def __init__(self, model: "MarketModel") -> None:
        self.names: list[str] = []
        self._price_channels: list[list[int]] = []
        for brand in model.brands:
            self.names += [f"{brand.name}.{x}" for x in (*Stage.NAMES, "private_domain", "active_leaders", "parity_gap",
                                                               "price_image")]
            self.names += [f"{brand.name}.price.{k}" for k in brand.base.channels]
            self.names += [f"{brand.name}.visibility.{k}" for k in brand.base.channels]
            self._price_channels.append([model.channels.code(k) for k in brand.base.channels])
        self._relaying = model.behaviour.two_step.enabled  # the cascade's series exist only when it runs
        if self._relaying:
            self.names += [f"{brand.name}.{x}" for brand in model.brands for x in ("relayed", "relay_orders")]

    def __call__(self, model: "MarketModel") -> list:
        counts = (model.population.daily_counts() * model.scale).tolist()
        searched = (model.visibility_today * model.channels.open_search).tolist()
        row = []
        for brand, channels in zip(model.brands, self._price_channels):
            row += counts[brand.code]
            row.append(brand.leader_roster.active_count())
            row += brand.derived("series prices", lambda: [float(brand.prices.parity_gap)])
            row.append(brand.price_image)
            row += brand.derived("series channel prices", lambda: [float(brand.prices.effective[c]) for c in channels])
            row += [searched[brand.code][c] for c in channels]
        if self._relaying:
            row += _relay_today(model)
        return row


def _relay_today(model: "MarketModel") -> list[float]:
    """Per brand, today: exposures opinion leaders relayed and orders whose last touch was a relay (real people)."""
    led, t = model.ledger, model.day
    return [v for b in range(len(model.brands))
            for v in (float(led.relayed[t, b] * model.scale), float(led.by_source[t, b, :, Source.RELAY].sum()))]


def flatten_kpis(kpis: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"focal": {"channels": {"wechat": {"orders": 3}}}}`` → ``{"focal.channels.wechat.orders": 3.0}``."""
    out: dict[str, float] = {}
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_kpis(value, f"{name}."))
        elif isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def spillover_share(model: "MarketModel", brand: int, days: slice = slice(None)) -> float:
    """Share of WeChat-seeded orders (push, WeCom, group) that closed on a marketplace."""
    seeded = model.ledger.by_source[days, brand][..., list(WECHAT_SEEDED)].sum(axis=(0, 2))
    total = seeded.sum()
    market = seeded[model.channels.marketplaces].sum()
    return float(market / total) if total > 0 else float("nan")


def last_touch_orders(model: "MarketModel", brand: int) -> dict[str, float]:
    """Brand ``brand``'s orders by the source of the buyer's latest effective exposure (last touch)."""
    counts = model.ledger.by_source[:, brand].sum(axis=(0, 1))
    return dict(zip(LAST_TOUCH, map(float, counts)))


def _safe(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def _decomposition(traffic: float, buyers: float, revenue: float, orders: float) -> dict[str, float]:
    return {
        "traffic": traffic, "conversion": _safe(buyers, traffic),
        "aov": _safe(revenue, orders), "repurchase_multiplier": _safe(orders, buyers),
    }


def _shares(model: "MarketModel", b: int, c: int | slice = slice(None)) -> dict[str, float]:
    """Brand ``b``'s share of all brands' orders and revenue (on channel ``c``, or on all)."""
    orders, revenue = (model.ledger.field(f)[:, :, c].sum(axis=0) for f in ("orders", "revenue"))
    return {"order_share": _safe(float(orders[b].sum()), float(orders.sum())),
            "revenue_share": _safe(float(revenue[b].sum()), float(revenue.sum()))}


def _channel_kpis(model: "MarketModel", b: int, c: int) -> dict[str, float]:
    books = {f: float(model.ledger.field(f)[:, b, c].sum()) for f in ("traffic", "orders", "units", "revenue", "gross_profit",
                                                                       "contribution")}
    buyers = float(np.count_nonzero(model.population.bought_on[:, b] >> c & 1) * model.scale)
    seen = model.datacollector.model_vars.get(f"{model.brands[b].name}.visibility.{model.channels.keys[c]}")  # none: a livestream
    return {**books, "buyers": buyers, **_decomposition(books["traffic"], buyers, books["revenue"], books["orders"]),
            **_shares(model, b, c), "visibility": float(np.mean(seen)) if seen else 0.0}


def _captured(model: "MarketModel", b: int) -> dict:
    """Followers captured among non-followers per touchpoint (real people) and what they cost (¥)."""
    got = model.ledger.captured[:, b].sum(axis=0) * model.scale
    cost = model.brands[b].spec.strategy.private_domain.capture.cost_per_contact_yuan
    return {**{f"captured_{name}": float(n) for name, n in zip(TOUCHPOINTS, got)},
            "capture_cost": float(got.sum() * cost)}


def brand_kpis(model: "MarketModel", b: int) -> dict:
    """KPI summary of brand ``b`` over the run (real yuan, real people)."""
    led, pop, scale = model.ledger, model.population, model.scale
    total = {f: float(led.field(f)[:, b].sum()) for f in ("traffic", "orders", "units", "revenue", "cogs", "platform_fees",
                                                           "gross_profit", "contribution")}
    marketing = float(sum(led.field(f)[:, b].sum() for f in MARKETING_FIELDS))
    buyers = float(np.count_nonzero(pop.purchases[:, b]) * scale)
    repeaters = float(np.count_nonzero(pop.purchases[:, b] >= 2) * scale)
    funnel = pop.funnel_counts()[b] * scale
    brand = model.brands[b]
    margin = total["revenue"] - float(sum(led.field(f)[:, b].sum() for f in VARIABLE_COSTS))
    return {
        **total, "buyers": buyers, "marketing_spend": marketing, **_shares(model, b),
        "fixed_spend": float(sum(led.field(f)[:, b].sum() for f in FIXED_MARKETING)),
        "margin_per_order": _safe(margin, total["orders"]),
        "spend": {f: float(led.field(f)[:, b].sum()) for f in MARKETING_FIELDS},
        "roi": _safe(total["contribution"], marketing), "cac": _safe(marketing, buyers),
        "repurchase_rate": _safe(repeaters, buyers),
        **_decomposition(total["traffic"], buyers, total["revenue"], total["orders"]),
        "spillover_share": spillover_share(model, b),
        "private_domain": float(pop.follower[:, b].sum() * scale),
        "active_leaders": brand.leader_roster.active_count(), "leaders_recruited": len(brand.leaders),
        "shares": float(led.shares[:, b].sum() * scale),
        "detractors": float(led.detractors[:, b].sum() * scale),
        **_captured(model, b),
        "referral": referral_kpis(led, pop.parent, b, scale, expected_commission_rate(
            brand.spec.strategy.referral, model.behaviour.downline_expectation)),
        "price_image": brand.price_image,
        "parity_gap": float(np.mean(model.datacollector.model_vars[f"{brand.name}.parity_gap"] or [0.0])),
        **_response_kpis(brand),
        "aipl": dict(zip(Stage.NAMES, map(float, funnel))),
        "last_touch": last_touch_orders(model, b),
        **({"relayed": float(led.relayed[:, b].sum() * scale)} if model.behaviour.two_step.enabled else {}),
        "channels": {model.channels.keys[c]: _channel_kpis(model, b, c) for c in range(len(model.channels))
                     if model.channels.transacts[c] and model.channels.keys[c] in brand.base.listings()},
    }


def _response_kpis(brand) -> dict[str, float]:
    """Competitor responses taken (price moves, bids, promotions) and the day of the first."""
    taken = [e.day for e in (brand.desk.log if brand.desk is not None else ()) if e.what in ("start", "move")]
    return {"responses": float(len(taken)), "first_response_day": float(taken[0]) if taken else float("nan")}


#: (label, key, format) rows of the end-of-run table.
KPI_ROWS = (
    ("Revenue (¥)", "revenue", "{:,.0f}"), ("Gross profit (¥)", "gross_profit", "{:,.0f}"),
    ("Marketing spend (¥)", "marketing_spend", "{:,.0f}"), ("Fixed marketing (¥)", "fixed_spend", "{:,.0f}"), ("Contribution (¥)", "contribution", "{:,.0f}"),
    ("ROI", "roi", "{:.2f}"), ("Orders", "orders", "{:,.0f}"), ("Order share", "order_share", "{:.1%}"),
    ("Revenue share", "revenue_share", "{:.1%}"), ("Buyers", "buyers", "{:,.0f}"), ("CAC (¥)", "cac", "{:,.1f}"),
    ("Traffic (visits)", "traffic", "{:,.0f}"), ("Conversion", "conversion", "{:.1%}"),
    ("AOV (¥)", "aov", "{:,.1f}"), ("Margin / order (¥)", "margin_per_order", "{:,.1f}"), ("Repurchase multiplier", "repurchase_multiplier", "{:.2f}"),
    ("Repurchase rate", "repurchase_rate", "{:.1%}"), ("Spill-over share", "spillover_share", "{:.1%}"),
    ("Private domain", "private_domain", "{:,.0f}"), ("Active leaders (end)", "active_leaders", "{:,.0f}"),
    ("Price image (end)", "price_image", "{:.3f}"),
)


def kpi_table(kpis: dict[str, dict]) -> list[tuple[str, list[str]]]:
    """Rows (label, one formatted cell per brand) for the summary table."""
    rows = []
    for label, key, fmt in KPI_ROWS:
        cells = []
        for k in kpis.values():
            value = k[key]
            cells.append("–" if value != value else fmt.format(value))  # NaN → dash
        rows.append((label, cells))
    return rows
