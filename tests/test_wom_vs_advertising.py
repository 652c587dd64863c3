"""The ``wom_vs_advertising`` check and its estimators (sim/experiments/marketing.py).

A stand-in market with chosen elasticities shows the check passing where word of mouth
is inside its range and above paid media, and failing when the mechanism is off or the
order is reversed. On the real model the bundled baseline passes, and fails with a share
reaching ≈ 5 contacts as before the fit; paid media's elasticity is near the published
mean only with impulses limited to pulling the next need forward (negative control:
without the window it is more than twice as high, docs/BEHAVIOURS.md#wom_vs_advertising);
and word of mouth's elasticity is shown to come from the weight of shares (exactly 0 with
``wom_strength`` 0).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from sim.experiments.marketing import (PAID_UP, WOM_UP, load_marketing_targets, paid_elasticity, response_variants,
                                       wom_elasticity)
from sim.verification.jobs import RunSummary
from sim.verification.suite import CHECKS, CheckSettings, run_checks

from _support import ROOT, scenario

#: Shares grow faster than advocacy (more orders, more sharers): ×1.25 advocacy → shares × 1.25^SHARE_FEEDBACK.
SHARE_FEEDBACK = 1.1


def fake_market(e_wom: float, e_paid: float):
    """Runs whose focal orders respond to share volume with ``e_wom`` and to paid budget
    with ``e_paid`` (constant elasticities), with 1 % noise per seed and 0.3 % per run."""
    base = scenario()
    advocacy = base.world.segments["trend_chasers"].resolved("trend_chasers")["advocacy"]
    budget = base.brands[0].strategy.paid_media[0].budget_per_day

    def run(jobs, workers=1, progress=None, **executor):  # scheduler, dask_local: unused here
        out = []
        for job in jobs:
            sc = job.scenario
            a = sc.world.segments["trend_chasers"].resolved("trend_chasers")["advocacy"] / advocacy
            b = sc.brands[0].strategy.paid_media[0].budget_per_day / budget
            shares = 50_000 * a ** SHARE_FEEDBACK
            noise = (1 + 0.01 * np.random.default_rng(job.seed).standard_normal()
                     + 0.003 * np.random.default_rng([job.seed, int(a * 1e3), int(b * 1e3)]).standard_normal())
            orders = 100_000 * (shares / 50_000) ** e_wom * b ** e_paid * noise
            out.append(RunSummary(job.seed, {"focal.orders": orders, "focal.shares": shares}, ""))
        return out

    return run


def wom_check(monkeypatch, e_wom: float, e_paid: float):
    import sim.verification.suite as checks

    monkeypatch.setattr(checks, "run_jobs", fake_market(e_wom, e_paid))
    [result] = run_checks(scenario(), CheckSettings(reps=4), only=["wom_vs_advertising"])
    return result


def test_passes_where_word_of_mouth_is_in_range_and_above_paid_media(monkeypatch):
    result = wom_check(monkeypatch, 0.5, 0.2)
    assert result.status == "pass" and result.p_value < 0.01, result.measured
    wom, paid = elasticities(result.measured)
    assert wom == pytest.approx(0.5, abs=0.03) and paid == pytest.approx(0.2, abs=0.03), result.measured
    assert "40 seeds" in result.measured   # 10 × --reps: the power the check needs (suite.py)


@pytest.mark.parametrize("e_wom, e_paid, why", [
    (0.0, 0.2, "mechanism off: shares carry no weight"),
    (0.3, 0.45, "both in range, order reversed"),
    (0.5, 1.1, "paid media far above published figures (the baseline's state)"),
])
def test_fails_when_word_of_mouth_is_off_or_the_order_reversed(monkeypatch, e_wom, e_paid, why):
    result = wom_check(monkeypatch, e_wom, e_paid)
    assert result.status == "fail", (why, result.measured)
    assert result.p_value >= 0.01


def test_is_asked_for_by_name_and_skips_a_brand_without_paid_media(monkeypatch):
    import sim.verification.suite as checks

    assert not next(c for c in CHECKS if c.key == "wom_vs_advertising").default
    monkeypatch.setattr(checks, "run_jobs", fake_market(0.5, 0.2))
    [result] = run_checks(scenario("brands.0.strategy.paid_media=[]"), CheckSettings(reps=2), only=["wom_vs_advertising"])
    assert result.status == "skip" and "no paid media" in result.note


def test_variants_raise_every_segments_sharing_and_the_focal_brands_budgets():
    targets, wom, paid = load_marketing_targets()
    sc = scenario()
    raised = response_variants(sc, 0, targets.step)
    assert set(raised[WOM_UP]) == {f"world.segments.{k}.advocacy" for k in sc.world.segments}
    for path, value in raised[WOM_UP].items():
        key = path.split(".")[2]
        assert value == pytest.approx(sc.world.segments[key].resolved(key)["advocacy"] * 1.25)
    assert raised[PAID_UP] == {"brands.0.strategy.paid_media.0.budget_per_day": 3000 * 1.25}
    assert wom.low >= paid.typical and wom.typical == 0.53 and paid.typical == 0.24


def test_estimators_are_log_ratios_and_undefined_without_more_shares():
    assert paid_elasticity(np.array([125.0]), np.array([100.0]), 0.25)[0] == pytest.approx(1.0)
    e = wom_elasticity(np.array([110.0, 110.0]), np.array([100.0, 100.0]), np.array([150.0, 100.0]), np.array([100.0, 100.0]))
    assert e[0] == pytest.approx(np.log(1.1) / np.log(1.5)) and np.isnan(e[1])


def elasticities(measured: str) -> tuple[float, float]:
    found = re.search(r"word of mouth ([+−][\d.]+) .*paid media ([+−][\d.]+)", measured)
    return tuple(float(x.replace("−", "-")) for x in found.groups())


def paid_interval(measured: str) -> tuple[float, float]:
    """Paid media's 95 % interval as the check reports it."""
    found = re.search(r"paid media [+−][\d.]+ \[([+−][\d.]+), ([+−][\d.]+)\]", measured)
    return tuple(float(x.replace("−", "-")) for x in found.groups())


def test_on_the_model_the_impulse_window_halves_paid_medias_elasticity():
    """At test size (4,000 agents, 180 days, 30 seeds). An impulse only pulls the next need
    forward (docs/MODEL.md §3.4): paid media's elasticity of orders sits near the published
    long-run mean. Negative control: a window longer than any stock is the former rule,
    every strong impression an order chance whatever she holds at home; paid media's whole
    interval then lies above the window's (more than twice as elastic) and the check fails."""
    with_window, without = (run_checks(scenario(*change), CheckSettings(reps=3, workers=2), only=["wom_vs_advertising"])[0]
                            for change in ((), ("world.behaviour.impulse_window_days=3650",)))
    (low, high), (low_without, _) = paid_interval(with_window.measured), paid_interval(without.measured)
    assert high < 0.5 and low_without > high, (with_window.measured, without.measured)
    assert without.status == "fail", without.measured


#: The reach of a share before word of mouth was fitted: ≈ 5 of 150 contacts (docs/MODEL.md §3.2).
FORMER_REACH = "world.behaviour.tie_reach=[0.3, 0.15, 0.05, 0.01]"


@pytest.mark.parametrize("change, passes", [((), True), ((FORMER_REACH,), False)])
def test_on_the_model_the_baseline_passes_and_fails_with_the_former_reach(change, passes):
    """The check as a user runs it on the bundled baseline (default --reps 6: 60 seeds, 4,000
    agents, 180 days, 150 contacts) passes: word of mouth's elasticity inside 0.24–1.0 and above paid media's.
    Negative control: with a share reaching ≈ 5 contacts, as before the fit, word of mouth's
    elasticity falls below its range and the check fails."""
    from sim.config.loader import load_scenario

    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml", list(change))
    [result] = run_checks(baseline, CheckSettings(reps=6 if passes else 2, workers=2), only=["wom_vs_advertising"])
    assert (result.status == "pass") == passes, result.measured


def test_on_the_model_weightless_shares_move_nothing():
    """With weightless shares the extra shares change no one's attitude and, as they draw
    only from the word-of-mouth stream, no other draw either: orders are identical and
    word of mouth's elasticity is exactly 0."""
    [result] = run_checks(scenario("world.behaviour.wom_strength=0"), CheckSettings(reps=3, workers=1),
                          only=["wom_vs_advertising"])
    assert result.status == "fail" and "word of mouth +0.00 [+0.00, +0.00]" in result.measured, result.measured


def test_targets_file_is_documented():
    text = (ROOT / "docs" / "SOURCES.md").read_text(encoding="utf-8")
    assert "Sethuraman" in text and "Trusov" in text


# --------------------------------------------------------------------------- socsim calibrate
def marketing_runs(e_wom: float, e_paid: float) -> dict[str, np.ndarray]:
    """(3 replications, [focal orders, rival orders, focal shares]) per variant with known elasticities."""
    from sim.experiments.elasticity import BASE

    base = np.array([1000.0, 600.0, 500.0])
    wom = np.array([1000.0 * 1.3 ** e_wom, 600.0, 500.0 * 1.3])
    paid = np.array([1000.0 * 1.25 ** e_paid, 600.0, 500.0])
    return {k: np.tile(v, (3, 1)) for k, v in {BASE: base, WOM_UP: wom, PAID_UP: paid}.items()}


def test_calibration_loss_aims_at_the_published_central_figures_and_counts_a_reversed_order():
    """Each measure's term is ((e − typical)/half its range)², so the search aims at word of
    mouth's 0.53 and paid media's 0.24, not at the first candidate inside both ranges; word
    of mouth below paid media adds the shortfall over paid media's half-width, squared."""
    from sim.analysis.price_response import PriceTargets, price_fits, price_loss

    targets = PriceTargets(load_marketing_targets()[0], weight=1.0)
    assert targets.marketing and targets.extra_metrics(["focal", "rival"]) == ("focal.shares",)
    wom_half, paid_half = (1.0 - 0.24) / 2, (0.5 - 0.01) / 2
    assert price_loss(targets, marketing_runs(0.53, 0.24), ["focal", "rival"]) == pytest.approx(0.0, abs=1e-12)
    inside = ((0.5 - 0.53) / wom_half) ** 2 + ((0.2 - 0.24) / paid_half) ** 2
    assert price_loss(targets, marketing_runs(0.5, 0.2), ["focal", "rival"]) == pytest.approx(inside)
    reversed_order = ((0.3 - 0.53) / wom_half) ** 2 + ((0.45 - 0.24) / paid_half) ** 2 + ((0.45 - 0.3) / paid_half) ** 2
    assert price_loss(targets, marketing_runs(0.3, 0.45), ["focal", "rival"]) == pytest.approx(reversed_order)
    assert price_loss(targets, marketing_runs(0.3, 0.45), ["focal", "rival"]) > price_loss(targets, marketing_runs(0.5, 0.2), ["focal", "rival"])
    fits = {f.measure: f.achieved.mean for f in price_fits(targets, marketing_runs(0.2, 1.1), ["focal", "rival"])}
    assert fits == pytest.approx({"word_of_mouth": 0.2, "paid_media": 1.1})


def test_cli_calibrate_fits_word_of_mouth_and_paid_media_end_to_end(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    (tmp_path / "ranges.yaml").write_text((ROOT / "scenarios" / "targets" / "wom_vs_advertising.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    spec = yaml.safe_load((ROOT / "scenarios" / "targets" / "wom_response.yaml").read_text(encoding="utf-8"))
    spec |= {"set": {"world.population": 300, "world.market_size": 30000, "world.graph.degree": 20, "simulation.days": 40},
             "parameters": spec["parameters"][:1], "elasticity": {"targets": "ranges.yaml"}, "replications": 2, "seed": 3,
             "optimiser": {"method": "powell", "max_evaluations": 2}, "outputs": {"dir": str(tmp_path / "out")}}
    targets = tmp_path / "wom.yaml"
    targets.write_text(yaml.safe_dump(spec), encoding="utf-8")
    res = CliRunner().invoke(app, ["calibrate", str(ROOT / "scenarios" / "baseline.yaml"), "--targets", str(targets),
                                   "--workers", "0", "--out", str(tmp_path / "cal.yaml")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.replace("│", " ").split())
    for label in ("word of mouth and paid media vs published ranges", "share volume", "paid budget",
                  "0.24 to 1", "0.01 to 0.5"):
        assert label in text, text
    runs = list((tmp_path / "out").rglob("runs/*.json"))
    assert len(runs) >= 3 * 2   # as is + sharing raised + paid raised, 2 seeds each, at least one candidate


def test_bundled_word_of_mouth_calibration_targets_load():
    from sim.analysis.calibrate import load_targets

    spec = load_targets(ROOT / "scenarios" / "targets" / "wom_response.yaml")
    assert spec.elasticity is not None and spec.elasticity.targets == "wom_vs_advertising.yaml"
    assert {p.path.rsplit(".", 1)[1] for p in spec.parameters} == {"wom_strength", "paid_strength", "impulse_prob"}
