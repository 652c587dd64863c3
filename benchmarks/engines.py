"""Benchmark: agent-steps per second of the fast and the reference engine, in one run.

Both engines simulate the baseline scenario as shipped — N = 10⁴ consumers × k = 150
contacts (market_size = 100 × N, as in the baseline), its own horizon of 365 days from
Jan 1 — from the same seed; an agent-step is one consumer stepped through one day, so
agent-steps/s = N · days / s of simulation (set-up excluded). After one untimed warm-up
run each (a process's first run loads the compiled kernels), each engine runs
``--repeats`` times, interleaved with the other and each run from a collected heap; the
median is reported, with the time spent in the consumer stages (attitude, need, choice,
after purchase) — the only part the engines do differently besides word of mouth — and
the median ratio of the back-to-back (fast, reference) pairs, which sees the machine in
one state per pair. The same runs also give the ratio over their first 30 days, where
the fast engine's start-up weighs most (its first day, run on caches the set-up has
just flushed, costs about four ordinary days; the reference's days are shorter while
awareness is low). It also prints the time of the stages both engines share (same
code) and the bound they put on the ratio.

Usage::

    python benchmarks/engines.py                       # N = 10^4, k = 150, the baseline's 365 days, 5 repeats
    python benchmarks/engines.py --days 90 --repeats 7
    python benchmarks/engines.py --n 5000 --days 30 --repeats 5
    python benchmarks/engines.py --fast-n 100000       # also the fast engine alone at 10^5

The reference engine's cost per agent-step is flat in N (plain Python per consumer),
while the fast engine's day has a fixed overhead that N amortises; ``--fast-n``
shows how the fast engine's rate grows past the reference's size limit, against the
reference rate measured at ``--n`` (labelled as such: the reference cannot run there).
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.config.loader import load_scenario  # noqa: E402
from sim.config.schema import Scenario  # noqa: E402
from sim.model import MarketModel  # noqa: E402
from sim.reference import ReferenceMarketModel  # noqa: E402

CONSUMER_STAGES = ("3 attitude", "4 need", "5 choice", "6 after purchase")


BASELINE = ROOT / "scenarios" / "baseline.yaml"
#: The window whose ratio is printed beside the whole run's: the first month.
FIRST_DAYS = 30


def baseline(n: int, days: int | None, *overrides: str) -> Scenario:
    """The baseline at ``n`` consumers (market_size = 100 × n, as in the file), for ``days``
    days (None: its own horizon)."""
    horizon = [f"simulation.days={days}"] if days is not None else []
    return load_scenario(BASELINE, [f"world.population={n}", f"world.market_size={n * 100}", *horizon, *overrides])


def time_engine(cls: type[MarketModel], n: int, days: int | None, seed: int) -> dict[str, float]:
    """Seconds of one run: set-up, simulate, the consumer stages, the shared stages, and
    the simulation's first :data:`FIRST_DAYS` days.

    Shared = what both engines run with the same code: the day minus the consumer stages
    and minus word of mouth (``_share``, which each engine steps its own way).
    """
    sc = baseline(n, days)
    gc.collect()  # start from a clean heap: the previous run's agents are garbage the collector would walk mid-run
    t0 = time.perf_counter()
    model = cls(sc, seed=seed)
    t1 = time.perf_counter()
    wom = [0.0]
    share = model._share

    def timed_share(*args) -> None:
        start = time.perf_counter()
        share(*args)
        wom[0] += time.perf_counter() - start

    model._share = timed_share  # the day passes self._share to the signal producers
    first = float("nan")
    while model.day < model.days:  # MarketModel.run, with a look at the clock after the first month
        model.step()
        if model.day == FIRST_DAYS:
            first = time.perf_counter() - t1
    t2 = time.perf_counter()
    consumers = sum(model.stage_seconds[s] for s in CONSUMER_STAGES)
    return {"setup": t1 - t0, "simulate": t2 - t1, "consumers": consumers, "shared": t2 - t1 - consumers - wom[0],
            "first": first, "days": model.days}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=None, help="days to simulate (default: the baseline's own, 365)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--fast-n", type=int, nargs="*", default=[], metavar="N",
                    help="also time the fast engine alone at these populations")
    args = ap.parse_args()
    engines = (MarketModel, ReferenceMarketModel)
    for cls in engines:  # warm-up, untimed: the first run of a process loads the compiled kernels
        time_engine(cls, args.n, 2, args.seed)
    # Interleaved (fast, reference, fast, ...): this machine's speed drifts by tens of per
    # cent over minutes, and both engines should see the same drift.
    runs = {cls: [] for cls in engines}
    for _ in range(args.repeats):
        for cls in engines:
            runs[cls].append(time_engine(cls, args.n, args.days, args.seed))
    days = runs[MarketModel][0]["days"]
    print(f"python {platform.python_version()}, {platform.machine()}, baseline, N = {args.n:,}, k = 150, "
          f"{days} days, median of {args.repeats}")
    med = {cls: {k: statistics.median(r[k] for r in runs[cls]) for k in runs[cls][0]} for cls in engines}
    for cls in engines:
        m = med[cls]
        print(f"{cls.__name__:22s} set-up {m['setup']:6.2f} s  simulate {m['simulate']:7.3f} s "
              f"({1000 * m['simulate'] / days:7.2f} ms/day; consumer stages {m['consumers']:7.3f} s)  "
              f"{args.n * days / m['simulate']:12,.0f} agent-steps/s")
    fast, ref = med[MarketModel], med[ReferenceMarketModel]
    print(f"ratio fast/reference: {ref['simulate'] / fast['simulate']:.1f}× agent-steps/s "
          f"({ref['consumers'] / fast['consumers']:.1f}× in the consumer stages alone)")
    # Each repeat's pair was timed back to back, so its ratio sees one state of the machine.
    paired = sorted(r["simulate"] / f["simulate"] for f, r in zip(runs[MarketModel], runs[ReferenceMarketModel]))
    print(f"ratio per repeat (fast then reference, back to back): median {statistics.median(paired):.1f}×, "
          f"range {paired[0]:.1f}–{paired[-1]:.1f}×")
    if days > FIRST_DAYS:
        print(f"first {FIRST_DAYS} days of the same runs: fast {1000 * fast['first'] / FIRST_DAYS:.2f} ms/day, "
              f"reference {1000 * ref['first'] / FIRST_DAYS:.1f} ms/day, ratio {ref['first'] / fast['first']:.1f}×")
    # Both engines run the shared stages with the same code: even free consumer stages
    # could not make the fast day shorter than them.
    print(f"shared stages (signals but word of mouth, partners, ledger, collect): "
          f"{1000 * fast['shared'] / days:.2f} ms/day in the fast run, so the ratio at this N is at most "
          f"{ref['simulate'] / fast['shared']:.0f}×")
    for n in args.fast_n:
        alone = [time_engine(MarketModel, n, args.days, args.seed) for _ in range(args.repeats)]
        rate = n * days / statistics.median(r["simulate"] for r in alone)
        print(f"MarketModel at N = {n:,}: {rate:12,.0f} agent-steps/s = {rate * ref['simulate'] / (args.n * days):.0f}× "
              f"the reference's rate at N = {args.n:,}")


if __name__ == "__main__":
    main()
