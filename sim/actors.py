"""The actors: brands, KOLs/KOCs and group leaders, as Mesa agents (DESIGN §2).

They are few (a brand, its influencers, its partners), so each is a plain Mesa agent
with its own state. Consumers are not here: they are the vectorised
:class:`~sim.population.Population`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .config.loader import apply_brand_changes
from .config.schema import BrandSpec, KolProgram
from .market.prices import BrandPrices, brand_prices

if TYPE_CHECKING:  # pragma: no cover
    from .model import MarketModel

__all__ = ["Brand", "Kol", "KolRoster", "GroupLeader", "KOL_DEFAULTS"]

#: tier → (real followers, credibility). Head 10M / waist 500k: order of magnitude of
#: Douyin tiers; a KOC's ~1,000 followers; credibility falls with size. assumptions.
KOL_DEFAULTS = {"head": (10_000_000, 0.5), "waist": (500_000, 0.6), "koc": (1_000, 0.8)}
#: Credibility lost per sponsored post, and recovered per day toward its base. assumption.
CREDIBILITY_WEAR, CREDIBILITY_RECOVERY = 0.05, 0.02


class Brand(mesa.Agent):
    """A brand: product, channel presence, strategy (with its schedule) and prices.

    Attributes
    ----------
    code : int
        Column of this brand in the population's (n, B) arrays.
    base : BrandSpec
        The brand as written in the scenario.
    spec : BrandSpec
        The brand as of today: ``base`` with today's scheduled changes applied.
    prices : BrandPrices
        Today's prices per channel.
    version : int
        Bumped whenever ``spec`` or ``prices`` change, so day terms built from them
        (the model's market and settlement terms) are rebuilt only then.
    """

    def __init__(self, model: "MarketModel", code: int, spec: BrandSpec):
        super().__init__(model)
        self.code = code
        self.base = spec
        self.spec = spec
        self.prices: BrandPrices | None = None
        self.version = 0
        self._active: tuple[int, ...] = ()
        self._price_key: tuple | None = None
        self.kol_roster = KolRoster(self)
        self.leaders: list[GroupLeader] = []

    @property
    def name(self) -> str:
        return self.base.name

    def begin_day(self, date: dt.date, coupon_today: np.ndarray) -> None:
        """Apply the schedule (by date) and set today's prices."""
        active = tuple(i for i, ch in enumerate(self.base.strategy.schedule) if ch.start <= date <= ch.end)
        if active != self._active:
            spec = self.base
            for i in active:
                spec = apply_brand_changes(spec, self.base.strategy.schedule[i].set)
            self.spec, self._active = spec, active
            self.kol_roster.sync(spec.strategy.kols, self.model.enlist_kol)
        # Prices move only with the schedule, promotions and platform coupons: most days reuse them.
        promotions = tuple(i for i, p in enumerate(self.spec.strategy.promotions) if p.start <= date <= p.end)
        key = (active, promotions, coupon_today.tobytes())
        if key != self._price_key:
            self.prices = brand_prices(self.spec, self.model.channels, coupon_today, date)
            self._price_key = key
            self.version += 1

    @property
    def kols(self) -> list["Kol"]:
        return self.kol_roster.kols

    @property
    def active_leaders(self) -> list["GroupLeader"]:
        return [g for g in self.leaders if g.active]


class KolRoster:
    """A brand's KOLs as arrays, so a day's posting decisions are drawn in one go.

    Credibility lives here (one entry per KOL); each :class:`Kol` agent reads its own.
    """

    def __init__(self, brand: Brand) -> None:
        self.brand = brand
        self.kols: list[Kol] = []
        self.rate = np.zeros(0)          # posts per day
        self.base = np.zeros(0)          # base credibility
        self.credibility = np.zeros(0)

    def enlist(self, kol: "Kol", base_credibility: float) -> int:
        self.kols.append(kol)
        self.rate = np.append(self.rate, kol.program.posts_per_month / 30.0)
        self.base = np.append(self.base, base_credibility)
        self.credibility = np.append(self.credibility, base_credibility)
        return len(self.kols) - 1

    def sync(self, programs: list[KolProgram], enlist) -> None:
        """Follow scheduled changes to the KOL programs: terms, and how many KOLs post.

        KOLs beyond a program's current count stop posting; a larger count enlists new
        ones through ``enlist(brand, program_index, program)``.
        """
        for j, program in enumerate(programs):
            for _ in range(program.count - sum(k.program_index == j for k in self.kols)):
                enlist(self.brand, j, program)
            members = [i for i, k in enumerate(self.kols) if k.program_index == j]
            for rank, i in enumerate(members):
                self.kols[i].program = program
                self.rate[i] = program.posts_per_month / 30.0 if rank < program.count else 0.0
        for i, kol in enumerate(self.kols):
            if kol.program_index >= len(programs):
                self.rate[i] = 0.0

    def posting_today(self, rng: np.random.Generator) -> np.ndarray:
        """Indices of KOLs who post today; everyone's credibility recovers a little first."""
        self.credibility += (self.base - self.credibility) * CREDIBILITY_RECOVERY
        return np.flatnonzero(rng.random(len(self.kols)) < self.rate)

    def after_post(self, posted: np.ndarray) -> None:
        """Sponsored posts wear credibility down (audiences discount paid praise)."""
        self.credibility[posted] *= 1.0 - CREDIBILITY_WEAR


class Kol(mesa.Agent):
    """A KOL or KOC (key opinion leader / consumer) posting for one brand.

    Followers are consumer indices; a KOC's come first from her own contacts on the
    social graph (two-step flow: media → opinion leaders → audience).
    """

    def __init__(self, model: "MarketModel", brand: Brand, program_index: int, program: KolProgram,
                 followers: np.ndarray, node: int):
        super().__init__(model)
        self.brand = brand
        self.program_index = program_index
        self.program = program
        self.followers = followers
        self.node = node
        self.platform = model.channels.code(program.platform)
        base = program.credibility if program.credibility is not None else KOL_DEFAULTS[program.tier][1]
        self.index = brand.kol_roster.enlist(self, base)

    @property
    def credibility(self) -> float:
        return float(self.brand.kol_roster.credibility[self.index])


class GroupLeader(mesa.Agent):
    """A WeChat group leader (团长) reselling one brand's deals for a commission.

    Each day she compares the WeChat price she sells at with the effective Tmall price;
    while the gap exceeds her tolerance she quits with a daily probability.
    """

    def __init__(self, model: "MarketModel", brand: Brand, node: int, members: np.ndarray, tolerance_yuan: float, day: int):
        super().__init__(model)
        self.brand = brand
        self.node = node
        self.members = members
        self.tolerance_yuan = tolerance_yuan
        self.active = True
        self.joined_day = day
        self.quit_day: int | None = None
        self.income_yuan = 0.0
        self.income_today = 0.0
        self.monthly_income = 0.0  # 30-day moving sum (exponential) of commission, ¥

    def earn(self, amount: float) -> None:
        self.income_yuan += amount
        self.income_today += amount

    def consider_quitting(self, gap_yuan: float, day: int, rng: np.random.Generator) -> None:
        """Quit with a daily probability while the gap exceeds her tolerance.

        Notes
        -----
        tolerance_eff = tolerance · (1 + monthly income / income_reference): a leader
        who earns well from the brand puts up with a larger gap (DESIGN §5.7).
        """
        policy = self.brand.spec.strategy.group_leaders
        self.monthly_income = self.monthly_income * (29.0 / 30.0) + self.income_today
        self.income_today = 0.0
        tolerance = self.tolerance_yuan * (1.0 + self.monthly_income / policy.income_reference_yuan)
        if gap_yuan > tolerance and rng.random() < policy.quit_prob_per_day:
            self.active = False
            self.quit_day = day
