"""The lesson file (``sim/lessons/catalog/<name>.yaml``), declared once.

A lesson is an experiment file (``experiments/lessons/<name>.yaml``, the standard format
of docs/EXPERIMENTS.md) plus a narrative in Chinese and English, the size it runs at in
a workshop, and the claim it teaches: which KPI the model moves, in which direction,
for which variant. The claim is what ``tests/test_lessons.py`` checks across replications.

Files are read with :func:`sim.config.loader.load_model`, so a mistake is reported with
the file, the line and the dotted path (:mod:`sim.lessons.catalog`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Lang", "LANGS", "Direction", "Narrative", "Preset", "Claim", "TryNext", "Label", "Lesson"]

#: Languages every narrative is written in.
Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
#: Direction of a claimed effect: the variant's KPI is higher or lower than the reference's.
Direction = Literal["higher", "lower"]

NAME_PATTERN = r"^[a-z0-9_]+$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Narrative(Strict):
    """What the handout says, in one language."""

    title: str = Field(min_length=1, max_length=80, description="the lesson's title")
    teaser: str = Field(min_length=1, max_length=160, description="one line for `socsim lessons` and the README")
    question: str = Field(min_length=1, description="the question the lesson answers")
    mechanism: str = Field(min_length=1, description="how the model produces the effect, with docs/MODEL.md sections")
    teaches: str = Field(min_length=1, description="what it teaches, including what the model does not show")
    discussion: list[str] = Field(min_length=3, max_length=3, description="three discussion questions")


class Preset(Strict):
    """A run size: replications, consumer agents and days."""

    replications: int = Field(ge=2, le=1000, description="runs per variant; replication r uses seed + r in every variant")
    population: int = Field(ge=100, le=200_000, description="consumer agents (market_size, the real consumers they stand for, is kept)")
    days: int | None = Field(None, ge=1, le=3650, description="simulated days (default: the experiment's)")
    seconds: float | None = Field(None, gt=0, description="measured wall-clock seconds on a 2-core machine (documentation)")


class Claim(Strict):
    """What the lesson teaches, as a test: ``metric`` of ``variant`` is ``direction`` than of ``vs``."""

    metric: str = Field(min_length=3, pattern=r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_.]+$", description="brand.kpi, e.g. focal.active_leaders")
    variant: str = Field(min_length=1, description="the variant expected to differ")
    direction: Direction = Field(description="higher or lower than the reference")
    vs: str | None = Field(None, description="the variant compared with (default: the experiment's first, the reference)")


class TryNext(Strict):
    """A parameter to try next: a ``--set`` change and what to expect, in both languages."""

    set: str = Field(pattern=r"^[A-Za-z0-9_.\-\[\]]+=.+$", description="dotted.path=value, as for --set")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Label(Strict):
    """A variant's name in both languages."""

    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=40)


class Lesson(Strict):
    """One lesson: experiment, presets, claims, variant labels, narratives, what to try next."""

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN, description="the lesson's name (= the file name)")
    experiment: str = Field(min_length=1, description="experiment file, relative to the repository root")
    sources: list[str] = Field(default_factory=list, description="where the lesson comes from: references a participant can follow (docs/SOURCES.md labels such as [A4], docs/ sections)")
    workshop: Preset = Field(description="the live-workshop size: ≤ 60 s on 2 cores")
    test: Preset = Field(description="the size tests/test_lessons.py checks the claims at")
    claims: list[Claim] = Field(min_length=1, description="the effects the lesson teaches")
    variants: dict[str, Label] = Field(min_length=1, description="every variant of the experiment, named in both languages")
    zh: Narrative
    en: Narrative
    try_next: list[TryNext] = Field(min_length=1, description="parameters to try next")

    @field_validator("sources")
    @classmethod
    def _no_blank(cls, value: list[str]) -> list[str]:
        if any(not s.strip() for s in value):
            raise ValueError("a source is blank")
        return value

    def text(self, lang: Lang) -> Narrative:
        """The narrative in ``lang``."""
        return self.zh if lang == "zh" else self.en

    def label(self, variant: str, lang: Lang) -> str:
        """A variant's name in ``lang`` (its own name if not labelled)."""
        found = self.variants.get(variant)
        return getattr(found, lang) if found else variant

    def reference(self, claim: Claim, first: str) -> str:
        """The variant ``claim`` compares with (``first``: the experiment's first variant)."""
        return claim.vs or first
