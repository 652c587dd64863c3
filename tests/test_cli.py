"""The socsim command as a user drives it: run, validate, schema, graph, bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()
SMALL = ["--set", "world.population=1500", "--set", "world.market_size=150000", "--set", "world.graph.degree=20"]


def test_run_writes_results_and_prints_kpis(tmp_path):
    out = tmp_path / "r1"
    result = runner.invoke(app, ["run", "--days", "40", "--out", str(out), "--no-plots", *SMALL])
    assert result.exit_code == 0, result.output
    assert "Revenue" in result.output and "focal" in result.output
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["_run"]["seed"] == 42 and set(kpis["brands"]) == {"focal", "rival"}
    for name in ("daily_ledger.csv", "daily_state.csv", "scenario.resolved.yaml"):
        assert (out / name).stat().st_size > 0


def test_run_refuses_to_overwrite(tmp_path):
    out = tmp_path / "exists"
    out.mkdir()
    result = runner.invoke(app, ["run", "--days", "5", "--out", str(out), *SMALL])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert list(out.iterdir()) == []


def test_bad_override_is_one_clear_line_without_traceback(tmp_path):
    result = runner.invoke(app, ["run", "--out", str(tmp_path / "x"), "--set", "world.population=-5"])
    assert result.exit_code == 1
    assert "world.population" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_validate_reports_file_line_and_path(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nworld:\n  graph:\n    degre: 10\nbrands: []\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:4" in result.output and "did you mean 'degree'" in result.output


def test_validate_accepts_the_bundled_baseline():
    result = runner.invoke(app, ["validate", "scenarios/baseline.yaml"])
    assert result.exit_code == 0, result.output


def test_schema_prints_the_field_reference():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and "world.graph.degree" in result.output


def test_graph_reports_six_degrees(tmp_path):
    result = runner.invoke(app, ["graph", "--out", str(tmp_path), *SMALL])
    assert result.exit_code == 0, result.output
    assert "effective diameter" in result.output
    assert (tmp_path / "degree_histogram.png").exists() and (tmp_path / "ego_network.png").exists()
