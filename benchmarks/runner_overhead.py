"""Benchmark: what the experiment runner costs per run, beyond the simulation itself.

Runs the same 200 tiny runs (2 variants × 100 replications of the baseline at 500
consumers, 10 contacts, 20 days) through the runner's real path — tasks shipped as
(scenario JSON, seed), each result stored as it finishes (JSON + Parquet, atomic) —
on each executor, and prints per executor:

* wall: seconds from opening the executor to the last stored run (start-up included);
* sim: seconds spent inside the simulation, summed over runs (measured on the workers);
* overhead per run = (wall × workers − sim) / runs: core time not spent simulating;
* the same after start-up (from the first stored run on), the steady-state cost;
* start-up: open the executor until the first run is stored, less that run's simulation;
* load avg: the machine's 1-minute load average when the measurement started (other
  processes slow the simulation and the runner alike; compare rows of similar load).

Each executor is measured ``--repeats`` times, round robin, each time in a fresh Python
process with a fresh results folder (as one ``socsim compare`` command would be), and the
median is printed. Executors: this process (no pool, the reference), the local process pool
('forkserver', socsim's default, and 'fork'), and a local Dask cluster.

Usage::

    python benchmarks/runner_overhead.py                     # 200 runs, 3 repeats, 2 workers
    python benchmarks/runner_overhead.py --runs 50 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments import ExecutionPlan, InlineExecutor, ResultsStore, execute, load_experiment, open_executor  # noqa: E402
from sim.experiments.executors import available_cores, local_executor  # noqa: E402

EXPERIMENT = """\
name: overhead
base: {base}
set: {{world.population: 500, world.market_size: 50000, world.graph.degree: 10, simulation.days: 20}}
variants:
  - {{name: strict, set: {{brands.focal.strategy.parity: strict}}}}
  - {{name: none, set: {{brands.focal.strategy.parity: none}}}}
replications: {reps}
outputs: {{dir: {out}, report: false}}
"""


def executors(workers: int) -> dict[str, tuple[int, int | None, Callable]]:
    """Name → (workers, submission window, factory of a context manager yielding the executor)."""
    @contextmanager
    def inline() -> Iterator:
        yield InlineExecutor()

    @contextmanager
    def pool(method: str) -> Iterator:
        with local_executor(workers, method) as ex:
            yield ex

    return {
        "this process (--workers 0)": (1, 1, inline),
        f"local pool, forkserver ({workers} workers)": (workers, 2 * workers, lambda: pool("forkserver")),
        f"local pool, fork ({workers} workers)": (workers, 2 * workers, lambda: pool("fork")),
        f"Dask LocalCluster ({workers} workers)": (workers, None, lambda: open_executor(ExecutionPlan(dask_local=workers))),
    }


def measure(runs: int, workers: int, window: int | None, factory: Callable) -> dict[str, float]:
    """One pass of ``runs`` tiny runs through ``factory``'s executor, stored in a fresh folder."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "overhead.yaml"
        path.write_text(EXPERIMENT.format(base=ROOT / "scenarios" / "baseline.yaml", reps=runs // 2, out=tmp))
        design = load_experiment(path)
        sims: list[float] = []
        first: list[float] = []
        with ResultsStore.open(design) as store:
            def on_record(rec) -> None:
                store.record(rec)
                sims.append(rec.seconds)
                if not first:
                    first.append(time.perf_counter())

            start = time.perf_counter()
            with factory() as executor:
                execute(design.tasks(), executor, on_record, window=window)
            wall = time.perf_counter() - start
    n, sim = len(sims), sum(sims)
    startup = first[0] - start - sims[0]
    steady_wall = wall - (first[0] - start)
    return {
        "wall": wall, "sim": sim, "per_run_ms": 1000 * (wall * workers - sim) / n, "startup": startup,
        "steady_ms": 1000 * (steady_wall * workers - (sim - sims[0])) / (n - 1),
        "sim_per_run_ms": 1000 * sim / n,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=min(2, available_cores()))
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    table = executors(args.workers)
    if args.child:  # one measurement, in this fresh process
        workers, window, factory = table[args.child]
        print(json.dumps(measure(args.runs, workers, window, factory)))
        return
    names = [n for n in table if not (args.skip_dask and "Dask" in n)]
    rows: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    for _ in range(args.repeats):  # round robin: every executor sees the machine in the same state
        for name in names:
            load = os.getloadavg()[0]
            rows[name].append({**_child(name, args), "load": load})
    print(f"# {args.runs} tiny runs, {args.repeats} repeats (median), Python {platform.python_version()}, "
          f"{available_cores()} cores")
    print("| executor | wall (s) | sim per run (ms) | overhead per run (ms) | after start-up (ms) | start-up (s) "
          "| load avg |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        med = {k: statistics.median(r[k] for r in rows[name]) for k in rows[name][0]}
        print(f"| {name} | {med['wall']:.1f} | {med['sim_per_run_ms']:.0f} | {med['per_run_ms']:.0f} | "
              f"{med['steady_ms']:.0f} | {med['startup']:.2f} | {med['load']:.1f} |", flush=True)


def _child(name: str, args: argparse.Namespace) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", name, "--runs", str(args.runs), "--workers",
                          str(args.workers)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
