"""PNG plots of an experiment: KPIs with error bars, paired differences, daily series with
confidence bands per variant, and sweeps (lines with bands for one parameter, heatmaps
for two).

Every interval drawn is the t-based 95 % interval over replications
(:mod:`sim.experiments.stats`). Styling is :mod:`sim.plots.style` (Figure objects, titles
that ask the question, units on axes).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..experiments.design import Design
from ..experiments.stats import LEVEL, KpiSummary, band
from ..experiments.tables import format_diff, format_value, is_money, metric_label, series_label, signed_percent, summary_by
from ..ledger import FIELDS
from .run import event_days, weekly
from .style import (colour, figure, format_number, legend_or_note, line_look, mark_events, panels, save_with_footer,
                    style_axes)

if TYPE_CHECKING:  # pragma: no cover
    from ..experiments.elasticity import ElasticityResult

__all__ = ["kpi_bars", "differences", "daily_bands", "sweep_lines", "sweep_heatmaps", "sweep_bars", "sweep_plots", "is_flow",
           "lift_chart", "DailyRuns", "Wording", "ENGLISH", "elasticity_plot"]

#: series → variant → (replications, days) values, as read from the store.
DailyRuns = dict[str, dict[str, np.ndarray]]
_CI = f"{LEVEL:.0%} CI"


def is_flow(series: str) -> bool:
    """Ledger fields (orders, revenue …) are flows: plotted as weekly sums; states as they are."""
    return series.rsplit(".", 1)[-1] in FIELDS


def _footer(design: Design, marks: str = f"error bars: {_CI}") -> str:
    """Experiment, replications and seeds, and what the plot's marks of uncertainty are (``marks``)."""
    return f"experiment {design.name} · {design.replications} replications, seeds {design.seed}–" \
           f"{design.seed_of(design.replications - 1)} (common random numbers) · {marks}"


@dataclass(frozen=True)
class Wording:
    """The words of the compare plots (titles, labels, footer); the default is English.

    Lessons pass their own (``sim.lessons`` hands out Chinese plots). ``{first}`` in a
    title is replaced by the reference variant's label.
    """

    metric: Callable[[str], str] = metric_label
    series: Callable[[str], str] = series_label
    variant: Callable[[str], str] = str
    footer: Callable[[Design], str] = _footer
    bars_title: str = f"KPIs per variant: mean over replications with {_CI}"
    diff_title: str = (f"Is the difference real? Each variant minus {{first}}, paired by replication, with {_CI} "
                       "(an interval that misses the dashed line is)")
    diff_axis: str = "difference to {first}"
    daily_title: str = f"Day by day: mean over replications, shaded {_CI}"
    per_week: str = " per week"
    last_days: str = "last 7 days"
    no_values: str = "no values"


ENGLISH = Wording()


def _yfmt(ax: Axes, metric: str, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _p: _tick(metric, v)))


def _tick(metric: str, v: float) -> str:
    """Axis tick: the metric's format for percentages, else compact (¥1.2M, 350k)."""
    text = format_value(metric, v)
    if "%" in text:
        return text
    prefix = "¥" if is_money(metric) else ""
    for size, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(v) >= size:
            return f"{'−' if v < 0 else ''}{prefix}{abs(v) / unit:,.3g}{suffix}"
    return format_number(v, prefix)


# --------------------------------------------------------------------------- compare
def kpi_bars(design: Design, summary: Sequence[KpiSummary], path: Path, point: int = 0, wording: Wording = ENGLISH) -> Path:
    """One panel per metric: a bar per variant (mean) with its confidence interval."""
    by = summary_by(summary)
    names = [v.name for v in design.variants]
    fig, axes = panels(len(design.metrics))
    for ax, metric in zip(axes, design.metrics):
        stats = [by[(metric, n, point)].value for n in names]
        means = np.array([s.mean for s in stats])
        err = np.array([[s.mean - s.low, s.high - s.mean] for s in stats]).T
        bars = ax.bar(range(len(names)), means, color=[colour(i) for i in range(len(names))],
                      yerr=np.nan_to_num(err), capsize=5, ecolor="0.2")
        ax.bar_label(bars, labels=[format_value(metric, m) for m in means], padding=3, fontsize=8,
                     label_type="center", color="white", fontweight="bold")
        ax.set_xticks(range(len(names)), [wording.variant(n) for n in names], rotation=20 if len(names) > 3 else 0, ha="right" if len(names) > 3 else "center")
        ax.set_title(wording.metric(metric), loc="left", fontsize=11, fontweight="bold")
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.grid(True, axis="y", alpha=0.3)
        _yfmt(ax, metric)
    fig.suptitle(wording.bars_title, x=0.01, ha="left", fontweight="bold")
    return save_with_footer(fig, path, wording.footer(design))


def differences(design: Design, summary: Sequence[KpiSummary], path: Path, point: int = 0,
                wording: Wording = ENGLISH) -> Path:
    """One panel per metric: each variant minus the first, paired by replication, with its CI."""
    by = summary_by(summary)
    others = [v.name for v in design.variants[1:]]
    first = design.variants[0].name
    fig, axes = panels(len(design.metrics), size=(4.6, 0.9 + 0.55 * len(others)))
    for ax, metric in zip(axes, design.metrics):
        diffs = [by[(metric, n, point)].vs_first for n in others]
        y = np.arange(len(others))[::-1]
        for yi, name, d, i in zip(y, others, diffs, range(1, len(others) + 1)):
            ax.errorbar(d.diff.mean, yi, xerr=[[d.diff.mean - d.diff.low], [d.diff.high - d.diff.mean]] if d.diff.n > 1 else None,
                        fmt="o", color=colour(i), capsize=4, markersize=7)
            rel = "" if math.isnan(d.relative) else f" ({signed_percent(d.relative)})"
            ax.annotate(format_diff(metric, d.diff.mean) + rel, (d.diff.mean, yi), xytext=(0, 7),
                        textcoords="offset points", ha="center", fontsize=8)
        ax.axvline(0, color="0.3", linewidth=1, linestyle="--")
        ax.set_yticks(y, [wording.variant(n) for n in others])
        ax.set_ylim(-0.7, len(others) - 0.3)
        ax.set_title(wording.metric(metric), loc="left", fontsize=11, fontweight="bold")
        ax.set_xlabel(wording.diff_axis.format(first=wording.variant(first)))
        ax.grid(True, axis="x", alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        _yfmt(ax, metric, axis="x")
    fig.suptitle(wording.diff_title.format(first=wording.variant(first)), x=0.01, ha="left", fontweight="bold", fontsize=10)
    return save_with_footer(fig, path, wording.footer(design))


def daily_bands(design: Design, runs: DailyRuns, path: Path, wording: Wording = ENGLISH) -> Path:
    """One panel per daily series: the mean per variant with its confidence band, events marked.

    Flows (orders, revenue …) are shown as trailing 7-day sums; states (leaders, private
    domain …) as they are.
    """
    sc = max((c.scenario for c in design.cells), key=lambda c: c.simulation.days)  # ad hoc files may differ
    dates = [sc.simulation.start_date + dt.timedelta(days=t) for t in range(sc.simulation.days)]
    events = event_days(SimpleNamespace(dates=dates, scenario=sc))
    fig, axes = panels(len(design.series), ncols=1, size=(11.0, 3.4))
    for ax, series in zip(axes, design.series):
        flow = is_flow(series)
        for i, v in enumerate(design.variants):
            values = runs.get(series, {}).get(v.name)
            if values is None or not len(values):
                continue
            values = weekly(values.T).T if flow else values
            mean, low, high = band(values)
            x = dates[: len(mean)]
            look = line_look(i, len(design.variants))
            ax.plot(x, mean, label=wording.variant(v.name), **{**look, "marker": None})
            ax.fill_between(x, low, high, color=colour(i), alpha=0.15, linewidth=0)
        label = wording.series(series).replace(" · ", wording.per_week + " · ", 1) if flow else wording.series(series)
        style_axes(ax, label, wording.last_days if flow else "", money=is_money(series), dates=dates)
        mark_events(ax, events)
        legend_or_note(ax, wording.no_values)
    fig.suptitle(wording.daily_title, x=0.01, ha="left", fontweight="bold")
    return save_with_footer(fig, path, wording.footer(design))


# --------------------------------------------------------------------------- sweeps
def sweep_lines(design: Design, summary: Sequence[KpiSummary], path: Path) -> Path:
    """One numeric axis: each metric against the swept value, a line per variant with its band."""
    by = summary_by(summary)
    axis = design.axes[0]
    points = sorted(design.points, key=lambda p: p.coords[axis.name])
    x = np.array([float(p.coords[axis.name]) for p in points])
    fig, axes = panels(len(design.metrics))
    for ax, metric in zip(axes, design.metrics):
        for i, v in enumerate(design.variants):
            s = [by[(metric, v.name, p.index)].value for p in points]
            mean = np.array([t.mean for t in s])
            ax.plot(x, mean, label=v.name, **line_look(i, len(design.variants)))
            ax.fill_between(x, [t.low for t in s], [t.high for t in s], color=colour(i), alpha=0.2, linewidth=0)
        ax.set_title(metric_label(metric), loc="left", fontsize=11, fontweight="bold")
        ax.set_xlabel(axis.label)
        ax.grid(True, alpha=0.3)
        _yfmt(ax, metric)
        if len(design.variants) > 1:
            ax.legend(fontsize=8, frameon=False)
    fig.suptitle(f"Sweep over {axis.label}: mean with {_CI} band", x=0.01, ha="left", fontweight="bold")
    return save_with_footer(fig, path, _footer(design, f"bands: {_CI}"))


def sweep_heatmaps(design: Design, summary: Sequence[KpiSummary], folder: Path) -> list[Path]:
    """Two axes: per metric, a heatmap of the mean (one panel per variant); cells without a point stay blank."""
    by = summary_by(summary)
    ax_x, ax_y = design.axes
    xs = sorted({p.coords[ax_x.name] for p in design.points if p.coords.get(ax_x.name) is not None})
    ys = sorted({p.coords[ax_y.name] for p in design.points if p.coords.get(ax_y.name) is not None})
    paths = []
    for k, metric in enumerate(design.metrics):
        fig, axes = panels(len(design.variants), ncols=2, size=(1.2 + 0.95 * len(xs), 1.2 + 0.6 * len(ys)))
        for ax, v in zip(axes, design.variants):
            grid = np.full((len(ys), len(xs)), np.nan)
            for p in design.points:
                if p.coords.get(ax_x.name) in xs and p.coords.get(ax_y.name) in ys:
                    grid[ys.index(p.coords[ax_y.name]), xs.index(p.coords[ax_x.name])] = by[(metric, v.name, p.index)].value.mean
            _heatmap(ax, grid, xs, ys, metric)
            ax.set_xlabel(ax_x.label)
            ax.set_ylabel(ax_y.label)
            ax.set_title(v.name if len(design.variants) > 1 else "", loc="left", fontsize=10)
        fig.suptitle(f"{metric_label(metric)}: mean over replications", x=0.01, ha="left", fontweight="bold")
        paths.append(save_with_footer(fig, folder / f"heatmap_{k + 1:02d}_{_slug(metric)}.png",
                                      _footer(design, "cells: mean of the replications (intervals in summary.csv)")))
    return paths


def _heatmap(ax: Axes, grid: np.ndarray, xs: list, ys: list, metric: str) -> None:
    masked = np.ma.masked_invalid(grid)
    image = ax.imshow(masked, origin="lower", aspect="auto", cmap="viridis")
    ax.set_facecolor("0.92")
    ax.set_xticks(range(len(xs)), [f"{v:g}" if isinstance(v, float) else str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" if isinstance(v, float) else str(v) for v in ys])
    finite = grid[np.isfinite(grid)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0
    for (r, c), value in np.ndenumerate(grid):
        if np.isfinite(value):
            ax.text(c, r, format_value(metric, value), ha="center", va="center", fontsize=8,
                    color="white" if value < mid else "black")
    ax.figure.colorbar(image, ax=ax, format=FuncFormatter(lambda v, _p: _tick(metric, v)))


def sweep_bars(design: Design, summary: Sequence[KpiSummary], path: Path) -> Path:
    """Points without numeric axes: per metric, a bar per point (and variant) with its CI."""
    by = summary_by(summary)
    fig, axes = panels(len(design.metrics), ncols=2, size=(max(4.6, 0.7 * len(design.points) * len(design.variants)), 3.8))
    width = 0.8 / len(design.variants)
    for ax, metric in zip(axes, design.metrics):
        for i, v in enumerate(design.variants):
            s = [by[(metric, v.name, p.index)].value for p in design.points]
            err = np.nan_to_num(np.array([[t.mean - t.low, t.high - t.mean] for t in s]).T)
            ax.bar(np.arange(len(s)) + (i - (len(design.variants) - 1) / 2) * width, [t.mean for t in s], width,
                   yerr=err, capsize=3, color=colour(i), label=v.name)
        ax.set_xticks(range(len(design.points)), [p.label for p in design.points], rotation=30, ha="right", fontsize=8)
        ax.set_title(metric_label(metric), loc="left", fontsize=11, fontweight="bold")
        ax.grid(True, axis="y", alpha=0.3)
        _yfmt(ax, metric)
        if len(design.variants) > 1:
            ax.legend(fontsize=8, frameon=False)
    fig.suptitle(f"Sweep points: mean with {_CI}", x=0.01, ha="left", fontweight="bold")
    return save_with_footer(fig, path, _footer(design))


def _slug(metric: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in metric)


def sweep_plots(design: Design, summary: Sequence[KpiSummary], folder: Path) -> list[Path]:
    """The sweep plots that fit the design's axes."""
    if len(design.axes) == 1 and design.axes[0].numeric:
        return [sweep_lines(design, summary, folder / "sweep.png")]
    if len(design.axes) == 2:
        return sweep_heatmaps(design, summary, folder)
    return [sweep_bars(design, summary, folder / "sweep.png")]


def elasticity_plot(result: "ElasticityResult", path: Path) -> Path:
    """Elasticities (left) and diversion ratios (right) with their 95 % intervals and published ranges.

    Parameters
    ----------
    result : ElasticityResult
        From :func:`sim.experiments.elasticity.measure`.
    path : Path
        The PNG to write.
    """
    groups = [[e for e in result.estimates if e.measure != "diversion"], [e for e in result.estimates if e.measure == "diversion"]]
    groups = [g for g in groups if g]
    fig = figure((6.4 * len(groups), 0.5 * max(len(g) for g in groups) + 2.2), layout="constrained")
    for ax, estimates in zip(fig.subplots(1, len(groups), squeeze=False).ravel(), groups):
        _estimate_panel(ax, estimates, result.targets)
    design = result.design
    fig.suptitle(f"What does this market assume? Response of orders to a {result.step:+.0%} price change")
    footer = (f"{design.cells[0].scenario.name} · {design.replications} replications, seeds {design.seed}–"
              f"{design.seed_of(design.replications - 1)} (common random numbers) · bars: {_CI} · shaded: published range")
    return save_with_footer(fig, path, footer)


def _estimate_panel(ax: Axes, estimates: Sequence, targets) -> None:
    """One row per estimate: mean with its interval; the published range of each measure shaded behind it."""
    rows = np.arange(len(estimates))[::-1]
    for y, e in zip(rows, estimates):
        bound = targets.bound(e.measure) if targets is not None else None
        if bound is not None:
            ax.fill_betweenx([y - 0.4, y + 0.4], bound.low if bound.low is not None else -1e3,
                             bound.high if bound.high is not None else 1e3, color="C2", alpha=0.18, lw=0)
        if math.isnan(e.value.mean):  # undefined (e.g. no orders lost): a row without a point
            continue
        err = [[e.value.mean - e.value.low], [e.value.high - e.value.mean]] if not math.isnan(e.value.low) else None
        ax.errorbar([e.value.mean], [y], xerr=err, fmt="o", color=colour(0), capsize=4)
    drawn = [x for e in estimates for x in (e.value.low, e.value.mean, e.value.high) if math.isfinite(x)]
    diversion = estimates[0].measure == "diversion"
    lo, hi = min([*drawn, 0.0]), max([*drawn, 1.0 if diversion else 0.0])
    pad = 0.08 * (hi - lo or 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    ax.axvline(0.0, color="0.4", lw=0.8, ls="--")
    ax.set_yticks(rows, [e.label for e in estimates])
    ax.set_ylim(-0.7, len(estimates) - 0.3)
    if diversion:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
        ax.set_xlabel("share of lost orders won by rivals")
        ax.set_title("Where do lost orders go?")
    else:
        ax.set_xlabel("elasticity of orders (% change in orders per % change in price)")
        ax.set_title("Own, cross and category elasticities")


def lift_chart(result, path: Path, footer: str) -> Path:
    """Incremental orders per source (bars with their 95 % CI) beside the orders last-touch
    attribution credits to the source's class (hollow bars), for :mod:`sim.experiments.lift`."""
    from sim.fonts import cjk_plots

    with cjk_plots():  # the sources' labels carry their Chinese names
        return _lift_chart(result, path, footer)


def _lift_chart(result, path: Path, footer: str) -> Path:
    rows = result.rows
    fig = figure((8.5, 0.55 * len(rows) + 1.8), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    lift = np.array([r.orders.mean for r in rows])
    err = np.array([[r.orders.mean - r.orders.low, r.orders.high - r.orders.mean] for r in rows]).T
    ax.barh(y + 0.2, lift, height=0.38, xerr=np.nan_to_num(err), color="C0", capsize=3,
            label=f"incremental orders (all on − source off), {_CI}")
    ax.barh(y - 0.2, [r.last_touch_orders for r in rows], height=0.38, facecolor="none", edgecolor="C3", hatch="//",
            label="orders last touch credits to its class (shared within a class)")
    ax.set_yticks(y, [f"{r.label}  [{r.touch}]" for r in rows])
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("orders over the run")
    ax.set_title(f"{result.brand}: what each source adds vs what last touch credits it")
    ax.legend(loc="lower right", fontsize=8)
    return save_with_footer(fig, path, footer)
