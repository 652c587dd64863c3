"""The analysis files (sensitivity, calibration targets, optimisation), declared once (pydantic).

Each file names a base scenario (relative to the file), changes made first (``set``, as
in experiment files) and the parameters it varies: a dotted path into the scenario with
bounds. What the three files share is declared once (:class:`AnalysisFile`).
``docs/ANALYSIS.md`` explains every field; loading goes through
:func:`sim.config.loader.load_model`, so mistakes come with the file's line.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.experiments.spec import NAME_PATTERN, Strict, check_settings

__all__ = ["AnalysisFile", "Parameter", "MorrisSettings", "SobolSettings", "AnalysisOutputs", "SensitivitySpec", "METHODS",
           "Target", "ObservedSeries", "PriceResponseFit", "OptimiserSettings", "CalibrationSpec", "Choice", "Objective", "Constraint",
           "OptimiseSpec"]

#: Sensitivity methods (``--method``).
METHODS = ("morris", "sobol")


class Parameter(Strict):
    """One varied parameter: a dotted path into the scenario and its range."""

    path: str = Field(min_length=1, description="dotted path in the scenario, e.g. brands.focal.channels.tmall.price")
    low: float = Field(description="lower bound, in the field's unit")
    high: float = Field(description="upper bound, in the field's unit")
    name: str | None = Field(None, max_length=64, pattern=NAME_PATTERN, description="short name (default: the path's last two parts)")
    integer: bool = Field(False, description="round values to whole numbers (counts such as kols.1.count)")
    start: float | None = Field(None, description="where a search (calibrate, optimise) starts (default: the middle of the range)")

    @model_validator(mode="after")
    def _bounds(self) -> "Parameter":
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.start is not None and not self.low <= self.start <= self.high:
            raise ValueError(f"start: {self.start} is outside the range low–high ({self.low} – {self.high})")
        return self

    def unit_start(self) -> float:
        """``start`` on the unit interval of the range (0.5 without one)."""
        return 0.5 if self.start is None else (self.start - self.low) / (self.high - self.low)

    @property
    def short(self) -> str:
        return self.name or "_".join(self.path.split(".")[-2:])

    def value(self, x: float) -> Any:
        """The value written into the scenario for the sampled ``x``."""
        return int(round(x)) if self.integer else float(x)


class MorrisSettings(Strict):
    trajectories: int = Field(10, ge=2, le=10_000, description="Morris trajectories r (runs: r × (parameters + 1) × replications)")
    levels: int = Field(4, ge=2, le=100, description="grid levels p (even; 4 is the usual choice)")


class SobolSettings(Strict):
    n: int = Field(64, ge=4, le=1_000_000, description="base sample N, a power of 2 (runs: N × (parameters + 2) × replications)")
    resamples: int = Field(200, ge=10, le=100_000, description="bootstrap resamples for the confidence intervals")

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, v: int) -> int:
        if v & (v - 1):
            raise ValueError(f"{v} is not a power of 2 (Saltelli/Sobol sequences need one), e.g. {1 << v.bit_length()}")
        return v


class AnalysisOutputs(Strict):
    dir: str = Field("results/analysis", description="parent folder of results folders (relative to the working folder)")
    plots: bool = Field(True, description="write the plots")


class AnalysisFile(Strict):
    """What every analysis file has: a name, changes made first, a seed, outputs, parameters with unique names."""

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN, description="names the results folder")
    description: str = Field("", description="shown at the top of the output")
    set: Any = Field(default_factory=dict, description="changes made to the scenario first (run size, fixed facts)")
    seed: int | None = Field(None, ge=0, le=2**62, description="seed of replication 0, and of a sensitivity sampler (default: the scenario's)")
    outputs: AnalysisOutputs = Field(default_factory=AnalysisOutputs)

    _settings = field_validator("set")(check_settings)

    @model_validator(mode="after")
    def _unique(self) -> "AnalysisFile":
        names = [p.short for p in getattr(self, "parameters", [])]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f"parameters.{i}: name {n!r} is used twice; give one a 'name'")
        return self


class SensitivitySpec(AnalysisFile):
    """A sensitivity file (``experiments/sensitivity_*.yaml``)."""

    base: str = Field(description="base scenario file (relative to this file)")
    parameters: list[Parameter] = Field(min_length=1, max_length=100, description="parameters varied, with bounds")
    metrics: list[str] = Field(min_length=1, description="KPIs analysed: brand.kpi, e.g. focal.contribution")
    method: Literal["morris", "sobol"] = Field("morris", description="default method (--method overrides)")
    morris: MorrisSettings = Field(default_factory=MorrisSettings)
    sobol: SobolSettings = Field(default_factory=SobolSettings)
    replications: int = Field(1, ge=1, le=1000, description="runs per sample point, averaged; replication r uses seed + r at every point")


class Target(Strict):
    """One KPI to hit: a value, or a bound (``at_least`` / ``at_most``)."""

    metric: str = Field(min_length=1, description="KPI, brand.kpi, e.g. focal.spillover_share")
    value: float = Field(description="target value, in the KPI's unit")
    kind: Literal["equal", "at_least", "at_most"] = Field("equal", description="equal, or a one-sided bound (no loss inside it)")
    weight: float = Field(1.0, gt=0, description="weight in the loss")
    scale: float | None = Field(None, gt=0, description="error scale (default: |value|, or 1 if value is 0)")
    source: str = Field("", description="where the figure comes from")

    def error(self, y: float) -> float:
        """Scaled error: (y − value) / scale; 0 inside a bound."""
        gap = y - self.value
        if (self.kind == "at_least" and gap >= 0) or (self.kind == "at_most" and gap <= 0):
            return 0.0
        return gap / (self.scale or (abs(self.value) or 1.0))


class ObservedSeries(Strict):
    """An observed daily series to match: a CSV column against one of the model's daily series.

    The CSV holds one row per simulated day, in order (``simulation.days`` rows after a
    header); an empty cell is a day not observed (left out of the loss).
    """

    series: str = Field(min_length=1, description="simulated daily series, brand.series, e.g. focal.tmall.orders or focal.aware")
    csv: str = Field(min_length=1, description="CSV file (relative to the targets file), one row per day after a header")
    column: str = Field(min_length=1, description="the CSV column holding the observed values, in the series' unit")
    cumulative: bool = Field(False, description="compare running totals over the observed days (for sparse daily counts such as orders)")
    weight: float = Field(1.0, gt=0, description="weight in the loss")
    scale: float | None = Field(None, gt=0, description="error scale (default: mean |observed| over the observed days, of the running total if cumulative)")
    source: str = Field("", description="where the figures come from")

    def error2(self, simulated: np.ndarray, observed: np.ndarray) -> float:
        """Normalised mean squared error over the observed days: mean(((sim − obs)/scale)²) = NRMSE²."""
        seen = np.isfinite(observed)
        sim, obs = simulated[seen], observed[seen]
        if self.cumulative:  # a day's count of a few orders is mostly noise; its running total is not
            sim, obs = np.cumsum(sim), np.cumsum(obs)
        scale = self.scale or float(np.mean(np.abs(obs))) or 1.0  # 1 for a series of zeros
        return float(np.mean(((sim - obs) / scale) ** 2))


class PriceResponseFit(Strict):
    """Fit the market's price response to published elasticity ranges (what ``socsim elasticity`` measures).

    Every candidate also runs, on its seeds, each brand with every price raised by the
    elasticity file's step and every brand raised together: (brands + 2) × replications
    runs a candidate instead of replications. A file with ranges for word_of_mouth and
    paid_media (wom_vs_advertising.yaml) runs sharing and paid budgets raised instead:
    3 × replications runs.
    """

    targets: str = Field(min_length=1, description="elasticity targets file (relative to this targets file), e.g. elasticity.yaml: "
                                                   "the ranges of own-price and category elasticity and of the share of lost orders won by rivals, and the price step; "
                                                   "or wom_vs_advertising.yaml: the ranges of word of mouth's and paid media's elasticity of orders")
    weight: float = Field(1.0, gt=0, description="weight in the loss of each elasticity measure (one per brand for own and diversion, one for category)")


class OptimiserSettings(Strict):
    method: Literal["nelder-mead", "powell", "differential_evolution"] = Field("powell", description="scipy optimiser (derivative-free)")
    max_evaluations: int = Field(40, ge=2, le=100_000, description="most parameter points evaluated (each: replications runs)")
    tolerance: float = Field(1e-4, gt=0, description="stop when the loss changes less than this")


class CalibrationSpec(AnalysisFile):
    """A targets file (``scenarios/targets/*.yaml``): what to fit, to which KPIs and observed series."""

    parameters: list[Parameter] = Field(min_length=1, max_length=20, description="parameters fitted, with bounds")
    targets: list[Target] = Field(default_factory=list, description="KPIs and the values they should reach")
    observed: list[ObservedSeries] = Field(default_factory=list, max_length=50, description="observed daily series (CSV columns) to match")
    elasticity: PriceResponseFit | None = Field(None, description="published elasticity ranges to fit (own-price, category, lost orders won by rivals)")
    replications: int = Field(3, ge=1, le=100, description="seeds every candidate runs (common random numbers)")
    optimiser: OptimiserSettings = Field(default_factory=OptimiserSettings)

    @model_validator(mode="after")
    def _something_to_fit(self) -> "CalibrationSpec":
        if not self.targets and not self.observed and self.elasticity is None:
            raise ValueError("targets, observed or elasticity: give at least one KPI target, observed daily series or "
                             "elasticity targets file to fit")
        return self


class Choice(Strict):
    """A categorical lever: every value is searched (e.g. the parity policy)."""

    path: str = Field(min_length=1, description="dotted path, e.g. brands.focal.strategy.parity")
    values: list[Any] = Field(min_length=1, max_length=20, description="values tried, each with its own search")


class Objective(Strict):
    metric: str = Field(min_length=1, description="KPI to optimise, e.g. focal.contribution or focal.roi")
    sense: Literal["max", "min"] = Field("max", description="maximise or minimise")


class Constraint(Strict):
    """A KPI bound the strategy must keep (on the mean over replications)."""

    metric: str = Field(min_length=1, description="KPI, e.g. focal.marketing_spend or focal.active_leaders")
    at_least: float | None = Field(None, description="lower bound, in the KPI's unit")
    at_most: float | None = Field(None, description="upper bound, in the KPI's unit")

    @model_validator(mode="after")
    def _one(self) -> "Constraint":
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least or at_most (or both)")
        return self

    def violation(self, y: float) -> float:
        """How far outside the bound, relative to the bound (0 inside)."""
        out = 0.0
        for bound, gap in ((self.at_least, (self.at_least or 0) - y), (self.at_most, y - (self.at_most or 0))):
            if bound is not None and gap > 0:
                out += gap / (abs(bound) or 1.0)
        return out


class OptimiseSpec(AnalysisFile):
    """An optimisation file (``experiments/optimise_*.yaml``)."""

    base: str = Field(description="base scenario file (relative to this file); also the baseline strategy")
    parameters: list[Parameter] = Field(default_factory=list, max_length=20, description="continuous levers with bounds")
    choices: list[Choice] = Field(default_factory=list, max_length=3, description="categorical levers; every combination is searched")
    objective: Objective
    constraints: list[Constraint] = Field(default_factory=list, description="KPI bounds")
    replications: int = Field(3, ge=1, le=100, description="seeds every candidate runs (common random numbers)")
    final_replications: int = Field(10, ge=2, le=1000, description="seeds for the best strategy vs the baseline")
    optimiser: OptimiserSettings = Field(default_factory=OptimiserSettings)

    @model_validator(mode="after")
    def _something(self) -> "OptimiseSpec":
        if not self.parameters and not self.choices:
            raise ValueError("parameters or choices: give at least one lever to search")
        return self
