"""Partners without a model: KOLs enlisted, leaders recruited and quitting, KOL programs
following a change of terms (sim/market/partners.py), and a brand's terms on a date
(sim/config/schedule.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import numpy as np

from sim.actors import Brand
from sim.config.schedule import active_entries, scheduled_spec, with_responses
from sim.graph import build_graph
from sim.market.channels import ChannelTable
from sim.market.partners import Recruiter
from sim.population import build_population
from sim.rng import spawn_streams

from _support import scenario

START = dt.date(2026, 1, 1)


def _market(*overrides: str, seed: int = 5):
    """(brand 0 'focal', its recruiter): built from a scenario's parts, no model."""
    sc = scenario("world.population=2000", "world.market_size=2000", *overrides)
    streams = spawn_streams(seed)
    channels = ChannelTable.from_scenario(sc)
    graph = build_graph(sc.world.graph, sc.world.population, streams.graph)
    population = build_population(sc.world, len(sc.brands), streams.population, len(channels))
    ids = itertools.count(1)
    brands = [Brand(next(ids), b, spec, channels, sc.world.behaviour.deal_memory_days) for b, spec in enumerate(sc.brands)]
    recruiter = Recruiter(graph, population, streams, ids, sc.world.scale, sc.world.consumers)
    return brands, recruiter


def test_enlisting_at_start_signs_every_program_and_counts_ids_on():
    brands, recruiter = _market("brands.focal.strategy.group_leaders.initial=30",
                                "brands.focal.strategy.group_leaders.market_coverage=0")
    recruiter.enlist_at_start(brands)
    focal = brands[0]
    programs = focal.spec.strategy.kols
    assert [sum(k.program_index == j for k in focal.kols) for j in range(len(programs))] == [p.count for p in programs]
    assert len(focal.leaders) == 30 and set(recruiter.leader_of) == {g.uid for g in focal.leaders}
    uids = sorted(p.uid for b in brands for p in (b, *b.kols, *b.leaders))
    assert uids == list(range(1, len(uids) + 1))
    for koc in (k for k in focal.kols if k.program.tier == "koc"):  # her audience starts with her own circle
        circle = recruiter.graph.neighbours(koc.node)
        assert np.isin(circle, koc.followers).sum() >= min(len(circle), len(koc.followers))
    for leader in focal.leaders:  # her group: her contacts first, then strangers
        circle = recruiter.graph.neighbours(leader.node)
        assert np.isin(circle, leader.members).sum() >= min(len(circle), len(leader.members))


def _leaders_facing(gap_yuan: float, initial: int, quit_prob: float):
    """(focal, recruiter): ``initial`` leaders at day 0, recruiting 300 a month, and today's
    parity gap set to ``gap_yuan``."""
    brands, recruiter = _market(f"brands.focal.strategy.group_leaders.initial={initial}",
                                "brands.focal.strategy.group_leaders.market_coverage=0",
                                f"brands.focal.strategy.group_leaders.quit_prob_per_day={quit_prob}",
                                "brands.focal.strategy.group_leaders.recruit_per_month=300")
    recruiter.enlist_at_start(brands)
    focal = brands[0]
    focal.set_prices(START, np.zeros(len(focal.channels)))
    focal.prices = dataclasses.replace(focal.prices, parity_gap=gap_yuan)
    return focal, recruiter


def test_a_gap_beyond_every_tolerance_empties_the_roster_and_stops_recruiting():
    focal, recruiter = _leaders_facing(1e6, initial=40, quit_prob=1)  # beyond any leader's income-raised tolerance
    recruiter.partner_day(focal, 3)
    assert focal.leader_roster.active_count() == 0 and len(focal.leaders) == 40
    assert all(g.quit_day == 3 for g in focal.leaders)


def test_recruiting_within_tolerance_follows_the_monthly_rate():
    """Within tolerance the brand recruits Poisson(recruit_per_month / 30) a day: 300 a
    month is 300 ± 3·√300 over 30 days (a bound of 3 standard deviations)."""
    focal, recruiter = _leaders_facing(0.0, initial=0, quit_prob=0)
    actors_before = recruiter.streams.actors.bit_generator.state
    for day in range(30):
        recruiter.partner_day(focal, day)
    assert abs(len(focal.leaders) - 300) < 3 * np.sqrt(300)
    assert recruiter.streams.actors.bit_generator.state == actors_before  # a day's recruits draw from `partners` only


def test_kol_programs_follow_a_change_of_terms():
    brands, recruiter = _market()
    recruiter.enlist_at_start(brands)
    focal = brands[0]
    koc = next(j for j, p in enumerate(focal.spec.strategy.kols) if p.tier == "koc")
    count = focal.spec.strategy.kols[koc].count
    before = {k.uid for k in focal.kols}
    focal.adopt(with_responses(focal.spec, {f"strategy.kols.{koc}.count": count + 20}))
    recruiter.follow_programs(focal)
    new = [k for k in focal.kols if k.uid not in before]
    assert len(new) == 20 and all(k.program_index == koc for k in new)
    assert min(k.uid for k in new) > max(before)
    focal.adopt(with_responses(focal.spec, {f"strategy.kols.{koc}.count": 5}))
    recruiter.follow_programs(focal)
    posting = [focal.kol_roster.rate[k.index] > 0 for k in focal.kols if k.program_index == koc]
    assert len(posting) == count + 20 and sum(posting) == 5  # the rest stop posting; nobody is dropped


def test_the_schedule_in_force_on_a_date_applies_in_order():
    sc = scenario("brands.focal.strategy.schedule=[{from: 2026-01-11, to: 2026-01-20, set: {channels.tmall.price: 99}},"
                  " {from: 2026-01-15, to: 2026-01-31, set: {channels.tmall.price: 89}}]")
    focal = sc.brands[0]
    assert active_entries(focal, dt.date(2026, 1, 10)) == ()
    assert active_entries(focal, dt.date(2026, 1, 16)) == (0, 1)
    assert scheduled_spec(focal, (0,)).channels["tmall"].price == 99
    assert scheduled_spec(focal, (0, 1)).channels["tmall"].price == 89  # the later entry wins
    assert scheduled_spec(focal, ()) is focal and with_responses(focal, {}) is focal


def test_actors_hold_no_model():
    brands, recruiter = _market()
    recruiter.enlist_at_start(brands)
    assert not any(hasattr(p, "model") for b in brands for p in (b, *b.kols, *b.leaders))

