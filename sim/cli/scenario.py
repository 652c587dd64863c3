"""``socsim run``, ``graph``, ``validate``, ``schema`` and ``version``: one scenario at a time.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, Optional

import typer
from rich.table import Table

from .. import __version__
from ..errors import ScenarioError, SocsimError
from ..files import writable_folder
from ..terminal import console, err, progress, say
from .common import BASELINE, ScenarioArg, SeedOpt, SetOpt, count, load_cli_scenario, print_problems, reported_errors

if TYPE_CHECKING:  # pragma: no cover
    from ..simulation import RunResult

__all__ = ["COMMANDS", "run", "graph", "validate", "schema", "version"]


def run(
    scenario: Optional[Path] = ScenarioArg,
    seed: Optional[int] = SeedOpt,
    days: Optional[int] = typer.Option(None, "--days", help="Simulated days (default: simulation.days)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Results folder to create (default: results/<name>-seed<seed>-<time>). Never overwritten."),
    set_: Optional[List[str]] = SetOpt,
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write PNG plots: the funnel, revenue by channel and KPI totals."),
    all_plots: bool = typer.Option(False, "--all-plots", help="Write every plot (adds orders by channel, spend vs profit, spill-over, leaders, private domain, referral trees; about 0.5 s more)."),
) -> None:
    """Simulate a scenario day by day; print the KPI table and write a results folder.

    The folder holds daily_ledger.csv (money and orders per day × brand × channel),
    daily_state.csv (AIPL funnel, private domain, leaders, prices), referral_tree.csv
    (referral orders and commission by level, shares by depth, trees by size), kpis.json, the fully
    resolved scenario with its seed and version, and plots.
    """
    from ..jit import drop_stale_caches, kernels_cached
    from ..metrics import kpi_table
    from ..plots import MAIN_PLOTS, PLOT_FILES
    from ..plots.worker import plot_workers
    from ..resources import check_memory
    from ..simulation import default_run_dir, run as simulate, write_results

    with reported_errors():
        sc = load_cli_scenario(scenario, set_, seed, days)
        if out is not None and out.exists():
            raise SocsimError(f"{out}: already exists; choose another --out or remove it (results are never overwritten)")
        writable_folder(out.parent if out is not None else Path(sc.outputs.dir))
        check_memory(sc)
        if not kernels_cached():  # a new version of the kernels: the caches of earlier ones are of no more use
            drop_stale_caches()
            err.print("first run after install: compiling the model's kernels (about a minute; cached afterwards)")
        # Forked once the model's modules are loaded (the workers share them), before the
        # kernels load and the market is built: matplotlib loads meanwhile on the other core.
        names = (PLOT_FILES if all_plots else MAIN_PLOTS) if plots and sc.outputs.plots else ()
        with plot_workers(names) as plotter:
            with progress("days") as bar:
                task = bar.add_task(f"simulating {sc.name}", total=sc.simulation.days)
                result = simulate(sc, progress=lambda day: bar.update(task, completed=day))
            folder = write_results(result, out or default_run_dir(result), plots=bool(names), every_plot=all_plots,
                                   plotter=plotter)
            _report(result, folder, kpi_table)  # while the plot processes leave


def _report(result: "RunResult", folder: Path, kpi_table: Callable) -> None:
    """The KPI table, the competitor responses taken and the results folder."""
    sc = result.scenario
    _print_kpis(result.kpis, f"{sc.name} — {sc.simulation.days} days, seed {result.seed}", kpi_table)
    if result.responses:
        moves = [e for e in result.responses if e.what in ("start", "move")]
        say(f"competitor responses: {len(moves)} moves, first on {moves[0].date} by {moves[0].brand} "
            f"({moves[0].detail}); see responses.csv" if moves else "competitor responses: none taken")
    say("results: ", (str(folder), "bold"))


def _print_kpis(kpis: dict, title: str, kpi_table) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    for name in kpis:
        table.add_column(name, justify="right")
    for label, cells in kpi_table(kpis):
        table.add_row(label, *cells)
    console.print(table)


def graph(
    scenario: Optional[Path] = ScenarioArg,
    set_: Optional[List[str]] = SetOpt,
    seed: Optional[int] = SeedOpt,
    out: Path = typer.Option(Path("results/graph"), "--out", help="Folder for degree_histogram.png and ego_network.png."),
    sources: int = typer.Option(200, "--sources", help="BFS sources sampled for path lengths."),
) -> None:
    """Build the scenario's social graph and report the "six degrees" check.

    Prints nodes, edges, mean degree and quantiles, sampled clustering, sampled mean
    shortest path and effective diameter (90th percentile), and Dunbar layer counts;
    writes a degree histogram and a sampled ego network coloured by tie layer.
    """
    import time

    import numpy as np

    from ..graph import build_graph
    from ..plots.graph import degree_histogram, ego_network_plot
    from ..graph.stats import graph_stats
    from ..resources import check_memory
    from ..rng import spawn_streams

    with reported_errors():
        sc = load_cli_scenario(scenario, set_, seed)
        check_memory(sc, "the graph")
        streams = spawn_streams(sc.simulation.seed)
        start = time.perf_counter()
        g = build_graph(sc.world.graph, sc.world.population, streams.graph)
        built = time.perf_counter() - start
        stats = graph_stats(g, np.random.default_rng(sc.simulation.seed), n_sources=sources)
        out.mkdir(parents=True, exist_ok=True)
        files = [*degree_histogram(g, out / "degree_histogram.png"),
                 *ego_network_plot(g, 0, out / "ego_network.png", np.random.default_rng(sc.simulation.seed))]
    _print_graph(sc, stats, built)
    for f in files:
        say("wrote ", (str(f), "bold"))


def _print_graph(sc, stats, seconds: float) -> None:
    table = Table(title=f"social graph of {sc.name}: {sc.world.graph.kind}, built in {seconds:.2f} s", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in _graph_rows(stats):
        table.add_row(label, value)
    console.print(table)


def _graph_rows(stats) -> list[tuple[str, str]]:
    q = stats.degree
    rows = [
        ("nodes", f"{stats.nodes:,}"), ("ties (undirected)", f"{stats.edges:,}"),
        ("mean degree", f"{stats.mean_degree:.1f}"),
        ("degree min / 5% / 25% / 50% / 75% / 95% / max",
         " / ".join(f"{v:g}" for v in (q.min, q.p5, q.p25, q.p50, q.p75, q.p95, q.max))),
        (f"clustering (sampled, {stats.clustering_sample:,} nodes)", f"{stats.clustering:.3f} ± {stats.clustering_se:.3f}"),
        (f"mean shortest path ({stats.path_sources} BFS sources)", f"{stats.mean_path_length:.2f}"),
        ("effective diameter (90% of pairs within)", f"{stats.effective_diameter}"),
        ("reachable pairs", f"{stats.reachable_share:.1%}"),
    ]
    rows += [(f"layer: {name}", f"{count:,}") for name, count in stats.as_dict()["layers"].items()]
    return rows


def validate(
    files: List[Path] = typer.Argument(..., help="Scenario, experiment, sensitivity, calibration-target, optimise, tournament team or lesson files to check."),
    scenario: Optional[Path] = typer.Option(None, "--scenario", help="Market that team files must fit, as in socsim tournament (default: the bundled baseline)."),
) -> None:
    """Check any socsim file (scenario, experiment, analysis, team, lesson); print every problem with file, line and field path.

    Each file is recognised by its top-level keys: brands (a scenario), base / variants /
    sweep (an experiment), team / brand (a tournament team file, checked against the
    market and the other team files in its folder), claims / workshop (a lesson),
    parameters with method (sensitivity), targets / observed (calibration targets),
    objective / choices (optimise) or elasticities (published elasticity ranges, read by
    socsim elasticity). The verdict says which kind it was checked as.

    Examples:  socsim validate scenarios/*.yaml experiments/*.yaml
               socsim validate scenarios/targets/*.yaml
               socsim validate teams/*.yaml --scenario my_market.yaml
    """
    from ..config.kinds import file_kind
    from ..config.loader import read_document

    checks = _file_checks(scenario or BASELINE)
    failed = 0
    for f in files:
        kind = "file"
        try:
            kind, keys = file_kind(read_document(f, file=str(f)).data)
            summary = checks[kind](f)
            say(("ok", "green"), f" {f}: {kind} {summary}")
        except SocsimError as exc:
            failed += 1
            if kind != "file":  # the file was read: say what it was checked as, and why
                told = f" (top-level keys {', '.join(keys)})" if keys else ""
                say(f"{f}: not a valid {kind} file{told}", to=err)
            print_problems(exc)
    if failed:
        raise typer.Exit(1)


def _file_checks(market: Path) -> dict[str, Callable[[Path], str]]:
    """Per kind: validate a file (raising SocsimError) and summarise it in a few words."""
    from ..analysis.calibrate import load_targets
    from ..analysis.optimise import load_optimise
    from ..analysis.sensitivity import load_sensitivity
    from .experiments import design_shape
    from ..config.loader import load_scenario
    from ..experiments.design import load_experiment
    from ..experiments.elasticity import load_elasticity_targets
    from ..lessons.catalog import load_lesson

    def checked(load: Callable[[Path], Any], describe: Callable[[Any], str]) -> Callable[[Path], str]:
        return lambda path: describe(load(path))

    return {
        "scenario": checked(load_scenario, lambda sc: f"{sc.name}: {count(len(sc.brands), 'brand')}, "
                                                      f"{sc.world.population:,} consumers"),
        "experiment": checked(load_experiment, lambda d: f"{d.name}: {count(len(d.cells), 'scenario')} "
                                                         f"({design_shape(d)}), {count(d.replications, 'replication')} each"),
        "team": _team_check(market),
        "lesson": checked(load_lesson, lambda item: f"{item.name}: {count(len(item.claims), 'claim')} on {item.experiment}"),
        "sensitivity": checked(load_sensitivity, lambda spec: f"{spec.name}: {count(len(spec.parameters), 'parameter')}, "
                                                              f"{count(len(spec.metrics), 'metric')}, {spec.method}"),
        "targets": checked(lambda path: load_targets(path, market), lambda spec: f"{spec.name}: {count(len(spec.parameters), 'parameter')} fitted to "
                                                      f"{count(len(spec.targets), 'KPI target')} and "
                                                      f"{len(spec.observed)} observed series"
                                                      + (f" and the elasticity ranges of {spec.elasticity.targets}" if spec.elasticity else "")),
        "optimise": checked(load_optimise, lambda spec: f"{spec.name}: {count(len(spec.parameters), 'continuous lever')}, "
                                                        f"{count(len(spec.choices), 'choice')}, "
                                                        f"{spec.objective.sense} {spec.objective.metric}"),
        "elasticity targets": checked(load_elasticity_targets, lambda spec: f"{spec.name}: published ranges for "
                                                                            f"{', '.join(b.measure for b in spec.elasticities)}"),
    }


def _team_check(market: Path) -> Callable[[Path], str]:
    """Validate a team file as ``socsim tournament`` would: with the other files of its folder.

    Team and brand names must be unique across a folder, so the whole folder is read
    (once per folder) and this file's verdict is picked out.
    """
    from ..config.loader import load_scenario
    from ..tournament import Roster, read_teams

    rosters: dict[Path, Roster] = {}

    def check(path: Path) -> str:
        folder = path.resolve().parent
        if folder not in rosters:
            rosters[folder] = read_teams(folder, load_scenario(market))
        roster = rosters[folder]
        for rejected in (r for r in roster.rejected if r.file.resolve() == path.resolve()):
            raise ScenarioError(str(path), list(rejected.problems))
        team = next((t for t in roster.teams if t.file.resolve() == path.resolve()), None)
        if team is None:  # read_teams reads only *.yaml / *.yml
            raise SocsimError(f"{path}: socsim tournament reads only team files ending in .yaml or .yml; rename it")
        return f"{team.team}: brand {team.brand}, fits the market of {market.name}"

    return check


def schema() -> None:
    """Print the scenario field reference (markdown): every field, unit, default, range."""
    from ..config.reference import schema_markdown

    sys.stdout.write(schema_markdown())


def version() -> None:
    """Print the socsim version."""
    console.print(f"socsim {__version__}")


COMMANDS = (run, graph, validate, schema, version)
