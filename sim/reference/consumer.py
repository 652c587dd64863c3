"""One consumer as one Mesa agent: the reference engine's reading of docs/MODEL.md §3.2–3.6.

Each :class:`Consumer` steps herself, one day at a time, with plain Python logic: she
tells her contacts about what she bought (or warns them), lets her attitudes decay,
takes in the exposures that reached her today, feels a need, picks a shop and then a
brand on its shelf, and settles her order. Nothing here calls the vectorised consumer
functions of :mod:`sim.market` (word of mouth, attitude, choice, aftercare): the rules
are written again, scalar by scalar, so that docking the two engines
(tests/test_docking.py) checks one against the other.

Her attitudes (ad-stocks) are her own Python floats: nothing but she reads them, and the
model copies them into the population arrays at the end of each day. The rest of her
state — funnel stage, entry channel, follower flags, purchases, stock at home — is her
row of the shared :class:`~sim.population.Population` arrays, because the brands' shared
signal producers (pushes to followers, group deals), the partners and the KPIs read it
whichever engine runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from ..ledger import N_SOURCES
from ..market.signals import WECHAT_SEEDED, Source
from ..population import NO_ONE, Stage

if TYPE_CHECKING:  # pragma: no cover
    from ..market.aftercare import BrandTerms
    from ..market.choice import DealTerms, MarketDay
    from ..market.signals import ExposureBatch
    from .engine import ReferenceMarketModel

__all__ = ["Consumer", "Visit", "Order"]


@dataclass
class Visit:
    """Where a shopper went today and what she found there."""

    target: int                 # the brand she thought of (-1: none known)
    venue: int                  # channel she shops on (-1: stays home)
    routed: bool = False        # Double 11 routing sent her to the marketplace
    clicked: set[int] = field(default_factory=set)   # brands whose search ad she clicked
    offered: list[int] = field(default_factory=list)  # brands on offer to her there (the shelf)


@dataclass(frozen=True)
class Order:
    """One order (a row of the day's purchases)."""

    brand: int
    channel: int
    units: int
    price: float                # per unit (¥)
    coupon: float               # brand-funded coupon per order (¥)
    gift: float                 # routing gift (¥)
    source: int
    referrer: int


class Consumer(mesa.Agent):
    """A consumer of the reference engine: one Python object, one ``step`` a day.

    Parameters
    ----------
    model : ReferenceMarketModel
    row : int
        Her row in the population arrays (and her node on the social graph).

    Notes
    -----
    A day is staged so that every consumer finishes one stage before anyone starts the
    next, as in the fast engine: :meth:`update_attitude`, :meth:`feel_need`,
    :meth:`choose_venue`, then (after the search page has dealt its ad clicks)
    :meth:`shop`. Random numbers come from the run's named streams (``needs``,
    ``choice``, ``after``), drawn one consumer at a time.
    """

    def __init__(self, model: "ReferenceMarketModel", row: int):
        super().__init__(model)
        self.row = row
        segments, segment = model.population.segments, int(model.population.segment[row])
        #: her segment's parameters (price_sensitivity, compare_prob, need_rate, ...)
        self.traits = {name: float(getattr(segments, name)[segment])
                       for name in segments.__dataclass_fields__ if name not in ("keys", "share")}
        self.attitudes = [0.0] * model.population.n_brands   # ad-stock per brand, as of today
        self.inbox: list[tuple[int, float, int, int, int]] = []  # (brand, weight, entry, source, referrer)
        self.touched: list[int] = []   # brands with a positive exposure today
        self.needs = False
        self.visit: Visit | None = None
        self.order: Order | None = None

    # ------------------------------------------------------------------ helpers
    def trait(self, name: str) -> float:
        """Her segment's parameter ``name`` (price_sensitivity, compare_prob, ...)."""
        return self.traits[name]

    def attitude(self, brand: int) -> float:
        return self.attitudes[brand]

    def reference(self, brand: int) -> float:
        """Her reference price of ``brand`` (¥): what she expects to pay for it."""
        return float(self.model.population.ref_price[self.row, brand])

    def category_reference(self) -> float:
        """Her category reference price R̄ (¥): the mean of her reference prices."""
        refs = [self.reference(b) for b in range(self.model.population.n_brands)]
        return sum(refs) / len(refs)

    def knows(self, brand: int) -> bool:
        return int(self.model.population.stage[self.row, brand]) >= Stage.AWARE

    def _reach_stage(self, brand: int, stage: int) -> None:
        pop = self.model.population
        pop.stage[self.row, brand] = max(int(pop.stage[self.row, brand]), stage)

    # ------------------------------------------------------------------ 2. word of mouth
    def shares_today(self, uplift: float, rng: np.random.Generator) -> bool:
        """As a satisfied recent buyer: does she share today? P = advocacy × ``uplift``."""
        return rng.random() < self.trait("advocacy") * uplift

    def tell_contacts(self, brand: int, batch: "ExposureBatch", rng: np.random.Generator, sign: float = 1.0) -> None:
        """Tell her contacts about ``brand``: praise (sign +1) or a warning (sign −1).

        Notes
        -----
        A tie of Dunbar layer ℓ carries the word with probability tie_reach[ℓ]; a contact
        it reaches takes weight wom_strength · wom_weight(contact's segment), times
        −negative_wom_ratio for a warning. Praise links to the shop she bought on and makes
        her loyal; a warning links nowhere.
        """
        beh = self.model.behaviour
        strength = beh.wom_strength if sign > 0 else -beh.wom_strength * beh.negative_wom_ratio
        told, weights = self._reached(strength, rng)
        entry = NO_ONE
        if sign > 0:
            self._reach_stage(brand, Stage.LOYAL)
            entry = int(self.model.population.last_channel[self.row, brand])
        batch.add(told, brand, weights, entry, Source.WOM, self.row)

    def relays_today(self, prob: float, rng: np.random.Generator) -> bool:
        """As an opinion leader who saw a brand's media today: does she pass it on? P = ``prob``."""
        return rng.random() < prob

    def relay(self, brand: int, entry: int, batch: "ExposureBatch", rng: np.random.Generator) -> None:
        """Pass a brand's paid impression or KOL post, linking to ``entry``, on to her contacts
        (two-step flow): each tie carries it as word of mouth does; a contact it reaches takes
        weight relay_strength · wom_weight(contact's segment)."""
        told, weights = self._reached(self.model.behaviour.two_step.relay_strength, rng)
        batch.add(told, brand, weights, entry, Source.RELAY, self.row)

    def _reached(self, strength: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The contacts her word reaches (a tie of layer ℓ with probability tie_reach[ℓ]) and
        the weight each takes: ``strength`` · wom_weight(contact's segment)."""
        model = self.model
        told, weights = [], []
        for contact, layer in zip(model.graph.neighbours(self.row).tolist(),
                                  model.graph.neighbour_layers(self.row).tolist()):
            if rng.random() < model.behaviour.tie_reach[layer]:
                told.append(contact)
                weights.append(strength * model.consumers[contact].trait("wom_weight"))
        return np.array(told, np.int32), np.array(weights)

    # ------------------------------------------------------------------ 3. attitude
    def receive(self, brand: int, weight: float, entry: int, source: int, referrer: int) -> None:
        """An exposure reaches her (the model delivers the day's signals)."""
        self.inbox.append((brand, weight, entry, source, referrer))

    def update_attitude(self) -> None:
        """Decay every attitude by one day, then take in today's exposures.

        Notes
        -----
        a ← (1 − λ)·a every day (eagerly: the fast engine decays lazily on read); then
        per brand a ← a + (1 − a)(1 − e^{−S⁺}) with S⁺ the sum of today's positive
        weights, and a ← a − (1 + a)(1 − e^{S⁻}) for negative word of mouth (towards −1). The heaviest positive
        exposure (the later one on a tie) sets her entry channel, source and referrer.
        """
        keep = 1.0 - self.model.population.decay
        self.attitudes = [a * keep for a in self.attitudes]
        self.touched = []
        if not self.inbox:
            return
        for brand in sorted({e[0] for e in self.inbox}):
            if self._take_in(brand, [e for e in self.inbox if e[0] == brand]):
                self.touched.append(brand)
        self.inbox = []

    def _take_in(self, brand: int, exposures: list[tuple[int, float, int, int, int]]) -> bool:
        """Fold exposures for one brand into her attitude; True if any was positive."""
        pop, row, beh = self.model.population, self.row, self.model.behaviour
        positive = [e for e in exposures if e[1] > 0]
        negative = sum(e[1] for e in exposures if e[1] < 0)
        a = self.attitude(brand)
        if positive:
            a = a + (1.0 - a) * (1.0 - math.exp(-sum(e[1] for e in positive)))
            self._reach_stage(brand, Stage.AWARE)
            if a >= beh.interest_threshold:
                self._reach_stage(brand, Stage.INTERESTED)
            heaviest = positive[0]
            for e in positive[1:]:
                if abs(e[1]) >= abs(heaviest[1]):
                    heaviest = e
            _, _, entry, source, referrer = heaviest  # last touch
            pop.entry[row, brand], pop.source[row, brand], pop.referrer[row, brand] = entry, source, referrer
        self.attitudes[brand] = a - (1.0 + a) * (1.0 - math.exp(negative))  # bad word of mouth: towards −1
        return bool(positive)

    # ------------------------------------------------------------------ 4. need
    def feel_need(self, event_boost: float, wait_until: int, promoting: list[int],
                  deals: "DealTerms") -> None:
        """Does she shop today? Replenishment, a need arriving, or an impulse.

        Notes
        -----
        Out of stock on the day her stock runs out: certain. Later: with her segment's
        need rate × the event boost, × promo_need_boost if she knows a brand in
        ``promoting`` (on promotion today). Before a platform event whose coupon starts on
        day ``wait_until`` (−1: none coming), a need arriving with a draw below rate ×
        event_wait_share waits: she shops on that day. Before that, a need may wait for her
        preferred brand's next deal (:meth:`_await_deal`, ``deals`` per brand as
        ``MarketModel.deal_waits`` gives them). Impulse: each brand she saw today whose
        attitude is now ≥ impulse_threshold triggers a need with probability impulse_prob
        × the chance that her next need falls within impulse_window_days (her stock as
        those waits left it; :meth:`_need_within`): an impulse only pulls it forward.
        """
        pop, rng, day = self.model.population, self.model.streams.needs, self.model.day
        beh = self.model.behaviour
        rate = self.trait("need_rate") * event_boost
        if any(self.knows(b) for b in promoting):
            rate *= beh.promo_need_boost
        draw = rng.random()
        if beh.deal_wait_share > 0.0:
            self._await_deal(draw, rate, deals)
        until = int(pop.stock_until[self.row])
        waits = until < day < wait_until and draw < rate * beh.event_wait_share
        if waits:
            pop.stock_until[self.row] = wait_until
        self.needs = until == day or (until < day and draw < rate and not waits)
        pulled = beh.impulse_prob * self._need_within(int(pop.stock_until[self.row]) - day, rate)
        for brand in self.touched:
            if self.attitude(brand) >= beh.impulse_threshold and rng.random() < pulled:
                self.needs = True
        self.visit, self.order = None, None

    def _need_within(self, stock_days: int, rate: float) -> float:
        """The chance that her next need falls within impulse_window_days: certain if her stock
        runs out in ``stock_days`` ≤ that many days, none if later; out of stock (``stock_days``
        < 0) needs arrive at ``rate`` a day."""
        window = self.model.behaviour.impulse_window_days
        if stock_days >= 0:
            return 1.0 if stock_days <= window else 0.0
        return 1.0 - (1.0 - min(rate, 1.0)) ** window

    def _await_deal(self, draw: float, rate: float, deals: "DealTerms") -> None:
        """Wait for her preferred brand's next deal, or end that wait.

        Notes
        -----
        ``deals``: ω·D_b, the wait in days and on deal today, per brand. Waiting for brand b
        (her stock_until still the wait's end): its deal today makes her need certain
        today; the wait's end, or a purchase meanwhile, ends it. Otherwise, out of stock
        with a need arriving (``draw`` < ``rate``): if her preferred brand b (the known
        brand with the highest attitude, the first of equals) has draw < rate·ω·D_b,
        her stock_until moves to today + the wait.
        """
        pop, day, row = self.model.population, self.model.day, self.row
        b = int(pop.awaited[row])
        if b >= 0:
            if pop.stock_until[row] == pop.await_end[row] and pop.stock_until[row] > day:
                if not deals.on_deal[b]:
                    return
                pop.stock_until[row] = day
            pop.awaited[row] = NO_ONE
            return
        if pop.stock_until[row] >= day or draw >= rate:
            return
        known = [b for b in range(pop.n_brands) if self.knows(b)]
        if not known:
            return
        b = known[0]
        for other in known[1:]:
            if self.attitude(other) > self.attitude(b):
                b = other
        if draw < rate * deals.wait_prob[b]:
            pop.stock_until[row] = pop.await_end[row] = day + int(deals.wait_days[b])
            pop.awaited[row] = b

    # ------------------------------------------------------------------ 5. choice
    def choose_venue(self, md: "MarketDay") -> None:
        """Think of her favourite known brand and pick a shop where it is sold.

        Notes
        -----
        V_c = β·trust_c/R̄ + habit·[marketplace] + entry_bonus·[c = entry′]
        + [routed & marketplace]·β·gift/R̄ − [compares]·β·(p̃_c − min p̃)/R̄ + ε_c over the
        channels where the target brand is listed (a livestream session only if she
        watched it, c = entry′, or compares), R̄ her category reference price (the
        mean of her reference prices); argmax. Knowing no brand, she searches a random
        open marketplace with probability category_search_prob.
        """
        known = [b for b in range(self.model.population.n_brands) if self.knows(b)]
        if not known:
            self.visit = Visit(target=-1, venue=self._search_venue(md))
            return
        target = known[0]
        for b in known[1:]:
            if self.attitude(b) > self.attitude(target):
                target = b
        routed, entry = self._entry(target, md)
        rng = self.model.streams.choice
        compares = rng.random() < self.trait("compare_prob") and bool(md.comparable[target])
        best, venue = -math.inf, -1
        for c in range(len(md.trust_yuan)):
            if md.listed[target, c] and (compares or c == entry or not md.live[c]):
                v = self._venue_utility(target, c, entry, routed, compares, md) + _gumbel(rng)
                if v > best:
                    best, venue = v, c
        self.visit = Visit(target=target, venue=venue, routed=routed and venue == entry)

    def _entry(self, target: int, md: "MarketDay") -> tuple[bool, int]:
        """(routed, entry channel) for a trip to buy ``target``.

        Double 11 routing (the HFP play): while it runs, a shopper brought by the brand's
        WeChat pushes, 1:1 touches or group deals is pointed to the brand's first
        marketplace listing instead, with a gift there.
        """
        pop = self.model.population
        entry = int(pop.entry[self.row, target])
        markets = [c for c in range(len(md.marketplace)) if md.marketplace[c] and md.listed[target, c]]
        seeded = int(pop.source[self.row, target]) in WECHAT_SEEDED
        if md.routing[target] and seeded and markets:
            return True, markets[0]
        return False, entry

    def _venue_utility(self, target: int, c: int, entry: int, routed: bool, compares: bool, md: "MarketDay") -> float:
        beta, ref = self.trait("price_sensitivity"), self.category_reference()
        v = beta * md.trust_yuan[c] / ref
        if md.marketplace[c]:
            v += self.trait("tmall_habit")
            if routed:
                v += beta * md.gift[target] / ref
        if c == entry:
            v += self.model.behaviour.entry_bonus
        if compares:
            cheapest = min(md.effective[target, k] for k in range(len(md.trust_yuan)) if md.listed[target, k])
            v -= beta * (md.effective[target, c] - cheapest) / ref
        return v

    def _search_venue(self, md: "MarketDay") -> int:
        open_shops = [c for c in range(len(md.trust_yuan)) if md.open_search[c] and md.marketplace[c]]
        rng = self.model.streams.choice
        if open_shops and rng.random() < self.model.behaviour.category_search_prob:
            return open_shops[int(rng.integers(len(open_shops)))]
        return -1

    def shop(self, md: "MarketDay") -> None:
        """At her venue: see the shelf and pick a brand or "not now" (``self.order``)."""
        visit = self.visit
        if visit is None or visit.venue < 0:
            return
        offered, found = self._shelf(md)
        visit.offered = offered
        for b in offered:
            self.model.ledger.add(md.day, b, visit.venue, "traffic", self.model.scale)
        choice = self._pick(offered, found, md)
        self.order = self._order(choice, choice in found, md) if choice is not None else None
        beh = self.model.behaviour
        for b in sorted(found | visit.clicked):  # what the search page showed leaves a mark (after the pick)
            weight = beh.search_click_strength if b in visit.clicked else beh.search_strength
            self._take_in(b, [(b, weight, visit.venue, int(Source.SEARCH), NO_ONE)])

    def _shelf(self, md: "MarketDay") -> tuple[list[int], set[int]]:
        """Brands offered to her at the venue, and those she found only via search."""
        c, rng = self.visit.venue, self.model.streams.choice
        offered, found = [], set()
        for b in range(len(md.quality)):
            if not md.listed[b, c]:
                continue
            shown = b in self.visit.clicked or (bool(md.open_search[c]) and rng.random() < md.visibility[b, c])
            if self.knows(b) or shown:
                offered.append(b)
                if not self.knows(b):
                    found.add(b)
        return offered, found

    def _pick(self, offered: list[int], found: set[int], md: "MarketDay") -> int | None:
        """Buy now or not, then which brand; her reference prices then move.

        Notes
        -----
        A_b = β_att·a_b + β_q·q_b with a_b replaced by 1 − e^{−search_strength} for a
        brand found on the search page, and raised by a search-ad click; x_b the price
        cost (:meth:`_price_cost`) × (1 + κ·D_b), D_b the brand's deal history. She buys now with probability
        σ(log Σ_b exp(A_b − γ·β·x_b) − u_0) (incidence, price weighed by γ), then takes
        argmax_b A_b − β·x_b + ε_b. Every reference price of an offered brand moves:
        R_b ← R_b + w·(pay_b − R_b).
        """
        beh, rng = self.model.behaviour, self.model.streams.choice
        beta, scale = self.trait("price_sensitivity"), self.category_reference()
        incidence = rng.random()
        best, choice, category, pays = -math.inf, None, 0.0, {}
        for b in offered:
            a = 1.0 - math.exp(-beh.search_strength) if b in found else self.attitude(b)
            if b in self.visit.clicked:
                a = a + (1.0 - a) * (1.0 - math.exp(-beh.search_click_strength))
            pays[b] = md.effective[b, self.visit.venue] - self._coupon(b, md) - self._gift(b, md)
            appeal = beh.beta_attitude * a + beh.beta_quality * md.quality[b]
            x = md.price_lift[b] * self._price_cost(pays[b], b, scale)  # β × (1 + κ·D_b): deal history
            category += math.exp(appeal - beh.category_price_weight * beta * x - beh.outside_utility)
            u = appeal - beta * x + _gumbel(rng)
            if u > best:
                best, choice = u, b
        self._remember_prices(pays)
        return choice if incidence < category / (1.0 + category) else None

    def _price_cost(self, pay: float, brand: int, scale: float) -> float:
        """x = (pay − R̄)/R̄ + η·G(pay − R_b)/R_b: the price level against her category
        reference R̄ and the gain or loss against her reference R_b of the brand, a loss
        (G(g) = λ·g, g > 0) weighing λ times an equal gain (G(g) = g)."""
        beh, own = self.model.behaviour, self.reference(brand)
        gap = pay - own
        felt = beh.loss_aversion * gap if gap > 0 else gap
        return (pay - scale) / scale + beh.reference_weight * felt / own

    def _remember_prices(self, pays: dict[int, float]) -> None:
        """Exponential smoothing of the prices she saw today (Kalyanaram & Winer 1995)."""
        refs, w = self.model.population.ref_price, self.model.behaviour.reference_smoothing
        for b, pay in pays.items():
            refs[self.row, b] = self.reference(b) + w * (pay - self.reference(b))

    def _coupon(self, brand: int, md: "MarketDay") -> float:
        """Private-domain coupon: a follower shopping on WeChat."""
        follows = bool(self.model.population.follower[self.row, brand])
        return float(md.pd_coupon[brand]) if self.visit.venue == md.social and follows else 0.0

    def _gift(self, brand: int, md: "MarketDay") -> float:
        return float(md.gift[brand]) if self.visit.routed and brand == self.visit.target else 0.0

    def _order(self, brand: int, via_search: bool, md: "MarketDay") -> Order:
        c, pop = self.visit.venue, self.model.population
        units = 1
        if md.promo[brand, c]:  # stock up on promotions (囤货)
            units += int(self.model.streams.choice.poisson(self.trait("stockpile")))
        price = float(md.price[brand, c])
        coupon = min(float(md.coupon[brand, c] * md.funded[c]) + self._coupon(brand, md), price)
        source = int(Source.SEARCH) if via_search else int(pop.source[self.row, brand])
        referrer = NO_ONE if via_search else int(pop.referrer[self.row, brand])
        return Order(brand, c, units, price, coupon, self._gift(brand, md), source, referrer)

    # ------------------------------------------------------------------ 6. after purchase
    def after_purchase(self, terms: "BrandTerms") -> None:
        """Book today's order, pay its commissions, and update what buying did to her."""
        order = self.order
        if order is None:
            return
        revenue = order.units * order.price
        self._book(order, revenue, terms)
        self._pay_commissions(order, revenue, terms)
        self._remember(order, terms)

    def _book(self, order: Order, revenue: float, terms: "BrandTerms") -> None:
        ledger, day, s, b, c = self.model.ledger, self.model.day, self.model.scale, order.brand, order.channel
        fees = revenue * (terms.take_rate[c] + terms.payment_fee[c])
        for name, amount in (("orders", 1.0), ("units", order.units), ("revenue", revenue), ("coupons", order.coupon),
                             ("gifts", order.gift), ("cogs", order.units * terms.unit_cost[b]), ("platform_fees", fees)):
            ledger.add(day, b, c, name, amount * s)
        ledger.by_source[day, b, c, order.source if order.source >= 0 else N_SOURCES - 1] += s

    def _pay_commissions(self, order: Order, revenue: float, terms: "BrandTerms") -> None:
        """Referral (分佣, three levels up her referrer's tree) and group-leader commissions
        on WeChat; KOL CPS anywhere."""
        ledger, day, s = self.model.ledger, self.model.day, self.model.scale
        b, c, ref = order.brand, order.channel, order.referrer
        on_social = c == terms.social and ref != NO_ONE
        if order.source == Source.WOM and on_social:
            self._pay_referral(b, c, ref, revenue, terms)
        if order.source == Source.GROUP and on_social:
            pay = terms.leader_commission[b] * revenue * s
            ledger.add(day, b, c, "leader_commission", pay)
            terms.leader_of[ref].earn(float(pay))
        if order.source == Source.KOL and ref != NO_ONE:
            ledger.add(day, b, c, "kol_commission", terms.cps(ref, c) * revenue * s)

    def _pay_referral(self, b: int, c: int, ref: int, revenue: float, terms: "BrandTerms") -> None:
        """Pay the sharer ``ref`` and up to two referrers above her, level by level; then
        join the brand's tree under ``ref`` if she has no referrer yet and does not stand
        above ``ref`` herself."""
        ledger, pop, day, s = self.model.ledger, self.model.population, self.model.day, self.model.scale
        payees, at = [ref], int(pop.parent[ref, b])
        while at != NO_ONE and len(payees) < len(terms.levels[b]):
            payees.append(at)
            at = int(pop.parent[at, b])
        pay = [terms.levels[b, level] * revenue for level in range(len(payees))]
        ledger.add(day, b, c, "referral_commission", sum(pay) * s)
        for level, amount in enumerate(pay):
            ledger.referrals[day, b, 0, level] += s
            ledger.referrals[day, b, 1, level] += amount * s
        if pop.parent[self.row, b] == NO_ONE and self.row not in self.upline(ref, b):
            pop.parent[self.row, b] = ref

    def upline(self, node: int, brand: int) -> list[int]:
        """``node`` and every referrer above her in the brand's referral tree, bottom up."""
        chain, parent = [node], self.model.population.parent
        while parent[chain[-1], brand] != NO_ONE:
            chain.append(int(parent[chain[-1], brand]))
        return chain

    def _remember(self, order: Order, terms: "BrandTerms") -> None:
        """Funnel, private domain, next need, the price she paid, her verdict and sharing.

        Notes
        -----
        Her draws, from the after stream: the package-card capture, the stock spread, the
        experienced quality's noise, the warning, the delivery, the contact she asks about
        the price. Satisfied (:meth:`_let_down` is False), she may share for the share
        window; a detractor, her attitude × detractor_attitude_factor, and she warns her
        contacts tomorrow with probability negative_wom_prob.
        """
        pop, row, b, c = self.model.population, self.row, order.brand, order.channel
        rng, beh, day = self.model.streams.after, self.model.behaviour, self.model.day
        self._reach_stage(b, Stage.LOYAL if pop.purchases[row, b] > 0 else Stage.PURCHASED)
        pop.purchases[row, b] += 1
        pop.bought_on[row, b] |= 1 << c
        pop.last_channel[row, b] = c
        if terms.on_social[b] and (c == terms.social or rng.random() < terms.capture[b]):
            pop.follower[row, b] = True  # WeChat buyers follow; 小卡片 on Tmall (needs a WeChat shop)
        cycle = order.units * terms.repurchase_days[b] * rng.uniform(0.8, 1.2)
        pop.stock_until[row] = day + max(1, int(round(cycle)))
        experienced = terms.quality[b] + rng.normal(0.0, beh.satisfaction_noise)
        warns, late, ask = rng.random() < beh.negative_wom_prob, rng.random(), rng.random()
        unit_paid = order.price - order.coupon / order.units
        let_down = self._let_down(b, unit_paid, experienced, late, ask)
        pop.paid[row, b], pop.paid_day[row, b] = unit_paid, day
        pool = self.model.pools[b]
        if not let_down:
            pool.add(_one(row), day + beh.share_window_days)
            return
        self.model.detractors_today[b] += 1
        if warns:
            pool.warn(_one(row))
        self.attitudes[b] *= beh.detractor_attitude_factor  # she thinks less of it: buys it less often

    def _let_down(self, brand: int, unit_paid: float, experienced: float, late: float, ask: float) -> bool:
        """Is she a detractor? The product disappointed her (``experienced`` quality ≤
        satisfaction_threshold), the parcel came late (``late`` < late_delivery_prob), or the
        contact she asks (tie ⌊``ask`` · her degree⌋) bought ``brand`` in the last
        price_regret_days days at a unit price at least price_regret_share below ``unit_paid``."""
        beh, pop, day = self.model.behaviour, self.model.population, self.model.day
        if experienced <= beh.satisfaction_threshold or late < beh.late_delivery_prob:
            return True
        contacts = self.model.graph.neighbours(self.row)
        if len(contacts) == 0:
            return False
        friend = int(contacts[min(int(ask * len(contacts)), len(contacts) - 1)])
        recent = day - int(pop.paid_day[friend, brand]) < beh.price_regret_days
        return recent and float(pop.paid[friend, brand]) <= (1.0 - beh.price_regret_share) * unit_paid


def _gumbel(rng) -> float:
    return -math.log(-math.log(rng.random()))


def _one(row: int) -> np.ndarray:
    return np.array([row], np.int32)
