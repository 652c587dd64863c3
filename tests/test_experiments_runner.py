"""Executors, the results store and the compare/sweep commands, on tiny scenarios.

Acceptance: identical per-run KPIs with 1 worker, 2 workers and a 2-worker Dask
LocalCluster; resume after a simulated kill skips finished runs and duplicates none; an
edited experiment is stored apart or refused, never mixed.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.errors import OutputExistsError
from sim.experiments import (ExecutionPlan, ExperimentChangedError, InlineExecutor, ResultsStore, RunFailedError,
                             StoreBusyError, default_folder, execute, load_experiment, open_executor, run_experiment)
from sim.experiments.executors import local_executor

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

EXPERIMENT = """\
name: tiny
base: BASE
set: {world.population: 500, world.market_size: 50000, world.graph.degree: 10, simulation.days: DAYS}
variants:
  - {name: strict, set: {brands.focal.strategy.parity: strict}}
  - {name: none, set: {brands.focal.strategy.parity: none, brands.focal.channels.tmall.price: 99}}
replications: REPS
metrics: [focal.revenue, focal.channels.wechat.orders, focal.active_leaders]
series: [focal.revenue, focal.active_leaders]
outputs: {dir: OUT, report: false}
"""


def experiment(tmp_path: Path, reps: int = 2, days: int = 20, name: str = "exp.yaml", **replace: str) -> Path:
    text = EXPERIMENT
    for old, new in replace.items():
        text = text.replace(old, new)
    text = text.replace("BASE", str(BASELINE)).replace("DAYS", str(days)).replace("REPS", str(reps))
    text = text.replace("OUT", str(tmp_path / "results"))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def collect(design, executor) -> dict:
    out = {}
    execute(design.tasks(), executor, lambda rec: out.__setitem__(rec.key, rec))
    return out


def same_kpis(a: dict, b: dict) -> bool:
    """Exactly equal, float for float (NaN equal to NaN: a brand with no WeChat orders has no spill-over share)."""
    return a.keys() == b.keys() and np.array_equal([a[k] for k in a], [b[k] for k in a], equal_nan=True)


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert same_kpis(a[key].kpis, b[key].kpis), key
        assert a[key].daily.keys() == b[key].daily.keys()
        for name, values in a[key].daily.items():
            np.testing.assert_array_equal(values, b[key].daily[name])


def test_identical_results_whatever_the_executor(tmp_path):
    design = load_experiment(experiment(tmp_path))
    inline = collect(design, InlineExecutor())
    assert len(inline) == 4 and inline[design.tasks()[0].key].seed == 42
    assert inline[design.tasks()[0].key].kpis != inline[design.tasks()[2].key].kpis  # replications differ
    for workers in (1, 2):
        with local_executor(workers) as pool:
            assert_same(collect(design, pool), inline)


def test_identical_results_on_a_dask_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    design = load_experiment(experiment(tmp_path))
    inline = collect(design, InlineExecutor())
    with open_executor(ExecutionPlan(dask_local=2)) as executor:  # processes, 2 × 1 thread, 127.0.0.1, no dashboard
        assert type(executor).__name__ == "ClientExecutor"
        assert_same(collect(design, executor), inline)


def test_identical_results_on_a_dask_scheduler_and_workers_started_apart(tmp_path):
    """What a user does on a real cluster: ``dask scheduler`` and ``dask worker`` as commands
    of their own (here on 127.0.0.1), the runs sent through the scheduler's address."""
    pytest.importorskip("distributed")
    import shutil
    import socket

    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    if dask is None:
        pytest.skip("the dask command is not installed (the 'dask' extra)")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], **quiet)]
    processes += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"], **quiet)
                  for _ in range(2)]
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        design = load_experiment(experiment(tmp_path))
        with open_executor(ExecutionPlan(scheduler=address)) as executor:
            assert_same(collect(design, executor), collect(design, InlineExecutor()))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker still closing its connections on a loaded machine
                process.kill()
                process.wait()


def test_runs_are_recorded_one_by_one_in_this_process(tmp_path):
    """--workers 0 runs each call inside submit(): a window of 1 records each run before the next starts."""
    design = load_experiment(experiment(tmp_path))
    submitted, seen = [], []

    class Counting(InlineExecutor):
        def submit(self, fn, /, *args, **kwargs):
            submitted.append(args[0].key)
            return super().submit(fn, *args, **kwargs)

    execute(design.tasks(), Counting(), lambda rec: seen.append(len(submitted)), window=ExecutionPlan(workers=0).window(4))
    assert seen == [1, 2, 3, 4]
    assert ExecutionPlan(workers=2).window(10) == 4 and ExecutionPlan(dask_local=2).window(10) is None


def test_plan_checks():
    with pytest.raises(Exception, match="choose one way"):
        ExecutionPlan(workers=2, dask_local=2).check()
    with pytest.raises(Exception, match="tcp://"):
        ExecutionPlan(scheduler="localhost").check()
    assert ExecutionPlan(workers=0).describe(5) == "this process"
    assert ExecutionPlan(workers=8).describe(3) == "local process pool, 3 workers"


def test_a_failing_run_is_named(tmp_path):
    design = load_experiment(experiment(tmp_path))
    broken = design.tasks()[:1]
    bad = type(broken[0])(broken[0].key, {**broken[0].scenario, "brands": []}, broken[0].seed, broken[0].digest)
    with pytest.raises(RunFailedError, match=r"run strict\.p000\.r0000 \(seed 42\) failed: ValidationError"):
        execute([bad], InlineExecutor(), lambda rec: None)


def test_store_layout_tables_and_reps_extend(tmp_path):
    design = load_experiment(experiment(tmp_path))
    first = run_experiment(design, plan=ExecutionPlan(workers=0))
    folder = default_folder(design)
    assert first.folder == folder and first.ran == 4 and first.skipped == 0
    assert sorted(p.name for p in (folder / "runs").glob("*.json")) == [
        "none.p000.r0000.json", "none.p000.r0001.json", "strict.p000.r0000.json", "strict.p000.r0001.json"]
    kpis = pq.read_table(folder / "kpis.parquet").to_pylist()
    assert [(r["variant"], r["rep"], r["seed"]) for r in kpis] == [("strict", 0, 42), ("none", 0, 42), ("strict", 1, 43), ("none", 1, 43)]
    daily = pq.read_table(folder / "daily.parquet", columns=["variant", "rep", "day", "focal.revenue"])
    assert daily.num_rows == 4 * 20
    with (folder / "summary.csv").open(encoding="utf-8") as fh:
        assert fh.read(1) == "\ufeff"  # Excel reads UTF-8 with a byte-order mark
    with (folder / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len({*design.metrics, *design.overview}) * 2  # the file's metrics and every brand's overview
    assert rows[1]["reference"] == "strict" and float(rows[1]["n"]) == 2
    assert (folder / "scenarios" / "none.p000.yaml").exists() and json.loads((folder / "experiment.json").read_text())["seed"] == 42
    # more replications: same design, same folder; only the new runs run
    more = run_experiment(load_experiment(experiment(tmp_path, reps=3)), plan=ExecutionPlan(workers=0))
    assert more.folder == folder and (more.ran, more.skipped) == (2, 4)


def test_edited_experiment_is_stored_apart_or_refused(tmp_path):
    old = load_experiment(experiment(tmp_path))
    run_experiment(old, plan=ExecutionPlan(workers=0))
    stamps = {p.name: p.stat().st_mtime_ns for p in (default_folder(old) / "runs").iterdir()}
    edited = load_experiment(experiment(tmp_path, **{"price: 99": "price: 89"}))
    assert edited.digest != old.digest and default_folder(edited) != default_folder(old)
    with pytest.raises(ExperimentChangedError, match="different version"):
        run_experiment(edited, folder=default_folder(old), plan=ExecutionPlan(workers=0))
    result = run_experiment(edited, plan=ExecutionPlan(workers=0))  # default: a folder of its own
    assert result.ran == 4 and result.skipped == 0
    assert {p.name: p.stat().st_mtime_ns for p in (default_folder(old) / "runs").iterdir()} == stamps  # old untouched


def test_one_writer_per_folder(tmp_path):
    design = load_experiment(experiment(tmp_path))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not an experiment's results folder"):
        ResultsStore.open(design, tmp_path / "other")
    with ResultsStore.open(design):
        with pytest.raises(StoreBusyError, match="another socsim process"):
            ResultsStore.open(design)


KILL_SCRIPT = """\
import sys
from sim.cli import app
from sim.errors import OutputExistsError
sys.argv = ["socsim", "compare", sys.argv[1], "--workers", "1", "--no-report"]
app()
"""


def test_resume_after_kill_skips_finished_runs_and_duplicates_none(tmp_path):
    path = experiment(tmp_path, reps=8, days=45)
    design = load_experiment(path)
    runs = default_folder(design) / "runs"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path)], cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while len(list(runs.glob("*.json"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the command, its fork server and its worker: a hard kill
        proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.json")}
    assert 3 <= len(before) < 16, "the kill must land mid-experiment"
    (runs / ".none.p000.r0007.json.deadbeef.tmp").write_text("{half a rec")  # a write cut short
    result = run_experiment(design, plan=ExecutionPlan(workers=0))
    assert (result.ran, result.skipped) == (16 - len(before), len(before))
    after = sorted(p.name for p in runs.iterdir())
    assert len(after) == 32 and len(set(after)) == 32 and not any(n.endswith(".tmp") for n in after)
    assert {p: (runs / p).stat().st_mtime_ns for p in before} == before  # finished runs were not redone
    killed = [t for t in design.tasks() if f"{t.key.id}.json" in before]  # stored by the killed command
    reference = {}
    execute(killed, InlineExecutor(), lambda rec: reference.__setitem__(rec.key, rec.kpis))
    stored = {r.key: r.kpis for r in ResultsStore(default_folder(design), design).current()}
    assert all(same_kpis(stored[k], v) for k, v in reference.items())


runner = CliRunner()


def flat(result) -> str:
    """The command's output with line wrapping undone (the test console is 80 columns)."""
    return " ".join(result.output.split())


def test_cli_compare_experiment_report_is_self_contained(tmp_path):
    path = experiment(tmp_path, **{"report: false": "report: true"})
    result = runner.invoke(app, ["compare", str(path), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "tiny: 2 variants × 2 replications = 4 runs (this process)" in flat(result)
    assert "WeChat orders · focal" in flat(result) and "Verdict:" in flat(result)  # the verdict's wording follows the outcome
    folder = default_folder(load_experiment(path))
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "http://" not in page and "https://" not in page
    assert "src=\"" not in page.replace('src="data:image/png;base64,', "")
    for name in ("kpi_bars.png", "differences.png", "daily.png", "summary.csv", "runs.csv"):
        assert (folder / name).stat().st_size > 0
    again = runner.invoke(app, ["compare", str(path), "--workers", "0", "--no-report"])
    assert again.exit_code == 0 and "resumed: 4 runs were already stored, 0 ran now" in flat(again)


def test_cli_compare_scenario_files(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(BASELINE.read_text(encoding="utf-8").replace("parity: strict", "parity: none"), encoding="utf-8")
    tiny = ["--set", "world.population=500", "--set", "world.market_size=50000", "--set", "world.graph.degree=10",
            "--set", "simulation.days=15", "--set", f"outputs.dir={tmp_path / 'r'}"]
    result = runner.invoke(app, ["compare", str(BASELINE), str(a), "--reps", "2", "--workers", "0", "--no-report",
                                 "--out", str(tmp_path / "adhoc"), *tiny])
    assert result.exit_code == 0, result.output
    assert "baseline_vs_a: 2 variants × 2 replications" in flat(result)
    assert len(list((tmp_path / "adhoc" / "runs").glob("*.json"))) == 4


def test_cli_check_runs_nothing(tmp_path):
    result = runner.invoke(app, ["compare", str(ROOT / "experiments" / "channel_protection.yaml"), "--check"])
    out = flat(result)
    assert result.exit_code == 0, result.output
    assert "5 variants × 10 replications = 50 runs, seeds 42–51" in out
    assert 'bundle: brands.focal.strategy.parity = "none"; brands.focal.strategy.wechat_bundle = true' in out
    bad = experiment(tmp_path, **{"parity: strict}": "parity: strictt}"})
    result = runner.invoke(app, ["compare", str(bad), "--check"])
    out = flat(result)
    assert result.exit_code == 1 and "exp.yaml:5: brands.0 (focal).strategy.parity: got 'strictt'" in out
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("args, message", [
    (["compare", str(BASELINE)], "compare two or more"),
    (["sweep", str(BASELINE)], "needs an experiment file with a 'sweep' section"),
    (["compare", str(ROOT / "experiments" / "budget_mix.yaml")], "run it with: socsim sweep"),
    (["sweep", str(ROOT / "experiments" / "channel_protection.yaml")], "has no 'sweep' section"),
    (["compare", str(ROOT / "experiments" / "channel_protection.yaml"), "--workers", "1", "--dask-local", "2"], "choose one way"),
])
def test_cli_refuses_clearly(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and message in flat(result), result.output


def test_cli_sweep_one_and_two_axes(tmp_path):
    grid = """\
sweep:
  grid:
    - {path: brands.focal.strategy.paid_media.0.budget_per_day, values: [0, 3000], name: budget, label: paid media (¥/day)}
replications: REPS"""
    path = experiment(tmp_path, **{"replications: REPS": grid, "report: false": "report: true"})
    result = runner.invoke(app, ["sweep", str(path), "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "budget=3000" in flat(result) and "±" in flat(result)
    folder = default_folder(load_experiment(path))
    assert (folder / "sweep.png").exists() and "All sweep points" in (folder / "report.html").read_text(encoding="utf-8")
    two = grid.replace("replications: REPS", "    - {path: brands.focal.strategy.referral.level1, values: [0.0, 0.1]}\n"
                                             "replications: REPS")
    path = experiment(tmp_path, reps=1, name="two.yaml", **{"replications: REPS": two, "report: false": "report: true",
                                                            "metrics: [focal.revenue, ": "metrics: [focal.roi, "})
    result = runner.invoke(app, ["sweep", str(path), "--workers", "0", "--reps", "1"])
    assert result.exit_code == 0, result.output
    folder = default_folder(load_experiment(path, replications=1))
    assert sorted(p.name for p in folder.glob("heatmap_*.png")) == [
        "heatmap_01_focal_roi.png", "heatmap_02_focal_channels_wechat_orders.png", "heatmap_03_focal_active_leaders.png"]


def test_number_formats():
    from sim.plots import experiments as plots
    from sim.experiments.tables import format_diff, format_value, metric_label, series_label, signed_percent

    assert format_value("focal.revenue", 221_673_912.0, compact=True) == "¥222 M"
    assert format_value("focal.revenue", 221_673_912.0) == "221,673,912"
    assert format_diff("focal.conversion", -0.012) == "−1.2 pp" and signed_percent(0.058) == "+5.8%"
    assert plots._tick("focal.channels.tmall.orders", 150_000) == "150k"
    assert plots._tick("focal.revenue", 2_500_000) == "¥2.5M"
    assert metric_label("focal.channels.wechat.orders") == "WeChat orders · focal"
    assert series_label("focal.price.tmall") == "Price on Tmall (¥) · focal"


@pytest.mark.parametrize("first_report", [True, False])
def test_a_rerun_rebuilds_the_report_with_how_the_runs_were_made(tmp_path, first_report):
    """Also when the runs were made without a report (``--no-report``) and the report comes later."""
    design = load_experiment(experiment(tmp_path, **{"report: false": "report: true"}))
    first = run_experiment(design, plan=ExecutionPlan(workers=0), report=first_report)
    again = run_experiment(design, plan=ExecutionPlan(workers=0))
    assert (again.ran, again.skipped) == (0, 4) and again.simulation_seconds == pytest.approx(first.simulation_seconds)
    page = (again.folder / "report.html").read_text(encoding="utf-8")
    assert "nothing to run" not in page and "rebuilt from the stored runs" in page
    assert first.executor in page  # the executor that made the runs, not this call's
