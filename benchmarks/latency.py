"""Benchmark: how long a trainer waits — a warm ``socsim run`` end to end, and one dashboard Step.

* ``run``: ``socsim run`` of the bundled baseline as a user types it, in a fresh process
  each time (interpreter start, imports, simulation, CSV/JSON, plots, exit), through the
  entry point the ``socsim`` script calls (read from the tree's pyproject.toml), after one
  untimed run so the compiled kernels are cached, the files are in the page cache and
  sim's modules are compiled to .pyc files ("warm", as a user's second run is). The
  children run without ``PYTHONDONTWRITEBYTECODE`` even where it is set: without .pyc
  files every run compiles sim's sources again, ≈ 0.2 s.
  Variants: the default (three main plots), ``--all-plots`` (nine) and ``--no-plots``.
  The plots are drawn by processes the run forks (sim/plots/worker.py); their CPU time
  is counted (``RUSAGE_CHILDREN`` of the command includes the processes it reaped).
* ``step``: one press of Step on the dashboard — 7 days of the workshop market (5,000
  consumers) and the redraw of its six charts (PNG) and the KPI table, in English and in
  Chinese; timed in this process after the page's first draw, as the server does it.
* ``phases``: where a run's CPU time goes, one fresh process (imports, set-up, simulation,
  files, each plot drawn in that process, as a plot worker draws it).

Each figure is the median of ``--repeats``; wall time and CPU time (user + system of the
process, ``resource.getrusage``) are both reported, with the machine's 1-minute load average
when the measurement started: on a shared machine wall time grows with the load, CPU time
much less.

``--against DIR`` compares with another source tree (say ``git worktree add /tmp/before
<commit>``, whose kernels a first run there compiles): its runs and Steps alternate with
this tree's, one fresh process each, so both see the same load; for ``run``, the median and
quartiles of the differences pair by pair are printed too. The Step is then timed in
a child process per repeat (the page's first draw excluded), through the API both trees have.

Usage::

    python benchmarks/latency.py                 # run, step and phases, 5 repeats
    python benchmarks/latency.py --only step --repeats 10
    python benchmarks/latency.py --only run --against /tmp/before --repeats 7
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_env(tree: Path) -> dict[str, str]:
    """The environment of a child process that imports ``sim`` from ``tree`` (and caches its bytecode)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")])}


def socsim(tree: Path = ROOT) -> list[str]:
    """The command the ``socsim`` script runs, for ``tree``: the entry point its pyproject.toml names."""
    with open(tree / "pyproject.toml", "rb") as f:
        module, function = tomllib.load(f)["project"]["scripts"]["socsim"].split(":")
    return [sys.executable, "-c", f"from {module} import {function}; {function}()"]


def time_run(extra: list[str], repeats: int, trees: tuple[Path, ...] = (ROOT,)) -> list[tuple[list[float], list[float]]]:
    """Wall and CPU seconds of ``repeats`` runs of ``socsim run [extra]`` in fresh processes,
    per source tree: the runs of the trees alternate, which goes first alternating too."""
    walls: list[list[float]] = [[] for _ in trees]
    cpus: list[list[float]] = [[] for _ in trees]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats + 1):
            for k in (range(len(trees)) if i % 2 else reversed(range(len(trees)))):
                out = Path(tmp) / f"run{i}-{k}"
                cpu, wall = _children_cpu(), time.perf_counter()
                subprocess.run([*socsim(trees[k]), "run", "--out", str(out), *extra], cwd=tmp, check=True,
                               stdout=subprocess.DEVNULL, env=_tree_env(trees[k]))
                if i:  # the first run warms the kernel cache and the page cache
                    walls[k].append(time.perf_counter() - wall)
                    cpus[k].append(_children_cpu() - cpu)
    return list(zip(walls, cpus))


def paired(before: list[float], after: list[float]) -> str:
    """The median and quartiles of after − before, pair by pair (runs made one after the other)."""
    differences = [b - a for a, b in zip(before, after)]
    if len(differences) < 2:
        return f"{differences[0]:+.3f} s"
    q1, median, q3 = statistics.quantiles(differences, n=4)
    return f"{median:+.3f} s ({q1:+.3f} … {q3:+.3f})"


_STEP = """
import sys, time
from sim.dashboard.charts import kpi_rows, render_charts
from sim.dashboard.workshop import WorkshopModel, WorkshopState
model = WorkshopModel(WorkshopState.from_setup())
render_charts(model, sys.argv[1])
model.step()  # a first Step, untimed, as in this process's timing
render_charts(model, sys.argv[1])
times = []
for _ in range(3):
    cpu, wall = time.process_time(), time.perf_counter()
    model.step()
    render_charts(model, sys.argv[1])
    kpi_rows(model, sys.argv[1])
    times.append((time.perf_counter() - wall, time.process_time() - cpu))
print(*sorted(times)[1])
"""


def time_steps(repeats: int, lang: str, trees: tuple[Path, ...]) -> list[tuple[float, float]]:
    """Median wall and CPU seconds of a Step (7 days + six charts + KPI table) per source
    tree: ``repeats`` child processes per tree, the trees alternating, each giving the median
    of three Steps after an untimed one."""
    times: list[list[tuple[float, float]]] = [[] for _ in trees]
    for _ in range(repeats):
        for k, tree in enumerate(trees):
            done = subprocess.run([sys.executable, "-c", _STEP, lang], check=True, capture_output=True, text=True,
                                  env=_tree_env(tree), cwd=tempfile.gettempdir())
            wall, cpu = map(float, done.stdout.split()[-2:])
            times[k].append((wall, cpu))
    return [(statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for t in times]


def time_step(repeats: int, lang: str) -> tuple[float, float, float, float]:
    """Median wall and CPU seconds of a dashboard Step (7 days + six charts + KPI table), and the
    share of it spent simulating (wall, CPU)."""
    from sim.dashboard.charts import kpi_rows, render_charts
    from sim.dashboard.workshop import WorkshopModel, WorkshopState

    model = WorkshopModel(WorkshopState.from_setup())
    render_charts(model, lang)  # the page's first draw (fonts loaded, ego network laid out)
    walls, cpus, sim_walls, sim_cpus = [], [], [], []
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        model.step()
        sim_cpus.append(time.process_time() - cpu)
        sim_walls.append(time.perf_counter() - wall)
        render_charts(model, lang)
        kpi_rows(model, lang)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    med = statistics.median
    return med(walls), med(cpus), med(sim_walls), med(sim_cpus)


_PHASES = r"""
import time, tempfile, pathlib
t = [time.process_time()]
def lap(name):
    t.append(time.process_time()); print(f"{name}\t{t[-1] - t[-2]:.3f}")
from sim.cli import app; lap("import the command line")
import sim.simulation as s; lap("import the model (numba, the schema)")
from sim.config.loader import load_scenario
sc = load_scenario("scenarios/baseline.yaml"); lap("load the scenario")
from sim.engines import make_model
m = make_model(sc); lap("build the market (graph, agents; loads the compiled kernels)")
m.run(); lap("simulate 365 days")
result = s.run(sc)
t.append(time.process_time())
from sim.plots import run as plots; lap("import matplotlib and the plots")
folder = pathlib.Path(tempfile.mkdtemp())
s.write_results(result, folder / "r", plots=False); lap("write CSV, JSON, YAML")
for name in plots.PLOT_FILES:
    plots.run_plots(result, folder / "p", [name]); lap(f"plot {name}")
"""


def phases() -> list[tuple[str, float]]:
    """CPU seconds of each phase of a run, in one fresh process (after a warm-up run)."""
    text = subprocess.run([sys.executable, "-c", _PHASES], cwd=ROOT, check=True, capture_output=True, text=True,
                          env=_tree_env(ROOT)).stdout
    return [(name, float(sec)) for name, sec in (line.split("\t") for line in text.splitlines())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=("run", "step", "phases"))
    parser.add_argument("--against", type=Path, help="another source tree to compare with, runs interleaved")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}")
    trees = (ROOT,) if args.against is None else (args.against.resolve(), ROOT)
    width = max(len(tree.name) for tree in trees) + 1
    names = [f"{tree.name:>{width}s} " if args.against else "" for tree in trees]
    if args.only in (None, "run"):
        for label, extra in (("socsim run (3 main plots)", []), ("socsim run --all-plots", ["--all-plots"]),
                             ("socsim run --no-plots", ["--no-plots"])):
            load = os.getloadavg()[0]
            runs = time_run(extra, args.repeats, trees)
            for name, (walls, cpus) in zip(names, runs):
                print(f"{name}{label:34s} wall {statistics.median(walls):6.2f} s (min {min(walls):.2f})   "
                      f"CPU {statistics.median(cpus):6.2f} s   (load {load:.1f})")
            if args.against is not None:
                (walls_a, cpus_a), (walls_b, cpus_b) = runs
                print(f"{'':{width + 1}s}{'per pair, this − other:':34s} wall {paired(walls_a, walls_b)}   "
                      f"CPU {paired(cpus_a, cpus_b)}")
    if args.only in (None, "step"):
        for lang in ("en", "zh"):
            load = os.getloadavg()[0]
            if args.against is not None:
                for name, (wall, cpu) in zip(names, time_steps(args.repeats, lang, trees)):
                    print(f"{name}dashboard Step, 7 days, {lang:10s} wall {wall:6.3f} s   CPU {cpu:6.3f} s   (load {load:.1f})")
                continue
            wall, cpu, sim_wall, sim_cpu = time_step(args.repeats, lang)
            print(f"dashboard Step, 7 days, {lang:21s} wall {wall:6.3f} s   CPU {cpu:6.3f} s   "
                  f"(simulating: {sim_wall:.3f} s wall, {sim_cpu:.3f} s CPU; load {load:.1f})")
    if args.only in (None, "phases"):
        subprocess.run([*socsim(), "run", "--no-plots", "--out", tempfile.mkdtemp() + "/warm"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, env=_tree_env(ROOT))
        for name, sec in phases():
            print(f"  {name:62s} CPU {sec:6.3f} s")


if __name__ == "__main__":
    main()
