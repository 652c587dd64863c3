"""One-line verdicts: which strategy won, by how much, and is it real.

A verdict is read first (console, report.html, the tournament page, lift.json) and
says, on the first brand's contribution (the profit left after every cost; then the
first two KPIs the experiment lists), which variant came out best, its paired difference
to the reference with the 95 % interval, and whether that difference is significant
(paired t-test, p < 1 − :data:`~sim.experiments.stats.LEVEL`). Whether more or less is
better comes from :func:`sim.kpis.higher_is_better`.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

from sim.kpis import higher_is_better

from .design import Design
from .stats import LEVEL, Interval, KpiSummary, PairedDifference
from .tables import format_human, metric_label, summary_by

__all__ = ["compare_verdict", "sweep_verdict", "significance", "short_label", "difference_text", "mean_ci_text",
           "interval_text", "clear_of_zero"]

#: KPIs named after the headline one in a compare verdict.
SECONDARY = 2


def short_label(metric: str) -> str:
    """``focal.contribution`` → ``contribution · focal`` (the table label without its unit, in running text)."""
    text = re.sub(r" \([^)]*\)", "", metric_label(metric))
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first[1:].islower() else text  # "WeChat", "ROI", "AOV" keep their capitals


def significance(d: PairedDifference) -> str:
    """``significant (p = 0.003)``, ``not significant (p = 0.41)``, or why there is no test."""
    if math.isnan(d.p_value):
        return "no test (fewer than 2 replications, or no spread)"
    p = "p < 0.001" if d.p_value < 0.001 else f"p = {d.p_value:.3f}"
    return f"{'significant' if d.p_value < 1 - LEVEL else 'not significant'} ({p})"


def interval_text(metric: str, diff: Interval) -> str:
    """``+¥6.4 M (95 % CI +¥5.1 M to +¥7.7 M)``: a signed difference and its interval."""
    ci = "" if math.isnan(diff.low) else (f" ({LEVEL * 100:.0f} % CI {format_human(metric, diff.low, True)} to "
                                          f"{format_human(metric, diff.high, True)})")
    return f"{format_human(metric, diff.mean, True)}{ci}"


def clear_of_zero(diff: Interval) -> str:
    """``significant`` when the interval excludes 0, else ``not significant`` (``no interval`` with one value)."""
    if math.isnan(diff.low):
        return "no interval"
    return "significant" if diff.low > 0 or diff.high < 0 else "not significant"


def difference_text(metric: str, d: PairedDifference) -> str:
    """``+¥6.4 M (95 % CI +¥5.1 M to +¥7.7 M), significant (p < 0.001)``."""
    return f"{interval_text(metric, d.diff)}, {significance(d)}"


def _headline(design: Design) -> tuple[str, list[str]]:
    """The verdict's KPI (the first brand's contribution, always summarised) and the listed KPIs after it."""
    head = f"{design.brands[0]}.contribution"
    return head, [m for m in design.metrics if m != head]


def _score(metric: str, value: Interval) -> float:
    """The value oriented so that larger is better (NaN last)."""
    if math.isnan(value.mean):
        return -math.inf
    return value.mean if higher_is_better(metric) else -value.mean


def compare_verdict(design: Design, summary: Sequence[KpiSummary], point: int = 0) -> str:
    """The verdict of a compare: the best variant on the first brand's contribution vs the reference, then the listed KPIs.

    Example: ``Verdict: strict beats none on contribution · focal by +¥6.40 M (95 % CI …),
    significant (p < 0.001); on revenue · focal: −¥4.27 M (…), significant (p < 0.001).``
    """
    by = summary_by(summary)
    reference, others = design.variants[0].name, [v.name for v in design.variants[1:]]
    head, rest = _headline(design)
    if not others:
        value = by[(head, reference, point)].value
        return f"Verdict: one variant ({reference}); {short_label(head)} {format_human(head, value.mean)}."
    best = max([reference, *others], key=lambda v: _score(head, by[(head, v, point)].value))
    if best == reference:
        nearest = max(others, key=lambda v: _score(head, by[(head, v, point)].value))
        lead = (f"Verdict: {reference} (the reference) is best on {short_label(head)}; the nearest, {nearest}, is "
                f"{difference_text(head, by[(head, nearest, point)].vs_first)}")
        shown = nearest
    else:
        lead = f"Verdict: {best} beats {reference} on {short_label(head)} by {difference_text(head, by[(head, best, point)].vs_first)}"
        shown = best
    tail = [f"on {short_label(m)}: {difference_text(m, by[(m, shown, point)].vs_first)}" for m in rest[:SECONDARY]]
    return "; ".join([lead, *tail]) + "."


def sweep_verdict(design: Design, summary: Sequence[KpiSummary]) -> str:
    """The verdict of a sweep: the best point (and variant) on the first brand's contribution, the runner-up, the worst.

    Two points whose 95 % intervals overlap are reported as not clearly apart (the
    intervals are per point; points share seeds, so a paired test would be sharper).
    """
    by = summary_by(summary)
    head, _ = _headline(design)
    cells = [(p, v.name) for p in design.points for v in design.variants]

    def name(cell) -> str:
        p, v = cell
        return f"{p.label}" + (f" ({v})" if len(design.variants) > 1 else "")

    ranked = sorted(cells, key=lambda c: -_score(head, by[(head, c[1], c[0].index)].value))
    best, worst = ranked[0], ranked[-1]
    value = by[(head, best[1], best[0].index)].value
    text = f"Verdict: best on {short_label(head)}: {name(best)} at {mean_ci_text(head, value)}"
    if len(ranked) > 1:
        second = by[(head, ranked[1][1], ranked[1][0].index)].value
        apart = value.low > second.high or value.high < second.low
        text += (f"; runner-up {name(ranked[1])} at {mean_ci_text(head, second)}, "
                 + ("clearly apart" if apart else "within noise of it (intervals overlap)"))
        text += f"; worst {name(worst)} at {format_human(head, by[(head, worst[1], worst[0].index)].value.mean)}"
    return text + "."


def mean_ci_text(metric: str, value: Interval) -> str:
    """``¥12.3 M ± ¥1.1 M``: a mean and its interval's half-width, for running text."""
    half = "" if math.isnan(value.half_width) else f" ± {format_human(metric, value.half_width)}"
    return format_human(metric, value.mean) + half
