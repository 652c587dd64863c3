"""Global sensitivity analysis: Morris elementary effects and Sobol indices (SALib).

Three separate steps, so a plain function and the simulator take the same path:

1. :func:`sample` — the design: a Morris trajectory sample or a Saltelli/Sobol sample
   of the parameters' ranges (seeded);
2. :func:`sim.analysis.model.evaluate` — the runs, on any executor (local pool, Dask,
   this process), resumable for scenario models;
3. :func:`analyse` — the indices per output, ranked.

:func:`run_sensitivity` ties them together for ``socsim sensitivity``.

Notes
-----
Morris: for each parameter the elementary effects
:math:`EE_i = (y(x + \\Delta e_i) - y(x)) / \\Delta` along ``r`` trajectories;
:math:`\\mu^* = \\overline{|EE_i|}` ranks importance, :math:`\\sigma = sd(EE_i)` flags
interaction or non-linearity. With common random numbers (every point of a replication
runs the same seed) a parameter the model ignores has every :math:`EE_i = 0` exactly.
Sobol: :math:`S_1 = V[E(Y|X_i)]/V(Y)` (first order), :math:`S_T = E[V(Y|X_{-i})]/V(Y)`
(total), estimated with Saltelli's scheme; intervals by bootstrap.

References
----------
.. [1] Morris, M. D. (1991). Factorial sampling plans for preliminary computational
   experiments. Technometrics 33(2), 161–174.
.. [2] Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design
   for sensitivity analysis of large models. Environ. Model. Softw. 22, 1509–1518.
.. [3] Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
   Comput. Phys. Commun. 181, 259–270.
.. [4] Herman, J., Usher, W. (2017). SALib: An open-source Python library for
   sensitivity analysis. JOSS 2(9), 97.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sim.config.loader import load_model
from sim.errors import SocsimError, SocsimWarning
from sim.experiments.executors import ExecutionPlan
from sim.experiments.runner import Progress
from sim.experiments.store import write_csv

from .model import Evaluation, ScenarioModel, evaluate
from .spec import METHODS, MorrisSettings, Parameter, SensitivitySpec, SobolSettings

__all__ = ["sample", "analyse", "warn_unstable", "run_sensitivity", "load_sensitivity", "scenario_model", "Effect", "OutputSensitivity",
           "SensitivityResult", "write_table"]

NAN = float("nan")


@dataclass(frozen=True)
class Effect:
    """One parameter's indices for one output (the other method's fields are NaN).

    Attributes
    ----------
    name, path : str
    mu_star, mu_star_conf, sigma, mu : float
        Morris: mean absolute elementary effect, its 95 % bootstrap half-width, the
        standard deviation and mean of the effects (output unit per parameter unit).
    s1, s1_conf, st, st_conf : float
        Sobol: first-order and total indices with 95 % half-widths.
    """

    name: str
    path: str
    mu_star: float = NAN
    mu_star_conf: float = NAN
    sigma: float = NAN
    mu: float = NAN
    s1: float = NAN
    s1_conf: float = NAN
    st: float = NAN
    st_conf: float = NAN


@dataclass(frozen=True)
class OutputSensitivity:
    """Every parameter's effect on one output, most important first (μ* or S_T)."""

    metric: str
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class SensitivityResult:
    """What :func:`run_sensitivity` computed and wrote."""

    method: str
    outputs: tuple[OutputSensitivity, ...]
    X: np.ndarray
    evaluation: Evaluation
    folder: Path | None = None
    files: tuple[Path, ...] = field(default_factory=tuple)


def problem_of(parameters: Sequence[Parameter]) -> dict:
    """SALib's problem dictionary."""
    return {"num_vars": len(parameters), "names": [p.short for p in parameters],
            "bounds": [[p.low, p.high] for p in parameters]}


#: A Sobol index's 95 % half-width above which the indices are reported as rough.
ROUGH = 0.1


def sample(parameters: Sequence[Parameter], method: str, settings: MorrisSettings | SobolSettings, seed: int) -> np.ndarray:
    """The sample points of ``method``, one row per point.

    Parameters
    ----------
    parameters : sequence of Parameter
    method : {'morris', 'sobol'}
    settings : MorrisSettings or SobolSettings
        Trajectories and levels, or the base sample N.
    seed : int
        Seeds the sampler (same seed, same points: a rerun resumes).

    Returns
    -------
    ndarray
        Morris: r × (k + 1) rows; Sobol: N × (k + 2) rows (first order and total).
    """
    _check_method(method)
    problem = problem_of(parameters)
    if method == "morris":
        from SALib.sample import morris
        return morris.sample(problem, settings.trajectories, num_levels=settings.levels, seed=seed)
    from SALib.sample import sobol
    return sobol.sample(problem, settings.n, calc_second_order=False, scramble=True, seed=seed)


def analyse(parameters: Sequence[Parameter], X: np.ndarray, Y: np.ndarray, method: str,
            settings: MorrisSettings | SobolSettings, metrics: Sequence[str], seed: int = 0) -> tuple[OutputSensitivity, ...]:
    """Indices of every parameter for every output (column of ``Y``), ranked.

    Raises
    ------
    SocsimError
        ``Y`` does not match ``X`` or holds a non-finite value.
    """
    _check_method(method)
    Y = np.asarray(Y, dtype=float).reshape(len(X), -1)
    if Y.shape[1] != len(metrics):
        raise SocsimError(f"{Y.shape[1]} outputs but {len(metrics)} metric names")
    out = []
    for j, metric in enumerate(metrics):
        if not np.isfinite(Y[:, j]).all():
            raise SocsimError(f"{metric}: not a finite number at some points; choose another KPI")
        effects = (_morris(parameters, X, Y[:, j], settings, seed) if method == "morris"
                   else _sobol(parameters, Y[:, j], settings, seed))
        if method == "sobol":
            warn_unstable(metric, effects, settings.n)
        key = (lambda e: -e.mu_star) if method == "morris" else (lambda e: -e.st)
        out.append(OutputSensitivity(metric, tuple(sorted(effects, key=key))))
    return tuple(out)


def _morris(parameters: Sequence[Parameter], X: np.ndarray, y: np.ndarray, s: MorrisSettings, seed: int) -> list[Effect]:
    from SALib.analyze import morris
    r = morris.analyze(problem_of(parameters), X, y, num_levels=s.levels, conf_level=0.95, seed=seed)
    return [Effect(p.short, p.path, mu_star=float(r["mu_star"][i]), mu_star_conf=float(r["mu_star_conf"][i]),
                   sigma=float(r["sigma"][i]), mu=float(r["mu"][i])) for i, p in enumerate(parameters)]


def _sobol(parameters: Sequence[Parameter], y: np.ndarray, s: SobolSettings, seed: int) -> list[Effect]:
    from SALib.analyze import sobol
    if np.ptp(y) == 0:
        return [Effect(p.short, p.path, s1=0.0, s1_conf=0.0, st=0.0, st_conf=0.0) for p in parameters]
    r = sobol.analyze(problem_of(parameters), y, calc_second_order=False, num_resamples=s.resamples,
                      conf_level=0.95, seed=seed)
    return [Effect(p.short, p.path, s1=float(r["S1"][i]), s1_conf=float(r["S1_conf"][i]), st=float(r["ST"][i]),
                   st_conf=float(r["ST_conf"][i])) for i, p in enumerate(parameters)]


def warn_unstable(metric: str, effects: Sequence[Effect], n: int) -> None:
    """Warn (:class:`~sim.errors.SocsimWarning`) when Sobol indices are too rough to read.

    A first-order index cannot exceed its parameter's total index (beyond their
    intervals), and first-order indices sum to at most 1 (the rest is interaction);
    estimates from a small base sample break these, and their 95 % intervals are wide (a
    half-width above :data:`ROUGH`). The remedy is a larger ``n`` (a few hundred to a thousand is usual).
    """
    crossed = [e.name for e in effects if e.s1 > e.st + max(e.s1_conf, e.st_conf)]  # beyond their own noise
    why = [f"S1 > S_T for {', '.join(crossed)}"] if crossed else []
    total = sum(e.s1 for e in effects)
    why += [f"ΣS1 = {total:.2f} > 1"] if total > 1 else []
    widest = max((max(e.s1_conf, e.st_conf) for e in effects), default=0.0)
    why += [f"intervals up to ± {widest:.2f}"] if widest > ROUGH else []
    if why:
        warnings.warn(f"{metric}: Sobol indices unstable at n = {n} ({'; '.join(why)}); read them as rough, or raise "
                      f"n (sobol.n, a power of 2; {max(4 * n, 512)} or more)", SocsimWarning, stacklevel=3)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise SocsimError(f"--method {method!r}: choose one of {', '.join(METHODS)}")


def load_sensitivity(path: str | os.PathLike[str]) -> SensitivitySpec:
    """Read and validate a sensitivity file (problems with file:line)."""
    return load_model(Path(path), SensitivitySpec, file=str(path))


def scenario_model(spec: SensitivitySpec, source: str | os.PathLike[str], method: str,
                   overrides: Sequence[str] = ()) -> ScenarioModel:
    """The scenario model of a sensitivity file (its runs go to ``<outputs.dir>/<name>-<method>-<digest8>``)."""
    return ScenarioModel(source, f"{spec.name}-{method}", spec.base, spec.set, tuple(spec.parameters), tuple(spec.metrics),
                         spec.replications, spec.seed, spec.outputs.dir, tuple(overrides))


def run_sensitivity(path: str | os.PathLike[str], *, method: str | None = None, plan: ExecutionPlan = ExecutionPlan(),
                    folder: Path | None = None, progress: Progress | None = None, overrides: Sequence[str] = (),
                    plots: bool | None = None) -> SensitivityResult:
    """Sample, run (resumable) and analyse a sensitivity file; write the table and plots.

    Parameters
    ----------
    path : path-like
        The sensitivity file.
    method : {'morris', 'sobol'}, optional
        Default: the file's ``method``.
    plan, folder, progress
        As for :func:`sim.experiments.run_experiment`.
    overrides : sequence of str
        ``--set`` changes made last at every point.
    plots : bool, optional
        Default: the file's ``outputs.plots``.

    Raises
    ------
    ScenarioError
        Problems in the file, with lines.
    SocsimError
        A run failed or an output is not a number.
    """
    spec = load_sensitivity(path)
    method = method or spec.method
    _check_method(method)
    settings = spec.morris if method == "morris" else spec.sobol
    seed = spec.seed if spec.seed is not None else 0
    X = sample(spec.parameters, method, settings, seed)
    model = scenario_model(spec, path, method, overrides)
    evaluation = evaluate(model, X, plan=plan, folder=folder, progress=progress)
    outputs = analyse(spec.parameters, X, evaluation.Y, method, settings, spec.metrics, seed)
    result = SensitivityResult(method, outputs, X, evaluation, evaluation.folder)
    files = [write_table(result, evaluation.folder / f"sensitivity_{method}.csv")]
    if spec.outputs.plots if plots is None else plots:
        from ..plots.analysis import sensitivity_plots
        files += sensitivity_plots(result, evaluation.folder)
    return SensitivityResult(method, outputs, X, evaluation, evaluation.folder, tuple(files))


def write_table(result: SensitivityResult, path: Path) -> Path:
    """The ranking as CSV: one row per output × parameter."""
    cols = ("mu_star", "mu_star_conf", "sigma", "mu") if result.method == "morris" else ("s1", "s1_conf", "st", "st_conf")
    rows = [[o.metric, rank + 1, e.name, e.path, *(getattr(e, c) for c in cols)]
            for o in result.outputs for rank, e in enumerate(o.effects)]
    return write_csv(path, ["metric", "rank", "parameter", "path", *cols], rows)
