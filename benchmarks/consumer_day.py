"""Benchmark: the consumers' day (stages 3–6, ``consumer_day``) replayed from one state.

A whole simulated day on a shared 2-core machine varies by ±20 % from run to run, which
hides a change of a few microseconds. This replays the consumers' day of chosen days many
times from the same state instead: the run goes to day d, the call's arguments, every
population array and the three random streams' states are kept, and the call is run again
``--repeats`` times, each from the restored state (and fresh copies of the sharer pools).
The minimum over the repeats is what the code costs when the neighbours leave the core
alone; the median is printed beside it, and the minimum CPU cycles of each consumer stage
(attitude, need, choice, after purchase: the kernel's own cycle counter), which show where
a change moved the time.

``--kernel`` times the compiled call alone (``_consumers``: argument typing by numba and
the kernels), so the difference with the default is the Python that builds its inputs.
``--tree`` runs another checkout of the package (e.g. ``git worktree`` or ``git archive``
of main) with this interpreter, for a before/after pair; run the two alternately.

Usage::

    python benchmarks/consumer_day.py --n 10000 --days 30 100 200 --repeats 200
    python benchmarks/consumer_day.py --tree /tmp/main --kernel
    python benchmarks/consumer_day.py --n 1000000 --days 30 --repeats 15 --set world.behaviour.wom_strength=0.3
"""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def replay(tree: Path, n: int, days: list[int], repeats: int, kernel: bool, changes: list[str]) -> dict[int, tuple]:
    """(min µs, median µs, min CPU cycles of each consumer stage) of a call on each of
    ``days``, at ``n`` consumers, code from ``tree``, the baseline with ``changes`` (``--set``)."""
    sys.path.insert(0, str(tree))
    import numpy as np

    import sim.market.consumers as consumers
    import sim.model as model_module
    from sim.config.loader import load_scenario

    sc = load_scenario(tree / "scenarios" / "baseline.yaml", [
        f"world.population={n}", f"world.market_size={n * 100}", f"simulation.days={max(days) + 1}", *changes])
    model = model_module.MarketModel(sc, seed=42)
    owner, name = (consumers, "_consumers") if kernel else (model_module, "consumer_day")
    call = getattr(owner, name)
    params = list(inspect.signature(call).parameters)
    pools = params.index("pools") if "pools" in params else None
    streams = (model.streams.needs, model.streams.choice, model.streams.after)
    kept = {}

    def spy(*args):
        if model.day in days:
            arrays = {k: v.copy() for k, v in vars(model.population).items() if isinstance(v, np.ndarray)}
            kept[model.day] = (args, arrays, [g.bit_generator.state for g in streams],
                               copy.deepcopy(args[pools]) if pools is not None else None)
        return call(*args)

    setattr(owner, name, spy)
    while model.day <= max(days):
        model.step()
    setattr(owner, name, call)
    out = {}
    for day, (args, arrays, states, pool_copy) in kept.items():
        times, cycles = [], []
        for _ in range(repeats):
            for k, v in arrays.items():
                np.copyto(getattr(model.population, k), v)
            for g, state in zip(streams, states):
                g.bit_generator.state = state
            a = list(args)
            if pools is not None:
                a[pools] = copy.deepcopy(pool_copy)
            t0 = time.perf_counter()
            result = call(*a)
            times.append(time.perf_counter() - t0)
            cycles.append(result[-1] if kernel else result.cycles)
        out[day] = (1e6 * min(times), 1e6 * float(np.median(times)), np.min(cycles, axis=0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", type=Path, default=ROOT, help="checkout whose sim/ to run (default: this one)")
    ap.add_argument("--n", type=int, default=10_000, help="consumers")
    ap.add_argument("--days", type=int, nargs="+", default=[30, 100, 200], help="days to replay")
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--kernel", action="store_true", help="time the compiled call alone")
    ap.add_argument("--set", dest="changes", action="append", default=[], metavar="PATH=VALUE",
                    help="change the baseline, as socsim run --set (repeatable)")
    a = ap.parse_args()
    result = replay(a.tree.resolve(), a.n, a.days, a.repeats, a.kernel, a.changes)
    print(json.dumps({"tree": str(a.tree), "n": a.n, "kernel": a.kernel,
                      "us_min_median": {d: [round(v[0], 1), round(v[1], 1)] for d, v in result.items()},
                      "kilocycles_min_by_stage": {d: [round(c / 1e3, 1) for c in v[2]] for d, v in result.items()}}))


if __name__ == "__main__":
    main()
