"""Partners (docs/MODEL.md §3.7): KOLs enlisted, group leaders (团长) recruited and quitting.

A leader compares the WeChat price she sells at with the lowest effective marketplace
price (after platform coupons). While the gap exceeds her own tolerance she quits with
a daily probability; the brand recruits new leaders while the gap is within the mean
tolerance and it is below its cap.

The :class:`Recruiter` takes what enlisting needs (the graph, the population, the streams,
the run's id counter) at set-up, and the brand (with its rosters) on each call: it never
reads the model.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import draws
from ..actors import KOL_DEFAULTS, Brand, GroupLeader, Kol
from ..config.schema import KolProgram
from ..graph import SocialGraph
from ..population import Population
from ..rng import Streams

__all__ = ["Recruiter", "group_members"]


def group_members(graph: SocialGraph, population: Population, node: int, size: int,
                  rng: np.random.Generator) -> np.ndarray:
    """A group of ``size`` agents around ``node``: her contacts first, then strangers (a
    group of 200 is larger than a 150-contact circle); sorted consumer indices."""
    contacts = graph.neighbours(node)
    # rng.choice(contacts, size, replace=False), drawn by a kernel (numpy's takes ~25 µs a call)
    own = contacts[draws.sample(draws.stream_handle(rng), len(contacts), min(size, len(contacts)))]
    if size == len(own):  # no strangers: no draw (numpy draws nothing for size 0 either, at a cost)
        return np.unique(own.astype(np.int32))
    extra = rng.integers(population.n, size=size - len(own))
    return np.unique(np.concatenate([own, extra]).astype(np.int32))


class Recruiter:
    """Enlists the brands' KOLs and streamers and recruits their group leaders.

    Parameters
    ----------
    graph : SocialGraph
        Whom a KOC's audience and a leader's group start from.
    population : Population
        The consumers (followers, group members, private-domain followers to recruit from).
    streams : Streams
        The run's streams: set-up draws from ``actors``, a day's recruiting from ``partners``.
    ids : iterator of int
        The run's actor ids (1, 2, … in creation order), shared with the brands.
    scale : float
        Real consumers per agent.
    consumers : int
        Real consumers in the market (a KOL reaches at most all of them).

    Attributes
    ----------
    leader_of : dict[int, GroupLeader]
        Every leader recruited, by id (a referrer id in an order → the leader paid).
    """

    def __init__(self, graph: SocialGraph, population: Population, streams: Streams, ids: Iterator[int],
                 scale: float, consumers: int) -> None:
        self.graph, self.population, self.streams, self.ids = graph, population, streams, ids
        self.scale, self.consumers = scale, consumers
        self.leader_of: dict[int, GroupLeader] = {}

    def enlist_at_start(self, brands: list[Brand]) -> None:
        """Day 0: each brand's KOL programs, livestream streamers and starting leaders."""
        for brand in brands:
            for j, program in enumerate(brand.base.strategy.kols):
                for _ in range(program.count):
                    self.enlist_kol(brand, j, program)
            for j, session in enumerate(brand.base.strategy.livestreams):
                self.enlist_kol(brand, -1, session.as_kol(), session=j)
            for _ in range(brand.base.strategy.group_leaders.leaders_at_start(self.consumers, self.population.n)):
                self.recruit_leader(brand, 0, self.streams.actors)

    def enlist_kol(self, brand: Brand, program_index: int, program: KolProgram, session: int | None = None) -> Kol:
        """Sign a KOL/KOC for ``brand`` under program ``program_index`` (−1 and ``session``:
        the streamer of livestream session ``session``)."""
        rng, n = self.streams.actors, self.population.n
        real = program.followers if program.followers is not None else KOL_DEFAULTS[program.tier][0]
        size = int(np.floor(min(real, self.consumers) / self.scale + rng.random()))
        node = int(rng.integers(n))
        contacts = self.graph.neighbours(node)
        if program.tier == "koc":  # a KOC's audience starts with her own circle
            own = rng.choice(contacts, size=min(size, len(contacts)), replace=False)
            followers = np.concatenate([own, rng.integers(n, size=max(0, size - len(own)))])
        else:
            followers = rng.choice(n, size=min(size, n), replace=False)
        return Kol(next(self.ids), brand, program_index, program, np.unique(followers.astype(np.int32)), node, session)

    def follow_programs(self, brand: Brand) -> list[Kol]:
        """After a change to ``brand``'s terms: enlist the KOLs its programs now call for,
        then bring every KOL's terms and posting rate in line (:meth:`KolRoster.sync`);
        returns the KOLs signed now."""
        programs = brand.spec.strategy.kols
        signed = [self.enlist_kol(brand, j, program) for j, program in brand.kol_roster.shortfall(programs)]
        brand.kol_roster.sync(programs)
        return signed

    def recruit_leader(self, brand: Brand, day: int, rng: np.random.Generator) -> GroupLeader:
        """Recruit a leader, preferably from the brand's private-domain followers."""
        policy = brand.spec.strategy.group_leaders
        followers = np.flatnonzero(self.population.follower[:, brand.code])
        pool = followers if len(followers) else np.arange(self.population.n)
        node = int(pool[rng.integers(len(pool))])
        size = max(1, int(np.floor(policy.group_size / self.scale + rng.random())))
        members = group_members(self.graph, self.population, node, size, rng)
        tolerance = float(rng.gamma(4.0, policy.price_gap_tolerance_yuan / 4.0))  # mean = policy, CV 0.5 (assumption)
        leader = GroupLeader(next(self.ids), brand, node, members, tolerance, day)  # joins brand.leaders
        self.leader_of[leader.uid] = leader
        return leader

    def partner_day(self, brand: Brand, day: int) -> None:
        """Stage 7: ``brand``'s leaders weigh today's parity gap; the brand recruits while its policy allows."""
        rng = self.streams.partners
        gap = brand.prices.parity_gap
        policy = brand.spec.strategy.group_leaders
        brand.leader_roster.consider_quitting(gap, day, policy, rng)
        if policy.recruit_per_month == 0 or gap > policy.price_gap_tolerance_yuan:
            return
        room = policy.max_leaders - brand.leader_roster.active_count()
        for _ in range(min(room, rng.poisson(policy.recruit_per_month / 30.0))):
            self.recruit_leader(brand, day, rng)
