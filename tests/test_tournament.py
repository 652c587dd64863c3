"""Strategy tournament: team files, one shared market, leaderboard with intervals, results page."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.config.loader import load_scenario
from sim.experiments.executors import ExecutionPlan
from sim.simulation import run
from sim.tournament import (TournamentError, idle_double11_routing, play, read_teams, round_scenario, verdict,
                            write_round)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "experiments" / "tournament_example"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: A small market: same economics as the baseline, a sparser graph, a third of a year.
SMALL = ["world.population=2000", "world.market_size=200000", "world.graph.degree=30", "simulation.days=100"]
INLINE = ExecutionPlan(workers=0)


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASELINE, SMALL)


@pytest.fixture(scope="module")
def played(base):
    roster = read_teams(EXAMPLE, base)
    return play(base, roster, reps=2, seed=0, plan=INLINE)


def test_example_round_reports_the_broken_team_and_plays_the_others(played):
    roster = played.roster
    assert [t.team for t in roster.teams] == ["Tmall Blitz", "Circle of Trust", "KOC Army", "Big Star"]
    (broken,) = roster.rejected
    assert broken.team == "Oops Inc" and broken.file.name == "05_broken_team.yaml"
    where = {(p.path, p.line) for p in broken.problems}
    assert {("brand.channels.jd", 11), ("brand.strategy.parity", 13), ("brand.strategy.referral.level1", 14),
            ("brand.strategy.private_domain.pushes_per_mont", 15)} <= where
    assert any("team Oops Inc: " in line and "05_broken_team.yaml:13: brand.strategy.parity" in line
               for line in broken.lines())
    assert {s.brand for s in played.standings} == {"blitz", "circle", "kocarmy", "bigstar"}  # the round went on


def test_leaderboard_order_matches_per_brand_kpis(played):
    ranked = [s for s in played.standings if s.rank is not None]
    assert [s.rank for s in ranked] == [1, 2, 3, 4]
    mean_profit = {s.brand: np.mean([r.kpis[f"{s.brand}.contribution"] for r in played.records]) for s in ranked}
    assert [s.brand for s in ranked] == sorted(mean_profit, key=mean_profit.get, reverse=True)
    # replication 0 is exactly a plain run of the round's market with seed 0
    direct = run(played.scenario, seed=0).kpis
    for s in ranked:
        assert s.contributions[0] == pytest.approx(direct[s.brand]["contribution"])
        assert s.contribution.low <= s.contribution.mean <= s.contribution.high
    line = verdict(played)
    assert line.startswith(f"Verdict: {ranked[0].team} wins on contribution with ¥"), line
    assert f"ahead of {ranked[1].team} by +¥" in line and "95 % CI" in line
    shares = [s.share.mean for s in played.standings]
    assert sum(shares) == pytest.approx(1.0)
    assert played.seeds == (0, 1)


def test_same_seeds_same_leaderboard(base, played):
    again = play(base, read_teams(EXAMPLE, base), reps=2, seed=0, plan=INLINE)
    assert [(s.team, s.contributions, s.share, s.roi) for s in again.standings] == \
        [(s.team, s.contributions, s.share, s.roi) for s in played.standings]
    other = play(base, read_teams(EXAMPLE, base), reps=2, seed=50, plan=INLINE)
    assert other.standings[0].contributions != played.standings[0].contributions


def test_bad_files_are_reported_by_team_and_field(tmp_path, base):
    for name in ("01_tmall_blitz.yaml", "03_koc_army.yaml"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    (tmp_path / "02_copycat.yaml").write_text(
        (EXAMPLE / "01_tmall_blitz.yaml").read_text(encoding="utf-8").replace("team: Tmall Blitz", "team: Copycat"),
        encoding="utf-8")
    (tmp_path / "04_not_yaml.yaml").write_text("team: Broken Syntax\nbrand: {name: x, product: [\n", encoding="utf-8")
    (tmp_path / "05_no_brand.yaml").write_text("team: No Brand\nnotes: forgot it\n", encoding="utf-8")
    roster = read_teams(tmp_path, base)
    assert [t.team for t in roster.teams] == ["Tmall Blitz", "KOC Army"]
    problems = {r.team: r.problems for r in roster.rejected}
    assert set(problems) == {"Copycat", "Broken Syntax", "No Brand"}
    assert problems["Copycat"][0].path == "brand.name" and "taken by team 'Tmall Blitz'" in problems["Copycat"][0].message
    assert problems["Copycat"][0].line == 5  # "  name: blitz" in the copied file
    assert problems["No Brand"][0].path == "brand" and "required" in problems["No Brand"][0].message
    assert problems["Broken Syntax"][0].line is not None
    keep = read_teams(tmp_path, base, house="keep")
    assert [b.name for b in round_scenario(base, keep, "keep").brands] == ["focal", "rival", "blitz", "kocarmy"]
    with pytest.raises(TournamentError, match="no team file is valid"):
        round_scenario(base, read_teams(tmp_path, base).__class__((), ()))


def test_results_folder_and_cli(tmp_path, played):
    files = write_round(played, tmp_path / "round")
    page = (tmp_path / "round" / "index.html").read_text(encoding="utf-8")
    assert {f.name for f in files} == {"leaderboard.csv", "leaderboard.png", "funnels.png", "channel_mix.png",
                                       "round.yaml", "index.html"}
    assert "data:image/png;base64," in page and "Oops Inc" in page and "brand.strategy.parity" in page
    assert "src=\"http" not in page  # self-contained
    with pytest.raises(Exception, match="already exists"):
        write_round(played, tmp_path / "round")
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["tournament", str(EXAMPLE), "--reps", "2", "--workers", "0", "--out", str(out),
                                      *(x for s in SMALL for x in ("--set", s))])
    assert result.exit_code == 0, result.output
    assert "Tmall Blitz" in result.output and (out / "index.html").exists()
    assert "team Oops Inc" in result.output and "05_broken_team.yaml:13" in result.output
    assert "no Double 11 window" in result.output and "Big Star does nothing" in result.output  # 100 days from Jan 1


def test_double11_routing_is_idle_only_when_the_days_hold_no_double11(base):
    roster = read_teams(EXAMPLE, base)
    assert idle_double11_routing(round_scenario(base, roster), roster) == ["Big Star"]  # Jan 1 + 100 days
    full = load_scenario(BASELINE, [*SMALL, "simulation.days=365"])
    assert idle_double11_routing(round_scenario(full, roster), roster) == []


def test_teams_may_answer_each_other_and_a_rule_on_an_absent_brand_is_rejected(tmp_path, base):
    """A team's response rules may watch another team's brand (checked once every file is
    read); a rule watching a brand that is not in the market rejects its file, at its line."""
    blitz = (EXAMPLE / "01_tmall_blitz.yaml").read_text(encoding="utf-8")
    (tmp_path / "01_blitz.yaml").write_text(blitz, encoding="utf-8")
    follower = blitz.replace("team: Tmall Blitz", "team: Follower").replace("name: blitz", "name: follows")
    follower += "    responses:\n      - {trigger: {kind: rival_price_cut, rival: blitz}, action: {kind: match_price}}\n"
    (tmp_path / "02_follower.yaml").write_text(follower, encoding="utf-8")
    (tmp_path / "03_lost.yaml").write_text(follower.replace("team: Follower", "team: Lost").replace("name: follows", "name: lost")
                                           .replace("rival: blitz", "rival: nobody"), encoding="utf-8")
    roster = read_teams(tmp_path, base)
    assert [t.team for t in roster.teams] == ["Tmall Blitz", "Follower"]
    (lost,) = roster.rejected
    problem = lost.problems[0]
    assert lost.team == "Lost" and problem.path == "brand.strategy.responses.0.trigger.rival"
    assert "'nobody' is not another brand in this market; brands: blitz, follows" in problem.message
    assert problem.line == follower.count("\n")  # the rule's own line
    assert round_scenario(base, roster).brands[1].strategy.responses[0].trigger.rival == "blitz"
