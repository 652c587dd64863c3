"""``socsim dashboard`` and ``socsim tournament``: workshop mode, thin commands over
:mod:`sim.dashboard` and :mod:`sim.tournament`.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from .common import BASELINE, SetOpt, reported_errors
from ..files import writable_folder
from ..terminal import console, err, error, progress, say, warning

__all__ = ["dashboard", "tournament"]


def dashboard(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML file (default: the bundled scenarios/baseline.yaml).", show_default=False),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on. Loopback (default) keeps it on this machine; 0.0.0.0 opens it to the room's network."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port of the page."),
    brand: Optional[str] = typer.Option(None, "--brand", help="Brand whose levers the room moves (default: the scenario's first brand)."),
    population: int = typer.Option(5000, "--population", min=10, help="Consumer agents: workshop size keeps each Step snappy (0: the scenario's own)."),
    lang: str = typer.Option("en", "--lang", help="Language the page opens in: en or zh (the page has a 中文 / English switch)."),
    set_: Optional[List[str]] = SetOpt,
) -> None:
    """Serve a live dashboard for a workshop: levers, Step / Run / Reset, live charts.

    Opens a page (Solara, works offline) with sliders and switches for the
    brand's main levers (prices, parity, paid and influencer budgets, KOC share,
    referral commission, content quality, pushes, Double 11 routing), charts of the
    AIPL funnel, orders and contribution by channel, spill-over, group leaders and a sampled
    ego network, and a side-by-side mode (two strategies, same seed), on one screen
    for a projector, in English or Chinese. Needs the dashboard extra:
    pip install 'socsim[dashboard]'.

    Examples:  socsim dashboard --lang zh
               socsim dashboard --host 0.0.0.0 --port 8800
    """
    from ..dashboard.server import is_loopback, serve
    from ..dashboard.workshop import WorkshopSetup

    setup = WorkshopSetup(scenario or BASELINE, brand, population or None, tuple(set_ or ()))
    if not is_loopback(host):
        warning(f"--host {host}: the dashboard is open to every machine that can reach this one on the network, "
                "with no login; anyone there can drive it. Use it on the room's own network only.")

    def started(urls: list[str]) -> None:
        say("dashboard of ", (setup.scenario.name, "bold"), " at ", (urls[0], "bold"), "  (Ctrl+C to stop)")
        for url in urls[1:]:
            say("  also at ", (url, "bold"))

    with reported_errors():
        try:
            serve(setup, host=host, port=port, started=started, lang=lang)
        except KeyboardInterrupt:
            pass


def tournament(
    teams_dir: Path = typer.Argument(..., help="Folder of team files (*.yaml): team, brand, notes. See experiments/tournament_example.", show_default=False),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="Base market: consumers, graph, channels (default: the bundled baseline)."),
    house: str = typer.Option("replace", "--house", help="replace: only the teams' brands compete; keep: the scenario's brands stay as unranked house brands."),
    reps: int = typer.Option(5, "--reps", min=2, help="Replications; replication r uses seed + r for every brand (common random numbers)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of replication 0."),
    days: Optional[int] = typer.Option(None, "--days", min=1, help="Simulated days (default: the scenario's)."),
    population: Optional[int] = typer.Option(None, "--population", min=10, help="Consumer agents (default: the scenario's)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=0, help="Local worker processes (default: all cores); 0 runs in this process."),
    out: Optional[Path] = typer.Option(None, "--out", help="Results folder to create (default: results/tournament-FOLDER-TIME). Never overwritten."),
    set_: Optional[List[str]] = SetOpt,
) -> None:
    """Play a strategy tournament: every team's brand in one market, over replications.

    Team files that have mistakes are reported by team, file, line and field, and left
    out; the other teams play. Prints the leaderboard (contribution, revenue share, ROI, each
    with a 95 % interval across replications) and writes a results folder with
    index.html (self-contained, for the room), leaderboard.csv and plots of each
    brand's funnel and channel mix.

    Example:  socsim tournament experiments/tournament_example --reps 5
    """
    from ..errors import SocsimError
    from ..experiments.executors import ExecutionPlan
    from ..resources import check_memory
    from ..tournament import (default_folder, describe, idle_double11_routing, play, read_teams, round_scenario,
                              write_round)

    with reported_errors():
        if house not in ("replace", "keep"):
            raise SocsimError(f"--house {house!r}: allowed: replace | keep")
        extra = [*(set_ or ()), *([f"simulation.days={days}"] if days else []),
                 *([f"world.population={population}"] if population else [])]
        from ..config.loader import load_scenario

        base = load_scenario(scenario or BASELINE, extra)
        roster = read_teams(teams_dir, base, house)
        for rejected in roster.rejected:
            for line in rejected.lines():
                error(line)
        if roster.rejected:
            err.print(f"{len(roster.rejected)} team file(s) left out of this round; the other {len(roster.teams)} play",
                      highlight=False)
        folder = out or default_folder(teams_dir, base.outputs.dir)
        if folder.exists():
            raise SocsimError(f"{folder}: already exists; choose another --out or remove it (results are never overwritten)")
        writable_folder(folder.parent)
        market = round_scenario(base, roster, house)
        idle = idle_double11_routing(market, roster)
        if idle:
            warning(f"the {market.simulation.days} simulated days from {market.simulation.start_date:%Y-%m-%d} hold no "
                 f"Double 11 window: the Double 11 routing of {', '.join(idle)} does nothing this round "
                 "(give --days so the run reaches November 11)")
        check_memory(market, "the round")
        with _round_progress(reps) as tick:
            result = play(base, roster, reps=reps, seed=seed, house=house, plan=ExecutionPlan(workers=workers),
                          progress=tick)
        files = write_round(result, folder)
    _print_leaderboard(result, describe(result))
    say("results page: ", (str(files[-1]), "bold"))


def _round_progress(reps: int):
    from contextlib import contextmanager

    @contextmanager
    def bar():
        with progress("replications") as shown:
            task = shown.add_task("playing the round", total=reps)
            yield lambda done, total: shown.update(task, completed=done, total=total)

    return bar()


def _print_leaderboard(result, title: str) -> None:
    from ..tournament import leaderboard_rows, verdict

    say((verdict(result), "bold"))
    table = Table(title=title, title_justify="left")
    for column in ("#", "team", "brand", "contribution (¥) [95 % CI]", "revenue share", "ROI"):
        table.add_column(column, justify="left" if column in ("team", "brand") else "right")
    for row in leaderboard_rows(result):
        table.add_row(*row)
    console.print(table)


COMMANDS = (dashboard, tournament,)
