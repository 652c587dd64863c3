"""Run a design: submit the runs not yet stored to an executor, store each as it finishes.

:func:`execute` is the whole execution seam: it knows only ``executor.submit`` and
``concurrent.futures.as_completed``. :func:`run_experiment` ties design, store, executor,
statistics and report together for the ``compare`` and ``sweep`` commands.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from sim.errors import SocsimError
from sim.files import strict_json

from .design import Design
from .executors import ExecutionPlan, open_executor
from .stats import KpiSummary, summarize
from .store import ResultsStore, atomic_write
from .worker import run_task

__all__ = ["execute", "run_experiment", "run_pending", "ExperimentResult", "RunFailedError", "Progress", "Job"]

#: ``progress(finished, total)``: called once before the first run and after each run.
Progress = Callable[[int, int], None]


class RunFailedError(SocsimError):
    """A run raised; the runs stored before it are kept."""


class Job(Protocol):
    """What :func:`execute` runs: anything picklable that names itself and its seed."""

    seed: int

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class ExperimentResult:
    """What :func:`run_experiment` did and produced.

    Attributes
    ----------
    design : Design
    folder : Path
    ran, skipped : int
        Runs simulated now, and runs found already stored (resumed).
    summary : list of KpiSummary
        Every metric × variant × point.
    files : list of Path
        Tables, plots and report written.
    report : Path or None
        ``report.html``, if written.
    seconds : float
        Wall-clock time of the runs made now (0 when every run was stored).
    executor : str
        Where the runs executed.
    simulation_seconds : float
        Seconds the runs shown took to simulate, summed, whenever they ran (the same on a rerun).
    """

    design: Design
    folder: Path
    ran: int
    skipped: int
    summary: list[KpiSummary]
    files: list[Path]
    report: Path | None
    seconds: float
    executor: str
    simulation_seconds: float = 0.0


def execute(tasks: Sequence[Job], executor: Executor, on_record: Callable[[Any], None],
            window: int | None = None, run: Callable[[Any], Any] = run_task) -> int:
    """Run ``tasks`` on ``executor``; call ``on_record`` for each as soon as it finishes.

    Parameters
    ----------
    tasks : sequence of Job
        Experiment tasks (:class:`~sim.experiments.design.Task`), or any job ``run`` takes.
    executor : concurrent.futures.Executor
        Any executor; ``run`` and the tasks must be picklable for it (they are).
    on_record : callable
        Called in this process with ``run(task)``, in completion order (store the run here).
    window : int, optional
        Most runs submitted and not yet recorded (default: all at once). A small window
        keeps an executor that runs each call inside ``submit`` (:class:`InlineExecutor`)
        recording run by run; a pool needs a few more than its workers to stay busy.
    run : callable, default :func:`~sim.experiments.worker.run_task`
        What a worker does with a task (a module-level function, so it pickles).

    Returns
    -------
    int
        Runs finished.

    Raises
    ------
    RunFailedError
        The first run that raised, with its key; runs not started are cancelled.
    """
    queue = iter(tasks)
    pending: dict[Future, Job] = {}
    finished = 0
    try:
        _fill(executor, run, queue, pending, window or len(tasks))
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                on_record(_result(future, pending.pop(future)))
                finished += 1
            _fill(executor, run, queue, pending, window or len(tasks))
    finally:
        for future in pending:
            future.cancel()
    return finished


def _fill(executor: Executor, run: Callable[[Any], Any], queue: Iterator[Job], pending: dict[Future, Job],
          window: int) -> None:
    while len(pending) < window:
        task = next(queue, None)
        if task is None:
            return
        pending[executor.submit(run, task)] = task


def _result(future: Future, task: Job) -> Any:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise RunFailedError(f"a worker process died while running {task.label}: killed, out of memory, or a "
                             "script that starts experiments without 'if __name__ == \"__main__\":'") from exc
    except Exception as exc:  # noqa: BLE001 - any failure on a worker names the run
        raise RunFailedError(f"run {task.label} (seed {task.seed}) failed: {type(exc).__name__}: {exc}") from exc


def run_experiment(
    design: Design, *, folder: Path | None = None, plan: ExecutionPlan = ExecutionPlan(),
    progress: Progress | None = None, report: bool | None = None,
) -> ExperimentResult:
    """Run every replication of ``design`` not yet stored, then summarize and report.

    Parameters
    ----------
    design : Design
        From :func:`sim.experiments.load_experiment` or :func:`~sim.experiments.adhoc_design`.
    folder : Path, optional
        Results folder (default: :func:`~sim.experiments.store.default_folder`).
    plan : ExecutionPlan, default local pool on all cores
    progress : callable, optional
        ``progress(finished, total)``, finished counting resumed runs.
    report : bool, optional
        Write plots and report.html (default: the experiment's ``outputs.report``).

    Raises
    ------
    ExperimentChangedError
        ``folder`` holds runs of a different design.
    RunFailedError
        A run failed (stored runs are kept; rerun to resume).
    """
    plan.check()
    with ResultsStore.open(design, folder) as store:
        start = time.perf_counter()
        ran, skipped = run_pending(design, store, plan, progress)
        seconds = time.perf_counter() - start
        where = plan.describe(ran) if ran else "nothing to run (every run was stored already)"
        return _finish(design, store, where, ran, skipped, seconds, report)


def run_pending(design: Design, store: ResultsStore, plan: ExecutionPlan, progress: Progress | None = None,
                executor: Executor | None = None) -> tuple[int, int]:
    """Run the replications of ``design`` not yet in ``store``, recording each as it finishes.

    Runs on ``executor`` if given (its owner closes it; an analysis keeps one pool for a
    whole search), else on a new executor of ``plan``, opened only if there is work.
    ``progress(finished, total)`` counts stored runs as finished. Returns (ran now, found stored).
    """
    tasks = design.tasks()
    done = store.done()
    todo = [t for t in tasks if t.key not in done]
    tick = progress or (lambda _done, _total: None)
    finished = itertools.count(len(tasks) - len(todo))
    tick(next(finished), len(tasks))
    if todo:
        with nullcontext(executor) if executor is not None else open_executor(plan, len(todo)) as pool:
            execute(todo, pool, lambda record: (store.record(record), tick(next(finished), len(tasks))),
                    window=plan.window(len(todo)))
    return len(todo), len(tasks) - len(todo)


def _finish(design: Design, store: ResultsStore, where: str, ran: int, skipped: int, seconds: float,
            report: bool | None) -> ExperimentResult:
    from .report import write_report
    from .tables import write_summary_csv

    runs = store.current()
    summary = summarize(design, {r.key: r.kpis for r in runs})
    files = [*store.write_tables(), write_summary_csv(store.folder / "summary.csv", design, summary)]
    page = None
    simulated = sum(r.seconds for r in runs)
    made = _made(store.folder, where, ran, seconds)  # recorded also without a report: a later one shows it
    if design.report if report is None else report:
        facts = {**made, "runs": len(runs), "ran now": ran, "resumed": skipped, "simulation seconds": round(simulated, 1)}
        page, plots = write_report(store, summary, facts)
        files += [*plots, page]
    return ExperimentResult(design, store.folder, ran, skipped, summary, files, page, seconds, where, simulated)


#: How the stored runs were made (executor, wall time), kept for a report rebuilt from them later.
MADE = "made.json"


def _made(folder: Path, where: str, ran: int, seconds: float) -> dict[str, object]:
    """Executor and wall seconds of the call that ran the runs: this one if it ran any, else the last one that did.

    A rerun that finds every run stored rebuilds the report without claiming "nothing to
    run, 0.0 s": it shows how the runs were made and says the report was rebuilt.
    """
    path = folder / MADE
    if ran:
        made = {"executor": where, "wall seconds": round(seconds, 1), "ran": ran,
                "finished": dt.datetime.now().isoformat(timespec="seconds")}
        atomic_write(path, lambda p: p.write_text(strict_json(made), encoding="utf-8"))
        return {"executor": where, "wall seconds": made["wall seconds"]}
    try:
        made = json.loads(path.read_text(encoding="utf-8"))
        return {"executor": made["executor"], "wall seconds": made["wall seconds"],
                "report": f"rebuilt from the stored runs (last run {made['finished']})"}
    except (OSError, ValueError, KeyError, TypeError):
        return {"report": "rebuilt from stored runs; how they were made was not recorded"}

