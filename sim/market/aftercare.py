"""After purchase (DESIGN §5.6): satisfaction, sharing, private-domain capture,
repurchase scheduling and the money each order moves (commissions, fees, coupons).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.schema import Behaviour
from ..ledger import Ledger
from ..population import NO_ONE, Population, Stage
from .choice import Purchases
from .signals import SharerPool, Source

__all__ = ["BrandTerms", "settle"]


@dataclass(frozen=True)
class BrandTerms:
    """Per-brand (B,) terms that orders are settled on, as of today."""

    unit_cost: np.ndarray
    quality: np.ndarray
    repurchase_days: np.ndarray
    capture: np.ndarray          # package-card capture rate on marketplaces
    level1: np.ndarray
    level2: np.ndarray
    leader_commission: np.ndarray
    take_rate: np.ndarray        # (C,)
    payment_fee: np.ndarray      # (C,)
    social: int
    on_social: np.ndarray        # (B,) bool, listed on the social channel
    kol_cps: dict[int, float]    # KOL unique_id → CPS rate
    leader_of: dict[int, object]  # leader unique_id → GroupLeader


def settle(p: Purchases, terms: BrandTerms, pop: Population, pools: list[SharerPool], ledger: Ledger,
           day: int, scale: float, beh: Behaviour, rng: np.random.Generator) -> None:
    """Book today's orders and update the buyers' state."""
    revenue = p.units * p.price
    _book_sales(p, revenue, terms, ledger, day, scale)
    _commissions(p, revenue, terms, pop, ledger, day, scale)
    _update_buyers(p, terms, pop, pools, day, beh, rng)


def _book_sales(p: Purchases, revenue: np.ndarray, terms: BrandTerms, ledger: Ledger, day: int, scale: float) -> None:
    b, c = p.brand, p.channel
    for field, amount in (
        ("orders", np.ones(len(b))), ("units", p.units), ("revenue", revenue),
        ("coupons", p.coupon), ("gifts", p.gift), ("cogs", p.units * terms.unit_cost[b]),
        ("platform_fees", revenue * (terms.take_rate[c] + terms.payment_fee[c])),
    ):
        ledger.add_many(day, b, c, field, amount * scale)
    ledger.add_grid(day, "traffic", p.traffic * scale)
    ledger.add_orders_by_source(day, b, c, p.source.astype(np.int64), np.full(len(b), scale))


def _commissions(p: Purchases, revenue: np.ndarray, terms: BrandTerms, pop: Population,
                 ledger: Ledger, day: int, scale: float) -> None:
    """Referral (分佣, two levels), group-leader and KOL CPS commissions."""
    b, c, src, ref = p.brand, p.channel, p.source, p.referrer
    linked = (src == Source.WOM) & (c == terms.social) & (ref != NO_ONE)
    level1 = np.where(linked, terms.level1[b] * revenue, 0.0)
    parent = np.full(len(ref), NO_ONE, np.int32)
    parent[linked] = pop.parent[ref[linked]]  # only shared links carry a consumer id
    level2 = np.where(linked & (parent != NO_ONE), terms.level2[b] * revenue, 0.0)
    ledger.add_many(day, b, c, "referral_commission", (level1 + level2) * scale)
    first = linked & (pop.parent[p.who] == NO_ONE) & (ref != p.who)
    pop.parent[p.who[first]] = ref[first]
    grouped = (src == Source.GROUP) & (c == terms.social) & (ref != NO_ONE)
    leader_pay = np.where(grouped, terms.leader_commission[b] * revenue, 0.0) * scale
    ledger.add_many(day, b, c, "leader_commission", leader_pay)
    for leader_id, pay in zip(ref[grouped], leader_pay[grouped]):
        terms.leader_of[int(leader_id)].earn(float(pay))
    kol = (src == Source.KOL) & (ref != NO_ONE)
    cps = np.array([terms.kol_cps.get(int(r), 0.0) for r in ref[kol]])
    ledger.add_many(day, b[kol], c[kol], "kol_commission", cps * revenue[kol] * scale)


def _update_buyers(p: Purchases, terms: BrandTerms, pop: Population, pools: list[SharerPool],
                   day: int, beh: Behaviour, rng: np.random.Generator) -> None:
    w, b, c = p.who, p.brand, p.channel
    repeat = pop.purchases[w, b] > 0
    pop.purchases[w, b] += 1
    pop.stage[w, b] = np.maximum(pop.stage[w, b], np.where(repeat, Stage.LOYAL, Stage.PURCHASED))
    pop.bought_on[w, b] |= np.left_shift(1, c).astype(np.uint32)
    pop.last_channel[w, b] = c
    # A brand without a WeChat shop has no private domain to capture buyers into.
    has_domain = terms.on_social[b]
    captured = has_domain & ((c == terms.social) | (rng.random(len(w)) < terms.capture[b]))
    pop.follower[w[captured], b[captured]] = True
    spread = rng.uniform(0.8, 1.2, len(w))
    pop.stock_until[w] = day + np.maximum(1, np.round(p.units * terms.repurchase_days[b] * spread)).astype(np.int32)
    experienced = terms.quality[b] + rng.normal(0.0, beh.satisfaction_noise, len(w))
    happy = experienced > beh.satisfaction_threshold
    warns = ~happy & (rng.random(len(w)) < beh.negative_wom_prob)
    for brand_code, pool in enumerate(pools):
        mine = b == brand_code
        pool.add(w[mine & happy], day + beh.share_window_days)
        pool.warn(w[mine & warns])
    sad = w[~happy], b[~happy]
    pop.attitude[sad] *= 0.5  # a disappointing product halves the buyer's own attitude
