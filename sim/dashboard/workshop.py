"""The dashboard's Mesa model: one market, or two strategies side by side on the same seed.

:class:`WorkshopModel` wraps one :class:`~sim.model.MarketModel` per strategy ("A", and
"B" in side-by-side mode). Both are built from the same scenario and seed, so they share
the consumers, the social graph and every random stream until their levers differ:
what differs between the two panels is the strategy, not the luck of the draw.

Levers act in two ways:

* on day 0 (before the first step, or after Reset) a lever value is a ``--set``
  override: the strategy's market is rebuilt with it at the first step, so the run equals
  ``socsim run SCENARIO --seed S --set ...`` (:meth:`WorkshopModel.command`);
* later, a lever holds from the current day to the end of the run: it is added to the
  brand's schedule as an entry that starts today (changes made on the same day merge).

Lever values live in a :class:`WorkshopState` that survives Reset, so a trainer can set
the levers, press Reset, and run the year with them from day 0.
"""

from __future__ import annotations

import datetime as dt
import shlex
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import mesa

from ..config.loader import apply_brand_changes, load_scenario
from ..config.schema import MAX_SEED, Scenario, ScheduledChange
from ..errors import SocsimError
from ..model import MarketModel
from .levers import LeverSet, Value, lever_set

__all__ = ["WorkshopSetup", "WorkshopState", "WorkshopModel", "Arm", "LeverChange", "BASELINE",
           "WORKSHOP_POPULATION", "ARMS", "schedule_from"]

BASELINE = Path(__file__).resolve().parent.parent.parent / "scenarios" / "baseline.yaml"
#: Consumers in the dashboard's market by default: a step takes ~10 ms, a year ~5 s.
WORKSHOP_POPULATION = 5000
#: Strategy names in side-by-side mode.
ARMS = ("A", "B")


@dataclass(frozen=True)
class WorkshopSetup:
    """What the dashboard simulates (fixed for a dashboard server).

    Attributes
    ----------
    scenario : Path
        Scenario file (default: the bundled baseline).
    brand : str, optional
        The brand whose levers the room moves (default: the first brand).
    population : int, optional
        Consumer agents (default :data:`WORKSHOP_POPULATION`; None keeps the scenario's).
    overrides : tuple of str
        Further ``--set`` overrides of the scenario.
    """

    scenario: Path = BASELINE
    brand: str | None = None
    population: int | None = WORKSHOP_POPULATION
    overrides: tuple[str, ...] = ()

    def base_overrides(self) -> list[str]:
        size = [f"world.population={self.population}"] if self.population is not None else []
        return [*size, *self.overrides]

    def load(self, lever_overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
        """The scenario with the setup's and the levers' overrides.

        Raises
        ------
        ScenarioError
            The file or an override is wrong (every problem, with file and line).
        """
        return load_scenario(self.scenario, [*self.base_overrides(), *lever_overrides])


@dataclass
class WorkshopState:
    """A dashboard session's lever values per strategy; survives Reset.

    Attributes
    ----------
    setup : WorkshopSetup
    base : Scenario
        The scenario as loaded (no levers).
    levers : LeverSet
        The levers of the setup's brand.
    boards : dict[str, dict[str, Value]]
        Strategy ("A"/"B") → lever key → value the room chose (unmoved levers are absent).
    days_per_step : int, default 7
        Days one press of Step simulates (a week: a year in 52 steps).
    """

    setup: WorkshopSetup
    base: Scenario
    levers: LeverSet
    boards: dict[str, dict[str, Value]] = field(default_factory=lambda: {"A": {}})
    days_per_step: int = 7

    @classmethod
    def from_setup(cls, setup: WorkshopSetup | None = None) -> "WorkshopState":
        """Load the setup's scenario and find its levers (raises ScenarioError, SocsimError)."""
        setup = setup or WorkshopSetup()
        base = setup.load()
        return cls(setup, base, lever_set(base, setup.brand))

    def board(self, arm: str) -> dict[str, Value]:
        """Lever values of strategy ``arm``; B starts as a copy of A."""
        if arm not in self.boards:
            self.boards[arm] = dict(self.boards.get("A", {}))
        return self.boards[arm]

    def values(self, arm: str) -> dict[str, Value]:
        """Every lever's current value for ``arm`` (the scenario's where unmoved)."""
        return {**self.levers.defaults(), **self.board(arm)}


@dataclass(frozen=True)
class LeverChange:
    """A lever moved during a run."""

    arm: str
    day: int
    date: dt.date
    key: str
    value: Value


@dataclass
class Arm:
    """One strategy's market and the lever changes made to it during the run."""

    name: str
    model: MarketModel
    log: list[LeverChange] = field(default_factory=list)
    entry_day: int | None = None  # day of this arm's latest schedule entry


class WorkshopModel(mesa.Model):
    """One market (strategy A), or two strategies side by side on the same seed.

    Parameters
    ----------
    state : WorkshopState, optional
        Setup and lever values (default: the bundled baseline at workshop size).
    seed : int or str, optional
        Root seed of both strategies' markets (default: the scenario's); text from the
        page's seed box is read as a whole number ≥ 0, anything else means the default.
    side_by_side : bool, default False
        Also run strategy B, built from the same scenario and seed.

    Examples
    --------
    >>> m = WorkshopModel(side_by_side=True)                 # doctest: +SKIP
    >>> m.set_lever("B", "marketplace_price", 99)            # doctest: +SKIP
    >>> for _ in range(30): m.step()                         # doctest: +SKIP
    """

    def __init__(self, state: WorkshopState | None = None, seed: int | str | None = None, side_by_side: bool = False):
        self.state = state or WorkshopState.from_setup()
        self.seed_used = _seed(seed, self.state.base.simulation.seed)
        super().__init__(rng=self.seed_used)
        self.side_by_side = bool(side_by_side)
        self.lock = threading.RLock()
        self.arms = {name: self._build(name) for name in (ARMS if self.side_by_side else ARMS[:1])}
        self._stale: set[str] = set()  # strategies whose levers moved on day 0: rebuilt before the first step
        self.brand_code = [b.name for b in self.state.base.brands].index(self.state.levers.brand)

    # ------------------------------------------------------------------ running
    @property
    def day(self) -> int:
        """Days simulated so far."""
        return self.arms["A"].model.day

    @property
    def days(self) -> int:
        return self.arms["A"].model.days

    def step(self) -> None:
        """Simulate ``state.days_per_step`` more days in every strategy's market; stop at the end."""
        with self.lock:
            for name in sorted(self._stale):
                self.arms[name] = self._build(name)
            self._stale.clear()
            for _ in range(min(self.state.days_per_step, self.days - self.day)):
                for arm in self.arms.values():
                    arm.model.step()
            self.running = self.day < self.days

    # ------------------------------------------------------------------ levers
    def set_lever(self, arm: str, key: str, value: Any) -> str:
        """Move lever ``key`` of strategy ``arm``; returns a one-line note of when it acts.

        On day 0 the strategy's market is rebuilt with the lever as an override; later
        the lever holds from today to the end of the run (a schedule entry).

        Raises
        ------
        SocsimError
            Unknown strategy or lever, or a value out of the lever's range.
        """
        value = self.state.levers[key].check(value)
        with self.lock:
            target = self._arm(arm)
            self.state.board(arm)[key] = value
            if self.day == 0:
                self._stale.add(arm)  # rebuilt at the first step: a dragged slider costs nothing
                return f"{arm}: {self.state.levers[key].label} = {value} from day 0"
            date = target.model.calendar.dates[self.day]
            self._schedule_from_today(target)
            last = target.log[-1] if target.log else None
            if last is not None and (last.day, last.key) == (self.day, key):
                target.log.pop()  # a dragged slider: keep where it stopped
            target.log.append(LeverChange(arm, self.day, date, key, value))
            return f"{arm}: {self.state.levers[key].label} = {value} from day {self.day} ({date.isoformat()})"

    def reset_levers(self, arm: str) -> None:
        """Put strategy ``arm``'s levers back to the scenario's values (from today on)."""
        with self.lock:
            target = self._arm(arm)
            moved = dict(self.state.board(arm))
            self.state.boards[arm] = {}
            if self.day == 0:
                self._stale.add(arm)
            elif moved:
                scenario = {k: v for k, v in self.state.levers.defaults().items() if k in moved}
                self._schedule_from_today(target, scenario)
                date = target.model.calendar.dates[self.day]
                target.log += [LeverChange(arm, self.day, date, k, v) for k, v in scenario.items()]

    def command(self, arm: str = "A") -> str:
        """The ``socsim run`` command that repeats strategy ``arm`` from day 0 (levers as set now)."""
        setup = self.state.setup
        parts = ["socsim", "run", str(setup.scenario), "--seed", str(self.seed_used)]
        for text in [*setup.base_overrides(), *self.state.levers.overrides(self.state.board(arm))]:
            parts += ["--set", text]
        return shlex.join(parts)

    # ------------------------------------------------------------------ internals
    def _arm(self, arm: str) -> Arm:
        if arm not in self.arms:
            raise SocsimError(f"no strategy {arm!r} in this run; strategies: {', '.join(self.arms)}")
        return self.arms[arm]

    def _build(self, arm: str) -> Arm:
        overrides = self.state.levers.overrides(self.state.board(arm))
        return Arm(arm, MarketModel(self.state.setup.load(overrides), seed=self.seed_used))

    def _schedule_from_today(self, arm: Arm, values: Mapping[str, Value] | None = None) -> None:
        """Add (or, on the same day, replace) the arm's schedule entry from today to the end."""
        board = self.state.board(arm.name) if values is None else values
        schedule_from(arm.model, self.brand_code, self.day, self.state.levers.changes(board),
                      replace_last=arm.entry_day == self.day)
        arm.entry_day = self.day


def schedule_from(model: MarketModel, brand_code: int, day: int, changes: Mapping[str, Any],
                  replace_last: bool = False) -> None:
    """Make ``changes`` hold for brand ``brand_code`` from ``day`` to the end of the run.

    The changes become a schedule entry of the brand (from the date of ``day`` to the last
    date), so a run that had the entry in its scenario from the start is the same run.

    Parameters
    ----------
    model : MarketModel
    brand_code : int
    day : int
        First day (0-based) the changes hold.
    changes : Mapping[str, Any]
        Brand-relative dotted paths → values (:meth:`LeverSet.changes`).
    replace_last : bool, default False
        Replace the brand's last schedule entry (a lever moved again on the same day).

    Raises
    ------
    ScenarioError
        A path does not exist in the brand or a value is not allowed (checked now, not
        when the day starts).
    """
    brand = model.brands[brand_code]
    apply_brand_changes(brand.base, changes)
    schedule = list(brand.base.strategy.schedule)
    if replace_last:
        schedule.pop()
    dates = model.calendar.dates
    schedule.append(ScheduledChange.model_validate({"from": dates[day], "to": dates[-1], "set": dict(changes)}))
    strategy = brand.base.strategy.model_copy(update={"schedule": schedule})
    brand.base = brand.base.model_copy(update={"strategy": strategy})


def _seed(seed: int | str | None, default: int) -> int:
    """A seed from an int or the page's text box; the scenario's seed when blank, not a whole
    number or beyond :data:`~sim.config.schema.MAX_SEED` (so "repeat from day 0" always runs)."""
    text = str(seed).strip() if seed is not None else ""
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_SEED))
    return int(text) if digits and int(text) <= MAX_SEED else default
