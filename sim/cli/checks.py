"""``socsim check``: a thin command over :func:`sim.verification.suite.run_checks`.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from .common import DaskLocalOpt, ScenarioArg, SchedulerOpt, SetOpt, load_cli_scenario, reported_errors
from ..terminal import console, progress, styled

__all__ = ["check"]

_STATUS = {"pass": styled("PASS", "green"), "fail": styled("FAIL", "red"), "skip": styled("skip", "yellow")}


def check(
    scenario: Optional[Path] = ScenarioArg,
    reps: int = typer.Option(6, "--reps", min=2, help="Seeds per variant (variants share seeds: paired tests); twice as many for the spill-over level and the private-domain bound."),
    population: int = typer.Option(4000, "--population", min=50, max=20_000,
                                   help="Agents per run (market_size follows, so the scale stays the scenario's)."),
    days: int = typer.Option(180, "--days", min=10, help="Simulated days per run (180 from Jan 1 includes 618)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, show_default=False,
                                          help="Local worker processes (default: 2, or 1 on one core; results do not depend on it)."),
    scheduler: Optional[str] = SchedulerOpt,
    dask_local: Optional[int] = DaskLocalOpt,
    only: Optional[List[str]] = typer.Option(None, "--only", help="Run only this check (repeatable), e.g. --only referral --only bass; the price-response checks (elasticity, post_promotion_dip, reference_price_adapts) and wom_vs_advertising run only when named."),
    set_: Optional[List[str]] = SetOpt,
) -> None:
    """Check that the model still behaves on your scenario (docs/BEHAVIOURS.md).

    Runs the behaviour suite over replications and prints a pass/fail table with the
    measured figures and p-values (paired one-sided t-tests at α = 0.01): spill-over to
    the marketplace, channel conflict and parity, open vs closed channels, the monotone
    levers (paid budget, content, referral), competitor responses, the marketplace
    ranking flywheel, incrementality beside last-touch credit, reproducibility and the
    Bass mean-field check. The first brand plays the focal brand; its first marketplace is "Tmall", the
    first social channel "WeChat". Exit status 1 if any check fails.

    The price-response checks run only when named with --only: elasticity (own-price
    elasticity −3.5 to −1.5, category within ±1, rivals win ≥ ⅓ of lost orders;
    scenarios/targets/elasticity.yaml), post_promotion_dip (a deep two-week promotion
    is followed by fewer orders than without it) and reference_price_adapts (after a
    permanent +20 % rise the order loss shrinks from the first month to the last two).
    Give them --days 180 or more. So does wom_vs_advertising: word of mouth's elasticity
    of orders (per share volume) inside 0.24–1.0 and above paid media's (per budget),
    inside 0.01–0.5 (scenarios/targets/wom_vs_advertising.yaml), on 10 × --reps seeds.

    Examples:  socsim check scenarios/baseline.yaml --reps 8 \\
                   --set brands.focal.strategy.parity=none
               socsim check --only elasticity --only post_promotion_dip
               socsim check --only wom_vs_advertising
               socsim check --dask-local 2
    """
    from ..experiments.executors import ExecutionPlan
    from ..verification.suite import CheckSettings, run_checks

    with reported_errors():
        ExecutionPlan(workers=workers, scheduler=scheduler, dask_local=dask_local).check()  # one way to run, as compare
        sc = load_cli_scenario(scenario, set_)
        settings = CheckSettings(reps=reps, population=population, days=days,
                                 workers=min(2, os.cpu_count() or 1) if workers is None else workers,
                                 scheduler=scheduler, dask_local=dask_local)
        with progress("runs") as bar:
            task = bar.add_task(f"checking {sc.name}", total=None)
            results = run_checks(sc, settings, lambda done, total: bar.update(task, completed=done, total=total), only)
    _print(results, f"socsim check — {sc.name}: {reps} seeds × {population:,} agents × {days} days")
    if any(r.status == "fail" for r in results):
        raise typer.Exit(1)


def _print(results, title: str) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    for name, justify in (("check", "left"), ("behaviour", "left"), ("result", "left"), ("measured", "left"), ("p", "right")):
        table.add_column(name, justify=justify, overflow="fold")
    for r in results:
        p = "–" if r.p_value is None or r.p_value != r.p_value else f"{r.p_value:.3g}"
        table.add_row(f"{r.key}: {r.title}", r.behaviour, _STATUS[r.status], r.note or r.measured, p)
    console.print(table)
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "skip")}
    console.print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    console.print("What each check tests and why: docs/BEHAVIOURS.md#<check>, e.g. docs/BEHAVIOURS.md#spillover")


COMMANDS = (check,)
