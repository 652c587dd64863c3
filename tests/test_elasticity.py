"""``socsim elasticity``: the estimators on synthetic paired data with known answers, the
price changes it makes, and the command as a user drives it (including bad input)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.elasticity import (BASE, CATEGORY, ElasticityTargets, elasticities, load_elasticity_targets,
                                        log_elasticity, price_rise, variant_of)
from sim.experiments.stats import ratio_ci

from _support import ROOT, scenario

runner = CliRunner()
TINY = ["--reps", "2", "--population", "300", "--days", "20", "--set", "world.graph.degree=20", "--workers", "0"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """One table row per line, so rows can be read back."""
    from sim import terminal as cli

    monkeypatch.setattr(cli.console, "width", 300)
    monkeypatch.setattr(cli.err, "width", 300)


# --------------------------------------------------------------------------- estimators
def test_log_elasticity_recovers_a_constant_elasticity():
    base = np.array([1000.0, 2000.0, 500.0])
    np.testing.assert_allclose(log_elasticity(base * 1.1 ** -2.5, base, 0.10), -2.5)
    np.testing.assert_allclose(log_elasticity(base * 0.9 ** -1.2, base, -0.10), -1.2)
    assert np.isnan(log_elasticity(np.array([0.0]), np.array([10.0]), 0.1)).all()  # no orders: undefined, not −inf


def _market(reps: int, rng: np.random.Generator, noise: float) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Two brands with own elasticity −3 (a) and −2 (b); 40 % of a's lost orders go to b, 25 % of b's to a;
    category elasticity from the category variant −0.8. Multiplicative noise per variant."""
    base = np.column_stack([rng.normal(10_000, 800, reps), rng.normal(6_000, 500, reps)])
    jitter = lambda: 1 + noise * rng.standard_normal((reps, 2))  # noqa: E731
    lost_a, lost_b = base[:, 0] * (1 - 1.1 ** -3), base[:, 1] * (1 - 1.1 ** -2)
    a_up = np.column_stack([base[:, 0] - lost_a, base[:, 1] + 0.4 * lost_a])
    b_up = np.column_stack([base[:, 0] + 0.25 * lost_b, base[:, 1] - lost_b])
    orders = {BASE: base, variant_of("a"): a_up * jitter(), variant_of("b"): b_up * jitter(), CATEGORY: base * 1.1 ** -0.8 * jitter()}
    truth = {"own a": -3.0, "own b": -2.0, "diversion a": 0.4, "diversion b": 0.25, "category": -0.8}
    return orders, truth


def _by_key(estimates) -> dict[str, object]:
    return {f"{e.measure} {e.brand}".strip(): e for e in estimates}


def test_elasticities_are_exact_on_noise_free_paired_data():
    orders, truth = _market(8, np.random.default_rng(1), noise=0.0)
    found = _by_key(elasticities(orders, ["a", "b"], 0.10))
    for key, value in truth.items():
        assert found[key].value.mean == pytest.approx(value, rel=1e-9), key
        assert found[key].value.high - found[key].value.low == pytest.approx(0, abs=1e-9), key  # no noise, no width
    # b gains 40 % of a's lost orders: ln(1 + 0.4 · (1 − 1.1^−3) · 10k / 6k) / ln 1.1, per replication
    cross = found["cross b"]
    assert cross.price_of == "a" and cross.value.mean > 0


def test_intervals_cover_the_known_answer_about_95_percent_of_the_time():
    """Coverage over 1,000 synthetic experiments of 10 replications with 3 % noise per run:
    ±3 s.d. of a binomial proportion around 0.95 is ±0.021."""
    rng = np.random.default_rng(7)
    hits = {k: 0 for k in ("own a", "own b", "diversion a", "diversion b", "category")}
    trials = 1000
    for _ in range(trials):
        orders, truth = _market(10, rng, noise=0.03)
        found = _by_key(elasticities(orders, ["a", "b"], 0.10))
        for key in hits:
            hits[key] += found[key].value.low <= truth[key] <= found[key].value.high
    for key, n in hits.items():
        assert abs(n / trials - 0.95) < 0.03, (key, n / trials)


def test_ratio_ci_handles_degenerate_input():
    assert math.isnan(ratio_ci([1.0, 2.0], [0.0, 0.0]).mean)
    one = ratio_ci([1.0], [4.0])
    assert one.mean == 0.25 and math.isnan(one.low)
    assert ratio_ci([1.0, np.nan, 3.0], [2.0, 5.0, 6.0]).n == 2


def test_the_plot_draws_undefined_estimates_as_empty_rows(tmp_path):
    """A tiny run can lose no orders (diversion undefined) or have none (log undefined)."""
    from sim.experiments.elasticity import ElasticityResult, Estimate
    from sim.plots.experiments import elasticity_plot
    from sim.experiments.stats import Interval, mean_ci

    nan = Interval(math.nan, math.nan, math.nan, 0, math.nan)
    estimates = [Estimate("own", "a", "a", mean_ci([-2.0, -2.5])), Estimate("category", "", "all", nan),
                 Estimate("diversion", "a", "a", nan)]
    design = SimpleNamespace(cells=[SimpleNamespace(scenario=scenario())], replications=2, seed=42, seed_of=lambda r: 42 + r)
    path = elasticity_plot(ElasticityResult(estimates, ("a",), 0.1, design, tmp_path, None), tmp_path / "e.png")
    assert path.stat().st_size > 5_000


def test_the_verdict_reads_the_first_brand_then_the_category():
    from sim.experiments.elasticity import BUNDLED_TARGETS, ElasticityResult, elasticity_verdict

    orders, _ = _market(8, np.random.default_rng(1), noise=0.0)  # own a −3, b −2; diversion a 40 %; category −0.8
    result = ElasticityResult(elasticities(orders, ["a", "b"], 0.10), ("a", "b"), 0.10, None, None,
                              load_elasticity_targets(BUNDLED_TARGETS))
    assert elasticity_verdict(result) == (
        "Verdict: +10% on a's prices moves its orders by −24.9 % (own-price elasticity −3.00 (95 % CI −3.00 to −3.00, "
        "significant; in the published range −3.5 to −1.5)); rivals win 40 % of the lost orders (95 % CI 40 % to 40 %; "
        "in the published range ≥ 33 %); b's own-price elasticity −2.00 (95 % CI −2.00 to −2.00, significant; in the "
        "published range −3.5 to −1.5); category elasticity −0.80 (95 % CI −0.80 to −0.80, significant; in the "
        "published range −1 to 1).")
    orders[variant_of("a")] = orders[BASE] * 1.1 ** -0.5  # a barely responds: outside the published range
    weak = ElasticityResult(elasticities(orders, ["a", "b"], 0.10), ("a", "b"), 0.10, None, None,
                            load_elasticity_targets(BUNDLED_TARGETS))
    assert "elasticity −0.50 (95 % CI −0.50 to −0.50, significant; outside the published range −3.5 to −1.5)" in \
        elasticity_verdict(weak)


def test_missing_variants_leave_their_measures_out():
    orders, _ = _market(4, np.random.default_rng(2), noise=0.01)
    del orders[variant_of("b")], orders[CATEGORY]
    assert [(e.measure, e.brand) for e in elasticities(orders, ["a", "b"], 0.1)] == [("own", "a"), ("cross", "b"), ("diversion", "a")]


# --------------------------------------------------------------------------- price changes
def test_price_rise_raises_every_price_the_brand_sets():
    sc = scenario("brands.focal.strategy.min_advertised_price_yuan=100",
                  "brands.focal.strategy.schedule=[{from: 2026-02-01, to: 2026-03-01, set: {channels.tmall.price: 99, strategy.parity: strict}}]")
    focal = sc.brands[0]
    changes = price_rise(focal, 0.10)
    assert changes["brands.focal.product.price"] == pytest.approx(141.9)
    assert changes["brands.focal.strategy.min_advertised_price_yuan"] == pytest.approx(110.0)
    explicit = {k for k, ch in focal.channels.items() if ch.price is not None}
    assert {f"brands.focal.channels.{k}.price" for k in explicit} <= set(changes)
    [entry] = changes["brands.focal.strategy.schedule"]
    assert entry["set"] == {"channels.tmall.price": pytest.approx(108.9), "strategy.parity": "strict"}


def test_the_bundled_targets_are_the_published_ranges():
    targets = load_elasticity_targets(ROOT / "scenarios" / "targets" / "elasticity.yaml")
    own, category, diversion = (targets.bound(m) for m in ("own", "category", "diversion"))
    assert (own.low, own.high, own.typical) == (-3.5, -1.5, -2.62) and "Bijmolt" in own.source
    assert (category.low, category.high) == (-1.0, 1.0)
    assert diversion.low == pytest.approx(1 / 3, abs=1e-3) and diversion.high is None and "van Heerde" in diversion.source
    with pytest.raises(ValueError, match="twice"):
        ElasticityTargets(name="t", elasticities=[{"measure": "own", "low": -3, "source": "x"}] * 2)


# --------------------------------------------------------------------------- the command
def test_elasticity_command_prints_the_table_and_writes_the_folder(tmp_path):
    out = tmp_path / "el"
    result = runner.invoke(app, ["elasticity", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    for label in ("own-price elasticity of focal", "category elasticity", "lost orders won by rivals", "−3.50 to −1.50"):
        assert label in result.output
    assert "e+" not in result.output and "e-" not in result.output  # no scientific notation
    doc = json.loads((out / "elasticity.json").read_text(encoding="utf-8"), parse_constant=pytest.fail)  # strict JSON
    lines = result.output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Verdict: +10% on focal's prices moves its orders"))
    assert first < next(i for i, line in enumerate(lines) if "own-price elasticity of focal" in line)  # read first
    assert doc["verdict"] == lines[first]
    measures = [(e["measure"], e["brand"]) for e in doc["estimates"]]
    assert ("own", "focal") in measures and ("category", "") in measures and ("diversion", "rival") in measures
    assert doc["replications"] == 2 and doc["step"] == 0.1
    assert (out / "elasticity.png").stat().st_size > 10_000
    assert (out / "elasticity.csv").read_text(encoding="utf-8-sig").startswith("measure,brand,price_of,estimate")
    assert (out / "runs" / "runs.csv").exists()


def test_one_brand_makes_one_raised_variant(tmp_path):
    result = runner.invoke(app, ["elasticity", *TINY, "--brand", "rival", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "r" / "elasticity.json").read_text(encoding="utf-8"))
    assert {e["measure"] + ":" + e["brand"] for e in doc["estimates"]} == {"own:rival", "cross:focal", "diversion:rival", "category:"}


@pytest.mark.parametrize("args, message", [
    (["--brand", "focla"], "--brand: no brand 'focla'"),
    (["--reps", "-3"], "--reps: got -3"),
    (["--step", "0"], "--step: got 0"),
    (["--population", "5"], "--population: got 5"),
])
def test_bad_input_is_one_clear_line(tmp_path, args, message):
    result = runner.invoke(app, ["elasticity", *TINY, *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "x").exists()


def test_an_existing_folder_is_never_overwritten(tmp_path):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "mine.txt").write_text("keep", encoding="utf-8")
    result = runner.invoke(app, ["elasticity", *TINY, "--out", str(out)])
    assert result.exit_code == 1 and "already exists" in result.output and "Traceback" not in result.output
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
