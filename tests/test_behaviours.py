"""The behaviours of docs/BEHAVIOURS.md (spill-over to the monotone levers), with fixed seeds.

Every comparison is paired by seed (common random numbers) and decided by a one-sided
paired t-test at α = 0.01, so the tolerance comes from the spread across seeds, not
from a number tuned to pass.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.market.signals import WECHAT_SEEDED

from _support import focal, paired_greater, replicate, scenario

SEEDS = range(6)
DISCOUNT = "brands.focal.strategy.promotions=[{from: 2026-02-01, to: 2026-05-31, depth: 0.3, channels: [tmall]}]"


def test_spillover_at_least_half_at_equal_prices():
    """spillover: ≥ half of WeChat-seeded purchases close on Tmall when prices are equal."""
    share = focal(replicate(scenario(), range(20)), "spillover_share")  # a level, not a direction: more replications
    result = stats.ttest_1samp(share, 0.5, alternative="greater")
    assert result.pvalue < 0.01, (share.mean(), result.pvalue)


def test_spillover_falls_when_tmall_dearer_than_trust_premium():
    """spillover_price: spill-over falls as Tmall's price rises above WeChat's beyond the ¥10 premium."""
    equal = focal(replicate(scenario(), SEEDS), "spillover_share")
    dearer = focal(replicate(scenario("brands.focal.channels.tmall.price=159", "brands.focal.strategy.parity=none"), SEEDS), "spillover_share")
    ok, p = paired_greater(equal, dearer)
    assert ok and dearer.mean() < 0.5, (equal.mean(), dearer.mean(), p)


def test_tmall_only_discount_costs_leaders_and_wechat_sales_unless_strict_parity():
    """channel_conflict: a Tmall-only deep discount without a WeChat match loses leaders and WeChat sales."""
    none = replicate(scenario(DISCOUNT, "brands.focal.strategy.parity=none"), SEEDS)
    strict = replicate(scenario(DISCOUNT, "brands.focal.strategy.parity=strict"), SEEDS)
    calm = replicate(scenario(), SEEDS)
    leaders_ok, p1 = paired_greater(focal(strict, "active_leaders"), focal(none, "active_leaders"))
    sales_ok, p2 = paired_greater(focal(strict, "channels", "wechat", "orders"), focal(none, "channels", "wechat", "orders"))
    assert leaders_ok and sales_ok, (p1, p2)
    # strict parity keeps the leaders: no fewer than without any discount
    np.testing.assert_array_equal(focal(strict, "active_leaders") >= focal(calm, "active_leaders") * 0.9, True)


def test_rival_traffic_cutting_hurts_tmall_not_private_domain():
    """open_vs_closed: a rival's search ads on Tmall cut the focal brand's Tmall sales; WeChat holds.

    The closed shop is not exposed to the rival at all (its venue choice ignores rivals);
    it only feels a second-order loss: fewer Tmall buyers join the private domain through
    the package card, and fewer buyers make fewer sharers. So: Tmall's relative loss is
    larger than WeChat's (paired, α = 0.01), and the 99 % upper confidence bound of WeChat's
    loss relative to Tmall's, per seed, stays below one half.
    """
    seeds = range(12)  # the bound needs more replications than a direction does
    calm = replicate(scenario(), seeds)
    cut = replicate(scenario("brands.rival.strategy.search_ads=[{channel: tmall, budget_per_day: 20000, cpc_yuan: 1.5}]"), seeds)
    loss = {ch: 1 - focal(cut, "channels", ch, "orders") / focal(calm, "channels", ch, "orders") for ch in ("tmall", "wechat")}
    ok, p = paired_greater(loss["tmall"], loss["wechat"])
    assert ok and loss["tmall"].mean() > 0.1, (loss, p)
    w = loss["wechat"] / loss["tmall"]
    upper = w.mean() + stats.t.ppf(0.99, len(w) - 1) * w.std(ddof=1) / np.sqrt(len(w))
    assert upper < 0.5, (loss, upper)


def test_more_paid_budget_more_orders():
    """paid_budget: more paid budget → more orders (awareness saturates through word of mouth)."""
    low = replicate(scenario("brands.focal.strategy.paid_media.0.budget_per_day=500"), SEEDS)
    high = replicate(scenario("brands.focal.strategy.paid_media.0.budget_per_day=20000"), SEEDS)
    ok, p = paired_greater(focal(high, "orders"), focal(low, "orders"))
    assert ok, p


def test_better_content_more_sharing():
    """content: better 4i content → more sharing."""
    poor = "brands.focal.strategy.content.quality={interesting: 0.1, interests: 0.1, interaction: 0.1, individuality: 0.1}"
    good = "brands.focal.strategy.content.quality={interesting: 0.9, interests: 0.9, interaction: 0.9, individuality: 0.9}"
    ok, p = paired_greater(focal(replicate(scenario(good), SEEDS), "shares"), focal(replicate(scenario(poor), SEEDS), "shares"))
    assert ok, p


def test_higher_referral_commission_more_sharing_less_margin_per_order():
    """referral: a higher referral commission → more sharing and a lower margin per order.

    Referral links (分佣) pay on the WeChat shop, so the brand sells there only: with
    Tmall listed too, the extra sharing also shifts the channel mix, which moves the
    margin per order by more than the commission does.
    """
    wechat_only = "brands.focal.channels={wechat: {price: 129}}"
    low = replicate(scenario(wechat_only, "brands.focal.strategy.referral.level1=0.0"), SEEDS)
    high = replicate(scenario(wechat_only, "brands.focal.strategy.referral.level1=0.3"), SEEDS)
    share_ok, p1 = paired_greater(focal(high, "shares"), focal(low, "shares"))
    margin_ok, p2 = paired_greater(focal(low, "margin_per_order"), focal(high, "margin_per_order"))
    assert share_ok and margin_ok, (p1, p2)


def test_double11_routing_sends_wechat_followers_to_tmall_with_a_gift():
    """The HFP play: during Double 11 (presale 10-20 → 11-11) WeChat traffic is routed to Tmall."""
    autumn = ("simulation.start_date=2026-09-01", "simulation.days=80")
    keep = replicate(scenario(*autumn), SEEDS)
    route = replicate(scenario(*autumn, "brands.focal.strategy.double11_routing.enabled=true"), SEEDS)
    window = slice(49, 72)  # 2026-10-20 .. 2026-11-11
    seeded = list(WECHAT_SEEDED)

    def tmall_share_of_wechat_seeded(rs):
        by_channel = [r.orders_by_source[window, 0][..., seeded].sum(axis=(0, 2)) for r in rs]
        return np.array([c[rs[0].channels.index("tmall")] / c.sum() for c in by_channel])

    ok, p = paired_greater(tmall_share_of_wechat_seeded(route), tmall_share_of_wechat_seeded(keep))
    assert ok, p
    assert all(r.series("gifts")[window, 0].sum() > 0 for r in route)
    assert all(r.series("gifts")[:49, 0].sum() == 0 for r in route)
