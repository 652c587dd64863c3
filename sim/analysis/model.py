"""The model as a function of parameter values, evaluated on an executor.

Sensitivity analysis, calibration and optimisation all need the same thing: for a matrix
``X`` (one row per parameter point) the KPIs ``Y`` (one row per point, one column per
output). :func:`evaluate` computes it for either

* a plain picklable function ``f(x) -> float or sequence of floats`` (used by the tests
  with known answers, e.g. the Ishigami function), submitted row by row to the
  executor; or
* a :class:`ScenarioModel`: a base scenario, the parameters' dotted paths and the KPIs.
  The points become the sweep points of an experiment design
  (:func:`sim.experiments.design.build_design`), run as ``socsim compare`` runs one —
  the same executors (local pool, Dask, this process), the same run function and the
  same resumable results store; replication r of every point uses seed + r (common
  random numbers), and ``Y`` is the mean over replications. A search passes one open
  executor to every call, so a worker pool starts once, not once per candidate.

Model, design and execution stay separate (EMA Workbench): this module knows neither
which sampler made ``X`` nor where runs execute.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from sim.config.loader import read_document, read_text
from sim.errors import SocsimError
from sim.experiments.design import Design, build_design
from sim.experiments.executors import ExecutionPlan, open_executor
from sim.experiments.runner import Progress, run_pending
from sim.experiments.store import ResultsStore, default_folder

from .spec import Parameter

__all__ = ["ScenarioModel", "evaluate", "Evaluation", "bounds_of"]


@dataclass(frozen=True)
class Evaluation:
    """``Y`` for ``X``, and what ran.

    Attributes
    ----------
    Y : ndarray, shape (points, outputs)
        Mean over replications of each output at each point.
    per_rep : ndarray or None, shape (points, replications, outputs)
        Each replication's value (scenario models only).
    daily : ndarray or None, shape (points, replications, series, days)
        Each replication's daily series, if the scenario model names any.
    folder : Path or None
        Results folder of the runs (scenario models only).
    ran, skipped : int
        Runs (or function calls) done now, and runs found stored (resumed).
    """

    Y: np.ndarray
    per_rep: np.ndarray | None
    folder: Path | None
    ran: int
    skipped: int
    daily: np.ndarray | None = None


@dataclass(frozen=True)
class ScenarioModel:
    """A scenario seen as a function of some of its fields.

    Attributes
    ----------
    source : str or os.PathLike
        The analysis file; ``base`` and ``set`` are resolved against it, and its lines
        name problems.
    name : str
        Names the results folder.
    base : str
        Base scenario file (relative to ``source``).
    settings : Any
        Changes made to the base first (``set`` of an experiment file).
    parameters : tuple of Parameter
    metrics : tuple of str
        Outputs, ``brand.kpi``.
    replications : int
    seed : int or None
        Seed of replication 0 (default: the scenario's ``simulation.seed``).
    out_dir : str
    overrides : tuple of str
        ``--set`` changes made last.
    series : tuple of str
        Daily series read back from each run (``brand.series``, e.g. ``focal.tmall.orders``).
    """

    source: str | os.PathLike[str]
    name: str
    base: str
    settings: Any
    parameters: tuple[Parameter, ...]
    metrics: tuple[str, ...]
    replications: int = 1
    seed: int | None = None
    out_dir: str = "results/analysis"
    overrides: tuple[str, ...] = ()
    series: tuple[str, ...] = ()

    def design(self, X: np.ndarray, fixed: dict[str, Any] | None = None) -> Design:
        """The experiment design with one sweep point per row of ``X``.

        ``fixed`` adds changes (path → value) at every point, e.g. a categorical lever.

        Raises
        ------
        ScenarioError
            A path that names no field, a value the scenario refuses, an unknown metric.
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != len(self.parameters):
            raise SocsimError(f"X has {X.shape[1]} columns; {len(self.parameters)} parameters")
        points = [{"label": f"x{i:05d}", "set": {**(fixed or {}), **{p.path: p.value(v) for p, v in zip(self.parameters, row)}}}
                  for i, row in enumerate(X)]
        data = {"name": self.name, "base": self.base, "set": self.settings, "sweep": {"points": points},
                "replications": self.replications, "seed": self.seed, "metrics": list(self.metrics),
                "outputs": {"dir": self.out_dir, "report": False}}
        origin = read_document(Path(self.source), file=str(self.source))
        return build_design(data, origin, read_text(Path(self.source)), self.overrides)


def evaluate(model: ScenarioModel | Callable[[np.ndarray], Any], X: np.ndarray, *, plan: ExecutionPlan = ExecutionPlan(),
             folder: Path | None = None, progress: Progress | None = None, fixed: dict[str, Any] | None = None,
             executor: Executor | None = None) -> Evaluation:
    """Evaluate ``model`` at every row of ``X`` on the executor of ``plan``.

    Parameters
    ----------
    model : ScenarioModel or callable
        A scenario model, or a picklable function of one row returning a number or a
        sequence of numbers (one per output).
    X : ndarray, shape (points, parameters)
    plan : ExecutionPlan, default local pool on all cores
    folder : Path, optional
        Results folder of a scenario model (default: ``<out_dir>/<name>-<digest8>``);
        rerunning the same points there resumes.
    progress : callable, optional
        ``progress(finished, total)``.
    fixed : dict, optional
        Changes made at every point of a scenario model.
    executor : Executor, optional
        An executor already open (:func:`sim.experiments.executors.open_executor` of
        ``plan``), kept open by the caller: a search evaluating point after point
        reuses one worker pool instead of starting one per point. Default: one opened
        for this call.

    Returns
    -------
    Evaluation

    Raises
    ------
    SocsimError
        A run failed, or an output is not a finite number.
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    runs = len(X) * (model.replications if isinstance(model, ScenarioModel) else 1)
    with nullcontext(executor) if executor is not None else open_executor(plan, runs) as ex:  # a given one, its owner closes
        if isinstance(model, ScenarioModel):
            return _evaluate_scenarios(model, X, plan, ex, folder, progress, fixed)
        return _evaluate_function(model, X, plan, ex, progress)


def _evaluate_function(fn: Callable[[np.ndarray], Any], X: np.ndarray, plan: ExecutionPlan, executor: Executor,
                       progress: Progress | None) -> Evaluation:
    tick = progress or (lambda _d, _t: None)
    out: list[Any] = [None] * len(X)
    window = plan.window(len(X)) or len(X)
    pending: dict = {}
    rows = iter(range(len(X)))
    done = 0
    while True:
        while len(pending) < window and (i := next(rows, None)) is not None:
            pending[executor.submit(fn, X[i])] = i
        if not pending:
            break
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            out[pending.pop(future)] = future.result()
            done += 1
            tick(done, len(X))
    Y = np.array([np.atleast_1d(np.asarray(v, dtype=float)) for v in out])
    return Evaluation(Y, None, None, len(X), 0)


def _evaluate_scenarios(model: ScenarioModel, X: np.ndarray, plan: ExecutionPlan, executor: Executor, folder: Path | None,
                        progress: Progress | None, fixed: dict[str, Any] | None) -> Evaluation:
    design = model.design(X, fixed)
    with ResultsStore.open(design, folder or default_folder(design)) as store:
        ran, skipped = run_pending(design, store, plan, progress, executor)
        store.write_tables()  # runs.csv, kpis.parquet, daily.parquet, as an experiment's folder has them
        per_rep, daily = _per_rep(design, store, model.series)
    bad = [m for j, m in enumerate(design.metrics) if not np.isfinite(per_rep[..., j]).all()]
    if bad:
        raise SocsimError(f"{bad[0]}: not a number in some runs (e.g. ROI without spend); choose another KPI")
    return Evaluation(per_rep.mean(axis=1), per_rep, store.folder, ran, skipped, daily if model.series else None)


def _per_rep(design: Design, store: ResultsStore, series: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(points, replications, metrics) KPIs and (points, replications, series, days) daily series from the store."""
    values = np.full((len(design.points), design.replications, len(design.metrics)), np.nan)
    days = design.cells[0].scenario.simulation.days
    daily = np.full((len(design.points), design.replications, len(series), days), np.nan)
    for run in store.current():
        values[run.key.point, run.key.rep] = [run.kpis.get(m, np.nan) for m in design.metrics]
        if series:
            columns = store.daily(run.key, series)
            daily[run.key.point, run.key.rep] = [columns.get(s, np.full(days, np.nan)) for s in series]
    return values, daily


def bounds_of(parameters: Sequence[Parameter]) -> np.ndarray:
    """``[[low, high], …]`` of the parameters."""
    return np.array([[p.low, p.high] for p in parameters], dtype=float)
