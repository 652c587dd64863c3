"""The consumers' day (sim/market/consumers.py): one compiled call fed named structures."""

from __future__ import annotations

from _support import scenario

from sim.market.consumers import ConsumerState, _consumers, consumer_state
from sim.model import MarketModel


def test_the_consumers_day_compiles_once_through_events_promotions_and_deal_waits():
    """The named inputs keep their field types from day to day, so the day is compiled once:
    days before, during and after the 618 event (its coupon and waiting needs), a
    promotion starting and ending, deal waits on. A field whose type changed on some day
    (a numpy integer for a Python int, say) would add a compiled signature."""
    model = MarketModel(scenario(
        "simulation.start_date=2026-05-25", "simulation.days=30", "world.behaviour.deal_wait_share=1.0",
        "brands.rival.strategy.promotions=[{name: p, from: 2026-06-05, to: 2026-06-10, depth: 0.2, channels: [tmall]}]",
    ), seed=1)
    model.step()
    compiled = len(_consumers.signatures)
    model.run()
    assert len(_consumers.signatures) == compiled


def test_the_state_is_the_populations_own_arrays():
    """The kernels write the population in place: the state holds its arrays, not copies."""
    pop = MarketModel(scenario("simulation.days=1"), seed=1).population
    state = consumer_state(pop)
    assert all(getattr(state, name) is getattr(pop, name) for name in ConsumerState._fields)
