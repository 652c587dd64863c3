"""Benchmark: build the social graph at scale, and compare with networkx.

Each measurement runs in a fresh child process, so peak memory (``ru_maxrss`` of the
child, via ``resource.getrusage``) belongs to that build alone; it includes the
interpreter and numpy (reported as "baseline"). Wall times are medians over repeats.

    python benchmarks/graph_build.py                      # 10⁵ and 10⁶, k = 150, 3 repeats
    python benchmarks/graph_build.py --sizes 100000 --repeats 5 --no-networkx
    python benchmarks/graph_build.py --kind communities --sizes 1000000

Goal: small_world at 10⁶ × 150 in ≤ 30 s and ≤ 4 GiB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIB = 2**30


def child(task: str, n: int, k: int, beta: float, seed: int, stats: bool) -> dict:
    """Run one build in this (fresh) process; return timings and peak RSS."""
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from sim.graph import communities, graph_stats, powerlaw_cluster, small_world

    baseline = _peak_bytes()
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if task == "networkx":
        import networkx as nx

        graph = nx.watts_strogatz_graph(n, k, beta, seed=seed)
        matrix = nx.to_scipy_sparse_array(graph, format="csr")
        ties = matrix.nnz // 2
    else:
        build = {"small_world": lambda: small_world(n, k, beta, rng),
                 "communities": lambda: communities(n, k, 20, beta, rng),
                 "powerlaw_cluster": lambda: powerlaw_cluster(n, k // 2, 0.5, rng)}[task]
        graph = build()
        ties = graph.n_edges
    result = {"task": task, "n": n, "k": k, "beta": beta, "seed": seed, "ties": int(ties),
              "build_s": time.perf_counter() - start, "peak_bytes": _peak_bytes(), "baseline_bytes": baseline}
    if stats and task != "networkx":
        start = time.perf_counter()
        summary = graph_stats(graph, np.random.default_rng(seed))
        result.update(stats_s=time.perf_counter() - start, stats_peak_bytes=_peak_bytes(),
                      clustering=summary.clustering, mean_path=summary.mean_path_length,
                      effective_diameter=summary.effective_diameter)
    return result


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def spawn(task: str, n: int, k: int, beta: float, seed: int, stats: bool) -> dict:
    """Run :func:`child` in a fresh interpreter and parse its JSON line."""
    command = [sys.executable, __file__, "--child", task, str(n), str(k), str(beta), str(seed)]
    if stats:
        command.append("--stats")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure(task: str, n: int, k: int, beta: float, repeats: int, stats: bool) -> dict:
    """Median build time (and stats time) over ``repeats`` fresh processes; max peak."""
    runs = []
    for seed in range(repeats):
        runs.append(spawn(task, n, k, beta, seed, stats))
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    summary = dict(runs[0], build_s=statistics.median(r["build_s"] for r in runs),
                   build_runs=[round(r["build_s"], 2) for r in runs],
                   peak_bytes=max(r["peak_bytes"] for r in runs), repeats=repeats)
    if stats and "stats_s" in runs[0]:
        summary["stats_s"] = statistics.median(r["stats_s"] for r in runs)
    return summary


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    import numpy

    return (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
            f"{memory:.0f} GiB RAM, Python {platform.python_version()}, numpy {numpy.__version__}")


def report(rows: list[dict], ratio: dict | None) -> None:
    print(f"\nMachine: {machine()}")
    print("Command: python " + " ".join(sys.argv))
    print("\n| kind | N | k | parameters | ties | build (median) | runs | peak RSS | graph_stats |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        stats = f"{r['stats_s']:.1f} s" if "stats_s" in r else "–"
        print(f"| {r['task']} | {r['n']:,} | {r['k']} | {_parameters(r)} | {r['ties'] / 1e6:.2f} M | "
              f"{r['build_s']:.2f} s | {r['build_runs']} | {r['peak_bytes'] / GIB:.2f} GiB | {stats} |")
    baseline = rows[0]["baseline_bytes"] / GIB if rows else 0
    print(f"\nPeak RSS includes the interpreter with numpy loaded ({baseline:.2f} GiB).")
    if ratio:
        print(f"\nnetworkx at N = {ratio['n']:,}, k = {ratio['k']}: watts_strogatz_graph + "
              f"to_scipy_sparse_array {ratio['nx_s']:.2f} s, {ratio['nx_peak'] / GIB:.2f} GiB; "
              f"ours {ratio['ours_s']:.3f} s, {ratio['ours_peak'] / GIB:.2f} GiB; "
              f"speed-up {ratio['nx_s'] / ratio['ours_s']:.0f}×.")


def _parameters(row: dict) -> str:
    return {"small_world": f"β = {row['beta']}", "communities": f"20 blocks, mixing = {row['beta']}",
            "powerlaw_cluster": "m = k/2, p_triangle = 0.5"}.get(row["task"], "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="populations N")
    parser.add_argument("--degree", type=int, default=150, help="k (default 150)")
    parser.add_argument("--beta", type=float, default=0.1, help="rewiring (small_world) or mixing (communities)")
    parser.add_argument("--kind", default="small_world", choices=["small_world", "communities", "powerlaw_cluster"])
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per size; the median is reported")
    parser.add_argument("--no-stats", action="store_true", help="skip timing graph_stats after each build")
    parser.add_argument("--no-networkx", action="store_true", help="skip the networkx comparison")
    parser.add_argument("--networkx-size", type=int, default=10_000, help="N for the networkx comparison")
    parser.add_argument("--child", nargs=5, metavar=("TASK", "N", "K", "BETA", "SEED"), help=argparse.SUPPRESS)
    parser.add_argument("--stats", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task, n, k, beta, seed = args.child
        print(json.dumps(child(task, int(n), int(k), float(beta), int(seed), args.stats)))
        return
    rows = [measure(args.kind, n, args.degree, args.beta, args.repeats, not args.no_stats) for n in args.sizes]
    ratio = None
    if not args.no_networkx:
        theirs = measure("networkx", args.networkx_size, args.degree, args.beta, args.repeats, False)
        ours = measure("small_world", args.networkx_size, args.degree, args.beta, args.repeats, False)
        ratio = {"n": args.networkx_size, "k": args.degree, "nx_s": theirs["build_s"], "nx_peak": theirs["peak_bytes"],
                 "ours_s": ours["build_s"], "ours_peak": ours["peak_bytes"]}
    report(rows, ratio)


if __name__ == "__main__":
    main()
