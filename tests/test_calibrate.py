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
from sim.simulation import run

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
    assert fit.folder / "convergence.png" in fit.files and (fit.folder / "convergence.png").stat().st_size > 10_000
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


# --------------------------------------------------------------------------- observed daily series
OBS_SIZE = ["world.population=4000", "world.graph.degree=20", "simulation.days=90"]
#: The truth the observed CSV is generated with, and where the search starts (perturbed).
CAPTURE, UTILITY = "brands.focal.strategy.private_domain.package_card_capture", "world.behaviour.outside_utility"
OBS_TRUTH = {CAPTURE: 0.25, UTILITY: 3.2}
OBS_START = {CAPTURE: 0.05, UTILITY: 4.0}
OBS_SERIES = {"focal.purchased": "purchased", "focal.private_domain": "followers", "focal.tmall.orders": "tmall_orders"}


#: Fits of OBS_TRUTH by the targets file below (four replications per candidate) to the
#: observations of seeds 100–105 (six single-run CSVs): root-mean-square distance from the
#: truth CAPTURE_SD for capture, UTILITY_SD for the utility — a 90-day export of 4,000
#: agents pins the parameters no closer (the loss at the truth is above the loss at the
#: fit: noise, not the search). Tolerance: 2.5 s.d. Re-measured 2026-12-05 with 5 % of the
#: market in leader groups (200 one-agent groups at this size) and the stronger word of
#: mouth: the utility is pinned less tightly (fits 3.24–3.59, mean 3.37) than before (0.113).
CAPTURE_SD, UTILITY_SD = 0.054, 0.210
OBS_TOL = {CAPTURE: 2.5 * CAPTURE_SD, UTILITY: 2.5 * UTILITY_SD}


def observed_csv(folder: Path, seed: int) -> Path:
    """The daily series of one run with the true parameters, as a brand's CSV export would hold them."""
    from sim.experiments.worker import daily_columns
    sc = load_model(BASELINE, Scenario, overrides=[*OBS_SIZE, *(f"{k}={v}" for k, v in OBS_TRUTH.items())])
    daily = daily_columns(run(sc, seed=seed))
    path = folder / "observed.csv"
    rows = zip(*(daily[s] for s in OBS_SERIES))
    path.write_text("day," + ",".join(OBS_SERIES.values()) + "\n"
                    + "".join(f"{t}," + ",".join(f"{v:g}" for v in row) + "\n" for t, row in enumerate(rows)), encoding="utf-8")
    return path


def observed_targets(folder: Path, csv: str = "observed.csv", extra: str = "", observed: str | None = None) -> Path:
    """A targets file fitting paid media and the 'not now' utility to the CSV's three series, seeds 7–10."""
    low_high = {CAPTURE: (0.0, 0.5), UTILITY: (2.5, 4.5)}
    params = "\n".join(f"  - {{path: {p}, low: {lo}, high: {hi}, start: {OBS_START[p]}}}" for p, (lo, hi) in low_high.items())
    observed = observed or "\n".join(f"  - {{series: {s}, csv: {csv}, column: {c}{', cumulative: true' if 'orders' in s else ''}}}"
                                      for s, c in OBS_SERIES.items())
    path = folder / "targets.yaml"
    path.write_text(f"""name: observed
set: [{', '.join(OBS_SIZE)}]
parameters:
{params}
observed:
{observed}
replications: 4
seed: 7
optimiser: {{method: nelder-mead, max_evaluations: 30, tolerance: 0.01}}
outputs: {{dir: {folder / 'out'}}}
{extra}""", encoding="utf-8")
    return path


def _problems(info: pytest.ExceptionInfo) -> str:
    return "\n".join(p.render(info.value.file) for p in info.value.problems)


def test_observed_csv_problems_name_file_field_line_and_what_is_allowed(tmp_path):
    (tmp_path / "obs.csv").write_text("day,purchased,followers\n0,10,n/a\n1,12,3 000\n2,,5\n", encoding="utf-8")
    observed = ("  - {series: focal.purchased, csv: missing.csv, column: purchased}\n"
                "  - {series: focal.purchased, csv: obs.csv, column: purchase}\n"
                "  - {series: focal.private_domain, csv: obs.csv, column: followers}")
    with pytest.raises(ScenarioError) as info:
        load_targets(observed_targets(tmp_path, observed=observed))
    text = _problems(info)
    assert "targets.yaml:7: observed.0.csv: CSV file 'missing.csv' not found" in text
    assert ("targets.yaml:8: observed.1.column: 'obs.csv' has no column 'purchase'; did you mean 'purchased'? "
            "Its columns: day, purchased, followers") in text
    assert "observed.2.column: obs.csv column 'followers': not a number at line 2: 'n/a'; line 3: '3 000'" in text


def test_observed_series_name_and_length_are_checked_against_the_scenario(tmp_path):
    rows = "".join(f"{t},{t}\n" for t in range(89))  # the scenario runs 90 days
    (tmp_path / "obs.csv").write_text("day,orders\n" + rows, encoding="utf-8")
    observed = ("  - {series: focal.tmall.order, csv: obs.csv, column: orders}\n"
                "  - {series: focal.tmall.orders, csv: obs.csv, column: orders, cumulative: true}")
    with pytest.raises(ScenarioError) as info:
        calibrate(BASELINE, observed_targets(tmp_path, observed=observed), plan=ExecutionPlan(workers=0))
    text = _problems(info)
    assert "targets.yaml:7: observed.0.series: unknown daily series 'focal.tmall.order'; did you mean 'focal.tmall.orders'?" in text
    assert "targets.yaml:8: observed.1.csv: obs.csv has 89 rows of data; the simulation runs 90 days (simulation.days)" in text
    assert not list((tmp_path / "out").rglob("runs/*.json"))  # refused before any run


def test_cli_reports_a_bad_observed_csv_without_traceback(tmp_path):
    from typer.testing import CliRunner
    from sim.cli import app
    (tmp_path / "obs.csv").write_text("day,orders\n0,x\n", encoding="utf-8")
    targets = observed_targets(tmp_path, observed="  - {series: focal.tmall.orders, csv: obs.csv, column: orders}")
    res = CliRunner().invoke(app, ["calibrate", str(BASELINE), "--targets", str(targets), "--workers", "0"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "observed.0.column" in res.output and "line 2: 'x'" in res.output


def test_calibration_to_observed_daily_series_recovers_known_parameters(tmp_path):
    observed_csv(tmp_path, seed=102)  # not a calibration seed (7–10): the fit sees another realisation
    fit = calibrate(BASELINE, observed_targets(tmp_path), plan=ExecutionPlan(workers=0))
    for path, truth in OBS_TRUTH.items():
        assert abs(fit.fitted[path] - truth) <= OBS_TOL[path], (path, fit.fitted[path])
        assert abs(fit.fitted[path] - OBS_START[path]) > OBS_TOL[path] / 2, (path, fit.fitted[path])  # the search moved
    assert [s.series for s in fit.series] == list(OBS_SERIES)
    assert all(s.days == 90 and s.nrmse < 0.15 for s in fit.series)
    assert fit.files[0].name == "observed_vs_simulated.csv" and fit.files[0].exists()
