"""Optimisation finds known optima: a constructed function (same code path) and the CLI on the model."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.optimise import load_optimise, search_strategies
from sim.analysis.spec import Constraint, Objective, OptimiserSettings, Parameter
from sim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BONUS = {"none": 0.0, "strict": 0.05, "floor": -0.05}


def profit(x: np.ndarray, choice: dict) -> tuple[float, float]:
    """Known optimum: max −(a−0.3)² − (b−0.7)² + bonus subject to a + b ≤ 0.9 → (0.25, 0.65), 'strict'."""
    a, b = x
    return 1.0 - (a - 0.3) ** 2 - (b - 0.7) ** 2 + BONUS[choice["parity"]], a + b


def test_finds_constrained_optimum_and_best_category():
    params = [Parameter(path="a", low=0, high=1), Parameter(path="b", low=0, high=1)]
    result = search_strategies(profit, params, [("parity", ["none", "strict", "floor"])], Objective(metric="profit"),
                               [Constraint(metric="spend", at_most=0.9)], OptimiserSettings(method="nelder-mead", max_evaluations=200,
                                                                                           tolerance=1e-6))
    best = result.best
    assert best.levers["parity"] == "strict"
    assert best.levers["a"] == pytest.approx(0.25, abs=0.03) and best.levers["b"] == pytest.approx(0.65, abs=0.03)
    assert best.outputs[1] <= 0.9 + 1e-9 and best.feasible
    assert len(result.losses) == 3 and all(1 < len(trace) <= 200 for trace in result.losses)  # one search per choice


def test_convergence_chart_of_every_search(tmp_path):
    from sim.plots.analysis import convergence_chart

    path = convergence_chart([("a", [3.0, 2.0, 2.5, 1.0]), ("b", [4.0, float("inf"), 0.5])], tmp_path / "c.png",
                             "title", "footer")
    assert path.stat().st_size > 10_000


def test_example_optimisation_file_loads():
    for path in sorted((ROOT / "experiments").glob("optimise_*.yaml")):
        spec = load_optimise(path)
        assert spec.objective.metric.startswith("focal.")


def test_constraint_needs_a_bound(tmp_path):
    bad = tmp_path / "o.yaml"
    bad.write_text("name: o\nbase: x.yaml\nparameters: [{path: a, low: 0, high: 1}]\nobjective: {metric: focal.roi}\n"
                   "constraints:\n  - {metric: focal.active_leaders}\n")
    with pytest.raises(ScenarioError) as info:
        load_optimise(bad)
    assert any(p.line == 6 for p in info.value.problems)


def test_cli_optimise_on_the_model_picks_a_choice_and_compares_with_baseline(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    path = tmp_path / "optimise_tiny.yaml"
    path.write_text(f"""
name: tiny
base: {ROOT / 'scenarios' / 'baseline.yaml'}
set: {{world.population: 400, world.graph.degree: 20, simulation.days: 45}}
parameters:
  - {{name: ads, path: brands.focal.strategy.paid_media.0.budget_per_day, low: 0, high: 6000}}
choices:
  - {{path: brands.focal.channels.tmall.price, values: [99, 139]}}
objective: {{metric: focal.channels.tmall.aov, sense: max}}
optimiser: {{method: powell, max_evaluations: 3}}
replications: 1
final_replications: 2
seed: 3
outputs: {{dir: {tmp_path / 'out'}}}
""", encoding="utf-8")
    res = CliRunner().invoke(app, ["optimise", str(path), "--workers", "0"])
    assert res.exit_code == 0, res.output
    assert "price=139" in res.output.split("← best")[0].splitlines()[-1]  # the higher price has the higher AOV
    assert "baseline" in res.output and res.output.index("Verdict: the best strategy") < res.output.index("← best")
    assert (tmp_path / "out" / "optimise-tiny" / "convergence.png").exists()  # both choices' searches
    assert not re.search(r"\de[+-]\d", res.output)  # human numbers, never 5.092e+07
