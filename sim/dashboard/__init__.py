"""Workshop dashboard: a live page for training sessions on a Mesa model (``socsim dashboard``).

The pieces, from plain Python to the browser:

* :mod:`~sim.dashboard.levers` — the main strategy levers of one brand (prices, parity,
  budgets, commissions, content, pushes) and how their values become scenario overrides;
* :mod:`~sim.dashboard.workshop` — :class:`WorkshopModel`, a Mesa model that steps one
  market, or two strategies side by side on the same seed, and applies lever changes
  from the current day on;
* :mod:`~sim.dashboard.charts` — matplotlib figures of the running market (AIPL funnel,
  orders and contribution by channel, spill-over, group leaders, a sampled ego network);
* :mod:`~sim.dashboard.text` — every phrase of the page and its charts in English and Chinese;
* :mod:`~sim.dashboard.app` — the Solara page, one screen for a projector (needs the
  ``socsim[dashboard]`` extra);
* :mod:`~sim.dashboard.server` — serves the page on localhost, offline.

Only ``app`` and ``server`` import Solara, so the rest works without the extra.
"""

from .levers import Lever, LeverSet, lever_set
from .workshop import WorkshopModel, WorkshopSetup, WorkshopState

__all__ = ["Lever", "LeverSet", "lever_set", "WorkshopModel", "WorkshopSetup", "WorkshopState"]
