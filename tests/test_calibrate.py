"""Calibration recovers parameters from runs generated with them (common random numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.analysis.calibrate import calibrate, load_targets, write_calibrated
from sim.config.loader import load_model
from sim.config.schema import Scenario
from sim.errors import ScenarioError
from sim.experiments import ExecutionPlan
from sim.run import run

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SIZE = ["world.population=400", "world.graph.degree=20", "simulation.days=45"]
TRUE_PRICE, TRUE_RIVAL = 139.0, 112.0
#: Stated tolerance of the recovery: ¥1 on each price.
PRICE_TOL = 1.0


def _truth(seeds: list[int]) -> dict[str, float]:
    sc = load_model(BASELINE, Scenario, overrides=[*SIZE, f"brands.focal.channels.tmall.price={TRUE_PRICE}",
                                                   f"brands.rival.channels.tmall.price={TRUE_RIVAL}"])
    kpis = [run(sc, seed=s).kpis for s in seeds]
    return {"aov": float(np.mean([k["focal"]["channels"]["tmall"]["aov"] for k in kpis])),
            "rival": float(np.mean([k["rival"]["channels"]["tmall"]["aov"] for k in kpis]))}


def test_calibration_recovers_known_prices_of_both_brands(tmp_path):
    truth = _truth([7])
    targets = tmp_path / "targets.yaml"
    targets.write_text(f"""
name: recover
set: [{', '.join(SIZE)}]
parameters:
  - {{name: tmall_price, path: brands.focal.channels.tmall.price, low: 109, high: 159}}
  - {{name: rival_price, path: brands.rival.channels.tmall.price, low: 99, high: 139}}
targets:
  - {{metric: focal.channels.tmall.aov, value: {truth['aov']}}}
  - {{metric: rival.channels.tmall.aov, value: {truth['rival']}}}
replications: 1
seed: 7
optimiser: {{method: powell, max_evaluations: 40, tolerance: 1.0e-4}}
outputs: {{dir: {tmp_path / 'out'}}}
""", encoding="utf-8")
    fit = calibrate(BASELINE, targets, plan=ExecutionPlan(workers=0))
    assert abs(fit.fitted["brands.focal.channels.tmall.price"] - TRUE_PRICE) <= PRICE_TOL
    assert abs(fit.fitted["brands.rival.channels.tmall.price"] - TRUE_RIVAL) <= PRICE_TOL
    for t in fit.targets:
        assert abs(t.achieved.mean / t.target - 1) < 0.01
    first = write_calibrated(BASELINE, fit.fitted, tmp_path / "cal.yaml")
    second = write_calibrated(BASELINE, fit.fitted, tmp_path / "cal.yaml")
    assert first != second and first.exists() and second.exists()  # never overwrites
    sc = load_model(first, Scenario)
    assert sc.brands[0].channels["tmall"].price == pytest.approx(fit.fitted["brands.focal.channels.tmall.price"])


def test_seed_facts_targets_file_loads():
    spec = load_targets(ROOT / "scenarios" / "targets" / "seed_facts.yaml")
    assert {t.metric for t in spec.targets} >= {"focal.spillover_share", "focal.channels.tmall.conversion"}


def test_bad_target_kind_is_reported_with_line(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("name: x\nparameters: [{path: a, low: 0, high: 1}]\ntargets:\n  - {metric: focal.revenue, value: 1, kind: about}\n")
    with pytest.raises(ScenarioError) as info:
        load_targets(bad)
    assert any(p.line == 4 for p in info.value.problems)


def test_cli_calibrate_reports_a_missing_targets_file(tmp_path):
    from typer.testing import CliRunner
    from sim.cli import app
    res = CliRunner().invoke(app, ["calibrate", str(BASELINE), "--targets", str(tmp_path / "none.yaml"), "--workers", "0"])
    assert res.exit_code == 1 and "none.yaml" in res.output
