"""Which published figures does a scenario meet? (``socsim calibrate --report``)

Measures a scenario as it is — by default the bundled baseline — against the figures in
``scenarios/targets/``: every KPI target of a targets file (``targets:``, e.g. the
practitioner articles' Tmall conversion and spill-over in ``seed_facts.yaml``) and the
published elasticity ranges of ``elasticity.yaml`` (own-price elasticity of every brand,
category elasticity, share of lost orders won by rivals). One paired design serves both:
the runs of ``socsim elasticity`` (the scenario, each brand's prices raised, every price
raised; same seeds in every variant); the KPI targets are read from the runs of the
scenario as it is. Nothing is fitted and no input of the targets files (``set:``) is
applied: the report says what the scenario ships with.

Notes
-----
A KPI target is *met* when the mean over the replications is within :data:`TOLERANCE`
of the target (``equal``; 15 % ± 1.5 pp), at or above it (``at_least``) or at or below
it (``at_most``); an elasticity range is met when the mean lies inside it. Each figure
is shown with its 95 % interval, so a reader can see when a verdict rests on noise.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from sim.config.loader import load_scenario
from sim.experiments.elasticity import (BASE, ElasticityResult, elasticity_design, load_elasticity_targets, measure,
                                        verdict)
from sim.experiments.executors import ExecutionPlan
from sim.experiments.runner import Progress
from sim.experiments.stats import Interval, mean_ci
from sim.experiments.store import write_csv
from sim.experiments.tables import format_human, metric_label
from sim.files import strict_json

from .calibrate import load_targets

__all__ = ["TARGETS_DIR", "TOLERANCE", "TargetCheck", "TargetsReport", "targets_report", "write_report", "REPORT_HEADER",
           "report_verdict"]

#: The bundled targets: the practitioner articles' figures and the published elasticity ranges.
TARGETS_DIR = Path(__file__).resolve().parents[2] / "scenarios" / "targets"
#: How close a two-sided KPI target must be met, as a share of the target (15 % → ± 1.5 pp, as seed_facts.yaml states).
TOLERANCE = 0.10


@dataclass(frozen=True)
class TargetCheck:
    """One published figure against what the scenario gives.

    Attributes
    ----------
    figure : str
        What is measured, in words (``Tmall conversion · focal``).
    key : str
        The KPI (``focal.channels.tmall.conversion``) or elasticity measure (``own.focal``).
    target : str
        The published figure or range, in words (``15% ± 1.5 pp``, ``−3.5 to −1.5``).
    measured : Interval
        Mean over the replications with its 95 % interval.
    met : bool
    source : str
        The published source, in a few words.
    file : str
        The targets file it is read from (``seed_facts.yaml``).
    """

    figure: str
    key: str
    target: str
    measured: Interval
    met: bool
    source: str
    file: str

    def measured_text(self) -> str:
        """``11.7% (95 % CI 11.5% to 11.9%)`` for a KPI; elasticities and shares as ``socsim elasticity`` prints them."""
        fmt = _formatter(self.key)
        v = self.measured
        return fmt(v.mean) + ("" if math.isnan(v.low) else f" (95 % CI {fmt(v.low)} to {fmt(v.high)})")


@dataclass(frozen=True)
class TargetsReport:
    """The checks, the runs they rest on and where they are stored."""

    scenario: str
    replications: int
    seeds: tuple[int, int]
    checks: tuple[TargetCheck, ...]
    folder: Path
    elasticity: ElasticityResult


def targets_report(scenario: str | os.PathLike[str], folder: Path, *, targets_dir: Path = TARGETS_DIR,
                   replications: int = 6, seed: int | None = None, overrides: Sequence[str] = (),
                   plan: ExecutionPlan = ExecutionPlan(workers=0), progress: Progress | None = None) -> TargetsReport:
    """Measure ``scenario`` against every KPI target and elasticity range in ``targets_dir``.

    Parameters
    ----------
    scenario : path
        The scenario file, as it is (``overrides``, ``path=value`` lines, apply first: run size).
    folder : Path
        A new results folder: the paired runs (``runs/``), the elasticity files and the report.
    targets_dir : Path, default the bundled scenarios/targets
        Every ``*.yaml`` with a ``targets:`` list is read, and ``elasticity.yaml``.
    replications : int, default 6
        Seeds ``seed`` … ``seed + replications − 1`` in every variant.

    Raises
    ------
    SocsimError
        An invalid targets file (file:line:field), fewer than 2 replications, an existing folder.
    """
    from sim.errors import SocsimError

    if replications < 2:
        raise SocsimError(f"--reps: got {replications}; give at least 2 replications (an interval needs two)")
    path = Path(scenario)
    sc = load_scenario(path, list(overrides))
    ranges = load_elasticity_targets(targets_dir / "elasticity.yaml")
    design = elasticity_design(path, sc, brands=[b.name for b in sc.brands], step=ranges.step,
                               replications=replications, seed=seed, changes=overrides)
    result = measure(design, folder, step=ranges.step, targets=ranges, plan=plan, progress=progress)
    base = _base_kpis(folder / "runs" / "runs.csv")
    checks = [*_kpi_checks(targets_dir, base), *_range_checks(result)]
    return TargetsReport(sc.name, replications, (design.seed, design.seed_of(replications - 1)), tuple(checks), folder, result)


def _base_kpis(runs_csv: Path) -> dict[str, list[float]]:
    """KPI → its values in the runs of the scenario as it is (one per replication)."""
    with runs_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["variant"] == BASE]
    kpis = [k for k in (rows[0] if rows else ()) if "." in k]  # brand.kpi columns; the others name the run
    return {k: [float(r[k]) if r[k] else math.nan for r in rows] for k in kpis}


def _kpi_checks(targets_dir: Path, base: dict[str, list[float]]) -> list[TargetCheck]:
    checks = []
    for path in sorted(targets_dir.glob("*.yaml")):
        if path.name == "elasticity.yaml":
            continue
        spec = _calibration_spec(path)
        for t in spec.targets if spec is not None else ():
            value = mean_ci(base.get(t.metric, [math.nan]))
            wanted, met = _judged(t, value.mean)
            checks.append(TargetCheck(metric_label(t.metric), t.metric, wanted, value, met,
                                      t.source or "no source given", path.name))
    return checks


def _judged(target, mean: float) -> tuple[str, bool]:
    """The target in words (``15.0% ± 1.5 pp``, ``≥ 50.0%``) and whether ``mean`` meets it (see the module's Notes)."""
    fmt = _formatter(target.metric)
    if target.kind == "equal":
        tolerance = abs(target.value) * TOLERANCE
        spread = format_human(target.metric, tolerance, True).lstrip("+")  # a share's tolerance in points: ± 1.5 pp
        return f"{fmt(target.value)} ± {spread}", bool(abs(mean - target.value) <= tolerance)
    if target.kind == "at_least":
        return f"≥ {fmt(target.value)}", bool(mean >= target.value)
    return f"≤ {fmt(target.value)}", bool(mean <= target.value)


def _calibration_spec(path: Path):
    """The targets file's spec, or None for a file of another kind (an experiment such as word_of_mouth.yaml)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return load_targets(path) if isinstance(data, dict) and "parameters" in data else None


def _range_checks(result: ElasticityResult) -> list[TargetCheck]:
    checks = []
    for e in result.estimates:
        bound, said = verdict(e, result.targets)
        if not said:
            continue
        key = f"{e.measure}.{e.brand}" if e.brand else e.measure
        shown = (" and ".join(f"{'≥' if x is bound.low else '≤'} {x:.0%}" for x in (bound.low, bound.high) if x is not None)
                 if e.measure == "diversion" else bound.describe())
        checks.append(TargetCheck(e.label, key, shown, e.value, said == "in range", bound.source, "elasticity.yaml"))
    return checks


def _formatter(key: str):
    """How a figure is written: a share as a percentage, an elasticity signed, a KPI as the tables write it."""
    if key.startswith("diversion"):
        return lambda x: f"{x:.0%}".replace("-", "−")
    if key.split(".")[0] in ("own", "category", "cross"):
        return lambda x: f"{x:+.2f}".replace("-", "−")
    return lambda x: format_human(key, x)


def report_verdict(report: TargetsReport) -> str:
    """``Verdict: baseline meets 6 of 7 published figures (6 replications, seeds 42–47; …)``."""
    met = sum(c.met for c in report.checks)
    return (f"Verdict: {report.scenario} meets {met} of {len(report.checks)} published figures ({report.replications} "
            f"replications, seeds {report.seeds[0]}–{report.seeds[1]}; met: the mean within the range, or within "
            f"{TOLERANCE:.0%} of a point target)")


#: Columns of targets_report.csv.
REPORT_HEADER = ("figure", "key", "target", "measured", "ci_low", "ci_high", "replications", "met", "source", "file")


def write_report(report: TargetsReport) -> tuple[Path, Path]:
    """``targets_report.csv`` (every digit) and ``targets_report.json`` (strict JSON) in the report's folder."""
    rows = [[c.figure, c.key, c.target, c.measured.mean, c.measured.low, c.measured.high, c.measured.n,
             "yes" if c.met else "no", c.source, c.file] for c in report.checks]
    table = write_csv(report.folder / "targets_report.csv", REPORT_HEADER, rows)
    doc = {"verdict": report_verdict(report), "scenario": report.scenario, "replications": report.replications, "seeds": list(report.seeds),
           "tolerance": TOLERANCE, "met": sum(c.met for c in report.checks), "figures": len(report.checks),
           "checks": [dict(zip(REPORT_HEADER, row)) for row in rows]}
    path = report.folder / "targets_report.json"
    path.write_text(strict_json(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return table, path
