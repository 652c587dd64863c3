"""Calibration: fit scenario parameters so chosen KPIs hit target values and observed daily series.

Every candidate runs the same seeds (common random numbers), so the loss is a smooth-ish
deterministic function of the parameters and a derivative-free optimiser (scipy Powell,
Nelder–Mead or differential evolution, :mod:`sim.analysis.search`) can follow it. Runs
go through :func:`sim.analysis.model.evaluate` (the experiments' executors and store:
a candidate run before is read back, not rerun).

Notes
-----
Loss: :math:`L(\\theta) = \\sum_j w_j \\, e_j(\\bar y_j(\\theta))^2 + \\sum_k w_k \\, \\mathrm{NRMSE}_k^2`
with :math:`e_j = (y - t_j)/s_j` (zero inside a one-sided bound), :math:`\\bar y_j` the
mean over the fixed seeds and :math:`s_j = |t_j|` unless given; for an observed daily
series :math:`\\mathrm{NRMSE}_k^2 = \\frac{1}{|D|}\\sum_{t \\in D} ((\\bar x_t - o_t)/s_k)^2`
over the observed days :math:`D`, :math:`\\bar x_t` the simulated series' mean over the
seeds and :math:`s_k` the mean observed value unless given. A KPI target and a whole
series thus weigh alike: one squared relative error each. A file with ``elasticity``
adds the squared errors of the market's elasticities against their published ranges,
measured on paired price-rise variants of every candidate
(:mod:`sim.analysis.price_response`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from sim.config.loader import Document, load_model, read_document, validate_document
from sim.config.schema import Scenario
from sim.experiments.executors import ExecutionPlan, open_executor
from sim.experiments.runner import Progress
from sim.experiments.stats import Interval, mean_ci
from sim.experiments.store import write_csv
from sim.files import confined

from .model import Evaluation, ScenarioModel, evaluate
from .observed import check_observed, read_observed
from .price_response import PriceFit, PriceTargets, fit_variants, orders_of, price_fits, price_loss, read_price_targets
from .search import minimise, to_values
from .spec import CalibrationSpec

__all__ = ["Calibration", "TargetFit", "SeriesFit", "calibrate", "load_targets", "write_calibrated"]


@dataclass(frozen=True)
class TargetFit:
    """One target and what the fitted scenario achieves over the seeds."""

    metric: str
    kind: str
    target: float
    achieved: Interval
    per_seed: tuple[float, ...]


@dataclass(frozen=True)
class SeriesFit:
    """One observed daily series and how the fitted scenario's series matches it.

    Attributes
    ----------
    series, csv, column : str
    days : int
        Days observed (non-empty cells).
    nrmse : float
        Root mean squared error of the seeds' mean series over the observed days, over the scale.
    nrmse_per_seed : tuple of float
        The same for each seed's series alone (its spread shows the model's own noise).
    observed_mean : float
        Mean over the observed days (orders a day, or the average stock of people).
    simulated_mean : Interval
        Mean over the same days, then over the seeds with its 95 % interval.
    """

    series: str
    csv: str
    column: str
    days: int
    nrmse: float
    nrmse_per_seed: tuple[float, ...]
    observed_mean: float
    simulated_mean: Interval


@dataclass(frozen=True)
class Calibration:
    """Fitted values (path → value), the loss, the targets and series achieved, the search's size."""

    fitted: dict[str, float]
    names: dict[str, str]
    loss: float
    targets: tuple[TargetFit, ...]
    evaluations: int
    runs_per_evaluation: int
    folder: Path
    series: tuple[SeriesFit, ...] = ()
    files: tuple[Path, ...] = ()
    prices: tuple[PriceFit, ...] = ()


def load_targets(path: str | os.PathLike[str], scenario: str | os.PathLike[str] | None = None) -> CalibrationSpec:
    """Read and validate a targets file and its observed CSV files (problems with file:line).

    With ``scenario``, the observed series are also checked against it as ``socsim
    calibrate`` would run it (series names, one row per simulated day), so a file that
    validates is one that calibrates.
    """
    doc, spec, observed, prices = _read_targets(path)
    if scenario is not None:
        _model_of(scenario, path, doc, spec, observed, (), prices)
    return spec


def _read_targets(path: str | os.PathLike[str]) -> tuple[Document, CalibrationSpec, tuple[np.ndarray, ...],
                                                          PriceTargets | None]:
    """The targets file's document (for lines), its spec, the observed series of its CSV
    files and its elasticity ranges (if it names them)."""
    doc = read_document(Path(path), file=str(path))
    spec = validate_document(doc, CalibrationSpec)
    return doc, spec, read_observed(doc, spec), read_price_targets(doc, spec)


def _model_of(scenario: str | os.PathLike[str], targets: str | os.PathLike[str], doc: Document, spec: CalibrationSpec,
              observed: Sequence[np.ndarray], overrides: Sequence[str], prices: PriceTargets | None) -> ScenarioModel:
    """The scenario model a calibration searches, its observed series checked against the scenario as it will run."""
    folder = confined(spec.outputs.dir, f"calibrate-{spec.name}")
    model = ScenarioModel(targets, spec.name, str(Path(scenario).resolve()), spec.set, tuple(spec.parameters),
                          tuple(t.metric for t in spec.targets), spec.replications, spec.seed, str(folder / "evals"),
                          tuple(overrides), tuple(o.series for o in spec.observed))
    start = to_values(spec.parameters, np.array([p.unit_start() for p in spec.parameters]))
    if spec.observed:  # checked against the scenario as it will run (days, brands, channels) before any run
        check_observed(doc, spec, observed, model.design(start[None, :]).cells[0].scenario)
    if prices is not None:  # every brand's orders (and what else the elasticities read)
        brands = [b.name for b in model.design(start[None, :]).cells[0].scenario.brands]
        wanted = [f"{b}.orders" for b in brands] + list(prices.extra_metrics(brands))
        model = replace(model, metrics=model.metrics + tuple(m for m in wanted if m not in model.metrics))
    return model


def _price_orders(model: ScenarioModel, values: np.ndarray, brands: Sequence[str], variants: dict, plan: ExecutionPlan,
                  executor, prices: PriceTargets) -> dict[str, np.ndarray]:
    """Variant → (replications, columns) at ``values``: every brand's orders, then the
    targets' extra metrics, for the candidate as is and its paired variants."""
    columns = [model.metrics.index(m) for m in [f"{b}.orders" for b in brands] + list(prices.extra_metrics(brands))]

    def orders(_name: str, changes: dict) -> np.ndarray:
        return evaluate(model, values[None, :], plan=plan, executor=executor, fixed=changes).per_rep[0][:, columns]

    return orders_of(orders, variants)


def _loss(spec: CalibrationSpec, observed: Sequence[np.ndarray], ev: Evaluation) -> float:
    """Σ w·e² over KPI targets (means over seeds) + Σ w·NRMSE² over observed series (mean series)."""
    kpis = sum(t.weight * t.error(v) ** 2 for t, v in zip(spec.targets, ev.Y[0]))
    if not spec.observed:
        return float(kpis)
    mean = ev.daily[0].mean(axis=0)
    return float(kpis + sum(o.weight * o.error2(x, v) for o, x, v in zip(spec.observed, mean, observed)))


def calibrate(scenario: str | os.PathLike[str], targets: str | os.PathLike[str], *, plan: ExecutionPlan = ExecutionPlan(workers=0),
              progress: Progress | None = None, overrides: Sequence[str] = ()) -> Calibration:
    """Fit the targets file's parameters of ``scenario`` to its KPI targets and observed series.

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
        Problems in either file or in an observed CSV file, with lines.
    """
    from ..plots.analysis import convergence_chart

    doc, spec, observed, prices = _read_targets(targets)
    folder = confined(spec.outputs.dir, f"calibrate-{spec.name}")
    model = _model_of(scenario, targets, doc, spec, observed, overrides, prices)
    start = np.array([p.unit_start() for p in spec.parameters])
    base = model.design(to_values(spec.parameters, start)[None, :]).cells[0].scenario
    brands = [b.name for b in base.brands]
    variants = fit_variants(prices, base) if prices else {}
    count = 0
    with open_executor(plan, spec.replications) as executor:  # one worker pool for the whole search

        def loss(u: np.ndarray) -> float:
            nonlocal count
            values = to_values(spec.parameters, u)
            ev = evaluate(model, values[None, :], plan=plan, executor=executor)
            count += 1
            if progress:
                progress(count, spec.optimiser.max_evaluations)
            if prices is None:
                return _loss(spec, observed, ev)
            return _loss(spec, observed, ev) + price_loss(
                prices, _price_orders(model, values, brands, variants, plan, executor, prices), brands)

        found = minimise(loss, len(spec.parameters), spec.optimiser, seed=spec.seed or 0, start=start)
        values = to_values(spec.parameters, found.x)
        best = evaluate(model, values[None, :], plan=plan, executor=executor)
        fitted_prices = price_fits(prices, _price_orders(model, values, brands, variants, plan, executor, prices),
                                   brands) if prices else ()
    fits = tuple(TargetFit(t.metric, t.kind, t.value, mean_ci(best.per_rep[0, :, j]), tuple(map(float, best.per_rep[0, :, j])))
                 for j, t in enumerate(spec.targets))
    series = _series_fits(spec, observed, best)
    files = (_write_series(folder / "observed_vs_simulated.csv", spec, observed, best),) if spec.observed else ()
    files += (convergence_chart([("calibration", [loss for _, loss in found.tried])], folder / "convergence.png",
                                f"Calibration of {spec.name}: loss of each candidate",
                                f"{spec.optimiser.method}, {len(found.tried)} candidates × {spec.replications} seeds"),)
    fitted = {p.path: p.value(v) for p, v in zip(spec.parameters, values)}
    return Calibration(fitted, {p.path: p.short for p in spec.parameters}, found.loss, fits, len(found.tried),
                       spec.replications, folder, series, files, fitted_prices)


def _series_fits(spec: CalibrationSpec, observed: Sequence[np.ndarray], best: Evaluation) -> tuple[SeriesFit, ...]:
    out = []
    for k, (obs, values) in enumerate(zip(spec.observed, observed)):
        runs = best.daily[0, :, k]  # (seeds, days)
        seen = np.isfinite(values)
        out.append(SeriesFit(obs.series, obs.csv, obs.column, int(seen.sum()), obs.error2(runs.mean(axis=0), values) ** 0.5,
                             tuple(obs.error2(r, values) ** 0.5 for r in runs), float(values[seen].mean()),
                             mean_ci(runs[:, seen].mean(axis=1))))
    return tuple(out)


def _write_series(path: Path, spec: CalibrationSpec, observed: Sequence[np.ndarray], best: Evaluation) -> Path:
    """Day by day: each observed series next to the fitted scenario's mean, min and max over the seeds."""
    runs = best.daily[0]  # (seeds, series, days)
    header = ["day"] + [f"{o.series}.{what}" for o in spec.observed for what in ("observed", "mean", "min", "max")]
    rows = [[t] + [v for k in range(len(spec.observed)) for v in
                   (float(observed[k][t]), float(runs[:, k, t].mean()), float(runs[:, k, t].min()), float(runs[:, k, t].max()))]
            for t in range(runs.shape[-1])]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, header, rows)


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
