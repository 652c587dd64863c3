"""``socsim detractors``: customers lost per detractor ("lose one, lose 150"), a thin command over
:mod:`sim.experiments.detractors`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import typer

from ..files import strict_json, writing
from ..terminal import say
from .common import (FirstSeedOpt, PopulationOpt, RunDaysOpt, ScenarioArg, SetOpt, WorkersOpt, load_cli_scenario,
                     reported_errors, run_progress, size_overrides)

__all__ = ["detractors", "COMMANDS"]


def detractors(
    scenario: Optional[Path] = ScenarioArg,
    brand: Optional[str] = typer.Option(None, "--brand", help="The brand whose detractors are counted (default: the first)."),
    reps: int = typer.Option(8, "--reps", help="Replications; the three variants share seeds seed, seed + 1, … (paired)."),
    population: Optional[int] = PopulationOpt,
    days: Optional[int] = RunDaysOpt,
    seed: Optional[int] = FirstSeedOpt,
    extra_late: float = typer.Option(0.4, "--extra-late", help="Late-delivery probability added to make more detractors."),
    workers: Optional[int] = WorkersOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the figures to this JSON file."),
    set_: Optional[List[str]] = SetOpt,
) -> None:
    """Lose one customer, lose how many? Customers lost per detractor, with 95 % intervals.

    Runs the scenario as it is, with more detractors (late deliveries raised by
    --extra-late) and with those detractors' warnings weighing nothing, on the same seeds.
    Prints the detractors added, the buyers lost, customers lost per detractor (the
    model's answer to "lose one, lose 150"), the part of it their warnings cost, and the
    orders lost per detractor (her own repeat purchases included). docs/EXPERIMENTS.md
    explains the measure.

    Examples:  socsim detractors
               socsim detractors --reps 12 --population 4000 --days 180
    """
    from ..experiments.detractors import count_interval, detractor_verdict, lose_one_lose_150

    with reported_errors():
        sc = load_cli_scenario(scenario, size_overrides(set_, population, days))
        say((f"detractors of {sc.name}", "bold"), f": 3 variants × {reps} replications = {3 * reps} runs")
        with run_progress() as tick:
            cost = lose_one_lose_150(sc, brand, reps, seed, extra_late, _workers(workers), tick)
    verdict = detractor_verdict(cost)
    say((verdict, "bold"))
    rows = {"detractors added": cost.detractors_added, "buyers lost": cost.buyers_lost,
            "customers lost per detractor": cost.per_detractor, "… of which by their warnings": cost.by_warnings,
            "orders lost per detractor": cost.orders_per_detractor}
    for label, value in rows.items():
        say(f"  {label:30s} {count_interval(value)}")
    if out is not None:
        data = {"verdict": verdict, "brand": cost.brand, "extra_late": cost.extra_late, "replications": cost.replications,
                **{k.strip("… ").replace(" ", "_"): {"mean": v.mean, "low": v.low, "high": v.high} for k, v in rows.items()}}
        with reported_errors(), writing(out.parent):
            out.write_text(strict_json(data, indent=2), encoding="utf-8")
        say("written: ", (str(out), "bold"))


def _workers(workers: int | None) -> int:
    """--workers: None → every core; 0 → this process (as 1)."""
    return (os.cpu_count() or 1) if workers is None else max(1, workers)


COMMANDS = (detractors,)
