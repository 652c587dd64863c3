"""The debrief page (zh/en): leaderboard, round-by-round charts per team, key decisions,
and a "what if": one round replayed with one team's decision changed, on the same seeds.

The default "what if" gives the last team (least cumulative profit) the round winner's
decision in the round where the gap between them was widest: what would copying the
winner have been worth, with every other decision and every random number the same?
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..fonts import cjk_plots, font_face_css
from .engine import TeamResult
from .game import Game
from .pages import LANGS, WORDS, Lang, document, esc, lever_label, money, percent, table, value_text

__all__ = ["WhatIf", "WhatIfResult", "default_what_if", "render_debrief", "write_debrief", "standings"]

_COLOURS = ("#3b75af", "#e4002b", "#07a35a", "#f0a202", "#7b2cbf", "#25262b", "#8c564b", "#17becf")


@dataclass(frozen=True)
class WhatIf:
    """Round ``number`` replayed with ``team``'s decision changed by ``values``."""

    number: int
    team: str
    values: Mapping[str, Any]


def standings(game: Game) -> list[tuple[str, float]]:
    """(team, cumulative contribution ¥) over the rounds played, most first."""
    totals = {t: 0.0 for t in game.rules.names}
    for r in range(1, game.played() + 1):
        for team, result in game.results(r).items():
            totals[team] += result.contribution
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


def default_what_if(game: Game) -> WhatIf | None:
    """The last team plays the round winner's decision where the profit gap was widest (None before round 1)."""
    if game.played() == 0:
        return None
    last = standings(game)[-1][0]
    gaps = []
    for r in range(1, game.played() + 1):
        results = game.results(r)
        winner = max(results, key=lambda t: results[t].contribution)
        gaps.append((results[winner].contribution - results[last].contribution, r, winner))
    _, number, winner = max(gaps)
    theirs, mine = game.decisions_of(number)[winner], game.decisions_of(number)[last]
    return WhatIf(number, last, {k: v for k, v in theirs.items() if mine.get(k) != v})


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _series(game: Game, pick) -> dict[str, list[float]]:
    return {t: [pick(game.results(r)[t]) for r in range(1, game.played() + 1)] for t in game.rules.names}


def _overview_chart(game: Game, lang: Lang) -> str:
    from matplotlib.figure import Figure

    w = WORDS[lang]
    panels = ((w["profit_per_round"] + " (¥ M)", lambda x: x.contribution / 1e6), (w["share_per_round"], lambda x: x.share),
              (w["price_per_round"], lambda x: x.channels["tmall"].price if "tmall" in x.channels else float("nan")),
              (w["buyers_per_round"], lambda x: x.funnel["purchased"]))
    rounds = list(range(1, game.played() + 1))
    with cjk_plots():
        fig = Figure(figsize=(10, 6.5), dpi=100, layout="constrained")
        for ax, (title, pick) in zip(fig.subplots(2, 2).ravel(), panels):
            for i, (team, values) in enumerate(_series(game, pick).items()):
                ax.plot(rounds, values, marker="o", color=_COLOURS[i % len(_COLOURS)], label=team)
            ax.set_title(title, loc="left", fontsize=10)
            ax.set_xticks(rounds)
            ax.grid(alpha=0.3)
        fig.axes[0].legend(fontsize=8)
        return _png(fig)


def _channel_chart(game: Game, lang: Lang) -> str:
    from matplotlib.figure import Figure

    names = game.rules.names
    rounds = list(range(1, game.played() + 1))
    cols = min(3, len(names))
    with cjk_plots():
        fig = Figure(figsize=(3.6 * cols, 2.8 * ((len(names) + cols - 1) // cols)), dpi=100, layout="constrained")
        axes = fig.subplots((len(names) + cols - 1) // cols, cols, squeeze=False, sharey=True).ravel()
        for ax, team in zip(axes, names):
            bottom = [0.0] * len(rounds)
            channels = game.results(1)[team].channels
            for j, channel in enumerate(channels):
                values = [game.results(r)[team].channels[channel].revenue / 1e6 for r in rounds]
                ax.bar(rounds, values, bottom=bottom, color=_COLOURS[(j + 1) % len(_COLOURS)], label=channel)
                bottom = [a + b for a, b in zip(bottom, values)]
            ax.set_title(WORDS[lang]["by_channel"].format(team=team), fontsize=9, loc="left")
            ax.set_xticks(rounds)
            ax.set_ylabel("¥ M")
            ax.legend(fontsize=7)
        for ax in axes[len(names):]:
            ax.set_visible(False)
        return _png(fig)


def _decision_rows(game: Game, lang: Lang) -> list[list[str]]:
    levers = game.rules.teams[0].levers
    rows = []
    for r in range(1, game.played() + 1):
        decisions, submitted = game.decisions_of(r), game.submitted(r)
        for team in game.rules.names:
            note = WORDS[lang]["submitted"] if submitted[team] else WORDS[lang]["carried"]
            rows.append([str(r), team, note, *(value_text(decisions[team][lv.key]) for lv in levers)])
    return rows


@dataclass(frozen=True)
class WhatIfResult:
    """A :class:`WhatIf` and the round's results per team, as played and as replayed with the change."""

    what_if: WhatIf
    played: dict[str, TeamResult]
    changed: dict[str, TeamResult]

    @classmethod
    def of(cls, game: Game, what_if: WhatIf) -> "WhatIfResult":
        return cls(what_if, *game.what_if(what_if.number, what_if.team, what_if.values))


def _what_if_section(game: Game, result: WhatIfResult, lang: Lang) -> str:
    w, what_if, played, changed = WORDS[lang], result.what_if, result.played, result.changed
    levers = {lv.key: lv for lv in game.rules.team(what_if.team).levers}
    change = "; ".join(f"{lever_label(levers[k], lang)} = {value_text(v)}" for k, v in what_if.values.items()) or w["none"]
    rows = [[team, money(played[team].contribution), money(changed[team].contribution),
             money(changed[team].contribution - played[team].contribution),
             percent(played[team].share), percent(changed[team].share)] for team in game.rules.names]
    head = [w["team"], f"{w['profit']} {w['as_played']}", f"{w['profit']} {w['changed']}", w["difference"],
            f"{w['share']} {w['as_played']}", f"{w['share']} {w['changed']}"]
    text = w["what_if_text"].format(n=what_if.number, team=what_if.team, change=change)
    return f"<h2>{esc(w['what_if'])}</h2><p>{esc(text)}</p>" + table(head, rows)


def render_debrief(game: Game, lang: Lang, what_if: WhatIfResult | None = None) -> str:
    """The debrief page as one string (charts and the Chinese glyphs it uses embedded)."""
    w, spec = WORDS[lang], game.spec
    facts = w["facts"].format(teams=len(spec.teams), rounds=game.played(), days=spec.days_per_round,
                              population=f"{game.rules.scenario.world.population:,}", seed=spec.seed)
    board = [[str(i + 1), team, money(total)] for i, (team, total) in enumerate(standings(game))]
    levers = game.rules.teams[0].levers
    body = [f"<h1>{esc(w['debrief_title'].format(name=spec.name))}</h1><p class='muted'>{esc(facts)}</p>",
            f"<h2>{esc(w['leaderboard'])}</h2>", table(["#", w["team"], w["cumulative"]], board, 2)]
    if game.played():
        body += [f"<h2>{esc(w['charts'])}</h2>", f"<img alt='{esc(w['charts'])}' src='data:image/png;base64,{_overview_chart(game, lang)}'>",
                 f"<img alt='{esc(w['revenue'])}' src='data:image/png;base64,{_channel_chart(game, lang)}'>",
                 f"<h2>{esc(w['key_decisions'])}</h2>",
                 table([w["rounds"], w["team"], "", *(lever_label(lv, lang) for lv in levers)], _decision_rows(game, lang), 3)]
    if what_if is not None:
        body.append(_what_if_section(game, what_if, lang))
    page = "".join(body)
    return document(w["debrief_title"].format(name=spec.name), page, lang, fonts=font_face_css(re.sub(r"<[^>]+>", "", page)))


def write_debrief(game: Game, out: Path, what_if: WhatIf | None = None) -> list[Path]:
    """Write ``debrief.zh.html`` and ``debrief.en.html`` in ``out``; their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = what_if or default_what_if(game)
    replayed = WhatIfResult.of(game, chosen) if chosen is not None else None
    paths = []
    for lang in LANGS:
        path = out / f"debrief.{lang}.html"
        path.write_text(render_debrief(game, lang, replayed), encoding="utf-8")
        paths.append(path)
    return paths
