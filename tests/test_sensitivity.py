"""Sensitivity analysis: known answers through the same code path as the model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.analysis import analyse, evaluate, run_sensitivity, sample
from sim.analysis.spec import MorrisSettings, Parameter, SobolSettings
from sim.cli import app
from sim.errors import ScenarioError
from sim.experiments import ExecutionPlan

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
#: Ishigami (a = 7, b = 0.1): analytical first-order and total indices (Ishigami & Homma 1990).
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(x: np.ndarray) -> float:
    from SALib.test_functions import Ishigami
    return float(Ishigami.evaluate(np.asarray(x)[None, :])[0])


def test_sobol_of_ishigami_matches_reference_values_within_intervals():
    params = [Parameter(path=f"x{i}", low=-math.pi, high=math.pi) for i in (1, 2, 3)]
    settings = SobolSettings(n=1024)
    X = sample(params, "sobol", settings, seed=3)
    Y = evaluate(ishigami, X, plan=ExecutionPlan(workers=0)).Y
    (out,) = analyse(params, X, Y, "sobol", settings, ["y"], seed=3)
    by_name = {e.name: e for e in out.effects}
    for i, name in enumerate(("x1", "x2", "x3")):
        e = by_name[name]
        assert abs(e.s1 - ISHIGAMI_S1[i]) <= e.s1_conf + 0.01, (name, e)
        assert abs(e.st - ISHIGAMI_ST[i]) <= e.st_conf + 0.01, (name, e)
    assert [e.name for e in out.effects] == ["x1", "x2", "x3"]  # ranked by S_T


def test_sobol_warns_when_indices_are_unstable_and_not_when_they_hold():
    import warnings

    from sim.errors import SocsimWarning

    params = [Parameter(path=f"x{i}", low=-math.pi, high=math.pi) for i in (1, 2, 3)]
    small = SobolSettings(n=8)
    X = sample(params, "sobol", small, seed=3)
    Y = evaluate(ishigami, X, plan=ExecutionPlan(workers=0)).Y
    with pytest.warns(SocsimWarning, match=r"y: Sobol indices unstable at n = 8 \(intervals up to ± 0\.\d\d\); .* raise n"):
        analyse(params, X, Y, "sobol", small, ["y"], seed=3)
    large = SobolSettings(n=1024)
    X = sample(params, "sobol", large, seed=3)
    Y = evaluate(ishigami, X, plan=ExecutionPlan(workers=0)).Y
    with warnings.catch_warnings():
        warnings.simplefilter("error", SocsimWarning)
        analyse(params, X, Y, "sobol", large, ["y"], seed=3)  # the indices hold: no warning


def test_sobol_warning_names_what_is_impossible():
    from sim.analysis.sensitivity import Effect, warn_unstable
    from sim.errors import SocsimWarning

    effects = [Effect("a", "a", s1=0.7, s1_conf=0.05, st=0.4, st_conf=0.05),
               Effect("b", "b", s1=0.5, s1_conf=0.05, st=0.6, st_conf=0.05)]
    with pytest.warns(SocsimWarning, match=r"m: Sobol indices unstable at n = 64 \(S1 > S_T for a; ΣS1 = 1\.20 > 1\)"):
        warn_unstable("m", effects, 64)


def test_plain_function_runs_on_a_process_pool_like_the_model():
    params = [Parameter(path="a", low=0, high=1), Parameter(path="b", low=0, high=1)]
    X = sample(params, "morris", MorrisSettings(trajectories=4), 1)
    inline = evaluate(two_outputs, X, plan=ExecutionPlan(workers=0)).Y
    pooled = evaluate(two_outputs, X, plan=ExecutionPlan(workers=2)).Y
    np.testing.assert_array_equal(inline, pooled)


def two_outputs(x: np.ndarray) -> tuple[float, float]:
    return float(3 * x[0]), float(x[0] + x[1])


def _spec(tmp_path: Path, extra: str = "") -> Path:
    text = f"""
name: tiny_screen
base: {BASELINE}
set: {{world.population: 400, world.graph.degree: 20, simulation.days: 45}}
parameters:
  - {{name: tmall_price, path: brands.focal.channels.tmall.price, low: 109, high: 149}}
  - {{name: d11_gift, path: brands.focal.strategy.double11_routing.gift_yuan, low: 0, high: 50}}
metrics: [focal.contribution, focal.revenue]
morris: {{trajectories: 3, levels: 4}}
replications: 1
seed: 5
outputs: {{dir: {tmp_path / 'out'}}}
{extra}"""
    path = tmp_path / "screen.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_morris_ranks_a_lever_without_effect_last_with_mu_star_zero(tmp_path):
    result = run_sensitivity(_spec(tmp_path), plan=ExecutionPlan(workers=0), plots=True)
    for out in result.outputs:
        assert out.effects[-1].name == "d11_gift"
        assert out.effects[-1].mu_star == 0.0  # common random numbers: exactly zero
        assert out.effects[0].name == "tmall_price" and out.effects[0].mu_star > 0
    assert {p.name for p in result.files} == {"sensitivity_morris.csv", "morris_mu_star_sigma.png"}
    again = run_sensitivity(_spec(tmp_path), plan=ExecutionPlan(workers=0), plots=False)
    assert again.evaluation.ran == 0 and again.evaluation.skipped == len(result.X)  # resumed from the store
    np.testing.assert_array_equal(again.evaluation.Y, result.evaluation.Y)


def test_bad_sensitivity_file_names_line_and_field(tmp_path):
    path = _spec(tmp_path, "morris_extra: 1\n")
    with pytest.raises(ScenarioError) as info:
        run_sensitivity(path, plan=ExecutionPlan(workers=0))
    assert any(p.line and "morris_extra" in str(p.path) + p.message for p in info.value.problems)


def test_cli_reports_a_bad_method_in_one_line(tmp_path):
    res = CliRunner().invoke(app, ["sensitivity", str(_spec(tmp_path)), "--method", "fast", "--workers", "0"])
    assert res.exit_code == 1 and "morris, sobol" in res.output
