"""``socsim lift``: what each marketing source adds, next to what last touch credits it. A thin
command over :mod:`sim.experiments.lift`.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table
from rich.text import Text

from .common import (BASELINE, FirstSeedOpt, PopulationOpt, RunDaysOpt, ScenarioArg, SetOpt, WorkersOpt, load_cli_scenario,
                     reported_errors, run_progress, size_overrides)
from ..errors import SocsimError
from ..terminal import console, say

__all__ = ["lift"]


def lift(
    scenario: Optional[Path] = ScenarioArg,
    brand: Optional[str] = typer.Option(None, "--brand", help="The brand whose sources are switched off (default: the first)."),
    reps: int = typer.Option(8, "--reps", help="Replications per variant; replication r uses seed + r in every variant (paired)."),
    population: Optional[int] = PopulationOpt,
    days: Optional[int] = RunDaysOpt,
    seed: Optional[int] = FirstSeedOpt,
    workers: Optional[int] = WorkersOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Results folder (default: <outputs.dir>/lift_<name>-<digest>). Rerunning the same command resumes it."),
    set_: Optional[List[str]] = SetOpt,
) -> None:
    """Measure what each marketing source really adds (incrementality), beside last-touch attribution.

    Runs the scenario as it is and, on the same seeds (common random numbers), once with each
    source of the brand switched off — paid media per channel, search ads, head and waist
    KOLs, KOCs, owned content, official-account pushes, WeCom touches, group leaders, referral
    commissions, word of mouth — and once with every source off (the organic base). Prints, per
    source, its incremental orders, revenue and profit (all on − source off, with 95 %
    intervals), incremental spend and iROAS (incremental revenue per incremental ¥), beside the
    orders last-touch attribution credits to it. Writes lift.csv, lift.json, lift.png and the
    experiment's report.html and runs.

    Examples:  socsim lift
               socsim lift --reps 4 --population 4000 --days 180
               socsim lift my_market.yaml --brand focal --reps 12
    """
    from ..experiments import ExecutionPlan, default_folder, run_experiment
    from ..experiments.lift import lift_design, lift_rows, write_lift
    from ..plots.experiments import lift_chart
    from ..experiments.store import ResultsStore

    with reported_errors():
        if reps < 2:
            raise SocsimError(f"--reps: got {reps}; give at least 2 replications (an interval needs two pairs)")
        changes = size_overrides(set_, population, days)
        sc = load_cli_scenario(scenario, changes)
        design, sources = lift_design(sc, scenario or BASELINE, brand, reps, sc.simulation.seed if seed is None else seed,
                                      changes)
        folder = out or default_folder(design)
        plan = ExecutionPlan(workers=workers)
        runs = len(design.cells) * reps
        say((f"lift of {sc.name}", "bold"), f": {len(sources)} sources + all on + organic = {len(design.cells)} variants × "
            f"{reps} replications = {runs} runs ({plan.describe(runs)}); results: {folder}")
        with run_progress() as tick:
            done = run_experiment(design, folder=folder, plan=plan, progress=tick)
        with ResultsStore.open(design, done.folder) as store:
            kpis = {(r.key.variant, r.key.rep): r.kpis for r in store.current()}
        name = brand or sc.brands[0].name
        result = lift_rows(design, sources, kpis, name)
        files = write_lift(result, done.folder)
        files.append(lift_chart(result, done.folder / "lift.png", f"{sc.name} · {reps} paired replications"))
    _print_lift(result, reps)
    say("results: ", (str(done.folder), "bold"), f" ({', '.join(p.name for p in files)}, report.html, runs)")


def _print_lift(result, reps: int) -> None:
    from ..experiments.lift import lift_verdict

    say((lift_verdict(result), "bold"))
    table = Table(title=f"{result.brand}: incremental vs last touch, {reps} paired replications", title_justify="left")
    for name in ("source", "last touch", "Δ orders (95 % CI)", "Δ revenue", "Δ contribution", "iROAS"):
        table.add_column(name, justify="left" if name == "source" else "right")
    for r in result.rows:
        table.add_row(Text.assemble(r.key, (f" {r.touch}", "dim")), _n(r.last_touch_orders),
                      f"{_n(r.orders.mean, True)}\n({_n(r.orders.low, True)} to {_n(r.orders.high, True)})",
                      _yuan(r.revenue.mean), _yuan(r.contribution.mean), "–" if math.isnan(r.iroas) else f"{r.iroas:.2f}")
    console.print(table)
    say(f"all sources on: {_n(result.total_orders.mean)} orders; organic base (every source off): "
        f"{_n(result.organic_orders.mean)} ({result.organic_orders.mean / result.total_orders.mean:.0%}); "
        f"what the sources do together beyond their separate lifts: {_n(result.interaction, True)}.")
    say("Last touch: orders whose buyer's latest effective exposure came from the source's class (dim; shared by "
        "the sources of a class). Δ: all on − source off on the same seeds. iROAS: Δ revenue / Δ marketing spend. "
        "Full figures in lift.csv.")


def _yuan(x: float) -> str:
    """``+¥1.2 M``, ``−¥806 k``: money for a narrow table (lift.csv has every digit)."""
    if math.isnan(x):
        return "–"
    sign, a = ("+" if x >= 0 else "−"), abs(x)
    return f"{sign}¥{a / 1e6:,.1f} M" if a >= 1e6 else f"{sign}¥{a / 1e3:,.0f} k" if a >= 1e3 else f"{sign}¥{a:,.0f}"


def _n(x: float, signed: bool = False) -> str:
    if math.isnan(x):
        return "–"
    return (f"{x:+,.0f}" if signed else f"{x:,.0f}").replace("-", "−")


COMMANDS = (lift,)
