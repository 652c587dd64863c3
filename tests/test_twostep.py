"""The two-step flow (docs/MODEL.md §3.2): opinion leaders relay the media they see.

Switching the relay on must raise reach and orders (paired seeds, significant); switching
it off must leave no trace (no RELAY exposure or order, and the relay's own figures then
change nothing); the per-consumer reference relay must give exactly the fast kernel's
exposures on the same random stream.
"""

from __future__ import annotations

import copy
import json

import numpy as np
from scipy import stats

from sim.ledger import LAST_TOUCH
from sim.market.campaigns import opinion_leaders, relay_media
from sim.market.signals import ExposureBatch, Source
from sim.model import MarketModel
from sim.reference import ReferenceMarketModel
from sim.simulation import run

from _support import focal, replicate, scenario

ON = "world.behaviour.two_step.enabled=true"
#: 16 seeds: at the defaults the relay adds ~4 % to the focal brand's orders over half a
#: year against a seed-to-seed s.d. of ~3 %, so a one-sided Welch test at 1 % has power
#: well above 0.99 (8 seeds gave p ≈ 0.005).
SEEDS = range(16)
#: A small, short run for the checks that need no statistics.
SHORT = ("world.population=3000", "world.market_size=300000", "simulation.days=60")


def _reach(results) -> np.ndarray:
    """Consumers who know the focal brand at the end (every funnel stage, real people), per run."""
    return np.array([sum(r.kpis["focal"]["aipl"].values()) for r in results])


def test_relay_on_raises_reach_and_orders_significantly():
    """The runs on and off use different seeds' draws after the first relay, so they are compared as independent samples."""
    off, on = replicate(scenario(), SEEDS), replicate(scenario(ON), SEEDS)
    for measure in (_reach, lambda rs: focal(rs, "orders")):
        a, b = measure(off), measure(on)
        assert stats.ttest_ind(b, a, equal_var=False, alternative="greater").pvalue < 0.01, (a, b)
    relay = LAST_TOUCH.index("relay")
    assert all(r.orders_by_source[..., relay].sum() > 0 for r in on)
    assert all(r.daily["focal.relayed"].sum() > 0 and r.kpis["focal"]["relayed"] > 0 for r in on)
    np.testing.assert_allclose([r.daily["focal.relay_orders"].sum() for r in on],
                               [r.kpis["focal"]["last_touch"]["relay"] for r in on])


def test_relay_off_leaves_no_trace():
    """Off: no relayed order, no relay series, and the relay's figures are never read."""
    base = run(scenario(*SHORT), seed=3)
    odd = run(scenario(*SHORT, "world.behaviour.two_step={relay_prob: 1.0, relay_strength: 5.0, leader_share: 0.5}"),
              seed=3)
    assert base.orders_by_source[..., int(Source.RELAY)].sum() == 0
    assert "focal.relayed" not in base.daily and "relayed" not in base.kpis["focal"]
    np.testing.assert_array_equal(base.books, odd.books)
    np.testing.assert_array_equal(base.orders_by_source, odd.orders_by_source)
    assert json.dumps(base.kpis) == json.dumps(odd.kpis)  # as written to kpis.json (NaN included)


def test_opinion_leaders_are_the_best_connected_and_the_kocs():
    model = MarketModel(scenario(*SHORT, ON, "world.graph.kind=powerlaw_cluster", "simulation.days=1"), seed=1)
    degree = np.diff(model.graph.indptr)
    leaders = opinion_leaders(model.graph, 0.05)
    assert leaders.sum() == int(np.ceil(0.05 * len(degree)))
    assert degree[leaders].min() >= degree[~leaders].max()
    ctx = model._campaign_context(0, 1)  # the model's leaders: these hubs and every KOC
    kocs = [k.node for k in model.brands[0].kol_roster.kols if k.program.tier == "koc"]
    assert len(kocs) > 0 and ctx.opinion_leader[kocs].all() and ctx.opinion_leader[leaders].all()


#: A KOC programme the schedule starts on 1 February (none signed at the start).
KOCS_FROM_FEBRUARY = ("brands.focal.strategy.kols.1.count=0",
                      "brands.focal.strategy.schedule=[{from: 2026-02-01, to: 2026-12-31, set: {strategy.kols.1.count: 30}}]")


def test_kocs_enlisted_by_the_schedule_lead_opinion_like_those_signed_at_the_start():
    """The KOCs a mid-run programme signs are opinion leaders from the day they sign, as
    those signed at the start are: they relay the media they see (RELAY exposures name them)."""
    model = MarketModel(scenario(*SHORT, "simulation.days=90", ON, *KOCS_FROM_FEBRUARY), seed=5)
    kocs = lambda: np.array([k.node for k in model.brands[0].kol_roster.kols if k.program.tier == "koc"], np.int64)
    while model.calendar.dates[model.day].month < 2:
        model.step()
    assert len(kocs()) == 0
    ctx, hubs = model._campaign_context(model.day, 1), opinion_leaders(model.graph, model.behaviour.two_step.leader_share)
    model.step()
    signed = kocs()
    assert len(signed) == 30 and ctx.opinion_leader[signed].all()
    assert np.array_equal(ctx.opinion_leader, hubs | np.isin(np.arange(model.population.n), signed))
    relayers = set()
    for _ in range(30):
        model.step()
        exp = model._exposures.collect()
        relayers |= set(exp.referrer[exp.source == Source.RELAY].tolist())
    assert relayers & set(signed[~hubs[signed]].tolist())  # not only those who were hubs anyway


def test_relay_told_one_by_one_equals_the_vectorised_kernel():
    """Same day's media, same random stream: the consumers' relays give exactly the fast kernel's exposures."""
    model = ReferenceMarketModel(scenario(*SHORT, ON, "world.behaviour.two_step={enabled: true, relay_prob: 0.5, leader_share: 0.5}"), seed=2)
    for _ in range(10):
        model.step()
    ctx = model._campaign_context(model.day, model.calendar.dates[model.day].day)
    media = ExposureBatch()  # every 7th consumer saw a paid impression, every 11th a KOL post
    media.add(np.arange(0, model.population.n, 7, dtype=np.int32), 0, 0.15, 0, Source.PAID)
    media.add(np.arange(0, model.population.n, 11, dtype=np.int32), 0, 0.5, 1, Source.KOL, 42)
    told = {}
    for name, relay in (("fast", relay_media), ("reference", model._relay)):
        batch, rng, relayed = copy.deepcopy(media), copy.deepcopy(model.streams.wom), model.ledger.relayed.copy()
        relay(model.brands[0], ctx, batch, 0, rng)
        exp = batch.collect()
        rows = list(zip(*(c[media.size:].tolist() for c in (exp.who, exp.weight, exp.entry, exp.source, exp.referrer))))
        told[name] = (rows, model.ledger.relayed.copy(), rng.random())
        model.ledger.relayed[:] = relayed
    fast, ref = told["fast"], told["reference"]
    assert len(fast[0]) > 50 and {r[3] for r in fast[0]} == {int(Source.RELAY)}
    assert fast[0] == ref[0]
    np.testing.assert_array_equal(fast[1], ref[1])
    assert fast[2] == ref[2]  # both drew exactly as many random numbers


def test_lift_switches_the_relay_off_when_it_runs():
    """`socsim lift` measures the relay as a source of its own, credited to last touch 'relay'."""
    from sim.experiments.lift import lift_sources

    off = [s.key for s, _ in lift_sources(scenario(), 0)]
    on = {s.key: (s.touch, changes) for s, changes in lift_sources(scenario(ON), 0)}
    assert "opinion_leaders" not in off
    assert on["opinion_leaders"] == ("relay", {"world.behaviour.two_step.enabled": False})
