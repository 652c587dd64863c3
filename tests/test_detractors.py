"""``socsim detractors`` and :mod:`sim.experiments.detractors`: customers lost per detractor.

Driven at a tiny size (400 agents, 20 contacts, 60 days): the point is the plumbing —
paired variants, intervals, validation, the CLI and its JSON — and the one property that
holds by construction: with warnings that weigh nothing, the weightless variant is the
same scenario as ``more``, so the warnings' part is exactly zero. Whether detractors cost
buyers at a useful size is the check ``negative_word_of_mouth`` (tests/test_checks.py).
"""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import SocsimError
from sim.experiments.detractors import DetractorCost, detractor_variants, detractor_verdict, lose_one_lose_150
from sim.experiments.stats import Interval

from _support import scenario

TINY = ("world.population=400", "world.market_size=40000", "world.graph.degree=20", "simulation.days=60")


def test_variants_differ_only_in_late_deliveries_and_the_warnings_weight():
    sc = scenario(*TINY)
    v = detractor_variants(sc, 0.4)
    beh = {k: s.world.behaviour for k, s in v.items()}
    assert beh["more"].late_delivery_prob == pytest.approx(sc.world.behaviour.late_delivery_prob + 0.4)
    assert beh["more_weightless"].negative_wom_ratio == 0.0
    assert beh["more"].model_copy(update={"negative_wom_ratio": 0.0}) == beh["more_weightless"]
    assert sc.world.behaviour.late_delivery_prob == 0.03  # the scenario itself is untouched


def test_cost_per_detractor_has_intervals_and_weightless_warnings_cost_nothing():
    cost = lose_one_lose_150(scenario(*TINY, "world.behaviour.negative_wom_ratio=0"), replications=3, workers=2)
    assert cost.brand == "focal" and cost.replications == 3
    assert cost.detractors_added.low > 0
    assert all(math.isfinite(x) for x in (cost.per_detractor.mean, cost.per_detractor.low, cost.per_detractor.high))
    assert cost.by_warnings.mean == 0.0  # identical runs: nothing to attribute to the warnings


@pytest.mark.parametrize("kwargs, message", [
    ({"replications": 1}, "at least 2 replications"),
    ({"extra_late": 0.0}, "a probability in (0, 1]"),
    ({"brand": "nobody"}, "no brand 'nobody'"),
])
def test_bad_requests_are_one_clear_error(kwargs, message):
    with pytest.raises(SocsimError, match=message.replace("(", r"\(").replace(")", r"\)").replace("]", r"\]")):
        lose_one_lose_150(scenario(*TINY), **kwargs)


def test_without_word_of_mouth_there_is_nothing_to_measure():
    with pytest.raises(SocsimError, match="word of mouth is off"):
        lose_one_lose_150(scenario(*TINY, "world.behaviour.wom_strength=0"))


def test_cli_prints_the_figure_and_writes_json(tmp_path):
    out = tmp_path / "detractors.json"
    result = CliRunner().invoke(app, ["detractors", "--reps", "2", "--population", "400", "--days", "60",
                                      "--set", "world.graph.degree=20", "--workers", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "customers lost per detractor" in result.output
    lines = result.output.splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("Verdict: each extra detractor costs focal"))
    assert verdict < next(i for i, line in enumerate(lines) if "customers lost per detractor" in line)  # read first
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["brand"] == "focal" and set(data["customers_lost_per_detractor"]) == {"mean", "low", "high"}
    assert data["verdict"] == lines[verdict]


def _cost(per: tuple[float, float, float], warned: tuple[float, float, float]) -> DetractorCost:
    def iv(x: tuple[float, float, float]) -> Interval:
        return Interval(x[0], x[1], x[2], 8, 1.0)
    return DetractorCost("focal", 0.4, 8, iv((900, 800, 1000)), iv((2000, 1500, 2500)), iv(per), iv(warned), iv((3, 2, 4)))


def test_verdict_says_significance_and_where_the_saying_stands():
    text = detractor_verdict(_cost((2.41, 1.1, 3.72), (-0.2, -1.0, 0.6)))
    assert text == ("Verdict: each extra detractor costs focal 2.41 (95 % CI 1.10 to 3.72) customers, significant, far "
                    "fewer than the saying's 150; −0.20 (95 % CI −1.00 to 0.60) of them through her warnings, not "
                    "significant; and 3.00 (95 % CI 2.00 to 4.00) orders.")
    assert "consistent with the saying's 150" in detractor_verdict(_cost((140, 90, 190), (1, 0.5, 1.5)))
    assert "more than the saying's 150" in detractor_verdict(_cost((400, 300, 500), (1, 0.5, 1.5)))


def test_cli_bad_input_is_one_line():
    result = CliRunner().invoke(app, ["detractors", "--reps", "1"])
    assert result.exit_code == 1 and "at least 2 replications" in result.output and "Traceback" not in result.output
