"""A game in play: its store, its rules and the live market, and what the instructor and
teams may do to it. Every action is stored before it is acknowledged; the live market is
a cache, rebuilt from the store by replay whenever it does not match it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..config.schema import Scenario
from ..errors import OutputExistsError, SocsimError
from ..dashboard.levers import Value
from .engine import RESEARCH, GameRules, Market, TeamResult, load_game, replay, rules_of
from .spec import GameSpec
from .store import DB_NAME, GameStore

__all__ = ["Game", "GameStateError", "PublicView", "ResearchReport"]


class GameStateError(SocsimError):
    """The action does not fit where the game is (e.g. submitting when no round is open)."""


@dataclass(frozen=True)
class PublicView:
    """What any brand could see of a team in a round.

    Attributes
    ----------
    prices : dict[str, float]
        Mean price shoppers paid per unit on each channel over the round (¥).
    promotion_depth : float
        The promotion it announced (% off; 0: none).
    promotion_days : int
        Days a promotion or platform coupon ran.
    """

    prices: dict[str, float]
    promotion_depth: float
    promotion_days: int


@dataclass(frozen=True)
class ResearchReport:
    """The market research on one rival for one round.

    Attributes
    ----------
    share : float
        Its part of the market's revenue.
    channels : dict[str, float]
        Its part of each channel's revenue.
    purchased : float
        People who have bought it, at the end of the round.
    private_domain : float
        Its followers at the end of the round.
    """

    share: float
    channels: dict[str, float]
    purchased: float
    private_domain: float


class Game:
    """A stored game.

    Parameters
    ----------
    folder : Path
        The game's folder (made by :meth:`create`).
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.store = GameStore(self.folder / DB_NAME)
        spec = GameSpec.model_validate(self.store.meta("spec"))
        self.rules: GameRules = rules_of(spec, Scenario.model_validate(self.store.meta("scenario")))
        self.lock = threading.RLock()
        self._market: Market | None = None
        self.progress: tuple[int, int] | None = None  # (day, days) of the round being simulated

    @classmethod
    def create(cls, game_file: Path, folder: Path, overrides: Sequence[str] = ()) -> "Game":
        """Check ``game_file`` (with ``overrides`` of its fields) and create the game in ``folder``.

        Raises
        ------
        ScenarioError
            The game file is wrong (every problem, file:line:field).
        OutputExistsError
            ``folder`` exists.
        """
        rules, text = load_game(game_file, overrides)
        folder = Path(folder)
        if folder.exists():
            raise OutputExistsError(f"{folder}: already exists; choose another --out (a game is never overwritten)")
        meta = {"spec": rules.spec.dump(), "scenario": rules.scenario.model_dump(mode="json", by_alias=True),
                "game_file": str(game_file), "game_text": text, "overrides": list(overrides)}
        GameStore.create(folder / DB_NAME, meta, list(rules.names)).close()
        return cls(folder)

    @property
    def spec(self) -> GameSpec:
        return self.rules.spec

    # ------------------------------------------------------------------ where the game is
    def played(self) -> int:
        """Rounds played."""
        return sum(1 for s in self.store.rounds().values() if s == "played")

    def current(self) -> tuple[int, str | None]:
        """(number, state) of the round after the last played one; state None if not opened yet."""
        number = self.played() + 1
        return number, self.store.rounds().get(number)

    def over(self) -> bool:
        return self.played() >= self.spec.rounds

    def paused(self) -> bool:
        return bool(self.store.meta("paused"))

    def decisions_of(self, number: int) -> dict[str, dict[str, Value]]:
        """Every team's decision for round ``number``: submitted, else carried over from the round before."""
        stored = {team: values for team, (values, _) in self.store.decisions(number).items()}
        before = self.decisions_of(number - 1) if number > 1 else {t.team: dict(t.initial) for t in self.rules.teams}
        return {team: stored.get(team, before[team]) for team in self.rules.names}

    def submitted(self, number: int) -> dict[str, bool]:
        """Team → it submitted a decision for round ``number`` itself."""
        stored = self.store.decisions(number)
        return {team: stored.get(team, ({}, False))[1] for team in self.rules.names}

    def results(self, number: int) -> dict[str, TeamResult]:
        """Team → its results of round ``number`` (empty if not played)."""
        return {team: TeamResult.from_json(data) for team, data in self.store.results(number).items()}

    def public(self, number: int) -> dict[str, PublicView]:
        """What any brand could see of each team in round ``number``."""
        decisions = self.decisions_of(number)
        return {team: PublicView({c: v.price for c, v in result.channels.items()},
                                 float(decisions[team].get("promotion_depth", 0)), result.promotion_days)
                for team, result in self.results(number).items()}

    def research(self, team: str, number: int) -> dict[str, ResearchReport] | None:
        """The market research ``team`` bought for round ``number`` (None if it did not):
        each rival's revenue share overall and per channel, buyers and private-domain
        followers at the end of the round."""
        if not self.decisions_of(number)[team].get(RESEARCH) or number > self.played():
            return None
        return {other: ResearchReport(r.share, {c: v.share for c, v in r.channels.items()}, r.funnel["purchased"],
                                      r.private_domain)
                for other, r in self.results(number).items() if other != team}

    # ------------------------------------------------------------------ team actions
    def submit(self, team: str, values: Mapping[str, Any]) -> dict[str, Value]:
        """Store ``team``'s decision for the open round (a partial one: other levers as last round).

        Raises
        ------
        GameStateError
            No round is open, or the game is paused.
        DecisionError
            A value out of range or over budget.
        """
        with self.lock:
            number, state = self.current()
            if state != "open":
                raise GameStateError(f"round {number} is not open for decisions")
            if self.paused():
                raise GameStateError("the game is paused by the instructor")
            self.rules.team(team)  # an unknown team is a DecisionError
            full = self.rules.check(team, values, self.decisions_of(number)[team])
            self.store.submit(number, team, full)
            return full

    # ------------------------------------------------------------------ instructor actions
    def open_round(self) -> int:
        with self.lock:
            number, state = self.current()
            if self.over():
                raise GameStateError(f"all {self.spec.rounds} rounds are played")
            if state not in (None, "closed"):
                raise GameStateError(f"round {number} is {state}")
            self.store.set_state(number, "open", "instructor")
            return number

    def close_round(self) -> int:
        with self.lock:
            number, state = self.current()
            if state != "open":
                raise GameStateError(f"round {number} is not open")
            self.store.set_state(number, "closed", "instructor")
            return number

    def pause(self, paused: bool) -> None:
        self.store.set_meta("paused", paused, "instructor", "paused" if paused else "resumed")

    def play_round(self, progress: Callable[[int, int], None] | None = None) -> dict[str, TeamResult]:
        """Fix the current round's decisions and simulate it; its results per team.

        Raises
        ------
        GameStateError
            All rounds played, the game is paused, or the round was never opened.
        """
        with self.lock:
            number, state = self.current()
            if self.over():
                raise GameStateError(f"all {self.spec.rounds} rounds are played")
            if self.paused():
                raise GameStateError("the game is paused; resume it first")
            if state is None:
                raise GameStateError(f"round {number} was never opened; open it so teams can decide")
            if state != "running":
                submitted = self.submitted(number)
                decisions = self.decisions_of(number)
                self.store.start(number, {t: v for t, v in decisions.items() if not submitted[t]}, "instructor")
            return self._simulate(number, progress)

    def resume(self) -> int | None:
        """Play again a round whose simulation was interrupted (state ``running``); its number, or None."""
        with self.lock:
            number, state = self.current()
            if state != "running":
                return None
            self._simulate(number, None)
            return number

    def undo(self) -> int:
        """Take back the last played round: results gone, decisions kept, round closed again."""
        with self.lock:
            number = self.played()
            if number == 0:
                raise GameStateError("no round has been played")
            _, state = self.current()
            if state is not None:
                raise GameStateError(f"round {number + 1} is {state}; undo only right after a round is played")
            self.store.undo(number, "instructor")
            self._market = None
            return number

    # ------------------------------------------------------------------ the market
    def market(self) -> Market:
        """The live market after the rounds played (replayed from the store if needed)."""
        with self.lock:
            played = self.played()
            if self._market is None or self._market.played != played:
                self._market, _ = replay(self.rules, [self.decisions_of(r) for r in range(1, played + 1)])
            return self._market

    def _simulate(self, number: int, progress: Callable[[int, int], None] | None) -> dict[str, TeamResult]:
        market = self.market()

        def tick(day: int, days: int) -> None:
            self.progress = (day, days)
            if progress is not None:
                progress(day, days)

        try:
            results = market.play(self.decisions_of(number), tick)
        except BaseException:
            self._market = None  # half a round: rebuild next time
            raise
        finally:
            self.progress = None
        self.store.finish(number, {team: r.to_json() for team, r in results.items()}, "instructor")
        return results

    def what_if(self, number: int, team: str, values: Mapping[str, Any]
                ) -> tuple[dict[str, TeamResult], dict[str, TeamResult]]:
        """Round ``number`` as played and with ``team``'s decision changed by ``values``, same seeds.

        Returns
        -------
        (played, changed) : dict, dict
            Results per team of the round as played (stored) and as replayed with the change.
        """
        if not 1 <= number <= self.played():
            raise GameStateError(f"round {number} has not been played")
        rounds = [self.decisions_of(r) for r in range(1, number + 1)]
        changed = dict(rounds[-1])
        changed[team] = self.rules.check(team, values, changed[team])
        rounds[-1] = changed
        _, results = replay(self.rules, rounds)
        return self.results(number), results[-1]

