"""The actors: brands, KOLs/KOCs and group leaders.

They are few (a brand, its influencers, its partners), but the day visits all of
them: each brand keeps its KOLs' and its leaders' state as arrays (:class:`KolRoster`,
:class:`LeaderRoster`) that a compiled kernel updates in one call, and each actor
reads its own entry. Consumers are not here: they are the vectorised
:class:`~sim.population.Population`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable, NamedTuple, TypeVar

import numpy as np

from .config.schema import Behaviour, BrandSpec, GroupLeaderPolicy, KolProgram
from .jit import njit
from .market.channels import ChannelTable
from .market.prices import BrandPrices, brand_prices, sessions_on
from .market.responses import MarketWatch, ResponseDesk
from .population import NO_ONE

__all__ = ["Brand", "Kol", "KolRoster", "KolArrays", "GroupLeader", "LeaderRoster", "KOL_DEFAULTS"]

#: tier → (real followers, credibility). Head 10M / waist 500k: order of magnitude of
#: Douyin tiers; a KOC's ~1,000 followers; credibility falls with size. assumptions.
KOL_DEFAULTS = {"head": (10_000_000, 0.5), "waist": (500_000, 0.6), "koc": (1_000, 0.8)}
#: Credibility lost per sponsored post, and recovered per day toward its base. assumption.
CREDIBILITY_WEAR, CREDIBILITY_RECOVERY = 0.05, 0.02
#: quit_day of a leader who is still active.
STILL_ACTIVE = -1
T = TypeVar("T")


class Partner:
    """An actor of the market beside the consumers: a brand, a KOL/KOC or a group leader.

    A plain object, not a Mesa agent: the fast engine steps its actors through their
    rosters' arrays, so Mesa's agent registry would only hold them. ``uid`` comes from
    the run's own counter (1, 2, … in creation order) and names the actor as a
    referrer inside kernels. An actor holds what it reads; it never calls back into
    the model.
    """

    def __init__(self, uid: int):
        self.uid = uid


class Brand(Partner):
    """A brand: product, channel presence, strategy (with its schedule) and prices.

    Parameters
    ----------
    uid : int
        Its id as a referrer (:class:`Partner`).
    code : int
        Column of this brand in the population's (n, B) arrays.
    spec : BrandSpec
        The brand as written in the scenario.
    channels : ChannelTable
        The market's channels (its prices are set per channel).
    deal_memory_days : float
        Half-life of its deal history, days (``behaviour.deal_memory_days``).
    desk : ResponseDesk or None
        Its competitor response rules (None: it never reacts).

    Attributes
    ----------
    code : int
        Column of this brand in the population's (n, B) arrays.
    base : BrandSpec
        The brand as written in the scenario.
    scheduled : BrandSpec
        ``base`` with today's scheduled changes applied.
    active_entries : tuple of int
        The schedule entries ``scheduled`` applies (indices into ``base.strategy.schedule``).
    spec : BrandSpec
        The brand as of today: ``scheduled`` with its competitor responses applied.
    desk : ResponseDesk or None
        Its competitor response rules at work (None: it never reacts).
    prices : BrandPrices
        Today's prices per channel.
    version : int
        Bumped whenever ``spec`` or ``prices`` change, so day terms built from them
        (the model's market and settlement terms) are rebuilt only then.
    deal_history : float
        D: the depth of its own discounts, exponentially smoothed over days with
        half-life ``behaviour.deal_memory_days``, as of today (0: never discounts).
    deal_frequency : float
        F: the share of days it is on deal (an own discount), smoothed with the same half-life.
    deal_starts : float
        S: the share of days a deal starts (on deal today, not yesterday), smoothed alike.
    """

    def __init__(self, uid: int, code: int, spec: BrandSpec, channels: ChannelTable, deal_memory_days: float,
                 desk: ResponseDesk | None = None):
        super().__init__(uid)
        self.code = code
        self.base = spec
        self.scheduled = spec
        self.active_entries: tuple[int, ...] = ()
        self.spec = spec
        self.channels = channels
        self.deal_memory_days = deal_memory_days
        self.desk = desk
        self.prices: BrandPrices | None = None
        self.version = 0
        self.deal_history = 0.0
        self.deal_frequency = 0.0
        self.deal_starts = 0.0
        self._on_deal = False
        self._price_key: tuple | None = None
        self.kol_roster = KolRoster(self)
        self.leader_roster = LeaderRoster()
        self._derived: dict[str, tuple[int, object]] = {}

    @property
    def name(self) -> str:
        return self.base.name

    def derived(self, name: str, build: Callable[[], T]) -> T:
        """``build()``: a value derived from today's spec and prices, kept until :attr:`version` changes."""
        kept = self._derived.get(name)
        if kept is None or kept[0] != self.version:
            kept = self._derived[name] = (self.version, build())
        return kept[1]

    def morning(self, active: tuple[int, ...], scheduled: BrandSpec | None,
                watch: MarketWatch | None = None) -> dict[str, Any] | None:
        """Take today's schedule and let the response rules read ``watch``.

        Parameters
        ----------
        active : tuple of int
            The schedule entries in force today.
        scheduled : BrandSpec or None
            ``base`` with them applied, when they differ from yesterday's (None: unchanged).
        watch : MarketWatch or None
            Yesterday's public facts (None: no brand reacts, or day 0).

        Returns
        -------
        dict or None
            When today's terms must be rebuilt: the competitor responses' changes to apply
            to :attr:`scheduled` (dotted paths → values; empty: none), for the model to
            apply (:func:`sim.config.schedule.with_responses`) and hand to :meth:`adopt`.
            None when today's terms are yesterday's.
        """
        changed = scheduled is not None
        if changed:
            self.scheduled, self.active_entries = scheduled, active
        if self.desk is not None and watch is not None and self.desk.morning(watch, self.scheduled):
            changed = True
        if not changed:
            return None
        return self.desk.changes(self.scheduled) if self.desk is not None else {}

    def adopt(self, spec: BrandSpec) -> None:
        """Make ``spec`` the brand's terms from today (its prices are set anew)."""
        self.spec = spec
        self._price_key = None

    def set_prices(self, date: dt.date, coupon_today: np.ndarray) -> None:
        """Set today's prices (¥ per channel) and streamers on air, and move the deal history."""
        # Prices move only with the schedule, responses, promotions and platform coupons: most days reuse them.
        promotions = tuple(i for i, p in enumerate(self.spec.strategy.promotions) if p.start <= date <= p.end)
        sessions = sessions_on(self.spec, date)
        self.kol_roster.stream(sessions)
        key = (self.active_entries, promotions, sessions, coupon_today.tobytes())
        if key != self._price_key:
            self.prices = brand_prices(self.spec, self.channels, coupon_today, date)
            self._price_key = key
            self.version += 1
        keep = 0.5 ** (1.0 / self.deal_memory_days)
        on_deal = self.prices.discount > 0.0
        self.deal_history = keep * self.deal_history + (1.0 - keep) * self.prices.discount
        self.deal_starts = keep * self.deal_starts + (1.0 - keep) * (on_deal and not self._on_deal)
        self.deal_frequency = keep * self.deal_frequency + (1.0 - keep) * on_deal
        self._on_deal = on_deal

    def deal_wait(self, beh: Behaviour) -> tuple[float, int]:
        """(probability, days): a need for this brand arising today waits for its next deal
        with probability ω·D (0 while it is on deal), for the expected gap to that deal: the
        mean spell between its deals, (1 − F)/S days, capped at ``deal_wait_max_days``."""
        if self._on_deal or self.deal_starts <= 0.0:
            return 0.0, 0
        gap = min(float(beh.deal_wait_max_days), math.ceil((1.0 - self.deal_frequency) / self.deal_starts))
        return beh.deal_wait_share * self.deal_history, int(gap)

    @property
    def price_image(self) -> float:
        """1 − D: 1 for a brand that never discounts, lower the deeper and more often it has
        (it recovers with the half-life of its deal history)."""
        return 1.0 - self.deal_history

    @property
    def kols(self) -> list["Kol"]:
        return self.kol_roster.kols

    @property
    def leaders(self) -> list["GroupLeader"]:
        """Every leader ever recruited, in recruitment order."""
        return self.leader_roster.leaders


def _ragged(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-agent index arrays as one: (offsets, values); agent i's are values[offsets[i]:offsets[i+1]]."""
    offsets = np.concatenate(([0], np.cumsum(np.array([len(a) for a in arrays], np.int64))))
    return offsets, (np.concatenate(arrays) if arrays else np.zeros(0, np.int32))


def _ragged_append(ragged: tuple[np.ndarray, np.ndarray], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_ragged` with one more agent's array at the end (cheaper than rebuilding it from all)."""
    offsets, flat = ragged
    return np.append(offsets, offsets[-1] + len(values)), np.concatenate([flat, values])


class _Columns:
    """A roster's per-agent arrays, growing a row per agent enlisted.

    Rows go into buffers that double when full, and the roster's attributes are views of
    their filled rows (writes through them land in the buffers): np.append copied every
    array at every recruit, ~40 µs a group leader.
    """

    def __init__(self, roster: object, **dtypes: type) -> None:
        self._roster, self._rows = roster, 0
        self._buffers = {name: np.zeros(8, dtype) for name, dtype in dtypes.items()}
        self._publish()

    def append(self, **row: float) -> None:
        """Add one agent's row: a value for every column."""
        if self._rows == len(next(iter(self._buffers.values()))):
            self._buffers = {name: np.concatenate([b, np.zeros_like(b)]) for name, b in self._buffers.items()}
        for name, value in row.items():
            self._buffers[name][self._rows] = value
        self._rows += 1
        self._publish()

    def _publish(self) -> None:
        for name, buffer in self._buffers.items():
            setattr(self._roster, name, buffer[:self._rows])


class KolArrays(NamedTuple):
    """A brand's KOLs as the signals kernel reads them, one entry per KOL (followers ragged)."""

    offsets: np.ndarray      # (K + 1,) KOL k's followers are followers[offsets[k]:offsets[k + 1]]
    followers: np.ndarray    # consumers following each KOL
    reach: np.ndarray        # share of her followers who see a post
    credibility: np.ndarray  # today's credibility (worn by sponsored posts, recovering to base), in place
    entry: np.ndarray        # channel her posts link to (−1: her platform does not sell)
    uid: np.ndarray          # Partner.uid (the referrer of her exposures)
    base: np.ndarray         # credibility she recovers toward
    rate: np.ndarray         # posts a day
    fee: np.ndarray          # yuan per sponsored post
    platform: np.ndarray     # channel code of her platform (where her fee is booked)


class KolRoster:
    """A brand's KOLs as arrays, so a day's posting decisions are drawn in one go.

    Credibility lives here (one entry per KOL); each :class:`Kol` agent reads its own.
    Her program's terms are mirrored here too (``reach``, ``fee``), and her platform,
    entry channel and id, so a day's posts are handled by one kernel
    (:func:`sim.market.campaigns.brand_signals`).
    """

    rate: np.ndarray         # posts per day
    base: np.ndarray         # base credibility
    credibility: np.ndarray
    reach: np.ndarray        # share of followers who see a post
    fee: np.ndarray          # ¥ per post
    platform: np.ndarray
    entry: np.ndarray        # channel her posts link to: her platform if it sells, else NO_ONE
    uid: np.ndarray          # Partner.uid (the referrer of her exposures)

    def __init__(self, brand: Brand) -> None:
        self.brand = brand
        self.kols: list[Kol] = []
        self._columns = _Columns(self, rate=float, base=float, credibility=float, reach=float, fee=float,
                                 platform=np.int64, entry=np.int64, uid=np.int64)
        self._followers: tuple[np.ndarray, np.ndarray] | None = None
        self._arrays: KolArrays | None = None
        #: (uid, in-session need share) of the streamers live today (:meth:`stream`)
        self.live_today: list[tuple[int, float]] = []

    def enlist(self, kol: "Kol", base_credibility: float) -> int:
        self.kols.append(kol)
        self._arrays = None
        program = kol.program
        self._columns.append(
            rate=program.posts_per_month / 30.0, base=base_credibility, credibility=base_credibility,
            reach=program.reach_rate, fee=program.fee_per_post_yuan, platform=kol.platform,
            entry=kol.platform if self.brand.channels.transacts[kol.platform] else NO_ONE, uid=kol.uid)
        if self._followers is not None:
            self._followers = _ragged_append(self._followers, kol.followers)
        return len(self.kols) - 1

    def followers(self) -> tuple[np.ndarray, np.ndarray]:
        """All KOLs' followers as one ragged array (offsets, consumers), built once per roster."""
        if self._followers is None:
            self._followers = _ragged([k.followers for k in self.kols])
        return self._followers

    def arrays(self) -> KolArrays:
        """The roster as the signals kernel reads it (kept until a KOL enlists)."""
        if self._arrays is None:
            self._arrays = KolArrays(*self.followers(), self.reach, self.credibility, self.entry, self.uid, self.base,
                                     self.rate, self.fee, self.platform)
        return self._arrays

    def stream(self, sessions: tuple[int, ...]) -> None:
        """Put on air the streamers of today's livestream ``sessions`` (indices into
        ``strategy.livestreams``): they post (stream) today for sure, the others not."""
        if not self.live_today and not sessions:
            return
        self.live_today = []
        for i, kol in enumerate(self.kols):
            if kol.session is not None:
                live = kol.session in sessions
                self.rate[i] = 1.0 if live else 0.0
                if live:
                    self.live_today.append((kol.uid, self.brand.spec.strategy.livestreams[kol.session].need_share))

    def shortfall(self, programs: list[KolProgram]) -> list[tuple[int, KolProgram]]:
        """(program index, program) for each KOL the ``programs``' counts call for beyond
        those enlisted, in program order: whom to enlist before :meth:`sync`."""
        return [(j, program) for j, program in enumerate(programs)
                for _ in range(program.count - sum(k.program_index == j for k in self.kols))]

    def sync(self, programs: list[KolProgram]) -> None:
        """Follow scheduled changes to the KOL programs: terms, and how many KOLs post.

        KOLs beyond a program's current count stop posting (a larger count enlists the
        :meth:`shortfall` first: :meth:`sim.market.partners.Recruiter.follow_programs`).
        """
        for j, program in enumerate(programs):
            members = [i for i, k in enumerate(self.kols) if k.program_index == j]
            for rank, i in enumerate(members):
                self.kols[i].program = program
                self.reach[i], self.fee[i] = program.reach_rate, program.fee_per_post_yuan
                self.rate[i] = program.posts_per_month / 30.0 if rank < program.count else 0.0
        for i, kol in enumerate(self.kols):
            if kol.session is None and kol.program_index >= len(programs):
                self.rate[i] = 0.0


class Kol(Partner):
    """A KOL or KOC (key opinion leader / consumer) posting for one brand.

    Followers are consumer indices; a KOC's come first from her own contacts on the
    social graph (two-step flow: media → opinion leaders → audience). A livestream
    streamer is a KOL whose ``session`` indexes the brand's ``strategy.livestreams``
    (None for KOL programs); she streams on that session's day only.
    """

    def __init__(self, uid: int, brand: Brand, program_index: int, program: KolProgram,
                 followers: np.ndarray, node: int, session: int | None = None):
        super().__init__(uid)
        self.brand = brand
        self.program_index = program_index
        self.session = session
        self.program = program
        self.followers = followers
        self.node = node
        self.platform = brand.channels.code(program.platform)
        base = program.credibility if program.credibility is not None else KOL_DEFAULTS[program.tier][1]
        self.index = brand.kol_roster.enlist(self, base)

    @property
    def credibility(self) -> float:
        return float(self.brand.kol_roster.credibility[self.index])


class LeaderRoster:
    """A brand's group leaders as arrays, so a day's quitting is weighed in one go.

    Their state lives here (one entry per leader); each :class:`GroupLeader` agent reads
    its own.
    """

    active: np.ndarray
    tolerance: np.ndarray       # ¥ of price gap she puts up with (before income)
    income: np.ndarray          # commission earned in all, ¥
    income_today: np.ndarray
    monthly_income: np.ndarray  # 30-day moving sum (exponential) of commission, ¥
    quit_day: np.ndarray        # STILL_ACTIVE until she quits
    uid: np.ndarray             # Partner.uid (the referrer of her broadcasts)

    def __init__(self) -> None:
        self.leaders: list[GroupLeader] = []
        self._columns = _Columns(self, active=bool, tolerance=float, income=float, income_today=float,
                                 monthly_income=float, quit_day=np.int64, uid=np.int64)
        self._members: tuple[np.ndarray, np.ndarray] | None = None
        self._active: np.ndarray | None = None  # active_index, until one joins or quits

    def enlist(self, leader: "GroupLeader", tolerance_yuan: float) -> int:
        self.leaders.append(leader)
        self._columns.append(active=True, tolerance=tolerance_yuan, income=0.0, income_today=0.0, monthly_income=0.0,
                             quit_day=STILL_ACTIVE, uid=leader.uid)
        if self._members is not None:
            self._members = _ragged_append(self._members, leader.members)
        self._active = None
        return len(self.leaders) - 1

    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """All groups' members as one ragged array (offsets, consumers), built once per roster."""
        if self._members is None:
            self._members = _ragged([g.members for g in self.leaders])
        return self._members

    def active_index(self) -> np.ndarray:
        """Indices of the leaders who have not quit, in recruitment order (kept until one joins or quits)."""
        if self._active is None:
            self._active = np.flatnonzero(self.active)
        return self._active

    def active_count(self) -> int:
        """How many leaders have not quit (read every day: no tuple of agents built)."""
        return len(self.active_index())

    def consider_quitting(self, gap_yuan: float, day: int, policy: GroupLeaderPolicy, rng: np.random.Generator) -> None:
        """Each active leader quits with a daily probability while the gap exceeds her tolerance.

        Notes
        -----
        tolerance_eff = tolerance · (1 + monthly income / income_reference): a leader
        who earns well from the brand puts up with a larger gap (docs/MODEL.md §3.7).
        """
        active = self.active_index()
        if len(active) == 0:  # a brand without leaders (no WeChat shop): nothing to weigh
            return
        over = _over_tolerance(gap_yuan, policy.income_reference_yuan, active, self.tolerance,
                               self.monthly_income, self.income_today)
        if len(over):  # one draw per leader over her tolerance, in recruitment order
            quitting = over[rng.random(len(over)) < policy.quit_prob_per_day]
            self.active[quitting], self.quit_day[quitting] = False, day
            self._active = None


@njit
def _over_tolerance(gap_yuan: float, income_reference: float, active_index: np.ndarray, tolerance: np.ndarray,
                    monthly_income: np.ndarray, income_today: np.ndarray) -> np.ndarray:
    """Active leaders roll today's commission into their monthly income; returns those
    for whom the gap exceeds their income-raised tolerance."""
    over = np.empty(len(active_index), np.int64)
    k = 0
    for i in active_index:
        monthly_income[i] = monthly_income[i] * (29.0 / 30.0) + income_today[i]
        income_today[i] = 0.0
        if gap_yuan > tolerance[i] * (1.0 + monthly_income[i] / income_reference):
            over[k] = i
            k += 1
    return over[:k]


class GroupLeader(Partner):
    """A WeChat group leader (团长) reselling one brand's deals for a commission.

    Each day she compares the WeChat price she sells at with the effective Tmall price;
    while the gap exceeds her tolerance she quits with a daily probability
    (:meth:`LeaderRoster.consider_quitting`). Her state is her entry in the brand's
    :class:`LeaderRoster`.
    """

    def __init__(self, uid: int, brand: Brand, node: int, members: np.ndarray, tolerance_yuan: float, day: int):
        super().__init__(uid)
        self.brand = brand
        self.node = node
        self.members = members
        self.joined_day = day
        self.index = brand.leader_roster.enlist(self, tolerance_yuan)

    @property
    def _roster(self) -> LeaderRoster:
        return self.brand.leader_roster

    @property
    def active(self) -> bool:
        return bool(self._roster.active[self.index])

    @property
    def quit_day(self) -> int | None:
        day = int(self._roster.quit_day[self.index])
        return None if day == STILL_ACTIVE else day

    @property
    def tolerance_yuan(self) -> float:
        return float(self._roster.tolerance[self.index])

    @property
    def income_yuan(self) -> float:
        return float(self._roster.income[self.index])

    @property
    def income_today(self) -> float:
        return float(self._roster.income_today[self.index])

    @property
    def monthly_income(self) -> float:
        """30-day moving sum (exponential) of commission, ¥."""
        return float(self._roster.monthly_income[self.index])

    def earn(self, amount: float) -> None:
        roster = self._roster
        roster.income[self.index] += amount
        roster.income_today[self.index] += amount
