"""Calibration: fit scenario parameters so chosen KPIs hit target values.

Every candidate runs the same seeds (common random numbers), so the loss is a smooth-ish
deterministic function of the parameters and a derivative-free optimiser (scipy Powell,
Nelder–Mead or differential evolution, :mod:`sim.analysis.search`) can follow it. Runs
go through :func:`sim.analysis.model.evaluate` (the experiments' executors and store:
a candidate run before is read back, not rerun).

Notes
-----
Loss: :math:`L(\\theta) = \\sum_j w_j \\, e_j(\\bar y_j(\\theta))^2` with
:math:`e_j = (y - t_j)/s_j` (zero inside a one-sided bound), :math:`\\bar y_j` the mean
over the fixed seeds and :math:`s_j = |t_j|` unless given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from sim.config.loader import load_model
from sim.config.schema import Scenario
from sim.experiments.executors import ExecutionPlan
from sim.experiments.runner import Progress
from sim.experiments.stats import Interval, mean_ci

from .model import ScenarioModel, evaluate
from .search import minimise, to_values
from .spec import CalibrationSpec

__all__ = ["Calibration", "TargetFit", "calibrate", "load_targets", "write_calibrated"]


@dataclass(frozen=True)
class TargetFit:
    """One target and what the fitted scenario achieves over the seeds."""

    metric: str
    kind: str
    target: float
    achieved: Interval
    per_seed: tuple[float, ...]


@dataclass(frozen=True)
class Calibration:
    """Fitted values (path → value), the loss, the targets achieved, the search's size."""

    fitted: dict[str, float]
    names: dict[str, str]
    loss: float
    targets: tuple[TargetFit, ...]
    evaluations: int
    runs_per_evaluation: int
    folder: Path


def load_targets(path: str | os.PathLike[str]) -> CalibrationSpec:
    """Read and validate a targets file (problems with file:line)."""
    return load_model(Path(path), CalibrationSpec, file=str(path))


def calibrate(scenario: str | os.PathLike[str], targets: str | os.PathLike[str], *, plan: ExecutionPlan = ExecutionPlan(workers=0),
              progress: Progress | None = None, overrides: Sequence[str] = ()) -> Calibration:
    """Fit the targets file's parameters of ``scenario`` to its targets.

    Parameters
    ----------
    scenario : path-like
        The scenario to calibrate.
    targets : path-like
        The targets file (:class:`~sim.analysis.spec.CalibrationSpec`).
    plan : ExecutionPlan, default this process
        Where each candidate's replications run.
    progress : callable, optional
        ``progress(evaluations, budget)``.
    overrides : sequence of str
        ``--set`` changes made last.

    Raises
    ------
    ScenarioError
        Problems in either file, with lines.
    """
    spec = load_targets(targets)
    folder = Path(spec.outputs.dir) / f"calibrate-{spec.name}"
    model = ScenarioModel(targets, spec.name, str(Path(scenario).resolve()), spec.set, tuple(spec.parameters),
                          tuple(t.metric for t in spec.targets), spec.replications, spec.seed, str(folder / "evals"),
                          tuple(overrides))
    count = 0

    def loss(u: np.ndarray) -> float:
        nonlocal count
        y = evaluate(model, to_values(spec.parameters, u)[None, :], plan=plan).Y[0]
        count += 1
        if progress:
            progress(count, spec.optimiser.max_evaluations)
        return float(sum(t.weight * t.error(v) ** 2 for t, v in zip(spec.targets, y)))

    found = minimise(loss, len(spec.parameters), spec.optimiser, seed=spec.seed or 0)
    values = to_values(spec.parameters, found.x)
    per_rep = evaluate(model, values[None, :], plan=plan).per_rep[0]
    fits = tuple(TargetFit(t.metric, t.kind, t.value, mean_ci(per_rep[:, j]), tuple(map(float, per_rep[:, j])))
                 for j, t in enumerate(spec.targets))
    fitted = {p.path: p.value(v) for p, v in zip(spec.parameters, values)}
    return Calibration(fitted, {p.path: p.short for p in spec.parameters}, found.loss, fits, len(found.tried),
                       spec.replications, folder)


def write_calibrated(scenario: str | os.PathLike[str], fitted: dict[str, float], out: Path | None = None) -> Path:
    """Write ``scenario`` with the fitted values as a new YAML file; never overwrites.

    Default name: ``<stem>.calibrated.yaml`` next to it (``…calibrated-2.yaml`` … if taken).
    """
    src = Path(scenario)
    sc = load_model(src, Scenario, overrides=[f"{k}={v}" for k, v in fitted.items()])
    path = out or src.with_name(f"{src.stem}.calibrated.yaml")
    n = 2
    while path.exists():
        path = path.with_name(f"{src.stem}.calibrated-{n}.yaml") if out is None else path.with_name(f"{out.stem}-{n}{out.suffix}")
        n += 1
    header = "# calibrated by socsim calibrate: " + ", ".join(f"{k} = {v:g}" for k, v in fitted.items()) + "\n"
    path.write_text(header + yaml.safe_dump(sc.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path
