"""MarketModel: the fast engine's model, which owns the clock, the random streams, the agents and
data collection, and runs the day loop of docs/MODEL.md §1 in order:

calendar → signals → attitude → need → choice → after purchase → partners → ledger → collect.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import defaultdict
from typing import Callable, TypeVar

import numpy as np

from . import draws
from .actors import Brand
from .config.schedule import active_entries, scheduled_spec, with_responses
from .config.schema import BrandSpec, Scenario
from .graph import build_graph
from .ledger import Ledger
from .market.aftercare import BrandTerms, judging
from .market.campaigns import CampaignContext, relay_media, run_campaigns, sharing
from .market.capture import Touches, capture_non_followers
from .market.channels import ChannelTable, build_calendar
from .market.choice import DealTerms, MarketDay
from .market.consumers import STAGES as CONSUMER_STAGES, Today, consumer_day
from .market.partners import Recruiter
from .market.prices import nan_to_zero
from .market.ranking import SearchRanking
from .market.responses import MarketWatch, ResponseDesk, ResponseEvent
from .market.signals import ExposureBatch, Exposures, SharerPool, Source
from .metrics import DailySeries
from .population import build_population
from .rng import spawn_streams

__all__ = ["MarketModel"]

T = TypeVar("T")
#: The day's stopwatch (:meth:`MarketModel._lap_timer`).
Lap = Callable[..., None]


class MarketModel:
    """A social-commerce market: consumers on a social graph, brands on WeChat and Tmall.

    A plain class: consumers are arrays and the actors have the model's own ids, so the
    fast engine needs nothing of Mesa (importing it costs a run ~0.6 s of CPU: pandas,
    SciPy, networkx). The reference engine (:mod:`sim.reference`) is this model and a
    ``mesa.Model``, with one Mesa agent per consumer.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (see :func:`sim.config.loader.load_scenario`).
    seed : int, optional
        Overrides ``scenario.simulation.seed``. Every random number of the run is drawn
        from streams spawned from this one seed (:mod:`sim.rng`).

    Examples
    --------
    >>> model = MarketModel(scenario)          # doctest: +SKIP
    >>> model.run()                            # doctest: +SKIP
    >>> model.ledger.field("revenue").sum()    # doctest: +SKIP
    """

    def __init__(self, scenario: Scenario, seed: int | None = None):
        self.seed_used = scenario.simulation.seed if seed is None else seed
        self.streams = spawn_streams(self.seed_used)
        # Not ``self.scenario``: Mesa 3.5's Model, the reference engine's other base, owns that
        # name (a property whose setter writes ``scenario.model``); see
        # tests/test_model.py::test_no_name_shadows_mesa.
        self.config = scenario
        self.behaviour = scenario.world.behaviour
        self.scale = scenario.world.scale
        self.day = 0
        self.days = scenario.simulation.days
        self.channels = ChannelTable.from_scenario(scenario)
        self.calendar = build_calendar(scenario)
        self.graph = build_graph(scenario.world.graph, scenario.world.population, self.streams.graph)
        self.population = build_population(scenario.world, len(scenario.brands), self.streams.population,
                                           len(self.channels))
        self.ledger = Ledger(self.days, len(scenario.brands), len(self.channels))
        # Ids of the brands, KOLs and group leaders (1, 2, … in creation order): the
        # referrer ids kernels carry. The fast engine's actors are not Mesa agents.
        ids = itertools.count(1)
        self.brands = [Brand(next(ids), b, spec, self.channels, self.behaviour.deal_memory_days, self._desk(b, spec))
                       for b, spec in enumerate(scenario.brands)]
        self.recruiter = Recruiter(self.graph, self.population, self.streams, ids, self.scale, scenario.world.consumers)
        self.ranking = SearchRanking.from_specs([ch.ranking for ch in scenario.channels.values()], len(self.brands))
        self.visibility_today = np.zeros((len(self.brands), len(self.channels)))
        self.pools = [SharerPool() for _ in self.brands]
        self._exposures = ExposureBatch()  # the day's exposures, rewritten every day (views of it last a day)
        self._audiences: dict[tuple[str, ...], np.ndarray] = {}
        self._day_terms: dict[str, tuple] = {}
        self._context: CampaignContext | None = None
        self.recruiter.enlist_at_start(self.brands)
        self._build_lookups()
        self.datacollector = DailySeries(self)
        self.stage_seconds: dict[str, float] = defaultdict(float)
        self.events_today: dict[str, int] = {}

    # ------------------------------------------------------------------ set-up
    def audience(self, target: tuple[str, ...]) -> np.ndarray:
        """Consumers in the ``target`` segments (all if empty), cached per target."""
        if target not in self._audiences:
            keys = self.population.segments.keys
            codes = np.array([keys.index(s) for s in target if s in keys], np.int64)
            self._audiences[target] = self.population.members_of(codes) if target else np.arange(self.population.n)
        return self._audiences[target]

    def _desk(self, code: int, spec: BrandSpec) -> ResponseDesk | None:
        """Brand ``code``'s competitor response desk (None: it has no rules)."""
        rules = spec.strategy.responses
        return ResponseDesk(code, [b.name for b in self.config.brands], self.channels, self.calendar,
                            rules) if rules else None

    def _build_lookups(self) -> None:
        """Build what the days read and only set-up (or a schedule) changes: the rosters'
        kernel arrays, the paid-media audiences and the draw handles of the streams that
        kernels draw from. Built on first use they would cost the first day ~0.5 ms at
        10⁴ consumers, cold (the graph build has just flushed the caches)."""
        for brand in self.brands:
            brand.kol_roster.arrays()
            brand.leader_roster.members()
            for medium in brand.base.strategy.paid_media:
                self.audience(tuple(medium.target))
        streams = self.streams
        for stream in (streams.signals, streams.wom, streams.needs, streams.choice, streams.after, streams.partners):
            draws.stream_handle(stream)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Advance one day (docs/MODEL.md §1); ``stage_seconds`` accumulates each stage's time."""
        t = self.day
        date = self.calendar.dates[t]
        lap = self._lap_timer()
        watch = self._market_watch(t)
        for brand in self.brands:
            self._brand_morning(brand, date, self.calendar.coupon_yuan[t], watch)
        lap("1 calendar")
        batch = run_campaigns(self.brands, self.pools, self._campaign_context(t, date.day), self.streams.wom,
                              self._exposures, share=self._share, relay=self._relay).collect()
        self._in_session_needs(batch, t)
        lap("2 signals")
        shoppers, orders, browsed = self._consumer_day(t, batch, lap)
        self._capture(batch, browsed, t)
        lap("6 after purchase")
        for brand in self.brands:
            self.recruiter.partner_day(brand, t)
        lap("7 partners")
        self.ledger.close_day(t)
        if self.ranking.active:
            self.ranking.close_day(self.ledger.field("orders")[t], self.ledger.field("traffic")[t])
        self.datacollector.collect(self)
        lap("8-9 ledger, collect")
        self.events_today = {"exposures": len(batch), "shoppers": shoppers, "orders": orders}
        self.day += 1

    def _brand_morning(self, brand: Brand, date: dt.date, coupon_today: np.ndarray, watch: MarketWatch | None) -> None:
        """Stage 1 for one brand: today's schedule and competitor responses make its terms
        (:mod:`sim.config.schedule`); KOL programs follow them; then its prices."""
        active = active_entries(brand.base, date)
        scheduled = scheduled_spec(brand.base, active) if active != brand.active_entries else None
        responses = brand.morning(active, scheduled, watch)
        if responses is not None:
            brand.adopt(with_responses(brand.scheduled, responses))
            signed = self.recruiter.follow_programs(brand)
            if self._context is not None:  # KOCs signed after the first day lead opinion as those signed at the start
                for kol in signed:
                    if kol.program.tier == "koc":
                        self._context.enlist_koc(kol.node)
        brand.set_prices(date, coupon_today)

    def _capture(self, batch: Exposures, browsed: tuple, t: int) -> None:
        """Private-domain capture of today's touched non-followers
        (:func:`~sim.market.capture.capture_non_followers`), for brands with a WeChat shop
        and a capture rate above 0; the same stage in both engines. ``browsed`` holds
        today's (who, brand, channel) visits that did not end in buying the brand."""
        social = self.channels.social
        if social is None:
            return
        for brand in self.brands:
            spec = brand.spec.strategy.private_domain.capture
            if spec.active and self.channels.keys[social] in brand.spec.channels:
                live = [uid for uid, _ in brand.kol_roster.live_today]
                touches = Touches(batch, live, self._detail_visitors(browsed, brand.code))
                capture_non_followers(self.population, touches, brand.code, spec, social, self.ledger, t,
                                      self.scale, self.streams.capture)

    def _detail_visitors(self, browsed: tuple, brand: int) -> np.ndarray:
        """Today's visitors of ``brand``'s marketplace shops who did not buy it, one entry per visit."""
        who, visited, channel = browsed
        return who[(visited == brand) & np.isin(channel, self.channels.with_role("marketplace"))]

    def _in_session_needs(self, batch: Exposures, t: int) -> None:
        """In-session conversion: each watcher of a livestream session today (an exposure
        from its streamer) shops today with the session's ``need_share``, stock or not
        (her ``stock_until`` becomes today, when a need is certain in both engines)."""
        for brand in self.brands:
            for uid, share in brand.kol_roster.live_today:
                watching = (batch.referrer == uid) & (batch.source == Source.KOL) & (batch.brand == brand.code)
                watchers = np.unique(batch.who[watching])
                shops = watchers[self.streams.signals.random(len(watchers)) < share]
                self.population.stock_until[shops] = np.minimum(self.population.stock_until[shops], t)

    def _market_watch(self, t: int) -> MarketWatch | None:
        """Yesterday's public facts, read by every brand's response rules before anyone
        moves today (so no brand sees a rival's move of the same morning); None when no
        brand has rules."""
        if not any(b.desk is not None for b in self.brands) or t == 0:
            return None
        shelf = np.array([b.prices.price for b in self.brands])
        regular = np.array([[b.scheduled.price_on(k) if k in b.scheduled.channels else np.nan for k in self.channels.keys]
                            for b in self.brands])
        return MarketWatch(day=t, shelf=shelf, regular=regular, orders=self.ledger.field("orders")[:t].sum(axis=2),
                           ad_spend=self.ledger.field("ad_spend")[:t])

    def response_log(self) -> list[ResponseEvent]:
        """Every brand's competitor responses so far, by day."""
        return sorted((e for b in self.brands if b.desk is not None for e in b.desk.log), key=lambda e: e.day)

    #: Word of mouth (part of stage 2): vectorised over today's sharers.
    _share = staticmethod(sharing)
    #: Opinion leaders' relays of media (part of stage 2, two-step flow): vectorised over today's exposures.
    _relay = staticmethod(relay_media)

    def _consumer_day(self, t: int, batch: Exposures, lap: Lap) -> tuple[int, int, tuple]:
        """Stages 3–6, the consumers' part of the day, in one compiled call
        (:func:`~sim.market.consumers.consumer_day`); (shoppers, orders, browsed) today,
        browsed the (who, brand, channel) visits that did not end in buying the brand.

        The reference engine (:mod:`sim.reference`) overrides this, :attr:`_share` and
        :attr:`_relay` only: everything else in the day is shared by both engines. ``lap`` books the
        time since the last lap: here to the four stages, by the cycles each took in the call.
        """
        promoting = np.array([b.code for b in self.brands if b.prices.promoting], np.int64)
        today = Today(t, float(self.calendar.need_boost[t]), int(self.calendar.wait_until[t]), promoting)
        day = consumer_day(self.population, batch, today, self._market_day(t), self._terms(), self.ledger,
                           self.pools, self.scale, self.behaviour,
                           judging(self.behaviour, self.graph.indptr, self.graph.indices), self.streams)
        self._book_search_ads(day.clicks, t)
        lap(CONSUMER_STAGES, day.cycles)
        return day.shoppers, day.orders, day.browsed

    def _lap_timer(self) -> Lap:
        """A stopwatch for the day: ``lap(stage)`` adds the time since the previous lap to
        ``stage_seconds[stage]``; ``lap(stages, weights)`` shares it out between ``stages``
        in proportion to ``weights`` (equally if they are all 0). A context manager per
        stage cost more than some stages."""
        last = [time.perf_counter()]

        def lap(stage: str | tuple[str, ...], weights: np.ndarray | None = None) -> None:
            now = time.perf_counter()
            elapsed, last[0] = now - last[0], now
            if weights is None:
                self.stage_seconds[stage] += elapsed
                return
            total = float(weights.sum())
            for name, weight in zip(stage, weights.tolist()):
                self.stage_seconds[name] += elapsed * (weight / total if total > 0 else 1.0 / len(stage))
        return lap

    def run(self, progress=None) -> None:
        """Run all remaining days; ``progress(day)`` is called after each day."""
        while self.day < self.days:
            self.step()
            if progress is not None:
                progress(self.day)

    def _campaign_context(self, t: int, day_of_month: int) -> CampaignContext:
        """The producers' context, moved to day ``t`` (one object for the run)."""
        if self._context is None:
            self._context = CampaignContext(
                day=t, day_of_month=day_of_month, pop=self.population, graph=self.graph,
                channels=self.channels, behaviour=self.behaviour, ledger=self.ledger,
                scale=self.scale, audience=self.audience, rng=self.streams.signals,
                koc_nodes=np.array([k.node for b in self.brands for k in b.kol_roster.kols if k.program.tier == "koc"],
                                   np.int64),
            )
        self._context.day, self._context.day_of_month = t, day_of_month
        return self._context

    def _market_day(self, t: int) -> MarketDay:
        d11 = bool(self.calendar.double11_open[t])
        funded = self.calendar.brand_funded[t]
        terms = self._reused("market", (d11, funded.tobytes()), lambda: self._market_terms(d11, funded))
        if self.ranking.active:  # the search page ranks by yesterday's books: a term of its own each day
            terms = {**terms, "visibility": self.ranking.visibility(terms["visibility"], terms["listed"])}
        self.visibility_today = terms["visibility"]
        lift = 1.0 + self.behaviour.deal_sensitivity * np.array([b.deal_history for b in self.brands])
        return MarketDay(day=t, search_clicks=self._search_clicks(), price_lift=lift, deal_wait=self.deal_waits(),
                         **terms)

    def deal_waits(self) -> DealTerms:
        """Per brand today: the probability that a need for it waits for its next deal, the
        wait in days and whether it is on deal (:meth:`~sim.actors.Brand.deal_wait`)."""
        waits = tuple((*b.deal_wait(self.behaviour), b.prices.discount > 0.0) for b in self.brands)
        # The same on most days (no deal history yet, or none on deal): the arrays are reused.
        return self._reused("deal waits", waits, lambda: DealTerms(
            wait_prob=np.array([w[0] for w in waits]), wait_days=np.array([w[1] for w in waits], np.int64),
            on_deal=np.array([w[2] for w in waits])))

    def _market_terms(self, d11: bool, funded: np.ndarray) -> dict:
        """The MarketDay fields that change only with prices, specs and the calendar."""
        ch, prices = self.channels, [b.prices for b in self.brands]
        strategies = [b.spec.strategy for b in self.brands]
        return dict(
            listed=np.array([p.listed for p in prices]) & ch.transacts[None, :],
            price=nan_to_zero(np.array([p.price for p in prices])),
            effective=nan_to_zero(np.array([p.effective for p in prices])),
            coupon=np.array([p.coupon for p in prices]),
            funded=funded,
            promo=np.array([p.promo for p in prices]),
            comparable=np.array([p.comparable for p in prices]),
            quality=np.array([b.spec.product.quality for b in self.brands]),
            visibility=np.array([[b.spec.channels[k].search_visibility if k in b.spec.channels else 0.0
                                  for k in ch.keys] for b in self.brands]),
            pd_coupon=np.array([s.private_domain.coupon_yuan for s in strategies]),
            routing=np.array([s.double11_routing.enabled and d11 for s in strategies]),
            gift=np.array([s.double11_routing.gift_yuan for s in strategies]),
            trust_yuan=ch.trust_premium_yuan, open_search=ch.open_search,
            marketplace=np.array([r == "marketplace" for r in ch.roles]) & ch.transacts,
            live=np.array([r == "livestream" for r in ch.roles]),
            social=ch.social if ch.social is not None else -1,
        )

    def _reused(self, name: str, day_inputs: tuple, build: Callable[[], T]) -> T:
        """``build()``, reused while the brands' versions and ``day_inputs`` stay the same.

        Prices and specs change on a few days a year; rebuilding the day's terms from
        them every day was a large share of a small run's fixed cost per day.
        """
        key = (tuple(b.version for b in self.brands), day_inputs)
        cached = self._day_terms.get(name)
        if cached is None or cached[0] != key:
            cached = self._day_terms[name] = (key, build())
        return cached[1]

    def _search_clicks(self) -> np.ndarray:
        """Search-ad clicks each brand buys today, in agents (stochastically rounded)."""
        clicks = np.zeros((len(self.brands), len(self.channels)))
        rng = self.streams.signals
        for brand in self.brands:
            for ad in brand.spec.strategy.search_ads:
                x = ad.budget_per_day / ad.cpc_yuan / self.scale
                clicks[brand.code, self.channels.code(ad.channel)] += np.floor(x + rng.random())
        return clicks

    def _book_search_ads(self, clicks: np.ndarray, t: int) -> None:
        """Search ads are paid per delivered click: (B, C) ``clicks`` × CPC × scale."""
        for brand in self.brands:
            for ad in brand.spec.strategy.search_ads:
                c = self.channels.code(ad.channel)
                self.ledger.add(t, brand.code, c, "ad_spend", clicks[brand.code, c] * ad.cpc_yuan * self.scale)

    def _terms(self) -> BrandTerms:
        return self._reused("settlement", (), self._settlement_terms)

    def _settlement_terms(self) -> BrandTerms:
        specs = [b.spec for b in self.brands]
        return BrandTerms(
            unit_cost=np.array([s.product.unit_cost for s in specs]),
            quality=np.array([s.product.quality for s in specs]),
            repurchase_days=np.array([s.product.repurchase_days for s in specs]),
            capture=np.array([s.strategy.private_domain.package_card_capture for s in specs]),
            levels=np.array([[s.strategy.referral.level1, s.strategy.referral.level2, s.strategy.referral.level3]
                             for s in specs]),
            leader_commission=np.array([s.strategy.group_leaders.commission for s in specs]),
            take_rate=self.channels.take_rate, payment_fee=self.channels.payment_fee,
            social=self.channels.social if self.channels.social is not None else -1,
            on_social=np.array([self.channels.social is not None and self.channels.keys[self.channels.social] in s.channels for s in specs]),
            kol_cps={k.uid: k.program.cps_rate for b in self.brands for k in b.kols},
            kol_cps_channel={k.uid: k.platform for b in self.brands for k in b.kols if k.session is not None},
            leader_of=self.recruiter.leader_of,
        )
