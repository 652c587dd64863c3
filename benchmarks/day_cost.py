"""Benchmark: what a fast day costs in this checkout against another version of the code.

A speed budget such as "the fast day within 1.3× of its cost before a change" compares two
versions of the package, each simulating its own bundled baseline (the market as that version
defines it). This runs both, alternating, on the same machine: each measurement is a fresh
process that puts one tree's ``sim`` first on its path, compiles that tree's kernels on a
small untimed run, builds the baseline at N consumers (k = 150 as bundled, market_size =
100 × N, one agent per 100 consumers), steps one untimed day and times the rest in CPU time
(``time.process_time``), model after model. Printed: each tree's ms per day (median of its
models, per round), the median over the rounds, each tree's cost against the first, the
day's events (exposures, shoppers, orders: a day that does more work costs more) and, where
the tree records them, the µs a day of each stage of the day.

``--against REV`` exports a git revision of this repository (``git archive``) into a
temporary folder and measures it first, so the ratio reads "this checkout / REV".
Alternate, never run two at once: the two cores are shared, and a second job skews both.

Usage::

    python benchmarks/day_cost.py --against dc02162                      # 10⁴ × 365, 3 rounds
    python benchmarks/day_cost.py --against dc02162 --n 1000000 --days 60 --models 1 --rounds 2
    python benchmarks/day_cost.py --tree /tmp/other-checkout --n 100000 --days 120
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Run in the child: ``python -c CHILD tree n days models seed``; prints one JSON line.
CHILD = r"""
import gc, json, sys, time
tree, n, days, models, seed = sys.argv[1], *map(int, sys.argv[2:6])
sys.path.insert(0, tree)
from sim.config.loader import load_scenario
from sim.model import MarketModel

def scenario(size, length):
    return load_scenario(f"{tree}/scenarios/baseline.yaml", [
        f"world.population={size}", f"world.market_size={size * 100}", f"simulation.days={length}"])

MarketModel(scenario(min(n, 10_000), 5), seed=1).run()  # compiles (or loads) the tree's kernels
ms, events, stages = [], {"exposures": 0, "shoppers": 0, "orders": 0}, {}
for k in range(models):
    model = MarketModel(scenario(n, days), seed=seed + k)
    model.step()
    gc.collect()
    start = time.process_time()
    while model.day < days:
        model.step()
        for key in events:
            events[key] += getattr(model, "events_today", {}).get(key, 0)
    ms.append((time.process_time() - start) / (days - 1) * 1e3)
    for stage, seconds in getattr(model, "stage_seconds", {}).items():
        stages[stage] = stages.get(stage, 0.0) + seconds / days * 1e6 / models  # µs a day
    del model
    gc.collect()
per_day = {key: value / (models * (days - 1)) for key, value in events.items()}
print(json.dumps({"ms": ms, "events": per_day, "stages": stages}))
"""


def measure(tree: Path, n: int, days: int, models: int, seed: int) -> dict:
    """One fresh process's figures for ``tree`` (see :data:`CHILD`)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(n), str(days), str(models), str(seed)],
                         capture_output=True, text=True, cwd=tree)  # cwd: no other checkout's sim on the path
    if out.returncode != 0:
        sys.exit(f"error: the run in {tree} failed:\n{out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def export(rev: str, into: Path) -> Path:
    """``git archive`` of revision ``rev`` of this repository, unpacked in ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True)
    if archive.returncode != 0:
        sys.exit(f"error: --against {rev}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def report(names: list[str], rounds: list[list[dict]], n: int, days: int) -> None:
    """Print each tree's cost per day, its ratio to the first tree, its events and its stages."""
    print(f"\nfast day at N = {n:,}, days 2–{days} (CPU ms/day; median of each round's models)")
    medians = []
    for i, name in enumerate(names):
        per_round = [statistics.median(r[i]["ms"]) for r in rounds]
        medians.append(statistics.median(per_round))
        ratio = f"{medians[i] / medians[0]:.2f}×" if i else "1.00×"
        print(f"  {name:<40} {medians[i]:8.3f}  {ratio:>6}   rounds: {', '.join(f'{x:.3f}' for x in per_round)}")
    print("\nevents a day (exposures, shoppers, orders) and µs a day by stage (mean of the models, last round)")
    for name, figures in zip(names, rounds[-1]):
        events = ", ".join(f"{figures['events'][k]:,.0f}" for k in ("exposures", "shoppers", "orders"))
        stages = "  ".join(f"{stage.split(' ', 1)[-1]} {us:.0f}" for stage, us in sorted(figures["stages"].items()))
        print(f"  {name:<40} {events}\n  {'':<40} {stages}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="REV", help="a git revision of this repository to measure first")
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="another checkout to measure first (repeatable)")
    parser.add_argument("--n", type=int, default=10_000, help="consumers (default 10⁴)")
    parser.add_argument("--days", type=int, default=365, help="days a model runs (default 365)")
    parser.add_argument("--models", type=int, default=3, help="models per process (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of all trees (default 3)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the first model (default 42)")
    args = parser.parse_args()
    if args.days < 2 or args.models < 1 or args.rounds < 1:
        parser.error("--days must be ≥ 2, --models and --rounds ≥ 1")
    for tree in args.tree:
        if not (tree / "sim" / "model.py").is_file() or not (tree / "scenarios" / "baseline.yaml").is_file():
            parser.error(f"--tree {tree}: not a socsim checkout (no sim/model.py and scenarios/baseline.yaml there)")
    with tempfile.TemporaryDirectory(prefix="day_cost_") as tmp:
        named = {f"{args.against} (git archive)": export(args.against, Path(tmp))} if args.against else {}
        named |= {str(t.resolve()): t.resolve() for t in args.tree} | {str(ROOT): ROOT}
        names, trees = list(named), list(named.values())
        if len(trees) < 2:
            print("note: only this checkout given (--against REV or --tree PATH adds one to compare with)")
        rounds = []
        for r in range(args.rounds):
            rounds.append([measure(t, args.n, args.days, args.models, args.seed) for t in trees])
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{statistics.median(f['ms']):.3f}" for f in rounds[-1]) + " ms/day", flush=True)
        report(names, rounds, args.n, args.days)


if __name__ == "__main__":
    main()
