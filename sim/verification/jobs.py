"""Runs for the checks: (engine, scenario, seed) jobs on the experiments' executor.

:func:`run_jobs` hands the jobs to :func:`sim.experiments.runner.execute` on the executor
:func:`sim.experiments.executors.open_executor` opens (the one ``socsim compare`` runs on:
the same worker start-up, the same error for a worker that dies), and returns small
:class:`RunSummary` records (flat KPIs and a digest of the books), in job order: a run's
outcome depends only on its job, never on the worker.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

import numpy as np

from ..config.schema import Scenario
from ..engines import engine_class
from ..experiments.executors import ExecutionPlan, open_executor
from ..experiments.runner import execute
from ..metrics import flatten_kpis
from ..model import MarketModel

__all__ = ["RunJob", "RunSummary", "summarize", "jobs_plan", "run_jobs"]


@dataclass(frozen=True)
class RunJob:
    """One run to do: a scenario and a seed, on an engine (a model class)."""

    scenario: Scenario
    seed: int
    engine: type[MarketModel] | None = None   # None: the scenario's simulation.engine

    @property
    def label(self) -> str:
        """The run's name in messages: scenario and engine."""
        engine = self.engine.__name__ if self.engine is not None else f"{self.scenario.simulation.engine} engine"
        return f"{self.scenario.name} ({engine})"


@dataclass(frozen=True)
class RunSummary:
    """What a run produced, small enough to ship back from a worker.

    Attributes
    ----------
    seed : int
    kpis : dict[str, float]
        Flat KPIs of every brand: ``focal.revenue``, ``focal.channels.wechat.orders``,
        ``focal.aipl.aware`` … (see :func:`sim.metrics.brand_kpis`).
    digest : str
        SHA-256 of the books, the orders by source and the KPIs: equal digests mean
        identical outputs.
    daily_orders : dict[str, ndarray]
        Brand → orders per day over every channel, shape (days,): what the checks of
        timing (a dip after a promotion, demand recovering after a price rise) read.
    """

    seed: int
    kpis: dict[str, float]
    digest: str
    daily_orders: dict[str, np.ndarray] = field(default_factory=dict)


def summarize(job: RunJob) -> RunSummary:
    """Run one job and summarise it (the function every worker is given)."""
    from ..metrics import brand_kpis

    cls = job.engine or engine_class(job.scenario.simulation.engine)
    model = cls(job.scenario, seed=job.seed)
    model.run()
    kpis = {b.name: brand_kpis(model, b.code) for b in model.brands}
    digest = hashlib.sha256()
    for array in (model.ledger.books, model.ledger.by_source):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps(kpis, sort_keys=True).encode())
    orders = model.ledger.field("orders").sum(axis=2)   # (days, brands)
    daily = {b.name: orders[:, b.code].copy() for b in model.brands}
    return RunSummary(seed=job.seed, kpis=flatten_kpis(kpis), digest=digest.hexdigest(), daily_orders=daily)


class _Numbered(NamedTuple):
    """A job and its place in the list (results come back in completion order)."""

    index: int
    job: RunJob

    @property
    def seed(self) -> int:
        return self.job.seed

    @property
    def label(self) -> str:
        return self.job.label


def _summarize_numbered(numbered: _Numbered) -> tuple[int, RunSummary]:
    return numbered.index, summarize(numbered.job)


def jobs_plan(n_jobs: int, workers: int = 1, scheduler: str | None = None,
              dask_local: int | None = None) -> ExecutionPlan:
    """The executor :func:`run_jobs` opens for ``n_jobs`` jobs: Dask if told, else a local
    pool of ``workers`` (this process for one worker or one job)."""
    dask = scheduler is not None or dask_local is not None
    # The experiments' forkserver, not fork: this process may hold threads by now (Dask's
    # offload and profile threads after a Dask run), and a forked child inherits whatever
    # lock one of them held. A job's engine defined in a test module is imported by the
    # workers from the parent's sys.path, as any engine.
    return ExecutionPlan(workers=None if dask else workers if workers > 1 and n_jobs > 1 else 0,
                         scheduler=scheduler, dask_local=dask_local)


def run_jobs(jobs: Sequence[RunJob], workers: int = 1, progress: Callable[[int, int], None] | None = None, *,
             scheduler: str | None = None, dask_local: int | None = None) -> list[RunSummary]:
    """Run ``jobs`` here (``workers`` ≤ 1), on a local pool of ``workers`` processes, or on
    Dask (``scheduler``, ``dask_local``: :class:`~sim.experiments.executors.ExecutionPlan`'s,
    ``workers`` then unused).

    Results come back in job order and do not depend on where they ran: each run draws only
    from the streams of its own seed (the reproducibility behaviour). ``progress(done, total)`` is called
    after each run.

    Raises
    ------
    RunFailedError
        A run raised or its worker died (:func:`sim.experiments.runner.execute`).
    """
    plan = jobs_plan(len(jobs), workers, scheduler, dask_local)
    done: dict[int, RunSummary] = {}

    def record(result: tuple[int, RunSummary]) -> None:
        done[result[0]] = result[1]
        if progress:
            progress(len(done), len(jobs))

    with open_executor(plan, len(jobs)) as executor:
        execute([_Numbered(i, job) for i, job in enumerate(jobs)], executor, record, plan.window(len(jobs)),
                run=_summarize_numbered)
    return [done[i] for i in range(len(jobs))]
