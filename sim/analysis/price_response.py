"""Calibrating the price system: fit parameters so the market's elasticities meet published ranges.

A targets file may name an elasticity targets file (``elasticity: {targets: elasticity.yaml}``,
:class:`~sim.analysis.spec.PriceResponseFit`). Every candidate then also runs the paired
variants of ``socsim elasticity`` — every price of each brand raised by the file's step,
and every price of every brand raised — on the same seeds as the candidate itself, and
the loss gains one term per measure (:func:`price_loss`):

* own-price elasticity of each brand: ((e − typical)/s)² with s half the range's width,
  so the search aims at the published central figure, not at an edge of the range; a
  range without a typical value: the distance outside it, over s, squared;
* category elasticity (a range): the distance outside it, over s, squared;
* share of each brand's lost orders won by rivals (a lower bound): the shortfall over
  the bound, squared.

The estimators are those of :mod:`sim.experiments.elasticity` (log-ratio elasticities,
ratio of mean paired differences for the diversion share).

A targets file whose ranges name ``word_of_mouth`` and ``paid_media``
(scenarios/targets/wom_vs_advertising.yaml) runs the paired variants of the
``wom_vs_advertising`` check instead — every segment's sharing and the first brand's paid
budgets raised by the file's step (:mod:`sim.experiments.marketing`) — and adds one term
per measure, ((e − typical)/s)² as for own-price elasticities (the distance outside the
range when it gives no typical figure), plus the same for word of mouth's elasticity
falling short of paid media's (the published order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from sim.config.loader import Document
from sim.config.messages import problem_at
from sim.errors import ScenarioError
from sim.config.schema import Scenario
from sim.experiments.elasticity import (BASE, Bound, ElasticityTargets, Estimate, elasticities,
                                        load_elasticity_targets, rise_variants)
from sim.experiments.marketing import (MEASURES, PAID_UP, WOM_UP, paid_elasticity, response_variants,
                                       wom_elasticity)
from sim.experiments.stats import Interval, mean_ci

from .spec import CalibrationSpec

#: Measures whose loss aims at the published central figure, not just inside the range: with
#: a zero loss anywhere inside, a search stops at the first candidate that gets in.
AIMED = ("own", *MEASURES)

__all__ = ["PriceTargets", "read_price_targets", "fit_variants", "price_loss", "PriceFit", "price_fits", "orders_of"]


@dataclass(frozen=True)
class PriceTargets:
    """The elasticity ranges a calibration fits, and how much each measure weighs."""

    ranges: ElasticityTargets
    weight: float

    @property
    def marketing(self) -> bool:
        """Whether the ranges are word of mouth's and paid media's (else the price system's)."""
        return self.ranges.bound(MEASURES[0]) is not None

    def extra_metrics(self, brands: Sequence[str]) -> tuple[str, ...]:
        """KPIs the paired variants are read on besides every brand's orders: the first brand's shares."""
        return (f"{brands[0]}.shares",) if self.marketing else ()


def read_price_targets(doc: Document, spec: CalibrationSpec) -> PriceTargets | None:
    """The targets file's elasticity ranges (None without an ``elasticity`` entry).

    Raises
    ------
    ScenarioError
        Against the targets file's ``elasticity.targets`` line when the file is missing;
        against the elasticity file's own lines when it is not valid.
    """
    if spec.elasticity is None:
        return None
    path = (doc.base_dir / spec.elasticity.targets).resolve()
    if not path.is_file():
        raise ScenarioError(doc.file, [problem_at(doc, ("elasticity", "targets"), f"elasticity targets file "
                                                  f"{spec.elasticity.targets!r} not found (looked for {path}); the path "
                                                  "is relative to the targets file, e.g. elasticity.yaml")])
    return PriceTargets(load_elasticity_targets(path), spec.elasticity.weight)


def _scale(bound: Bound) -> float:
    """Error scale of a measure: half its range, or the size of its one bound (1 if 0)."""
    if bound.low is not None and bound.high is not None:
        return (bound.high - bound.low) / 2.0
    return abs(bound.low if bound.low is not None else bound.high) or 1.0


def _error(value: float, bound: Bound, aim_typical: bool) -> float:
    """Scaled error of ``value``: from the typical figure when aimed at, else outside the range (0 inside)."""
    if math.isnan(value):
        return 1e3  # no orders to measure: as far from any range as a candidate can be
    if aim_typical and bound.typical is not None:
        return (value - bound.typical) / _scale(bound)
    below = bound.low - value if bound.low is not None and value < bound.low else 0.0
    above = value - bound.high if bound.high is not None and value > bound.high else 0.0
    return (below + above) / _scale(bound)


def fit_variants(targets: PriceTargets, sc: Scenario) -> dict[str, dict[str, Any]]:
    """The paired variants every candidate also runs: price rises, or sharing and paid budgets raised."""
    step = targets.ranges.step
    return response_variants(sc, 0, step) if targets.marketing else rise_variants(sc, step)


def _judged(estimates: Sequence[Estimate], ranges: ElasticityTargets) -> list[tuple[Estimate, Bound]]:
    """The estimates a published range speaks for (own, category, diversion), with that range."""
    out = []
    for e in estimates:
        bound = ranges.bound(e.measure)
        if bound is not None and e.measure != "cross":
            out.append((e, bound))
    return out


def _estimates(targets: PriceTargets, runs: Mapping[str, np.ndarray], brands: Sequence[str]) -> list[Estimate]:
    """The measured elasticities. ``runs``: variant → (replications, columns), every brand's
    orders in ``brands`` order, then the :meth:`PriceTargets.extra_metrics`."""
    n, step = len(brands), targets.ranges.step
    orders = {v: np.asarray(x, float)[:, :n] for v, x in runs.items()}
    if not targets.marketing:
        return elasticities(orders, brands, step)
    shares = {v: np.asarray(x, float)[:, n] for v, x in runs.items()}
    base, focal = orders[BASE][:, 0], brands[0]
    wom = wom_elasticity(orders[WOM_UP][:, 0], base, shares[WOM_UP], shares[BASE])
    paid = paid_elasticity(orders[PAID_UP][:, 0], base, step)
    return [Estimate("word_of_mouth", focal, "shares", mean_ci(wom)), Estimate("paid_media", focal, "budget", mean_ci(paid))]


def _order_error(estimates: Sequence[Estimate], ranges: ElasticityTargets) -> float:
    """Word of mouth's shortfall below paid media's elasticity over paid media's scale (0 without both)."""
    found = {e.measure: e.value.mean for e in estimates}
    if not set(MEASURES) <= set(found):
        return 0.0
    return max(0.0, found["paid_media"] - found["word_of_mouth"]) / _scale(ranges.bound("paid_media"))


def price_loss(targets: PriceTargets, runs: Mapping[str, np.ndarray], brands: Sequence[str]) -> float:
    """Σ weight · error² over the measures with a published range, and the order term (module notes).

    ``runs``: variant → (replications, columns) as :func:`_estimates` reads; for the price
    system every brand's orders, as :func:`~sim.experiments.elasticity.elasticities` reads.
    """
    estimates = _estimates(targets, runs, brands)
    errors = [_error(e.value.mean, bound, e.measure in AIMED) for e, bound in _judged(estimates, targets.ranges)]
    errors.append(_order_error(estimates, targets.ranges))
    return float(sum(targets.weight * x ** 2 for x in errors))


@dataclass(frozen=True)
class PriceFit:
    """One elasticity measure (own, category, diversion) of the fitted scenario against its published range."""

    measure: str
    label: str
    bound: Bound
    achieved: Interval


def price_fits(targets: PriceTargets, runs: Mapping[str, np.ndarray], brands: Sequence[str]) -> tuple[PriceFit, ...]:
    """Each judged measure of the fitted scenario (mean with its 95 % interval) beside its range."""
    estimates = _estimates(targets, runs, brands)
    return tuple(PriceFit(e.measure, e.label, bound, e.value) for e, bound in _judged(estimates, targets.ranges))


def orders_of(evaluate_variant: Callable[[str, dict[str, Any]], np.ndarray], variants: Mapping[str, dict[str, Any]]
              ) -> dict[str, np.ndarray]:
    """Variant → (replications, brands) orders, the base (no changes) first: ``evaluate_variant(name, changes)``."""
    return {BASE: evaluate_variant(BASE, {})} | {name: evaluate_variant(name, changes) for name, changes in variants.items()}
