"""The workshop dashboard page: one screen for a room, in English or Chinese.

Served by :func:`sim.dashboard.server.serve` (``socsim dashboard``); the setup (scenario,
brand, population) and the starting language come from the environment
(:func:`sim.dashboard.server.setup_from_env`, :func:`sim.dashboard.server.lang_from_env`).

Layout (fits 1366 × 768 and 1920 × 1080 without scrolling; charts are drawn at the
size of their box at 1920 × 1080, :data:`~sim.dashboard.charts.SIZE_PX`)
-------------------------------------------------------------------------------------
* top bar — scenario, day and date, Step / ▶ Run / ❚❚ Pause / Reset, days per Step,
  and the 中文 / English switch;
* left column — the brand's levers (live: a lever moved mid-run holds from that day on),
  the setup that applies at Reset (seed, A vs B) and the command that repeats the run;
* main area — six charts in two columns (AIPL funnel, orders and contribution by channel,
  spill-over, group leaders with the price gap, a sampled ego network) and the KPI table.

The model is a Mesa model (:class:`~sim.dashboard.workshop.WorkshopModel`); the page is
plain Solara rather than Mesa's SolaraViz, whose generic controls (play interval, threads,
a step counter beside the day, page tabs) mean nothing to a room. Charts are matplotlib
PNGs (no Altair, which would fetch vega from a CDN).
"""

from __future__ import annotations

import asyncio
import html
from functools import lru_cache
from typing import Any, Callable

import solara

from ..fonts import WEB_FAMILY, font_face_css
from ..market.channels import CHANNEL_NAMES_ZH
from .charts import FIGURES, kpi_rows, render_charts
from .levers import Lever
from .server import lang_from_env, setup_from_env
from .text import LANGS, TEXT, say
from .workshop import ARMS, WorkshopModel, WorkshopState

__all__ = ["Page", "CHART_NAMES"]

_DAYS_PER_STEP = (1, 7, 30)
#: Pause between steps while running (s): the room sees each week land.
_PLAY_PAUSE = 0.15
#: Charts in page order (CSS class ``socsim-<name>``).
CHART_NAMES = tuple(FIGURES)


def _shown(value: Any, lang: str = "en") -> str:
    if isinstance(value, bool):
        return say("on" if value else "off", lang)
    if isinstance(value, str):
        return value
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _choice(lever: Lever, value: str, lang: str) -> str:
    key = f"{lever.key}.{value}"
    return say(key, lang) if key in TEXT else value


def _div(classes: str):
    """A plain ``<div>`` with CSS classes (Solara's Column and Row force ``display: flex``)."""
    return solara.v.Html(tag="div", class_=classes)


# --------------------------------------------------------------------------- levers (left column)
@solara.component
def LeverControl(lever: Lever, value: Any, on_value: Callable[[Any], None], lang: str):
    """One lever as a slider (its value in the label), a select or a switch, labelled in ``lang``."""
    label = lever.name(lang)
    if lever.kind == "switch":
        solara.Switch(label=label, value=bool(value), on_value=on_value)
    elif lever.kind == "choice":
        shown = {_choice(lever, c, lang): c for c in lever.choices}
        solara.Select(label=label, values=list(shown), value=_choice(lever, value, lang),
                      on_value=lambda text: on_value(shown[text]))
    else:
        slider = solara.SliderInt if lever.integer else solara.SliderFloat
        cast = int if lever.integer else float
        slider(f"{label}: {_shown(value)}", value=cast(value), min=cast(lever.low), max=cast(lever.high),
               step=cast(lever.step), on_value=on_value)


@solara.component
def LeverPanel(model: WorkshopModel, lang: str):
    """The brand's levers for one strategy; a change acts from today (day 0: from the start)."""
    arm, set_arm = solara.use_state("A")
    note, set_note = solara.use_state("")
    _, set_version = solara.use_state(0)
    arm = arm if arm in model.arms else "A"
    levers = model.state.levers

    def change(key: str, value: Any) -> None:
        model.set_lever(arm, key, value)
        set_note(say("lever_note", lang, arm=arm, lever=levers[key].name(lang), value=_shown(value, lang), day=model.day))
        set_version(lambda v: v + 1)

    def back_to_scenario() -> None:
        model.reset_levers(arm)
        set_note(say("levers_back", lang, arm=arm, day=model.day))
        set_version(lambda v: v + 1)

    with _div("socsim-levers"):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(say("levers_of", lang, brand=levers.brand)),
                    classes=["socsim-heading"])
        if len(model.arms) > 1:
            solara.ToggleButtonsSingle(value=arm, values=list(ARMS[: len(model.arms)]), on_value=set_arm)
            solara.Text(say("editing", lang, arm=arm, seed=model.seed_used))
        values = model.state.values(arm)
        for lever in levers.levers:
            LeverControl(lever, values[lever.key], lambda v, key=lever.key: change(key, v), lang
                         ).key(f"{arm}-{lever.key}-{lang}")
        solara.Button(say("back_to_scenario", lang), on_click=back_to_scenario, outlined=True, small=True)
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(note or say("levers_act", lang)), classes=["socsim-note"])
        with solara.Details(say("repeat", lang)):
            solara.HTML(tag="pre", unsafe_innerHTML=html.escape(model.command(arm)), classes=["socsim-command"])


@solara.component
def SetupPanel(seed: solara.Reactive[str], side_by_side: solara.Reactive[bool], lang: str):
    """What applies at Reset: the seed and the A vs B mode. Its own component, so a Step
    (which re-renders the page) does not re-render the levers or these."""
    with _div("socsim-setup"):
        solara.InputText(say("seed", lang), value=seed)
        solara.Switch(label=say("side_by_side", lang), value=side_by_side)


# --------------------------------------------------------------------------- main area
def _html_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain HTML table (solara.Markdown would fetch KaTeX from a CDN)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="socsim-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


@solara.component
def Kpis(model: WorkshopModel, lang: str, version: int):
    """KPIs so far, one column per strategy, and the latest lever changes made during the run
    (``version``, the Step counter, is what changes when the model has moved on)."""
    header, rows = kpi_rows(model, lang)
    levers = model.state.levers
    log = [say("change_line", lang, arm=c.arm, day=c.day, date=f"{c.date:%m-%d}", lever=levers[c.key].name(lang),
               value=_shown(c.value, lang)) for a in model.arms.values() for c in a.log]
    text = _html_table(header, rows)
    if log:
        text += f"<b>{html.escape(say('changes', lang))}</b><br>" + "<br>".join(html.escape(line) for line in log[-6:])
    with _div("socsim-kpis socsim-cell"):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(say("kpis", lang)), classes=["socsim-heading"])
        solara.HTML(tag="div", unsafe_innerHTML=text)


@solara.component
def Chart(name: str, png: bytes, title: str):
    """One chart: its title in HTML, the PNG scaled to fit the cell."""
    with _div(f"socsim-chart socsim-{name} socsim-cell"):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(title), classes=["socsim-chart-title"])
        solara.Image(png, format="png")


# --------------------------------------------------------------------------- the page
_CSS = """
html, body { overflow: hidden; }
.v-application, .socsim-page { font-family: Roboto, {cjk}, sans-serif !important; }
.socsim-page { position: fixed; inset: 0; display: grid; grid-template-rows: auto minmax(0, 1fr);
  grid-template-columns: clamp(250px, 17vw, 320px) minmax(0, 1fr); background: #f4f5f7; font-size: 14px; z-index: 5; }
.socsim-bar { grid-column: 1 / span 2; display: flex; align-items: center; gap: 10px; padding: 4px 12px;
  background: #1f3a5f; color: white; min-height: 48px; flex-wrap: nowrap; }
.socsim-bar .socsim-title { font-size: 17px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.socsim-bar .socsim-day { font-size: 17px; white-space: nowrap; margin-right: auto; }
.socsim-bar .v-btn { font-size: 15px; text-transform: none; }
.socsim-bar .v-select { max-width: 130px; }
.socsim-bar .v-input, .socsim-bar .v-label, .socsim-bar .v-select__selection { color: white !important; font-size: 14px; }
.socsim-side { overflow-y: auto; padding: 6px 10px; background: white; border-right: 1px solid #dde; }
.socsim-levers .v-input { margin-top: 2px; padding-top: 2px; }
.socsim-levers .v-input__slot { margin-bottom: 0; }
.socsim-levers .v-input__slider .v-input__slot { flex-wrap: wrap; }
.socsim-levers .v-input__slider .v-input__slot > .v-label { flex: 1 0 100%; max-width: 100%; white-space: normal; height: auto; }
.socsim-levers .v-btn { margin: 4px 0; max-width: 100%; height: auto !important; min-height: 28px;
  text-transform: none; font-size: 14px; }
.socsim-levers .v-btn__content { white-space: normal; flex-shrink: 1; }
.socsim-levers .v-label, .socsim-levers .v-select__selection { font-size: 14px; }
.socsim-levers .v-messages { min-height: 0; }
.socsim-note { font-size: 14px; color: #444; margin: 4px 0; }
.socsim-heading { font-size: 16px; font-weight: 600; margin: 2px 0 4px 0; }
.socsim-main { display: grid; gap: 8px; padding: 8px; min-height: 0; min-width: 0;
  grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) clamp(240px, 18vw, 360px);
  grid-template-rows: repeat(3, minmax(0, 1fr)); grid-auto-flow: column; }
.socsim-cell { background: white; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.12); padding: 4px 6px;
  min-height: 0; min-width: 0; overflow: hidden; }
.socsim-chart { display: flex; flex-direction: column; }
.socsim-chart-title { font-size: 15px; font-weight: 600; line-height: 20px; height: 20px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; flex: none; }
.socsim-chart > :last-child { flex: 1 1 0; min-height: 0; display: flex; }
.socsim-chart img { width: 100% !important; height: 100% !important; object-fit: contain; min-height: 0; }
.socsim-kpis { grid-column: 3; grid-row: 1 / span 3; overflow-y: auto; font-size: 14px; }
.socsim-table { border-collapse: collapse; font-size: 14px; margin: 0 0 8px 0; width: 100%; }
.socsim-table th, .socsim-table td { padding: 2px 6px; text-align: right; border-bottom: 1px solid #eee; }
.socsim-table td:first-child, .socsim-table th:first-child { text-align: left; }
.socsim-command { white-space: pre-wrap; word-break: break-all; font-size: 13px; }
"""


@solara.component
def Page():
    """The dashboard: one model per browser session, levers kept across Reset."""
    state = solara.use_memo(lambda: WorkshopState.from_setup(setup_from_env()), [])
    model = solara.use_reactive(solara.use_memo(lambda: WorkshopModel(state), []))
    lang = solara.use_reactive(solara.use_memo(lang_from_env, []))
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    seed = solara.use_reactive(str(state.base.simulation.seed))
    side_by_side = solara.use_reactive(False)
    days = solara.use_reactive(state.days_per_step)

    def step() -> None:
        state.days_per_step = days.value
        model.value.step()
        version.set(version.value + 1)

    async def play() -> None:
        while playing.value and model.value.running:
            step()
            await asyncio.sleep(_PLAY_PAUSE)
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=False)

    def reset() -> None:
        playing.set(False)
        model.set(WorkshopModel(state, seed=seed.value, side_by_side=side_by_side.value))
        version.set(version.value + 1)

    m, tongue = model.value, lang.value
    solara.Style(solara.use_memo(lambda: _page_css(tuple(lever.label_zh for lever in state.levers.levers)), []))
    with _div("socsim-page"):
        TopBar(m, tongue, version, playing, days, step, reset, lambda: lang.set(LANGS[1 - LANGS.index(tongue)]))
        with _div("socsim-side"):
            LeverPanel(m, tongue).key(f"levers-{id(m)}")
            SetupPanel(seed, side_by_side, tongue)
        MainArea(m, tongue, version)


# The top bar and the main area read ``version``, the page does not: a Step re-renders
# only them, not the levers.
@solara.component
def TopBar(model: WorkshopModel, lang: str, version: solara.Reactive[int], playing: solara.Reactive[bool],
           days: solara.Reactive[int], step: Callable[[], None], reset: Callable[[], None],
           switch_lang: Callable[[], None]):
    """Scenario, day and date, Step / Run / Pause / Reset, days per Step, the language switch."""
    version.value  # noqa: B018 (re-render after each Step: the day moved)
    with _div("socsim-bar"):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(say("title", lang, scenario=model.state.base.name)),
                    classes=["socsim-title"])
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(_when(model, lang)), classes=["socsim-day"])
        solara.Button(say("step", lang), on_click=step, disabled=playing.value or not model.running,
                      color="white", outlined=True)
        solara.Button(say("pause" if playing.value else "run", lang), on_click=lambda: playing.set(not playing.value),
                      disabled=not model.running, color="white", outlined=True)
        solara.Button(say("reset", lang), on_click=reset, color="white", text=True)
        solara.Select(say("days_per_step", lang), values=list(_DAYS_PER_STEP), value=days, dense=True)
        solara.Button(say("language", lang), on_click=switch_lang, color="white", text=True, classes=["socsim-lang"])


@solara.component
def MainArea(model: WorkshopModel, lang: str, version: solara.Reactive[int]):
    """The six charts and the KPI table, drawn once per Step, strategy set or language."""
    drawn = solara.use_memo(lambda: render_charts(model, lang), [id(model), version.value, len(model.arms), lang])
    with _div("socsim-main"):
        for name in CHART_NAMES:  # direct children of the grid (a component would wrap them)
            Chart(name, *drawn[name]).key(name)
        Kpis(model, lang, version.value)


@lru_cache(maxsize=4)
def _page_css(lever_labels: tuple[str, ...]) -> str:
    """The page's style, with the Chinese glyphs it shows embedded as a web font (a room's
    browser may have no CJK font; ~70 kB for the ~200 characters the page uses)."""
    chinese = " ".join([*(en + zh for en, zh in TEXT.values()), *lever_labels,  # "中文" is an English-page label
                        *CHANNEL_NAMES_ZH.values()])
    return font_face_css(chinese) + _CSS.replace("{cjk}", f"'{WEB_FAMILY}'")


def _when(model: WorkshopModel, lang: str) -> str:
    """"day 56 of 365 — 25 Feb 2026" (the date only once a day has been simulated)."""
    day, dates = model.day, model.arms["A"].model.calendar.dates
    text = say("day_of", lang, day=day, days=model.days)
    if day:
        text += f" — {dates[day - 1]:%Y-%m-%d}" if lang == "zh" else f" — {dates[day - 1]:%d %b %Y}"
    return text
