"""Figures of a running workshop market: one panel per strategy, side by side.

Each figure is drawn from a :class:`ArmView`, a copy of what the charts need taken under
the model's lock (the Run button steps the model in another thread). Figures are plain
``matplotlib.figure.Figure`` objects (no pyplot state), so they are safe to draw from
any thread and are freed when dropped; :func:`render_charts` keeps each chart's figure with
its model and draws the next Step on it.

The ego network is a small sample of the social graph (at most :data:`EGO_NODES`
consumers: one ego and her strongest ties first), laid out once with a seeded spring
layout; only the colours (AIPL stage of the levers' brand) change as the market runs.
The whole graph is never laid out.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import weakref
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import AutoLocator, FuncFormatter, PercentFormatter, ScalarFormatter

from ..fonts import cjk_plots
from ..graph.csr import SocialGraph
from ..market.channels import channel_name
from ..market.signals import WECHAT_SEEDED
from ..metrics import brand_kpis
from ..model import MarketModel
from ..population import Stage
from .text import say
from .workshop import WorkshopModel

__all__ = ["ArmView", "EgoNet", "snapshot", "ego_for", "ego_network", "funnel_figure", "orders_figure", "profit_figure",
           "spillover_figure", "leaders_figure", "ego_figure", "chart_title", "chart_png", "render_charts", "kpi_rows", "FIGURES",
           "EGO_NODES", "SIZE_PX", "FONT_PT"]

#: Most consumers drawn in the ego network (the ego included).
EGO_NODES = 60
#: Every chart's size in pixels (one or two strategy panels): what a chart's box holds at
#: 1920 × 1080 in the page's layout, so it shows there at about 1:1.
SIZE_PX = (600, 300)
#: Resolution of the charts (dots per inch).
DPI = 100
#: Smallest type in the charts, in points (11 pt at :data:`DPI` = 15.3 px at 1:1).
FONT_PT = 11.0
_STAGE_COLOURS = ("#d9d9d9", "#9ecae1", "#fdbf6f", "#fb6a4a", "#a50f15")  # none, A, I, P, L
_STAGE_KEYS = ("stage.none", "stage.aware", "stage.interested", "stage.purchased", "stage.loyal")
_FUNNEL_COLOURS = _STAGE_COLOURS[1:]
_CHANNEL_COLOURS = {"tmall": "#e4002b", "wechat": "#07a35a", "jd": "#7b2cbf"}
_FOLLOWER = "#07a35a"
_RINGS = np.array(["intimate", "close", "friends", "acquaintances"])  # Dunbar layers, inner to outer


@dataclass(frozen=True)
class ArmView:
    """What the charts show of one strategy, copied at one moment.

    Attributes
    ----------
    label : str
        "Strategy A" / "Strategy B" (or the brand's name when alone).
    brand : str
    dates : list of datetime.date
        Days simulated so far.
    funnel : ndarray (days, 4)
        AIPL stocks (aware, interested, purchased, loyal), real people.
    channels : tuple of str
        Transacting channels the brand sells on.
    orders, profit : ndarray (days, len(channels))
        Orders and contribution (¥, after COGS, platform fees and marketing) per day and channel.
    seeded : ndarray (days, len(channels))
        Orders seeded by WeChat (push, 1:1 touch, group) per channel.
    marketplace : ndarray (len(channels),) bool
    leaders, gap : ndarray (days,)
        Active group leaders, and the WeChat − marketplace price gap (¥).
    streams : tuple of datetime.date
        Livestream session days of any brand so far (直播带货).
    ego_stage, ego_follower : ndarray (EGO_NODES,)
        AIPL stage and private-domain membership of the ego network's consumers.
    """

    label: str
    brand: str
    dates: list[dt.date]
    funnel: np.ndarray
    channels: tuple[str, ...]
    orders: np.ndarray
    profit: np.ndarray
    seeded: np.ndarray
    marketplace: np.ndarray
    leaders: np.ndarray
    gap: np.ndarray
    streams: tuple[dt.date, ...]
    ego_stage: np.ndarray
    ego_follower: np.ndarray


@dataclass(frozen=True)
class EgoNet:
    """A small subgraph with a fixed layout.

    Attributes
    ----------
    nodes : ndarray (k,)
        Consumer indices; ``nodes[0]`` is the ego.
    edges : ndarray (m, 2)
        Ties as positions in ``nodes``.
    layer : ndarray (m,)
        Dunbar layer of each tie (0 intimate … 3 acquaintance).
    pos : ndarray (k, 2)
        Seeded spring-layout coordinates.
    degree : int
        The ego's contacts in the whole graph.
    ring : ndarray (k - 1,)
        Dunbar layer of the ego's tie to each contact (the ring it is drawn on).
    """

    nodes: np.ndarray
    edges: np.ndarray
    layer: np.ndarray
    pos: np.ndarray
    degree: int
    ring: np.ndarray


# --------------------------------------------------------------------------- snapshots
def snapshot(model: WorkshopModel, lang: str = "en") -> list[ArmView]:
    """Views of every strategy of ``model``, copied under its lock (panel labels in ``lang``)."""
    ego = ego_for(model)
    with model.lock:
        alone = len(model.arms) == 1
        return [_view(arm.model, model.brand_code, arm.model.brands[model.brand_code].name if alone else
                      say("strategy", lang, arm=name), ego) for name, arm in model.arms.items()]


def _view(market: MarketModel, b: int, label: str, ego: EgoNet) -> ArmView:
    t, brand = market.day, market.brands[b]
    keys = market.channels.keys
    codes = [c for c, k in enumerate(keys) if market.channels.transacts[c] and k in brand.base.channels]
    daily = market.datacollector.model_vars
    funnel = np.array([daily[f"{brand.name}.{s}"][:t] for s in Stage.NAMES], dtype=float).T.reshape(t, 4)
    seeded = market.ledger.by_source[:t, b][..., list(WECHAT_SEEDED)].sum(axis=-1)
    return ArmView(
        label=label, brand=brand.name, dates=list(market.calendar.dates[:t]), funnel=funnel,
        channels=tuple(keys[c] for c in codes),
        orders=market.ledger.field("orders")[:t, b][:, codes].copy(),
        profit=market.ledger.field("contribution")[:t, b][:, codes].copy(),
        seeded=seeded[:, codes].copy(), marketplace=np.array([market.channels.roles[c] == "marketplace" for c in codes]),
        leaders=np.asarray(daily[f"{brand.name}.active_leaders"][:t], dtype=float),
        gap=np.asarray(daily[f"{brand.name}.parity_gap"][:t], dtype=float),
        streams=tuple(sorted({s.date for b in market.brands for s in b.spec.strategy.livestreams
                              if t > 0 and s.date <= market.calendar.dates[t - 1]})),
        ego_stage=market.population.stage[ego.nodes, b].copy(),
        ego_follower=market.population.follower[ego.nodes, b].copy(),
    )


# --------------------------------------------------------------------------- ego network
_EGOS: "weakref.WeakKeyDictionary[WorkshopModel, EgoNet]" = weakref.WeakKeyDictionary()


def ego_for(model: WorkshopModel) -> EgoNet:
    """The ego network drawn for ``model`` (built once per model; all strategies share the graph).

    The ego is the brand's first group leader (her group starts with her own contacts),
    else its first KOC, else consumer 0.
    """
    if model not in _EGOS:
        with model.lock:
            market = model.arms["A"].model
            brand = market.brands[model.brand_code]
            people = [g.node for g in brand.leaders] + [k.node for k in brand.kols if k.program.tier == "koc"]
            _EGOS[model] = ego_network(market.graph, people[0] if people else 0, model.seed_used)
    return _EGOS[model]


def ego_network(graph: SocialGraph, node: int, seed: int, max_nodes: int = EGO_NODES) -> EgoNet:
    """``node``, her strongest ties first (up to ``max_nodes`` in all) and the ties among them.

    Contacts are taken layer by layer (intimate, close, friends, acquaintances), in a
    seeded random order within a layer; the layout is ``networkx.spring_layout`` with
    the same seed, on the small subgraph only.
    """
    import networkx as nx

    rng = np.random.default_rng(seed)
    contacts, layers = graph.neighbours(node), graph.neighbour_layers(node)
    order = np.lexsort((rng.random(len(contacts)), layers))[: max_nodes - 1]
    nodes = np.concatenate(([node], contacts[order])).astype(np.int64)
    where = {int(v): i for i, v in enumerate(nodes)}
    edges, layer = [], []
    for i, u in enumerate(nodes.tolist()):
        row, tie = graph.neighbours(u), graph.neighbour_layers(u)
        for v, c in zip(row.tolist(), tie.tolist()):
            j = where.get(v)
            if j is not None and j > i:
                edges.append((i, j))
                layer.append(c)
    g = nx.Graph()
    g.add_nodes_from(range(len(nodes)))
    g.add_edges_from(edges)
    ring = layers[order]
    shells = [[0]] + [list(1 + np.flatnonzero(ring == k)) for k in range(4) if (ring == k).any()]
    pos = nx.shell_layout(g, nlist=shells, rotate=float(rng.uniform(0, np.pi)))
    return EgoNet(nodes, np.array(edges, dtype=np.int64).reshape(-1, 2), np.array(layer, dtype=np.int8),
                  np.array([pos[i] for i in range(len(nodes))]), len(contacts), ring)


# --------------------------------------------------------------------------- figures
def _figure(views: list[ArmView], right: float = 0.2, bottom: float = 0.45,
            reuse: Figure | None = None) -> tuple[Figure, list[Axes]]:
    """One panel per strategy in a figure of :data:`SIZE_PX`; margins fixed in inches (cheaper
    than a layout engine, which costs more than the drawing). The title is the page's, in HTML.

    ``reuse``: a figure this chart drew before for as many strategies, emptied and drawn
    again (:func:`_emptied`): making the panels and their ticks costs a third of a chart.
    """
    if reuse is not None:
        return reuse, _emptied(reuse, len(views))
    width, height = SIZE_PX[0] / DPI, SIZE_PX[1] / DPI
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(1, len(views), squeeze=False, sharey=True)[0])
    fig.subplots_adjust(left=0.75 / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - (0.4 if len(views) > 1 else 0.12) / height, wspace=0.12 + 0.45 * (right > 0.3))
    for ax, view in zip(axes, views):
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=FONT_PT)
        if len(views) > 1:
            ax.set_title(view.label, fontsize=FONT_PT + 1, loc="left")
    for ax in axes[1:]:
        ax.tick_params(labelleft=False)
    return fig, axes


def _emptied(fig: Figure, panels: int) -> list[Axes]:
    """The first ``panels`` axes of ``fig`` as a new one's are: no data, legend, note or twin
    axis, limits, ticks and colours automatic (the tick objects are kept)."""
    axes = fig.axes[:panels]
    for legend in list(fig.legends):
        legend.remove()
    for twin in fig.axes[panels:]:
        fig.delaxes(twin)
    for ax in axes:
        for artist in [*ax.lines, *ax.collections, *ax.texts, *ax.patches]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.relim()
        ax.autoscale(True)
        ax.set_prop_cycle(None)
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(AutoLocator())
            axis.set_major_formatter(ScalarFormatter())
    return axes


def _people(x: float, _pos=None) -> str:
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{unit}"
    return f"{x:.0f}"


def _yuan(x: float, _pos=None) -> str:
    return "¥" + _people(x) if x >= 0 else "−¥" + _people(-x)


#: Date tick formats (year, month, day, …) of :class:`~matplotlib.dates.ConciseDateFormatter` in Chinese.
_ZH_DATES = ["%Y年", "%-m月", "%-d日", "%H:%M", "%H:%M", "%S.%f"]


def _dates(ax: Axes, view: ArmView, lang: str) -> bool:
    """Date axis; False (with a hint, no ticks) when nothing has been simulated yet."""
    if not view.dates:
        ax.text(0.5, 0.5, say("press_step", lang), transform=ax.transAxes, ha="center", va="center", color="grey",
                fontsize=FONT_PT + 2)
        ax.set_xticks([])
        ax.set_yticks([])
        return False
    ax.set_xlim(view.dates[0], view.dates[0] + dt.timedelta(days=max(len(view.dates), 30)))
    locator = mdates.AutoDateLocator(minticks=2, maxticks=3 if ax.get_position().width < 0.5 else 5)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, formats=_ZH_DATES if lang == "zh" else None,
                                                             show_offset=False))
    return True


def _trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` days (fewer at the start), along axis 0."""
    total = np.cumsum(x, axis=0)
    total[window:] = total[window:] - total[:-window]
    days = np.minimum(np.arange(1, len(x) + 1), window)
    return total / days.reshape(-1, *([1] * (x.ndim - 1)))


def _legend(ax: Axes, **where) -> None:
    ax.legend(fontsize=FONT_PT, handlelength=1.2, borderpad=0.3, labelspacing=0.25, framealpha=0.8, **where)


def funnel_figure(views: list[ArmView], lang: str = "en", reuse: Figure | None = None) -> Figure:
    """AIPL stocks (people) of the levers' brand over time (``reuse``: see :func:`_figure`)."""
    fig, axes = _figure(views, reuse=reuse)
    for ax, view in zip(axes, views):
        if _dates(ax, view, lang):
            for i, name in enumerate(Stage.NAMES):
                ax.plot(view.dates, view.funnel[:, i], color=_FUNNEL_COLOURS[i], lw=2, label=say(f"stage.{name}", lang))
            ax.yaxis.set_major_formatter(FuncFormatter(_people))
            ax.set_ylim(bottom=0)
    if views[0].dates:
        _legend(axes[0], loc="upper left")
    return fig


def _channel_lines(views: list[ArmView], series, money: bool, lang: str, reuse: Figure | None) -> Figure:
    fig, axes = _figure(views, reuse=reuse)
    for ax, view in zip(axes, views):
        if _dates(ax, view, lang):
            values = series(view)
            for c, key in enumerate(view.channels):
                ax.plot(view.dates, values[:, c], color=_CHANNEL_COLOURS.get(key), lw=2, label=channel_name(key, lang))
            ax.axhline(0, color="black", lw=0.6)
            ax.yaxis.set_major_formatter(FuncFormatter(_yuan if money else _people))
    if views[0].dates:
        _legend(axes[0], loc="upper left")
    return fig


def orders_figure(views: list[ArmView], lang: str = "en", reuse: Figure | None = None) -> Figure:
    """Orders a day by channel (7-day mean), with every brand's livestream days so far (dotted)."""
    fig = _channel_lines(views, lambda v: _trailing_mean(v.orders, 7), money=False, lang=lang, reuse=reuse)
    for ax, view in zip(fig.axes, views):
        for i, day in enumerate(view.streams):
            ax.axvline(day, color="#7a3cff", lw=0.8, ls=":", label=None if i else say("livestream", lang))
    if views[0].streams:
        _legend(fig.axes[0], loc="upper left")
    return fig


def profit_figure(views: list[ArmView], lang: str = "en", reuse: Figure | None = None) -> Figure:
    """Cumulative contribution by channel (¥, after COGS, platform fees and marketing spend)."""
    return _channel_lines(views, lambda v: np.cumsum(v.profit, axis=0), money=True, lang=lang, reuse=reuse)


def spillover_figure(views: list[ArmView], lang: str = "en", reuse: Figure | None = None) -> Figure:
    """Share of WeChat-seeded orders that closed on the marketplace, since day 0.

    Cumulative rather than rolling: at workshop size WeChat-seeded orders are few a day,
    and a short window would mostly show noise. The legend gives how many there were;
    the dashed line is the practitioners' "at least half" (Xia 2019).
    """
    fig, axes = _figure(views, reuse=reuse)
    for ax, view in zip(axes, views):
        if _dates(ax, view, lang):
            market = np.cumsum(view.seeded[:, view.marketplace].sum(axis=1))
            total = np.cumsum(view.seeded.sum(axis=1))
            share = np.divide(market, total, out=np.full(len(total), np.nan), where=total > 0)
            ax.plot(view.dates, share, color="#3b75af", lw=2, label=say("spill_share", lang, orders=_people(total[-1])))
            ax.axhline(0.5, color="grey", ls="--", lw=1, label=say("practitioners", lang))
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            _legend(ax, loc="lower left")
    return fig


def leaders_figure(views: list[ArmView], lang: str = "en", reuse: Figure | None = None) -> Figure:
    """Active group leaders, and the WeChat − marketplace price gap that makes them quit."""
    fig, axes = _figure(views, right=0.6, reuse=reuse)
    span = max([5.0] + [float(np.nanmax(np.abs(v.gap))) * 1.1 for v in views if len(v.gap)])
    for i, (ax, view) in enumerate(zip(axes, views)):
        if not _dates(ax, view, lang):
            continue
        twin = ax.twinx()
        leaders = ax.plot(view.dates, view.leaders, color="#07a35a", lw=2, label=say("active_leaders", lang))
        gap = twin.plot(view.dates, view.gap, color="#e4002b", lw=1.2, ls="--", label=say("price_gap", lang))
        twin.axhline(0, color="#e4002b", lw=0.4)
        twin.set_ylim(-span, span)
        twin.tick_params(labelsize=FONT_PT, colors="#e4002b", labelright=i == len(views) - 1)
        ax.set_ylim(bottom=0, top=max(10.0, float(np.max([v.leaders.max() for v in views])) * 1.3))
        if i == 0:
            _legend(ax, handles=leaders + gap, loc="upper left", ncol=2)
    return fig


def ego_figure(views: list[ArmView], ego: EgoNet, lang: str = "en", reuse: Figure | None = None) -> Figure:
    """The sampled ego network, consumers coloured by AIPL stage of the levers' brand."""
    fig, axes = _figure(views, right=0.05, bottom=0.55, reuse=reuse)
    fig.subplots_adjust(left=0.05)
    own = ego.edges[:, 0] == 0
    for ax, view in zip(axes, views):
        for mask, width, alpha in ((~own, 0.3, 0.08), (own, 0.8, 0.5)):
            ax.add_collection(LineCollection(ego.pos[ego.edges[mask]], colors="#6b6b6b", linewidths=width,
                                             alpha=alpha, zorder=1))
        for radius, name in zip(np.unique(np.hypot(*ego.pos[1:].T).round(3)), _RINGS[np.unique(ego.ring)]):
            ax.text(0, radius + 0.03, say(f"ring.{name}", lang), ha="center", fontsize=FONT_PT - 1, color="#555555",
                    zorder=3)
        colours = [_STAGE_COLOURS[s] for s in view.ego_stage]
        edge = np.where(view.ego_follower, _FOLLOWER, "#4d4d4d")
        sizes = np.full(len(ego.nodes), 40.0 if len(views) > 1 else 55.0)
        sizes[0] *= 4
        ax.scatter(*ego.pos.T, c=colours, s=sizes, edgecolors=edge, linewidths=np.where(view.ego_follower, 2.0, 0.6),
                   zorder=2)
        ax.set_aspect("equal")
        ax.set_axis_off()
    handles = [Line2D([0], [0], marker="o", ls="", markerfacecolor=c, markeredgecolor="#4d4d4d", label=say(key, lang))
               for c, key in zip(_STAGE_COLOURS, _STAGE_KEYS)]
    handles.append(Line2D([0], [0], marker="o", ls="", markerfacecolor="white", markeredgecolor=_FOLLOWER,
                          markeredgewidth=2, label=say("follower", lang)))
    fig.legend(handles=handles, fontsize=FONT_PT, loc="lower center", ncol=3, frameon=False, handletextpad=0.1,
               columnspacing=0.8, labelspacing=0.2)
    return fig


def chart_title(name: str, views: list[ArmView], ego: EgoNet, lang: str = "en") -> str:
    """The title shown above chart ``name`` (a key of :data:`FIGURES`)."""
    return say(f"chart.{name}", lang, brand=views[0].brand, shown=len(ego.nodes) - 1, ego=int(ego.nodes[0]),
               degree=ego.degree)


#: Chart name → how to draw it from the views (and the ego network), in page order.
FIGURES = {
    "funnel": lambda views, ego, lang, reuse: funnel_figure(views, lang, reuse),
    "orders": lambda views, ego, lang, reuse: orders_figure(views, lang, reuse),
    "profit": lambda views, ego, lang, reuse: profit_figure(views, lang, reuse),
    "spillover": lambda views, ego, lang, reuse: spillover_figure(views, lang, reuse),
    "leaders": lambda views, ego, lang, reuse: leaders_figure(views, lang, reuse),
    "ego": lambda views, ego, lang, reuse: ego_figure(views, ego, lang, reuse),
}


def chart_png(name: str, views: list[ArmView], ego: EgoNet, lang: str = "en", reuse: dict | None = None) -> bytes:
    """Chart ``name`` as PNG bytes of :data:`SIZE_PX` (Chinese glyphs available when ``lang`` is "zh").

    Drawn and encoded in one place, inside the font context, because tick labels are
    made at drawing time; fast PNG compression (level 1: a few kB more, ~10 % less time).
    ``reuse``: where the chart's figure is kept to be drawn again next time (per chart,
    number of strategies and language; see :func:`_figure`).
    """
    key = (name, len(views), lang)
    with cjk_plots() if lang == "zh" else nullcontext():
        fig = FIGURES[name](views, ego, lang, None if reuse is None else reuse.get(key))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    if reuse is not None:
        reuse[key] = fig
    return buffer.getvalue()


#: Per model: (a lock, the figures its charts drew last, to draw again; see :func:`chart_png`).
_KEPT: "weakref.WeakKeyDictionary[WorkshopModel, tuple[threading.Lock, dict]]" = weakref.WeakKeyDictionary()


def render_charts(model: WorkshopModel, lang: str = "en") -> dict[str, tuple[bytes, str]]:
    """Every chart of ``model`` now: name → (PNG bytes, title), from one snapshot (what a Step redraws).

    Each chart redraws the figure it drew last time for this model (a render that finds
    another still drawing them draws new ones).
    """
    views, ego = snapshot(model, lang), ego_for(model)
    lock, kept = _KEPT.setdefault(model, (threading.Lock(), {}))
    with _held(lock) as mine:
        reuse = kept if mine else None
        return {name: (chart_png(name, views, ego, lang, reuse), chart_title(name, views, ego, lang)) for name in FIGURES}


@contextmanager
def _held(lock: threading.Lock):
    """Hold ``lock`` if it is free; yield whether it is held."""
    mine = lock.acquire(blocking=False)
    try:
        yield mine
    finally:
        if mine:
            lock.release()


# --------------------------------------------------------------------------- KPI table
_KPI_ROWS = (
    ("revenue", _yuan), ("gross_profit", _yuan), ("marketing_spend", _yuan), ("contribution", _yuan),
    ("roi", lambda x: f"{x:.2f}"), ("orders", _people), ("order_share", lambda x: f"{x:.0%}"), ("spillover_share", lambda x: "–" if x != x else f"{x:.0%}"),
    ("private_domain", _people), ("active_leaders", lambda x: f"{x:.0f}"),
)


def kpi_rows(model: WorkshopModel, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Header and rows of the KPI table so far: one column per strategy, labels in ``lang``."""
    with model.lock:
        kpis = {name: brand_kpis(arm.model, model.brand_code) for name, arm in model.arms.items()}
    header = ["", *(say("strategy", lang, arm=name) for name in kpis)] if len(kpis) > 1 else ["", model.state.levers.brand]
    rows = [[say(f"kpi.{key}", lang), *(fmt(k[key]) for k in kpis.values())] for key, fmt in _KPI_ROWS]
    channels = sorted({c for k in kpis.values() for c in k["channels"]})
    rows[5:5] = [[say("kpi.orders_on", lang, channel=channel_name(c, lang)),
                  *(_people(k["channels"].get(c, {}).get("orders", 0.0)) for k in kpis.values())] for c in channels]
    with model.lock:
        rows += _rival_rows([arm.model for arm in model.arms.values()], model.brand_code, lang)
    return header, rows


def _rival_rows(markets: list[MarketModel], own: int, lang: str) -> list[list[str]]:
    """What the room sees of the rivals today: each rival's price per channel (what a
    shopper pays there) and the competitor responses it has made so far."""
    rows = []
    for rival in markets[0].brands:
        if rival.code == own:
            continue
        for c, key in enumerate(markets[0].channels.keys):
            if markets[0].channels.transacts[c] and key in rival.base.channels:
                rows.append([say("kpi.rival_price", lang, rival=rival.name, channel=channel_name(key, lang)),
                             *(_price_today(m.brands[rival.code], c) for m in markets)])
        if rival.desk is not None:
            rows.append([say("kpi.rival_moves", lang, rival=rival.name),
                         *(str(sum(e.what in ("start", "move") for e in m.brands[rival.code].desk.log)) for m in markets)])
    return rows


def _price_today(brand, c: int) -> str:
    prices = brand.prices
    return "–" if prices is None or not prices.listed[c] else _yuan(float(prices.effective[c]))
