"""The experiment file, declared once (pydantic), and the names it may use.

An experiment is a base scenario, named variants (changes to it), an optional sweep
(a grid over one or two parameters, or a list of points), a number of replications, the
KPIs to report and a seed. ``docs/EXPERIMENTS.md`` explains every field; this module is
its single source. Loading (line-numbered problems, scenarios built per cell) lives in
:mod:`sim.experiments.design`.

Changes (``set``) are written either as a mapping of dotted paths to values, where
nested mappings are read as further path parts (so ``{brands.focal.strategy.parity:
none}`` and ``{brands: {focal: {strategy: {parity: none}}}}`` say the same), or as a
list of ``path=value`` lines exactly like ``--set``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.ledger import FIELDS, LAST_TOUCH, MARKETING_FIELDS
from sim.market.referral import REFERRAL_KPIS
from sim.population import Stage

__all__ = [
    "Experiment", "Variant", "Sweep", "GridAxis", "SweepPoint", "ExperimentOutputs",
    "BRAND_KPIS", "CHANNEL_KPIS", "STATE_SERIES", "kpi_names", "series_names", "DEFAULT_METRICS", "BRAND_OVERVIEW",
    "DEFAULT_SERIES", "MAX_CELLS", "MAX_RUNS", "check_settings",
]

NAME_PATTERN = r"^[A-Za-z0-9_\-]+$"
#: Most scenarios (variants × sweep points) one experiment may hold.
MAX_CELLS = 10_000
#: Most runs (scenarios × replications) one experiment may hold: at a tenth of a second
#: a run (a small market) that is already over a day of one core's time.
MAX_RUNS = 1_000_000

#: Scalar KPIs of a brand (keys of :func:`sim.metrics.brand_kpis`; a test keeps them in step; docs/KPIS.md defines them).
BRAND_KPIS = (
    "traffic", "orders", "units", "revenue", "cogs", "platform_fees", "gross_profit", "contribution", "buyers",
    "marketing_spend", "fixed_spend", "margin_per_order", "roi", "cac", "order_share", "revenue_share", "repurchase_rate", "conversion",
    "aov", "repurchase_multiplier", "spillover_share", "private_domain", "active_leaders", "leaders_recruited", "shares",
    "detractors", "captured_content", "captured_live", "captured_wecom", "captured_detail", "capture_cost",
    "responses", "first_response_day", "price_image", "parity_gap",
)
#: KPIs per channel: ``<brand>.channels.<channel>.<kpi>``.
CHANNEL_KPIS = ("traffic", "orders", "units", "revenue", "gross_profit", "contribution", "buyers", "conversion", "aov",
                "repurchase_multiplier", "order_share", "revenue_share", "visibility")
#: Daily state series per brand (besides ``price.<channel>`` and the ledger fields).
STATE_SERIES = (*Stage.NAMES, "private_domain", "active_leaders", "parity_gap", "price_image")
#: Reported when the file names no metrics (of the first brand).
DEFAULT_METRICS = ("contribution", "revenue", "gross_profit", "marketing_spend", "roi", "orders", "order_share",
                   "active_leaders")
#: Summarised for every brand of the market whatever the file names (the "every brand" table),
#: so a compare shows what each brand, rivals included, gained or lost.
BRAND_OVERVIEW = ("contribution", "revenue", "order_share")
#: Plotted day by day when the file names no series (of the first brand).
DEFAULT_SERIES = ("revenue", "contribution", "active_leaders", "private_domain")


def kpi_names(channels: list[str]) -> list[str]:
    """Every KPI path of one brand (without the brand), given its selling channels.

    ``revenue``, ``aipl.aware``, ``spend.ad_spend``, ``channels.wechat.orders`` …
    """
    names = list(BRAND_KPIS)
    names += [f"aipl.{s}" for s in Stage.NAMES] + [f"spend.{f}" for f in MARKETING_FIELDS]
    names += [f"last_touch.{s}" for s in LAST_TOUCH] + [f"referral.{k}" for k in REFERRAL_KPIS]
    names += [f"channels.{c}.{k}" for c in channels for k in CHANNEL_KPIS]
    return names


def series_names(channels: list[str], priced: list[str]) -> list[str]:
    """Every daily series of one brand (without the brand).

    Ledger fields summed over channels (``revenue``), per channel (``wechat.orders``),
    the state series (``aware`` … ``parity_gap``), prices (``price.tmall``) and organic
    search visibility (``visibility.tmall``).
    """
    return [*FIELDS, *(f"{c}.{f}" for c in channels for f in FIELDS), *STATE_SERIES, *(f"price.{c}" for c in priced),
            *(f"visibility.{c}" for c in priced)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


def check_settings(value: Any) -> Any:
    """``set`` is a mapping (dotted paths → values) or a list of ``path=value`` lines."""
    if value is None:
        return {}
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise ValueError(f"keys must be dotted paths written as text; got {bad[0]!r} (put it in quotes)")
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError("must be a mapping of dotted paths to values (brands.focal.strategy.parity: none) "
                     "or a list of 'path=value' lines")


class Variant(Strict):
    """One strategy to compare: the base scenario (or a scenario file of its own) with changes."""

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN, description="short name used in tables, plots and file names")
    description: str = Field("", description="one line shown in the report")
    scenario: str | None = Field(None, description="a scenario file used instead of `base` (relative to the experiment file)")
    set: Any = Field(default_factory=dict, description="changes: dotted paths → values, or 'path=value' lines")

    _settings = field_validator("set")(check_settings)


class GridAxis(Strict):
    """One swept parameter: a dotted path and the values it takes."""

    path: str = Field(min_length=1, description="dotted path in the scenario, e.g. brands.focal.strategy.paid_media.0.budget_per_day")
    values: list[Any] = Field(min_length=1, max_length=1000, description="values taken, in order")
    name: str | None = Field(None, max_length=64, pattern=NAME_PATTERN, description="short name for tables and plots (default: the path's last part)")
    label: str | None = Field(None, description="axis label with unit (default: the name)")

    @property
    def short(self) -> str:
        return self.name or self.path.split(".")[-1]


class SweepPoint(Strict):
    """One point of a list sweep: changes made together, and where to draw the point."""

    label: str | None = Field(None, max_length=100, description="name of the point (default: its coordinates or its number)")
    at: dict[str, float] = Field(default_factory=dict, description="coordinates for plots, named by sweep.axes, e.g. {paid_media_share: 0.5}")
    set: Any = Field(default_factory=dict, description="changes at this point: dotted paths → values, or 'path=value' lines")

    _settings = field_validator("set")(check_settings)


class Sweep(Strict):
    """A grid over one or two parameters (every combination), or a list of points."""

    grid: list[GridAxis] | None = Field(None, min_length=1, max_length=2, description="one or two swept parameters")
    points: list[SweepPoint] | None = Field(None, min_length=1, description="points, each with its own changes")
    axes: list[str] | None = Field(None, min_length=1, max_length=2, description="for points: the coordinates (keys of `at`) to plot against")
    labels: dict[str, str] = Field(default_factory=dict, description="for points: axis name → axis label with unit")

    @model_validator(mode="after")
    def _one_kind(self) -> "Sweep":
        if (self.grid is None) == (self.points is None):
            raise ValueError("give either 'grid' (one or two parameters) or 'points' (a list), not both or neither")
        if self.grid is not None and self.axes is not None:
            raise ValueError("axes: only for 'points'; a grid's axes are its parameters")
        return self


class ExperimentOutputs(Strict):
    dir: str = Field("results/experiments", description="parent folder of experiment folders (relative to the working folder)")
    report: bool = Field(True, description="write plots and report.html")


class Experiment(Strict):
    """An experiment file (``experiments/*.yaml``)."""

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN, description="names the results folder")
    description: str = Field("", description="shown at the top of the report")
    base: str | None = Field(None, description="base scenario file (relative to the experiment file)")
    set: Any = Field(default_factory=dict, description="changes made to every variant's scenario first (e.g. run size)")
    variants: list[Variant] = Field(default_factory=list, description="strategies to compare; none: the base alone")
    sweep: Sweep | None = Field(None, description="parameters to sweep (socsim sweep)")
    replications: int = Field(10, ge=1, le=100_000, description="runs per variant and point; replication r uses seed + r in every variant")
    seed: int | None = Field(None, ge=0, le=2**62, description="seed of replication 0 (default: the base scenario's simulation.seed)")
    metrics: list[str] = Field(default_factory=list, description="KPIs to report: brand.kpi, e.g. focal.revenue, focal.channels.wechat.orders")
    series: list[str] = Field(default_factory=list, description="daily series to plot: brand.series, e.g. focal.revenue, focal.wechat.orders")
    outputs: ExperimentOutputs = Field(default_factory=ExperimentOutputs)

    _settings = field_validator("set")(check_settings)

    @model_validator(mode="after")
    def _names(self) -> "Experiment":
        names = [v.name for v in self.variants]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"variants.{i}.name: variant name {name!r} is used twice; names must be unique")
        if self.base is None:
            for i, v in enumerate(self.variants):
                if v.scenario is None:
                    raise ValueError(f"variants.{i}: no scenario; give the experiment a 'base' scenario "
                                     "or this variant a 'scenario' file")
            if not self.variants:
                raise ValueError("base: required field missing (the base scenario file, e.g. ../scenarios/baseline.yaml)")
        return self
