"""Benchmark: ``socsim run`` of the baseline at national scale, as a user runs it.

Runs the command-line ``socsim run`` (graph, consumers, 365 days, results folder with
CSVs and plots) in a child process at each population and prints its wall time, CPU
time and peak memory (``ru_maxrss`` of the child, from ``os.wait4``) next to the memory
estimate the run was admitted with (:func:`sim.resources.run_memory`).

Usage::

    python benchmarks/run_national.py                        # 10⁷ agents, one per consumer
    python benchmarks/run_national.py --sizes 1000000 3000000
    python benchmarks/run_national.py --sizes 1000000 --market-size 100   # 100 consumers per agent

Goal: 10⁷ agents × k = 150 × 365 days in ≤ 5 min and ≤ 12 GiB peak on a 2-core,
23 GiB machine. A run is not started unless the machine has ``--need-gib`` × the estimate
available (other people's jobs share it).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIB = 2**30


def overrides(n: int, market_size: str, days: int) -> list[str]:
    """The ``--set`` values of one run: ``market_size`` is ``population`` or consumers per agent."""
    market = "population" if market_size == "population" else str(int(float(market_size) * n))
    return [f"world.population={n}", f"world.market_size={market}", f"simulation.days={days}"]


def estimate(changes: list[str]) -> int:
    """The run's memory estimate in bytes (what ``socsim run`` checks before it starts)."""
    sys.path.insert(0, str(ROOT))
    from sim.config.loader import load_scenario
    from sim.resources import run_memory

    return run_memory(load_scenario(ROOT / "scenarios" / "baseline.yaml", changes)).total


def available() -> int:
    """Bytes of memory available now (``MemAvailable``)."""
    with open("/proc/meminfo", encoding="ascii") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:"))


def one(changes: list[str], seed: int, plots: bool) -> dict:
    """Run ``socsim run`` once in a child process; its wall and CPU seconds and peak RSS."""
    socsim = Path(sys.executable).parent / "socsim"
    folder = Path(tempfile.mkdtemp(prefix="socsim-national-"))
    command = [str(socsim), "run", "--seed", str(seed), "--out", str(folder / "run"),
               *(a for c in changes for a in ("--set", c)), *([] if plots else ["--no-plots"])]
    start = time.perf_counter()
    with open(folder / "console.txt", "w", encoding="utf-8") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    console = (folder / "console.txt").read_text(encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"socsim run failed:\n{console[-3000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_bytes": usage.ru_maxrss * 1024,
            "console": console}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000_000])
    ap.add_argument("--market-size", default="population",
                    help="'population' (one agent per consumer) or consumers per agent, e.g. 100")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-plots", dest="plots", action="store_false")
    ap.add_argument("--need-gib", type=float, default=1.5, help="start only with this × the estimate available")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / GIB:.1f} GiB; Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for n in args.sizes:
        changes = overrides(n, args.market_size, args.days)
        need, have = estimate(changes), available()
        if have < args.need_gib * need:
            print(f"N = {n:,}: skipped, {have / GIB:.1f} GiB available < {args.need_gib} × the estimate {need / GIB:.1f} GiB")
            continue
        r = one(changes, args.seed, args.plots)
        print(f"N = {n:,} ({', '.join(changes)}), seed {args.seed}: wall {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s, "
              f"peak RSS {r['peak_bytes'] / GIB:.2f} GiB (estimate {need / GIB:.2f} GiB)")


if __name__ == "__main__":
    main()
