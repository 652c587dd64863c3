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
from ..files import write_failure, write_failure_key
from ..terminal import error, progress

if TYPE_CHECKING:  # pragma: no cover
    from ..config.schema import Scenario

__all__ = ["RUN_WORDS", "BASELINE", "ScenarioArg", "SetOpt", "SeedOpt", "OutOpt", "WorkersOpt", "SchedulerOpt", "DaskLocalOpt",
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


#: What running and its errors print, in English and Chinese (a lesson's console follows its --lang):
#: the lines of :func:`sim.cli.experiments.run_design`, then the errors :func:`reported_errors` says,
#: by the ``key`` of a :class:`~sim.errors.SocsimError` (its ``fields`` filled in; a field ``f``
#: whose value ``v`` has an entry ``f.v`` is said in those words). An error without a Chinese
#: entry (a field of a scenario or lesson file, with its file and line) is said in English.
RUN_WORDS = {
    "en": {"header": ": {shape} ({where}); results: {folder}", "simulating": "simulating", "runs": "runs",
           "earlier": "note: {old} holds runs of an earlier version of this experiment; they are kept apart",
           "interrupted": "interrupted: finished runs are stored in {folder}; run the same command again to resume",
           "resumed": "resumed: {skipped} runs were already stored, {ran} ran now",
           "error": "error", "ctrl_c": "interrupted (Ctrl-C)",
           "disk_failed": "{folder}: {reason}; free space or choose another folder with --out", "a_file": "a results file",
           "reps": "--reps {reps}: choose at least 2 replications per variant (a paired interval needs two)"},
    "zh": {"header": "：{shape}（{where}）；结果：{folder}", "simulating": "模拟中", "runs": "次运行",
           "earlier": "注意：{old} 存有本实验早先版本的运行，两者分开保存",
           "interrupted": "已中断：完成的运行保存在 {folder}；再运行同一命令即可继续",
           "resumed": "继续：{skipped} 次运行已保存，本次运行 {ran} 次",
           "error": "错误", "ctrl_c": "已中断（Ctrl-C）",
           "disk_failed": "{folder}：{reason}；请腾出空间，或用 --out 选择其他文件夹", "a_file": "结果文件",
           "reps": "--reps {reps}：每个方案至少需要 2 次重复（配对区间至少要两次）",
           "no_lesson": "没有名为 '{name}' 的课程；现有课程：{names}（socsim lessons 可列出）",
           "no_lesson_near": "没有名为 '{name}' 的课程；您是不是要找 '{near}'？现有课程：{names}（socsim lessons 可列出）",
           "store_busy": "{folder}：另一个 socsim 进程正在运行这个实验；请等它结束，或停止它（已完成的运行会保留）",
           "store_changed": "{folder}：存有本实验另一个版本的运行（场景、方案、取值点或种子改过）；运行从不混在一起："
                            "去掉 --out 将使用 {default}，或另选一个文件夹",
           "not_a_store": "{folder}：已存在，但不是实验结果文件夹；请用 --out 选择一个新的或空的文件夹（不会覆盖任何内容）",
           "write_failed": "{folder}：无法写入结果：{reason}；请腾出空间，或用 --out 选择其他文件夹",
           "reason.full": "磁盘已满", "reason.quota": "磁盘配额已用完", "reason.read_only": "磁盘是只读的",
           "reason.forbidden": "没有写入权限", "reason.not_a_folder": "有同名文件挡在文件夹的位置"},
}


@contextmanager
def reported_errors(lang: str = "en") -> Iterator[None]:
    """Turn SocsimErrors into one red line per problem and exit status 1; Ctrl-C into one line and status 130.

    A full, read-only or forbidden disk met outside the library's own writers is one line too.
    ``lang`` (en or zh) is the language of the lines (:data:`RUN_WORDS`).
    """
    words = RUN_WORDS[lang]
    try:
        yield
    except SocsimError as exc:
        print_problems(exc, lang)
        raise typer.Exit(1)
    except (KeyboardInterrupt, SystemError) as exc:
        if not _interrupted(exc):
            raise
        error(words["ctrl_c"], words["error"])
        raise typer.Exit(130)
    except OSError as exc:
        if write_failure(exc) is None:
            raise
        reason = words.get(f"reason.{write_failure_key(exc)}", write_failure(exc))
        error(words["disk_failed"].format(folder=exc.filename or words["a_file"], reason=reason), words["error"])
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


def print_problems(exc: SocsimError, lang: str = "en") -> None:
    """One red line per problem (a ScenarioError has several, with file and line), in ``lang`` where
    :data:`RUN_WORDS` has the error's words."""
    words = RUN_WORDS[lang]
    if isinstance(exc, ScenarioError):
        lines = [p.render(exc.file) for p in exc.problems]
    elif lang != "en" and exc.key in words:
        lines = [words[exc.key].format(**{k: words.get(f"{k}.{v}", v) for k, v in exc.fields.items()})]
    else:
        lines = [str(exc)]
    for line in lines:
        error(line, words["error"])


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
