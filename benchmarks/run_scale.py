"""Benchmark: a year of the baseline market at 10⁴–10⁶ consumers × 150 contacts.

Prints, per population size: graph build time, simulation time, total wall time, peak
memory (max RSS of a fresh child process per size, so peaks don't mix), the split of a
day's cost over the stages of the day loop (docs/MODEL.md §1), and the day's events (exposures, shoppers,
orders) — so one can see that cost grows with events, not with N·k.

Usage::

    python benchmarks/run_scale.py                 # 10^4, 10^5, 10^6
    python benchmarks/run_scale.py --sizes 100000 --days 365
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(n: int, days: int, seed: int) -> dict:
    """Run in this process and return the figures (called in a child process)."""
    sys.path.insert(0, str(ROOT))
    from sim.config.loader import load_scenario
    from sim.model import MarketModel

    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml", [
        f"world.population={n}", f"world.market_size={n * 100}", f"simulation.days={days}",
    ])
    t0 = time.perf_counter()
    model = MarketModel(sc, seed=seed)
    t1 = time.perf_counter()
    events = {"exposures": 0, "shoppers": 0, "orders": 0}
    while model.day < model.days:
        model.step()
        for k, v in model.events_today.items():
            events[k] += v
    t2 = time.perf_counter()
    return {
        "n": n, "days": days, "setup_s": t1 - t0, "simulate_s": t2 - t1, "total_s": t2 - t0,
        "edges": int(model.graph.n_edges), "stages_s": dict(model.stage_seconds),
        "events_per_day": {k: v / days for k, v in events.items()},
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.days, args.seed)))
        return
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--days", str(args.days), "--seed", str(args.seed)],
                             capture_output=True, text=True, check=True)
        _report(json.loads(out.stdout.strip().splitlines()[-1]))


def _report(r: dict) -> None:
    print(f"\nN = {r['n']:,} consumers, {r['edges']:,} ties, {r['days']} days")
    print(f"  set-up (graph + population + agents): {r['setup_s']:.1f} s")
    print(f"  simulate: {r['simulate_s']:.1f} s  ({1000 * r['simulate_s'] / r['days']:.1f} ms/day)")
    print(f"  total: {r['total_s']:.1f} s   peak RSS: {r['peak_rss_gib']:.2f} GiB")
    ev = r["events_per_day"]
    print(f"  events/day: {ev['exposures']:,.0f} exposures, {ev['shoppers']:,.0f} shoppers, {ev['orders']:,.0f} orders")
    total = sum(r["stages_s"].values())
    for stage, s in sorted(r["stages_s"].items()):
        print(f"    {stage:22s} {s:7.2f} s  {s / total:6.1%}")


if __name__ == "__main__":
    main()
