"""Competitor response rules: the state machine on hand-made watches, rules at work in a
market, price wars that start and end, and bad rules refused at load time."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from sim.config.loader import load_scenario_text
from sim.config.responses import ARCHETYPES, Response
from sim.config.schema import BrandSpec, Scenario
from sim.errors import ScenarioError
from sim.market.channels import ChannelTable, build_calendar
from sim.market.responses import MarketWatch, ResponseDesk
from sim.simulation import run

from _support import run_check, scenario

TWO_BRANDS = """\
name: two
channels:
  tmall: {role: marketplace, take_rate: 0.05, open_search: true, events: [{name: double11, date: "11-11", presale_from: "10-20", coupon_yuan: 20}]}
  wechat: {role: social}
brands:
  - name: focal
    product: {price: 100, unit_cost: 30}
    channels: {tmall: {}, wechat: {}}
  - name: rival
    product: {price: 100, unit_cost: 30}
    channels: {tmall: {}}
    strategy:
      responses:
"""
TMALL, WECHAT = 0, 1
#: The focal Tmall cut of the market tests: 30 % from 2026-02-01 (day 31) to 2026-03-31 (day 89).
FOCAL_CUT = ("brands.focal.strategy.parity=none",
             "brands.focal.strategy.promotions=[{from: 2026-02-01, to: 2026-03-31, depth: 0.3, channels: [tmall]}]")
CUT_FIRST_SEEN, CUT_LAST_DAY = 32, 89


def _desk(rules: list[dict], **sim) -> tuple[ResponseDesk, BrandSpec]:
    sc = load_scenario_text(TWO_BRANDS.replace("    strategy:\n      responses:\n", "") +
                            ("simulation: {days: %d}\n" % sim.get("days", 200)))
    rival = sc.brands[1]
    desk = ResponseDesk(1, ["focal", "rival"], ChannelTable.from_scenario(sc), build_calendar(sc),
                        [Response.model_validate(r) for r in rules])
    return desk, rival


def _watch(t: int, focal_tmall: float, rival_tmall: float = 100.0, orders: np.ndarray | None = None,
           ad_spend: np.ndarray | None = None) -> MarketWatch:
    shelf = np.array([[focal_tmall, 100.0], [rival_tmall, np.nan]])
    regular = np.array([[100.0, 100.0], [100.0, np.nan]])
    return MarketWatch(day=t, shelf=shelf, regular=regular, orders=orders if orders is not None else np.ones((t, 2)),
                       ad_spend=ad_spend if ad_spend is not None else np.zeros((t, 2, 2)))


def _days(desk: ResponseDesk, rival: BrandSpec, prices: dict[int, float], days: range) -> list[tuple[int, str]]:
    """Run the desk over ``days`` with the focal Tmall price ``prices[t]`` (100 otherwise)."""
    for t in days:
        desk.morning(_watch(t, prices.get(t, 100.0)), rival)
    return [(e.day, e.what) for e in desk.log]


def test_a_follower_matches_a_cut_after_its_lag_and_returns_when_it_ends():
    desk, rival = _desk(ARCHETYPES["follower"])  # lag 7, cut ≥ 5 %
    cut = {t: 80.0 for t in range(10, 40)}
    log = _days(desk, rival, cut, range(1, 60))
    assert log == [(17, "start"), (47, "end")]  # seen day 10 → acts day 17; gone day 40 → undone day 47
    assert desk.changes(rival) == {}
    desk2, _ = _desk(ARCHETYPES["follower"])
    _days(desk2, rival, cut, range(1, 30))
    assert desk2.changes(rival) == {"channels.tmall.price": 80.0}


def test_a_small_or_brief_cut_is_ignored():
    desk, rival = _desk(ARCHETYPES["follower"])
    assert _days(desk, rival, {t: 97.0 for t in range(10, 40)}, range(1, 60)) == []  # 3 % < 5 %
    assert _days(desk, rival, {t: 80.0 for t in range(10, 14)}, range(1, 60)) == []  # over before the lag


def test_an_undercutter_follows_the_rival_down_to_its_floor_and_its_cap():
    rule = {"name": "undercut", "trigger": {"kind": "rival_price_cut", "cut_share": 0.03},
            "action": {"kind": "match_price", "undercut_share": 0.1, "floor_yuan": 60}, "lag_days": 0, "max_responses": 3}
    desk, rival = _desk([rule])
    prices = {**{t: 90.0 for t in range(5, 10)}, **{t: 70.0 for t in range(10, 15)}, **{t: 50.0 for t in range(15, 40)}}
    _days(desk, rival, prices, range(1, 30))
    moves = [e for e in desk.log if e.what in ("start", "move")]
    assert [e.detail for e in moves] == ["tmall price ¥81.00", "tmall price ¥63.00", "tmall price ¥60.00"]
    assert [e.day for e in moves] == [5, 10, 15]
    assert desk.changes(rival) == {"channels.tmall.price": 60.0}  # three moves: capped, floor held


def test_one_change_a_brand_a_day():
    fast = {"name": "a", "trigger": {"kind": "rival_price_cut"}, "action": {"kind": "match_price"}, "lag_days": 0}
    bid = {"name": "b", "trigger": {"kind": "rival_price_cut"}, "action": {"kind": "bid_search_ads"}, "lag_days": 0}
    desk, rival = _desk([fast, bid])
    _days(desk, rival, {t: 80.0 for t in range(3, 20)}, range(1, 10))
    assert [(e.day, e.rule) for e in desk.log] == [(3, "a"), (4, "b")]
    assert desk.changes(rival)["strategy.search_ads"] == [
        {"channel": "tmall", "budget_per_day": 10000.0, "cpc_yuan": 1.5}]


def test_bidding_back_stops_at_its_budget_cap():
    rule = {"name": "bid", "trigger": {"kind": "rival_search_ads", "spend_per_day_yuan": 1000},
            "action": {"kind": "bid_search_ads", "budget_per_day_yuan": 10000}, "lag_days": 2, "budget_cap_yuan": 50000}
    desk, rival = _desk([rule])
    for t in range(1, 30):
        spend = np.zeros((t, 2, 2))
        spend[:, 0, TMALL] = 2000.0  # the focal brand buys search ads on Tmall every day
        desk.morning(_watch(t, 100.0, ad_spend=spend), rival)
    assert [(e.day, e.what) for e in desk.log] == [(3, "start"), (8, "cap")]  # ads on days 3–7: 5 × ¥10k = the cap
    assert desk.changes(rival) == {}


def test_a_share_loss_brings_a_promotion_over_the_next_event():
    desk, rival = _desk(ARCHETYPES["premium_holder"], days=365)  # share drop ≥ 3 points over 28 days
    calendar = desk.calendar
    orders = np.ones((300, 2))
    orders[250:, 1] = 0.5  # the rival's share falls from 50 % to 33 % on day 250 (September)
    for t in range(250, 300):
        desk.morning(_watch(t, 100.0, orders=orders[:t]), rival)
    start = desk.log[0]
    first, last = (dt.date(2026, 10, 20), dt.date(2026, 11, 11))  # Double 11: presale to main day
    assert start.what == "start" and first.isoformat() in start.detail and last.isoformat() in start.detail
    promo = desk.changes(rival)["strategy.promotions"][-1]
    assert (promo["from"], promo["to"], promo["depth"], promo["channels"]) == (first, last, 0.15, ["tmall"])
    assert not calendar.event_window[int(np.flatnonzero(calendar.event_window[:, TMALL])[0]) - 1, TMALL]


def test_in_a_market_the_rival_matches_a_focal_cut_within_its_lag():
    lag = ARCHETYPES["follower"][0]["lag_days"]
    with_rule = run(scenario(*FOCAL_CUT, "brands.rival.strategy.responses=[follower]"), seed=2)
    without = run(scenario(*FOCAL_CUT), seed=2)
    no_cut = run(scenario("brands.focal.strategy.parity=none"), seed=2)
    rival_tmall = with_rule.daily["rival.price.tmall"]
    start = [e.day for e in with_rule.responses if e.what == "start"]
    assert start and CUT_FIRST_SEEN <= start[0] <= CUT_FIRST_SEEN + lag + 1
    assert rival_tmall[start[0]] < rival_tmall[start[0] - 1] * 0.8     # the match: ¥119 → ¥90.30
    assert rival_tmall[CUT_LAST_DAY + 2 * lag + 2] == rival_tmall[0]  # and back after the cut
    np.testing.assert_array_equal(without.daily["rival.price.tmall"], no_cut.daily["rival.price.tmall"])
    assert without.responses == () and without.kpis["rival"]["responses"] == 0
    assert with_rule.kpis["rival"]["responses"] == 1 and with_rule.kpis["rival"]["first_response_day"] == start[0]


def test_two_aggressors_wage_a_price_war_that_ends():
    sc = scenario(*FOCAL_CUT, "brands.focal.strategy.responses=[aggressor]", "brands.rival.strategy.responses=[aggressor]")
    result = run(sc, seed=3)
    days = [(e.brand, e.day) for e in result.responses if e.what in ("start", "move", "end")]
    assert len(days) == len(set(days))  # at most one change per brand per day
    moves = {b: sum(1 for e in result.responses if e.brand == b and e.what in ("start", "move")) for b in ("focal", "rival")}
    assert moves["rival"] >= 2 and moves["focal"] >= 1  # the rival undercut, the focal brand answered, …
    assert all(n <= ARCHETYPES["aggressor"][0]["max_responses"] for n in moves.values())  # … until the caps
    floor = sc.brands[1].product.unit_cost
    assert result.daily["rival.price.tmall"].min() >= floor
    assert result.daily["rival.price.tmall"][-1] == result.daily["rival.price.tmall"][0]  # the war is over


BAD_RULES = {
    "unknown rival": ("{trigger: {kind: rival_price_cut, rival: nobody}, action: {kind: match_price}}",
                      "strategy.responses.0.trigger.rival", "'nobody' is not another brand"),
    "own name as rival": ("{trigger: {kind: rival_price_cut, rival: rival}, action: {kind: match_price}}",
                          "strategy.responses.0.trigger.rival", "other brands: focal"),
    "unknown channel": ("{trigger: {kind: rival_price_cut, channel: jd}, action: {kind: match_price}}",
                        "strategy.responses.0.trigger.channel", "unknown channel 'jd'"),
    "not sold there": ("{trigger: {kind: rival_price_cut}, action: {kind: match_price, channel: wechat}}",
                       "strategy.responses.0.action.channel", "does not sell on 'wechat'"),
    "no search page": ("{trigger: {kind: rival_price_cut}, action: {kind: bid_search_ads, channel: wechat}}",
                       "strategy.responses.0.action.channel", "no open search page"),
    "negative lag": ("{trigger: {kind: rival_price_cut}, action: {kind: match_price}, lag_days: -1}",
                     "strategy.responses.0.lag_days", "must be ≥ 0"),
    "nothing to match": ("{trigger: {kind: rival_search_ads}, action: {kind: match_price}}",
                         "strategy.responses.0", "needs a price to match"),
    "unknown archetype": ("follwer", "strategy.responses", "unknown archetype 'follwer'; bundled: follower"),
}


@pytest.mark.parametrize("case", list(BAD_RULES))
def test_a_bad_rule_is_refused_with_file_line_and_field(case):
    rule, path, message = BAD_RULES[case]
    text = TWO_BRANDS + f"        - {rule}\n"
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, file="two.yaml")
    shown = str(err.value)
    assert f"brands.1 (rival).{path}" in shown and message in shown, shown
    assert re.match(r"two\.yaml:(\d+)", shown) and int(re.match(r"two\.yaml:(\d+)", shown)[1]) >= 10, shown


def test_archetypes_load_by_name_and_are_documented():
    sc = load_scenario_text(TWO_BRANDS + "        - follower\n        - premium_holder\n")
    names = [r.name for r in sc.brands[1].strategy.responses]
    assert names == [r["name"] for r in (*ARCHETYPES["follower"], *ARCHETYPES["premium_holder"])]
    assert isinstance(sc, Scenario)


@pytest.mark.parametrize("broken", [False, True])
def test_the_rival_response_check_passes_only_when_rivals_respond(broken, monkeypatch):
    """The named check is no tautology: with the desk switched off it fails."""
    if broken:
        monkeypatch.setattr(ResponseDesk, "morning", lambda self, watch, regular: False)
    result = run_check("rival_response", scenario("world.graph.degree=20"), reps=2, population=1000, days=60)
    assert result.status == ("fail" if broken else "pass"), result.measured
    assert ("in 0/2 seeds" if broken else "in 2/2 seeds") in result.measured
