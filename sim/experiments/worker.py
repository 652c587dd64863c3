"""What runs on a worker: one (scenario, seed) task in, one plain record out.

A task carries the scenario as JSON data and a seed; the worker validates the scenario
again, calls :func:`sim.simulation.run` and returns KPIs as a flat mapping and the daily series
as arrays. No model is ever pickled, so any executor (a local process pool, a Dask
cluster on other machines) can run it, and the result depends only on the task.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np

from sim.config.schema import Scenario
from sim.ledger import FIELDS
from sim.metrics import flatten_kpis

from .design import RunKey, Task

__all__ = ["RunRecord", "run_task", "flatten_kpis", "daily_columns"]


@dataclass(frozen=True)
class RunRecord:
    """The outcome of one run, small enough to ship back from any worker.

    Attributes
    ----------
    key : RunKey
    seed : int
    digest : str
        The scenario's digest (as in the design), so a stored run can be matched.
    seconds : float
        Time spent in the simulation itself (validate + run), on the worker.
    kpis : dict[str, float]
        Flat KPIs: ``focal.revenue``, ``focal.channels.wechat.orders``, ``focal.aipl.aware`` …
    start_date : datetime.date
    daily : dict[str, ndarray]
        One value per day: ``focal.revenue`` (ledger field over channels),
        ``focal.wechat.orders`` (per channel), ``focal.active_leaders`` (state) …
    """

    key: RunKey
    seed: int
    digest: str
    seconds: float
    kpis: dict[str, float]
    start_date: dt.date
    daily: dict[str, np.ndarray]


def run_task(task: Task) -> RunRecord:
    """Simulate one task; the function every executor is given.

    Parameters
    ----------
    task : Task
        Scenario data (JSON), seed, key and digest.

    Returns
    -------
    RunRecord
    """
    from sim.simulation import run

    start = time.perf_counter()
    scenario = Scenario.model_validate(task.scenario)
    result = run(scenario, seed=task.seed)
    seconds = time.perf_counter() - start
    return RunRecord(task.key, task.seed, task.digest, seconds, flatten_kpis(result.kpis), result.dates[0],
                     daily_columns(result))


def daily_columns(result) -> dict[str, np.ndarray]:
    """Daily series of a :class:`sim.simulation.RunResult` by name (see :class:`RunRecord`)."""
    cols = {k: np.asarray(v, dtype=float) for k, v in result.daily.items()}
    scenario = result.scenario
    for b, brand in enumerate(result.brands):
        listed = scenario.brands[b].channels
        for f, name in enumerate(FIELDS):
            cols[f"{brand}.{name}"] = result.books[:, b, :, f].sum(axis=1)
        for c, key in enumerate(result.channels):
            if key in listed and scenario.channels[key].transacts:
                for f, name in enumerate(FIELDS):
                    cols[f"{brand}.{key}.{name}"] = np.ascontiguousarray(result.books[:, b, c, f])
    return cols
