"""Shared helpers for the market tests: a small version of the baseline, replications,
and paired statistics (common random numbers: variant runs share seeds)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import yaml

from sim.verification.stats import paired_greater  # noqa: F401  (re-exported for the tests)
from sim.config.overrides import apply_overrides
from sim.config.schema import Scenario
from sim.simulation import RunResult, run

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
_BASE = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))

#: The baseline at test size: same economics (market_size/population = 100 as in the
#: baseline), a sparser graph and half a year, so one run takes about a second.
SMALL = ("world.population=4000", "world.market_size=400000", "world.graph.degree=40", "simulation.days=180")


def scenario(*overrides: str) -> Scenario:
    """The small baseline with ``overrides`` (dotted ``path=value`` strings)."""
    return Scenario.model_validate(apply_overrides(copy.deepcopy(_BASE), [*SMALL, *overrides]))


def replicate(sc: Scenario, seeds: range) -> list[RunResult]:
    return [run(sc, seed=s) for s in seeds]


def focal(results: list[RunResult], *keys: str) -> np.ndarray:
    """A KPI of the focal brand across replications, e.g. ("channels", "wechat", "orders")."""
    out = []
    for r in results:
        value = r.kpis["focal"]
        for k in keys:
            value = value[k]
        out.append(value)
    return np.asarray(out, dtype=float)


def run_check(key: str, sc: Scenario, **settings):
    """One named check of ``socsim check`` on ``sc`` in this process (``CheckSettings`` fields as keywords)."""
    from sim.verification.suite import CheckSettings, run_checks

    (result,) = run_checks(sc, CheckSettings(workers=1, **settings), only=[key])
    return result
