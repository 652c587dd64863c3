"""The ledger: money and counts per day × brand × channel (DESIGN §5.8).

All amounts are in real yuan and real people: sales-side numbers made by agents are
multiplied by the market scale (real consumers per agent) when booked, while budgets
and fees are real already.

Money is conserved by construction: gross profit is booked as
revenue − coupons − gifts − COGS − platform fees − commissions − spend,
every day, for every brand and channel.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Ledger", "FIELDS", "COST_FIELDS", "MARKETING_FIELDS", "N_SOURCES"]

#: Counts and money booked per (day, brand, channel).
FIELDS = (
    "traffic",              # shop visits where the brand was on offer (people)
    "orders", "units",
    "revenue",              # units × price charged, before coupons (¥)
    "coupons",              # brand-funded platform coupons + private-domain coupons (¥)
    "gifts",                # Double 11 routing gifts (¥)
    "cogs",                 # units × unit cost (¥)
    "platform_fees",        # (take rate + payment fee) × revenue (¥)
    "referral_commission",  # 分佣, levels 1 and 2 (¥)
    "leader_commission",    # group leaders (团长) (¥)
    "kol_commission",       # KOL/KOC CPS (¥)
    "ad_spend",             # paid media and search ads (¥)
    "kol_fees",             # KOL/KOC slot fees (¥)
    "content_cost",         # content production (¥)
    "gross_profit",         # (¥)
)
COST_FIELDS = FIELDS[4:14]
#: Costs that buy demand (for ROI and CAC); COGS and platform fees are not marketing.
MARKETING_FIELDS = ("coupons", "gifts", "referral_commission", "leader_commission",
                    "kol_commission", "ad_spend", "kol_fees", "content_cost")
N_SOURCES = 8  # Source codes 0..6 plus 7 = none


class Ledger:
    """Per day × brand × channel books, plus order counts by attribution source."""

    def __init__(self, days: int, brands: int, channels: int):
        self.books = np.zeros((days, brands, channels, len(FIELDS)))
        self.by_source = np.zeros((days, brands, channels, N_SOURCES))
        self.shares = np.zeros((days, brands))  # sharer-days (agents; × scale when reported)
        self._col = {f: i for i, f in enumerate(FIELDS)}

    def add(self, day: int, brand: int, channel: int, field: str, amount: float) -> None:
        self.books[day, brand, channel, self._col[field]] += amount

    def add_many(self, day: int, brand: np.ndarray, channel: np.ndarray, field: str, amount: np.ndarray) -> None:
        """Book many amounts at once (unbuffered: repeated (brand, channel) pairs add up)."""
        np.add.at(self.books[day, :, :, self._col[field]], (brand, channel), amount)

    def add_grid(self, day: int, field: str, grid: np.ndarray) -> None:
        """Book a whole (B, C) grid of one field."""
        self.books[day, :, :, self._col[field]] += grid

    def add_orders_by_source(self, day: int, brand: np.ndarray, channel: np.ndarray, source: np.ndarray, count: np.ndarray) -> None:
        src = np.where(source < 0, N_SOURCES - 1, source)
        np.add.at(self.by_source[day], (brand, channel, src), count)

    def count_shares(self, day: int, brand: int, sharers: int) -> None:
        self.shares[day, brand] += sharers

    def close_day(self, day: int) -> None:
        """Book gross profit for the day from the other fields."""
        row = self.books[day]
        costs = sum(row[..., self._col[f]] for f in COST_FIELDS)
        row[..., self._col["gross_profit"]] = row[..., self._col["revenue"]] - costs

    def field(self, name: str) -> np.ndarray:
        """(days, B, C) series of one field."""
        return self.books[..., self._col[name]]
