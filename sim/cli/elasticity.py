"""``socsim elasticity``: what price response does this market assume? A thin command over
:mod:`sim.experiments.elasticity`.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from .common import BASELINE, ScenarioArg, SetOpt, WorkersOpt, load_cli_scenario, reported_errors, run_progress
from ..errors import SocsimError, refuse_existing
from ..terminal import console, err, say, styled

__all__ = ["elasticity"]


def elasticity(
    scenario: Optional[Path] = ScenarioArg,
    reps: int = typer.Option(10, "--reps", help="Replications per variant; replication r uses seed + r in every variant (paired)."),
    population: Optional[int] = typer.Option(None, "--population", help="Consumer agents per run (default: world.population; market_size is kept)."),
    days: Optional[int] = typer.Option(None, "--days", help="Simulated days per run (default: simulation.days)."),
    step: float = typer.Option(0.10, "--step", help="Price change as a share of price: 0.10 raises every price 10 %; −0.10 cuts it."),
    brand: Optional[List[str]] = typer.Option(None, "--brand", help="Measure this brand's own and cross elasticities (repeatable; default: every brand)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of replication 0 (default: simulation.seed)."),
    workers: Optional[int] = WorkersOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Results folder to create (default: elasticity-NAME-TIME in the scenario's outputs.dir). Never overwritten."),
    set_: Optional[List[str]] = SetOpt,
) -> None:
    """Measure the price response your market assumes: own, cross and category elasticities.

    Runs the scenario as it is and, on the same seeds (common random numbers), with every
    price of one brand raised by --step (one variant per brand) and with every price of
    every brand raised (the category). From these paired runs it prints, each with its
    95 % confidence interval:

    • own-price elasticity: % change in a brand's orders per % change in its own prices;

    • cross elasticity: % change in a rival's orders per % change in my prices;

    • category elasticity: % change in all orders when every brand raises its prices;

    • lost orders won by rivals: the share of a brand's lost orders that rivals gain (diversion).

    Next to each, the published range (scenarios/targets/elasticity.yaml): own −3.5 to −1.5
    (meta-analytic mean −2.62), category within ±1, at least a third of lost orders to
    rivals. Elasticity = ln(orders after / before) / ln(1 + step), per replication.
    Writes elasticity.csv, elasticity.json, elasticity.png and the runs (runs/).

    Examples:  socsim elasticity
               socsim elasticity my_market.yaml --brand focal --reps 20
               socsim elasticity --population 4000 --days 180 --step -0.1
    """
    from ..experiments import ExecutionPlan
    from ..experiments.elasticity import BUNDLED_TARGETS, elasticity_design, load_elasticity_targets, measure

    with reported_errors():
        _check_sizes(reps, population, days)
        changes = [*(set_ or []), *([f"world.population={population}"] if population else []),
                   *([f"simulation.days={days}"] if days else [])]
        sc = load_cli_scenario(scenario, changes)
        design = elasticity_design(scenario or BASELINE, sc, brands=brand or [b.name for b in sc.brands], step=step,
                                   replications=reps, seed=seed, changes=changes)
        folder = out or Path(sc.outputs.dir) / f"elasticity-{sc.name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
        refuse_existing(folder)
        plan = ExecutionPlan(workers=workers)
        runs = len(design.cells) * reps
        say((f"elasticity of {sc.name}", "bold"), f": {len(design.cells)} variants × {reps} replications = {runs} runs "
            f"({plan.describe(runs)}); results: {folder}")
        try:
            with run_progress() as tick:
                result = measure(design, folder, step=step, targets=load_elasticity_targets(BUNDLED_TARGETS), plan=plan,
                                 progress=tick)
        except KeyboardInterrupt:
            err.print(f"interrupted: the finished runs are in {folder / 'runs'}; measure again into a new --out")
            raise typer.Exit(130)
    _print_estimates(result)
    say("results: ", (str(result.folder), "bold"), " (elasticity.csv, elasticity.json, elasticity.png, runs/)")


def _check_sizes(reps: int, population: Optional[int], days: Optional[int]) -> None:
    if reps < 2:
        raise SocsimError(f"--reps: got {reps}; give at least 2 replications (an interval needs two pairs)")
    if population is not None and population < 50:
        raise SocsimError(f"--population: got {population}; give at least 50 consumer agents")
    if days is not None and days < 1:
        raise SocsimError(f"--days: got {days}; give at least 1 day")


def _print_estimates(result) -> None:
    from ..experiments.elasticity import elasticity_verdict, verdict

    say((elasticity_verdict(result), "bold"))

    table = Table(title=f"price response of orders — every price {result.step:+.0%}, "
                        f"{result.design.replications} paired replications", title_justify="left")
    for name, justify in (("measure", "left"), ("estimate", "right"), ("95 % CI", "right"),
                          ("published range", "right"), ("", "left")):
        table.add_column(name, justify=justify, no_wrap=name != "measure")
    for e in result.estimates:
        share = e.measure == "diversion"
        bound, verdict_ = verdict(e, result.targets)
        colour = {"in range": "green", "outside": "red"}.get(verdict_, "white")
        table.add_row(e.label, _number(e.value.mean, share), f"{_number(e.value.low, share)} to {_number(e.value.high, share)}",
                      _range(bound, share), styled(verdict_, colour) if verdict_ else "")
    console.print(table)
    console.print("Elasticity: ln(orders after / before) / ln(1 + step), per replication, mean with Student-t "
                  "interval. Lost orders to rivals: rivals' paired gain / the brand's paired loss (delta-method interval).")


def _number(x: float, share: bool) -> str:
    if math.isnan(x):
        return "–"
    return (f"{x:.0%}" if share else f"{x:+.2f}").replace("-", "−")


def _range(bound, share: bool) -> str:
    """``−3.5 to −1.5``, ``≥ 33%``: the published range in the estimate's format."""
    if bound is None:
        return ""
    low, high = (None if v is None else _number(v, share).lstrip("+") for v in (bound.low, bound.high))
    if low is not None and high is not None:
        return f"{low} to {high}"
    return f"≥ {low}" if low is not None else f"≤ {high}"


COMMANDS = (elasticity,)
