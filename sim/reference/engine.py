"""ReferenceMarketModel: the market with one Mesa agent per consumer (DESIGN §2, §8.2).

Everything but the consumers is shared with the fast engine (:class:`sim.model.MarketModel`):
the scenario, the graph and population arrays, the channels and calendar, the brands,
KOLs and group leaders, the signal producers (:func:`sim.market.campaigns.run_campaigns`),
prices, the partners, the ledger and the data collection. Only the consumer stages of the
day — attitude, need, choice and after purchase — are stepped agent by agent by
:class:`~sim.reference.consumer.Consumer`.

It exists for docking (tests/test_docking.py: both engines give the same KPI
distributions over seeds) and for reading; it is far slower than the fast engine, so it
refuses populations above :data:`MAX_POPULATION`.
"""

from __future__ import annotations

import numpy as np

from ..config.schema import Scenario
from ..errors import SocsimError
from ..market.campaigns import run_campaigns
from ..market.choice import MarketDay
from ..market.signals import Exposures
from ..model import MarketModel
from ..partners import partner_day
from .consumer import Consumer

__all__ = ["ReferenceMarketModel", "MAX_POPULATION"]

#: Largest population the reference engine runs (one Python object per consumer).
MAX_POPULATION = 20_000


class ReferenceMarketModel(MarketModel):
    """The market model with consumers stepped one Mesa agent at a time.

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
    A day runs the stages of DESIGN §5 in the fast engine's order. The consumer stages
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
        super().__init__(scenario, seed=seed)
        self.consumers = [Consumer(self, row) for row in range(self.population.n)]

    @property
    def consumer_set(self):
        """The consumers as a Mesa AgentSet."""
        return self.agents_by_type[Consumer]

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Advance one day (DESIGN §5); the consumer stages run agent by agent."""
        t = self.day
        date = self.calendar.dates[t]
        with self._timed("1 calendar"):
            for brand in self.brands:
                brand.begin_day(date, self.calendar.coupon_yuan[t])
        with self._timed("2 signals"):
            exposures = run_campaigns(self.brands, self.pools, self._campaign_context(t, date.day),
                                      self.streams.signals, self.streams.wom).collect()
        everyone = self.consumer_set
        with self._timed("3 attitude"):
            self._deliver(exposures)
            everyone.do("update_attitude")
        with self._timed("4 need"):
            promoting = [b.code for b in self.brands if b.prices.promo.any()]
            everyone.do("feel_need", float(self.calendar.need_boost[t]), promoting)
            shoppers = everyone.select(lambda c: c.needs)
        with self._timed("5 choice"):
            market = self._market_day(t)
            shoppers.do("choose_venue", market)
            clicks = self._deal_search_clicks(shoppers, market)
            shoppers.do("shop", market)
            self._pay_for_clicks(clicks, t)
        with self._timed("6 after purchase"):
            buyers = shoppers.select(lambda c: c.order is not None)
            buyers.do("after_purchase", self._terms())
        with self._timed("7 partners"):
            for brand in self.brands:
                partner_day(self, brand, t, self.streams.partners)
        with self._timed("8-9 ledger, collect"):
            self._copy_attitudes(t)
            self.ledger.close_day(t)
            self.datacollector.collect(self)
        self.events_today = {"exposures": len(exposures), "shoppers": len(shoppers), "orders": len(buyers)}
        self.day += 1

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

    def _pay_for_clicks(self, clicks: np.ndarray, t: int) -> None:
        """Search ads are paid per delivered click (CPC × scale)."""
        for brand in self.brands:
            for ad in brand.spec.strategy.search_ads:
                c = self.channels.code(ad.channel)
                self.ledger.add(t, brand.code, c, "ad_spend", clicks[brand.code, c] * ad.cpc_yuan * self.scale)
