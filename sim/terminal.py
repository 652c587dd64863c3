"""The terminal: every line socsim prints goes through the two consoles here.

User text — names, notes, file paths, values, error messages — is shown as written:
the consoles read no Rich markup (``[/b]`` in a team's name is text, not a tag that
aborts the print), no emoji shortcodes (``:x:`` stays ``:x:``) and highlight nothing.
A word that should be styled is given as a ``(text, style)`` pair to :func:`say`.
"""

from __future__ import annotations

import warnings

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

__all__ = ["console", "err", "say", "error", "warning", "styled", "progress", "show_warnings"]

console = Console(markup=False, emoji=False, highlight=False)
err = Console(stderr=True, markup=False, emoji=False, highlight=False)

Part = str | tuple[str, str]


def styled(text: str, style: str) -> Text:
    """``text`` in ``style`` (e.g. ``"bold"``, ``"green"``), for a table cell or :func:`say`."""
    return Text(text, style=style)


def say(*parts: Part | Text, to: Console = console) -> None:
    """Print one line made of plain text and ``(text, style)`` pairs; long lines are not wrapped."""
    to.print(Text.assemble(*parts), soft_wrap=True)


def error(message: str, label: str = "error") -> None:
    """``error <message>`` on stderr, the word "error" (or ``label``: 错误) in red."""
    say((label, "red"), " ", message, to=err)


def warning(message: str) -> None:
    """``warning <message>`` on stderr, the word "warning" in yellow."""
    say(("warning", "yellow"), " ", message, to=err)


def progress(unit: str) -> Progress:
    """A progress bar on stderr (off when stderr is not a terminal): description, bar, done/total ``unit``, time, eta.

    The description is shown as text, so a scenario's name cannot break the bar.
    """
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    return Progress(*columns, console=err, transient=False, disable=not err.is_terminal)


def show_warnings() -> None:
    """Show socsim's own warnings (an odd but valid input, a damaged stored run set aside) as one ``warning`` line each."""
    from .errors import SocsimWarning

    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SocsimWarning):
            warning(str(message))
        else:
            shown(message, category, filename, lineno, file, line)

    if getattr(shown, "__module__", None) != __name__:
        warnings.showwarning = show
