"""Benchmark: replications per minute with 1 and 2 local workers and on a 2-worker Dask cluster.

The Dask cluster is started the way a user starts one on real machines: a ``dask
scheduler`` process and two ``dask worker`` processes (one thread each) on localhost,
each its own command; the runs reach it through its address, as ``socsim compare
--scheduler tcp://HOST:PORT`` does. Every executor runs the same replications (the
baseline's two parity variants at ``--population`` agents, k = 150, a year); the
benchmark checks that each gives the same KPIs and daily series, float for float, and
prints runs per minute and the speed-up over one worker.

Usage::

    python benchmarks/replication_throughput.py                  # 2 variants × 6 replications
    python benchmarks/replication_throughput.py --reps 10 --population 50000

Needs the ``dask`` extra (``pip install 'socsim[dask]'``) for the cluster row; without it
that row is skipped.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments import ExecutionPlan, execute, load_experiment, open_executor  # noqa: E402
from sim.experiments.executors import available_cores  # noqa: E402

EXPERIMENT = """\
name: throughput
base: {base}
set: {{world.population: {population}, world.market_size: {market}, simulation.days: {days}}}
variants:
  - {{name: strict, set: {{brands.focal.strategy.parity: strict}}}}
  - {{name: none, set: {{brands.focal.strategy.parity: none}}}}
replications: {reps}
outputs: {{dir: {out}, report: false}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dask_cluster(workers: int) -> Iterator[str]:
    """A ``dask scheduler`` and ``workers`` × ``dask worker`` (1 thread each) on 127.0.0.1; yields the address."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        raise RuntimeError("the dask command is not installed: pip install 'socsim[dask]'")
    address = f"tcp://127.0.0.1:{free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                  "--no-dashboard"], **quiet)
    nodes = [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                               "--name", f"w{i}"], **quiet) for i in range(workers)]
    try:
        _wait_for_workers(address, workers)
        yield address
    finally:
        for proc in (*nodes, scheduler):
            proc.terminate()
        for proc in (*nodes, scheduler):
            proc.wait(timeout=30)


def _wait_for_workers(address: str, workers: int, timeout: float = 120.0) -> None:
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(workers, timeout=timeout)


def measure(design_path: Path, plan: ExecutionPlan) -> tuple[float, dict]:
    """Wall seconds to run every task of the design on ``plan``'s executor, and the records by key."""
    design = load_experiment(design_path)
    records: dict = {}
    start = time.perf_counter()
    with open_executor(plan, len(design.tasks())) as executor:
        execute(design.tasks(), executor, lambda rec: records.__setitem__(rec.key, rec), window=plan.window(len(design.tasks())))
    return time.perf_counter() - start, records


def same(a: dict, b: dict) -> bool:
    """Same runs, the same KPIs and daily series, float for float (NaN equal to NaN)."""
    if a.keys() != b.keys():
        return False
    for key, rec in a.items():
        other = b[key]
        if rec.kpis.keys() != other.kpis.keys() or not np.array_equal(
                [rec.kpis[k] for k in rec.kpis], [other.kpis[k] for k in rec.kpis], equal_nan=True):
            return False
        if rec.daily.keys() != other.daily.keys() or not all(
                np.array_equal(rec.daily[k], other.daily[k], equal_nan=True) for k in rec.daily):
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=6, help="replications per variant (2 variants)")
    ap.add_argument("--population", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "throughput.yaml"
        path.write_text(EXPERIMENT.format(base=ROOT / "scenarios" / "baseline.yaml", population=args.population,
                                          market=100 * args.population, days=args.days, reps=args.reps, out=tmp))
        runs = 2 * args.reps
        print(f"# {runs} runs (baseline, 2 variants × {args.reps} replications, {args.population:,} agents, k = 150, "
              f"{args.days} days); {platform.processor() or platform.machine()}, {available_cores()} cores, "
              f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}")
        measure(path, ExecutionPlan(workers=0))  # compiled kernels on disk before anything is timed
        rows = [("1 local worker", ExecutionPlan(workers=1)), ("2 local workers", ExecutionPlan(workers=2))]
        results = {}
        for name, plan in rows:
            results[name] = measure(path, plan)
        if not args.skip_dask:
            with dask_cluster(2) as address:
                results["Dask: scheduler + 2 workers (separate processes)"] = measure(
                    path, ExecutionPlan(scheduler=address))
        reference = results["1 local worker"]
        print("| executor | wall (s) | runs per minute | speed-up | identical to 1 worker |")
        print("|---|---|---|---|---|")
        for name, (wall, records) in results.items():
            print(f"| {name} | {wall:.1f} | {60 * runs / wall:.1f} | {reference[0] / wall:.2f}× | "
                  f"{'yes' if same(records, reference[1]) else 'NO'} |")


if __name__ == "__main__":
    main()
