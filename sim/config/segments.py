"""The seven consumer segments (社交电商用户画像) and their default parameters.

Shares of trend-chasers (20 %), bargain hunters (13 %) and family quality-seekers (10 %)
come from the social-commerce white paper ([A2] in ``docs/SOURCES.md``); the other
four shares and every behavioural number are assumptions, chosen so that the segments
differ in the direction the white paper describes. ``docs/MODEL.md`` explains each.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["SegmentKey", "SEGMENT_KEYS", "SEGMENT_DEFAULTS", "SEGMENT_NAMES_ZH", "SEEDED_SHARES"]

SegmentKey = Literal[
    "trend_chasers",
    "bargain_hunters",
    "family_quality",
    "easygoing",
    "digital_fans",
    "county_guochao",
    "teen_idol_fans",
]
SEGMENT_KEYS: tuple[str, ...] = SegmentKey.__args__  # type: ignore[attr-defined]

SEGMENT_NAMES_ZH = {
    "trend_chasers": "都市追潮族",
    "bargain_hunters": "务实羊毛党",
    "family_quality": "顾家品质控",
    "easygoing": "随心海草团",
    "digital_fans": "数字发烧友",
    "county_guochao": "县城国货派",
    "teen_idol_fans": "追星少年队",
}

#: Shares that the white paper gives; the rest are assumptions that fill to 1.
SEEDED_SHARES = {"trend_chasers": 0.20, "bargain_hunters": 0.13, "family_quality": 0.10}

# Columns (see SegmentSpec in schema.py for units):
# share, price_sensitivity, ad_trust, kol_affinity, wom_weight, content_taste,
# tmall_habit, compare_prob, need_rate, stockpile, advocacy
# price_sensitivity: the segments' order is the white paper's; the common level (0.7 × the
# first values 3.0 … 7.0) is set so the baseline's brand own-price elasticities of orders
# straddle the meta-analytic mean −2.62 (Bijmolt, van Heerde & Pieters 2005): docs/MODEL.md §4.
_TABLE = {
    #                  share  beta_p ad   kol  wom  taste habit cmp   need    stock adv
    "trend_chasers":   (0.20, 2.10, 0.70, 0.80, 0.90, 0.60, 0.30, 0.30, 1 / 60, 0.20, 0.037),
    "bargain_hunters": (0.13, 4.90, 0.20, 0.30, 0.70, 0.40, 0.00, 0.90, 1 / 75, 0.80, 0.030),
    "family_quality":  (0.10, 2.45, 0.50, 0.40, 0.80, 0.70, 0.50, 0.50, 1 / 60, 0.30, 0.020),
    "easygoing":       (0.22, 3.15, 0.50, 0.50, 0.40, 0.30, 0.20, 0.20, 1 / 90, 0.20, 0.010),
    "digital_fans":    (0.12, 2.80, 0.30, 0.60, 0.60, 0.80, 0.40, 0.70, 1 / 90, 0.20, 0.025),
    "county_guochao":  (0.15, 4.20, 0.40, 0.40, 0.80, 0.40, -0.30, 0.60, 1 / 75, 0.50, 0.020),
    "teen_idol_fans":  (0.08, 3.15, 0.60, 0.90, 0.60, 0.50, 0.20, 0.20, 1 / 90, 0.30, 0.030),
}
_COLUMNS = (
    "share", "price_sensitivity", "ad_trust", "kol_affinity", "wom_weight", "content_taste",
    "tmall_habit", "compare_prob", "need_rate", "stockpile", "advocacy",
)

SEGMENT_DEFAULTS: dict[str, dict[str, float]] = {
    key: dict(zip(_COLUMNS, row)) for key, row in _TABLE.items()
}
