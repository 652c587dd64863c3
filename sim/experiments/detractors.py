"""Lose one customer, lose 150? What one detractor costs a brand, measured with paired runs.

Practitioners say that behind every customer stand some 150 potential customers (a
Dunbar-sized circle of contacts), so losing one loses 150. The model can measure its own
figure instead of assuming it: run the scenario as it is and, on the same seeds (common
random numbers), with more detractors — a higher probability of a late delivery, the
one cause of a bad experience that touches nothing else —, and divide the buyers lost by
the detractors added. A third run on the same seeds, with the same extra detractors but
warnings that weigh nothing, splits the loss into what their warnings cost and what
their silence costs (a detractor does not recommend the brand).

Per replication r, with D the brand's detractors, Y its buyers (distinct people who
bought it) and O its orders over the run,

    lost per detractor(r)     = (Y(as is, r) − Y(more, r)) / (D(more, r) − D(as is, r))
    warnings' part(r)         = (Y(weightless, r) − Y(more, r)) / (D(more, r) − D(as is, r))
    orders lost per detractor = (O(as is, r) − O(more, r)) / (D(more, r) − D(as is, r))

each reported as its mean over replications with a 95 % t-interval. The detractors
themselves had already bought, so every buyer lost is someone else: a customer lost
through the social graph. Orders lost also count the detractors' own repeat purchases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..verification.jobs import RunJob, RunSummary, run_jobs
from ..config.schema import Scenario
from ..errors import SocsimError
from .stats import LEVEL, Interval, mean_ci
from .verdict import clear_of_zero

__all__ = ["DetractorCost", "lose_one_lose_150", "detractor_variants", "detractor_verdict", "count_interval", "SAYING"]

#: The practitioners' figure: behind one customer stand about 150 more (a Dunbar-sized circle).
SAYING = 150

#: Variant names: the scenario, more detractors, and more detractors whose warnings weigh nothing.
AS_IS, MORE, WEIGHTLESS = "as_is", "more", "more_weightless"


@dataclass(frozen=True)
class DetractorCost:
    """What one detractor costs brand ``brand`` (real people, i.e. scaled by market_size/population).

    Attributes
    ----------
    brand : str
    extra_late : float
        Late-delivery probability added to make the extra detractors.
    replications : int
    detractors_added : Interval
        Extra detractors over the run (paired: more − as is).
    buyers_lost : Interval
        Buyers lost over the run (as is − more).
    per_detractor : Interval
        Customers (buyers) lost per extra detractor: the measured "lose one, lose N".
    by_warnings : Interval
        The part of ``per_detractor`` that their warnings cost (weightless − more, per detractor).
    orders_per_detractor : Interval
        Orders lost per extra detractor, her own repeat purchases included.
    """

    brand: str
    extra_late: float
    replications: int
    detractors_added: Interval
    buyers_lost: Interval
    per_detractor: Interval
    by_warnings: Interval
    orders_per_detractor: Interval


def detractor_variants(sc: Scenario, extra_late: float) -> dict[str, Scenario]:
    """The three scenarios of :func:`lose_one_lose_150`: as is, more detractors, weightless warnings."""
    more = sc.model_copy(deep=True)
    more.world.behaviour.late_delivery_prob = min(1.0, sc.world.behaviour.late_delivery_prob + extra_late)
    weightless = more.model_copy(deep=True)
    weightless.world.behaviour.negative_wom_ratio = 0.0
    return {AS_IS: sc, MORE: more, WEIGHTLESS: weightless}


def lose_one_lose_150(sc: Scenario, brand: str | None = None, replications: int = 8, seed: int | None = None,
                      extra_late: float = 0.4, workers: int = 1,
                      progress: Callable[[int, int], None] | None = None) -> DetractorCost:
    """Customers lost per detractor of ``brand`` (default: the first), from paired runs.

    Parameters
    ----------
    sc : Scenario
    brand : str, optional
    replications : int, default 8
        Seeds ``seed``, ``seed + 1``, … shared by the three variants.
    seed : int, optional
        First seed (default: ``simulation.seed``).
    extra_late : float, default 0.4
        Late-delivery probability added (0 < extra_late ≤ 1).
    workers : int, default 1
        Processes (results do not depend on it).
    progress : callable, optional
        ``progress(done, total)`` after each run.

    Returns
    -------
    DetractorCost

    Raises
    ------
    SocsimError
        For an unknown brand, fewer than 2 replications, an ``extra_late`` outside (0, 1],
        a scenario already at late_delivery_prob = 1, or word of mouth switched off.
    """
    name = _validated(sc, brand, replications, extra_late)
    first = sc.simulation.seed if seed is None else seed
    variants = detractor_variants(sc, extra_late)
    jobs = [RunJob(v, first + r) for v in variants.values() for r in range(replications)]
    done = run_jobs(jobs, workers, progress)
    runs = {label: done[i * replications:(i + 1) * replications] for i, label in enumerate(variants)}
    return _cost(runs, name, extra_late, replications)


def _validated(sc: Scenario, brand: str | None, replications: int, extra_late: float) -> str:
    names = [b.name for b in sc.brands]
    if brand is not None and brand not in names:
        raise SocsimError(f"--brand: no brand {brand!r} in the scenario; brands: {', '.join(names)}")
    if replications < 2:
        raise SocsimError(f"--reps: got {replications}; give at least 2 replications (an interval needs two pairs)")
    if not 0.0 < extra_late <= 1.0:
        raise SocsimError(f"--extra-late: got {extra_late}; give a probability in (0, 1]")
    if sc.world.behaviour.late_delivery_prob >= 1.0:
        raise SocsimError("world.behaviour.late_delivery_prob is 1 already: no detractors can be added")
    if sc.world.behaviour.wom_strength == 0.0:
        raise SocsimError("world.behaviour.wom_strength is 0: word of mouth is off, so nobody is told anything")
    return brand or names[0]


def _cost(runs: dict[str, list[RunSummary]], brand: str, extra_late: float, replications: int) -> DetractorCost:
    def kpi(label: str, name: str) -> np.ndarray:
        return np.array([r.kpis[f"{brand}.{name}"] for r in runs[label]], float)

    added = kpi(MORE, "detractors") - kpi(AS_IS, "detractors")
    if np.any(added <= 0):
        raise SocsimError("a replication made no extra detractors (too few orders?): raise --population or --days")
    lost = kpi(AS_IS, "buyers") - kpi(MORE, "buyers")
    warned = kpi(WEIGHTLESS, "buyers") - kpi(MORE, "buyers")
    orders = kpi(AS_IS, "orders") - kpi(MORE, "orders")
    return DetractorCost(brand, extra_late, replications, mean_ci(added), mean_ci(lost), mean_ci(lost / added),
                         mean_ci(warned / added), mean_ci(orders / added))


def count_interval(x: Interval) -> str:
    """``2.41 (95 % CI 1.10 to 3.72)``, ``1,204 (95 % CI …)``: a count per detractor with its interval."""
    fmt = "{:,.0f}" if abs(x.mean) >= 100 else "{:.2f}"
    ci = "" if x.low != x.low else f" ({LEVEL * 100:.0f} % CI {fmt.format(x.low)} to {fmt.format(x.high)})"
    return f"{fmt.format(x.mean)}{ci}".replace("-", "−")


def detractor_verdict(cost: DetractorCost) -> str:
    """The one-line answer, read first: customers lost per detractor against the saying's 150, and why.

    Example: ``Verdict: each extra detractor costs focal 2.41 customers (95 % CI 1.10 to
    3.72), significant, far fewer than the saying's 150; 1.20 (…) of them through her
    warnings, significant; and 3.05 (…) orders.``
    """
    per = cost.per_detractor
    saying = ("far fewer than" if per.high < SAYING else "more than" if per.low > SAYING else "consistent with")
    return (f"Verdict: each extra detractor costs {cost.brand} {count_interval(per)} customers, {clear_of_zero(per)}, "
            f"{saying} the saying's {SAYING}; {count_interval(cost.by_warnings)} of them through her warnings, "
            f"{clear_of_zero(cost.by_warnings)}; and {count_interval(cost.orders_per_detractor)} orders.")
