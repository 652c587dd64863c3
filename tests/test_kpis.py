"""The P&L names (docs/KPIS.md): gross profit, contribution, ROI, CAC, market shares, and old names in files."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from sim.config.loader import load_scenario
from sim.errors import ScenarioError, SocsimWarning
from sim.experiments import is_experiment_file, load_experiment
from sim.kpis import current_name, notice_of
from sim.simulation import run

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ("world.population=500", "world.market_size=50000", "world.graph.degree=10", "simulation.days=30")


@pytest.fixture(scope="module")
def kpis() -> dict:
    return run(load_scenario(BASELINE, TINY), seed=3).kpis


def test_the_p_and_l_reads_top_to_bottom(kpis):
    for k in kpis.values():
        assert k["gross_profit"] == pytest.approx(k["revenue"] - k["cogs"])
        assert k["contribution"] == pytest.approx(k["gross_profit"] - k["platform_fees"] - k["marketing_spend"])
        assert k["roi"] == pytest.approx(k["contribution"] / k["marketing_spend"])
        assert k["cac"] == pytest.approx(k["marketing_spend"] / k["buyers"])
        assert k["marketing_spend"] > 0 and k["gross_profit"] > k["contribution"]
        for c in k["channels"].values():
            assert c["gross_profit"] >= c["contribution"]


def test_market_shares_add_up_to_one(kpis):
    assert sum(k["order_share"] for k in kpis.values()) == pytest.approx(1.0)
    assert sum(k["revenue_share"] for k in kpis.values()) == pytest.approx(1.0)
    assert all(0 < k["order_share"] < 1 for k in kpis.values())
    tmall = [k["channels"]["tmall"] for k in kpis.values()]  # both brands sell on Tmall
    assert sum(c["order_share"] for c in tmall) == pytest.approx(1.0)
    assert kpis["focal"]["channels"]["wechat"]["order_share"] == pytest.approx(1.0)  # the rival has no WeChat shop


def test_a_share_moves_with_a_rival():
    """A rival that cannot sell (its price ×100) leaves the focal brand nearly the whole market."""
    base = run(load_scenario(BASELINE, TINY), seed=3).kpis
    priced_out = run(load_scenario(BASELINE, [*TINY, "brands.rival.channels.tmall.price=9900"]), seed=3).kpis
    assert priced_out["focal"]["order_share"] > base["focal"]["order_share"]
    assert priced_out["rival"]["order_share"] < 0.05


def test_names_that_changed():
    assert current_name("focal.contribution_per_order") == "focal.margin_per_order"
    assert current_name("focal.channels.tmall.gross_profit") == "focal.channels.tmall.gross_profit"
    assert "revenue − COGS" in notice_of("focal.gross_profit") and "'focal.contribution'" in notice_of("focal.gross_profit")
    assert notice_of("focal.contribution") == "" and notice_of("focal.revenue") == ""


EXPERIMENT = """\
name: t
base: {base}
set: {{world.population: 500, world.market_size: 50000, world.graph.degree: 10, simulation.days: 20}}
replications: 2
metrics:
  - focal.revenue
  - {metric}
"""


def _experiment(tmp_path: Path, metric: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(textwrap.dedent(EXPERIMENT.format(base=BASELINE, metric=metric)), encoding="utf-8")
    return path


def test_an_old_name_in_a_file_still_runs_with_a_notice_at_its_line(tmp_path):
    with pytest.warns(SocsimWarning, match=r"exp\.yaml:7: metrics\.1: 'focal\.contribution_per_order' is now called "
                                           r"'focal\.margin_per_order'"):
        design = load_experiment(_experiment(tmp_path, "focal.contribution_per_order"))
    assert design.metrics == ("focal.revenue", "focal.margin_per_order")
    with pytest.warns(SocsimWarning, match=r"exp\.yaml:7: metrics\.1: 'focal\.gross_profit' now means revenue − COGS"):
        design = load_experiment(_experiment(tmp_path, "focal.gross_profit"))
    assert design.metrics == ("focal.revenue", "focal.gross_profit")


def test_a_misspelt_name_is_an_error_with_a_hint(tmp_path):
    with pytest.raises(ScenarioError, match=r"exp\.yaml:7: metrics\.1: unknown KPI 'focal\.contributon'; did you mean "
                                            r"'contribution'\?"):
        load_experiment(_experiment(tmp_path, "focal.contributon"))
    with pytest.raises(ScenarioError, match="did you mean 'order_share'"):
        load_experiment(_experiment(tmp_path, "focal.order_shar"))


def test_every_brand_is_summarised_whatever_the_metrics(tmp_path):
    from sim.experiments import ExecutionPlan, run_experiment
    from sim.experiments.tables import brand_rows

    design = load_experiment(_experiment(tmp_path, "focal.orders"))  # the file names the focal brand only
    assert design.brands == ("focal", "rival") and "rival.order_share" in design.overview
    result = run_experiment(design, folder=tmp_path / "out", plan=ExecutionPlan(workers=0))
    rows = brand_rows(design, result.summary)
    assert [r[0] for r in rows] == ["focal", "rival"] and rows[1][2].startswith("¥")
    summary = (result.folder / "summary.csv").read_text(encoding="utf-8-sig")
    assert "rival.contribution" in summary and "rival.order_share" in summary
    assert "Every brand" in (result.folder / "report.html").read_text(encoding="utf-8")


def test_bundled_files_use_current_names():
    def is_comparison(path: Path) -> bool:  # not a game, team, analysis or targets file
        text = path.read_text(encoding="utf-8")
        return is_experiment_file(path) and "\nmetrics:" in text and "\nparameters:" not in text

    files = [p for p in sorted((ROOT / "experiments").rglob("*.yaml")) if is_comparison(p)]
    assert len(files) >= 10
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SocsimWarning)
            load_experiment(path)


def test_fixed_spend_is_what_a_budget_buys(kpis):
    for k in kpis.values():
        assert k["fixed_spend"] == pytest.approx(sum(k["spend"][f] for f in ("ad_spend", "kol_fees", "content_cost")))
        assert 0 < k["fixed_spend"] <= k["marketing_spend"]


def test_budget_mix_holds_the_budget_fixed_not_the_spend():
    """The sweep's extreme splits buy the same fixed marketing; per-order costs make total spend differ.

    Paid media is booked in full every day and 600 KOCs' Poisson posts average out; one
    head KOL's posts are Poisson too, so its fees are checked against 3 standard deviations.
    """
    design = load_experiment(ROOT / "experiments" / "budget_mix.yaml",
                             overrides=["world.population=1500", "world.graph.degree=20"])
    point = {p.label.split(" / ")[0 if p.label.startswith("media 100%") else -1]: p.index for p in design.points}
    spent = {k: run(design.cell("base", point[k]).scenario, seed=42).kpis["focal"] for k in ("media 100%", "KOC 100%")}
    head = run(design.cell("base", next(p.index for p in design.points if "head 100%" in p.label)).scenario, seed=42)
    days = design.cells[0].scenario.simulation.days
    fixed = [k["fixed_spend"] - k["spend"]["content_cost"] for k in spent.values()]
    assert fixed[0] == pytest.approx(16_000 * days) and fixed[1] == pytest.approx(16_000 * days, rel=0.03)
    posts, expected = head.kpis["focal"]["spend"]["kol_fees"] / 200_000, 2.4 * days / 30
    assert abs(posts - expected) < 3 * expected ** 0.5
    total = [k["marketing_spend"] for k in (*spent.values(), head.kpis["focal"])]
    assert max(total) / min(total) > 1.3  # what the splits cost once orders come in
