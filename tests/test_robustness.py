"""Hostile input, signals and disks: never a traceback, a hang, an orphan or a write outside the output folder."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.config.loader import load_scenario
from sim.tournament import read_teams

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "experiments" / "tournament_example"
runner = CliRunner()


@pytest.fixture(autouse=True)
def never_hang():
    """Every test here fails (instead of hanging the suite) after 60 s."""
    def expire(signum, frame):
        raise TimeoutError("the test hung for 60 s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


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


# --------------------------------------------------------------------------- 6: output paths stay in their folder
SMALL_RUN = ["--days", "3", "--no-plots", "--set", "world.population=300", "--set", "world.market_size=30000",
             "--set", "world.graph.degree=10"]


def test_a_scenario_name_cannot_write_outside_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "work" / "results"
    for name in ("../../escaped_run", str(tmp_path / "absolute_run")):
        result = runner.invoke(app, ["run", *SMALL_RUN, "--set", f"outputs.dir={results}", "--set", f"name={name}"])
        _clean(result, 0)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_dir() and p.parent == results)
    assert len(written) == 2 and not list(tmp_path.glob("escaped*")) and not list(tmp_path.glob("absolute*"))


def test_confined_keeps_every_name_one_folder_below():
    from sim.files import confined

    for name in ("../x", "/etc", "..", ".", "", "a/../../b", "a\\..\\b", "x\0y"):
        assert confined("out", name).parent == Path("out")


# --------------------------------------------------------------------------- 7: symlinks, CSV injection
def test_a_symlinked_team_file_is_refused_unread(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("team: TOP SECRET\n", encoding="utf-8")
    teams = tmp_path / "teams"
    teams.mkdir()
    _team(teams, "ok.yaml", (EXAMPLE / "01_tmall_blitz.yaml").read_text(encoding="utf-8"))
    (teams / "link.yaml").symlink_to(secret)
    roster = read_teams(teams, load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    assert [t.team for t in roster.teams] == ["Tmall Blitz"]
    (rejected,) = roster.rejected
    assert rejected.team == "link" and "symbolic link" in rejected.problems[0].message
    assert "SECRET" not in " ".join(rejected.lines())


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path):
    from sim.experiments.store import write_csv
    from sim.files import csv_cell

    assert [csv_cell(v) for v in ("=HYPERLINK(\"x\")", "+1+2", "-A1", "@SUM(A1)", "-12.5", "plain", 3)] == \
        ["'=HYPERLINK(\"x\")", "'+1+2", "'-A1", "'@SUM(A1)", "-12.5", "plain", 3]
    path = write_csv(tmp_path / "t.csv", ["team", "=x"], [["=HYPERLINK(\"http://evil\")", -1.5]])
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["team,'=x", "\"'=HYPERLINK(\"\"http://evil\"\")\",-1.5"]


# --------------------------------------------------------------------------- 4: bounded reads, no hang on a FIFO
def _fifo(tmp_path: Path, name: str) -> Path:
    import os

    path = tmp_path / name
    os.mkfifo(path)
    return path


def test_a_device_or_fifo_as_scenario_is_refused_at_once(tmp_path):
    import time

    for source, kind in ((Path("/dev/zero"), "character device"), (_fifo(tmp_path, "s.yaml"), "named pipe")):
        start = time.monotonic()
        out = _clean(runner.invoke(app, ["run", str(source), "--out", str(tmp_path / "r")]))
        assert kind in out and "not a regular file" in out and time.monotonic() - start < 5


def test_an_oversized_scenario_is_refused_without_reading_it(tmp_path):
    from sim.files import MAX_DOCUMENT_BYTES

    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: no disk used
    assert "is larger than 8.0 MiB" in _clean(runner.invoke(app, ["validate", str(big)]))


def test_calibration_csv_and_edge_list_on_a_device_or_fifo_are_one_error(tmp_path):
    targets = (ROOT / "scenarios" / "targets" / "observed_orders.yaml").read_text(encoding="utf-8")
    for name, csv_path in (("zero.yaml", "/dev/zero"), ("fifo.yaml", str(_fifo(tmp_path, "o.csv")))):
        _team(tmp_path, name, targets.replace("csv: observed_orders.csv", f"csv: {csv_path}"))
        assert "not a regular file" in _clean(runner.invoke(app, ["validate", str(tmp_path / name)]))
    fifo = _fifo(tmp_path, "edges.txt")
    result = runner.invoke(app, ["graph", "--out", str(tmp_path / "g"), "--set", "world.population=50",
                                 "--set", "world.graph.kind=edge_list", "--set", f"world.graph.path={fifo}"])
    assert "not a regular file" in _clean(result)


# --------------------------------------------------------------------------- 8: one clear line, not a traceback
def _no_simulation(monkeypatch):
    import sim.simulation

    def refuse(*args, **kwargs):
        raise AssertionError("simulated although the run could not be written")

    monkeypatch.setattr(sim.simulation, "run", refuse)


@pytest.mark.parametrize("raised", [KeyboardInterrupt(), "kernel"])
def test_ctrl_c_during_a_run_is_one_line_and_status_130(tmp_path, monkeypatch, raised):
    import sim.simulation

    def interrupted(*args, **kwargs):
        if raised == "kernel":  # what Ctrl-C inside a numba kernel looks like
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as exc:
                raise SystemError("CPUDispatcher(<function _consumers>) returned a result with an exception set") from exc
        raise raised

    monkeypatch.setattr(sim.simulation, "run", interrupted)
    out = _clean(runner.invoke(app, ["run", *SMALL_RUN, "--out", str(tmp_path / "r")]), 130)
    assert out.strip() == "error interrupted (Ctrl-C)" and not (tmp_path / "r").exists()


def _read_only(monkeypatch, code: int = 30):  # errno.EROFS
    import os
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)


def test_a_read_only_output_folder_is_refused_before_simulating(tmp_path, monkeypatch):
    _no_simulation(monkeypatch)
    _read_only(monkeypatch)
    out = _clean(runner.invoke(app, ["run", *SMALL_RUN, "--out", str(tmp_path / "ro" / "r")]))
    assert f"{tmp_path / 'ro'}: cannot write the results: the disk is read-only" in out and len(out.splitlines()) == 1


def test_a_read_only_tournament_folder_is_refused_before_playing(tmp_path, monkeypatch):
    import sim.tournament

    monkeypatch.setattr(sim.tournament, "play", lambda *a, **k: pytest.fail("played although nothing can be written"))
    _read_only(monkeypatch, 13)  # errno.EACCES
    result = runner.invoke(app, ["tournament", str(EXAMPLE), "--out", str(tmp_path / "t")])
    assert "no permission to write there" in _clean(result)


def test_a_full_disk_while_writing_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    import errno

    import sim.simulation

    def fill(result, folder, plots, plotter=None):
        (folder / "kpis.json").write_text("{", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sim.simulation, "_write_files", fill)
    out = _clean(runner.invoke(app, ["run", *SMALL_RUN, "--out", str(tmp_path / "full" / "r")]))
    assert f"{tmp_path / 'full'}: cannot write the results: the disk is full" in out
    assert list((tmp_path / "full").iterdir()) == []  # the half-written folder is gone


def test_two_runs_to_the_same_folder_the_second_is_refused(tmp_path, monkeypatch):
    import sim.simulation

    write = sim.simulation._write_files
    out = tmp_path / "same"

    def other_run_finishes_first(result, folder, plots, plotter=None):
        write(result, folder, plots, plotter)
        out.mkdir()  # the other run's folder appears while this one writes
        (out / "kpis.json").write_text("{}", encoding="utf-8")

    monkeypatch.setattr(sim.simulation, "_write_files", other_run_finishes_first)
    text = _clean(runner.invoke(app, ["run", *SMALL_RUN, "--out", str(out)]))
    assert "already exists" in text and [p.name for p in tmp_path.iterdir()] == ["same"]


# --------------------------------------------------------------------------- 5: schema-valid extremes
def test_a_run_that_cannot_fit_in_memory_is_refused_at_once_naming_the_limit(tmp_path, monkeypatch):
    import time

    import sim.resources

    monkeypatch.setattr(sim.resources, "available_memory", lambda: 4 * 2**30)  # any machine is this one
    start = time.monotonic()
    for change in ("world.population=5000000", "brands.focal.strategy.paid_media.0.budget_per_day=1e308"):
        extra = ["--set", "world.graph.degree=1000", "--set", "world.market_size=population"] if "population" in change else []
        out = _clean(runner.invoke(app, ["run", "--out", str(tmp_path / "r"), "--set", change, *extra]))
        assert "of memory, but this machine has 4.0 GiB available" in out
    assert time.monotonic() - start < 10 and not (tmp_path / "r").exists()


def test_the_memory_estimate_grows_with_the_graph_and_the_budgets():
    from sim.resources import run_memory

    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    bigger = load_scenario(ROOT / "scenarios" / "baseline.yaml", ["world.graph.degree=300"])
    richer = load_scenario(ROOT / "scenarios" / "baseline.yaml", ["brands.focal.strategy.paid_media.0.budget_per_day=3e6"])
    n = base.world.population  # the graph: 5 bytes per agent × contact, 8 per agent (row pointers)
    assert run_memory(bigger).graph - run_memory(base).graph == 5 * 150 * n
    assert run_memory(bigger).graph_build > run_memory(bigger).graph
    assert run_memory(richer).exposures > 100 * run_memory(base).exposures


def test_compare_check_prints_the_memory_estimate():
    out = _clean(runner.invoke(app, ["compare", str(ROOT / "experiments" / "channel_protection.yaml"), "--check"]), 0)
    assert "memory: about" in out and "per run at most" in out


def test_an_astronomic_market_size_is_refused_by_the_schema(tmp_path):
    result = runner.invoke(app, ["run", "--out", str(tmp_path / "r"), "--set", "world.market_size=1" + "0" * 400])
    assert "≤ 2 000 000 000" in _clean(result)


# --------------------------------------------------------------------------- 3: damaged stored runs
TINY = """\
name: tiny
base: {base}
set: {{world.population: 300, world.market_size: 30000, world.graph.degree: 10, simulation.days: 5}}
variants:
  - {{name: strict, set: {{brands.focal.strategy.parity: strict}}}}
  - {{name: none, set: {{brands.focal.strategy.parity: none}}}}
replications: 2
metrics: [focal.revenue]
outputs: {{dir: {out}, report: false}}
"""


def _tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.format(base=ROOT / "scenarios" / "baseline.yaml", out=tmp_path / "results"), encoding="utf-8")
    return path


def _compare(path: Path, *extra: str):
    return runner.invoke(app, ["compare", str(path), "--workers", "0", *extra])


def test_damaged_stored_runs_are_set_aside_with_a_warning_and_run_again(tmp_path, recwarn):
    path = _tiny(tmp_path)
    _clean(_compare(path), 0)
    (folder,) = (tmp_path / "results").iterdir()
    runs = sorted((folder / "runs").glob("*.parquet"))
    assert len(runs) == 4
    first = pq_table(runs[0])
    runs[0].write_bytes(runs[0].read_bytes()[:40])                  # truncated
    runs[1].write_bytes(b"garbage" * 30)                           # garbage
    runs[2].with_suffix(".json").write_text("{not json", encoding="utf-8")  # a damaged record
    (folder / "experiment.json").write_text("[", encoding="utf-8")  # a damaged manifest
    out = _clean(_compare(path), 0)
    warned = [str(w.message) for w in recwarn]
    assert sum("stored run is damaged" in w for w in warned) == 3 and sum("experiment.json: damaged" in w for w in warned) == 1
    assert "resumed: 1 runs were already stored, 3 ran now" in out
    assert len(list((folder / "runs" / "damaged").iterdir())) == 6
    assert pq_table(runs[0]) == first  # run again, same seed: the same series
    recwarn.clear()
    out = _clean(_compare(path), 0)
    assert "resumed: 4 runs were already stored, 0 ran now" in out and not recwarn.list


def pq_table(path: Path) -> dict:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pydict()


# --------------------------------------------------------------------------- 2: no orphans
def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_killing_compare_leaves_no_worker_alive(tmp_path, signum):
    import os
    import subprocess
    import sys
    import time

    path = _tiny(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("simulation.days: 5", "simulation.days: 300")
                    .replace("replications: 2", "replications: 40"), encoding="utf-8")
    command = subprocess.Popen([str(Path(sys.executable).parent / "socsim"), "compare", str(path), "--workers", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        start = time.monotonic()
        while len(_group(command.pid)) < 4 and time.monotonic() - start < 40:  # command, fork server, 2 workers
            time.sleep(0.1)
        assert len(_group(command.pid)) >= 4, "the workers never started"
        time.sleep(1.0)  # the workers are simulating
        os.kill(command.pid, signum)
        command.wait()
        killed = time.monotonic()
        while _group(command.pid) and time.monotonic() - killed < 10:
            time.sleep(0.1)
        survivors = _group(command.pid)
        assert not survivors, f"still alive 10 s after the command was killed: {survivors}"
    finally:
        for pid in _group(command.pid):
            os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- 10: calibration data
def _targets(tmp_path: Path, edit) -> Path:
    folder = ROOT / "scenarios" / "targets"
    lines = (folder / "observed_orders.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "observed_orders.csv").write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    path = tmp_path / "observed_orders.yaml"
    path.write_text((folder / "observed_orders.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:-1], "has 89 rows of data; the simulation runs 90 days"),
    (lambda lines: [*lines[:5], lines[5].rsplit(",", 1)[0], *lines[6:]], "line 6 does not have the header's"),
    (lambda lines: [*lines[:2], lines[2].replace(",", ",-", 1), *lines[3:]], "cannot be negative"),
])
def test_validate_refuses_short_ragged_or_negative_observed_data(tmp_path, edit, message):
    out = _clean(runner.invoke(app, ["validate", str(_targets(tmp_path, edit))]))
    assert message in out and "observed_orders.yaml:" in out


# --------------------------------------------------------------------------- 11: the dashboard's seed box
def test_the_dashboard_seed_box_keeps_to_the_seeds_the_cli_accepts():
    from sim.config.schema import MAX_SEED
    from sim.dashboard.workshop import WorkshopModel, WorkshopSetup, WorkshopState

    state = WorkshopState.from_setup(WorkshopSetup(population=300, overrides=("world.graph.degree=10", "simulation.days=5")))
    default = state.base.simulation.seed
    for text, used in ((str(MAX_SEED), MAX_SEED), (str(MAX_SEED + 1), default), ("9" * 5000, default), ("²", default),
                       (" 7 ", 7), ("-3", default)):
        model = WorkshopModel(state, seed=text)
        assert model.seed_used == used, text
    assert load_scenario(ROOT / "scenarios" / "baseline.yaml", [f"simulation.seed={MAX_SEED}"]).simulation.seed == MAX_SEED


# --------------------------------------------------------------------------- 9: designs too big to run
def _grid(tmp_path: Path, n: int, reps: int) -> Path:
    values = ", ".join(str(100 + i) for i in range(n))
    path = tmp_path / "grid.yaml"
    path.write_text(f"name: grid\nbase: {ROOT / 'scenarios' / 'baseline.yaml'}\nsweep:\n  grid:\n"
                    f"    - {{path: brands.focal.channels.tmall.price, values: [{values}]}}\n"
                    f"    - {{path: brands.focal.channels.wechat.price, values: [{values}]}}\n"
                    f"replications: {reps}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("n, reps, message", [(1000, 2, "1,000,000 scenarios (variants × points); at most 10,000"),
                                              (100, 100_000, "= 1,000,000,000 runs; at most 1,000,000")])
def test_a_design_too_big_to_run_is_refused_at_once(tmp_path, n, reps, message):
    import time

    start = time.monotonic()
    out = _clean(runner.invoke(app, ["sweep", str(_grid(tmp_path, n, reps)), "--check"]))
    assert message in out and time.monotonic() - start < 5


def test_sweep_check_prints_a_time_estimate(tmp_path):
    out = _clean(runner.invoke(app, ["sweep", str(_grid(tmp_path, 3, 2)), "--check"]), 0)
    assert "time: roughly" in out and "CPU-hours" in out


# --------------------------------------------------------------------------- fault injection
STORE_FILES = ["kpis.parquet", "daily.parquet", "runs.csv", "summary.csv", "experiment.yaml", "scenarios/none.p000.yaml",
               ".lock"]


def test_every_damaged_store_file_is_rewritten_on_the_next_run(tmp_path):
    import pyarrow.parquet as pq

    path = _tiny(tmp_path)
    _clean(_compare(path), 0)
    (folder,) = (tmp_path / "results").iterdir()
    clean = {name: (folder / name).read_bytes() for name in STORE_FILES if name.endswith((".csv", ".yaml"))}
    for name in STORE_FILES:
        (folder / name).write_bytes(b"\x00garbage" * 7)
    out = _clean(_compare(path), 0)
    assert "resumed: 4 runs were already stored, 0 ran now" in out
    assert pq.read_table(folder / "kpis.parquet").num_rows == 4 and pq.read_table(folder / "daily.parquet").num_rows == 20
    assert {name: (folder / name).read_bytes() for name in clean} == clean


def test_a_full_disk_during_compare_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    import errno

    import sim.experiments.store

    def full(table, where, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sim.experiments.store.pq, "write_table", full)
    out = _clean(_compare(_tiny(tmp_path)))
    assert "runs: cannot write the results: the disk is full" in out and len(out.strip().splitlines()) == 2


def test_ctrl_c_on_a_real_run_is_one_line(tmp_path):
    import os
    import subprocess
    import sys
    import time

    out = tmp_path / "sub" / "r"
    command = subprocess.Popen([str(Path(sys.executable).parent / "socsim"), "run", "--no-plots", "--out", str(out),
                                "--set", "world.population=100000", "--set", "world.market_size=10000000"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    start = time.monotonic()
    while not out.parent.exists() and time.monotonic() - start < 30:  # made just before the simulation starts
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(command.pid, signal.SIGINT)
    _, err = command.communicate(timeout=60)
    assert command.returncode == 130, err[-2000:]
    assert err.strip() == "error interrupted (Ctrl-C)" and not out.exists()
