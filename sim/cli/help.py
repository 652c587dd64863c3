"""Help text that reads at any terminal width: docstrings reflowed, Rich markup escaped.

Typer keeps a docstring's own line breaks inside a paragraph, so at 80 columns a line
wrapped at 90 in the source breaks twice ("numbers),\\n so differences …"), and Rich
reads ``[dashboard]`` in ``pip install 'socsim[dashboard]'`` as a style tag and drops
it. :func:`tidy_help` rewrites every command's help once, after registration: lines of
a paragraph are joined (Rich wraps them to the terminal), a paragraph that starts with
``Example`` keeps its lines (aligned command lines), and brackets are escaped.
"""

from __future__ import annotations

import inspect

import typer
from rich.markup import escape
from typer.models import ArgumentInfo, OptionInfo

__all__ = ["reflow", "tidy_help"]

#: Paragraphs whose line breaks are kept (aligned examples).
_VERBATIM = ("Example",)


def reflow(text: str) -> str:
    """Paragraphs of ``text`` with single line breaks joined (except examples), Rich markup escaped.

    >>> reflow("Two lines\\nof one paragraph.\\n\\nExamples:  a\\n           b")
    'Two lines of one paragraph.\\n\\nExamples:  a\\n           b'
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    out = [p if p.lstrip().startswith(_VERBATIM) else " ".join(line.strip() for line in p.splitlines())
           for p in paragraphs]
    return escape("\n\n".join(out))


def tidy_help(app: typer.Typer, seen: set[int] | None = None) -> None:
    """Reflow and escape the help of every command, group and parameter of ``app`` (once each)."""
    seen = set() if seen is None else seen
    for command in app.registered_commands:
        command.help = reflow(command.help or inspect.getdoc(command.callback) or "")
        _tidy_parameters(command.callback, seen)
    for group in app.registered_groups:
        info = group.typer_instance.info
        info.help = reflow(group.help or info.help or "")
        tidy_help(group.typer_instance, seen)


def _tidy_parameters(callback, seen: set[int]) -> None:
    """Escape the help of each option and argument (shared ones, such as ``--set``, once)."""
    for parameter in inspect.signature(callback).parameters.values():
        info = parameter.default
        if isinstance(info, OptionInfo | ArgumentInfo) and info.help and id(info) not in seen:
            seen.add(id(info))
            info.help = escape(info.help)
