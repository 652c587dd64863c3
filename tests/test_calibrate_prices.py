"""``socsim calibrate`` with elasticity targets: the loss on synthetic paired orders with known
elasticities, the command end to end on a small market, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.analysis.calibrate import load_targets
from sim.analysis.price_response import PriceTargets, price_fits, price_loss
from sim.cli import app
from sim.errors import ScenarioError
from sim.experiments.elasticity import BASE, CATEGORY, load_elasticity_targets, variant_of

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
RANGES = load_elasticity_targets(ROOT / "scenarios" / "targets" / "elasticity.yaml")
BRANDS = ("a", "b")


def paired_orders(own_a: float, own_b: float, diversion: float, category: float) -> dict[str, np.ndarray]:
    """Orders of brands a and b (3 identical replications) whose elasticities are known exactly:
    own ``own_a`` / ``own_b`` (log-ratio), ``diversion`` of each brand's lost orders to the other,
    and ``category`` for every price."""
    base = np.array([1000.0, 600.0])
    rise = 1.0 + RANGES.step

    def raised(j: int, own: float) -> np.ndarray:
        out = base.copy()
        out[j] = base[j] * rise ** own
        out[1 - j] += diversion * (base[j] - out[j])
        return out

    orders = {BASE: base, variant_of("a"): raised(0, own_a), variant_of("b"): raised(1, own_b),
              CATEGORY: base * rise ** category}
    return {k: np.tile(v, (3, 1)) for k, v in orders.items()}


def test_loss_is_zero_at_the_typical_own_elasticity_inside_the_other_ranges():
    targets = PriceTargets(RANGES, weight=1.0)
    assert price_loss(targets, paired_orders(-2.62, -2.62, 0.5, -0.6), BRANDS) == pytest.approx(0.0, abs=1e-12)


def test_loss_terms_follow_the_module_notes():
    """Own: (e − typical)/half-width (width 2: half 1); category outside ±1 over 1; diversion below ⅓ over ⅓."""
    targets = PriceTargets(RANGES, weight=2.0)
    loss = price_loss(targets, paired_orders(-3.62, -2.12, 0.2, -1.5), BRANDS)
    expected = 2.0 * ((-1.0) ** 2 + 0.5 ** 2 + 2 * ((0.3333 - 0.2) / 0.3333) ** 2 + 0.5 ** 2)
    assert loss == pytest.approx(expected, rel=1e-6)
    fits = {f.label: f for f in price_fits(targets, paired_orders(-3.62, -2.12, 0.2, -1.5), BRANDS)}
    assert fits["own-price elasticity of a"].achieved.mean == pytest.approx(-3.62)
    assert {f.measure for f in fits.values()} == {"own", "diversion", "category"}   # no cross: it has no range


def _targets_file(folder: Path, elasticity: str, evaluations: int = 2) -> Path:
    path = folder / "prices.yaml"
    path.write_text(f"""name: prices_small
set: {{world.population: 300, world.market_size: 30000, world.graph.degree: 20, simulation.days: 40}}
parameters:
  - {{name: reference_weight, path: world.behaviour.reference_weight, low: 0.3, high: 1.5, start: 1.0}}
elasticity:
  targets: {elasticity}
replications: 2
seed: 3
optimiser: {{method: powell, max_evaluations: {evaluations}}}
outputs: {{dir: {folder / 'out'}}}
""", encoding="utf-8")
    return path


def test_cli_calibrate_fits_elasticity_targets_end_to_end(tmp_path):
    (tmp_path / "ranges.yaml").write_text((ROOT / "scenarios" / "targets" / "elasticity.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    targets = _targets_file(tmp_path, "ranges.yaml")
    res = CliRunner().invoke(app, ["calibrate", str(BASELINE), "--targets", str(targets), "--workers", "0",
                                   "--out", str(tmp_path / "cal.yaml")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.replace("│", " ").split())   # the table wraps its cells on a narrow terminal
    for label in ("price response vs published ranges", "own-price", "of focal", "of rival", "category elasticity",
                  "≥ 33%", "−2.62)"):
        assert label in text, text
    assert (tmp_path / "cal.yaml").exists() and "reference_weight" in (tmp_path / "cal.yaml").read_text(encoding="utf-8")
    runs = list((tmp_path / "out").rglob("runs/*.json"))
    assert len(runs) >= 4 * 2   # base + two brands raised + category, 2 seeds each, at least one candidate


def test_bundled_price_response_targets_load():
    spec = load_targets(ROOT / "scenarios" / "targets" / "price_response.yaml")
    assert spec.elasticity is not None and {p.path for p in spec.parameters} == {
        "world.behaviour.reference_weight", "world.behaviour.category_price_weight"}


def test_a_missing_elasticity_file_is_named_with_the_targets_files_line(tmp_path):
    targets = _targets_file(tmp_path, "nowhere.yaml")
    with pytest.raises(ScenarioError) as info:
        load_targets(targets)
    text = str(info.value)
    assert "prices.yaml:6" in text and "elasticity.targets" in text and "nowhere.yaml" in text and "not found" in text
    res = CliRunner().invoke(app, ["calibrate", str(BASELINE), "--targets", str(targets), "--workers", "0"])
    assert res.exit_code == 1 and "Traceback" not in res.output and "elasticity.targets" in res.output
    assert not (tmp_path / "out").exists()   # refused before any run


def test_a_bad_elasticity_file_is_reported_against_its_own_lines(tmp_path):
    (tmp_path / "ranges.yaml").write_text("name: bad\nelasticities:\n  - {measure: own, low: -1.5, high: -3.5, source: x}\n",
                                          encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_targets(_targets_file(tmp_path, "ranges.yaml"))
    assert "ranges.yaml:3" in str(info.value) and "must be below high" in str(info.value)


def test_weight_must_be_positive_and_something_must_be_fitted(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("name: x\nparameters: [{path: a, low: 0, high: 1}]\nelasticity: {targets: e.yaml, weight: 0}\n")
    with pytest.raises(ScenarioError) as info:
        load_targets(bad)
    assert any(p.line == 3 for p in info.value.problems) and "weight" in str(info.value)
    bad.write_text("name: x\nparameters: [{path: a, low: 0, high: 1}]\n")
    with pytest.raises(ScenarioError, match="elasticity targets file"):
        load_targets(bad)
