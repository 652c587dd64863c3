"""``socsim compare`` and ``socsim sweep``: thin commands over :mod:`sim.experiments`.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, get_type_hints

import typer
from rich.table import Table

from .common import RUN_WORDS, DaskLocalOpt, OutOpt, SchedulerOpt, SetOpt, WorkersOpt, count, reported_errors, run_progress
from ..errors import SocsimError
from ..files import writable_folder
from ..terminal import console, err, say

if TYPE_CHECKING:  # pragma: no cover
    from ..experiments.design import Design

__all__ = ["COMMANDS", "compare", "sweep", "design_shape", "run_design", "RunChoices",
           "run_options"]


def _option(option: typer.models.OptionInfo):
    """A :class:`RunChoices` field that the command line sets through ``option``."""
    return field(metadata={"option": option})


@dataclass(frozen=True)
class RunChoices:
    """What compare and sweep are told on the command line besides their files: each
    field is an option, declared here once (in --help order), added by :func:`run_options`."""

    reps: Optional[int] = _option(typer.Option(None, "--reps", min=1, help="Replications per variant and point (default: the experiment's; 10 for scenario files)."))
    seed: Optional[int] = _option(typer.Option(None, "--seed", min=0, help="Seed of replication 0; replication r uses seed + r in every variant (default: the experiment's, else the scenario's)."))
    set_: Optional[List[str]] = _option(SetOpt)
    out: Optional[Path] = _option(OutOpt)
    workers: Optional[int] = _option(WorkersOpt)
    scheduler: Optional[str] = _option(SchedulerOpt)
    dask_local: Optional[int] = _option(DaskLocalOpt)
    report: Optional[bool] = _option(typer.Option(None, "--report/--no-report", help="Write plots and report.html (default: the experiment's outputs.report)."))
    check: bool = _option(typer.Option(False, "--check", help="Only check the files and show what would run (variants, points, runs, folder); run nothing."))


def run_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command(..., choices: RunChoices)`` as a Typer command that takes the options of
    :class:`RunChoices` after its own parameters and hands them over as ``choices``."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "choices"]
    kinds = get_type_hints(RunChoices)
    shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.metadata["option"], annotation=kinds[f.name])
              for f in fields(RunChoices)]

    @functools.wraps(command)
    def with_options(*args, **kwargs) -> None:
        choices = RunChoices(**{p.name: kwargs.pop(p.name) for p in shared})
        return command(*args, choices=choices, **kwargs)

    with_options.__signature__ = inspect.Signature([*own, *shared], return_annotation=None)
    with_options.__annotations__ = {p.name: p.annotation for p in (*own, *shared)}
    return with_options


def _design(files: List[Path], reps: Optional[int], seed: Optional[int], overrides: Optional[List[str]], sweep: bool):
    from ..experiments import adhoc_design, is_experiment_file, load_experiment

    kinds = [is_experiment_file(f) for f in files]
    command = "sweep" if sweep else "compare"
    if any(kinds):
        if len(files) > 1:
            raise SocsimError(f"{command}: give one experiment file, or two or more scenario files (got {len(files)} files, "
                              f"experiments among them: {', '.join(str(f) for f, k in zip(files, kinds) if k)})")
        design = load_experiment(files[0], overrides=overrides or (), replications=reps, seed=seed)
    elif sweep:
        raise SocsimError(f"{files[0]}: a scenario file; socsim sweep needs an experiment file with a 'sweep' section "
                          "(see experiments/budget_mix.yaml)")
    elif len(files) < 2:
        raise SocsimError(f"{files[0]}: a scenario file; compare two or more (socsim compare a.yaml b.yaml), "
                          "or give an experiment file (see experiments/channel_protection.yaml)")
    else:
        design = adhoc_design(files, replications=reps or 10, seed=seed, overrides=overrides or ())
    if design.is_sweep and not sweep:
        raise SocsimError(f"{files[0]}: has a 'sweep' section; run it with: socsim sweep {files[0]}")
    if sweep and not design.is_sweep:
        raise SocsimError(f"{files[0]}: has no 'sweep' section; compare its variants with: socsim compare {files[0]}")
    return design


def run_design(design: "Design", out: Optional[Path], workers: Optional[int], scheduler: Optional[str],
               dask_local: Optional[int], report: Optional[bool], lang: str = "en"):
    """Run an experiment design with a progress bar, resuming ``out`` (default: the design's folder); returns its result.

    ``lang`` (en or zh) is the language of the lines printed (:data:`RUN_WORDS`).
    """
    from ..experiments import ExecutionPlan, default_folder, run_experiment
    from ..experiments.store import earlier_versions

    words = RUN_WORDS[lang]
    plan = ExecutionPlan(workers=workers, scheduler=scheduler, dask_local=dask_local)
    plan.check()
    _largest_run(design)
    folder = writable_folder(out or default_folder(design))  # a file in the way or a read-only disk: said now
    runs = len(design.cells) * design.replications
    say((design.name, "bold"), words["header"].format(shape=_design_runs(design, lang), where=plan.describe(runs, lang),
                                                      folder=folder))
    if out is None:
        for old in earlier_versions(design):
            console.print(words["earlier"].format(old=old))
    try:
        with run_progress(words["simulating"], words["runs"]) as tick:
            result = run_experiment(design, folder=folder, plan=plan, progress=tick, report=report)
    except KeyboardInterrupt:
        err.print(words["interrupted"].format(folder=folder))
        raise typer.Exit(130)
    if result.skipped:
        console.print(words["resumed"].format(skipped=result.skipped, ran=result.ran))
    return result


def design_shape(design: "Design", lang: str = "en") -> str:
    """``4 variants``, or ``1 variant × 15 points`` for a sweep (``4 个方案`` in zh)."""
    if lang == "zh":
        return f"{len(design.variants)} 个方案" + (f" × {len(design.points)} 个取值点" if design.is_sweep else "")
    points = f" × {count(len(design.points), 'point')}" if design.is_sweep else ""
    return count(len(design.variants), "variant") + points


def _design_runs(design: "Design", lang: str = "en") -> str:
    """``4 variants × 10 replications = 40 runs`` (``4 个方案 × 10 次重复 = 40 次运行`` in zh)."""
    runs = len(design.cells) * design.replications
    if lang == "zh":
        return f"{design_shape(design, lang)} × {design.replications} 次重复 = {runs} 次运行"
    return f"{design_shape(design)} × {count(design.replications, 'replication')} = {count(runs, 'run')}"


def _print_compare(result) -> None:
    from ..experiments.tables import COMPACT_HEADER, compare_rows, metric_label
    from ..experiments.verdict import compare_verdict

    design = result.design
    say((compare_verdict(design, result.summary), "bold"))
    for metric in design.metrics:
        table = Table(title=f"{metric_label(metric)}  ({metric})", title_justify="left", pad_edge=False)
        for i, h in enumerate(COMPACT_HEADER):  # numbers never wrap; a long variant name folds
            table.add_column(h, justify="left" if i == 0 else "right", no_wrap=i > 0, overflow="fold")
        for row in compare_rows(design, result.summary, metric, compact=True):
            table.add_row(*row)
        console.print(table)
    _print_brands(result)
    say(f"{design.replications} replications per variant. Δ: paired difference to ", (design.variants[0].name, "bold"),
        " (same seeds); CI: 95 % confidence interval (Student's t) as ± half-width; p: paired t-test.")


def _print_brands(result) -> None:
    """Every brand of the market, rivals included: contribution and order share per variant."""
    from ..experiments.tables import BRAND_HEADER, brand_rows

    table = Table(title="Every brand: contribution and order share", title_justify="left", pad_edge=False)
    for i, h in enumerate(BRAND_HEADER):
        table.add_column(h, justify="left" if i < 2 else "right", no_wrap=i != 1, overflow="fold")
    for row in brand_rows(result.design, result.summary):
        table.add_row(*row)
    console.print(table)


def _print_sweep(result) -> None:
    from ..experiments.tables import metric_label, sweep_metric_rows
    from ..experiments.verdict import sweep_verdict

    design = result.design
    say((sweep_verdict(design, result.summary), "bold"))
    for metric in design.metrics:
        header, rows = sweep_metric_rows(design, result.summary, metric)
        table = Table(title=f"{metric_label(metric)}  ({metric})", title_justify="left", pad_edge=False)
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i == 0 else "right", no_wrap=i > 0)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    console.print(f"{design.replications} replications per point (mean ± 95 % confidence interval half-width); "
                  "every point, every KPI: summary.csv and report.html")


def _largest_run(design: "Design"):
    """The memory estimate of the design's largest run, checked against this machine (ResourceError if it cannot fit)."""
    from ..resources import check_memory, run_memory

    largest = max(design.cells, key=lambda cell: run_memory(cell.scenario).total)
    return check_memory(largest.scenario, f"the largest run ({largest.variant}, point {largest.point})")


def _print_check(design) -> None:
    from ..experiments import default_folder
    from ..resources import available_memory, run_seconds

    need = _largest_run(design)
    hours = design.replications * sum(run_seconds(cell.scenario) for cell in design.cells) / 3600
    say(("ok", "green"), f" {design.source}: {_design_runs(design)}, seeds {design.seed}"
                         f"–{design.seed_of(design.replications - 1)}; results would go to {default_folder(design)}")
    for v in design.variants:
        say(f"  {v.name}: {'; '.join(v.changes) or '(the base scenario)'}")
    say(f"  metrics: {', '.join(design.metrics)}")
    say(f"  memory: {need.describe()} per run at most, per worker; {available_memory() / 2**30:.1f} GiB available")
    say(f"  time: roughly {hours:,.2g} CPU-hours in all (divide by the workers; a rough guide, within a factor of two)")


def _design_and_run(files: List[Path], choices: RunChoices, sweep: bool) -> None:
    """The body of compare and sweep: build the design, then check it or run it and print the tables."""
    c = choices
    with reported_errors():
        design = _design(files, c.reps, c.seed, c.set_, sweep=sweep)
        if c.check:
            return _print_check(design)
        result = run_design(design, c.out, c.workers, c.scheduler, c.dask_local, c.report)
    (_print_sweep if sweep else _print_compare)(result)
    _print_files(result)


def _print_files(result) -> None:
    say("results: ", (str(result.folder), "bold"), " (summary.csv, runs.csv, kpis.parquet, daily.parquet)")
    if result.report is not None:
        say("report: ", (str(result.report), "bold"))


@run_options
def compare(
    files: List[Path] = typer.Argument(..., help="An experiment file (experiments/*.yaml), or two or more scenario files."),
    *, choices: RunChoices,
) -> None:
    """Compare strategies over replications: which earns more, and is the difference real?

    Every variant runs the same replications with the same seeds (common random numbers),
    so differences to the first variant are paired. Prints, per KPI, each variant's mean
    with its 95 % confidence interval and the paired difference with its interval; writes
    per-run KPIs and daily series (Parquet, CSV), plots and a self-contained report.html.

    Examples:  socsim compare experiments/channel_protection.yaml
               socsim compare a.yaml b.yaml --reps 20
               socsim compare experiments/channel_protection.yaml --dask-local 2
    """
    _design_and_run(files, choices, sweep=False)


@run_options
def sweep(
    experiment: Path = typer.Argument(..., help="An experiment file with a 'sweep' section, e.g. experiments/budget_mix.yaml."),
    *, choices: RunChoices,
) -> None:
    """Sweep one or two parameters (or a list of points) over replications.

    Prints the table of all points (mean ± 95 % CI half-width per KPI); plots lines with
    confidence bands for one parameter, heatmaps for two; writes the same files as compare.

    Example:  socsim sweep experiments/budget_mix.yaml
    """
    _design_and_run([experiment], choices, sweep=True)


COMMANDS = (compare, sweep)
