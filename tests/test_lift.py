"""Incrementality (socsim lift): sources switched off one at a time on the same seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.config.loader import load_scenario
from sim.errors import SocsimError
from sim.experiments import ExecutionPlan, run_experiment
from sim.experiments.lift import ALL_ON, ORGANIC, lift_design, lift_rows, lift_sources, write_lift
from sim.experiments.store import ResultsStore
from sim.ledger import LAST_TOUCH
from sim.market.signals import Source

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = ["world.population=1500", "world.market_size=150000", "world.graph.degree=30", "simulation.days=90"]


def test_last_touch_classes_follow_the_sources():
    assert [s.name.lower() for s in Source] == list(LAST_TOUCH[:-1]) and LAST_TOUCH[-1] == "none"


def test_the_baseline_sources_and_how_each_is_switched_off():
    sc = load_scenario(BASELINE, SMALL)
    found = dict((s.key, changes) for s, changes in lift_sources(sc, 0))
    assert list(found) == ["paid_douyin", "head_kol", "kocs", "content", "pushes", "wecom", "group_leaders",
                           "referral", "word_of_mouth"]
    assert found["head_kol"] == {"brands.0.strategy.kols.0.count": 0}
    assert found["group_leaders"] == {"brands.0.strategy.group_leaders.initial": 0,
                                      "brands.0.strategy.group_leaders.market_coverage": 0,
                                      "brands.0.strategy.group_leaders.recruit_per_month": 0}
    assert found["referral"] == {f"brands.0.strategy.referral.level{k}": 0 for k in (1, 2, 3)}
    assert found["word_of_mouth"] == {"world.behaviour.wom_strength": 0.0}
    rival = [s.key for s, _ in lift_sources(sc, 1)]
    assert rival == ["paid_douyin", "content", "pushes", "word_of_mouth"]  # no KOLs, WeCom or leaders of its own
    with pytest.raises(SocsimError, match="no brand 'nobody'.*brands: focal, rival"):
        lift_design(sc, BASELINE, "nobody", 3, 1, SMALL)


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    sc = load_scenario(BASELINE, SMALL)
    design, sources = lift_design(sc, BASELINE, None, 4, 1, SMALL)
    folder = tmp_path_factory.mktemp("lift")
    run_experiment(design, folder=folder, plan=ExecutionPlan(workers=2), report=False)
    with ResultsStore.open(design, folder) as store:
        kpis = {(r.key.variant, r.key.rep): r.kpis for r in store.current()}
    return design, sources, kpis, folder


def test_every_source_off_leaves_an_organic_base_below_the_total(measured):
    design, sources, kpis, _ = measured
    assert [c.variant for c in design.cells] == [ALL_ON, *(f"no_{s.key}" for s in sources), ORGANIC]
    result = lift_rows(design, sources, kpis, "focal")
    assert 0 <= result.organic_orders.mean < result.total_orders.mean
    organic_spend = [kpis[(ORGANIC, r)]["focal.marketing_spend"] for r in range(4)]
    assert max(organic_spend) < 0.05 * min(kpis[(ALL_ON, r)]["focal.marketing_spend"] for r in range(4))


def test_paid_media_lift_is_significant_and_its_iroas_is_revenue_over_spend(measured):
    design, sources, kpis, _ = measured
    rows = {r.key: r for r in lift_rows(design, sources, kpis, "focal").rows}
    paid = rows["paid_douyin"]
    assert paid.orders.low > 0 and paid.spend.low > 0
    assert paid.iroas == pytest.approx(paid.revenue.mean / paid.spend.mean)
    ours = np.mean([kpis[(ALL_ON, r)]["focal.orders"] - kpis[("no_paid_douyin", r)]["focal.orders"] for r in range(4)])
    assert paid.orders.mean == pytest.approx(ours)
    assert paid.last_touch_orders == pytest.approx(np.mean([kpis[(ALL_ON, r)]["focal.last_touch.paid"] for r in range(4)]))
    assert np.isnan(rows["pushes"].iroas) and rows["pushes"].spend.mean == 0  # pushes are free
    ads = np.mean([kpis[(ALL_ON, r)]["focal.spend.ad_spend"] - kpis[("no_paid_douyin", r)]["focal.spend.ad_spend"]
                   for r in range(4)])
    assert paid.spend.mean == pytest.approx(ads)  # iROAS on the source's own cost


def test_results_are_strict_json_and_csv(measured, tmp_path):
    design, sources, kpis, _ = measured
    files = write_lift(lift_rows(design, sources, kpis, "focal"), tmp_path)
    data = json.loads(files[1].read_text(encoding="utf-8"), parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert {s["source"] for s in data["sources"]} == {s.key for s in sources}
    best = max(data["sources"], key=lambda s: s["contribution_lift"])
    assert data["verdict"].startswith(f"Verdict: {best['label']} adds the most contribution for focal: ")
    assert data["organic_orders"] >= 0 and set(data["last_touch"]) == set(LAST_TOUCH)
    assert files[0].read_text(encoding="utf-8").splitlines()[0].startswith("source,label,last_touch_class")


def _cli(*args: str):
    from typer.testing import CliRunner

    from sim.cli import app

    return CliRunner().invoke(app, ["lift", *args])


@pytest.mark.parametrize("args, message", [
    (["--brand", "nobody"], "--brand: no brand 'nobody'"),
    (["--reps", "1"], "--reps: got 1; give at least 2"),
    (["--set", "brands.focal.strategy.paritty=none"], "paritty"),
])
def test_lift_bad_input_is_one_line(args, message, tmp_path):
    result = _cli(*args, "--out", str(tmp_path / "x"))
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_lift_from_the_cli_prints_the_table_and_writes_the_files(tmp_path):
    out = tmp_path / "lift"
    result = _cli("--reps", "2", "--population", "600", "--days", "30", "--set", "world.graph.degree=20",
                  "--workers", "0", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "incremental vs last touch" in result.output and "organic base" in result.output
    assert result.output.index("Verdict: ") < result.output.index("incremental vs last touch")  # the verdict first
    assert {"lift.csv", "lift.json", "lift.png", "report.html"} <= {p.name for p in out.iterdir()}
