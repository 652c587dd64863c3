"""Referral trees (sim/market/referral.py, docs/MODEL.md §3.12): the tree's bookkeeping on
hand-made forests, the expected-earnings rule, and a run's record (levels, depths, no
cycles, both engines, the CSV)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from sim.config.schema import Referral
from sim.market.referral import (REFERRAL_KPIS, expected_commission_rate, in_upline, share_depth_counts, tree_depth,
                                 tree_shape, upline)
from sim.model import MarketModel
from sim.reference import ReferenceMarketModel
from sim.simulation import run, write_results

from _support import scenario

NO = -1
#: One brand's forest: 0 → 1 → 2 → 3 → 4 (a chain), 0 → 5, and 6 → 7; 8 nobody's.
CHAIN = np.array([[NO], [0], [1], [2], [3], [0], [NO], [6], [NO]], np.int32)
#: A WeChat-only shop at a 30 % level-1 commission: trees grow fast enough to count.
WECHAT_ONLY = ("brands.focal.channels={wechat: {price: 129}}", "brands.focal.strategy.referral.level1=0.3")


def test_upline_and_depth_read_the_tree():
    assert upline(CHAIN, 3, 0) == (2, 1) and upline(CHAIN, 1, 0) == (0, NO) and upline(CHAIN, 0, 0) == (NO, NO)
    assert [tree_depth(CHAIN, k, 0) for k in range(9)] == [0, 1, 2, 3, 4, 1, 0, 1, 0]
    assert in_upline(CHAIN, 4, 0, 0) and in_upline(CHAIN, 4, 4, 0) and not in_upline(CHAIN, 1, 4, 0)
    # shares by the depth they reach: sharers 0, 6 (roots) → 1; 1 → 2; 3 → 4; 4 → 5 → the 4+ bin
    np.testing.assert_array_equal(share_depth_counts(CHAIN, np.array([0, 6, 1, 3, 4]), 0), [2, 1, 0, 2])


def test_tree_shape_counts_members_by_depth_and_trees_by_size():
    shape = tree_shape(CHAIN[:, 0])
    np.testing.assert_array_equal(shape.members_by_depth, [3, 1, 1, 1])  # 1, 5, 7 | 2 | 3 | 4
    np.testing.assert_array_equal(shape.sizes, [6, 2])  # {0, 1, 2, 3, 4, 5} and {6, 7}
    assert shape.size_counts() == [1, 0, 1, 0, 0]
    assert shape.downline_per_member == pytest.approx(3 / 6)  # 2, 3, 4 were referred by referred buyers
    assert tree_shape(np.full(5, NO, np.int32)).downline_per_member == 0.0


@pytest.mark.parametrize("levels, m, rate", [((0.1, 0, 0), 1.0, 0.1), ((0.1, 0.05, 0), 1.0, 0.15),
                                             ((0.1, 0.05, 0.02), 0.5, 0.1 + 0.025 + 0.005), ((0.1, 0.3, 0.3), 0.0, 0.1)])
def test_expected_commission_rate_counts_the_downline(levels, m, rate):
    referral = Referral(level1=levels[0], level2=levels[1], level3=levels[2])
    assert expected_commission_rate(referral, m) == pytest.approx(rate)


def test_one_level_rule_is_unchanged_bit_for_bit():
    """ρ = ℓ1 exactly when the deeper levels are 0, whatever sharers expect of a downline."""
    assert expected_commission_rate(Referral(level1=0.1), 3.7) == 0.1


@pytest.fixture(scope="module")
def deep_run():
    # A year: level-2 orders are a few dozen agent-orders then (at 180 days some seeds have none).
    sc = scenario(*WECHAT_ONLY, "brands.focal.strategy.referral.level2=0.1", "brands.focal.strategy.referral.level3=0.05",
                  "simulation.days=365")
    model = MarketModel(sc, seed=7)
    model.run()
    return model


def test_a_run_records_three_levels_and_its_trees_have_no_cycles(deep_run):
    model = deep_run
    parent = model.population.parent[:, 0]
    assert np.all(model.population.parent[:, 1] == NO)  # the rival sells on no social shop: no tree
    for node in np.flatnonzero(parent >= 0):  # climbing always ends at a root
        assert tree_depth(model.population.parent, int(node), 0) < 50
    record = model.ledger.referrals.sum(axis=0)[0]  # (orders, commission) × level
    assert record[0, 0] > record[0, 1] > 0 and record[0, 2] >= 0
    revenue_per_order = model.ledger.field("revenue")[:, 0].sum() / model.ledger.field("orders")[:, 0].sum()
    assert record[1, 1] == pytest.approx(0.1 * record[0, 1] * revenue_per_order, rel=0.2)  # ≈ 10 % of level-2 orders
    assert record[1].sum() == pytest.approx(model.ledger.field("referral_commission")[:, 0].sum())
    depths = model.ledger.share_depths.sum(axis=0)[0]
    assert depths.sum() == model.ledger.shares[:, 0].sum() and depths[1] > 0


def test_kpis_and_the_csv_name_every_referral_measure(deep_run, tmp_path):
    result = run(scenario(*WECHAT_ONLY, "simulation.days=60", "outputs.plots=false"), seed=3)
    assert tuple(result.kpis["focal"]["referral"]) == REFERRAL_KPIS
    out = write_results(result, tmp_path / "r")
    rows = list(csv.DictReader((out / "referral_tree.csv").open(encoding="utf-8")))
    assert [r["measure"] for r in rows if r["brand"] == "focal"] == list(REFERRAL_KPIS)
    assert float(next(r["value"] for r in rows if r["measure"] == "orders_level1")) > 0


@pytest.mark.parametrize("engine", [MarketModel, ReferenceMarketModel])
def test_both_engines_pay_each_level_its_rate(engine):
    """In a WeChat-only shop at a flat ¥129 (no promotions: one unit an order) each level's
    commission is its rate × ¥129 × the orders that had a payee at that level, in both
    engines; and every share is counted in one depth bin. (2,000 agents for 90 days: since
    impulses only pull a coming need forward, 600 for 60 days made no referral order.)"""
    sc = scenario(*WECHAT_ONLY, "brands.focal.strategy.referral.level2=0.2", "brands.focal.strategy.referral.level3=0.1",
                  "world.population=2000", "world.market_size=200000", "world.graph.degree=20", "simulation.days=90",
                  "brands.focal.strategy.kols.1.count=20")
    model = engine(sc, seed=11)
    model.run()
    orders, paid = model.ledger.referrals.sum(axis=0)[0]
    assert orders[0] > 0
    np.testing.assert_allclose(paid, np.array([0.3, 0.2, 0.1]) * 129.0 * orders, rtol=1e-9)
    assert model.ledger.share_depths[:, 0].sum() == model.ledger.shares[:, 0].sum()
