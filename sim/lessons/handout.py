"""The lesson handout: one self-contained HTML page in Chinese or English.

The page carries its plots (PNG, base64) and, for Chinese, the glyphs it uses (a WOFF
subset of Noto Sans CJK SC, :func:`sim.fonts.font_face_css`), so it reads the same in a
browser on a machine without any CJK font. Plots and tables reuse the experiment
report's pieces (:mod:`sim.plots.experiments`, :mod:`sim.experiments.tables`,
:mod:`sim.plots.html`) with the lesson's words (:mod:`sim.lessons.labels`).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sim import __version__
from sim.plots import experiments as plots
from sim.plots.html import CSS, escape, image, table
from sim.experiments.stats import LEVEL
from sim.experiments.store import atomic_write
from sim.experiments.tables import compare_rows, format_diff
from sim.fonts import WEB_FAMILY, cjk_plots, font_face_css

from .labels import WORDS, metric_label, plot_wording
from .runner import ClaimCheck, LessonResult
from .spec import Lang, Lesson

__all__ = ["write_handout", "render_handout", "draw_plots", "claim_text", "lesson_verdict"]

_HANDOUT_CSS = f"""
body{{font-family:'{WEB_FAMILY}',-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,"Noto Sans CJK SC",
"PingFang SC","Microsoft YaHei",sans-serif}}
.teaser{{font-size:1.1rem;color:#344054}}.claim{{border-left:4px solid #067647;background:#ecfdf3;padding:.6rem 1rem;margin:.4rem 0}}
.claim.no{{border-left-color:#b42318;background:#fef3f2}}th{{text-align:left}}ol li,ul li{{margin:.35rem 0}}p.text{{max-width:60rem}}
"""


def draw_plots(lesson: Lesson, result: LessonResult, lang: Lang, folder: Path) -> list[tuple[str, Path]]:
    """The lesson's three plots in ``lang``: KPIs per variant, paired differences, day by day."""
    folder.mkdir(parents=True, exist_ok=True)
    w, words = plot_wording(lesson, lang), WORDS[lang]
    design, summary = result.design, result.experiment.summary
    with cjk_plots():
        out = [(words["kpis"], plots.kpi_bars(design, summary, folder / f"{lang}-kpis.png", wording=w))]
        if len(design.variants) > 1:
            out.append((words["differences"], plots.differences(design, summary, folder / f"{lang}-differences.png", wording=w)))
        out.append((words["daily"], plots.daily_bands(design, result.daily, folder / f"{lang}-daily.png", wording=w)))
    return out


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
#: A space between two Chinese characters: what YAML's folded (>) style leaves at a line break.
_FOLD_SPACE = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def _paragraphs(text: str) -> str:
    """Paragraphs of a narrative; the spaces YAML folding puts between Chinese characters are removed."""
    return "".join(f"<p class='text'>{escape(_FOLD_SPACE.sub('', p.strip()))}</p>"
                   for p in re.split(r"\n\s*\n", text) if p.strip())


def claim_text(lesson: Lesson, check: ClaimCheck, lang: Lang) -> str:
    """One claim as a line of text in ``lang``: the KPI, the comparison, Δ with its interval, holds or not."""
    words, d = WORDS[lang], check.diff.diff
    metric = check.claim.metric
    verdict = f"✔ {words['holds']}" if check.holds else f"✘ {words['fails']}"
    sep = "" if lang == "zh" else " "
    text = (f"{metric_label(metric, lang)}：{lesson.label(check.claim.variant, lang)}{sep}{words[check.claim.direction]}{sep}"
            f"{lesson.label(check.reference, lang)} — Δ = {format_diff(metric, d.mean)}，"
            f"{words['ci']} [{format_diff(metric, d.low)}, {format_diff(metric, d.high)}] · {verdict}")
    return text.replace("：", ": ", 1).replace("，", ", ") if lang == "en" else text


def lesson_verdict(result: LessonResult, lang: Lang) -> str:
    """``Verdict: 2 of 3 claims hold at this size`` (or in Chinese)."""
    return WORDS[lang]["verdict"].format(held=sum(c.holds for c in result.claims), total=len(result.claims))


def _claim_line(lesson: Lesson, check: ClaimCheck, lang: Lang) -> str:
    return f"<div class='claim{'' if check.holds else ' no'}'>{escape(claim_text(lesson, check, lang))}</div>"


def _numbers(lesson: Lesson, result: LessonResult, lang: Lang) -> str:
    words, design = WORDS[lang], result.design
    header = [words[k] for k in ("variant", "mean", "ci", "diff", "diff_ci", "rel", "p", "n")]
    parts = []
    for metric in design.metrics:
        rows = compare_rows(design, result.experiment.summary, metric)
        for row, v in zip(rows, design.variants):
            row[0] = lesson.label(v.name, lang)
            row[3] = words["reference"] if row[3] == "reference" else row[3]
        parts += [f"<h3>{escape(metric_label(metric, lang))}</h3>", table(header, rows)]
    return "".join(parts)


def _compared(lesson: Lesson, result: LessonResult, lang: Lang) -> str:
    words = WORDS[lang]
    if lang == "zh":  # the experiment file describes its variants in English; the Chinese label says it
        rows = [[lesson.label(v.name, lang), "; ".join(v.changes)] for v in result.design.variants]
        return table([words["variant"], words["changes"]], rows, {1: "changes"})
    rows = [[lesson.label(v.name, lang), v.description, "; ".join(v.changes)] for v in result.design.variants]
    return table([words["variant"], words["what"], words["changes"]], rows, {1: "text", 2: "changes"})


def _facts(lesson: Lesson, result: LessonResult, lang: Lang) -> str:
    design, sc = result.design, result.design.cells[0].scenario
    market = sc.world.consumers
    return WORDS[lang]["facts"].format(population=f"{sc.world.population:,}", market=f"{market:,}", days=sc.simulation.days,
                                       reps=design.replications, seed0=design.seed, seed1=design.seed_of(design.replications - 1),
                                       seconds=result.experiment.simulation_seconds)


def render_handout(lesson: Lesson, result: LessonResult, lang: Lang, pictures: list[tuple[str, Path]]) -> str:
    """The handout page as one string (plots embedded, Chinese glyphs embedded as a font subset)."""
    words, text, design = WORDS[lang], lesson.text(lang), result.design
    first = lesson.label(design.variants[0].name, lang)
    how = words["how_to_read"].format(reps=design.replications, first=first, level=f"{LEVEL:.0%}")
    cmd = f"<code>socsim lesson {escape(lesson.name)} --lang {lang}</code>"
    cmd2 = f"<code>socsim compare {escape(lesson.experiment)}</code>"
    body = [
        f"<h1>{escape(text.title)}</h1>", f"<p class='teaser'>{escape(text.teaser)}</p>",
        f"<p class='muted'>{escape(_facts(lesson, result, lang))} · socsim {__version__} · "
        f"{dt.datetime.now():%Y-%m-%d %H:%M}</p>",
        f"<h2>{escape(words['question'])}</h2>", _paragraphs(text.question),
        f"<h2>{escape(words['mechanism'])}</h2>", _paragraphs(text.mechanism),
        f"<h2>{escape(words['compared'])}</h2>", _compared(lesson, result, lang),
        f"<h2>{escape(words['claim'])}</h2>", f"<p><b>{escape(lesson_verdict(result, lang))}</b></p>",
        *(_claim_line(lesson, c, lang) for c in result.claims),
        f"<h2>{escape(words['plots'])}</h2>",
        *(f"<h3>{escape(title)}</h3>{image(path, title)}" for title, path in pictures),
        f"<h2>{escape(words['numbers'])}</h2>", f"<div class='note'>{escape(how)}</div>", _numbers(lesson, result, lang),
        f"<h2>{escape(words['teaches'])}</h2>", _paragraphs(text.teaches),
        f"<h2>{escape(words['discussion'])}</h2>", "<ol>" + "".join(f"<li>{escape(q)}</li>" for q in text.discussion) + "</ol>",
        f"<h2>{escape(words['try_next'])}</h2>",
        "<ul>" + "".join(f"<li><code>--set {escape(t.set)}</code> — {escape(getattr(t, lang))}</li>" for t in lesson.try_next) + "</ul>",
        f"<p class='muted'>{escape(words['sources'])}: {escape('; '.join(lesson.sources))}. {escape(words['reproduce'])}: "
        + words["reproduce_text"].format(cmd=cmd, cmd2=cmd2) + "</p>",
    ]
    page = "".join(body)
    fonts = font_face_css(re.sub(r"<[^>]+>", "", page) + text.title)  # English pages quote Chinese names too
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (f"<!DOCTYPE html><html lang='{html_lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(text.title)} — socsim</title><style>{fonts}{CSS}{_HANDOUT_CSS}</style></head>"
            f"<body>{page}</body></html>")


def write_handout(lesson: Lesson, result: LessonResult, lang: Lang, out: Path) -> Path:
    """Draw the plots and write ``<out>/handout.<lang>.html``; returns its path."""
    out = Path(out)
    pictures = draw_plots(lesson, result, lang, out / "plots")
    page = render_handout(lesson, result, lang, pictures)
    return atomic_write(out / f"handout.{lang}.html", lambda p: p.write_text(page, encoding="utf-8"))
