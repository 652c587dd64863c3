"""The ledger: money and counts per day × brand × channel (docs/MODEL.md §6).

All amounts are in real yuan and real people: sales-side numbers made by agents are
multiplied by the market scale (real consumers per agent) when booked, while budgets
and fees are real already.

Money is conserved by construction: every day, for every brand and channel, gross
profit is booked as revenue − COGS and contribution as
revenue − COGS − platform fees − marketing (coupons, gifts, commissions, spend).
docs/KPIS.md defines every KPI built on these books.
"""

from __future__ import annotations

import numpy as np

from .jit import njit

__all__ = ["Ledger", "FIELDS", "COST_FIELDS", "MARKETING_FIELDS", "FIXED_MARKETING", "N_SOURCES", "LAST_TOUCH",
           "REFERRAL_LEVELS", "SHARE_DEPTHS"]

#: Counts and money booked per (day, brand, channel).
FIELDS = (
    "traffic",              # shop visits where the brand was on offer (people)
    "orders", "units",
    "revenue",              # units × price charged, before coupons (¥)
    "coupons",              # brand-funded platform coupons + private-domain coupons (¥)
    "gifts",                # Double 11 routing gifts (¥)
    "cogs",                 # units × unit cost (¥)
    "platform_fees",        # (take rate + payment fee) × revenue (¥)
    "referral_commission",  # 分佣, levels 1 to 3 (¥)
    "leader_commission",    # group leaders (团长) (¥)
    "kol_commission",       # KOL/KOC CPS (¥)
    "ad_spend",             # paid media and search ads (¥)
    "kol_fees",             # KOL/KOC slot fees (¥)
    "content_cost",         # content production (¥)
    "gross_profit",         # revenue − COGS (¥)
    "contribution",         # revenue − every cost above: COGS, platform fees, marketing (¥)
)
COST_FIELDS = FIELDS[4:14]
#: Costs that buy demand (for ROI and CAC); COGS and platform fees are not marketing.
MARKETING_FIELDS = ("coupons", "gifts", "referral_commission", "leader_commission",
                    "kol_commission", "ad_spend", "kol_fees", "content_cost")
#: The marketing a budget buys up front (media, KOL slots, content); the rest of
#: MARKETING_FIELDS (coupons, gifts, commissions) is paid per order and grows with sales.
FIXED_MARKETING = ("ad_spend", "kol_fees", "content_cost")
N_SOURCES = 9  # Source codes 0..7 plus 8 = none
#: Names of the last-touch attribution classes: the Source codes in order, then "none" (no touch).
LAST_TOUCH = ("paid", "push", "wecom", "kol", "group", "wom", "search", "relay", "none")
#: Commission levels of a referral tree (分佣): the sharer, her referrer, her referrer's
#: referrer. More is pyramid selling under China's rules (docs/SOURCES.md, Decree 444).
REFERRAL_LEVELS = 3
#: Depth bins of shares in the referral tree: 1, 2, 3 and 4 or deeper (the depth at
#: which the share's referees would join: 1 + the sharer's own depth).
SHARE_DEPTHS = 4


class Ledger:
    """Per day × brand × channel books, plus order counts by attribution source."""

    def __init__(self, days: int, brands: int, channels: int):
        self.books = np.zeros((days, brands, channels, len(FIELDS)))
        self.by_source = np.zeros((days, brands, channels, N_SOURCES))
        self.shares = np.zeros((days, brands))  # sharer-days (agents; × scale when reported)
        self.relayed = np.zeros((days, brands))  # exposures opinion leaders relayed (agents; × scale when reported)
        #: referral tree record: [day, brand, 0, ℓ] orders through a link with a level-(ℓ+1)
        #: payee, [day, brand, 1, ℓ] commission paid at that level (real people, ¥)
        self.referrals = np.zeros((days, brands, 2, REFERRAL_LEVELS))
        #: sharer-days by the share's depth in the referral tree (:data:`SHARE_DEPTHS` bins; agents)
        self.share_depths = np.zeros((days, brands, SHARE_DEPTHS))
        self.detractors = np.zeros((days, brands))  # buyers let down (agents; × scale when reported)
        #: non-followers captured into the private domain per touchpoint (content, live, WeCom, detail page:
        #: sim.market.capture.TOUCHPOINTS; agents, × scale when reported)
        self.captured = np.zeros((days, brands, 4))
        self._col = {f: i for i, f in enumerate(FIELDS)}
        self._cols: dict[tuple[str, ...], np.ndarray] = {}  # column indices per field tuple
        self._cost_cols = np.array([self._col[f] for f in COST_FIELDS])

    def column(self, field: str) -> int:
        """Index of ``field`` in the books' last axis (for kernels that book into ``books[day]``)."""
        return self._col[field]

    def add(self, day: int, brand: int, channel: int, field: str, amount: float) -> None:
        self.books[day, brand, channel, self._col[field]] += amount

    def columns(self, fields: tuple[str, ...]) -> np.ndarray:
        """Indices of ``fields`` in the books' last axis (kept per tuple: a day books the same ones)."""
        cols = self._cols.get(fields)
        if cols is None:
            cols = self._cols[fields] = np.array([self._col[f] for f in fields], np.int64)
        return cols

    def count_shares(self, day: int, brand: int, sharers: int) -> None:
        self.shares[day, brand] += sharers

    def count_relayed(self, day: int, brand: int, exposures: int) -> None:
        """Book the exposures opinion leaders relayed for ``brand`` on ``day`` (agents)."""
        self.relayed[day, brand] += exposures

    def count_detractors(self, day: int, made: np.ndarray) -> None:
        """Book the detractors each brand made on ``day`` ((B,) counts of agents)."""
        self.detractors[day] += made

    def close_day(self, day: int) -> None:
        """Book gross profit and contribution for the day from the other fields."""
        col = self._col
        _book_profit(self.books[day], col["revenue"], col["cogs"], self._cost_cols, col["gross_profit"], col["contribution"])

    def field(self, name: str) -> np.ndarray:
        """(days, B, C) series of one field."""
        return self.books[..., self._col[name]]


# Kernels that book into one day's arrays (``books[day]``, ``by_source[day]``), for the
# kernels that settle a day's orders.


@njit
def add_rows(books_day: np.ndarray, brand: np.ndarray, channel: np.ndarray, cols: np.ndarray, amounts: np.ndarray) -> None:
    """Add row k of ``amounts`` to the day's (B, C, fields) books at (brand[k], channel[k], cols), row by row."""
    for k in range(len(brand)):
        for j in range(len(cols)):
            books_day[brand[k], channel[k], cols[j]] += amounts[k, j]


@njit
def add_grid(books_day: np.ndarray, col: int, grid: np.ndarray, scale: float) -> None:
    """Add grid × scale to column ``col`` of the day's (B, C, fields) books."""
    for b in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            books_day[b, c, col] += grid[b, c] * scale


@njit
def add_by_source(by_source_day: np.ndarray, brand: np.ndarray, channel: np.ndarray, source: np.ndarray,
                  count: float) -> None:
    """Add ``count`` orders per order to the day's (B, C, sources) counts, in order; source −1 (none) is the last code."""
    for k in range(len(brand)):
        src = source[k] if source[k] >= 0 else N_SOURCES - 1
        by_source_day[brand[k], channel[k], src] += count


@njit
def _book_profit(books_day: np.ndarray, revenue: int, cogs: int, costs: np.ndarray, gross_profit: int,
                 contribution: int) -> None:
    """Gross profit = revenue − COGS and contribution = revenue − the cost columns, per
    (brand, channel) of the day's books; the costs are summed from 0 in COST_FIELDS order
    (as Python's ``sum`` of the columns)."""
    for b in range(books_day.shape[0]):
        for c in range(books_day.shape[1]):
            total = 0.0
            for col in costs:
                total += books_day[b, c, col]
            books_day[b, c, gross_profit] = books_day[b, c, revenue] - books_day[b, c, cogs]
            books_day[b, c, contribution] = books_day[b, c, revenue] - total
