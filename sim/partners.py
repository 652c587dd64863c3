"""Partners (docs/MODEL.md §3.7): group leaders (团长) quit over price gaps and are recruited.

A leader compares the WeChat price she sells at with the lowest effective marketplace
price (after platform coupons). While the gap exceeds her own tolerance she quits with
a daily probability; the brand recruits new leaders while the gap is within the mean
tolerance and it is below its cap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import draws
from .actors import Brand, GroupLeader

if TYPE_CHECKING:  # pragma: no cover
    from .model import MarketModel

__all__ = ["partner_day", "recruit_leader", "group_members"]


def group_members(model: "MarketModel", node: int, size_real: int, rng: np.random.Generator) -> np.ndarray:
    """A group of ``size_real`` households at agent scale: the leader's contacts first,
    then strangers (a group of 200 is larger than a 150-contact circle)."""
    size = max(1, int(np.floor(size_real / model.scale + rng.random())))
    contacts = model.graph.neighbours(node)
    # rng.choice(contacts, size, replace=False), drawn by a kernel (numpy's takes ~25 µs a call)
    own = contacts[draws.sample(draws.stream_handle(rng), len(contacts), min(size, len(contacts)))]
    if size == len(own):  # no strangers: no draw (numpy draws nothing for size 0 either, at a cost)
        return np.unique(own.astype(np.int32))
    extra = rng.integers(model.population.n, size=size - len(own))
    return np.unique(np.concatenate([own, extra]).astype(np.int32))


def recruit_leader(model: "MarketModel", brand: Brand, day: int, rng: np.random.Generator) -> GroupLeader:
    """Recruit a leader, preferably from the brand's private-domain followers."""
    policy = brand.spec.strategy.group_leaders
    followers = np.flatnonzero(model.population.follower[:, brand.code])
    pool = followers if len(followers) else np.arange(model.population.n)
    node = int(pool[rng.integers(len(pool))])
    members = group_members(model, node, policy.group_size, rng)
    tolerance = float(rng.gamma(4.0, policy.price_gap_tolerance_yuan / 4.0))  # mean = policy, CV 0.5 (assumption)
    leader = GroupLeader(model, brand, node, members, tolerance, day)  # joins brand.leaders
    model.register_leader(leader)
    return leader


def partner_day(model: "MarketModel", brand: Brand, day: int, rng: np.random.Generator) -> None:
    """Leaders weigh today's parity gap; the brand recruits while its policy allows."""
    gap = brand.prices.parity_gap
    policy = brand.spec.strategy.group_leaders
    brand.leader_roster.consider_quitting(gap, day, policy, rng)
    if policy.recruit_per_month == 0 or gap > policy.price_gap_tolerance_yuan:
        return
    room = policy.max_leaders - brand.leader_roster.active_count()
    for _ in range(min(room, rng.poisson(policy.recruit_per_month / 30.0))):
        recruit_leader(model, brand, day, rng)
