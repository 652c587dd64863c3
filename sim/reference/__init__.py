"""The reference engine: the market with one Mesa agent per consumer (docs/VERIFICATION.md §1).

``simulation.engine: reference`` selects it (:func:`sim.engines.make_model`). It shares
everything but the consumer stepping with the fast engine and is used for docking tests
(tests/test_docking.py) and for reading the rules one consumer at a time.
"""

from .consumer import Consumer, Order, Visit
from .engine import MAX_POPULATION, ReferenceMarketModel

__all__ = ["Consumer", "Order", "Visit", "MAX_POPULATION", "ReferenceMarketModel"]
