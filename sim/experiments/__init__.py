"""Experiments: replications, strategy comparison and sweeps (``socsim compare``, ``socsim sweep``).

Model, design and execution stay apart:

* :mod:`~sim.experiments.spec` declares the experiment file; :mod:`~sim.experiments.design`
  turns it into validated scenarios per variant × sweep point (:class:`Design`);
* :mod:`~sim.experiments.executors` decides where runs execute (any
  ``concurrent.futures.Executor``: local process pool, Dask, this process) and
  :mod:`~sim.experiments.worker` is what a worker runs: ``(scenario JSON, seed) → record``;
* :mod:`~sim.experiments.store` records each run as it finishes and resumes;
* :mod:`~sim.experiments.stats`, :mod:`~sim.experiments.tables`, :mod:`~sim.plots.experiments`
  and :mod:`~sim.experiments.report` summarize (paired 95 % intervals) and report.

Examples
--------
>>> from sim.experiments import load_experiment, run_experiment, ExecutionPlan  # doctest: +SKIP
>>> design = load_experiment("experiments/channel_protection.yaml")           # doctest: +SKIP
>>> result = run_experiment(design, plan=ExecutionPlan(workers=2))            # doctest: +SKIP
>>> result.report                                                             # doctest: +SKIP
PosixPath('results/experiments/channel_protection-1a2b3c4d/report.html')
"""

from .design import Design, RunKey, Task, adhoc_design, is_experiment_file, load_experiment
from .executors import ExecutionPlan, InlineExecutor, open_executor
from .runner import ExperimentResult, RunFailedError, execute, run_experiment
from .stats import mean_ci, paired_difference, summarize
from .store import ExperimentChangedError, ResultsStore, StoreBusyError, default_folder
from .worker import RunRecord, run_task

__all__ = [
    "Design", "RunKey", "Task", "load_experiment", "adhoc_design", "is_experiment_file",
    "ExecutionPlan", "InlineExecutor", "open_executor", "execute", "run_experiment", "ExperimentResult",
    "RunFailedError", "mean_ci", "paired_difference", "summarize", "ResultsStore", "ExperimentChangedError",
    "StoreBusyError", "default_folder", "RunRecord", "run_task",
]
