"""``socsim lessons`` and ``socsim lesson``: thin commands over :mod:`sim.lessons`.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .common import RUN_WORDS, reported_errors
from ..terminal import console, say
from ..errors import SocsimError

__all__ = ["lessons", "lesson"]

LangOpt = typer.Option("zh", "--lang", help="Language of the listing or handout: zh (中文) or en.")


def _lang(value: str) -> str:
    if value not in RUN_WORDS:
        raise SocsimError(f"--lang {value!r}: choose zh or en / --lang {value!r}：请选择 zh（中文）或 en")
    return value


def _said_in(value: str) -> str:
    """The language errors are said in before ``--lang`` is checked: its own, or English."""
    return value if value in RUN_WORDS else "en"


def lessons(lang: str = LangOpt) -> None:
    """List the training lessons: name, title and a one-line teaser.

    Run one with:  socsim lesson NAME --lang zh
    """
    from ..lessons.catalog import load_catalog
    from ..lessons.runner import preset_of

    with reported_errors(_said_in(lang)):
        lang = _lang(lang)
        catalog = load_catalog()
    table = Table(title="socsim 培训课程 / lessons", title_justify="left", show_lines=True)
    for column in ("name", "title" if lang == "en" else "课程", "teaser" if lang == "en" else "一句话"):
        table.add_column(column, overflow="fold", no_wrap=column == "name")  # a name is typed: never split
    table.add_column("variants × reps" if lang == "en" else "方案 × 重复", no_wrap=True)
    for item in catalog:
        text, size = item.text(lang), preset_of(item, "workshop")
        table.add_row(item.name, text.title, text.teaser, f"{len(item.variants)} × {size.replications}")
    console.print(table)
    console.print("socsim lesson NAME --lang zh|en  → " + ("HTML 讲义（docs/LESSONS.md）" if lang == "zh" else
                                                          "HTML handout (docs/LESSONS.md)"))


def lesson(
    name: str = typer.Argument(..., help="Lesson name (socsim lessons lists them) or a lesson file."),
    lang: str = LangOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the handout (default: results/lessons/<name>). Runs are kept in it and reused."),
    reps: Optional[int] = typer.Option(None, "--reps", help="Replications per variant, at least 2 (default: the lesson's workshop preset)."),
) -> None:
    """Run a lesson at its workshop size and write a self-contained HTML handout.

    The handout has the question, the mechanism, the plots, the numbers with 95 %
    intervals (paired differences to the reference variant), what it teaches, three
    discussion questions and the parameters to try next. Runs are stored in the handout
    folder, so the other language reuses them.

    Examples:  socsim lesson price_parity --lang zh
               socsim lesson kol_koc_ads --lang en --reps 4
    """
    from .experiments import run_design
    from ..lessons.catalog import load_lesson
    from ..lessons.handout import claim_text, lesson_verdict, write_handout
    from ..lessons.labels import WORDS
    from ..lessons.runner import default_out, finish_lesson, lesson_design, store_folder

    with reported_errors(_said_in(lang)):
        lang = _lang(lang)
        if reps is not None and reps < 2:  # checked here, not by the option, so it is said in --lang
            raise SocsimError(RUN_WORDS[lang]["reps"].format(reps=reps))
        item = load_lesson(name)
        design = lesson_design(item, "workshop", reps)
        folder = out or default_out(item)
        result = finish_lesson(item, "workshop", run_design(design, store_folder(folder, design), None, None, None, False,
                                                                 lang))
        page = write_handout(item, result, lang, folder)
    say((lesson_verdict(result, lang), "bold"))
    for check in result.claims:
        say((claim_text(item, check, lang), "green" if check.holds else "red"))
    say(WORDS[lang]["handout"], (str(page), "bold"))


COMMANDS = (lessons, lesson,)
