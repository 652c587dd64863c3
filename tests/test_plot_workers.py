"""``socsim run`` draws its plots in processes forked at the start (sim.plots.worker): the same
pictures, a complete results folder, and on failure or Ctrl-C one clear line and no folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.plots.run
from sim.cli import app
from sim.config.loader import load_scenario
from sim.plots import MAIN_PLOTS, PLOT_FILES
from sim.plots.worker import PlotError, PlotProcess
from sim.simulation import run, write_results

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--set", "world.population=1500", "--set", "world.market_size=150000", "--set", "world.graph.degree=20"]
runner = CliRunner()


@pytest.fixture(scope="module")
def result():
    return run(load_scenario(ROOT / "scenarios" / "baseline.yaml", [*SMALL[1::2], "simulation.days=20"]))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_workers_write_the_folder_the_parent_would_byte_for_byte(result, tmp_path):
    """Every file, plots included, is the one a run drawing its plots in this process writes."""
    here = _files(write_results(result, tmp_path / "here", plots=True, every_plot=True))
    with PlotProcess(PLOT_FILES, workers=2) as plotter:
        there = _files(write_results(result, tmp_path / "there", plots=True, plotter=plotter))
    assert sorted(there) == sorted(here) and set(PLOT_FILES) <= set(there)
    assert [name for name in here if here[name] != there[name]] == []


def _failing(monkeypatch, name: str, fail) -> None:
    """Make the plot ``name`` fail in the workers (they are forked from this process)."""
    drawn = sim.plots.run.run_plots

    def run_plots(result, folder, names):
        if name in names:
            fail()
        return drawn(result, folder, names)

    monkeypatch.setattr(sim.plots.run, "run_plots", run_plots)


def _raise():
    raise ValueError("no funnel today")


@pytest.mark.parametrize("fail, said", [
    (_raise, "funnel.png: could not be drawn: ValueError: no funnel today; no results folder written"),
    (lambda: os._exit(3), "funnel.png: the plotting process ended before drawing it; no results folder written"),
])
def test_a_failing_plot_is_one_clear_line_exit_1_and_no_folder(tmp_path, monkeypatch, fail, said):
    _failing(monkeypatch, "funnel.png", fail)
    done = runner.invoke(app, ["run", "--days", "10", "--out", str(tmp_path / "r"), *SMALL])
    assert done.exit_code == 1, done.output
    assert said in done.output and "Traceback" not in done.output
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary one


def test_a_failure_waits_for_the_plots_being_drawn(result, tmp_path, monkeypatch):
    """A plot fails while another is drawn: the error comes once that one is written, and nothing is written after."""
    _failing(monkeypatch, "revenue_by_channel.png", _raise)
    with PlotProcess(MAIN_PLOTS, workers=2) as plotter:
        with pytest.raises(PlotError, match="revenue_by_channel.png"), plotter.drawing(result, tmp_path):
            pass
        written = sorted(p.name for p in tmp_path.iterdir())
    time.sleep(0.5)
    assert written == sorted(p.name for p in tmp_path.iterdir())
    assert "funnel.png" in written and "revenue_by_channel.png" not in written


def test_ctrl_c_in_the_terminal_stops_the_run_and_its_plot_processes(tmp_path):
    """The terminal sends Ctrl-C to every process of the command: one line, status 130, no
    folder, and no process of the command left."""
    out = tmp_path / "sub" / "r"
    # Ten years of 10⁵ agents, so that the Ctrl-C comes while it simulates; Ctrl-C as a
    # terminal delivers it even when this suite runs in the background (where a shell
    # starts commands with SIGINT ignored, and children inherit that).
    command = subprocess.Popen([sys.executable, "-c", "from sim.cli import main; main()", "run", "--out", str(out),
                                "--set", "world.population=100000", "--set", "world.market_size=10000000",
                                "--days", "3650"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    start = time.monotonic()
    while not out.parent.exists() and time.monotonic() - start < 30:  # made just before the simulation starts
        time.sleep(0.05)
    time.sleep(1.0)  # the plot processes are warm and waiting
    os.killpg(command.pid, signal.SIGINT)
    _, err = command.communicate(timeout=60)
    assert command.returncode == 130, err[-2000:]
    assert err.strip() == "error interrupted (Ctrl-C)" and not out.exists()
    for _ in range(50):
        try:
            os.killpg(command.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("a process of the command outlived it")
