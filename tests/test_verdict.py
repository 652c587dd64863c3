"""One-line verdicts first: compare, sweep, tournament, lift and lessons (sim.experiments.verdict)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.experiments import ExecutionPlan, load_experiment, run_experiment
from sim.experiments.stats import Interval, PairedDifference
from sim.experiments.tables import format_human
from sim.experiments.verdict import clear_of_zero, compare_verdict, significance, sweep_verdict

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

EXPERIMENT = """\
name: v
base: {base}
set: {{world.population: 500, world.market_size: 50000, world.graph.degree: 10, simulation.days: 30}}
variants:
  - name: burn                    # ¥200k a day of ads: far more spend than it can earn back
    set: {{brands.focal.strategy.paid_media.0.budget_per_day: 200000}}
  - name: base
  - name: same                    # the base again: no difference at all
replications: 4
seed: 5
metrics: [focal.contribution, focal.marketing_spend, focal.revenue]
{extra}"""


def _run(tmp_path: Path, extra: str = ""):
    path = tmp_path / "v.yaml"
    path.write_text(EXPERIMENT.format(base=BASELINE, extra=extra), encoding="utf-8")
    return run_experiment(load_experiment(path), folder=tmp_path / "out", plan=ExecutionPlan(workers=0))


def test_compare_names_the_winner_first_with_its_interval(tmp_path):
    result = _run(tmp_path)
    line = compare_verdict(result.design, result.summary)
    assert line.startswith("Verdict: base beats burn on contribution · focal by +¥"), line
    assert "95 % CI +¥" in line and "significant (p" in line and "not significant" not in line.split(";")[0]
    assert "; on marketing spend · focal: −¥" in line  # the next KPI, same pair: base spends far less
    assert not re.search(r"\de[+-]\d", line)            # no scientific notation
    report = (result.folder / "report.html").read_text(encoding="utf-8")
    assert report.index("class='verdict'") < report.index("<h2>")  # the verdict comes before every section


def test_a_reference_that_wins_is_said_so(tmp_path):
    path = tmp_path / "v.yaml"
    text = EXPERIMENT.format(base=BASELINE, extra="").replace("  - name: burn", "  - name: burnx").split("variants:")
    text = text[0] + "variants:\n  - name: base\n  - name: burn\n    set: {brands.focal.strategy.paid_media.0.budget_per_day: 200000}\n" \
        + "replications:" + text[1].split("replications:")[1]
    path.write_text(text, encoding="utf-8")
    result = run_experiment(load_experiment(path), folder=tmp_path / "out", plan=ExecutionPlan(workers=0))
    line = compare_verdict(result.design, result.summary)
    assert line.startswith("Verdict: base (the reference) is best on contribution · focal; the nearest, burn, is −¥"), line


def test_sweep_verdict_names_best_and_worst(tmp_path):
    sweep = ("sweep:\n  grid:\n    - {path: brands.focal.strategy.paid_media.0.budget_per_day, values: [0, 3000, 200000], "
             "name: ads}\n")
    text = EXPERIMENT.format(base=BASELINE, extra=sweep)
    text = text[:text.index("variants:")] + text[text.index("replications:"):]
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_experiment(load_experiment(path), folder=tmp_path / "out", plan=ExecutionPlan(workers=0))
    line = sweep_verdict(result.design, result.summary)
    assert line.startswith("Verdict: best on contribution · focal: ") and "worst ads=200000 at −¥" in line, line


def _diff(mean: float, low: float, high: float, p: float) -> PairedDifference:
    return PairedDifference(Interval(mean, low, high, 4, 1.0), 0.1, p)


def test_significance_words():
    assert significance(_diff(1, 0.5, 1.5, 0.0004)) == "significant (p < 0.001)"
    assert significance(_diff(1, -0.5, 2.5, 0.21)) == "not significant (p = 0.210)"
    assert significance(_diff(1, float("nan"), float("nan"), float("nan"))).startswith("no test")
    assert clear_of_zero(Interval(-2, -3, -1, 4, 1)) == "significant"
    assert clear_of_zero(Interval(1, -1, 3, 4, 1)) == "not significant"


@pytest.mark.parametrize("metric, value, signed, text", [
    ("focal.contribution", 6_400_000.0, True, "+¥6.40 M"), ("focal.revenue", 50_920_000.0, False, "¥50.9 M"),
    ("focal.spend.ad_spend", 806_400.0, False, "¥806 k"), ("focal.orders", 1_980_400.0, False, "1.98 M"), ("focal.revenue", 138_760_000.0, False, "¥139 M"),
    ("focal.traffic", 999_700.0, False, "1.00 M"), ("focal.orders", 12_500.0, False, "12.5 k"),
    ("focal.cac", 12.5, False, "¥12.5"), ("focal.conversion", -0.012, True, "−1.2 pp"), ("focal.roi", float("nan"), False, "–"),
])
def test_human_numbers(metric, value, signed, text):
    assert format_human(metric, value, signed) == text
