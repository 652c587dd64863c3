"""KPI names that changed, and how files written with the old ones keep working.

docs/KPIS.md defines every KPI once. Two names moved when the P&L took its usual
meaning (gross profit = revenue − COGS):

* ``gross_profit`` was revenue less *every* cost (COGS, platform fees and all
  marketing); that figure is now ``contribution``, and ``gross_profit`` is revenue −
  COGS. A file that names ``gross_profit`` still runs, with a notice that says which
  figure it now reads.
* ``contribution_per_order`` (revenue less the per-order costs, per order) is now
  ``margin_per_order``, so that "contribution" means one thing; the old name is read as
  the new one, with a notice.
"""

from __future__ import annotations

__all__ = ["RENAMED", "REDEFINED", "LOWER_IS_BETTER", "current_name", "notice_of", "higher_is_better"]

#: Old KPI name → its new name (same figure).
RENAMED = {"contribution_per_order": "margin_per_order"}
#: KPI name whose figure changed → the name that now carries the figure it used to mean.
REDEFINED = {"gross_profit": "contribution"}
#: KPIs where less is better for the brand: costs, and every ``spend.<kind>``. For every other KPI
#: a verdict ranks more as better (for a few, such as the parity gap, "best" only means "highest").
LOWER_IS_BETTER = frozenset({"cogs", "platform_fees", "marketing_spend", "fixed_spend", "cac"})


def higher_is_better(path: str) -> bool:
    """Whether more of the KPI ``path`` is better for its brand (verdicts rank by it).

    >>> higher_is_better("focal.contribution"), higher_is_better("focal.spend.ad_spend")
    (True, False)
    """
    parts = path.split(".")
    return parts[-1] not in LOWER_IS_BETTER and "spend" not in parts[1:-1]


def current_name(path: str) -> str:
    """``path`` with a renamed KPI (its last dotted part) replaced by the new name.

    >>> current_name("focal.contribution_per_order")
    'focal.margin_per_order'
    >>> current_name("focal.gross_profit")
    'focal.gross_profit'
    """
    head, dot, last = path.rpartition(".")
    return f"{head}{dot}{RENAMED.get(last, last)}"


def notice_of(path: str) -> str:
    """What a reader of ``path`` must know because its KPI was renamed or redefined ('' if nothing).

    >>> notice_of("focal.revenue")
    ''
    """
    head, dot, last = path.rpartition(".")
    if last in RENAMED:
        return f"'{path}' is now called '{head}{dot}{RENAMED[last]}' (same figure); read as that (docs/KPIS.md)"
    if last in REDEFINED:
        return (f"'{path}' now means revenue − COGS; the figure it meant before (after platform fees and all "
                f"marketing) is '{head}{dot}{REDEFINED[last]}': write that to keep the old meaning (docs/KPIS.md)")
    return ""
