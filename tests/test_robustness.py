"""Hostile input, signals and disks: never a traceback, a hang, an orphan or a write outside the output folder."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sim.cli import app
from sim.config.loader import load_scenario
from sim.tournament import read_teams

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "experiments" / "tournament_example"
runner = CliRunner()


def _clean(result, code: int = 1) -> str:
    """The output of a command that must fail (or pass) with one-line errors and no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (RecursionError, MemoryError)) or code == 0
    return result.output


def _team(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 1: markup, emoji, nesting
def test_markup_in_a_team_value_is_reported_as_written(tmp_path):
    path = _team(tmp_path, "t.yaml", 'team: "[/b] :x:"\nbrand: {name: b1, strategy: {parity: "[/b] :x:"}}\n')
    out = _clean(runner.invoke(app, ["validate", str(path)]))
    assert "got '[/b] :x:'" in out and "❌" not in out


def test_markup_in_a_set_value_is_reported_as_written(tmp_path):
    result = runner.invoke(app, ["run", "--out", str(tmp_path / "r"), "--set", "brands.focal.channels.tmall.price=[/x]"])
    out = _clean(result)
    assert "[/x]" in out and "brands.0 (focal).channels.tmall.price" in out


def test_deeply_nested_team_file_is_left_out_and_the_others_read(tmp_path):
    for depth in (40, 700, 990):
        _team(tmp_path, f"deep{depth}.yaml", f"team: Deep{depth}\nnotes: {'[' * depth}{']' * depth}\nbrand: {{name: d{depth}}}\n")
    _team(tmp_path, "ok.yaml", (EXAMPLE / "01_tmall_blitz.yaml").read_text(encoding="utf-8"))
    roster = read_teams(tmp_path, load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    assert [t.team for t in roster.teams] == ["Tmall Blitz"]
    messages = {r.team: r.problems[0].message for r in roster.rejected}
    assert set(messages) == {"Deep40", "Deep700", "Deep990"}
    assert all("levels deep" in m for m in messages.values())
    out = _clean(runner.invoke(app, ["validate", str(tmp_path / "deep700.yaml")]))
    assert "deep700.yaml:2: notes" in out


def test_deeply_nested_set_value_is_one_error(tmp_path):
    result = runner.invoke(app, ["run", "--out", str(tmp_path / "r"), "--set", f"name={'[' * 800}{']' * 800}"])
    assert "levels deep" in _clean(result)
