"""Private-domain capture of non-followers (docs/MODEL.md §3.13): QR codes in content and
in livestream sessions, enterprise-WeChat (企业微信) adds by sales staff, and an add offered
on the marketplace detail page.

Before this stage only buyers could follow a brand (WeChat buyers, and Tmall buyers via the
package card, :mod:`sim.market.aftercare`). Here a consumer who does not follow yet — most
often one who browsed and did not buy — may follow after today's touches:

* ``content``: each of today's exposures to the brand's paid ads or KOL/KOC posts captures
  her with probability ``content_rate``;
* ``live``: each exposure from the brand's streamer on air today, with ``live_rate``;
* ``wecom``: an interested (AIPL stage I) non-follower is added by the brand's sales staff
  with probability ``wecom_add_rate`` a day;
* ``detail``: each visit to the brand's marketplace shop (its detail page on Tmall) that
  did not end in buying it captures the visitor with ``detail_rate`` (a WeCom add offered
  on the page, through the customer-service chat).

A captured consumer becomes a follower — the same private-domain state buyers reach — so
pushes and WeCom touches reach her from tomorrow. Each capture costs
``cost_per_contact_yuan`` × scale, booked as content cost on the social channel (a
marketing cost: it shows in the P&L and ROI). The stage runs after the consumers' day in
both engines, draws from its own stream (``capture``) and does nothing with all rates at 0,
so a run without capture is the run before it existed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..config.schema import NonBuyerCapture
from ..ledger import Ledger
from ..population import Population, Stage
from .signals import Exposures, Source

__all__ = ["TOUCHPOINTS", "Touches", "capture_non_followers"]

#: Capture touchpoints, in the order they are tried each day (ledger.captured's last axis).
TOUCHPOINTS = ("content", "live", "wecom", "detail")
_CONTENT_SOURCES = np.array([Source.PAID, Source.KOL], np.int8)


class Touches(NamedTuple):
    """What reached one brand's consumers today, for its capture touchpoints."""

    batch: Exposures        # today's exposures (every brand's)
    live_uids: list[int]    # ids of the brand's streamers on air today (their exposures are session exposures)
    detail: np.ndarray      # visitors of its marketplace shops who did not buy it, one entry per visit


def capture_non_followers(pop: Population, touches: Touches, brand: int, spec: NonBuyerCapture, social: int,
                          ledger: Ledger, day: int, scale: float, rng: np.random.Generator) -> None:
    """Capture brand ``brand``'s non-followers touched on ``day`` into its private domain.

    Parameters
    ----------
    pop : Population
        Its ``follower`` column ``brand`` is set for the captured.
    touches : Touches
        Today's exposures, the brand's streamers on air and its detail-page visits without a purchase.
    spec : NonBuyerCapture
        The brand's capture rates (probability per exposure or visit; WeCom: per day) and cost (¥).
    social : int
        The social channel's code, where the cost is booked.
    ledger : Ledger
        Books the cost (content_cost, ¥) and the captured (agents, ``captured[day, brand]``).
    scale : float
        Real consumers per agent.
    rng : numpy.random.Generator
        The capture stream; drawn from only for a touchpoint whose rate is above 0.
    """
    rates = (spec.content_rate, spec.live_rate, spec.wecom_add_rate, spec.detail_rate)
    for k, (who, rate) in enumerate(zip(_touched(pop, touches, brand), rates)):
        if rate <= 0:
            continue
        hit = np.unique(who[rng.random(len(who)) < rate])
        new = hit[~pop.follower[hit, brand]]
        pop.follower[new, brand] = True
        ledger.captured[day, brand, k] += len(new)
        ledger.add(day, brand, social, "content_cost", len(new) * scale * spec.cost_per_contact_yuan)


def _touched(pop: Population, touches: Touches, brand: int) -> tuple[np.ndarray, ...]:
    """Who each of :data:`TOUCHPOINTS` reaches today for ``brand``: one entry per content
    exposure, one per live-session exposure, the interested (stage I) consumers, and one
    entry per detail-page visit without a purchase."""
    batch = touches.batch
    mine = batch.brand == brand
    live = mine & (batch.source == Source.KOL) & np.isin(batch.referrer, touches.live_uids)
    content = mine & np.isin(batch.source, _CONTENT_SOURCES) & ~live
    return (batch.who[content], batch.who[live], np.flatnonzero(pop.stage[:, brand] == Stage.INTERESTED),
            touches.detail)
