"""The workshop dashboard page: Mesa's SolaraViz with socsim's levers and charts.

Served by :func:`sim.dashboard.server.serve` (``socsim dashboard``); the setup (scenario,
brand, population) comes from the environment (:func:`sim.dashboard.server.setup_from_env`).

Layout
------
* sidebar — Mesa's controls (Reset, ▶ Run / ❚❚ Pause, Step), the setup that applies at
  Reset (seed, side-by-side mode), and the levers of the brand (live: a lever moved
  mid-run holds from that day on);
* main area — KPIs so far, the AIPL funnel, orders and profit by channel, spill-over
  share, active group leaders with the price gap, and a sampled ego network coloured by
  funnel stage; one panel per strategy in side-by-side mode.

Only Mesa API that Mesa 3.3 and 3.5 share is used: ``SolaraViz(model, components=[...],
model_params=..., name=..., play_interval=...)`` with components given as callables of
the model, and ``mesa.visualization.utils.update_counter``. Charts are matplotlib PNGs
(no Altair, which would fetch vega from a CDN).
"""

from __future__ import annotations

import html
from typing import Any, Callable

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from .charts import (ego_figure, ego_for, funnel_figure, kpi_rows, leaders_figure, orders_figure, profit_figure, snapshot,
                     spillover_figure)
from .levers import Lever
from .server import setup_from_env
from .workshop import ARMS, WorkshopModel, WorkshopState

__all__ = ["Page", "COMPONENTS", "CHARTS", "model_params"]

_DAYS_PER_STEP = (1, 7, 30)


# --------------------------------------------------------------------------- levers (sidebar)
def _shown(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


@solara.component
def LeverControl(lever: Lever, value: Any, on_value: Callable[[Any], None]):
    """One lever as a slider (its value in the label), a select or a switch."""
    if lever.kind == "switch":
        solara.Switch(label=lever.label, value=bool(value), on_value=on_value)
    elif lever.kind == "choice":
        solara.Select(label=lever.label, values=list(lever.choices), value=value, on_value=on_value)
    else:
        slider = solara.SliderInt if lever.integer else solara.SliderFloat
        cast = int if lever.integer else float
        slider(f"{lever.label}: {_shown(value)}", value=cast(value), min=cast(lever.low), max=cast(lever.high),
               step=cast(lever.step), on_value=on_value)


@solara.component
def LeverPanel(model: WorkshopModel):
    """The brand's levers for one strategy; a change acts from today (day 0: from the start)."""
    arm, set_arm = solara.use_state("A")
    note, set_note = solara.use_state("")
    _, set_version = solara.use_state(0)
    arm = arm if arm in model.arms else "A"
    state = model.state

    def change(key: str, value: Any) -> None:
        set_note(model.set_lever(arm, key, value))
        set_version(lambda v: v + 1)
        force_update()

    def back_to_scenario() -> None:
        model.reset_levers(arm)
        set_note(f"{arm}: levers back to the scenario's values" + (f" from day {model.day}" if model.day else ""))
        set_version(lambda v: v + 1)
        force_update()

    def days_per_step(value: str) -> None:
        state.days_per_step = int(value)
        set_version(lambda v: v + 1)

    with solara.Card(f"Levers of {state.levers.brand}", classes=["socsim-levers"]):
        if len(model.arms) > 1:
            solara.ToggleButtonsSingle(value=arm, values=list(ARMS[: len(model.arms)]), on_value=set_arm)
            solara.Text(f"Editing strategy {arm}; both share seed {model.seed_used}.")
        values = state.values(arm)
        for lever in state.levers.levers:
            LeverControl(lever, values[lever.key], lambda v, key=lever.key: change(key, v)).key(f"{arm}-{lever.key}")
        solara.Button("Back to the scenario's values", on_click=back_to_scenario, outlined=True, small=True)
        solara.Select(label="Days per Step", values=[str(d) for d in _DAYS_PER_STEP], value=str(state.days_per_step),
                      on_value=days_per_step)
        solara.Text(note or "Levers act at once: on day 0 from the start, later from that day on.")
        with solara.Details("Repeat from day 0 on the command line"):
            solara.HTML(tag="pre", unsafe_innerHTML=html.escape(model.command(arm)), classes=["socsim-command"])


# --------------------------------------------------------------------------- main area
def _html_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain HTML table (solara.Markdown would fetch KaTeX from a CDN)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="socsim-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _key(model: WorkshopModel) -> list:
    """What a chart depends on: the model object, its day, its strategies."""
    return [id(model), model.day, len(model.arms)]


@solara.component
def Kpis(model: WorkshopModel):
    """KPIs so far, one column per strategy, and the lever changes made during the run.

    Also puts the lever panel into the sidebar: rendered from here, deep in SolaraViz's
    tree, it comes after SolaraViz's own controls (the sidebar orders by depth).
    """
    update_counter.get()
    with solara.Sidebar():
        LeverPanel(model).key(f"levers-{id(model)}")
    header, rows = kpi_rows(model)
    day, dates = model.day, model.arms["A"].model.calendar.dates
    when = f"day {day} of {model.days} — {dates[day - 1]:%d %b %Y}" if day else f"day 0 of {model.days}"
    log = [f"{c.arm}, day {c.day} ({c.date:%d %b}): {c.key} → {c.value}" for a in model.arms.values() for c in a.log]
    with solara.Card(f"{model.state.base.name}, seed {model.seed_used}: {when}", margin=0, classes=["socsim-kpis"]):
        solara.HTML(tag="div", unsafe_innerHTML=_html_table(header, rows))
        if log:
            solara.HTML(tag="div", unsafe_innerHTML="<b>Lever changes during the run</b><br>" +
                        "<br>".join(html.escape(line) for line in log[-8:]))


#: Chart name (CSS class ``socsim-<name>``) → how to draw it from the model.
CHARTS: dict[str, Callable[[WorkshopModel], Figure]] = {
    "funnel": lambda m: funnel_figure(snapshot(m)),
    "orders": lambda m: orders_figure(snapshot(m)),
    "profit": lambda m: profit_figure(snapshot(m)),
    "spillover": lambda m: spillover_figure(snapshot(m)),
    "leaders": lambda m: leaders_figure(snapshot(m)),
    "ego": lambda m: ego_figure(snapshot(m), ego_for(m)),
}


@solara.component
def Chart(model: WorkshopModel, name: str):
    """One chart, redrawn only when the model, its day or its strategies change."""
    update_counter.get()
    key = _key(model)
    figure = solara.use_memo(lambda: CHARTS[name](model), key)
    with solara.Card(margin=0, classes=["socsim-chart", f"socsim-{name}"]):
        solara.FigureMatplotlib(figure, dependencies=key, format="png")


#: Main-area components, in grid order; each is a callable of the current model.
COMPONENTS = (Kpis, *(lambda m, name=name: Chart(m, name) for name in CHARTS))


def model_params(state: WorkshopState) -> dict[str, Any]:
    """SolaraViz parameters: the state (fixed) and the setup that applies at Reset."""
    return {
        "state": state,
        "seed": {"type": "InputText", "value": str(state.base.simulation.seed), "label": "Seed (applies at Reset)"},
        "side_by_side": {"type": "Checkbox", "value": False, "label": "Side by side: strategy A vs B (at Reset)"},
    }


_CSS = """
.socsim-chart img { max-width: 100%; height: auto; }
.socsim-kpis { height: 100%; overflow-y: auto; }
.socsim-levers .v-input__slot { margin-bottom: 0; }
.socsim-table { border-collapse: collapse; font-size: 14px; margin: 4px 0 8px 0; }
.socsim-table th, .socsim-table td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
.socsim-table td:first-child, .socsim-table th:first-child { text-align: left; }
.socsim-command { white-space: pre-wrap; word-break: break-all; font-size: 12px; }
"""


@solara.component
def Page():
    """The dashboard: one model per browser session, levers kept across Reset."""
    state = solara.use_memo(lambda: WorkshopState.from_setup(setup_from_env()), [])
    initial = solara.use_memo(lambda: WorkshopModel(state), [])
    model = solara.use_reactive(initial)
    solara.Style(_CSS)
    SolaraViz(model, components=[lambda m, c=c: c(m) for c in COMPONENTS], model_params=model_params(state),
              name=f"socsim workshop — {state.base.name}", play_interval=150)
