"""The checks' runs on the experiments' executor (sim/verification/jobs.py): the same
summaries, in job order, with one worker or many; a failing run or a dying worker is
named as ``socsim compare`` names it."""

from __future__ import annotations

import json
import os

import pytest

from sim.experiments.runner import RunFailedError
from sim.model import MarketModel
from sim.verification.jobs import RunJob, run_jobs

from _support import scenario

SMALL = ("simulation.days=8", "world.population=400", "world.market_size=40000", "world.graph.degree=8")


class DyingModel(MarketModel):
    """An engine whose run ends its process, as a worker killed for memory would."""

    def run(self, progress=None) -> None:
        os._exit(3)


class FailingModel(MarketModel):
    def run(self, progress=None) -> None:
        raise ValueError("broken on purpose")


def test_summaries_are_the_same_with_one_worker_or_two():
    sc = scenario(*SMALL)
    jobs = [RunJob(sc, seed) for seed in (4, 1, 9)]
    ticks: list[tuple[int, int]] = []
    here = run_jobs(jobs, workers=1)
    pooled = run_jobs(jobs, workers=2, progress=lambda done, total: ticks.append((done, total)))
    assert [s.seed for s in pooled] == [4, 1, 9]  # job order, whatever order they finished in
    assert [s.digest for s in pooled] == [s.digest for s in here]
    assert [json.dumps(s.kpis, sort_keys=True) for s in pooled] == [json.dumps(s.kpis, sort_keys=True) for s in here]  # NaN KPIs too
    assert len({s.digest for s in here}) == 3  # the seeds differ, so would the digests of a mixed-up order
    assert ticks == [(1, 3), (2, 3), (3, 3)]


def test_summaries_are_the_same_on_a_local_dask_cluster():
    pytest.importorskip("distributed")
    jobs = [RunJob(scenario(*SMALL), seed) for seed in (4, 1, 9)]
    here, on_dask = run_jobs(jobs, workers=1), run_jobs(jobs, dask_local=2)
    assert [s.seed for s in on_dask] == [4, 1, 9]
    assert [s.digest for s in on_dask] == [s.digest for s in here]
    assert [json.dumps(s.kpis, sort_keys=True) for s in on_dask] == [json.dumps(s.kpis, sort_keys=True) for s in here]


def test_the_pool_does_not_fork_this_process():
    """The workers come from the experiments' fork server, never from a fork of this
    process, which holds threads by now (BLAS pools, Arrow's allocator, Dask's after a
    Dask run): a child forked from it inherits any lock one of them held (Python 3.12
    warns on such a fork)."""
    forks, watching = [], [True]
    os.register_at_fork(before=lambda: forks.append(1) if watching[0] else None)  # cannot be unregistered
    try:
        run_jobs([RunJob(scenario(*SMALL), seed) for seed in (4, 1)], workers=2)
    finally:
        watching[0] = False
    assert forks == []


def test_a_dying_worker_is_named():
    sc = scenario(*SMALL)
    with pytest.raises(RunFailedError, match=r"a worker process died while running .*DyingModel"):
        run_jobs([RunJob(sc, 1, DyingModel), RunJob(sc, 2, DyingModel)], workers=2)


def test_a_failing_run_is_named_with_its_seed():
    sc = scenario(*SMALL)
    with pytest.raises(RunFailedError, match=r"run .*FailingModel.* \(seed 5\) failed: ValueError: broken on purpose"):
        run_jobs([RunJob(sc, 5, FailingModel)], workers=1)
