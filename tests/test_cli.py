"""The socsim command as a user drives it: run, validate, schema, graph, bad input."""

from __future__ import annotations

import csv
import json

import pytest

from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()
SMALL = ["--set", "world.population=1500", "--set", "world.market_size=150000", "--set", "world.graph.degree=20"]


def test_run_writes_results_and_prints_kpis(tmp_path):
    out = tmp_path / "r1"
    result = runner.invoke(app, ["run", "--days", "40", "--out", str(out), "--no-plots", *SMALL])
    assert result.exit_code == 0, result.output
    assert "Revenue" in result.output and "focal" in result.output
    kpis = json.loads((out / "kpis.json").read_text(), parse_constant=lambda c: pytest.fail(f"bare {c} in kpis.json"))
    assert kpis["_run"]["seed"] == 42 and set(kpis["brands"]) == {"focal", "rival"}
    assert kpis["brands"]["focal"]["first_response_day"] is None  # no response in 40 days: null, not NaN
    for name in ("daily_ledger.csv", "daily_state.csv", "scenario.resolved.yaml"):
        assert (out / name).stat().st_size > 0
    table = list(csv.reader((out / "kpis.csv").open(encoding="utf-8")))
    assert table[0] == ["kpi", "focal", "rival"]
    rows = {row[0]: row[1:] for row in table[1:]}
    for name in ("revenue", "contribution", "order_share", "channels.tmall.orders"):  # every digit of kpis.json
        assert [float(x) for x in rows[name]] == [_dig(kpis["brands"][b], name) for b in ("focal", "rival")]
    assert rows["first_response_day"] == ["", ""] and rows["channels.wechat.orders"][1] == ""  # none, and no WeChat shop
    state = list(csv.reader((out / "daily_state.csv").open(encoding="utf-8")))
    assert not any("e+" in cell for row in state[1:] for cell in row[1:])  # full precision, not 1.98e+06


def _dig(kpis: dict, name: str) -> float:
    for part in name.split("."):
        kpis = kpis[part]
    return kpis


def test_run_writes_the_main_plots_unless_all_are_asked_for(tmp_path):
    from sim.plots import MAIN_PLOTS, PLOT_FILES

    for flag, expected in (([], MAIN_PLOTS), (["--all-plots"], PLOT_FILES)):
        out = tmp_path / f"run{len(flag)}"
        result = runner.invoke(app, ["run", "--days", "10", "--out", str(out), *flag, *SMALL])
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.glob("*.png")) == sorted(expected)


def test_the_command_line_starts_without_the_model_or_plotting():
    """``socsim --help`` and every command's start stay quick: the model (Mesa, numba, the schema),
    matplotlib and SciPy load only when a command needs them (together ~2 s of CPU)."""
    import subprocess
    import sys

    code = ("import sys; from sim.cli import app; "
            "print(' '.join(m for m in ('mesa', 'numba', 'matplotlib', 'scipy', 'pandas', 'sim.config.schema') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


@pytest.mark.parametrize("flags, unused", [
    ([], ("mesa", "pandas", "networkx", "scipy.spatial", "scipy.sparse", "scipy.stats", "scipy.linalg", "matplotlib")),
    (["--no-plots"], ("mesa", "pandas", "networkx", "scipy.spatial", "scipy.sparse", "scipy.stats", "scipy.linalg",
                      "matplotlib")),
])
def test_a_run_loads_only_what_it_uses(tmp_path, flags, unused):
    """``socsim run`` of the fast engine imports neither Mesa (whose package pulls in pandas,
    SciPy's spatial and sparse modules and networkx: ~0.6 s of CPU) nor matplotlib (the plots
    are drawn by processes of their own) nor scipy.linalg (numba's BLAS probe, skipped:
    sim/jit.py); the reference engine and the dashboard still use Mesa."""
    import subprocess
    import sys

    args = ["run", "--days", "3", "--out", str(tmp_path / "run"), *flags, *SMALL]
    code = (f"import sys; from sim.cli import app\ntry: app({args!r})\nexcept SystemExit: pass\n"
            f"print(' '.join(m for m in {unused!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (tmp_path / "run" / "kpis.json").exists(), done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].split() == []


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


RECOGNISED = {
    "scenarios/baseline.yaml": "scenario baseline: 2 brands",
    "experiments/budget_mix.yaml": "experiment budget_mix: 15 scenarios (1 variant × 15 points)",
    "experiments/lessons/price_parity.yaml": "experiment lesson_price_parity: 5 scenarios (5 variants)",
    "experiments/tournament_example/01_tmall_blitz.yaml": "team Tmall Blitz: brand blitz",
    "sim/lessons/catalog/price_parity.yaml": "lesson price_parity: ",
    "experiments/sensitivity_levers.yaml": "sensitivity sensitivity_levers: 5 parameters",
    "scenarios/targets/seed_facts.yaml": "targets seed_facts: 2 parameters fitted to 2 KPI targets",
    "scenarios/targets/observed_orders.yaml": "targets observed_orders: 2 parameters fitted to 0 KPI targets and 4 observed series",
    "experiments/optimise_levers.yaml": "optimise optimise_levers: ",
    "scenarios/targets/elasticity.yaml": "elasticity targets elasticity: published ranges for own, category, diversion",
    "scenarios/targets/price_response.yaml": "targets price_response: 2 parameters fitted to 0 KPI targets and 0 observed "
                                             "series and the elasticity ranges of elasticity.yaml",
}


def test_validate_recognises_every_kind_of_file_by_its_keys():
    result = runner.invoke(app, ["validate", *RECOGNISED])
    assert result.exit_code == 0, result.output
    for path, verdict in RECOGNISED.items():
        assert f"ok {path}: {verdict}" in result.output


BROKEN = {  # text, what it is checked as, the problem line
    "experiment": ("name: e\nbase: ../nowhere.yaml\nvariants:\n  - name: a\n    set: {brands.focal.strategy.parity: loose}\n"
                   "replicatons: 3\n", "experiment file (top-level keys base, name, variants)",
                   ":6: replicatons: unknown key 'replicatons'; did you mean 'replications'?"),
    "targets": ("name: t\nparameters:\n  - {path: world.behaviour.outside_utility, low: 1, high: 4}\n"
                "targets:\n  - {metric: focal.conversion, valu: 0.15}\n", "targets file (top-level keys targets)",
                ":5: targets.0.valu: unknown key 'valu'"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_validate_reports_a_broken_file_as_what_it_is(tmp_path, kind):
    text, checked_as, problem = BROKEN[kind]
    bad = tmp_path / f"{kind}.yaml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: not a valid {checked_as}" in result.output
    assert f"{bad}{problem}" in result.output
    assert "brands: required field missing" not in result.output and "Traceback" not in result.output


def test_validate_checks_team_files_against_the_market_and_their_folder(tmp_path):
    team = "team: {name}\nbrand:\n  name: {brand}\n  product: {{price: 99, unit_cost: 30}}\n  channels: {{{channel}: {{}}}}\n"
    (tmp_path / "a.yaml").write_text(team.format(name="Alpha", brand="alpha", channel="tmall"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(team.format(name="Alpha", brand="beta", channel="jd"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert result.exit_code == 1
    assert f"ok {tmp_path / 'a.yaml'}: team Alpha: brand alpha, fits the market of baseline.yaml" in result.output
    assert f"{tmp_path / 'b.yaml'}: not a valid team file (top-level keys brand, team)" in result.output
    assert f"{tmp_path / 'b.yaml'}:1: team: team name 'Alpha' is taken by a.yaml" in result.output
    assert f"{tmp_path / 'b.yaml'}:5: brand.channels.jd: unknown channel 'jd'" in result.output
    (tmp_path / "c.txt").write_text(team.format(name="Gamma", brand="gamma", channel="tmall"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(tmp_path / "c.txt")])
    assert result.exit_code == 1 and "reads only team files ending in .yaml or .yml" in result.output
    assert "Traceback" not in result.output


def test_schema_prints_the_field_reference():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and "world.graph.degree" in result.output


def test_graph_reports_six_degrees(tmp_path):
    result = runner.invoke(app, ["graph", "--out", str(tmp_path), *SMALL])
    assert result.exit_code == 0, result.output
    assert "effective diameter" in result.output
    assert (tmp_path / "degree_histogram.png").exists() and (tmp_path / "ego_network.png").exists()


def test_compare_and_sweep_share_their_options_declared_once():
    """compare and sweep take the same options (RunChoices), in the same order, and hand them on."""
    import typer.main

    from sim.cli.experiments import RunChoices

    group = typer.main.get_command(app)
    options = {name: [p.opts for p in group.commands[name].params if p.param_type_name == "option"]
               for name in ("compare", "sweep")}
    assert options["compare"] == options["sweep"] and len(options["compare"]) == len(RunChoices.__dataclass_fields__)
    result = runner.invoke(app, ["compare", "experiments/channel_protection.yaml", "--check", "--reps", "3",
                                 "--seed", "5", "--set", "simulation.days=30"])
    assert result.exit_code == 0, result.output
    assert "× 3 replications = 15 runs, seeds 5–7" in result.output
