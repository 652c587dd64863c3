"""Strategy optimisation: search levers for the best expected KPI under constraints.

For every combination of the categorical levers (``choices``), a derivative-free search
(:mod:`sim.analysis.search`) over the continuous levers maximises (or minimises) the
objective's mean over fixed seeds (common random numbers), with a penalty for each
constraint the mean breaks. The best strategy is then rerun with more seeds next to the
baseline (the base scenario as it is), and compared pair by pair
(:func:`sim.experiments.stats.paired_difference`).

Notes
-----
Penalised loss: :math:`L = \\mp \\bar y_0 / |\\bar y_0^{base}| + P \\sum_c v_c`, with
:math:`v_c` a constraint's relative violation and :math:`P = 100`.
"""

from __future__ import annotations

import functools
import itertools
import os
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from sim.config.loader import load_model
from sim.files import confined
from sim.experiments.executors import ExecutionPlan, open_executor
from sim.experiments.runner import Progress
from sim.experiments.stats import Interval, PairedDifference, mean_ci, paired_difference

from .model import ScenarioModel, evaluate
from .search import minimise, to_values
from .spec import Constraint, Objective, OptimiserSettings, OptimiseSpec, Parameter

__all__ = ["Strategy", "Optimisation", "search_strategies", "optimise", "load_optimise", "PENALTY"]

#: Weight of a constraint's relative violation against the relative objective.
PENALTY = 100.0


@dataclass(frozen=True)
class Strategy:
    """One candidate: lever values (path → value), the objective's mean, and whether it is feasible."""

    levers: dict[str, Any]
    objective: float
    feasible: bool
    outputs: tuple[float, ...]


@dataclass(frozen=True)
class Optimisation:
    """The best strategy, every combination's best, and the final comparison to the baseline."""

    best: Strategy
    per_choice: tuple[Strategy, ...]
    evaluations: int
    best_value: Interval | None = None
    baseline_value: Interval | None = None
    vs_baseline: PairedDifference | None = None
    constraints_final: tuple[tuple[str, float], ...] = ()
    losses: tuple[tuple[float, ...], ...] = ()   # per choice: the loss of each candidate, in the order tried
    files: tuple[Path, ...] = ()


def search_strategies(model: ScenarioModel | Callable, parameters: Sequence[Parameter], choices: Sequence[tuple[str, list]],
                      objective: Objective, constraints: Sequence[Constraint], settings: OptimiserSettings, *,
                      plan: ExecutionPlan = ExecutionPlan(workers=0), seed: int = 0, scale: float = 1.0,
                      progress: Progress | None = None, executor: Executor | None = None) -> Optimisation:
    """Search every choice combination; return the best feasible strategy.

    Parameters
    ----------
    model : ScenarioModel or callable
        A scenario model whose metrics are ``[objective, *constraints]``, or a plain
        function ``f(x, choice) -> [objective, *constraint KPIs]`` (``choice``: path → value).
    parameters : sequence of Parameter
        Continuous levers.
    choices : sequence of (path, values)
    objective, constraints, settings
    scale : float
        Objective scale (e.g. the baseline's value), so penalties weigh alike.
    executor : Executor, optional
        An open executor of ``plan`` used for every candidate (default: one per candidate).
    """
    combos = [dict(zip([p for p, _ in choices], c)) for c in itertools.product(*[v for _, v in choices])] or [{}]
    best: list[Strategy] = []
    losses: list[tuple[float, ...]] = []
    count = 0
    sign = -1.0 if objective.sense == "max" else 1.0
    for choice in combos:
        fn = _function(model, choice, plan, executor)

        def loss(u: np.ndarray, fn=fn) -> float:
            nonlocal count
            count += 1
            if progress:
                progress(count, settings.max_evaluations * len(combos))
            y = fn(to_values(parameters, u))
            return sign * y[0] / (abs(scale) or 1.0) + PENALTY * sum(c.violation(v) for c, v in zip(constraints, y[1:]))

        if parameters:
            found = minimise(loss, len(parameters), settings, seed=seed, start=np.array([p.unit_start() for p in parameters]))
            values = to_values(parameters, found.x)
            losses.append(tuple(value for _, value in found.tried))
        else:
            values = np.zeros(0)
        y = fn(values)
        levers = {**choice, **{p.path: p.value(v) for p, v in zip(parameters, values)}}
        best.append(Strategy(levers, float(y[0]), all(c.violation(v) == 0 for c, v in zip(constraints, y[1:])),
                             tuple(map(float, y))))
    ranked = sorted(best, key=lambda s: (not s.feasible, sign * s.objective))
    return Optimisation(ranked[0], tuple(best), count, losses=tuple(losses))


def _function(model: ScenarioModel | Callable, choice: dict, plan: ExecutionPlan,
              executor: Executor | None) -> Callable[[np.ndarray], np.ndarray]:
    """Lever values → outputs, for one choice (memoised: CRN makes a point's value fixed)."""
    cache: dict[tuple, np.ndarray] = {}
    scenario = isinstance(model, ScenarioModel)
    target = model if scenario else functools.partial(model, choice=choice)

    def f(values: np.ndarray) -> np.ndarray:
        key = tuple(np.round(values, 12))
        if key not in cache:
            cache[key] = evaluate(target, np.asarray(values)[None, :], plan=plan, executor=executor,
                                  fixed=choice if scenario else None).Y[0]
        return cache[key]
    return f


def load_optimise(path: str | os.PathLike[str]) -> OptimiseSpec:
    """Read and validate an optimisation file (problems with file:line)."""
    return load_model(Path(path), OptimiseSpec, file=str(path))


def optimise(path: str | os.PathLike[str], *, plan: ExecutionPlan = ExecutionPlan(workers=0), progress: Progress | None = None,
             overrides: Sequence[str] = ()) -> Optimisation:
    """Run an optimisation file: search, then the best strategy vs the baseline over ``final_replications`` seeds.

    Raises
    ------
    ScenarioError
        Problems in the file (with lines), bad lever paths or values.
    """
    spec = load_optimise(path)
    metrics = (spec.objective.metric, *(c.metric for c in spec.constraints))
    out = str(confined(spec.outputs.dir, f"optimise-{spec.name}"))

    def model(params: tuple[Parameter, ...], reps: int, name: str) -> ScenarioModel:
        return ScenarioModel(path, name, spec.base, spec.set, params, metrics, reps, spec.seed, out, tuple(overrides))

    with open_executor(plan, spec.final_replications) as executor:  # one worker pool for the search and the final runs
        base_y = evaluate(model((), spec.replications, "baseline"), np.zeros((1, 0)), plan=plan, executor=executor).Y[0]
        result = search_strategies(model(tuple(spec.parameters), spec.replications, "search"), spec.parameters,
                                   [(c.path, c.values) for c in spec.choices], spec.objective, spec.constraints,
                                   spec.optimiser, plan=plan, seed=spec.seed or 0, scale=float(base_y[0]),
                                   progress=progress, executor=executor)
        choice = {c.path: result.best.levers[c.path] for c in spec.choices}
        values = np.array([[result.best.levers[p.path] for p in spec.parameters]], dtype=float).reshape(1, -1)
        best = evaluate(model(tuple(spec.parameters), spec.final_replications, "final"), values, plan=plan, fixed=choice,
                        executor=executor).per_rep[0]
        base = evaluate(model((), spec.final_replications, "final_baseline"), np.zeros((1, 0)), plan=plan,
                        executor=executor).per_rep[0]
    return Optimisation(result.best, result.per_choice, result.evaluations, mean_ci(best[:, 0]), mean_ci(base[:, 0]),
                        paired_difference(best[:, 0], base[:, 0]),
                        tuple((c.metric, float(best[:, j + 1].mean())) for j, c in enumerate(spec.constraints)),
                        result.losses, _convergence(spec, result, Path(out)))


def _convergence(spec: OptimiseSpec, result: Optimisation, folder: Path) -> tuple[Path, ...]:
    """convergence.png: each choice's search, loss of every candidate and the best so far (none without levers)."""
    from ..plots.analysis import convergence_chart

    if not result.losses:
        return ()
    labels = [", ".join(f"{k.split('.')[-1]}={v}" for k, v in s.levers.items() if k in {c.path for c in spec.choices})
              or "levers" for s in result.per_choice]
    title = f"Optimisation of {spec.objective.metric} ({spec.objective.sense}): loss of each candidate"
    footer = f"{spec.optimiser.method}, {result.evaluations} candidates × {spec.replications} seeds; loss = ∓objective / baseline + penalty"
    return (convergence_chart(list(zip(labels, result.losses)), folder / "convergence.png", title, footer),)
