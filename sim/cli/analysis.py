"""``socsim sensitivity``, ``socsim calibrate`` and ``socsim optimise``: thin commands over :mod:`sim.analysis`.

Registered on the ``socsim`` app by :mod:`sim.cli`. Execution
options and the progress bar are those of ``socsim compare``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from .common import BASELINE, DaskLocalOpt, OutOpt, SchedulerOpt, SetOpt, WorkersOpt, reported_errors
from ..errors import SocsimError
from ..terminal import console, err, progress, say, styled

__all__ = ["sensitivity", "calibrate", "optimise"]


def _with_progress(label: str, call):
    """Run ``call(tick)`` under a progress bar; Ctrl-C keeps stored runs."""
    try:
        with progress("runs") as bar:
            task = bar.add_task(label, total=None)
            return call(lambda done, total: bar.update(task, completed=done, total=total))
    except KeyboardInterrupt:
        err.print("interrupted: finished runs are stored; run the same command again to resume")
        raise typer.Exit(130)


def _print_sensitivity(result) -> None:
    morris = result.method == "morris"
    cols = ["rank", "parameter", "μ*", "± 95%", "σ"] if morris else ["rank", "parameter", "S1", "± 95%", "S_T", "± 95%"]
    for out in result.outputs:
        table = Table(title=f"{out.metric}", title_justify="left")
        for i, c in enumerate(cols):
            table.add_column(c, justify="left" if i == 1 else "right", no_wrap=True)
        for rank, e in enumerate(out.effects, 1):
            vals = (e.mu_star, e.mu_star_conf, e.sigma) if morris else (e.s1, e.s1_conf, e.st, e.st_conf)
            table.add_row(str(rank), e.name, *(_num(v, out.metric if morris else "") for v in vals))
        console.print(table)
    if morris:
        console.print("μ*: mean |elementary effect|, in output units per whole range of the parameter (as if linear); "
                      "σ: their spread (interaction or non-linearity). Same seeds at every point (common random numbers).")
    else:
        console.print("S1: share of the output's variance due to the parameter alone; S_T: including its interactions; "
                      "± 95 % bootstrap half-width.")


def _num(v: float, metric: str) -> str:
    """A Morris effect in the output's own units (``¥2.7 M``); a Sobol index (no ``metric``) as a share."""
    from ..experiments.tables import format_human

    if v != v:
        return "–"
    return format_human(metric, v) if metric else f"{v:.3f}"


def sensitivity(
    experiment: Path = typer.Argument(..., help="A sensitivity file, e.g. experiments/sensitivity_levers.yaml."),
    method: Optional[str] = typer.Option(None, "--method", help="morris (screening: μ*, σ) or sobol (S1, S_T with intervals); default: the file's."),
    set_: Optional[List[str]] = SetOpt,
    out: Optional[Path] = OutOpt,
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
    dask_local: Optional[int] = DaskLocalOpt,
    plots: Optional[bool] = typer.Option(None, "--plots/--no-plots", help="Write the μ*–σ chart or Sobol bars (default: the file's outputs.plots)."),
) -> None:
    """Which parameters matter? Morris screening or Sobol indices over named parameter ranges.

    Samples the parameters' ranges (SALib), runs every point on the experiments'
    executors (same seeds at every point: common random numbers), stores each run as it
    finishes (rerun to resume) and prints a ranking per KPI.

    Examples:  socsim sensitivity experiments/sensitivity_levers.yaml
               socsim sensitivity experiments/sensitivity_levers.yaml \\
                   --method sobol --dask-local 2
    """
    from ..analysis.sensitivity import run_sensitivity
    from ..experiments import ExecutionPlan

    with reported_errors():
        plan = ExecutionPlan(workers=workers, scheduler=scheduler, dask_local=dask_local)
        plan.check()
        result = _with_progress("simulating", lambda tick: run_sensitivity(
            experiment, method=method, plan=plan, folder=out, progress=tick, overrides=set_ or (), plots=plots))
    _print_sensitivity(result)
    ev = result.evaluation
    if ev.skipped:
        console.print(f"resumed: {ev.skipped} runs were already stored, {ev.ran} ran now")
    say("results: ", (str(result.folder), "bold"), f" ({', '.join(p.name for p in result.files)}, runs.csv)")


def calibrate(
    scenario: Optional[Path] = typer.Argument(None, help="The scenario to calibrate, e.g. scenarios/baseline.yaml (with --report: default the bundled baseline)."),
    targets: Optional[Path] = typer.Option(None, "--targets", help="Targets file: parameters with bounds, KPI targets, seeds (see scenarios/targets/)."),
    report: bool = typer.Option(False, "--report", help="Fit nothing: measure the scenario as it is against every figure in scenarios/targets/ and say which it meets."),
    reps: int = typer.Option(6, "--reps", help="With --report: replications (seeds seed … seed + reps − 1, paired across the price-rise variants)."),
    set_: Optional[List[str]] = SetOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Calibrated scenario file (default: <scenario>.calibrated.yaml next to it); with --report, the results folder. Never overwritten."),
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
    dask_local: Optional[int] = DaskLocalOpt,
) -> None:
    """Fit parameters so KPIs hit target values, daily series match observed ones from CSV and
    elasticities fall in published ranges (same seeds for every candidate).

    Prints the fitted values, each target against what the fitted scenario achieves
    (mean, 95 % interval and spread over the seeds), each observed series' normalised
    RMSE, the elasticities against their ranges (a targets file with ``elasticity``), and
    writes the calibrated scenario.

    With --report nothing is fitted: the scenario as it is (default: the bundled baseline)
    is measured against every KPI target and elasticity range in scenarios/targets/, each
    with its 95 % interval and whether it is met (targets_report.csv in the results folder).

    Examples:  socsim calibrate scenarios/baseline.yaml \\
                   --targets scenarios/targets/seed_facts.yaml
               socsim calibrate scenarios/baseline.yaml \\
                   --targets scenarios/targets/price_response.yaml
               socsim calibrate --report
    """
    from ..analysis.calibrate import calibrate as fit_targets
    from ..analysis.calibrate import write_calibrated
    from ..experiments import ExecutionPlan
    from ..experiments.tables import format_human

    with reported_errors():
        plan = ExecutionPlan(workers=workers, scheduler=scheduler, dask_local=dask_local)
        plan.check()
        if report and targets is not None:
            raise SocsimError("--report measures against every file in scenarios/targets/; --targets names the file of a fit: "
                              "give one of the two")
        if report:
            return _targets_report(scenario, reps, set_, out, plan)
        if scenario is None or targets is None:
            raise SocsimError("calibrate: give a scenario and --targets FILE (scenarios/targets/…), or --report to measure "
                              "the bundled baseline against every published figure")
        fit = _with_progress("candidates", lambda tick: fit_targets(scenario, targets, plan=plan, progress=tick,
                                                                    overrides=set_ or ()))
        path = write_calibrated(scenario, fit.fitted, out)
    table = Table(title="fitted parameters", title_justify="left")
    for c in ("parameter", "path", "value"):
        table.add_column(c)
    for p, v in fit.fitted.items():
        table.add_row(fit.names[p], p, _lever(v))
    console.print(table)
    table = Table(title="targets vs achieved", title_justify="left")
    for c in ("KPI", "target", "achieved", "95% CI", "min – max over seeds"):
        table.add_column(c, justify="left" if c == "KPI" else "right")
    for t in fit.targets:
        sign = {"equal": "", "at_least": "≥ ", "at_most": "≤ "}[t.kind]
        a = t.achieved
        human = partial(format_human, t.metric)
        table.add_row(t.metric, f"{sign}{human(t.target)}", human(a.mean), f"± {human(a.half_width)}" if a.n > 1 else "–",
                      f"{human(min(t.per_seed))} – {human(max(t.per_seed))}")
    if fit.targets:
        console.print(table)
    if fit.prices:
        console.print(_price_table(fit.prices))
    if fit.series:
        console.print(_series_table(fit.series))
    console.print(f"loss {fit.loss:.4g} after {fit.evaluations} candidates × {fit.runs_per_evaluation} seeds; "
                  f"runs: {fit.folder}" + "".join(f"; {p}" for p in fit.files))
    say("calibrated scenario: ", (str(path), "bold"))


def _targets_report(scenario: Optional[Path], reps: int, overrides: Optional[List[str]], out: Optional[Path], plan) -> None:
    """``socsim calibrate --report``: the scenario as it is against every bundled figure, one row each."""
    import datetime as dt

    from ..analysis.targets_report import report_verdict, targets_report, write_report
    from ..config.loader import load_scenario
    from ..errors import refuse_existing

    path = scenario or BASELINE
    folder = out or Path(load_scenario(path, list(overrides or ())).outputs.dir) / f"targets-{dt.datetime.now():%Y%m%d-%H%M%S}"
    refuse_existing(folder)
    result = _with_progress("measuring", lambda tick: targets_report(path, folder, replications=reps, overrides=overrides or (),
                                                                     plan=plan, progress=tick))
    files = write_report(result)
    say((report_verdict(result), "bold"))
    table = Table(title="published figures vs the scenario as it is", title_justify="left")
    for c in ("figure", "target", "measured (95 % CI)", "met", "from"):
        table.add_column(c, justify="left", overflow="fold")
    for c in result.checks:
        table.add_row(c.figure, c.target, c.measured_text(), styled("yes", "green") if c.met else styled("no", "red"), c.file)
    console.print(table)
    say("not here: word of mouth's and paid media's elasticity ranges (wom_vs_advertising.yaml) need their own paired "
        "runs: socsim check --only wom_vs_advertising")
    say("results: ", (str(folder), "bold"), f" ({', '.join(p.name for p in files)}, elasticity.csv, runs/)")


def _price_table(fits) -> Table:
    """The fitted scenario's elasticities (mean and 95 % interval over the seeds) beside their published ranges."""
    marketing = any(f.measure in ("word_of_mouth", "paid_media") for f in fits)
    title = ("word of mouth and paid media vs published ranges (paired runs: sharing, paid budgets raised)" if marketing
             else "price response vs published ranges (paired price-rise runs)")
    table = Table(title=title, title_justify="left")
    for c in ("measure", "published range", "achieved", "95% CI"):
        table.add_column(c, justify="left" if c == "measure" else "right")
    for f in fits:
        share = f.measure == "diversion"
        show = (lambda x: f"{x:.0%}".replace("-", "−")) if share else (lambda x: f"{x:+.2f}".replace("-", "−"))
        wanted = f"≥ {f.bound.low:.0%}" if share and f.bound.high is None else f.bound.describe()
        typical = f" (typical {show(f.bound.typical)})" if f.bound.typical is not None else ""
        table.add_row(f.label, wanted + typical, show(f.achieved.mean),
                      f"{show(f.achieved.low)} to {show(f.achieved.high)}" if f.achieved.n > 1 else "–")
    return table


def _series_table(fits) -> Table:
    # two-line cells and headers: the table fits an 80-column terminal
    table = Table(title="observed daily series vs the calibrated scenario", title_justify="left")
    for c in ("series\n(CSV column)", "days", "observed\nmean/day", "simulated\nmean/day", "NRMSE", "NRMSE\nper seed"):
        table.add_column(c, justify="left" if c.startswith("series") else "right", no_wrap=True)
    for s in fits:
        table.add_row(f"{s.series}\n({s.column})", str(s.days), f"{s.observed_mean:,.0f}", f"{s.simulated_mean.mean:,.0f}",
                      f"{s.nrmse:.3f}", f"{min(s.nrmse_per_seed):.3f}–{max(s.nrmse_per_seed):.3f}")
    return table


def optimise(
    experiment: Path = typer.Argument(..., help="An optimisation file, e.g. experiments/optimise_levers.yaml."),
    set_: Optional[List[str]] = SetOpt,
    workers: Optional[int] = WorkersOpt,
    scheduler: Optional[str] = SchedulerOpt,
    dask_local: Optional[int] = DaskLocalOpt,
) -> None:
    """Search strategy levers for the best expected KPI under constraints.

    Every categorical choice is searched with a derivative-free optimiser over the
    continuous levers (same seeds for every candidate); the best strategy is rerun with
    more seeds and compared with the baseline pair by pair (95 % interval).

    Example:  socsim optimise experiments/optimise_levers.yaml
    """
    from ..analysis.optimise import load_optimise
    from ..analysis.optimise import optimise as search
    from ..experiments import ExecutionPlan
    from ..experiments.tables import format_human

    with reported_errors():
        plan = ExecutionPlan(workers=workers, scheduler=scheduler, dask_local=dask_local)
        plan.check()
        spec = load_optimise(experiment)
        result = _with_progress("candidates", lambda tick: search(experiment, plan=plan, progress=tick, overrides=set_ or ()))
    table = Table(title=f"best per choice ({spec.objective.sense} {spec.objective.metric})", title_justify="left")
    table.add_column("levers")
    table.add_column(spec.objective.metric, justify="right")
    table.add_column("feasible")
    for s in result.per_choice:
        mark = " ← best" if s is result.best else ""
        table.add_row(_levers(s.levers), format_human(spec.objective.metric, s.objective), ("yes" if s.feasible else "no") + mark)
    say((_optimise_verdict(result, spec.objective.metric, spec.final_replications), "bold"))
    console.print(table)
    for metric, value in result.constraints_final:
        console.print(f"  {metric}: {format_human(metric, value)} (mean of the best strategy)")
    console.print(f"{result.evaluations} candidates searched; runs: {spec.outputs.dir}/optimise-{spec.name}"
                  + "".join(f"; {p}" for p in result.files))


def _optimise_verdict(result, metric: str, seeds: int) -> str:
    """``Verdict: paid budget=12,000, … beats the baseline on contribution · focal by +¥3.1 M (…), significant (…)``."""
    from ..experiments.verdict import difference_text, mean_ci_text, short_label

    d = result.vs_baseline
    return (f"Verdict: the best strategy ({_levers(result.best.levers)}) vs the baseline on {short_label(metric)}: "
            f"{difference_text(metric, d)} over {seeds} paired seeds; best {mean_ci_text(metric, result.best_value)}, "
            f"baseline {mean_ci_text(metric, result.baseline_value)}.")


def _levers(levers: dict) -> str:
    return ", ".join(f"{k.split('.')[-1]}={_lever(v)}" for k, v in levers.items())


def _lever(v) -> str:
    """A lever's value: whole numbers with separators from 10,000 up (never 2e+07), else 4 significant digits."""
    if not isinstance(v, float):
        return str(v)
    return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:,.4g}"


COMMANDS = (sensitivity, calibrate, optimise,)
