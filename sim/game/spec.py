"""The game file: which market, how many rounds of how many days, the teams, the levers a
team may move (with the game's ranges) and the marketing budget per round.

Example (``experiments/game_example.yaml``)::

    name: Skin care, one year
    market: ../scenarios/baseline.yaml    # the scenario; teams replace its brands
    brand: focal                          # the brand every team starts as (default: the first)
    population: 5000
    seed: 7
    rounds: 6
    days_per_round: 60
    budget_per_round: 3000000             # ¥ of planned media + influencer spend per round
    teams:
      - {name: Red, brand: red}
      - {name: Blue, brand: blue}
    levers:
      marketplace_price: {low: 89, high: 179}
      parity: {}
      promotion_depth: {high: 30}
    research: {price: 50000}              # a team may buy rivals' shares for a round

A file is read and checked like a scenario: every mistake is reported as
``file:line: field: message``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["GameSpec", "TeamSpec", "LeverRule", "ResearchSpec", "MAX_TEAMS"]

MAX_TEAMS = 12
_BRAND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,23}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TeamSpec(_Strict):
    """One team: its display name and the name of its brand in the market."""

    name: str = Field(min_length=1, max_length=40, description="team name shown on pages and the leaderboard")
    brand: str = Field(description="brand name in the market: lower-case letters, digits, _ (at most 24)")

    @field_validator("brand")
    @classmethod
    def _brand_name(cls, value: str) -> str:
        if not _BRAND_NAME.match(value):
            raise ValueError(f"got {value!r}; use lower-case letters, digits and _, starting with a letter (at most 24)")
        return value


class LeverRule(_Strict):
    """What a team may set for one lever: a range (sliders) or allowed values (choices).

    An empty rule (``{}``) allows the lever's whole catalogue range.
    """

    low: float | None = Field(None, description="smallest value a team may choose (default: the catalogue's)")
    high: float | None = Field(None, description="largest value a team may choose (default: the catalogue's)")
    choices: list[str] | None = Field(None, min_length=1, description="allowed values of a choice lever")

    @model_validator(mode="after")
    def _ordered(self) -> "LeverRule":
        if self.low is not None and self.high is not None and self.high < self.low:
            raise ValueError(f"high {self.high:g} is below low {self.low:g}")
        return self


class ResearchSpec(_Strict):
    """Market research a team may buy in a round: rivals' revenue shares (overall and per
    channel), buyers and private-domain followers at the end of that round."""

    price: float = Field(ge=0, description="¥ a round's report costs; deducted from that round's contribution")


class GameSpec(_Strict):
    """A game: the market, the calendar of rounds, the teams and their levers."""

    name: str = Field(min_length=1, max_length=80, description="the game's title")
    market: Path = Field(description="scenario file of the market (relative to the game file); teams replace its brands")
    brand: str | None = Field(None, description="the scenario brand every team starts as (default: the first)")
    population: int | None = Field(None, ge=10, le=1_000_000, description="consumer agents (default: the scenario's)")
    seed: int = Field(0, ge=0, description="root seed of the market: every round runs on it (common random numbers)")
    rounds: int = Field(ge=1, le=24, description="rounds in the game")
    days_per_round: int = Field(ge=1, le=366, description="days one round simulates")
    budget_per_round: float = Field(ge=0, description="¥ a team may plan to spend on paid media and influencers in a round")
    teams: list[TeamSpec] = Field(min_length=2, max_length=MAX_TEAMS, description="the teams, each with its own brand")
    levers: dict[str, LeverRule] = Field(min_length=1, description="lever key → what a team may set; other levers stay as the scenario has them")
    research: ResearchSpec | None = Field(None, description="market research a team may buy each round (default: none on offer)")
    set: list[str] = Field(default_factory=list, description="further --set overrides of the market, e.g. world.graph.kind=ring")

    @field_validator("teams")
    @classmethod
    def _unique(cls, teams: list[TeamSpec]) -> list[TeamSpec]:
        for attr in ("name", "brand"):
            seen = [getattr(t, attr) for t in teams]
            twice = sorted({x for x in seen if seen.count(x) > 1})
            if twice:
                raise ValueError(f"team {attr}s must differ; used twice: {', '.join(twice)}")
        return teams

    def overrides(self) -> list[str]:
        """``--set`` overrides of the market: the game's length, seed and size, then ``set``."""
        size = [f"world.population={self.population}"] if self.population is not None else []
        return [f"simulation.days={self.rounds * self.days_per_round}", f"simulation.seed={self.seed}", *size, *self.set]

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
