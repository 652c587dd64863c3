"""Word of mouth against paid media: the elasticity of a brand's orders to each, from paired runs.

Published work compares the two as volume elasticities: the percentage change in sales
(or new customers) per percentage change in the amount of the marketing input, measured
over the input's whole carry-over (long run). Word of mouth's is far above advertising's
(Trusov, Bucklin & Pauwels 2009: 0.53 for referrals against about 1/20 and 1/30 of that
for marketing events and media appearances); a meta-analysis of brand advertising puts
the mean at 0.12 in the short run and 0.24 in the long run (Sethuraman, Tellis & Briesch
2011). The published ranges the model is held to are in
scenarios/targets/wom_vs_advertising.yaml (:data:`BUNDLED_TARGETS`).

Notes
-----
Three variants share their seeds (common random numbers): the scenario as it is (base),
every segment's sharing probability (``advocacy``) raised by ``step`` (:data:`WOM_UP`),
and every paid-media budget of brand b raised by ``step`` (:data:`PAID_UP`). Per
replication r, with q brand b's orders and S its shares over the whole run:

* word of mouth:  e_wom  = ln(q(wom↑) / q(base)) / ln(S(wom↑) / S(base))
* paid media:     e_paid = ln(q(paid↑) / q(base)) / ln(1 + step)

The word-of-mouth input is the number of shares the brand's buyers send, as Trusov et
al.'s is the number of referrals members send, so its change is measured, not assumed:
raising advocacy by 25 % raises shares by more, because the extra orders it brings make
more sharers. The paid input is the budget (impressions scale with it), as in the
meta-analysis's spending or GRP elasticities. Both are long run in the published sense:
the run's orders include every later order the extra exposures bring through attitude
carry-over (half-life ≈ 23 days), word of mouth and repurchase. Raising advocacy raises
every brand's sharing (it is a trait of consumers, not of a brand); the elasticity is read
on brand b's own shares and orders. Each elasticity's interval is the t-interval of its
per-replication values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.schema import Scenario
from sim.errors import SocsimError

from .elasticity import Bound, ElasticityTargets, load_elasticity_targets, log_elasticity, log_ratio

__all__ = ["BUNDLED_TARGETS", "WOM_UP", "PAID_UP", "MEASURES", "load_marketing_targets", "wom_raise", "paid_raise",
           "response_variants", "wom_elasticity", "paid_elasticity"]

#: The published ranges shipped with socsim (scenarios/targets/wom_vs_advertising.yaml).
BUNDLED_TARGETS = Path(__file__).resolve().parents[2] / "scenarios" / "targets" / "wom_vs_advertising.yaml"
#: Variant names: sharing raised, paid budgets raised.
WOM_UP, PAID_UP = "wom_up", "paid_up"
#: The two measures a word-of-mouth-versus-advertising targets file gives a range for.
MEASURES = ("word_of_mouth", "paid_media")


def load_marketing_targets(path: str | os.PathLike[str] = BUNDLED_TARGETS) -> tuple[ElasticityTargets, Bound, Bound]:
    """An elasticity targets file with a range for each of :data:`MEASURES`: the file, word of mouth's, paid media's.

    Raises
    ------
    ScenarioError
        When the file is not a valid elasticity targets file (file:line:field).
    SocsimError
        When it gives no range for word_of_mouth or for paid_media.
    """
    targets = load_elasticity_targets(path)
    wom, paid = (targets.bound(m) for m in MEASURES)
    if wom is None or paid is None:
        raise SocsimError(f"{path}: elasticities: give a range for both word_of_mouth and paid_media "
                          f"(found: {', '.join(b.measure for b in targets.elasticities)})")
    return targets, wom, paid


def wom_raise(sc: Scenario, step: float) -> dict[str, Any]:
    """Changes (dotted path → value) that raise every segment's sharing probability by ``step`` (capped at 1)."""
    return {f"world.segments.{key}.advocacy": min(1.0, spec.resolved(key)["advocacy"] * (1.0 + step))
            for key, spec in sc.world.segments.items()}


def paid_raise(sc: Scenario, b: int, step: float) -> dict[str, Any]:
    """Changes that raise every paid-media budget of brand index ``b`` by ``step`` (empty: it buys none)."""
    return {f"brands.{b}.strategy.paid_media.{i}.budget_per_day": m.budget_per_day * (1.0 + step)
            for i, m in enumerate(sc.brands[b].strategy.paid_media) if m.budget_per_day > 0}


def response_variants(sc: Scenario, b: int, step: float) -> dict[str, dict[str, Any]]:
    """The two raised variants, name → changes: :data:`WOM_UP` and :data:`PAID_UP`."""
    return {WOM_UP: wom_raise(sc, step), PAID_UP: paid_raise(sc, b, step)}


def wom_elasticity(orders_up: np.ndarray, orders_base: np.ndarray, shares_up: np.ndarray,
                   shares_base: np.ndarray) -> np.ndarray:
    """Per replication ln(orders ratio) / ln(shares ratio); NaN where shares did not rise or a count is 0."""
    shares_up, shares_base = np.asarray(shares_up, float), np.asarray(shares_base, float)
    ok = (shares_up > shares_base) & (shares_base > 0)
    rise = np.divide(shares_up, shares_base, out=np.full(shares_up.shape, np.nan), where=ok)
    return log_ratio(orders_up, orders_base) / np.log(rise)


def paid_elasticity(orders_up: np.ndarray, orders_base: np.ndarray, step: float) -> np.ndarray:
    """Per replication ln(orders ratio) / ln(1 + step): the paid budget rose by ``step``."""
    return log_elasticity(orders_up, orders_base, step)
