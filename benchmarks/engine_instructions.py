"""Benchmark: CPU instructions per agent-step of the fast and the reference engine.

Wall-clock figures on a shared virtual machine drift (±40 % between minutes here), so
this companion to ``benchmarks/engines.py`` counts instructions instead, with valgrind's
callgrind, which gives the same count for the same code, inputs and seed whatever else
the machine is doing. Each engine runs the baseline at N = 10⁴ consumers × k = 150 twice
from the same seed, for ``d0`` and ``d1`` days; the difference of the two totals divided
by (d1 − d0) is the cost of a simulated day with set-up, imports and interpreter start
cancelled out. An agent-step is one consumer stepped through one day.

Usage::

    python benchmarks/engine_instructions.py            # days 5 → 20 of the baseline, both engines
    python benchmarks/engine_instructions.py --n 5000

Needs valgrind (Debian package ``valgrind``). It took about seven minutes on 2 cores before
the fast engine's day became numba kernels; under valgrind numba compiles those kernels again
(it does not take the cached ones), and the run has not finished in 15 minutes since.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ENGINES = ("fast", "reference")
WINDOW = (5, 20)  # days d0 → d1, the same for both engines: activity changes as awareness spreads


def child(engine: str, n: int, days: int) -> None:
    """Build and run one model (the process callgrind measures)."""
    from engines import baseline  # the wall-clock benchmark's scenario (same folder)
    from sim.engines import make_model

    make_model(baseline(n, days, f"simulation.engine={engine}"), seed=42).run()


def instructions(engine: str, n: int, days: int) -> int:
    """Instructions callgrind counts for one whole run (all threads)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           sys.executable, __file__, "--child", engine, str(n), str(days)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        sys.exit(f"callgrind run failed ({' '.join(cmd)}):\n{run.stderr[-2000:]}")
    return int(found.group(1))


def per_day(engine: str, n: int) -> float:
    d0, d1 = WINDOW
    with ThreadPoolExecutor(2) as pool:  # the two runs are independent: one per core
        short, long = pool.map(lambda d: instructions(engine, n, d), (d0, d1))
    return (long - short) / (d1 - d0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--child", nargs=3, metavar=("ENGINE", "N", "DAYS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        engine, n, days = args.child
        return child(engine, int(n), int(days))
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    print(f"N = {args.n:,}, k = 150, baseline, seed 42; instructions counted by callgrind")
    cost = {}
    for engine in ENGINES:
        cost[engine] = per_day(engine, args.n)
        print(f"{engine:9s} {cost[engine] / 1e6:9.1f} M instructions/day (days {WINDOW[0]} → {WINDOW[1]})  "
              f"{cost[engine] / args.n:9,.0f} per agent-step")
    print(f"ratio reference/fast: {cost['reference'] / cost['fast']:.1f}× fewer instructions per agent-step")


if __name__ == "__main__":
    main()
