"""Run a lesson at one of its sizes and check its claims.

A lesson runs as its experiment (:mod:`sim.experiments`) with the preset's population,
days and replications laid over it: same seeds in every variant (common random
numbers), runs stored as they finish (a second handout in the other language reuses
them), paired differences with 95 % intervals. A claim holds when the paired interval
of ``variant − vs`` lies entirely on the claimed side of zero.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Mapping, Sequence

import numpy as np

from sim.experiments import ExecutionPlan, execute, load_experiment, open_executor, run_experiment
from sim.experiments.design import Design, RunKey
from sim.plots.experiments import DailyRuns
from sim.experiments.report import read_daily
from sim.experiments.runner import ExperimentResult, Progress
from sim.experiments.stats import PairedDifference, paired_difference
from sim.experiments.store import ResultsStore
from sim.experiments.worker import RunRecord
from sim.kpis import current_name

from .catalog import experiment_outline, experiment_path
from .spec import Claim, Lesson, Preset

__all__ = ["PresetName", "ClaimCheck", "LessonResult", "preset_of", "preset_overrides", "lesson_design", "default_out",
           "store_folder", "run_lesson", "finish_lesson", "check_claims", "run_claims"]

#: The sizes a lesson runs at.
PresetName = Literal["workshop", "test"]


@dataclass(frozen=True)
class ClaimCheck:
    """A claim measured: the paired difference ``variant − reference`` over replications.

    Attributes
    ----------
    claim : Claim
    reference : str
        The variant compared with.
    diff : PairedDifference
    """

    claim: Claim
    reference: str
    diff: PairedDifference

    @property
    def holds(self) -> bool:
        """The 95 % interval lies entirely on the claimed side of zero (NaN: False)."""
        d = self.diff.diff
        return bool(d.low > 0) if self.claim.direction == "higher" else bool(d.high < 0)


@dataclass(frozen=True)
class LessonResult:
    """A lesson that ran: its design, the experiment's outcome, daily series and checked claims."""

    lesson: Lesson
    preset: PresetName
    design: Design
    experiment: ExperimentResult
    daily: DailyRuns
    claims: tuple[ClaimCheck, ...]

    @property
    def folder(self) -> Path:
        return self.experiment.folder


def preset_of(lesson: Lesson, preset: PresetName) -> Preset:
    return lesson.workshop if preset == "workshop" else lesson.test


def preset_overrides(preset: Preset) -> list[str]:
    """``--set`` lines of a preset: the population (market size kept) and, if given, the days."""
    out = [f"world.population={preset.population}"]
    if preset.days is not None:
        out.append(f"simulation.days={preset.days}")
    return out


def lesson_design(lesson: Lesson, preset: PresetName = "workshop", replications: int | None = None,
                  variants: Sequence[str] | None = None, overrides: Sequence[str] = ()) -> Design:
    """The lesson's experiment at the preset's size.

    Parameters
    ----------
    lesson : Lesson
    preset : {"workshop", "test"}, default "workshop"
    replications : int, optional
        Replace the preset's replications.
    variants : sequence of str, optional
        Keep only these variants, the first of them as the reference (the tests run only
        what the claims compare).
    overrides : sequence of str, default ()
        Further ``--set`` lines, applied last.

    Raises
    ------
    ScenarioError
        If the experiment file or an override is wrong (with the file's line).
    """
    size = preset_of(lesson, preset)
    design = load_experiment(experiment_path(lesson), overrides=[*preset_overrides(size), *overrides],
                             replications=replications or size.replications)
    if variants is None:
        return design
    keep = [v for name in variants for v in design.variants if v.name == name]
    cells = tuple(c for v in keep for c in design.cells if c.variant == v.name)
    return dataclasses.replace(design, variants=tuple(keep), cells=cells)


def default_out(lesson: Lesson) -> Path:
    """Where a lesson's handouts go by default: ``results/lessons/<name>``."""
    return Path("results") / "lessons" / lesson.name


def store_folder(out: Path, design: Design) -> Path:
    """The runs of one design under a handout folder: ``<out>/runs-<digest8>`` (resumable)."""
    return Path(out) / f"runs-{design.digest[:8]}"


def _kpi_values(kpis: Mapping[RunKey, Mapping[str, float]], variant: str, metric: str, reps: int) -> np.ndarray:
    """The KPI ``metric`` (a renamed one read under its new name) of each replication of ``variant``."""
    name = current_name(metric)
    return np.array([kpis.get(RunKey(variant, 0, r), {}).get(name, math.nan) for r in range(reps)], dtype=float)


def check_claims(lesson: Lesson, design: Design, kpis: Mapping[RunKey, Mapping[str, float]]) -> tuple[ClaimCheck, ...]:
    """Measure every claim of ``lesson`` on the runs ``kpis`` of ``design`` (paired by replication)."""
    first = design.variants[0].name
    out = []
    for claim in lesson.claims:
        reference = lesson.reference(claim, first)
        diff = paired_difference(_kpi_values(kpis, claim.variant, claim.metric, design.replications),
                                 _kpi_values(kpis, reference, claim.metric, design.replications))
        out.append(ClaimCheck(claim, reference, diff))
    return tuple(out)


def finish_lesson(lesson: Lesson, preset: PresetName, result: ExperimentResult) -> LessonResult:
    """Read back the daily series and check the claims of an experiment that ran."""
    with ResultsStore.open(result.design, result.folder) as store:
        daily = read_daily(store)
        kpis = {r.key: r.kpis for r in store.current()}
    return LessonResult(lesson, preset, result.design, result, daily, check_claims(lesson, result.design, kpis))


def run_lesson(lesson: Lesson, *, preset: PresetName = "workshop", replications: int | None = None,
               out: Path | None = None, plan: ExecutionPlan = ExecutionPlan(), progress: Progress | None = None) -> LessonResult:
    """Run a lesson (resuming stored runs) and check its claims.

    Parameters
    ----------
    lesson : Lesson
    preset : {"workshop", "test"}, default "workshop"
    replications : int, optional
        Replace the preset's replications.
    out : Path, optional
        Handout folder (default :func:`default_out`); runs go to :func:`store_folder`.
    plan : ExecutionPlan, default local pool on all cores
    progress : callable, optional
        ``progress(finished, total)``.

    Returns
    -------
    LessonResult
    """
    design = lesson_design(lesson, preset, replications)
    folder = store_folder(out or default_out(lesson), design)
    result = run_experiment(design, folder=folder, plan=plan, progress=progress, report=False)
    return finish_lesson(lesson, preset, result)


def run_claims(lessons: Iterable[Lesson], preset: PresetName = "test",
               plan: ExecutionPlan = ExecutionPlan()) -> dict[str, tuple[ClaimCheck, ...]]:
    """Check the claims of many lessons in one pool, running only the variants they compare.

    Identical runs (same scenario and seed, e.g. the baseline in two lessons) run once.

    Returns
    -------
    dict
        Lesson name → its checked claims.
    """
    designs = {}
    for lesson in lessons:
        first = experiment_outline(experiment_path(lesson))[0][0]
        names = [first] + [n for c in lesson.claims for n in (lesson.reference(c, first), c.variant)]
        designs[lesson.name] = (lesson, lesson_design(lesson, preset, variants=list(dict.fromkeys(names))))
    unique = {}
    for _, design in designs.values():
        for task in design.tasks():
            unique.setdefault((task.digest, task.seed), task)
    records: dict[tuple[str, int], RunRecord] = {}
    with open_executor(plan, len(unique)) as executor:
        execute(list(unique.values()), executor, lambda r: records.__setitem__((r.digest, r.seed), r),
                window=plan.window(len(unique)))
    out = {}
    for name, (lesson, design) in designs.items():
        kpis = {t.key: records[(t.digest, t.seed)].kpis for t in design.tasks()}
        out[name] = check_claims(lesson, design, kpis)
    return out
