"""Names, number formats and table rows of an experiment's results.

One place decides how a KPI is labelled and formatted, so the terminal tables, the HTML
report, the plots and ``summary.csv`` agree.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

from sim.ledger import COST_FIELDS
from sim.market.channels import channel_name
from sim.metrics import KPI_ROWS

from .design import Design
from .stats import LEVEL, KpiSummary
from .store import write_csv

__all__ = ["metric_label", "series_label", "signed_percent", "format_value", "format_diff", "format_human", "is_money", "BRAND_HEADER", "brand_rows", "compare_rows", "COMPARE_HEADER", "COMPACT_HEADER", "sweep_table", "sweep_metric_rows",
           "write_summary_csv", "summary_by"]

_ROWS = {key: (label, fmt) for label, key, fmt in KPI_ROWS}
_MONEY = ("revenue", "gross_profit", "contribution", "cogs", "platform_fees", "aov", "cac", "margin_per_order", "capture_cost")
#: Counts of people or events, shown as whole numbers (AIPL stocks, shares, leaders recruited).
_COUNTS = ("orders", "units", "traffic", "buyers", "aware", "interested", "purchased", "loyal", "shares",
           "leaders_recruited", "detractors", "captured_content", "captured_live", "captured_wecom",
           "captured_detail")
COMPARE_HEADER = ("variant", "mean", f"{LEVEL:.0%} CI", "Δ vs first", f"Δ {LEVEL:.0%} CI", "Δ %", "p", "n")
COMPACT_HEADER = ("variant", "mean", f"{LEVEL:.0%} CI", "Δ", f"{LEVEL:.0%} CI", "Δ %", "p")  # Δ: to the first variant (the note says)


def _parts(metric: str) -> tuple[str, list[str]]:
    brand, *rest = metric.split(".")
    return brand, rest


def metric_label(metric: str) -> str:
    """``focal.revenue`` → ``Revenue (¥) · focal``; ``focal.channels.wechat.orders`` → ``WeChat orders · focal``."""
    brand, rest = _parts(metric)
    last = rest[-1]
    if len(rest) == 1 and last in _ROWS:
        text = _ROWS[last][0]
    elif rest[0] == "channels" and len(rest) == 3:
        text = f"{channel_name(rest[1])} {_words(last)}"
    else:
        text = " ".join(_words(p) for p in rest)
    return f"{text[:1].upper()}{text[1:]} · {brand}"


_SERIES = {"parity_gap": "WeChat − marketplace price gap (¥)", "active_leaders": "Active group leaders",
           "private_domain": "Private domain (followers)", "aware": "Aware (people)", "interested": "Interested (people)",
           "purchased": "Purchased (people)", "loyal": "Loyal (people)", "price_image": "Price image (1 − deal history)"}


def series_label(series: str) -> str:
    """``focal.wechat.orders`` → ``WeChat orders · focal``; ``focal.price.tmall`` → ``Price on Tmall (¥) · focal``."""
    brand, rest = _parts(series)
    if len(rest) == 1 and rest[0] in _SERIES:
        text = _SERIES[rest[0]]
    elif len(rest) == 2 and rest[0] == "price":
        text = f"Price on {channel_name(rest[1])} (¥)"
    elif len(rest) == 2:
        text = f"{channel_name(rest[0])} {_words(rest[1])}"
    else:
        text = _ROWS[rest[0]][0] if rest[0] in _ROWS else _words(rest[0])
    return f"{text[:1].upper()}{text[1:]} · {brand}"


def _words(name: str) -> str:
    return name.replace("_", " ")


def _fmt(metric: str) -> str:
    last = metric.rsplit(".", 1)[-1]
    if last in _ROWS:
        return _ROWS[last][1]
    return "{:,.0f}" if last in _MONEY or last in _COUNTS else "{:,.4g}"


def format_value(metric: str, value: float, compact: bool = False) -> str:
    """A value as the KPI table of ``socsim run`` shows it (``138,760,000``); NaN → ``–``.

    ``compact`` writes it as :func:`format_human` does (``¥139 M``), for terminal tables.
    """
    if value is None or math.isnan(value):
        return "–"
    return format_human(metric, value) if compact else _fmt(metric).format(value)


def is_money(metric: str) -> bool:
    """Whether the KPI or series ``metric`` is an amount of yuan (``focal.contribution``, ``focal.spend.ad_spend``)."""
    parts = metric.split(".")
    return parts[-1] in _MONEY or parts[-1] in ("marketing_spend", "fixed_spend") or "spend" in parts[1:-1] or parts[-1] in COST_FIELDS


def format_human(metric: str, value: float, signed: bool = False) -> str:
    """A value for running text: ``¥50.9 M``, ``−¥806 k``, ``12,345``, ``15.2%`` (``signed``: ``+``/``−``, pp).

    Files keep every digit; this is for people reading a console line or a report.

    >>> format_human("focal.contribution", 50_920_000.0), format_human("focal.revenue", -806_400.0, signed=True)
    ('¥50.9 M', '−¥806 k')
    """
    if value is None or math.isnan(value):
        return "–"
    sign = ("+" if value >= 0 else "−") if signed else ("−" if value < 0 else "")
    x, text = abs(value), format_value(metric, abs(value))
    if text.endswith("%"):
        return sign + (text.replace("%", " pp") if signed else text)
    return f"{sign}{'¥' if is_money(metric) else ''}{_scaled(x, text)}"


def _scaled(x: float, text: str) -> str:
    """``x`` ≥ 0 in three significant digits of k, M or B (``text``, its plain format, below 10,000)."""
    if x >= 1e9:
        return f"{x / 1e9:,.1f} B"
    if x >= 999_500:
        return f"{_three(x / 1e6)} M"
    return f"{_three(x / 1e3)} k" if x >= 1e4 else text


def _three(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def format_diff(metric: str, value: float, compact: bool = False) -> str:
    """A signed difference in the metric's own format (percent KPIs: percentage points)."""
    if value is None or math.isnan(value):
        return "–"
    if compact:
        return format_human(metric, value, signed=True)
    text = format_value(metric, abs(value))
    text = text.replace("%", " pp") if text.endswith("%") else text
    return ("+" if value >= 0 else "−") + text


def _interval(metric: str, low: float, high: float, diff: bool = False) -> str:
    if math.isnan(low) or math.isnan(high):
        return "–"
    f = format_diff if diff else format_value
    return f"[{f(metric, low)}, {f(metric, high)}]"


def _p(p: float) -> str:
    if math.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def summary_by(summary: Sequence[KpiSummary]) -> dict[tuple[str, str, int], KpiSummary]:
    """(metric, variant, point) → summary."""
    return {(s.metric, s.variant, s.point): s for s in summary}


def compare_rows(design: Design, summary: Sequence[KpiSummary], metric: str, point: int = 0,
                 compact: bool = False) -> list[list[str]]:
    """Rows for one metric: each variant's mean and CI, and the paired Δ vs the first variant.

    Columns follow :data:`COMPARE_HEADER`, or :data:`COMPACT_HEADER` with ``compact=True``
    (intervals as ± half-widths, no n: fits an 80-column terminal).
    """
    by = summary_by(summary)
    rows = []
    for v in design.variants:
        s = by[(metric, v.name, point)]
        value = s.value
        ci = _half(metric, value.half_width, compact) if compact else _interval(metric, value.low, value.high)
        row = [v.name, format_value(metric, value.mean, compact), ci]
        d = s.vs_first
        if d is None:
            row += ["ref" if compact else "reference", "", "", ""]
        else:
            rel = "–" if math.isnan(d.relative) else signed_percent(d.relative)
            dci = _half(metric, d.diff.half_width, compact) if compact else _interval(metric, d.diff.low, d.diff.high, diff=True)
            row += [format_diff(metric, d.diff.mean, compact), dci, rel, _p(d.p_value)]
        rows.append(row if compact else row + [str(value.n)])
    return rows


#: Columns of :func:`brand_rows`.
BRAND_HEADER = ("brand", "variant", "contribution", "Δ", "p", "share", "Δ")


def brand_rows(design: Design, summary: Sequence[KpiSummary], point: int = 0) -> list[list[str]]:
    """Every brand × variant: contribution with its paired Δ to the first variant (and p), order share and its Δ
    (columns :data:`BRAND_HEADER`).

    The brand is named on its first row only. Reads the every-brand overview
    (:attr:`Design.overview`), so rivals are reported whatever the file's ``metrics``.
    """
    by = summary_by(summary)
    rows = []
    for brand in design.brands:
        money, share = f"{brand}.contribution", f"{brand}.order_share"
        for i, v in enumerate(design.variants):
            c, s = by[(money, v.name, point)], by[(share, v.name, point)]
            dc, ds = c.vs_first, s.vs_first
            rows.append([brand if i == 0 else "", v.name, format_human(money, c.value.mean),
                         "ref" if dc is None else format_human(money, dc.diff.mean, True),
                         "" if dc is None else _p(dc.p_value), format_value(share, s.value.mean),
                         "" if ds is None else format_human(share, ds.diff.mean, True)])
    return rows


def _half(metric: str, half: float, compact: bool = False) -> str:
    return "–" if math.isnan(half) else "± " + format_value(metric, half, compact)


def signed_percent(x: float) -> str:
    """``0.058`` → ``+5.8%``, ``-0.1`` → ``−10.0%`` (a true minus sign, as in the other cells)."""
    return ("+" if x >= 0 else "−") + f"{abs(x):.1%}"


def sweep_table(design: Design, summary: Sequence[KpiSummary]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of every sweep point × variant: each metric as mean ± CI half-width."""
    by = summary_by(summary)
    header = ["point", *(a.name for a in design.axes)] + (["variant"] if len(design.variants) > 1 else [])
    header += [metric_label(m) for m in design.metrics]
    rows = []
    for p in design.points:
        for v in design.variants:
            row = [p.label, *(_coord(p.coords.get(a.name)) for a in design.axes)]
            row += [v.name] if len(design.variants) > 1 else []
            for m in design.metrics:
                s = by[(m, v.name, p.index)].value
                half = "" if math.isnan(s.half_width) else " " + _half(m, s.half_width, compact=True)
                row.append(format_value(m, s.mean, compact=True) + half)
            rows.append(row)
    return header, rows


def sweep_metric_rows(design: Design, summary: Sequence[KpiSummary], metric: str) -> tuple[list[str], list[list[str]]]:
    """One metric over every sweep point: a row per point, a column per variant (mean ± CI half-width)."""
    by = summary_by(summary)
    header = ["point", *(v.name if len(design.variants) > 1 else f"mean ± {LEVEL:.0%} CI" for v in design.variants)]
    rows = []
    for p in design.points:
        cells = []
        for v in design.variants:
            s = by[(metric, v.name, p.index)].value
            half = "" if math.isnan(s.half_width) else " " + _half(metric, s.half_width, compact=True)
            cells.append(format_value(metric, s.mean, compact=True) + half)
        rows.append([p.label, *cells])
    return header, rows


def _coord(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else "" if v is None else str(v)


def write_summary_csv(path: Path, design: Design, summary: Sequence[KpiSummary]) -> Path:
    """``summary.csv``: one row per metric × variant × point, numbers unformatted (for Excel)."""
    points = {p.index: p for p in design.points}
    axes = [a.name for a in design.axes]
    header = ["metric", "label", "variant", "point", "point_label", *(f"at.{a}" for a in axes), "n", "mean",
              "ci_low", "ci_high", "reference", "diff_vs_reference", "diff_ci_low", "diff_ci_high", "diff_relative",
              "p_value"]
    first = design.variants[0].name
    rows = []
    for s in summary:
        p = points[s.point]
        d = s.vs_first
        diff = [d.diff.mean, d.diff.low, d.diff.high, d.relative, d.p_value] if d else [math.nan] * 5
        rows.append([s.metric, metric_label(s.metric), s.variant, s.point, p.label, *(p.coords.get(a) for a in axes),
                     s.value.n, s.value.mean, s.value.low, s.value.high, first if d else "", *diff])
    return write_csv(path, header, rows)
