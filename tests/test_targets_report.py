"""``socsim calibrate --report``: the scenario as it is against every published figure (sim/analysis/targets_report.py)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.analysis.targets_report import TARGETS_DIR, TOLERANCE, targets_report
from sim.cli import app
from sim.export import workbook_sheets

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ("world.population=500", "world.market_size=50000", "world.graph.degree=10", "simulation.days=30")
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """One table row per line, so rows can be read back."""
    from sim import terminal

    monkeypatch.setattr(terminal.console, "width", 300)


def test_report_lists_every_bundled_figure_and_judges_it_by_its_rule(tmp_path):
    out = tmp_path / "report"
    args = ["calibrate", "--report", "--reps", "2", "--workers", "0", "--out", str(out)]
    result = runner.invoke(app, [*args, *(x for kv in TINY for x in ("--set", kv))])
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in csv.DictReader((out / "targets_report.csv").open(encoding="utf-8-sig"))}
    assert {"focal.channels.tmall.conversion", "focal.spillover_share", "own.focal", "own.rival", "category",
            "diversion.focal"} <= set(rows)
    met = sum(r["met"] == "yes" for r in rows.values())
    assert f"Verdict: baseline meets {met} of {len(rows)} published figures" in result.output
    assert json.loads((out / "targets_report.json").read_text(encoding="utf-8"))["verdict"].startswith(
        f"Verdict: baseline meets {met} of {len(rows)}")
    conversion = rows["focal.channels.tmall.conversion"]  # a point target: 15 % ± 10 % of it
    assert (conversion["met"] == "yes") == (abs(float(conversion["measured"]) - 0.15) <= 0.15 * TOLERANCE)
    spill = rows["focal.spillover_share"]  # one-sided: ≥ 50 %
    assert (spill["met"] == "yes") == (float(spill["measured"]) >= 0.5)
    own = rows["own.focal"]
    assert (own["met"] == "yes") == (-3.5 <= float(own["measured"]) <= -1.5)
    assert "Tmall conversion · focal" in result.output and "seed_facts.yaml" in result.output
    assert (out / "targets_report.json").exists() and (out / "elasticity.json").exists()
    kpis = workbook_sheets(out)[0]  # socsim export: the report heads the workbook, its verdict first
    assert "(targets_report.csv)" in kpis.rows[0][0] and kpis.rows[1][0].startswith("Verdict: baseline meets")


def test_a_target_met_and_one_missed_on_the_same_runs(tmp_path):
    targets = tmp_path / "targets"
    targets.mkdir()
    shutil.copy(TARGETS_DIR / "elasticity.yaml", targets / "elasticity.yaml")
    (targets / "mine.yaml").write_text("""name: mine
parameters:
  - {path: world.behaviour.outside_utility, low: 2.0, high: 4.5}
targets:
  - {metric: focal.orders, value: 1, kind: at_least, source: any order at all}
  - {metric: focal.orders, value: 1, kind: at_most, source: at most one order}
  - {metric: focal.orders, value: 1.0e+12, source: a trillion orders}
""", encoding="utf-8")
    report = targets_report(BASELINE, tmp_path / "r", targets_dir=targets, replications=2, overrides=TINY)
    kpis = [c for c in report.checks if c.file == "mine.yaml"]
    assert [(c.source, c.met) for c in kpis] == [("any order at all", True), ("at most one order", False),
                                                 ("a trillion orders", False)]
    assert kpis[0].measured.mean > 1 and kpis[0].measured.n == 2 and kpis[0].target == "≥ 1"


@pytest.mark.parametrize("args, message", [
    (["calibrate", "--report", "--reps", "1"], "at least 2 replications"),
    (["calibrate"], "or --report"),
    (["calibrate", "--report", "--targets", str(TARGETS_DIR / "seed_facts.yaml")], "give one of the two"),
])
def test_bad_requests_are_one_clear_line(tmp_path, args, message):
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
