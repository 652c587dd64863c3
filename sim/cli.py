"""The ``socsim`` command line (Typer + Rich).

Commands are thin: parse, call the library, render. Library errors (SocsimError) are
caught here only, printed one line per problem, and exit with status 1 — no traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import typer
from rich.table import Table

from . import __version__
from .errors import ScenarioError, SocsimError
from .files import writable_folder, write_failure
from .terminal import console, err, error, progress, say, show_warnings

__all__ = ["app"]

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"

app = typer.Typer(
    name="socsim",
    help=(
        "socsim — agent-based simulator of social-commerce channel economics.\n\n"
        "Consumers on a 150-contact social graph respond to content, KOL/KOC posts, word of "
        "mouth, group deals and price parity across WeChat (private domain) and Tmall (open "
        "marketplace). Write a scenario in YAML, run it, read the KPIs and plots.\n\n"
        "Start with:  socsim run            (the bundled baseline scenario)\n"
        "Then:        socsim schema         (every scenario field, its unit and default)"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

show_warnings()

ScenarioArg = typer.Argument(None, help="Scenario YAML file (default: the bundled scenarios/baseline.yaml).", show_default=False)
SetOpt = typer.Option(None, "--set", help="Override a field: dotted.path=value, list items by name or index, e.g. --set brands.focal.channels.tmall.price=149 (repeatable).")
SeedOpt = typer.Option(None, "--seed", help="Root seed (default: simulation.seed in the scenario).")


@contextmanager
def _errors() -> Iterator[None]:
    """Turn SocsimErrors into one red line per problem and exit status 1; Ctrl-C into one line and status 130.

    A full, read-only or forbidden disk met outside the library's own writers is one line too.
    """
    try:
        yield
    except SocsimError as exc:
        _print_problems(exc)
        raise typer.Exit(1)
    except (KeyboardInterrupt, SystemError) as exc:
        if not _interrupted(exc):
            raise
        error("interrupted (Ctrl-C)")
        raise typer.Exit(130)
    except OSError as exc:
        reason = write_failure(exc)
        if reason is None:
            raise
        error(f"{exc.filename or 'a results file'}: {reason}; free space or choose another folder with --out")
        raise typer.Exit(1)


def _interrupted(exc: BaseException | None) -> bool:
    """Ctrl-C, or an error raised while handling one (Ctrl-C inside a compiled kernel is a SystemError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _load(path: Optional[Path], overrides: Optional[List[str]], seed: Optional[int] = None, days: Optional[int] = None):
    from .config.loader import load_scenario

    extra = list(overrides or [])
    if seed is not None:
        extra.append(f"simulation.seed={seed}")
    if days is not None:
        extra.append(f"simulation.days={days}")
    return load_scenario(path or BASELINE, extra)


@app.command()
def run(
    scenario: Optional[Path] = ScenarioArg,
    seed: Optional[int] = SeedOpt,
    days: Optional[int] = typer.Option(None, "--days", help="Simulated days (default: simulation.days)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Results folder to create (default: results/<name>-seed<seed>-<time>). Never overwritten."),
    set_: Optional[List[str]] = SetOpt,
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write PNG plots."),
) -> None:
    """Simulate a scenario day by day; print the KPI table and write a results folder.

    The folder holds daily_ledger.csv (money and orders per day × brand × channel),
    daily_state.csv (AIPL funnel, private domain, leaders, prices), referral_tree.csv
    (referral orders and commission by level, shares by depth, trees by size), kpis.json, the fully
    resolved scenario with its seed and version, and plots.
    """
    from .jit import kernels_cached
    from .metrics import kpi_table
    from .resources import check_memory
    from .simulation import default_run_dir, run as simulate, write_results

    with _errors():
        sc = _load(scenario, set_, seed, days)
        if out is not None and out.exists():
            raise SocsimError(f"{out}: already exists; choose another --out or remove it (results are never overwritten)")
        writable_folder(out.parent if out is not None else Path(sc.outputs.dir))
        check_memory(sc)
        if not kernels_cached():
            err.print("first run after install: compiling the model's kernels (about a minute; cached afterwards)")
        with progress("days") as bar:
            task = bar.add_task(f"simulating {sc.name}", total=sc.simulation.days)
            result = simulate(sc, progress=lambda day: bar.update(task, completed=day))
        folder = write_results(result, out or default_run_dir(result), plots=plots and sc.outputs.plots)
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


@app.command()
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

    from .graph import build_graph
    from .graph.plots import degree_histogram, ego_network_plot
    from .graph.stats import graph_stats
    from .resources import check_memory
    from .rng import spawn_streams

    with _errors():
        sc = _load(scenario, set_, seed)
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


@app.command()
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

    Examples:  socsim validate scenarios/*.yaml scenarios/targets/*.yaml experiments/*.yaml
               socsim validate teams/*.yaml --scenario my_market.yaml
    """
    from .config.loader import read_document

    checks = _file_checks(scenario or BASELINE)
    failed = 0
    for f in files:
        kind = "file"
        try:
            kind, keys = _file_kind(read_document(f, file=str(f)).data)
            summary = checks[kind](f)
            say(("ok", "green"), f" {f}: {kind} {summary}")
        except SocsimError as exc:
            failed += 1
            if kind != "file":  # the file was read: say what it was checked as, and why
                told = f" (top-level keys {', '.join(keys)})" if keys else ""
                say(f"{f}: not a valid {kind} file{told}", to=err)
            _print_problems(exc)
    if failed:
        raise typer.Exit(1)


def _print_problems(exc: SocsimError) -> None:
    """One red line per problem (a ScenarioError has several, with file and line)."""
    lines = [p.render(exc.file) for p in exc.problems] if isinstance(exc, ScenarioError) else [str(exc)]
    for line in lines:
        error(line)


def _file_kind(data: dict) -> tuple[str, list[str]]:
    """``scenario``, ``experiment``, ``team``, ``lesson``, ``sensitivity``, ``targets``,
    ``optimise`` or ``elasticity targets`` by the file's top-level keys.

    The kind with most keys that only it has wins, then the one with most of its keys;
    on a tie the earlier kind, so a file with no telling key is read as a scenario and a
    broken scenario file is still reported as one. Returns the kind and its telling keys.
    """
    from .analysis.spec import CalibrationSpec, OptimiseSpec, SensitivitySpec
    from .config.schema import Scenario
    from .experiments.elasticity import ElasticityTargets
    from .experiments.spec import Experiment
    from .lessons.spec import Lesson
    from .tournament import TeamEntry

    fields = {"scenario": set(Scenario.model_fields), "experiment": set(Experiment.model_fields),
              "team": set(TeamEntry.model_fields), "lesson": set(Lesson.model_fields),
              "sensitivity": set(SensitivitySpec.model_fields), "targets": set(CalibrationSpec.model_fields),
              "optimise": set(OptimiseSpec.model_fields), "elasticity targets": set(ElasticityTargets.model_fields)}
    known = {kind: sorted(str(k) for k in data if k in own) for kind, own in fields.items()}
    told = {kind: [k for k in keys if all(k not in fields[o] for o in fields if o != kind)] for kind, keys in known.items()}
    kind = max(fields, key=lambda k: (len(told[k]), len(known[k])))  # max keeps the first on a tie
    return kind, told[kind] or known[kind]


def _file_checks(market: Path) -> dict[str, Callable[[Path], str]]:
    """Per kind: validate a file (raising SocsimError) and summarise it in a few words."""
    from .analysis.calibrate import load_targets
    from .analysis.optimise import load_optimise
    from .analysis.sensitivity import load_sensitivity
    from .cli_experiments import design_shape
    from .config.loader import load_scenario
    from .experiments.design import load_experiment
    from .experiments.elasticity import load_elasticity_targets
    from .lessons.catalog import load_lesson

    def checked(load: Callable[[Path], Any], describe: Callable[[Any], str]) -> Callable[[Path], str]:
        return lambda path: describe(load(path))

    return {
        "scenario": checked(load_scenario, lambda sc: f"{sc.name}: {_count(len(sc.brands), 'brand')}, "
                                                      f"{sc.world.population:,} consumers"),
        "experiment": checked(load_experiment, lambda d: f"{d.name}: {_count(len(d.cells), 'scenario')} "
                                                         f"({design_shape(d)}), {_count(d.replications, 'replication')} each"),
        "team": _team_check(market),
        "lesson": checked(load_lesson, lambda item: f"{item.name}: {_count(len(item.claims), 'claim')} on {item.experiment}"),
        "sensitivity": checked(load_sensitivity, lambda spec: f"{spec.name}: {_count(len(spec.parameters), 'parameter')}, "
                                                              f"{_count(len(spec.metrics), 'metric')}, {spec.method}"),
        "targets": checked(lambda path: load_targets(path, market), lambda spec: f"{spec.name}: {_count(len(spec.parameters), 'parameter')} fitted to "
                                                      f"{_count(len(spec.targets), 'KPI target')} and "
                                                      f"{len(spec.observed)} observed series"),
        "optimise": checked(load_optimise, lambda spec: f"{spec.name}: {_count(len(spec.parameters), 'continuous lever')}, "
                                                        f"{_count(len(spec.choices), 'choice')}, "
                                                        f"{spec.objective.sense} {spec.objective.metric}"),
        "elasticity targets": checked(load_elasticity_targets, lambda spec: f"{spec.name}: published ranges for "
                                                                            f"{', '.join(b.measure for b in spec.elasticities)}"),
    }


def _count(n: int, noun: str) -> str:
    """``1 run``, ``3 runs``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _team_check(market: Path) -> Callable[[Path], str]:
    """Validate a team file as ``socsim tournament`` would: with the other files of its folder.

    Team and brand names must be unique across a folder, so the whole folder is read
    (once per folder) and this file's verdict is picked out.
    """
    from .config.loader import load_scenario
    from .tournament import Roster, read_teams

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


@app.command()
def schema() -> None:
    """Print the scenario field reference (markdown): every field, unit, default, range."""
    from .config.reference import schema_markdown

    sys.stdout.write(schema_markdown())


@app.command()
def version() -> None:
    """Print the socsim version."""
    console.print(f"socsim {__version__}")


from . import cli_experiments  # noqa: E402,F401  (registers compare/sweep)
from . import cli_elasticity  # noqa: E402,F401  (registers elasticity)
from . import cli_lift  # noqa: E402,F401  (registers lift)
from . import cli_checks  # noqa: E402,F401  (registers check)
from . import cli_workshop  # noqa: E402,F401  (registers dashboard/tournament)
from . import cli_analysis  # noqa: E402,F401  (registers sensitivity/calibrate/optimise)
from . import cli_lessons  # noqa: E402,F401  (registers lessons/lesson)
from . import cli_game  # noqa: E402,F401  (registers the game group)
