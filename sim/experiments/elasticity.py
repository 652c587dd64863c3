"""Price elasticities of orders from paired runs (``socsim elasticity``, the ``elasticity`` check).

A brand team must see what its market assumes before it trusts a comparison: how much a
brand loses when it raises its prices, how much of that goes to rivals and how much leaves
the category. Every number here comes from runs that share their seeds (common random
numbers): the base scenario, the scenario with every price of brand b raised by ``step``
(one variant per brand), and the scenario with every price of every brand raised by
``step`` (the category variant).

Notes
-----
Per replication r (same seed in every variant), with q the orders over the whole run:

* own-price elasticity of brand b:      e_bb = ln(q_b(b↑) / q_b(base)) / ln(1 + step)
* cross elasticity, a's orders w.r.t. b's price:
                                        e_ab = ln(q_a(b↑) / q_a(base)) / ln(1 + step)
* category elasticity, Q = Σ_b q_b:     e_Q  = ln(Q(all↑) / Q(base)) / ln(1 + step)

the log-ratio (constant-elasticity) form, symmetric in the two prices; for a 10 % step it
differs from the arc (midpoint) elasticity by less than 1.2 % of its value for
elasticities between 0 and −4. Each elasticity's
interval is the t-interval of its per-replication values (:func:`~sim.experiments.stats.mean_ci`).

The diversion ratio of brand b is the share of b's lost orders that rivals gain:

    D_b = Σ_{a≠b} (q_a(b↑) − q_a(base)) / (q_b(base) − q_b(b↑)) = ḡ / l̄,

a ratio of mean paired differences with the delta-method interval of
:func:`~sim.experiments.stats.ratio_ci`; a per-replication ratio would be unstable when a
replication loses few orders.

References
----------
Bijmolt, T. H. A., van Heerde, H. J. & Pieters, R. G. M. (2005). New empirical
generalizations on the determinants of price elasticity. J. Marketing Research 42(2).
van Heerde, H. J., Gupta, S. & Wittink, D. R. (2003). Is 75 % of the sales promotion
bump due to brand switching? No, only 33 % is. J. Marketing Research 40(4).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import numpy as np
from pydantic import Field, model_validator

from sim.config.loader import Document, load_model
from sim.config.overrides import did_you_mean
from sim.config.schema import BrandSpec, Scenario
from sim.errors import SocsimError, refuse_existing

from .design import Design, build_design
from .executors import ExecutionPlan
from .runner import Progress, run_pending
from .spec import NAME_PATTERN, Strict
from .stats import LEVEL, Interval, mean_ci, ratio_ci
from .store import ResultsStore, StoredRun, atomic_write, write_csv
from .verdict import clear_of_zero

__all__ = ["BUNDLED_TARGETS", "BASE", "CATEGORY", "Measure", "Bound", "ElasticityTargets", "Estimate", "load_elasticity_targets",
           "price_rise", "variant_of", "rise_variants", "log_ratio", "log_elasticity", "elasticities", "verdict",
           "ElasticityResult",
           "elasticity_design", "orders_by_variant", "measure", "CSV_HEADER", "csv_rows", "write_json", "elasticity_verdict"]

#: The published ranges shipped with socsim (scenarios/targets/elasticity.yaml).
BUNDLED_TARGETS = Path(__file__).resolve().parents[2] / "scenarios" / "targets" / "elasticity.yaml"
#: Variant names: the base scenario, and every brand's prices raised.
BASE, CATEGORY = "base", "category"
#: What is measured: own-price, cross-price and category elasticity, diversion ratio; and the
#: elasticities of orders to word of mouth and to paid media (:mod:`sim.experiments.marketing`).
Measure = Literal["own", "cross", "category", "diversion", "word_of_mouth", "paid_media"]


# --------------------------------------------------------------------------- targets
class Bound(Strict):
    """A published range for one measure: ``low`` ≤ value ≤ ``high`` (either may be open)."""

    measure: Measure = Field(description="own (own-price elasticity of a brand's orders), category "
                                         "(all prices of the category), diversion (share of a brand's lost orders won by rivals), "
                                         "word_of_mouth (a brand's orders per share volume), paid_media (its orders per paid budget)")
    low: float | None = Field(None, description="lowest value the sources support (elasticity: dimensionless; diversion: share 0–1)")
    high: float | None = Field(None, description="highest value the sources support")
    typical: float | None = Field(None, description="the published central figure, for reference")
    source: str = Field(min_length=1, description="the published source, in a few words")

    @model_validator(mode="after")
    def _ordered(self) -> "Bound":
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self

    def holds(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        """``−3.5 to −1.5``, ``≥ 0.33`` or ``≤ 1``."""
        if self.low is not None and self.high is not None:
            return f"{_num(self.low)} to {_num(self.high)}"
        return f"≥ {_num(self.low)}" if self.low is not None else f"≤ {_num(self.high)}"


class ElasticityTargets(Strict):
    """The published ranges a market's price response should fall in (scenarios/targets/elasticity.yaml)."""

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    description: str = ""
    step: float = Field(0.10, gt=-0.9, le=2.0, description="price change the ranges refer to (share of price; 0.10 = +10 %)")
    elasticities: list[Bound] = Field(min_length=1, description="one range per measure")

    @model_validator(mode="after")
    def _once(self) -> "ElasticityTargets":
        measures = [b.measure for b in self.elasticities]
        twice = sorted({m for m in measures if measures.count(m) > 1})
        if twice:
            raise ValueError(f"measure {twice[0]!r} is given twice; one range per measure")
        if self.step == 0:
            raise ValueError("step: 0 changes no price; give e.g. 0.10 for +10 %")
        return self

    def bound(self, measure: str) -> Bound | None:
        return next((b for b in self.elasticities if b.measure == measure), None)


def load_elasticity_targets(path: str | os.PathLike[str]) -> ElasticityTargets:
    """Read and validate an elasticity targets file (problems with file:line:field)."""
    return load_model(Path(path), ElasticityTargets)


# --------------------------------------------------------------------------- variants
def _scaled(value: float, step: float) -> float:
    return round(value * (1.0 + step), 2)


def _is_price(key: str) -> bool:
    return key.split(".")[-1] in ("price", "min_advertised_price_yuan")


def price_rise(brand: BrandSpec, step: float) -> dict[str, Any]:
    """Changes (dotted path → value) that raise every price of ``brand`` by ``step``.

    List price, every channel price given explicitly, the minimum advertised price and
    every price a scheduled change sets. Promotions are shares of price and follow;
    platform coupons and private-domain coupons are fixed ¥ amounts and stay.
    """
    path = f"brands.{brand.name}"
    out: dict[str, Any] = {f"{path}.product.price": _scaled(brand.product.price, step)}
    out |= {f"{path}.channels.{k}.price": _scaled(ch.price, step) for k, ch in brand.channels.items() if ch.price is not None}
    if brand.strategy.min_advertised_price_yuan is not None:
        out[f"{path}.strategy.min_advertised_price_yuan"] = _scaled(brand.strategy.min_advertised_price_yuan, step)
    if any(_is_price(k) for change in brand.strategy.schedule for k in change.set):
        schedule = [change.model_dump(mode="json", by_alias=True) for change in brand.strategy.schedule]
        for change in schedule:
            change["set"] = {k: _scaled(v, step) if _is_price(k) else v for k, v in change["set"].items()}
        out[f"{path}.strategy.schedule"] = schedule
    return out


def variant_of(brand: str) -> str:
    """The variant in which ``brand`` raises its prices (``focal_up``)."""
    return f"{brand}_up"


def rise_variants(sc: Scenario, step: float, brands: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """The raised variants, name → changes: each brand in ``brands`` (default: every brand)
    with every price raised by ``step`` (:func:`variant_of`), then every brand's raised
    (:data:`CATEGORY`)."""
    specs = {b.name: b for b in sc.brands}
    everyone: dict[str, Any] = {}
    for b in sc.brands:
        everyone |= price_rise(b, step)
    return {variant_of(name): price_rise(specs[name], step) for name in (brands if brands is not None else specs)} \
        | {CATEGORY: everyone}


# --------------------------------------------------------------------------- estimates
@dataclass(frozen=True)
class Estimate:
    """One measured response.

    Attributes
    ----------
    measure : {"own", "cross", "category", "diversion", "word_of_mouth", "paid_media"}
    brand : str
        Whose orders (own, cross) or who raised its prices (diversion); "" for category.
    price_of : str
        Whose prices rose: the brand, or "all" for the category.
    value : Interval
        Mean over replications with its 95 % interval (diversion: ratio with delta-method interval).
    """

    measure: str
    brand: str
    price_of: str
    value: Interval

    @property
    def label(self) -> str:
        return {"own": f"own-price elasticity of {self.brand}",
                "cross": f"{self.brand}'s orders w.r.t. {self.price_of}'s price",
                "category": "category elasticity (every brand's prices)",
                "diversion": f"share of {self.brand}'s lost orders won by rivals",
                "word_of_mouth": f"{self.brand}'s orders per share volume (word of mouth)",
                "paid_media": f"{self.brand}'s orders per paid budget"}[self.measure]


def log_ratio(changed: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Per-replication ln(changed / base); NaN where either is not positive."""
    changed, base = np.asarray(changed, float), np.asarray(base, float)
    ok = (changed > 0) & (base > 0)
    ratio = np.divide(changed, base, out=np.full(changed.shape, np.nan), where=ok)
    return np.log(ratio, out=np.full(changed.shape, np.nan), where=ok)


def log_elasticity(changed: np.ndarray, base: np.ndarray, step: float) -> np.ndarray:
    """Per-replication ln(changed / base) / ln(1 + step); NaN where either is not positive."""
    return log_ratio(changed, base) / math.log1p(step)


def elasticities(orders: Mapping[str, np.ndarray], brands: Sequence[str], step: float) -> list[Estimate]:
    """Own, cross and category elasticities and diversion ratios from paired order counts.

    Parameters
    ----------
    orders : mapping variant → ndarray (replications, brands)
        Orders per replication and brand, replication r from seed + r in every variant.
        Variants: :data:`BASE`, :func:`variant_of` (brand) for each brand, :data:`CATEGORY`
        (any may be missing; its measures are then left out).
    brands : sequence of str
        Column order of the arrays.
    step : float
        The price change of the raised variants (share of price, not 0).

    Returns
    -------
    list of Estimate
        Per raising brand b: own, the cross elasticity of every rival, the diversion
        ratio; then the category elasticity.
    """
    base = np.asarray(orders[BASE], float)
    out: list[Estimate] = []
    for j, b in enumerate(brands):
        raised = orders.get(variant_of(b))
        if raised is None:
            continue
        raised = np.asarray(raised, float)
        out.append(Estimate("own", b, b, mean_ci(log_elasticity(raised[:, j], base[:, j], step))))
        rivals = [i for i in range(len(brands)) if i != j]
        out += [Estimate("cross", brands[i], b, mean_ci(log_elasticity(raised[:, i], base[:, i], step))) for i in rivals]
        if rivals:
            gain = (raised[:, rivals] - base[:, rivals]).sum(axis=1)
            out.append(Estimate("diversion", b, b, ratio_ci(gain, base[:, j] - raised[:, j])))
    if CATEGORY in orders:
        total = np.asarray(orders[CATEGORY], float).sum(axis=1)
        out.append(Estimate("category", "", "all", mean_ci(log_elasticity(total, base.sum(axis=1), step))))
    return out


def verdict(estimate: Estimate, targets: ElasticityTargets | None) -> tuple[Bound | None, str]:
    """The published range of the estimate's measure (if any) and "in range" / "outside" for its mean."""
    bound = targets.bound(estimate.measure) if targets else None
    if bound is None or math.isnan(estimate.value.mean):
        return bound, ""
    return bound, "in range" if bound.holds(estimate.value.mean) else "outside"


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}".replace("-", "−")


def elasticity_verdict(result: "ElasticityResult") -> str:
    """The one-line answer, read first: what a price rise does to the first brand's orders, and to the category.

    Example: ``Verdict: +10% on focal's prices moves its orders by −19.5 % (own-price
    elasticity −2.28 (95 % CI −2.71 to −1.85, significant; in the published range −3.5 to
    −1.5)); rivals win 41 % of the lost orders (95 % CI …; in the published range ≥ 33 %);
    category elasticity −0.52 (…)``. Significant: the 95 % interval excludes 0.
    """
    own = [e for e in result.estimates if e.measure == "own"]
    by = {(e.measure, e.brand): e for e in result.estimates}
    parts = []
    if own:
        first, step = own[0], result.step
        change = (1 + step) ** first.value.mean - 1
        parts.append(f"{step:+.0%} on {first.brand}'s prices moves its orders by {_signed(change * 100, 1)} % "
                     f"(own-price elasticity {_estimate_text(first, result.targets)})")
        diversion = by.get(("diversion", first.brand))
        if diversion is not None:
            parts.append(f"rivals win {_estimate_text(diversion, result.targets, ' of the lost orders')}")
        parts += [f"{e.brand}'s own-price elasticity {_estimate_text(e, result.targets)}" for e in own[1:]]
    category = by.get(("category", ""))
    if category is not None:
        parts.append(f"category elasticity {_estimate_text(category, result.targets)}")
    return "Verdict: " + ("; ".join(parts) or "nothing measured") + "."


def _estimate_text(e: Estimate, targets: ElasticityTargets | None, noun: str = "") -> str:
    """``−2.28 (95 % CI −2.71 to −1.85, significant; in the published range −3.5 to −1.5)``; a share: ``41 %…``."""
    share = e.measure == "diversion"
    fmt = (lambda x: f"{x * 100:.0f} %") if share else (lambda x: _signed(x, 2))
    v = e.value
    notes = []
    if v.low == v.low:  # an interval (not NaN): a share is not tested against 0, an elasticity is
        notes.append(f"{LEVEL * 100:.0f} % CI {fmt(v.low)} to {fmt(v.high)}" + ("" if share else f", {clear_of_zero(v)}"))
    bound, said = verdict(e, targets)
    if said:
        limits = [f"{'≥' if x is bound.low else '≤'} {fmt(x).lstrip('+')}" for x in (bound.low, bound.high) if x is not None]
        shown = bound.describe() if not share else " and ".join(limits)
        notes.append(f"{'in' if said == 'in range' else 'outside'} the published range {shown}")
    return f"{fmt(v.mean)}{noun}" + (f" ({'; '.join(notes)})" if notes else "")


def _signed(x: float, digits: int) -> str:
    return f"{x:+.{digits}f}".replace("-", "−")


# --------------------------------------------------------------------------- measuring
@dataclass(frozen=True)
class ElasticityResult:
    """What :func:`measure` found: the estimates, the design they came from and where they are."""

    estimates: list[Estimate]
    brands: tuple[str, ...]
    step: float
    design: Design
    folder: Path
    targets: ElasticityTargets | None
    files: tuple[Path, ...] = ()


def elasticity_design(scenario: Path, sc: Scenario, *, brands: Sequence[str], step: float, replications: int,
                      seed: int | None, changes: Sequence[str]) -> Design:
    """The paired design: base, each brand in ``brands`` raising its prices, every brand raising them.

    ``changes`` (``path=value`` lines, e.g. ``--set``) apply first in every variant; ``sc``
    is the scenario with them applied, whose prices are raised.
    """
    if step == 0 or not -0.9 < step <= 2.0:
        raise SocsimError(f"--step: got {step:g}; give a price change between −0.9 and 2 that is not 0 (0.10 = +10 %)")
    known = [b.name for b in sc.brands]
    for name in brands:
        if name not in known:
            raise SocsimError(f"--brand: no brand {name!r} in {scenario}{did_you_mean(name, known)}; brands: {', '.join(known)}")
    raised = rise_variants(sc, step, brands)
    variants = [{"name": BASE, "description": "the scenario as it is"},
                *({"name": variant_of(b), "description": f"every price of {b} {step:+.0%}", "set": raised[variant_of(b)]}
                  for b in brands),
                {"name": CATEGORY, "description": f"every price of every brand {step:+.0%}", "set": raised[CATEGORY]}]
    data = {"name": f"elasticity_{sc.name}"[:64], "base": str(scenario.resolve()), "set": list(changes), "variants": variants,
            "replications": replications, "seed": seed, "metrics": [f"{b}.orders" for b in known], "outputs": {"report": False}}
    return build_design(data, Document(str(scenario), {}, {}, Path.cwd()), json.dumps(data, indent=2))


def orders_by_variant(design: Design, runs: Sequence[StoredRun], brands: Sequence[str]) -> dict[str, np.ndarray]:
    """variant → (replications, brands) orders over the run; NaN where a run is missing."""
    out = {v.name: np.full((design.replications, len(brands)), np.nan) for v in design.variants}
    for r in runs:
        out[r.key.variant][r.key.rep] = [r.kpis.get(f"{b}.orders", np.nan) for b in brands]
    return out


def measure(design: Design, folder: Path, *, step: float, targets: ElasticityTargets | None = None,
            plan: ExecutionPlan = ExecutionPlan(), progress: Progress | None = None) -> ElasticityResult:
    """Run the design into the new folder ``folder`` and write its elasticities.

    The runs are stored in ``folder/runs`` (the experiment store); the estimates in
    ``elasticity.csv``, ``elasticity.json`` and ``elasticity.png``.

    Raises
    ------
    OutputExistsError
        If ``folder`` exists (results are never overwritten).
    """
    refuse_existing(folder)
    plan.check()
    brands = tuple(b.name for b in design.cells[0].scenario.brands)
    with ResultsStore.open(design, folder / "runs") as store:
        run_pending(design, store, plan, progress)
        runs = store.current()
        store.write_tables()
    estimates = elasticities(orders_by_variant(design, runs, brands), brands, step)
    result = ElasticityResult(estimates, brands, step, design, folder, targets)
    from ..plots.experiments import elasticity_plot  # matplotlib only when plotting

    files = (write_csv(folder / "elasticity.csv", CSV_HEADER, csv_rows(result)), write_json(result),
             elasticity_plot(result, folder / "elasticity.png"))
    return ElasticityResult(estimates, brands, step, design, folder, targets, files)


CSV_HEADER = ("measure", "brand", "price_of", "estimate", "ci_low", "ci_high", "replications", "range_low", "range_high",
              "verdict")


def csv_rows(result: ElasticityResult) -> list[list[Any]]:
    """One row per estimate, in the order of :data:`CSV_HEADER` (NaN for a missing number)."""
    rows = []
    for e in result.estimates:
        bound, said = verdict(e, result.targets)
        low, high = (bound.low, bound.high) if bound else (None, None)
        rows.append([e.measure, e.brand, e.price_of, e.value.mean, e.value.low, e.value.high, e.value.n,
                     math.nan if low is None else low, math.nan if high is None else high, said])
    return rows


def write_json(result: ElasticityResult) -> Path:
    """``elasticity.json``: strict JSON (no NaN: a missing number is null)."""
    def num(x: float) -> float | None:
        return None if math.isnan(x) else round(x, 6)


    doc = {"verdict": elasticity_verdict(result), "scenario": result.design.cells[0].scenario.name, "step": result.step, "replications": result.design.replications,
           "seeds": [result.design.seed, result.design.seed_of(result.design.replications - 1)],
           "method": "log ratio ln(q1/q0)/ln(1+step) per replication, t-interval; diversion: ratio of mean paired "
                     "differences, delta-method interval",
           "estimates": [dict(zip(CSV_HEADER, [num(v) if isinstance(v, float) else v for v in row]))
                         for row in csv_rows(result)]}
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    return atomic_write(result.folder / "elasticity.json", lambda p: p.write_text(text + "\n", encoding="utf-8"))
