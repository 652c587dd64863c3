"""sim.experiments.spec / design: experiment files validated like scenarios (file:line, field, hint)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sim.config.loader import load_scenario
from sim.errors import ScenarioError
from sim.experiments import adhoc_design, is_experiment_file, load_experiment
from sim.experiments.spec import kpi_names, series_names
from sim.experiments.worker import daily_columns, flatten_kpis
from sim.simulation import run

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = ("world.population=500", "world.market_size=50000", "world.graph.degree=10", "simulation.days=20")


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).replace("BASE", str(BASELINE)), encoding="utf-8")
    return path


def problems(path: Path, **kw) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_experiment(path, **kw)
    return [p.render(Path(info.value.file).name) for p in info.value.problems]


GOOD = """\
name: t
base: BASE
set: {world.population: 500, world.market_size: 50000, world.graph.degree: 10, simulation.days: 20}
variants:
  - name: none
    set: {brands.focal.strategy.parity: none}
  - name: strict
    set:
      brands:
        focal:
          strategy: {parity: strict, wechat_bundle: false}
replications: 3
metrics: [focal.revenue, contribution, focal.channels.wechat.orders]
"""


def test_examples_load():
    cp = load_experiment(ROOT / "experiments" / "channel_protection.yaml")
    assert [v.name for v in cp.variants] == ["none", "strict", "floor", "bundle", "none_leaders_stay"]
    assert cp.replications == 10 and cp.seed == 42 and not cp.is_sweep
    promo = cp.cell("floor", 0).scenario.brands[0].strategy.promotions
    assert promo[0].channels == ["tmall"] and promo[0].depth == 0.3
    assert cp.cell("floor", 0).scenario.brands[0].strategy.parity == "floor"
    assert cp.cell("bundle", 0).scenario.brands[0].strategy.wechat_bundle is True
    stay = cp.cell("none_leaders_stay", 0).scenario.brands[0].strategy
    assert stay.parity == "none" and stay.group_leaders.price_gap_tolerance_yuan == 100_000
    bm = load_experiment(ROOT / "experiments" / "budget_mix.yaml")
    assert bm.is_sweep and len(bm.points) == 15 and [a.name for a in bm.axes] == ["paid_media_share", "head_kol_share"]
    for point in bm.points:  # every split spends the same fixed budget (¥480k a month)
        s = bm.cell("base", point.index).scenario.brands[0].strategy
        monthly = s.paid_media[0].budget_per_day * 30 + s.kols[0].posts_per_month * s.kols[0].fee_per_post_yuan \
            + s.kols[1].count * s.kols[1].posts_per_month * s.kols[1].fee_per_post_yuan
        assert monthly == pytest.approx(480_000)


def test_nested_and_dotted_changes_are_the_same(tmp_path):
    d = load_experiment(write(tmp_path, GOOD))
    assert d.variants[1].changes == ('brands.focal.strategy.parity = "strict"', "brands.focal.strategy.wechat_bundle = false")
    assert d.cell("strict", 0).scenario.brands[0].strategy.parity == "strict"
    assert d.cell("none", 0).scenario.world.population == 500
    assert d.metrics == ("focal.revenue", "focal.contribution", "focal.channels.wechat.orders")
    assert d.seed == 42  # the base scenario's seed
    tasks = d.tasks()
    assert len(tasks) == 6 and [t.seed for t in tasks] == [42, 42, 43, 43, 44, 44]  # common random numbers
    assert tasks[0].scenario == tasks[2].scenario and tasks[0].digest == tasks[2].digest


def test_digest_tracks_scenarios_not_replications(tmp_path):
    a = load_experiment(write(tmp_path, GOOD))
    assert load_experiment(write(tmp_path, GOOD), replications=9).digest == a.digest
    assert load_experiment(write(tmp_path, GOOD.replace("metrics: [", "metrics: [focal.roi, "))).digest == a.digest
    assert load_experiment(write(tmp_path, GOOD), seed=7).digest != a.digest
    assert load_experiment(write(tmp_path, GOOD.replace("parity: strict", "parity: floor"))).digest != a.digest
    assert load_experiment(write(tmp_path, GOOD), overrides=["simulation.days=21"]).digest != a.digest


@pytest.mark.parametrize("old, new, expected", [
    ("variants:", "variant:", "exp.yaml:4: variant: unknown key 'variant'; did you mean 'variants'?"),
    ("parity: none}", "parity: nonee}",
     "exp.yaml:6: brands.0 (focal).strategy.parity: got 'nonee'; allowed: none | strict | floor; did you mean 'none'? (variant none)"),
    ("brands.focal.strategy.parity: none", "brands.focul.strategy.parity: none",
     "exp.yaml:6: variants.0 (none).set.brands.focul.strategy.parity: no such field in the scenario: brands has no item 'focul'; "
     "names: focal, rival; indices 0–1; did you mean 'focal'?"),
    ("strategy: {parity: strict", "strategy: {parityy: strict",
     "exp.yaml:11: brands.0 (focal).strategy.parityy: unknown key 'parityy'; did you mean 'parity'? (variant strict)"),
    ("world.population: 500", "world.population: -5",
     "exp.yaml:3: world.population: got -5; must be ≥ 10 and ≤ 100 000 000 (variant none)"),
    ("contribution,", "contributon,", "exp.yaml:13: metrics.1: unknown KPI 'contributon'; did you mean 'contribution'?"),
    ("replications: 3", "replications: 0", "exp.yaml:12: replications: got 0; must be ≥ 1"),
    ("name: strict", "name: none", "exp.yaml:7: variants.1 (none).name: variant name 'none' is used twice; names must be unique"),
    ("base: BASE", "base: nowhere.yaml", "exp.yaml:2: base: scenario "),  # path shown relative to the working folder or absolute
])
def test_mistakes_name_line_field_and_fix(tmp_path, old, new, expected):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    found = problems(write(tmp_path, text))
    assert any(p.startswith(expected) for p in found), found
    if "nowhere" in new:
        assert "nowhere.yaml: file not found" in found[0] and "relative paths start at the experiment's folder" in found[0]


def test_every_problem_at_once_and_override_blame(tmp_path):
    text = GOOD.replace("parity: none}", "parity: nonee}").replace("contribution,", "grossprofit,")
    found = problems(write(tmp_path, text))
    assert len(found) == 1 and "nonee" in found[0]  # metrics are checked once the scenarios are valid
    found = problems(write(tmp_path, GOOD), overrides=["world.graph.degree=-1"])
    assert any("(from --set world.graph.degree=-1)" in p for p in found), found


SWEEP = GOOD.replace("replications: 3", """\
sweep:
  grid:
    - {path: brands.focal.strategy.paid_media.0.budget_per_day, values: [0, 1000, 2000], name: budget}
    - {path: brands.focal.strategy.referral.level1, values: [0.0, 0.1]}
replications: 2""")


def test_grid_sweep(tmp_path):
    d = load_experiment(write(tmp_path, SWEEP))
    assert [a.name for a in d.axes] == ["budget", "level1"] and all(a.numeric for a in d.axes)
    assert len(d.points) == 6 and len(d.cells) == 12 and len(d.tasks()) == 24
    assert d.points[3].coords == {"budget": 1000, "level1": 0.1} and d.points[3].label == "budget=1000, level1=0.1"
    s = d.cell("strict", 3).scenario.brands[0].strategy
    assert s.paid_media[0].budget_per_day == 1000 and s.referral.level1 == 0.1 and s.parity == "strict"


def test_sweep_mistakes(tmp_path):
    bad = SWEEP.replace("values: [0, 1000, 2000]", "values: [0, -1000, 2000]")
    found = problems(write(tmp_path, bad))
    assert found and found[0].startswith("exp.yaml:14: brands.0 (focal).strategy.paid_media.0.budget_per_day: got -1000"), found
    both = SWEEP.replace("sweep:\n", "sweep:\n  points: [{set: {simulation.days: 5}}]\n")
    assert any("give either 'grid'" in p for p in problems(write(tmp_path, both)))
    three = SWEEP.replace("  grid:\n", "  grid:\n    - {path: simulation.days, values: [5]}\n")
    assert any("sweep.grid: got a list of 3; must have at most 2 items" in p for p in problems(write(tmp_path, three)))


def test_list_sweep_with_coordinates(tmp_path):
    text = GOOD.replace("replications: 3", """\
sweep:
  axes: [share]
  points:
    - {label: low, at: {share: 0.2}, set: ["brands.focal.strategy.referral.level1=0.02"]}
    - {label: high, at: {share: 0.8}, set: {brands.focal.strategy.referral.level1: 0.08}}
replications: 2""")
    d = load_experiment(write(tmp_path, text))
    assert [p.label for p in d.points] == ["low", "high"] and d.axes[0].numeric
    assert d.cell("none", 1).scenario.brands[0].strategy.referral.level1 == 0.08
    missing = text.replace("at: {share: 0.8}", "at: {other: 0.8}")
    assert any("no coordinate 'share'" in p for p in problems(write(tmp_path, missing)))


def test_adhoc_design_and_file_kinds(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    d = adhoc_design([a, BASELINE], replications=2, overrides=TINY)
    assert [v.name for v in d.variants] == ["a", "baseline"] and len(d.tasks()) == 4
    assert d.cell("a", 0).scenario.world.population == 500
    assert not is_experiment_file(BASELINE) and is_experiment_file(ROOT / "experiments" / "budget_mix.yaml")
    with pytest.raises(ScenarioError, match="nowhere"):
        adhoc_design([a, tmp_path / "nowhere.yaml"])


def test_kpi_and_series_catalogue_match_a_run():
    """spec.BRAND_KPIS / series_names stay in step with sim.metrics and the worker's columns."""
    result = run(load_scenario(BASELINE, TINY), seed=1)
    flat = flatten_kpis(result.kpis)
    for brand, channels, priced in (("focal", ["tmall", "wechat"], ["tmall", "wechat"]), ("rival", ["tmall"], ["tmall"])):
        assert {k[len(brand) + 1:] for k in flat if k.startswith(brand + ".")} == set(kpi_names(channels))
        cols = daily_columns(result)
        assert {k[len(brand) + 1:] for k in cols if k.startswith(brand + ".")} == set(series_names(channels, priced))


def test_docs_list_every_name():
    """docs/EXPERIMENTS.md names every KPI and daily series a file may use."""
    from sim.experiments.spec import BRAND_KPIS, CHANNEL_KPIS, STATE_SERIES
    from sim.ledger import FIELDS, MARKETING_FIELDS

    doc = (ROOT / "docs" / "EXPERIMENTS.md").read_text(encoding="utf-8")
    for name in (*BRAND_KPIS, *CHANNEL_KPIS, *STATE_SERIES, *FIELDS, *(f"spend.{f}" for f in MARKETING_FIELDS)):
        assert f"`{name}`" in doc, name


def test_digest_covers_the_model_code(tmp_path, monkeypatch):
    """Runs of an edited or upgraded model never share a folder with runs of this one."""
    path = write(tmp_path, GOOD)
    before = load_experiment(path).digest
    monkeypatch.setattr("sim.experiments.design.code_fingerprint", lambda: "an edited model")
    assert load_experiment(path).digest != before
