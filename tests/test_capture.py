"""Private-domain capture of non-followers (:mod:`sim.market.capture`): QR codes in content
and live sessions, enterprise-WeChat adds, the add offered on the marketplace detail page.

Paired seeds (common random numbers): a variant differs from the base only in its capture
terms, and capture draws from a stream of its own, so the base run's draws are untouched.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engines import make_model
from sim.market.capture import TOUCHPOINTS
from sim.population import Stage

from _support import focal, paired_greater, replicate, scenario

SEEDS = range(5)
CAPTURE = "brands.focal.strategy.private_domain.capture"
#: 1 in 500 content exposures and 1 in 200 interested non-followers a day: small next to the
#: package card, and enough to see at 4 000 agents.
ON = (f"{CAPTURE}.content_rate=0.002", f"{CAPTURE}.wecom_add_rate=0.005")
#: 1 in 100 Tmall visits without a purchase (≈ 5 000 of 500 000 a half-year at test size).
DETAIL = f"{CAPTURE}.detail_rate=0.01"


@pytest.fixture(scope="module")
def paired() -> dict[str, list]:
    return {"off": replicate(scenario(), SEEDS), "on": replicate(scenario(*ON), SEEDS),
            "free": replicate(scenario(*ON, f"{CAPTURE}.cost_per_contact_yuan=0"), SEEDS),
            "detail": replicate(scenario(DETAIL), SEEDS)}


def test_capture_raises_the_private_domain_significantly(paired):
    on, off = focal(paired["on"], "private_domain"), focal(paired["off"], "private_domain")
    ok, p = paired_greater(on, off)
    assert ok, (on, off, p)
    # No bound by the captures: a captured follower's pushes bring WeChat purchases whose buyers
    # follow too (the detail-page runs below gain more than they capture on some seeds).
    assert np.all(focal(paired["on"], "captured_content") > 0) and np.all(focal(paired["on"], "captured_wecom") > 0)
    assert np.all(focal(paired["off"], "capture_cost") == 0)


def test_capture_costs_what_the_ledger_books(paired):
    """The same runs with a free capture book exactly the capture cost less content cost."""
    cost = focal(paired["on"], "capture_cost")
    booked = focal(paired["on"], "spend", "content_cost") - focal(paired["free"], "spend", "content_cost")
    np.testing.assert_allclose(booked, cost, rtol=1e-9)
    per = cost / sum(focal(paired["on"], f"captured_{t}") for t in TOUCHPOINTS)
    np.testing.assert_allclose(per, 10.0)  # the default ¥ per captured follower
    spent = focal(paired["on"], "marketing_spend") - focal(paired["free"], "marketing_spend")
    np.testing.assert_allclose(spent, cost, rtol=1e-9)  # a marketing cost: in ROI and CAC


def test_captured_followers_are_reached_by_pushes(paired):
    """Pushes and WeCom touches reach followers only: more followers, more push/WeCom last touches."""
    on = focal(paired["on"], "last_touch", "push") + focal(paired["on"], "last_touch", "wecom")
    off = focal(paired["off"], "last_touch", "push") + focal(paired["off"], "last_touch", "wecom")
    ok, p = paired_greater(on, off)
    assert ok, (on, off, p)


def test_a_brand_without_a_wechat_shop_captures_no_one():
    """Negative control: the rival sells on Tmall only, so it has no private domain to join."""
    rival = "brands.rival.strategy.private_domain.capture"
    (result,) = replicate(scenario(f"{rival}.content_rate=0.5", f"{rival}.wecom_add_rate=0.5"), range(1))
    kpis = result.kpis["rival"]
    assert kpis["private_domain"] == 0 and kpis["capture_cost"] == 0
    assert all(kpis[f"captured_{t}"] == 0 for t in TOUCHPOINTS)


def test_wecom_adds_reach_interested_non_followers_only():
    """At rate 1 every interested non-follower is added on the first day, and nobody else
    joins without a purchase."""
    model = make_model(scenario(f"{CAPTURE}.wecom_add_rate=1", "simulation.days=1"), seed=0)
    pop = model.population
    before = pop.follower[:, 0].copy()
    model.step()
    joined_without_buying = pop.follower[:, 0] & ~before & (pop.purchases[:, 0] == 0)
    assert model.ledger.captured[0, 0, TOUCHPOINTS.index("wecom")] == np.count_nonzero(joined_without_buying) > 0
    interested = pop.stage[:, 0] == Stage.INTERESTED
    assert np.all(interested[joined_without_buying])
    assert not np.any(interested & ~pop.follower[:, 0])


def test_the_detail_page_raises_the_private_domain_at_its_cost(paired):
    """Detail-page capture alone: more followers (paired), every capture from the detail
    page, each booked at the default ¥10; off, it captures no one. (The gain may exceed the
    captures: a captured follower's pushes bring WeChat purchases, and buyers follow.)"""
    on, off = focal(paired["detail"], "private_domain"), focal(paired["off"], "private_domain")
    ok, p = paired_greater(on, off)
    assert ok, (on, off, p)
    captured = focal(paired["detail"], "captured_detail")
    assert np.all(captured > 0), captured
    assert all(np.all(focal(paired["detail"], f"captured_{t}") == 0) for t in TOUCHPOINTS if t != "detail")
    assert np.all(focal(paired["off"], "captured_detail") == 0) and np.all(focal(paired["on"], "captured_detail") == 0)
    np.testing.assert_allclose(focal(paired["detail"], "capture_cost"), captured * 10.0)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_the_detail_page_captures_exactly_the_marketplace_visitors_who_did_not_buy(engine):
    """At rate 1 on the first day: those who join without buying are exactly the day's
    visitors of the focal brand's Tmall shop who did not buy it and did not follow yet —
    not its WeChat visitors, nor a rival's."""
    model = make_model(scenario(f"{CAPTURE}.detail_rate=1", "simulation.days=1", f"simulation.engine={engine}"), seed=0)
    pop, seen = model.population, []
    capture = model._capture
    model._capture = lambda batch, browsed, t: (seen.append(browsed), capture(batch, browsed, t))
    before = pop.follower[:, 0].copy()
    model.step()
    who, brand, channel = seen[0]
    tmall = (brand == 0) & (channel == model.channels.code("tmall"))
    assert np.any(channel[brand == 0] == model.channels.social) and np.any(brand != 0)  # others browsed too
    visitors = np.unique(who[tmall])
    expected = visitors[~before[visitors]]
    joined = np.flatnonzero(pop.follower[:, 0] & ~before & (pop.purchases[:, 0] == 0))
    np.testing.assert_array_equal(joined, expected)
    assert model.ledger.captured[0, 0, TOUCHPOINTS.index("detail")] == len(expected) > 0
