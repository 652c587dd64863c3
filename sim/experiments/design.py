"""From an experiment file to a design: one validated scenario per (variant, sweep point).

The design is pure data: cells (scenarios), replications and seeds. It neither runs nor
stores anything (EMA Workbench's split: model, design and execution stay separate).

Every mistake is reported like a scenario mistake, with the experiment file's line: a
change (``set``) that names no field, a value the scenario schema refuses, an unknown
metric. A change is applied to the raw scenario data *before* validation, so a bad value
gets exactly the message it would get in a scenario file.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

from sim import __version__
from sim.config.loader import Document, read_document, read_text, validate_document
from sim.config.overrides import did_you_mean
from sim.kpis import current_name, notice_of
from sim.config.schema import Scenario
from sim.errors import Problem, ScenarioError

from .changes import CellBuilder, Change, Loc, changes_of, cli_changes, code_fingerprint, describe, digest

from .spec import (BRAND_OVERVIEW, DEFAULT_METRICS, DEFAULT_SERIES, MAX_CELLS, MAX_RUNS, Experiment, GridAxis, Sweep, Variant, kpi_names,
                   series_names)

__all__ = ["Design", "Cell", "RunKey", "Task", "Axis", "Point", "VariantInfo", "load_experiment", "adhoc_design",
           "build_design", "is_experiment_file"]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, order=True)
class RunKey:
    """Which run: variant, sweep point (index, 0 without a sweep) and replication."""

    variant: str
    point: int
    rep: int

    @property
    def id(self) -> str:
        """File-name form, e.g. ``strict.p000.r0003``."""
        return f"{self.variant}.p{self.point:03d}.r{self.rep:04d}"


@dataclass(frozen=True)
class Task:
    """What a worker gets: the scenario as plain JSON data and the seed — never a model."""

    key: RunKey
    scenario: dict
    seed: int
    digest: str

    @property
    def label(self) -> str:
        """The run's name in messages: its key."""
        return self.key.id


@dataclass(frozen=True)
class Cell:
    """One scenario of the design: a variant at a sweep point."""

    variant: str
    point: int
    scenario: Scenario
    digest: str

    def payload(self) -> dict:
        return self.scenario.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class Axis:
    """A sweep axis: name, label (with unit) and whether its values are numbers."""

    name: str
    label: str
    numeric: bool


@dataclass(frozen=True)
class Point:
    """A sweep point: index, label and coordinates (axis name → value)."""

    index: int
    label: str
    coords: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VariantInfo:
    name: str
    description: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class Design:
    """A resolved experiment: cells × replications, with seeds and what to report.

    Attributes
    ----------
    digest : str
        SHA-256 of the socsim version, the model's source (:func:`code_fingerprint`), the
        seed and every cell's scenario. Two designs with the same digest run identical
        simulations, so their runs may share a folder;
        replications and metrics are not part of it (more replications extend a folder).
    """

    name: str
    description: str
    source: str
    source_text: str
    variants: tuple[VariantInfo, ...]
    axes: tuple[Axis, ...]
    points: tuple[Point, ...]
    cells: tuple[Cell, ...]
    replications: int
    seed: int
    metrics: tuple[str, ...]
    series: tuple[str, ...]
    out_dir: str
    report: bool
    is_sweep: bool
    digest: str

    def seed_of(self, rep: int) -> int:
        """Seed of replication ``rep`` in every variant and point (common random numbers)."""
        return self.seed + rep

    def cell(self, variant: str, point: int) -> Cell:
        return self._index[(variant, point)]

    @cached_property
    def _index(self) -> dict[tuple[str, int], Cell]:
        return {(c.variant, c.point): c for c in self.cells}

    def tasks(self) -> list[Task]:
        """Every run, replication by replication (so early results cover every variant)."""
        payloads = {(c.variant, c.point): c.payload() for c in self.cells}
        return [Task(RunKey(c.variant, c.point, r), payloads[(c.variant, c.point)], self.seed_of(r), c.digest)
                for r in range(self.replications) for c in self.cells]

    @property
    def brands(self) -> tuple[str, ...]:
        """The brands of the market, in order (over every cell)."""
        return tuple(dict.fromkeys(b.name for c in self.cells for b in c.scenario.brands))

    @property
    def overview(self) -> tuple[str, ...]:
        """:data:`~sim.experiments.spec.BRAND_OVERVIEW` of every brand: summarised whatever ``metrics`` lists."""
        return tuple(f"{b}.{m}" for b in self.brands for m in BRAND_OVERVIEW)

    def keys(self) -> list[RunKey]:
        """Every run's key, in the order of :meth:`tasks`."""
        return [RunKey(c.variant, c.point, r) for r in range(self.replications) for c in self.cells]


# --------------------------------------------------------------------------- sweep
#: Sweep points, the changes at each, the line to blame for each, and the axes.
_Points = tuple[list[Point], list[list[Change]], list[Loc], tuple[Axis, ...]]


def _grid_points(sweep: Sweep) -> _Points:
    """Every combination of the grid's values, first axis slowest."""
    axes: list[GridAxis] = sweep.grid or []
    points, changes, locs = [], [], []
    for index, combo in enumerate(itertools.product(*(range(len(a.values)) for a in axes))):
        coords = {a.short: a.values[k] for a, k in zip(axes, combo)}
        label = ", ".join(f"{name}={_fmt(v)}" for name, v in coords.items())
        points.append(Point(index, label, coords))
        changes.append([Change(a.path, a.values[k], ("sweep", "grid", str(j), "values", str(k)), "")
                        for j, (a, k) in enumerate(zip(axes, combo))])
        locs.append(("sweep", "grid", str(len(axes) - 1), "values", str(combo[-1])))
    numeric = [all(_is_number(v) for v in a.values) for a in axes]
    return points, changes, locs, tuple(Axis(a.short, a.label or a.short, n) for a, n in zip(axes, numeric))


def _list_points(sweep: Sweep, b: CellBuilder) -> _Points:
    """The listed points; their ``at`` coordinates on ``sweep.axes`` (default: the first point's keys)."""
    pts = sweep.points or []
    names = sweep.axes or (list(pts[0].at) if pts and 0 < len(pts[0].at) <= 2 else [])
    points, changes, locs = [], [], []
    for i, p in enumerate(pts):
        missing = [n for n in names if n not in p.at]
        if missing:
            b.problem(("sweep", "points", str(i), "at"), f"no coordinate {missing[0]!r}; every point needs one value "
                                                          f"per axis ({', '.join(names)})")
        coords = {n: p.at.get(n) for n in names}
        label = p.label or (", ".join(f"{n}={_fmt(v)}" for n, v in coords.items()) if coords else f"point {i}")
        points.append(Point(i, label, coords))
        found, problems = changes_of(p.set, ("sweep", "points", str(i), "set"))
        b.problems += problems
        changes.append(found)
        locs.append(("sweep", "points", str(i)))
    labels = [p.label for p in points]
    for i, label in enumerate(labels):
        if label in labels[:i]:
            b.problem(("sweep", "points", str(i), "label"), f"label {label!r} is used twice; labels must be unique")
    return points, changes, locs, tuple(Axis(n, sweep.labels.get(n, n), True) for n in names)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------- metrics
def _brand_names(cells: Sequence[Cell]) -> dict[str, tuple[list[str], list[str]]]:
    """Brand → (selling channels, priced channels), over all cells."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for cell in cells:
        sc = cell.scenario
        for brand in sc.brands:
            selling, priced = out.setdefault(brand.name, ([], []))
            for key in brand.listings():
                if sc.channels[key].transacts and key not in selling:
                    selling.append(key)
                if key not in priced:
                    priced.append(key)
    return out


def _resolve_names(b: CellBuilder, given: Sequence[str], defaults: Sequence[str], field_: str,
                   brands: dict[str, tuple[list[str], list[str]]]) -> tuple[str, ...]:
    """``brand.name`` for every metric or series; a name without a brand means the first brand.

    A renamed or redefined KPI (:mod:`sim.kpis`) is read as its current name, with a notice.
    """
    first = next(iter(brands), "")
    catalogue = {brand: set(kpi_names(ch[0]) if field_ == "metrics" else series_names(*ch)) for brand, ch in brands.items()}
    out = []
    for i, name in enumerate(given or defaults):
        brand, _, rest = name.partition(".")
        if brand not in brands:
            brand, rest = first, name
        where = (field_, str(i)) if given else (field_,)
        if given and notice_of(rest):  # the defaults are current names
            b.notice(where, notice_of(f"{brand}.{rest}"))
            rest = current_name(rest)
        if rest in catalogue.get(brand, ()):
            out.append(f"{brand}.{rest}")
            continue
        allowed = sorted(catalogue.get(brand, ()), key=lambda n: (n.count("."), n))
        hint = did_you_mean(rest, allowed)
        b.problem(where, f"unknown {'KPI' if field_ == 'metrics' else 'daily series'} {name!r}{hint}; write brand.name "
                         f"(brands: {', '.join(brands)}); names for {brand}: {', '.join(allowed[:30])}"
                         f"{' …' if len(allowed) > 30 else ''} (docs/EXPERIMENTS.md lists them all)")
    return tuple(out)


# --------------------------------------------------------------------------- building
def _points(exp: Experiment, b: CellBuilder) -> _Points:
    """Sweep points with their changes and lines; one empty point without a sweep."""
    if exp.sweep is None:
        return [Point(0, "")], [[]], [()], ()
    return _grid_points(exp.sweep) if exp.sweep.grid is not None else _list_points(exp.sweep, b)


def _cells(exp: Experiment, b: CellBuilder, points: _Points, first: list[Change],
           last: list[Change]) -> tuple[list[Cell], list[VariantInfo]]:
    """One validated scenario per variant × point (problems collected in ``b``).

    Changes apply in order: ``first`` (the experiment's ``set``), the variant's, the
    point's, ``last`` (command-line ``--set``).
    """
    cells, infos = [], []
    for i, v in enumerate(exp.variants or [Variant(name="base")]):
        vloc: Loc = ("variants", str(i)) if exp.variants else ("base",)
        own, problems = changes_of(v.set, (*vloc, "set"))
        b.problems += problems
        infos.append(VariantInfo(v.name, v.description, describe(own)))
        base = b.base(v.scenario, (*vloc, "scenario")) if v.scenario else b.base(exp.base or "", ("base",))
        if base is None:
            continue
        for point, extra, ploc in zip(*points[:3]):
            context = f"variant {v.name}" + (f", sweep point {point.label}" if exp.sweep else "")
            sc = b.cell(base, [*first, *own, *extra, *last], ploc if extra else vloc, context)
            if sc is not None:
                cells.append(Cell(v.name, point.index, sc, digest(sc.model_dump(mode="json", by_alias=True))))
    return cells, infos


def _check_size(exp: Experiment, b: CellBuilder) -> None:
    """Refuse, before building anything, more than :data:`MAX_CELLS` scenarios or :data:`MAX_RUNS` runs."""
    sweep = exp.sweep
    n_points = (math.prod(len(a.values) for a in sweep.grid) if sweep.grid is not None else len(sweep.points or [])) \
        if sweep is not None else 1
    n_cells = max(len(exp.variants), 1) * max(n_points, 1)
    runs = n_cells * exp.replications
    if n_cells > MAX_CELLS:
        b.problem(("sweep",), f"{n_cells:,} scenarios (variants × points); at most {MAX_CELLS:,}")
    elif runs > MAX_RUNS:
        b.problem(("replications",), f"{n_cells:,} scenarios × {exp.replications:,} replications = {runs:,} runs; "
                                     f"at most {MAX_RUNS:,} in one experiment")
    if n_cells > MAX_CELLS or runs > MAX_RUNS:
        raise ScenarioError(b.doc.file, b.problems)


def _build(exp: Experiment, doc: Document, source_text: str, overrides: Sequence[str]) -> Design:
    b = CellBuilder(doc)
    common, problems = changes_of(exp.set, ("set",))
    cli, cli_problems = cli_changes(overrides)
    b.problems += problems + cli_problems
    _check_size(exp, b)
    points = _points(exp, b)
    cells, infos = _cells(exp, b, points, common, cli)
    if b.problems:
        raise ScenarioError(doc.file, _unique(b.problems))
    brands = _brand_names(cells)
    metrics = _resolve_names(b, exp.metrics, DEFAULT_METRICS, "metrics", brands)
    series = _resolve_names(b, exp.series, DEFAULT_SERIES, "series", brands)
    if b.problems:
        raise ScenarioError(doc.file, _unique(b.problems))
    seed = exp.seed if exp.seed is not None else cells[0].scenario.simulation.seed
    design_digest = digest({"socsim": __version__, "code": code_fingerprint(), "seed": seed, "cells": [[c.variant, c.point, c.digest] for c in cells]})
    return Design(
        name=exp.name, description=exp.description, source=doc.file, source_text=source_text,
        variants=tuple(infos), axes=points[3], points=tuple(points[0]), cells=tuple(cells),
        replications=exp.replications, seed=seed, metrics=metrics, series=series, out_dir=exp.outputs.dir,
        report=exp.outputs.report, is_sweep=exp.sweep is not None, digest=design_digest,
    )


# --------------------------------------------------------------------------- public API
def _unique(problems: Sequence[Problem]) -> list[Problem]:
    """Each problem once (a bad variant fails at every sweep point), sorted by line."""
    seen, out = set(), []
    for p in problems:
        key = (p.line, p.path, re.sub(r" \(variant [^)]*\)$", "", p.message))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return sorted(out, key=lambda p: (p.line is not None, p.line or 0))


def is_experiment_file(path: str | os.PathLike[str]) -> bool:
    """True for an experiment file, False for a scenario file (it has ``brands``).

    Raises
    ------
    ScenarioError
        If the file cannot be read as YAML.
    """
    return "brands" not in read_document(Path(path)).data


def load_experiment(
    path: str | os.PathLike[str], *, overrides: Sequence[str] = (), replications: int | None = None,
    seed: int | None = None,
) -> Design:
    """Read, validate and resolve an experiment file.

    Parameters
    ----------
    path : str or os.PathLike
        The experiment YAML file.
    overrides : sequence of str, default ()
        ``dotted.path=value`` changes applied to every scenario last (like ``--set``).
    replications, seed : int, optional
        Replace the file's ``replications`` and ``seed``.

    Returns
    -------
    Design
        One validated scenario per variant × sweep point.

    Raises
    ------
    ScenarioError
        Every problem with the experiment file's line: unknown keys, changes naming no
        field, values the scenario schema refuses, unknown metrics, a base scenario that
        does not load.
    """
    doc = read_document(Path(path), file=str(path))
    exp = validate_document(doc, Experiment)
    exp = _with(exp, replications, seed)
    return _build(exp, doc, read_text(Path(path)), overrides)


def _with(exp: Experiment, replications: int | None, seed: int | None) -> Experiment:
    update: dict[str, Any] = {}
    if replications is not None:
        update["replications"] = replications
    if seed is not None:
        update["seed"] = seed
    return Experiment.model_validate({**exp.model_dump(), **update}) if update else exp


def adhoc_design(
    scenarios: Sequence[str | os.PathLike[str]], *, replications: int = 10, seed: int | None = None,
    overrides: Sequence[str] = (), metrics: Sequence[str] = (),
) -> Design:
    """A comparison of scenario files, each a variant named after its file (``socsim compare a.yaml b.yaml``).

    Parameters are as for :func:`load_experiment`; ``metrics`` as in an experiment file.

    Raises
    ------
    ScenarioError
        If a scenario does not load or an override or metric is wrong.
    """
    names: list[str] = []
    for p in scenarios:
        name = re.sub(r"[^A-Za-z0-9_\-]", "_", Path(p).stem)[:60] or "scenario"
        names.append(name if name not in names else f"{name}_{len(names)}")
    variants = [{"name": n, "scenario": str(Path(p).resolve())} for n, p in zip(names, scenarios)]
    data = {"name": "_vs_".join(names)[:64], "variants": variants, "replications": replications, "seed": seed,
            "metrics": list(metrics)}
    text = json.dumps({**data, "set": list(overrides)}, indent=2)
    return build_design(data, Document("<command line>", {}, {}, Path.cwd()), text, overrides)


def build_design(data: dict, origin: Document, source_text: str, overrides: Sequence[str] = ()) -> Design:
    """The design of an experiment given as plain data rather than read from an experiment file.

    For commands that make an experiment of their own (``compare`` of scenario files,
    the analyses' parameter points): ``data`` has the fields of an experiment file.

    Parameters
    ----------
    data : dict
        An experiment (:class:`~sim.experiments.spec.Experiment` fields).
    origin : Document
        The file the experiment stands for: relative paths (``base``, ``scenario``)
        resolve against its folder, and problems name it and, where a path of ``data``
        is also written there, its line.
    source_text : str
        Kept with the results (``experiment.yaml`` of the results folder).
    overrides : sequence of str
        ``--set`` changes made last.

    Raises
    ------
    ScenarioError
        As :func:`load_experiment`.
    """
    doc = Document(origin.file, data, origin.lines, origin.base_dir, origin.problems)
    return _build(validate_document(doc, Experiment), doc, source_text, overrides)
