"""ReferenceMarketModel: the market with one Mesa agent per consumer (docs/VERIFICATION.md §1).

Everything but the consumers is shared with the fast engine (:class:`sim.model.MarketModel`):
the scenario, the graph and population arrays, the channels and calendar, the brands,
KOLs and group leaders, the brands' signal producers (:func:`sim.market.campaigns.run_campaigns`),
prices, the partners, the ledger and the data collection. What consumers do — word of
mouth, attitude, need, choice and after purchase — is stepped agent by agent by
:class:`~sim.reference.consumer.Consumer` (the model overrides only
``MarketModel._consumer_day``, ``MarketModel._share`` and ``MarketModel._relay``).

It exists for docking (tests/test_docking.py: both engines give the same KPI
distributions over seeds) and for reading; it is far slower than the fast engine, so it
refuses populations above :data:`MAX_POPULATION`.
"""

from __future__ import annotations

from typing import Callable

import mesa
import numpy as np

from ..config.schema import Scenario
from ..ledger import SHARE_DEPTHS
from ..errors import SocsimError
from ..actors import Brand
from ..market.campaigns import RELAYED_SOURCES, CampaignContext, share_uplift
from ..market.choice import MarketDay
from ..market.signals import ExposureBatch, Exposures, SharerPool
from ..model import MarketModel
from .consumer import Consumer

__all__ = ["ReferenceMarketModel", "MAX_POPULATION"]

#: Largest population the reference engine runs (one Python object per consumer).
MAX_POPULATION = 20_000


class ReferenceMarketModel(MarketModel, mesa.Model):
    """The market model with consumers stepped one Mesa agent at a time: a ``mesa.Model``
    whose agents are the consumers (:class:`~sim.reference.consumer.Consumer`).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario; ``world.population`` must be ≤ :data:`MAX_POPULATION`.
    seed : int, optional
        Overrides ``scenario.simulation.seed``.

    Raises
    ------
    SocsimError
        If the population is larger than :data:`MAX_POPULATION`.

    Notes
    -----
    A day runs the stages of docs/MODEL.md §1 in the fast engine's order (its ``step``). Word of
    mouth is told contact by contact by each sharing consumer; the consumer stages
    use Mesa's staged activation: every consumer finishes a stage (``update_attitude``,
    ``feel_need``, ``choose_venue``, ``shop``, ``after_purchase``) before the next
    begins; between ``choose_venue`` and ``shop`` the search page deals the brands'
    search-ad clicks among the visitors of each open shop.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None):
        n = scenario.world.population
        if n > MAX_POPULATION:
            raise SocsimError(
                f"world.population: {n:,} consumers is too many for simulation.engine 'reference' "
                f"(one Python object per consumer): use at most {MAX_POPULATION:,}, or engine 'fast'")
        MarketModel.__init__(self, scenario, seed=seed)
        mesa.Model.__init__(self, rng=self.streams.mesa)  # before the first agent registers
        self.consumers = [Consumer(self, row) for row in range(self.population.n)]
        #: detractors made today per brand, counted by the consumers as they judge their orders
        self.detractors_today = np.zeros(self.population.n_brands, np.int64)

    @property
    def consumer_set(self):
        """The consumers as a Mesa AgentSet."""
        return self.agents_by_type[Consumer]

    # ------------------------------------------------------------------ the day
    def _consumer_day(self, t: int, batch: Exposures, lap: Callable[[str], None]) -> tuple[int, int, tuple]:
        """Stages 3–6, consumer by consumer; (shoppers, orders, browsed) today, browsed the
        (who, brand, channel) visits that did not end in buying the brand."""
        everyone = self.consumer_set
        self._deliver(batch)
        everyone.do("update_attitude")
        lap("3 attitude")
        promoting = [b.code for b in self.brands if b.prices.promoting]
        everyone.do("feel_need", float(self.calendar.need_boost[t]), int(self.calendar.wait_until[t]), promoting,
                    self.deal_waits())
        shoppers = everyone.select(lambda c: c.needs)
        lap("4 need")
        market = self._market_day(t)
        shoppers.do("choose_venue", market)
        clicks = self._deal_search_clicks(shoppers, market)
        shoppers.do("shop", market)
        self._book_search_ads(clicks, t)
        lap("5 choice")
        buyers = shoppers.select(lambda c: c.order is not None)
        self.detractors_today[:] = 0
        buyers.do("after_purchase", self._terms())
        self.ledger.count_detractors(t, self.detractors_today)
        self._copy_attitudes(t)
        lap("6 after purchase")
        return len(shoppers), len(buyers), _browsed(shoppers)

    def _share(self, brand: Brand, pool: SharerPool, ctx: CampaignContext, batch: ExposureBatch,
               rng: np.random.Generator) -> None:
        """Word of mouth, one consumer at a time: the unhappy warn, the satisfied may share
        (counted by the depth of their share in the brand's referral tree)."""
        for row in pool.drain_unhappy().tolist():
            self.consumers[row].tell_contacts(brand.code, batch, rng, sign=-1.0)
        uplift = share_uplift(brand, ctx.behaviour)
        deciding = pool.open_on(ctx.day).tolist()
        sharers = sorted({row for row in deciding if self.consumers[row].shares_today(uplift, rng)})
        for row in sharers:
            self.consumers[row].tell_contacts(brand.code, batch, rng)
        if sharers:
            ctx.ledger.count_shares(ctx.day, brand.code, len(sharers))
        for row in sharers:
            depth = len(self.consumers[row].upline(row, brand.code)) - 1
            ctx.ledger.share_depths[ctx.day, brand.code, min(depth, SHARE_DEPTHS - 1)] += 1

    def _relay(self, brand: Brand, ctx: CampaignContext, batch: ExposureBatch, start: int,
               rng: np.random.Generator) -> None:
        """The two-step flow, one opinion leader at a time: each leader who saw the brand's
        paid impression or KOL post today (rows ``start:``; her first such row gives the
        link) may relay it to her contacts."""
        spec = ctx.behaviour.two_step
        if not spec.enabled:
            return
        seen: dict[int, int] = {}  # leader → link of her first paid or KOL row, in row order
        who, entry, source = (batch.columns[c][start:batch.size].tolist() for c in (0, 3, 4))
        for row, link, src in zip(who, entry, source):
            if src in RELAYED_SOURCES and ctx.opinion_leader[row] and row not in seen:
                seen[row] = link
        relaying = [(row, link) for row, link in seen.items() if self.consumers[row].relays_today(spec.relay_prob, rng)]
        before = batch.size
        for row, link in relaying:
            self.consumers[row].relay(brand.code, link, batch, rng)
        if batch.size > before:
            ctx.ledger.count_relayed(ctx.day, brand.code, batch.size - before)

    def _copy_attitudes(self, t: int) -> None:
        """Write the consumers' attitudes into the shared population arrays (as of day t)."""
        self.population.attitude[:] = [c.attitudes for c in self.consumers]
        self.population.attitude_day[:] = t

    def _deliver(self, exp: Exposures) -> None:
        """Hand each of today's exposures to the consumer it reached, in production order."""
        columns = (exp.who, exp.brand, exp.weight, exp.entry, exp.source, exp.referrer)
        for who, brand, weight, entry, source, referrer in zip(*(col.tolist() for col in columns)):
            self.consumers[who].receive(brand, weight, entry, source, referrer)

    def _deal_search_clicks(self, shoppers, md: MarketDay) -> np.ndarray:
        """Give each brand's bought clicks to visitors of the shop, without replacement.

        Returns the (B, C) clicks delivered: a brand gets at most one click per visitor,
        and no more than the visitors of a shop where it is listed.
        """
        delivered = np.zeros(md.search_clicks.shape)
        rng = self.streams.choice
        for b, c in zip(*np.nonzero(md.search_clicks)):
            if not md.listed[b, c]:
                continue
            visitors = [s for s in shoppers if s.visit.venue == c]
            k = min(len(visitors), int(md.search_clicks[b, c]))
            for i in rng.choice(len(visitors), size=k, replace=False):
                visitors[i].visit.clicked.add(int(b))
            delivered[b, c] = k
        return delivered


def _browsed(shoppers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(who, brand, channel) of each shopper's visit to a brand on offer that she did not buy, in row order."""
    visits = [(c.row, b, c.visit.venue) for c in shoppers if c.visit.venue >= 0 for b in c.visit.offered
              if c.order is None or c.order.brand != b]
    if not visits:
        return (np.zeros(0, np.int64),) * 3
    who, brand, channel = zip(*visits)
    return np.array(who, np.int64), np.array(brand, np.int64), np.array(channel, np.int64)
