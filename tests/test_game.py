"""The classroom game: game file checks, rounds in one market, determinism, replay, undo,
what if, decisions and budget, the demo from the CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import ScenarioError
from sim.game.bots import DEMO_GAME
from sim.game.engine import DecisionError, load_game, planned_spend
from sim.game.game import Game, GameStateError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "experiments" / "game_example.yaml"
#: The demo game at test size: 500 consumers, 3 rounds of 20 days, ¥0.5M a round (the start plans ¥0.3M).
SMALL = ["population=500", "rounds=3", "days_per_round=20", "budget_per_round=500000"]


def _new(tmp_path: Path, name: str = "g") -> Game:
    return Game.create(DEMO_GAME, tmp_path / name, SMALL)


def _play(game: Game, decisions: list[dict[str, dict]]) -> list[dict]:
    """Open, submit ``decisions[r]`` (team → values), close and run each round."""
    out = []
    for round_decisions in decisions:
        game.open_round()
        for team, values in round_decisions.items():
            game.submit(team, values)
        game.close_round()
        out.append(game.play_round())
    return out


PREMIUM, DISCOUNT, CIRCLE = "高端 Premium", "低价 Discounter", "私域 Private domain"
PLAN = [{DISCOUNT: {"marketplace_price": 99, "social_price": 99, "parity": "none"}},
        {PREMIUM: {"marketplace_price": 159, "promotion_depth": 20, "promotion_days": 5}},
        {CIRCLE: {"referral": 25, "pushes": 4}}]


# --------------------------------------------------------------------------- game file
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = DEMO_GAME.read_text(encoding="utf-8").replace("../scenarios/baseline.yaml", str(ROOT / "scenarios" / "baseline.yaml"))


def test_example_and_demo_game_files_load():
    for path in (EXAMPLE, DEMO_GAME):
        rules, _ = load_game(path)
        assert len(rules.teams) >= 3
        assert {t.brand for t in rules.teams} == {b.name for b in rules.scenario.brands}


@pytest.mark.parametrize("old, new, expected", [
    ("  koc_share: {}", "  koc_shares: {}", r"bad.yaml:\d+: levers.koc_shares: unknown lever; levers of this market: .*koc_share"),
    ("  referral: {high: 30}", "  referral: {high: 80}", r"bad.yaml:\d+: levers.referral: range 0–80 is outside what the lever allows in this market \(0–50\)"),
    ("  parity: {}", "  parity: {choices: [strict, sometimes]}", r"bad.yaml:\d+: levers.parity: choices: sometimes not allowed; allowed: none \| strict \| floor"),
    ("budget_per_round: 1200000", "budget_per_round: 1000", r"bad.yaml:\d+: budget_per_round: the starting decisions already plan ¥"),
    ("rounds: 4", "rounds: 0", r"bad.yaml:\d+: rounds: .*≥ 1|bad.yaml:\d+: rounds: .*greater than or equal to 1"),
    ("brand: premium}", "brand: Premium!}", r"bad.yaml:\d+: teams.0.*brand: got 'Premium!'; use lower-case"),
    ("brand: discount}", "brand: premium}", r"bad.yaml:\d+: teams: .*team brands must differ; used twice: premium"),
    ("brand: focal", "brand: nobody", r"bad.yaml:\d+: brand: brand 'nobody' is not in the market; its brands: focal, rival"),
    ("population: 3000 ", "population: -5 ", r"bad.yaml:\d+: population: "),
])
def test_game_file_mistakes_name_file_line_and_field(tmp_path, old, new, expected):
    assert old in GOOD, old
    with pytest.raises(ScenarioError) as info:
        load_game(_write(tmp_path, GOOD.replace(old, new, 1)))
    assert any(__import__("re").search(expected, line) for line in str(info.value).splitlines()), str(info.value)


def test_market_mistakes_are_reported_under_market(tmp_path):
    text = GOOD.replace("set: [simulation.start_date=2026-03-01]", "set: [world.population=-3]")
    with pytest.raises(ScenarioError) as info:
        load_game(_write(tmp_path, text))
    assert "bad.yaml:" in str(info.value) and ": market: " in str(info.value) and "world.population" in str(info.value)


def test_cli_new_reports_mistakes_without_traceback(tmp_path):
    bad = _write(tmp_path, GOOD.replace("  koc_share: {}", "  koc_shares: {}"))
    result = CliRunner().invoke(app, ["game", "new", str(bad), "--out", str(tmp_path / "g")])
    assert result.exit_code == 1
    assert "levers.koc_shares" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "g").exists()


# --------------------------------------------------------------------------- decisions
def test_decisions_are_checked_against_the_games_ranges_and_budget(tmp_path):
    game = _new(tmp_path)
    with pytest.raises(GameStateError):
        game.submit(PREMIUM, {"marketplace_price": 120})  # no round open
    game.open_round()
    with pytest.raises(DecisionError, match="between 79 and 189"):
        game.submit(PREMIUM, {"marketplace_price": 300})
    with pytest.raises(DecisionError, match="not part of this game"):
        game.submit(PREMIUM, {"wechat_bundle": True})
    with pytest.raises(DecisionError, match="over the budget"):
        game.submit(PREMIUM, {"influencer_budget": 720_000, "paid_budget": 9000})
    with pytest.raises(DecisionError):
        game.submit("nobody", {"marketplace_price": 120})
    full = game.submit(PREMIUM, {"marketplace_price": 120})
    assert full["marketplace_price"] == 120 and full["parity"] == game.rules.team(PREMIUM).initial["parity"]
    assert planned_spend(full, game.spec) <= game.spec.budget_per_round


def test_a_team_that_does_not_submit_keeps_its_last_decisions(tmp_path):
    game = _new(tmp_path)
    _play(game, PLAN[:2])
    assert game.decisions_of(2)[DISCOUNT]["marketplace_price"] == 99   # set in round 1, kept in round 2
    assert game.submitted(2) == {PREMIUM: True, DISCOUNT: False, CIRCLE: False}
    assert game.decisions_of(2)[PREMIUM]["promotion_days"] == 5


def test_decisions_reach_the_market_and_rivals_see_public_prices(tmp_path):
    game = _new(tmp_path)
    _play(game, PLAN[:2])
    seen = game.public(1)
    assert seen[DISCOUNT].prices["tmall"] == pytest.approx(99.0)
    assert seen[PREMIUM].prices["tmall"] == pytest.approx(129.0)      # the scenario's price, untouched
    round2 = game.public(2)[PREMIUM]
    assert (round2.promotion_depth, round2.promotion_days) == (20, 5)  # 5 days at 20 % off are public
    assert game.results(2)[PREMIUM].promotion_days == 5
    # mean price paid over the round: 5 days at 159 × 0.8, 15 days at 159
    assert round2.prices["tmall"] == pytest.approx((5 * 159 * 0.8 + 15 * 159) / 20)


# --------------------------------------------------------------------------- determinism, replay, undo
def test_same_decisions_same_results_and_a_crash_mid_round_loses_nothing(tmp_path):
    straight = _play(_new(tmp_path, "a"), PLAN)
    again = _play(_new(tmp_path, "b"), PLAN)
    assert straight == again

    crashed = _new(tmp_path, "c")
    _play(crashed, PLAN[:1])
    crashed.open_round()
    crashed.submit(PREMIUM, PLAN[1][PREMIUM])
    crashed.close_round()

    def die(day: int, days: int) -> None:
        if day == 7:
            raise KeyboardInterrupt  # the server killed mid-simulation
    with pytest.raises(KeyboardInterrupt):
        crashed.play_round(die)
    crashed.store.close()
    resumed = Game(tmp_path / "c")                # a new process: nothing in memory
    assert resumed.current() == (2, "running")
    assert resumed.resume() == 2
    assert resumed.results(2) == straight[1]
    resumed.open_round()
    for team, values in PLAN[2].items():
        resumed.submit(team, values)
    assert resumed.play_round() == straight[2]    # the rebuilt market continues exactly


def test_undo_takes_back_a_round_and_playing_it_again_gives_the_same_results(tmp_path):
    game = _new(tmp_path)
    first = _play(game, PLAN[:2])
    assert game.undo() == 2
    assert game.played() == 1 and game.current() == (2, "closed")
    assert game.decisions_of(2)[PREMIUM]["marketplace_price"] == 159  # submitted decisions are kept
    assert game.play_round() == first[1]
    with pytest.raises(GameStateError):
        game.open_round()
        game.undo()                                # a round is open: too late to undo


def test_what_if_with_no_change_is_the_round_as_played_and_a_change_moves_the_market(tmp_path):
    # 3,000 consumers: at 500 a 20-day round's rival orders are a few dozen agents, and one
    # replay's share can move either way by chance (with shoppers' reference prices it did)
    game = Game.create(DEMO_GAME, tmp_path / "g", [*SMALL, "population=3000"])
    _play(game, PLAN[:2])
    played, same = game.what_if(2, CIRCLE, {})
    assert same == played
    _, cheaper = game.what_if(2, CIRCLE, {"marketplace_price": 89, "social_price": 89})
    assert cheaper[CIRCLE].channels["tmall"].price == pytest.approx(89.0)
    assert cheaper[CIRCLE].orders > played[CIRCLE].orders            # the model's demand answers the price
    assert cheaper[PREMIUM].share < played[PREMIUM].share            # and the rival loses share
    assert game.results(2) == played                                 # the game itself is untouched


# --------------------------------------------------------------------------- the demo
def test_demo_plays_four_rounds_and_writes_the_debrief_in_both_languages(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["game", "demo", "--out", str(out), "--population", "500"])
    assert result.exit_code == 0, result.output
    assert "1. " in result.output and "over 4 rounds" in result.output
    zh, en = (out / "debrief.zh.html").read_text(encoding="utf-8"), (out / "debrief.en.html").read_text(encoding="utf-8")
    assert "排行榜" in zh and "假如" in zh and "@font-face" in zh
    assert "Leaderboard" in en and "What if" in en and en.count("data:image/png;base64,") == 2
    assert Game(out).played() == 4
    again = CliRunner().invoke(app, ["game", "demo", "--out", str(out), "--population", "500"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_research_costs_its_price_shows_rivals_to_the_buyer_only_and_leaves_the_market_alone(tmp_path):
    game = _new(tmp_path)
    _play(game, [{PREMIUM: {"buy_research": True}}])
    assert game.research(PREMIUM, 1) is not None and game.research(DISCOUNT, 1) is None
    seen = game.research(PREMIUM, 1)
    assert set(seen) == {DISCOUNT, CIRCLE}
    assert seen[DISCOUNT].share == game.results(1)[DISCOUNT].share
    played, without = game.what_if(1, PREMIUM, {"buy_research": False})
    assert played[PREMIUM].research_cost == 50_000 and without[PREMIUM].research_cost == 0
    assert without[PREMIUM].contribution - played[PREMIUM].contribution == pytest.approx(50_000)
    assert replace(without[PREMIUM], contribution=0, research_cost=0) == \
           replace(played[PREMIUM], contribution=0, research_cost=0)         # a report does not move the market
    assert {t: without[t] for t in (DISCOUNT, CIRCLE)} == {t: played[t] for t in (DISCOUNT, CIRCLE)}


def test_cli_new_debrief_with_a_chosen_what_if_and_serve_of_a_wrong_folder(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "g"
    made = runner.invoke(app, ["game", "new", str(DEMO_GAME), "--out", str(folder)])
    assert made.exit_code == 0, made.output
    game = Game(folder)
    assert game.store.meta("instructor") in made.output and all(t in made.output for t in game.store.tokens().values())
    game.open_round()
    game.play_round()
    out = tmp_path / "debrief"
    result = runner.invoke(app, ["game", "debrief", str(folder), "--round", "1", "--team", CIRCLE,
                                 "--set", "marketplace_price=99", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Round 1, {CIRCLE} changed to: Tmall price (¥) = 99" in (out / "debrief.en.html").read_text(encoding="utf-8")
    half = runner.invoke(app, ["game", "debrief", str(folder), "--round", "1"])
    assert half.exit_code == 1 and "needs --round, --team and at least one --set" in half.output
    wrong = runner.invoke(app, ["game", "debrief", str(folder), "--round", "1", "--team", CIRCLE, "--set", "pricey=3"])
    assert wrong.exit_code == 1 and "not part of this game" in wrong.output
    nowhere = runner.invoke(app, ["game", "serve", str(tmp_path / "nothing")])
    assert nowhere.exit_code == 1 and "not a game folder" in nowhere.output


def test_pause_freezes_submissions_and_runs_until_resumed(tmp_path):
    game = _new(tmp_path)
    game.open_round()
    game.pause(True)
    with pytest.raises(GameStateError, match="paused"):
        game.submit(PREMIUM, {"marketplace_price": 120})
    with pytest.raises(GameStateError, match="paused"):
        game.play_round()
    game.pause(False)
    game.submit(PREMIUM, {"marketplace_price": 120})
    assert set(game.play_round()) == {PREMIUM, DISCOUNT, CIRCLE}
    with pytest.raises(GameStateError, match="never opened"):
        game.play_round()
