"""What every ``socsim`` command shares: options, error handling, scenario loading, counts, progress.

Library errors (SocsimError) are caught here only, by :func:`reported_errors`, printed
one line per problem, and exit with status 1 — no traceback.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional

import typer

from ..errors import ScenarioError, SocsimError
from ..files import write_failure
from ..terminal import error, progress

if TYPE_CHECKING:  # pragma: no cover
    from ..config.schema import Scenario

__all__ = ["BASELINE", "ScenarioArg", "SetOpt", "SeedOpt", "OutOpt", "WorkersOpt", "SchedulerOpt", "DaskLocalOpt",
           "PopulationOpt", "RunDaysOpt", "FirstSeedOpt", "reported_errors", "print_problems", "load_cli_scenario",
           "size_overrides", "count", "run_progress"]

BASELINE = Path(__file__).resolve().parent.parent.parent / "scenarios" / "baseline.yaml"

ScenarioArg = typer.Argument(None, help="Scenario YAML file (default: the bundled scenarios/baseline.yaml).", show_default=False)
SetOpt = typer.Option(None, "--set", help="Override a field: dotted.path=value, list items by name or index, e.g. --set simulation.days=90 (repeatable).")
SeedOpt = typer.Option(None, "--seed", help="Root seed (default: simulation.seed in the scenario).")
OutOpt = typer.Option(None, "--out", help="Results folder (default: NAME-DIGEST in the experiment's outputs.dir, DIGEST naming its design). Rerunning the same command resumes it.")
WorkersOpt = typer.Option(None, "--workers", min=0, help="Local worker processes (default: all cores); 0 runs in this process.")
SchedulerOpt = typer.Option(None, "--scheduler", help="Run on a Dask distributed cluster: its scheduler's address, tcp://HOST:PORT.")
DaskLocalOpt = typer.Option(None, "--dask-local", min=1, help="Start a local Dask cluster with N worker processes on 127.0.0.1 for this run.")
# The size of paired counterfactual runs (socsim lift, socsim detractors): see size_overrides.
PopulationOpt = typer.Option(None, "--population", help="Consumer agents per run (default: world.population; market_size is kept).")
RunDaysOpt = typer.Option(None, "--days", help="Simulated days per run (default: simulation.days).")
FirstSeedOpt = typer.Option(None, "--seed", help="Seed of replication 0 (default: simulation.seed).")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn SocsimErrors into one red line per problem and exit status 1; Ctrl-C into one line and status 130.

    A full, read-only or forbidden disk met outside the library's own writers is one line too.
    """
    try:
        yield
    except SocsimError as exc:
        print_problems(exc)
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


def print_problems(exc: SocsimError) -> None:
    """One red line per problem (a ScenarioError has several, with file and line)."""
    lines = [p.render(exc.file) for p in exc.problems] if isinstance(exc, ScenarioError) else [str(exc)]
    for line in lines:
        error(line)


def load_cli_scenario(path: Optional[Path], overrides: Optional[List[str]], seed: Optional[int] = None,
                      days: Optional[int] = None) -> "Scenario":
    """The scenario at ``path`` (default: the bundled baseline) with ``--set``, ``--seed`` and ``--days`` applied."""
    from ..config.loader import load_scenario

    extra = list(overrides or [])
    if seed is not None:
        extra.append(f"simulation.seed={seed}")
    if days is not None:
        extra.append(f"simulation.days={days}")
    return load_scenario(path or BASELINE, extra)


def size_overrides(overrides: Optional[List[str]], population: Optional[int], days: Optional[int]) -> list[str]:
    """``--set`` overrides followed by those of ``--population`` and ``--days`` (when given)."""
    return [*(overrides or []), *([f"world.population={population}"] if population else []),
            *([f"simulation.days={days}"] if days else [])]


def count(n: int, noun: str) -> str:
    """``1 run``, ``3 runs``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


@contextmanager
def run_progress(label: str = "simulating", unit: str = "runs") -> Iterator[Callable[[int, int], None]]:
    """A progress bar of runs on stderr; yields ``tick(done, total)`` for the experiment runner.

    The first tick may count runs found stored: the bar starts there, so they do not
    count toward the speed (ETA). ``label`` and ``unit`` are its words (a lesson's are Chinese under --lang zh).
    """
    with progress(unit) as bar:
        task = bar.add_task(label, total=None)
        started: list[bool] = []

        def tick(done: int, total: int) -> None:
            if not started:
                started.append(True)
                bar.reset(task, completed=done, total=total)
            else:
                bar.update(task, completed=done, total=total)

        yield tick
