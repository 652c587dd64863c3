"""Engine selection: ``simulation.engine`` → the model class that runs the scenario.

``fast`` steps consumers in bulk (numpy arrays, :class:`sim.model.MarketModel`);
``reference`` is the per-agent Mesa engine used for docking tests and for reading.
"""

from __future__ import annotations

from .config.schema import Scenario
from .errors import SocsimError
from .model import MarketModel

__all__ = ["make_model"]


def make_model(scenario: Scenario, seed: int | None = None) -> MarketModel:
    """Build the model for ``scenario.simulation.engine``."""
    engine = scenario.simulation.engine
    if engine == "fast":
        return MarketModel(scenario, seed=seed)
    raise SocsimError(f"simulation.engine: {engine!r} is not available yet; use 'fast'")
