"""One exception tree for socsim.

The library raises :class:`SocsimError` subclasses; only the CLI catches them and
prints one line per problem (no traceback).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["SocsimError", "ScenarioError", "Problem", "SocsimWarning", "OutputExistsError", "refuse_existing"]


class SocsimError(Exception):
    """Base class of every error socsim raises on purpose.

    ``str(error)`` is the English message. An error a command can say in its user's
    language (``socsim lesson --lang zh``) also names its message in the commands'
    catalogue of words (:data:`sim.cli.common.RUN_WORDS`): ``key``, and the ``fields``
    the message is made of.
    """

    key: str | None = None

    def __init__(self, message: str = "", *, key: str | None = None, **fields: object) -> None:
        super().__init__(message)
        if key is not None:
            self.key = key
        self.fields = fields


@dataclass(frozen=True)
class Problem:
    """One mistake in an input file.

    Attributes
    ----------
    path : str
        Dotted field path, e.g. ``brands.focal.product.price``.
    message : str
        What is wrong and what is allowed.
    line : int | None
        1-based line number in the file, when known.
    """

    path: str
    message: str
    line: int | None = None

    def render(self, file: str | None) -> str:
        where = file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(SocsimError):
    """A scenario or experiment file is wrong; carries every problem found."""

    def __init__(self, file: str | None, problems: list[Problem]):
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(p.render(file) for p in self.problems))


class OutputExistsError(SocsimError):
    """A results folder already exists and would be overwritten."""


def refuse_existing(path: os.PathLike[str] | str) -> None:
    """Raise :class:`OutputExistsError` if ``path`` exists: results are never overwritten."""
    if os.path.exists(path):
        raise OutputExistsError(f"{path}: already exists; choose another --out or remove it (results are never overwritten)")


class SocsimWarning(UserWarning):
    """A valid but odd input (e.g. a degree capped for a small population)."""
