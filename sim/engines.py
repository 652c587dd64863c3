"""Engine selection: ``simulation.engine`` → the model class that runs the scenario.

``fast`` steps consumers in bulk (numpy arrays, :class:`sim.model.MarketModel`);
``reference`` is the per-agent Mesa engine (:class:`sim.reference.ReferenceMarketModel`)
used for docking tests and for reading. Both take ``(scenario, seed)`` and expose the
same attributes (ledger, population, brands, datacollector), so :func:`sim.simulation.run`,
the KPIs and the plots work with either.
"""

from __future__ import annotations

from .config.schema import Scenario
from .model import MarketModel

__all__ = ["make_model", "engine_class"]


def engine_class(engine: str) -> type[MarketModel]:
    """The model class of ``engine`` (``fast`` or ``reference``)."""
    if engine == "reference":
        from .reference import ReferenceMarketModel

        return ReferenceMarketModel
    return MarketModel


def make_model(scenario: Scenario, seed: int | None = None) -> MarketModel:
    """Build the model for ``scenario.simulation.engine``.

    Raises
    ------
    SocsimError
        If the reference engine is asked for a population above its limit.
    """
    return engine_class(scenario.simulation.engine)(scenario, seed=seed)
