"""PNG plots of one run, readable by a marketing audience.

:func:`run_plots` writes one picture per question a marketer asks of a run: how the
AIPL funnel filled, where orders and revenue closed (618 and Double 11 marked), whether
marketing paid back, how much WeChat seeding spilled over to the marketplace, how the
group-leader network held up against the price gap, how the private domain grew, and
the totals per brand.

Money is in real yuan and counts in real people, as booked in the ledger
(:mod:`sim.ledger`). Figures are :class:`~matplotlib.figure.Figure` objects in the one
style of :mod:`sim.plots.style`, saved at :data:`~sim.plots.style.DPI`.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..errors import SocsimError
from ..ledger import FIELDS, MARKETING_FIELDS, N_SOURCES
from ..market.channels import channel_name
from ..market.signals import WECHAT_SEEDED
from ..population import Stage
from . import MAIN_PLOTS, PLOT_FILES
from .style import DPI, figure, format_number, format_y, legend_or_note, mark_events, note, save_png, style_axes

if TYPE_CHECKING:  # pragma: no cover
    from ..simulation import RunResult

__all__ = ["run_plots", "PLOT_FILES", "MAIN_PLOTS", "DPI", "PlotInputError", "event_days", "spillover_series", "rolling_sum",
           "weekly"]

SPILLOVER_WINDOW = 28  # days in the rolling spill-over share
WEEK = 7
_GAP_SPAN = 5.0  # ¥: the parity-gap axis shows at least ±this (a leader's typical tolerance)

_SIZE = (10.0, 5.5)  # inches
_FOOTER_STRIP = 0.03  # share of the figure's height kept under the panels for the footer
_CHANNEL_COLOURS = {"tmall": "#e4002b", "wechat": "#07a35a", "douyin": "#25262b", "jd": "#7b2cbf"}
_EVENT_NAMES = {"618": "618", "double11": "Double 11", "double12": "Double 12"}
_STAGE_LABELS = {"aware": "Aware", "interested": "Interested", "purchased": "Purchased", "loyal": "Loyal"}
_LINESTYLES = ("-", "--", "-.", ":")
_KPI_BARS = (("revenue", "Revenue", "#3b75af"), ("gross_profit", "Gross profit (revenue − COGS)", "#8cc084"),
             ("marketing_spend", "Marketing spend", "#ef8636"),
             ("contribution", "Contribution (after fees and marketing)", "#2e7d32"))


class PlotInputError(SocsimError):
    """A run result whose arrays do not fit together, so it cannot be plotted."""


# --------------------------------------------------------------------------- entry point
def run_plots(result: "RunResult", folder: Path, names: Sequence[str] = PLOT_FILES) -> list[Path]:
    """Write the PNG plots of one run into ``folder``.

    Parameters
    ----------
    result : RunResult
        The run to plot (:func:`sim.simulation.run`).
    folder : Path
        Where to write; created if missing. Existing files of the same name are replaced.
    names : sequence of str, default :data:`PLOT_FILES` (every plot)
        Which plots to write (file names of :data:`PLOT_FILES`; :data:`MAIN_PLOTS` for the main ones).

    Returns
    -------
    list of Path
        The files written, in the order of :data:`PLOT_FILES`.

    Raises
    ------
    PlotInputError
        If the result's arrays disagree with its dates, brands or channels, or a name is not a plot.

    Notes
    -----
    A plot with nothing to show (no group leaders, no WeChat-seeded orders, no sales)
    is still written, with a note saying so, so a results folder always has every file.
    """
    _check(result)
    unknown = sorted(set(names) - set(PLOT_FILES))
    if unknown:
        raise PlotInputError(f"no plot {', '.join(unknown)}; plots: {', '.join(PLOT_FILES)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in _PLOTS:
        if name not in names:
            continue
        fig = figure(_SIZE)
        draw(result, fig)
        _footer(fig, result)
        paths.append(save_png(fig, folder / name))
    return paths


def _check(result: "RunResult") -> None:
    days, b, c = len(result.dates), len(result.brands), len(result.channels)
    if days == 0:
        raise PlotInputError("result.dates: empty; a run needs at least one day to plot")
    expected = {"books": (days, b, c, len(FIELDS)), "orders_by_source": (days, b, c, N_SOURCES)}
    for name, shape in expected.items():
        got = np.shape(getattr(result, name))
        if got != shape:
            raise PlotInputError(f"result.{name}: shape {got}; expected {shape} = (days, brands, channels, "
                                 f"{'fields' if name == 'books' else 'sources'})")
    for key, values in result.daily.items():
        if np.shape(values) != (days,):
            raise PlotInputError(f"result.daily[{key!r}]: shape {np.shape(values)}; expected ({days},), one value a day")


def _footer(fig: Figure, result: "RunResult") -> None:
    """Name the scenario and seed under the plot, then lay it out."""
    fig.text(0.995, 0.005, f"scenario {result.scenario.name} · seed {result.seed}",
             ha="right", va="bottom", fontsize=8, color="0.5")
    # The footer's strip is added to the bottom margin after one layout pass: the same
    # margins as tight_layout(rect=…), which measures every tick label a second time to get them.
    fig.tight_layout()
    fig.subplots_adjust(bottom=fig.subplotpars.bottom + _FOOTER_STRIP)
    # tight_layout leaves a placeholder layout engine behind, for which savefig lays the
    # figure out once more (a whole draw without pixels, a third of a plot) to no effect
    fig.set_layout_engine(None)


# --------------------------------------------------------------------------- data helpers
def weekly(x: np.ndarray) -> np.ndarray:
    """Trailing 7-day sum along axis 0, NaN until the first full week.

    A run shorter than a week keeps its partial sums (orders so far), so it still shows.
    """
    out = rolling_sum(x, WEEK)
    if len(out) >= WEEK:
        out[: WEEK - 1] = np.nan
    return out


def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing sum over ``window`` days along axis 0.

    Parameters
    ----------
    x : ndarray (days, ...)
    window : int
        Days summed, ≥ 1; the first ``window − 1`` days sum what exists so far.

    Returns
    -------
    ndarray, same shape as ``x``
        ``out[t] = x[max(0, t − window + 1) : t + 1].sum(axis=0)``.
    """
    if window < 1:
        raise ValueError(f"window={window}; choose a window of at least 1 day")
    total = np.cumsum(np.asarray(x, dtype=float), axis=0)
    out = total.copy()
    out[window:] -= total[:-window]
    return out


def event_days(result: "RunResult") -> list[tuple[dt.date, str]]:
    """Platform event days (618, Double 11 …) inside the run, as (date, label), sorted.

    Every ``channels.<key>.events[].date`` ("MM-DD") is placed in each calendar year the
    run covers; a date that does not exist in a year (02-29) is skipped.
    """
    first, last = result.dates[0], result.dates[-1]
    found = set()
    for channel in result.scenario.channels.values():
        for event in channel.events:
            label = _EVENT_NAMES.get(event.name.lower(), event.name)
            for year in range(first.year, last.year + 1):
                day = _date_in(year, event.date)
                if day is not None and first <= day <= last:
                    found.add((day, label))
    return sorted(found)


def _date_in(year: int, month_day: str) -> dt.date | None:
    month, day = (int(p) for p in month_day.split("-"))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def spillover_series(result: "RunResult", window: int = SPILLOVER_WINDOW) -> np.ndarray:
    """Rolling share of WeChat-seeded orders that closed on a marketplace, (days, B).

    Notes
    -----
    share_b(t) = Σ_window orders_b(marketplace, seeded) / Σ_window orders_b(any, seeded),
    seeded = :data:`sim.market.signals.WECHAT_SEEDED` (push, WeCom, group leader),
    marketplace = channels whose ``role`` is ``"marketplace"``. NaN where the window
    holds no seeded order.
    """
    seeded = _wechat_seeded(result)
    market = [c for c, key in enumerate(result.channels) if _role(result, key) == "marketplace"]
    closed = rolling_sum(seeded[:, :, market].sum(axis=2), window)
    total = rolling_sum(seeded.sum(axis=2), window)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, closed / np.where(total > 0, total, 1.0), np.nan)


def _wechat_seeded(result: "RunResult") -> np.ndarray:
    """(days, B, C) orders whose source is WeChat-seeded (push, WeCom, group leader)."""
    return result.orders_by_source[..., [int(s) for s in WECHAT_SEEDED]].sum(axis=-1)


def _role(result: "RunResult", key: str) -> str | None:
    spec = result.scenario.channels.get(key)
    return None if spec is None else spec.role


def _daily(result: "RunResult", name: str) -> np.ndarray:
    """(days, B) of the daily series ``<brand>.<name>``; zeros for a brand without it."""
    zeros = np.zeros(len(result.dates))
    return np.column_stack([np.asarray(result.daily.get(f"{b}.{name}", zeros), dtype=float) for b in result.brands])


def _marketing(result: "RunResult") -> np.ndarray:
    """(days, B) marketing spend: the sum of :data:`sim.ledger.MARKETING_FIELDS`."""
    return sum(result.series(f) for f in MARKETING_FIELDS).sum(axis=2)


# --------------------------------------------------------------------------- channels
def _channel_colour(c: int, key: str) -> str:
    return _CHANNEL_COLOURS.get(key.lower(), f"C{(c + 3) % 10}")


def _brand_lines(ax: Axes, result: "RunResult", values: np.ndarray, label: str = "{brand}",
                 keep: np.ndarray | None = None, **style) -> int:
    """One line per brand (colour by brand) of ``values`` (days, B); return how many were drawn.

    ``keep`` (B,) picks the brands to draw; by default, those with any non-zero value.
    """
    if keep is None:
        keep = np.any(np.nan_to_num(values) != 0, axis=0)
    for b, brand in enumerate(result.brands):
        if keep[b]:
            ax.plot(result.dates, values[:, b], label=label.format(brand=brand),
                    **{"color": f"C{b % 10}", "linewidth": 1.8, **style})
    return int(np.count_nonzero(keep))


def _channel_lines(ax: Axes, result: "RunResult", values: np.ndarray) -> None:
    """One line per brand × channel of ``values`` (days, B, C): colour by channel, style by brand.

    All-zero lines (channels that never transact, brands not listed there) are skipped.
    """
    for b, brand in enumerate(result.brands):
        for c, key in enumerate(result.channels):
            if np.any(np.nan_to_num(values[:, b, c])):
                ax.plot(result.dates, values[:, b, c], color=_channel_colour(c, key),
                        linestyle=_LINESTYLES[b % len(_LINESTYLES)], linewidth=1.8,
                        label=f"{brand} · {channel_name(key)}")


# --------------------------------------------------------------------------- the plots
def _plot_funnel(result: "RunResult", fig: Figure) -> None:
    """AIPL funnel over time, one panel per brand, shared y."""
    n = len(result.brands)
    fig.set_size_inches(min(4.0 + 4.5 * n, 18.0), 5.0)
    axes = fig.subplots(1, n, sharey=True, squeeze=False)[0]
    shades = matplotlib.colormaps["Blues"](np.linspace(0.35, 0.95, len(Stage.NAMES)))
    stages = _funnel_stages(result)
    for b, (ax, brand) in enumerate(zip(axes, result.brands)):
        for s, stage in enumerate(Stage.NAMES):
            y = stages[s][:, b]
            ax.fill_between(result.dates, y, color=shades[s], alpha=0.25, linewidth=0)
            ax.plot(result.dates, y, color=shades[s], linewidth=2, label=_STAGE_LABELS[stage])
        style_axes(ax, brand, "people at this stage or beyond" if b == 0 else "", dates=result.dates)
        if not np.any(stages[:, :, b]):
            note(ax, "nobody reached the funnel")
    fig.suptitle("AIPL funnel: how many people reached each stage", x=0.01, ha="left", fontweight="bold")
    legend_or_note(axes[-1], "")


def _funnel_stages(result: "RunResult") -> np.ndarray:
    """(stages, days, B) people at each AIPL stage or beyond."""
    return np.stack([_daily(result, stage) for stage in Stage.NAMES])


def _plot_weekly_by_channel(result: "RunResult", fig: Figure, field: str, what: str, money: bool) -> None:
    """Weekly (trailing 7-day) ``field`` by brand × channel, platform events marked."""
    ax = fig.subplots()
    _channel_lines(ax, result, weekly(result.series(field)))
    unit = "¥" if money else "orders"
    style_axes(ax, f"{what} per week, by brand and channel", f"{what.lower()} in the last 7 days ({unit})", money=money,
           dates=result.dates)
    ax.set_ylim(bottom=0)
    mark_events(ax, event_days(result))
    legend_or_note(ax, f"no {what.lower()} in this run")


def _plot_spend_vs_profit(result: "RunResult", fig: Figure) -> None:
    """Cumulative marketing spend (dashed) vs cumulative contribution (solid) per brand."""
    ax = fig.subplots()
    profit = result.series("contribution").sum(axis=2).cumsum(axis=0)
    _brand_lines(ax, result, profit, "{brand}: contribution")
    _brand_lines(ax, result, _marketing(result).cumsum(axis=0), "{brand}: marketing spend", linestyle="--")
    ax.axhline(0, color="0.3", linewidth=0.8)
    style_axes(ax, "Does marketing pay back? Cumulative spend vs contribution (after fees and marketing)",
               "since the start of the run (¥)", money=True, dates=result.dates)
    legend_or_note(ax, "no spend and no sales in this run")


def _plot_spillover(result: "RunResult", fig: Figure) -> None:
    """28-day share of WeChat-seeded orders closing on marketplaces, per brand with such orders."""
    ax = fig.subplots()
    seeded = _wechat_seeded(result).sum(axis=(0, 2))
    if not _brand_lines(ax, result, spillover_series(result), keep=seeded > 0):
        note(ax, "no WeChat-seeded orders in this run", y=0.75)
    ax.axhline(0.5, color="0.3", linestyle="--", linewidth=1, label="practitioners (Xia 2019): ≥ half closes on Tmall")
    style_axes(ax, "Spill-over: WeChat-seeded orders that closed on a marketplace",
           f"share of WeChat-seeded orders ({SPILLOVER_WINDOW}-day rolling, %)", dates=result.dates)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    legend_or_note(ax, "")


def _plot_leaders(result: "RunResult", fig: Figure) -> None:
    """Active group leaders per brand, with the parity gap (¥) on a twin axis."""
    ax = fig.subplots()
    leaders = _daily(result, "active_leaders")
    has = np.any(leaders > 0, axis=0)
    _brand_lines(ax, result, leaders, "{brand}: active leaders", keep=has)
    style_axes(ax, "Group leaders and the WeChat vs marketplace price gap", "active group leaders (people)", dates=result.dates)
    ax.set_ylim(bottom=0)
    gap_ax = ax.twinx()
    _brand_lines(gap_ax, result, _daily(result, "parity_gap"), "{brand}: price gap (¥, right axis)",
                 keep=has, linestyle=":", linewidth=1.3, alpha=0.8)
    low, high = gap_ax.get_ylim()
    gap_ax.set_ylim(min(low, -_GAP_SPAN), max(high, _GAP_SPAN))
    gap_ax.set_ylabel("WeChat − marketplace effective price (¥)")
    format_y(gap_ax, "¥")
    legend_or_note(ax, "no group leaders", gap_ax, anchor=1.1)


def _plot_private_domain(result: "RunResult", fig: Figure) -> None:
    """Private-domain size (followers reachable directly) per brand."""
    ax = fig.subplots()
    _brand_lines(ax, result, _daily(result, "private_domain"))
    style_axes(ax, "Private domain: followers the brand can reach directly", "followers (people)", dates=result.dates)
    legend_or_note(ax, "no private domain in this run")


def _plot_kpi_bars(result: "RunResult", fig: Figure) -> None:
    """Revenue, gross profit, marketing spend and contribution per brand over the run, as grouped bars."""
    ax = fig.subplots()
    x = np.arange(len(result.brands))
    width = 0.8 / len(_KPI_BARS)
    for i, (key, label, colour) in enumerate(_KPI_BARS):
        values = [float(result.kpis.get(brand, {}).get(key, 0.0)) for brand in result.brands]
        bars = ax.bar(x + (i - (len(_KPI_BARS) - 1) / 2) * width, values, width, label=label, color=colour)
        ax.bar_label(bars, labels=[format_number(v, "¥") for v in values], padding=2, fontsize=8)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(x, result.brands)
    ax.margins(y=0.12)
    style_axes(ax, "Totals over the run, per brand", "over the whole run (¥)", money=True)
    ax.set_xlabel("Brand")
    legend_or_note(ax, "")


#: Panels of the referral-tree plot: (title, x label, y label, KPI keys of ``kpis[brand]["referral"]``,
#: tick labels, money).
_TREE_PANELS = (
    ("Shares by depth", "depth the share reaches", "sharer-days (people)",
     ("shares_depth1", "shares_depth2", "shares_depth3", "shares_depth4plus"), ("1", "2", "3", "4+"), False),
    ("Trees by size", "buyers in the tree (agents)", "trees (× scale)",
     ("trees_size2", "trees_size3_4", "trees_size5_8", "trees_size9_16", "trees_size17plus"),
     ("2", "3–4", "5–8", "9–16", "17+"), False),
    ("Commission by level", "level", "paid over the run (¥)",
     ("commission_level1", "commission_level2", "commission_level3"), ("1", "2", "3"), True),
)


def _plot_referral_tree(result: "RunResult", fig: Figure) -> None:
    """The referral trees (分佣) per brand: shares by the depth they reach, trees by size
    (agents in a tree, its root included) and commission paid by level."""
    axes = fig.subplots(1, len(_TREE_PANELS))
    trees = {b: result.kpis.get(b, {}).get("referral", {}) for b in result.brands}
    active = [b for b, k in trees.items() if k.get("orders_level1", 0) > 0 or k.get("shares_depth2", 0) > 0]
    for ax, (title, xlabel, ylabel, keys, labels, money) in zip(axes, _TREE_PANELS):
        x = np.arange(len(keys))
        width = 0.8 / max(1, len(active))
        for i, brand in enumerate(active):
            values = [trees[brand].get(k, 0.0) for k in keys]
            bars = ax.bar(x + (i - (len(active) - 1) / 2) * width, values, width, label=brand)
            ax.bar_label(bars, labels=[format_number(v, "¥" if money else "") for v in values], padding=2, fontsize=7)
        ax.set_xticks(x, labels)
        ax.margins(y=0.12)
        style_axes(ax, title, ylabel, money=money)
        ax.set_xlabel(xlabel)
    if active:
        axes[-1].legend(loc="upper right", frameon=False, fontsize=9)
    else:
        note(axes[1], "no orders through referral links")


_PLOTS: tuple[tuple[str, Callable[["RunResult", Figure], None]], ...] = tuple(zip(PLOT_FILES, (
    _plot_funnel,
    partial(_plot_weekly_by_channel, field="orders", what="Orders", money=False),
    partial(_plot_weekly_by_channel, field="revenue", what="Revenue", money=True),
    _plot_spend_vs_profit, _plot_spillover, _plot_leaders, _plot_private_domain, _plot_kpi_bars, _plot_referral_tree,
)))
