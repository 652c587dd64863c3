"""The lesson catalogue: lesson files shipped in ``sim/lessons/catalog/``, read and checked.

Each file is validated by :func:`sim.config.loader.load_model` against
:class:`~sim.lessons.spec.Lesson`, then checked against its experiment file: the claims
and variant labels must name the experiment's variants, and the claimed KPIs must be
among its metrics (so the handout shows them). Every problem carries the lesson file's
line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sim.config.loader import Document, load_model, read_document
from sim.config.overrides import closest, did_you_mean
from sim.errors import Problem, ScenarioError, SocsimError

from .spec import Lesson

__all__ = ["CATALOG", "ROOT", "LessonNotFoundError", "lesson_files", "lesson_names", "load_lesson", "load_catalog",
           "experiment_path", "experiment_outline"]

#: Folder of the shipped lesson files (package data).
CATALOG = Path(__file__).resolve().parent / "catalog"
#: Repository root: experiment paths in lesson files are relative to it.
ROOT = Path(__file__).resolve().parents[2]


class LessonNotFoundError(SocsimError):
    """No lesson of that name."""


def lesson_files() -> list[Path]:
    """The shipped lesson files, sorted by name."""
    return sorted(CATALOG.glob("*.yaml"))


def lesson_names() -> list[str]:
    """Names of the shipped lessons, in catalogue order (the order of :func:`load_catalog`)."""
    return [lesson.name for lesson in load_catalog()]


def experiment_path(lesson: Lesson) -> Path:
    """The lesson's experiment file (absolute)."""
    return (ROOT / lesson.experiment).resolve()


def experiment_outline(path: Path) -> tuple[list[str], list[str]]:
    """Variant names and metrics of an experiment file, read without building its scenarios.

    Raises
    ------
    ScenarioError
        If the file cannot be read as YAML.
    """
    data = read_document(path).data
    variants = [v.get("name") for v in data.get("variants") or [] if isinstance(v, dict)]
    return [str(v) for v in variants if v is not None] or ["base"], [str(m) for m in data.get("metrics") or []]


def _problem(doc: Document, loc: tuple[Any, ...], message: str) -> Problem:
    return Problem(".".join(str(p) for p in loc), message, doc.line_of(loc))


def _check_name(doc: Document, lesson: Lesson | None) -> list[Problem]:
    stem = Path(doc.file).stem
    if lesson is None or doc.file.startswith("<") or lesson.name == stem:
        return []
    return [_problem(doc, ("name",), f"{lesson.name!r} differs from the file name {stem!r}; name the file {lesson.name}.yaml")]


def _check_experiment(doc: Document, lesson: Lesson | None) -> list[Problem]:
    """Claims, labels and metrics agree with the experiment file."""
    if lesson is None:
        return []
    path = experiment_path(lesson)
    if not path.is_file():
        siblings = [f"experiments/lessons/{p.name}" for p in (ROOT / "experiments" / "lessons").glob("*.yaml")]
        return [_problem(doc, ("experiment",), f"{lesson.experiment!r}: no such file (relative to the repository root "
                                               f"{ROOT}){did_you_mean(lesson.experiment, siblings)}")]
    try:
        names, metrics = experiment_outline(path)
    except ScenarioError as exc:
        return [_problem(doc, ("experiment",), f"{lesson.experiment}: {p.render(exc.file)}") for p in exc.problems]
    problems = []
    for i, claim in enumerate(lesson.claims):
        for field in ("variant", "vs"):
            value = getattr(claim, field)
            if value is not None and value not in names:
                problems.append(_problem(doc, ("claims", i, field), f"{value!r} is not a variant of {lesson.experiment}; "
                                                                    f"variants: {', '.join(names)}{did_you_mean(value, names)}"))
        if claim.metric not in metrics:
            problems.append(_problem(doc, ("claims", i, "metric"), f"{claim.metric!r} is not among the metrics of "
                                                                  f"{lesson.experiment} ({', '.join(metrics) or 'none'}); "
                                                                  "add it there so the handout shows it"))
    for missing in [n for n in names if n not in lesson.variants]:
        problems.append(_problem(doc, ("variants",), f"no label for variant {missing!r}; give it {{zh: …, en: …}}"))
    for extra in [n for n in lesson.variants if n not in names]:
        problems.append(_problem(doc, ("variants", extra), f"{extra!r} is not a variant of {lesson.experiment}; "
                                                           f"variants: {', '.join(names)}{did_you_mean(extra, names)}"))
    return problems


def load_lesson(source: str | os.PathLike[str]) -> Lesson:
    """Read and check one lesson: a name from the catalogue or a lesson file.

    Parameters
    ----------
    source : str or os.PathLike
        A lesson name (``price_parity``) or the path of a lesson file (``.yaml``).

    Returns
    -------
    Lesson

    Raises
    ------
    LessonNotFoundError
        If ``source`` is neither a shipped lesson nor a file.
    ScenarioError
        Every problem of the file, each with its line (``file:line: path: message``).
    """
    path = Path(source)
    if path.suffix not in (".yaml", ".yml"):  # a name (a folder of that name, e.g. the handout's, is no lesson file)
        path = CATALOG / f"{source}.yaml"
        if not path.is_file():
            names = [p.stem for p in lesson_files()]
            near = closest(str(source), names, by_words=True)
            raise LessonNotFoundError(f"no lesson {str(source)!r}{did_you_mean(str(source), names, by_words=True)}; "
                                      f"lessons: {', '.join(names)} (socsim lessons lists them)",
                                      key="no_lesson_near" if near else "no_lesson", name=str(source), near=near,
                                      names=", ".join(names))
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("../..") else str(path)
    return load_model(path, Lesson, file=shown, checks=(_check_name, _check_experiment))


def load_catalog() -> list[Lesson]:
    """Every shipped lesson, in teaching order (the order of the workshop programme).

    Raises
    ------
    ScenarioError
        If a lesson file is broken (the first broken file's problems).
    """
    lessons = [load_lesson(p) for p in lesson_files()]
    order = {name: i for i, name in enumerate(TEACHING_ORDER)}
    return sorted(lessons, key=lambda lesson: (order.get(lesson.name, len(order)), lesson.name))


#: The order lessons are listed and taught in: channels first, then growth levers, then risks.
TEACHING_ORDER = ("price_parity", "livestream_lowest_price", "double11_routing", "open_vs_closed", "private_domain", "kol_koc_ads",
                  "content_4i", "referral", "lose_one_lose_150", "segment_targeting")
