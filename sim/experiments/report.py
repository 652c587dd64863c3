"""The experiment report: PNG plots and one self-contained ``report.html``.

The page carries its plots inside (PNG as base64 ``data:`` URIs) and its style inline,
so the single file can be mailed to a workshop and opened offline in any browser.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sim import __version__

from ..plots import experiments as plots
from ..plots.html import CSS, escape, image, table
from .design import Design
from .stats import LEVEL, KpiSummary
from .store import ResultsStore, atomic_write
from .tables import BRAND_HEADER, COMPARE_HEADER, brand_rows, compare_rows, metric_label, summary_by, sweep_table
from .verdict import compare_verdict, sweep_verdict

__all__ = ["write_report", "render_html", "read_daily"]

def read_daily(store: ResultsStore) -> plots.DailyRuns:
    """Daily series of the design's first sweep point: series → variant → (replications, days)."""
    design = store.design
    runs = store.current()
    out: plots.DailyRuns = {s: {} for s in design.series}
    for v in design.variants:
        keys = [r.key for r in runs if r.key.variant == v.name and r.key.point == design.points[0].index]
        tables = [store.daily(k, design.series) for k in keys]
        for s in design.series:
            rows = [t[s] for t in tables if s in t]
            if rows:
                out[s][v.name] = np.vstack(rows)
    return out


def write_report(store: ResultsStore, summary: Sequence[KpiSummary], facts: dict[str, Any]) -> tuple[Path, list[Path]]:
    """Draw the plots into the experiment folder and write ``report.html``.

    Returns
    -------
    page : Path
    plots : list of Path
    """
    design, folder = store.design, store.folder
    pictures: list[tuple[str, Path]] = []
    if design.is_sweep:
        pictures += [("Sweep", p) for p in plots.sweep_plots(design, summary, folder)]
    else:
        pictures.append(("KPIs per variant", plots.kpi_bars(design, summary, folder / "kpi_bars.png")))
        if len(design.variants) > 1:
            pictures.append(("Paired differences", plots.differences(design, summary, folder / "differences.png")))
        pictures.append(("Day by day", plots.daily_bands(design, read_daily(store), folder / "daily.png")))
    page = render_html(design, summary, facts, pictures)
    path = atomic_write(folder / "report.html", lambda p: p.write_text(page, encoding="utf-8"))
    return path, [p for _, p in pictures]


def _variants(design: Design) -> str:
    rows = [[v.name, v.description or "", "; ".join(v.changes) or "(the base scenario)"] for v in design.variants]
    return table(["variant", "what it is", "changes to the scenario"], rows, {1: "text", 2: "changes"})


def _compare_section(design: Design, summary: Sequence[KpiSummary]) -> str:
    by = summary_by(summary)
    parts = []
    for metric in design.metrics:
        rows = compare_rows(design, summary, metric)
        for row, v in zip(rows, design.variants):
            d = by[(metric, v.name, 0)].vs_first
            if d is not None and (d.diff.low > 0 or d.diff.high < 0):  # NaN compares False
                row[3] += " ✔"
        parts.append(f"<h3>{escape(metric_label(metric))} <span class='muted'>({escape(metric)})</span></h3>")
        parts.append(table(COMPARE_HEADER, rows))
    return "".join(parts)


def _facts(design: Design, facts: dict[str, Any]) -> str:
    base = {"variants": len(design.variants), "sweep points": len(design.points) if design.is_sweep else "–",
            "replications": design.replications,
            "seeds": f"{design.seed} … {design.seed_of(design.replications - 1)}",
            "days per run": design.cells[0].scenario.simulation.days,
            "consumers (agents)": f"{design.cells[0].scenario.world.population:,}", **facts}
    return "<div class='facts'>" + "".join(f"<div><b>{escape(k)}</b>{escape(v)}</div>" for k, v in base.items()) + "</div>"


def render_html(design: Design, summary: Sequence[KpiSummary], facts: dict[str, Any],
                pictures: Sequence[tuple[str, Path]]) -> str:
    """The report page as one string (plots embedded)."""
    verdict = sweep_verdict(design, summary) if design.is_sweep else compare_verdict(design, summary)
    body = [*_header(design, facts), f"<p class='verdict'>{escape(verdict)}</p>", *_what(design)]
    if design.is_sweep:
        header, rows = sweep_table(design, summary)
        body += ["<h2>All sweep points</h2>", f"<p class='muted'>mean ± half-width of the {LEVEL:.0%} "
                 "confidence interval over replications</p>", table(header, rows)]
    else:
        body += ["<h2>Results</h2>", _how_to_read(design.variants[0].name), _compare_section(design, summary),
                 "<h3>Every brand: contribution and order share</h3>", table(BRAND_HEADER, brand_rows(design, summary))]
    for title, path in pictures:
        body += [f"<h2>{escape(title)}</h2>", image(path, title)]
    body.append(f"<p class='muted'>Every run can be repeated alone: <code>socsim run "
                f"&lt;folder&gt;/scenarios/&lt;variant&gt;.p000.yaml --seed {design.seed}+r</code>. Per-run KPIs: "
                "<code>runs.csv</code>, <code>kpis.parquet</code>; daily series: <code>daily.parquet</code>; "
                "this summary: <code>summary.csv</code>.</p>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(design.name)} — socsim experiment</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>")


def _header(design: Design, facts: dict[str, Any]) -> list[str]:
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return [f"<h1>{escape(design.name)}</h1>", f"<p>{escape(design.description)}</p>" if design.description else "",
            f"<p class='muted'>socsim {__version__} · {now} · experiment file {escape(design.source)} · "
            f"design {design.digest[:8]}</p>", _facts(design, facts)]


def _what(design: Design) -> list[str]:
    """The variants (unless a sweep of the base alone) and the sweep's axes."""
    out = []
    if len(design.variants) > 1 or design.variants[0].changes or not design.is_sweep:
        out += ["<h2>What was compared</h2>", _variants(design)]
    if design.is_sweep:
        axes = "; ".join(f"<b>{escape(a.name)}</b>: {escape(a.label)}" for a in design.axes)
        out.append(f"<h2>What was swept</h2><p>{len(design.points)} points{' on ' + axes if axes else ''}.</p>")
    return out


def _how_to_read(first: str) -> str:
    return (f"<div class='note'>Every variant ran the same replications with the same seeds (common random numbers), "
            f"so each variant is compared with <b>{escape(first)}</b> replication by replication: "
            f"<b>Δ</b> is the mean paired difference, with its {LEVEL:.0%} confidence interval (Student's t). "
            "When that interval excludes zero (✔) the difference is unlikely to be noise of the simulation; "
            "<b>p</b> is the paired t-test. Δ % is relative to the reference's mean.</div>")

