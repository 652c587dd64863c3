"""socsim: agent-based simulator of social-commerce channel economics.

WeChat (微信, closed private domain) vs Tmall (天猫, open marketplace): consumers on a
150-contact social graph respond to content, KOL/KOC posts, word of mouth, group deals
and price-parity signals. See docs/MODEL.md.

The public API is importable from here; each name is loaded on first use, so
``import sim`` (and the ``socsim`` command) stays quick.

Examples
--------
Load the bundled baseline at a small size, simulate it and read a KPI:

>>> import sim
>>> scenario = sim.load_scenario(sim.BASELINE, ["world.population=500", "world.graph.degree=20", "simulation.days=30"])
>>> result = sim.run(scenario, seed=1)
>>> result.brands
('focal', 'rival')
>>> result.kpis["focal"]["orders"] > 0
True

The same seed gives the same run; the model can also be stepped day by day:

>>> bool((sim.run(scenario, seed=1).books == result.books).all())
True
>>> model = sim.MarketModel(scenario, seed=1)
>>> model.step(); model.day
1

A mistake in a scenario is one :class:`SocsimError` naming the field and what is allowed:

>>> sim.load_scenario(sim.BASELINE, ["world.population=-5"])
Traceback (most recent call last):
...
sim.errors.ScenarioError: ...world.population: got -5; must be ≥ 10...(from --set world.population=-5)
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

#: The bundled baseline scenario (a focal brand on Tmall and WeChat, a rival on Tmall).
BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"

#: Public name → the module that defines it.
_PUBLIC = {
    "load_scenario": "sim.config.loader", "load_scenario_text": "sim.config.loader", "Scenario": "sim.config.schema",
    "run": "sim.simulation", "RunResult": "sim.simulation", "write_results": "sim.simulation",
    "MarketModel": "sim.model", "make_model": "sim.engines",
    "load_experiment": "sim.experiments", "run_experiment": "sim.experiments", "ExecutionPlan": "sim.experiments",
    "run_checks": "sim.verification.suite", "CheckSettings": "sim.verification.suite",
    "SocsimError": "sim.errors", "ScenarioError": "sim.errors",
}

__all__ = ["BASELINE", "__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
