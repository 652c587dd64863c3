"""``socsim check`` and the statistics of :mod:`sim.verification`.

The CLI is driven at a tiny size (400 agents, 20 contacts, 30 days, 3 seeds): the point
is that every behaviour of docs/BEHAVIOURS.md is run and reported with its figures and p-value,
that skips say why, and that a broken lever is reported as a failure — not that the
behaviours hold at that size (tests/test_behaviours.py checks them at a useful size).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.verification.jobs import RunSummary
from sim.verification.stats import agreement_pvalues, holm, one_sample_greater, paired_greater
from sim.verification.suite import CHECKS, CheckSettings, run_checks

from _support import ROOT, scenario

BEHAVIOURS_MD = ROOT / "docs" / "BEHAVIOURS.md"
TINY = ["--reps", "3", "--population", "400", "--days", "30", "--set", "world.graph.degree=20", "--workers", "2"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """One table row per line, so rows can be read back."""
    from sim import terminal as cli

    monkeypatch.setattr(cli.console, "width", 400)


def check(*args: str):
    return CliRunner().invoke(app, ["check", *TINY, *args])


def row(output: str, key: str) -> str:
    return next(line for line in output.splitlines() if f"{key}:" in line)


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("│")]


def test_check_runs_every_behaviour_and_reports_figures():
    result = check()
    out = result.output
    for c in CHECKS:
        assert (f"{c.key}:" in out and c.behaviour in row(out, c.key)) == c.default
    assert "PASS" in row(out, "reproducible") and "identical" in row(out, "reproducible")
    assert "PASS" in row(out, "bass") and "max |F − Bass|" in row(out, "bass")
    assert re.search(r"\d+ passed, \d+ failed, 0 skipped", out)
    assert re.search(r"\b0\.\d+\b", row(out, "content"))  # a p-value
    assert result.exit_code == (1 if "FAIL" in out else 0)


def test_checks_that_need_a_wechat_shop_are_skipped_with_a_reason():
    result = check("--set", "brands.focal.channels={tmall: {price: 129}}", "--only", "spillover",
                   "--only", "referral", "--only", "open_vs_closed", "--only", "bass")
    out = result.output
    for key in ("spillover", "referral", "open_vs_closed"):
        assert "skip" in row(out, key)
    assert "not listed on both" in out and "no social-channel shop" in out
    assert re.search(r"1 passed, 0 failed, 3 skipped", out) and result.exit_code == 0


def test_a_broken_lever_fails_the_check():
    """With referral_uplift = 0 a commission no longer raises sharing: the check must say so."""
    result = check("--set", "world.behaviour.referral_uplift=0", "--only", "referral")
    assert "FAIL" in row(result.output, "referral") and result.exit_code == 1


@pytest.mark.parametrize("switch, status", [((), "pass"), (("world.behaviour.downline_expectation=0",), "fail")])
def test_referral_depth_holds_only_while_sharers_expect_downline_earnings(switch, status):
    """referral_depth at the check's default size: a level-2 rate raises depth-2 shares;
    with sharers expecting nothing from their downline (the mechanism off) it does not."""
    settings = CheckSettings(reps=6, population=4000, days=180, workers=2)
    [result] = run_checks(scenario(*switch), settings, only=["referral_depth"])
    assert result.status == status, result.measured
    assert "depth-2 shares" in result.measured and "downline per member" in result.measured
@pytest.mark.parametrize("switch", [None, "world.behaviour.negative_wom_ratio=0"])
def test_negative_word_of_mouth_passes_on_the_baseline_and_fails_with_warnings_switched_off(switch):
    """At check size, more detractors cost buyers and their warnings' own part is significant;
    with warnings that weigh nothing the weightless variant is the same scenario as the
    other, so the second test finds no difference and the check fails."""
    from sim.config.loader import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml", [switch] if switch else [])
    [result] = run_checks(sc, CheckSettings(reps=6), only=["negative_word_of_mouth"])
    assert result.status == ("fail" if switch else "pass"), result.measured
    assert "detractors" in result.measured and "their warnings alone cost" in result.measured
    if switch:
        assert result.p_value == 1.0  # identical runs: no evidence at all


@pytest.mark.parametrize("switch", [None, "world.behaviour.two_step.relay_prob=0"])
def test_two_step_flow_passes_on_the_baseline_and_fails_when_leaders_never_relay(switch):
    """At check size, relayed media raise reach and orders; with relay_prob 0 the leaders
    relay nothing (the variant differs from 'off' only by the relay's unused draws), so
    the check must fail."""
    from sim.config.loader import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml", [switch] if switch else [])
    [result] = run_checks(sc, CheckSettings(reps=6), only=["two_step_flow"])
    assert result.status == ("fail" if switch else "pass"), result.measured
    assert "exposures relayed" in result.measured and "reach" in result.measured
    assert result.p_value > 0.01 if switch else result.p_value < 0.01


def test_check_runs_on_a_local_dask_cluster_as_compare_does():
    """--dask-local and --scheduler as compare has them: the same figures as a local pool,
    and one way to run at a time."""
    pytest.importorskip("distributed")
    local = check("--only", "reproducible", "--only", "content")
    tiny = TINY[:TINY.index("--workers")]
    on_dask = CliRunner().invoke(app, ["check", *tiny, "--dask-local", "2", "--only", "reproducible", "--only", "content"])
    assert on_dask.exit_code == local.exit_code and "local Dask cluster, 2 worker processes" in row(on_dask.output, "reproducible")
    assert "PASS" in row(on_dask.output, "reproducible") and "identical" in row(on_dask.output, "reproducible")
    assert cells(row(on_dask.output, "content")) == cells(row(local.output, "content"))  # the same figures and p
    both = check("--dask-local", "2")
    assert both.exit_code == 1 and "choose one way" in both.output and "Traceback" not in both.output


def test_bad_input_is_one_error_line():
    result = check("--only", "nonsense")
    assert result.exit_code == 1 and "unknown check 'nonsense'" in result.output
    result = check("--set", "world.behaviour.entry_bonuss=1")
    assert result.exit_code == 1 and "entry_bonuss" in result.output and "Traceback" not in result.output


def test_run_checks_library_bass_only_runs_no_simulation():
    calls = []
    [result] = run_checks(scenario(), CheckSettings(bass_seeds=2), progress=lambda d, t: calls.append(d), only=["bass"])
    assert result.status == "pass" and result.p_value is None and calls == []


# --------------------------------------------------------------------------- statistics
def test_holm_rejects_step_down():
    # m = 4: thresholds 0.0025, 0.0033, 0.005, 0.01
    np.testing.assert_array_equal(holm([0.002, 0.003, 0.04, 0.001], 0.01), [True, True, False, True])
    np.testing.assert_array_equal(holm([0.004, 0.003], 0.01), [True, True])
    np.testing.assert_array_equal(holm([0.006, 0.0055], 0.01), [False, False])  # 0.0055 > 0.01/2
    assert holm([], 0.01).size == 0


def test_agreement_pvalues_handle_constant_and_missing_values():
    assert agreement_pvalues(np.full(5, 3.0), np.full(6, 3.0)) == (1.0, 1.0)
    assert agreement_pvalues(np.full(5, 3.0), np.full(6, 4.0)) == (0.0, 0.0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=40), rng.normal(size=40)
    a[3] = np.nan
    p_ks, p_welch = agreement_pvalues(a, b)
    assert 0.01 < p_ks <= 1 and 0.01 < p_welch <= 1
    assert max(agreement_pvalues(a, b + 2.0)) < 1e-6


def test_paired_and_one_sample_tests():
    base = np.arange(6.0)
    assert paired_greater(base + 1, base) == (True, 0.0)      # constant positive difference
    assert paired_greater(base, base) == (False, 1.0)
    ok, p = paired_greater(base + np.array([1, 2, 1.5, 1, 2, 1.2]), base)
    assert ok and p < 0.01
    assert one_sample_greater(np.array([0.6, 0.7, np.nan, 0.65, 0.62]), 0.5)[0]
    ok, p = one_sample_greater(np.array([np.nan, 0.7]), 0.5)
    assert not ok and np.isnan(p)


@pytest.mark.parametrize("key", [c.key for c in CHECKS])
def test_every_check_is_described_in_behaviours_md(key):
    """The table's behaviour names a section of docs/BEHAVIOURS.md, and the check has its own anchor there."""
    c = next(c for c in CHECKS if c.key == key)
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', BEHAVIOURS_MD.read_text(encoding="utf-8")))
    assert c.title and c.behaviour in anchors and c.key in anchors


# --------------------------------------------------------------------------- price-response checks
PRICE_CHECKS = ["elasticity", "post_promotion_dip", "reference_price_adapts"]


def fake_market(effect: bool):
    """A stand-in for the simulations: orders follow chosen price responses, so each check
    can be shown to pass where its effect exists and to fail where it does not.

    With ``effect``: own elasticities −2.5 / −2.2, cross +1.5 / +1.7 (rivals win about
    half of the lost orders, category ≈ −0.8), a 10 % dip for four weeks after a
    promotion, and a loss after a permanent rise that shrinks from 35 % to 15 %. Without:
    own −3.7, cross +0.2 (category ≈ −3.3), no dip, a constant 33 % loss.
    """
    own, cross = ((-2.5, -2.2), (1.5, 1.7)) if effect else ((-3.7, -3.7), (0.2, 0.2))
    base = scenario()
    list_price = {b.name: b.product.price for b in base.brands}

    def run(jobs, workers=1, progress=None, **executor):  # scheduler, dask_local: unused here
        out = []
        for job in jobs:
            sc, rng = job.scenario, np.random.default_rng([job.seed, len(job.scenario.model_dump_json())])
            ratio = {b.name: b.product.price / list_price[b.name] for b in sc.brands}
            level = {"focal": 10_000 * ratio["focal"] ** own[0] * ratio["rival"] ** cross[0],
                     "rival": 6_000 * ratio["rival"] ** own[1] * ratio["focal"] ** cross[1]}
            noise = 1 + 0.004 * rng.standard_normal(2) + 0.02 * np.random.default_rng(job.seed).standard_normal()
            kpis = {f"{b}.orders": level[b] * n for b, n in zip(("focal", "rival"), noise)}
            out.append(RunSummary(job.seed, kpis, "", {"focal": _daily_focal(sc, effect, rng), "rival": np.full(sc.simulation.days, 60.0)}))
        return out

    return run


def _daily_focal(sc, effect: bool, rng) -> np.ndarray:
    days = sc.simulation.days
    orders = 100.0 + 3.0 * rng.standard_normal(days)
    start = sc.simulation.start_date
    for p in sc.brands[0].strategy.promotions:
        first, last = (p.start - start).days, (p.end - start).days
        orders[first:last + 1] *= 2.3
        orders[last + 1:last + 29] *= 0.9 if effect else 1.0
    for change in sc.brands[0].strategy.schedule:
        rise = (change.start - start).days
        loss = np.linspace(0.35, 0.15, days - rise) if effect else np.full(days - rise, 0.33)
        orders[rise:] *= 1 - loss
    return orders


@pytest.mark.parametrize("effect", [True, False])
def test_price_response_checks_pass_where_the_effect_exists_and_fail_where_it_does_not(monkeypatch, effect):
    import sim.verification.suite as checks

    monkeypatch.setattr(checks, "run_jobs", fake_market(effect))
    results = run_checks(scenario(), CheckSettings(reps=6, days=180), only=PRICE_CHECKS)
    assert [r.key for r in results] == PRICE_CHECKS
    for r in results:
        assert r.status == ("pass" if effect else "fail"), (r.key, r.measured)
        assert r.p_value is not None and (r.p_value < 0.01) == effect
    by_key = {r.key: r for r in results}
    measured = by_key["elasticity"].measured
    own = ("−2.5", "−2.2") if effect else ("−3.7", "−3.7")
    assert f"own focal {own[0]}" in measured and f"own rival {own[1]}" in measured, measured
    assert "rivals win" in measured and "wanted: own −3.5 to −1.5" in measured
    # the fake dip is 10 %; daily noise (3 %, 28 days × 6 seeds an arm) gives its estimate an s.d. of ≈ 0.3 points
    after = re.search(r"after it ([+\-−][\d.]+)%", by_key["post_promotion_dip"].measured)
    assert (abs(float(after.group(1).replace("−", "-")) + 10.0) < 1.5) == effect, by_key["post_promotion_dip"].measured


def test_elasticity_check_runs_every_brand_at_the_scenarios_own_size_for_a_year(monkeypatch):
    """Leaders and followers are real counts, so the elasticities are measured at the
    scenario's own population and market size, over a year, on twice the seeds."""
    import sim.verification.suite as checks

    seen = []
    fake = fake_market(True)
    monkeypatch.setattr(checks, "run_jobs", lambda jobs, *a, **k: seen.extend(jobs) or fake(jobs))
    sc = scenario()
    [result] = run_checks(sc, CheckSettings(reps=3, days=60, population=sc.world.population // 2), only=["elasticity"])
    sizes = {(j.scenario.world.population, j.scenario.world.market_size, j.scenario.simulation.days) for j in seen}
    assert sizes == {(sc.world.population, sc.world.market_size, 365)}
    assert len(seen) == 4 * 6 and len({j.seed for j in seen}) == 6    # base, focal_up, rival_up, category × 2·reps
    assert result.status == "pass" and "6 seeds" in result.measured


def test_price_response_checks_are_not_in_the_default_run_and_skip_short_runs(monkeypatch):
    import sim.verification.suite as checks

    assert not any(c.default for c in CHECKS if c.key in PRICE_CHECKS)
    monkeypatch.setattr(checks, "run_jobs", fake_market(True))
    results = run_checks(scenario(), CheckSettings(reps=3, days=60), only=PRICE_CHECKS)
    skipped = {r.key: r.note for r in results if r.status == "skip"}
    assert set(skipped) == {"post_promotion_dip", "reference_price_adapts"} and all("too short" in n for n in skipped.values())
