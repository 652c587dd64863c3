"""A brand's terms on a date: its scenario entry with the day's schedule entries and its
competitor responses applied.

The model calls these each morning (stage 1 of the day) and hands the result to the brand:
the brand itself never reads the configuration's loader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .loader import apply_brand_changes
from .schema import BrandSpec

__all__ = ["active_entries", "scheduled_spec", "with_responses"]


def active_entries(brand: BrandSpec, date: dt.date) -> tuple[int, ...]:
    """Indices into ``brand.strategy.schedule`` of the entries in force on ``date`` (start and end inclusive)."""
    return tuple(i for i, change in enumerate(brand.strategy.schedule) if change.start <= date <= change.end)


def scheduled_spec(brand: BrandSpec, active: tuple[int, ...]) -> BrandSpec:
    """``brand`` with the ``set`` changes of its schedule entries ``active`` applied, in schedule order
    (a later entry wins where two set the same field)."""
    spec = brand
    for i in active:
        spec = apply_brand_changes(spec, brand.strategy.schedule[i].set)
    return spec


def with_responses(scheduled: BrandSpec, responses: Mapping[str, Any]) -> BrandSpec:
    """The brand as of today: its ``scheduled`` terms with its competitor responses' changes
    (dotted paths → values, :meth:`sim.market.responses.ResponseDesk.changes`) applied."""
    return apply_brand_changes(scheduled, responses) if responses else scheduled
