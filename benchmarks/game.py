"""Benchmark: the classroom game's speed — a round's simulation, and pages under load.

* round: a 60-day round of ``experiments/game_example.yaml`` (4 teams' brands in one
  market) at ``--population`` consumers (default 20,000): seconds to build the market,
  for rounds 1 and 2 (simulation only), and for a replay of all 6 rounds from scratch
  (what a restarted server or an undo costs), median of ``--repeats``;
* pages: after one round, ``--clients`` threads (default 8) each load team pages (every
  team's page in turn) ``--requests`` times over HTTP on loopback, as 8 teams
  refreshing at once would; median, 95th percentile and maximum latency; then the
  instructor console alone, the same way.

The goal: a round ≤ 5 s, pages ≤ 300 ms. Also prints the machine's 1-minute load
average at the start (other work on the machine slows both).

Usage::

    python benchmarks/game.py
    python benchmarks/game.py --population 5000 --repeats 1
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sim.game.engine import Market, load_game, replay
from sim.game.game import Game
from sim.game.server import make_server

EXAMPLE = Path(__file__).resolve().parent.parent / "experiments" / "game_example.yaml"


def time_rounds(population: int, repeats: int) -> list[list[float]]:
    """Seconds to build the market, of rounds 1 and 2, and of a replay of all 6 rounds, per repeat."""
    rules, _ = load_game(EXAMPLE, [f"population={population}"])
    decisions = {t.team: dict(t.initial) for t in rules.teams}
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        market = Market(rules)
        seconds = [time.perf_counter() - start]
        for _ in range(2):
            start = time.perf_counter()
            market.play(decisions)
            seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        replay(rules, [decisions] * rules.spec.rounds)
        out.append([*seconds, time.perf_counter() - start])
    return out


def _load(port: int, paths: list[str], requests: int, clients: int) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for k in range(requests):
            path = paths[(i + k) % len(paths)]
            start = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            with lock:
                latencies.append(time.perf_counter() - start)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def time_pages(population: int, clients: int, requests: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        game = Game.create(EXAMPLE, Path(folder) / "g", [f"population={population}"])
        game.open_round()
        game.play_round()
        game.open_round()
        server = make_server(game, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        try:
            teams = [f"/t/{token}" for token in game.store.tokens().values()]
            instructor = [f"/i/{game.store.meta('instructor')}"]
            return {"team pages": _load(port, teams, requests, clients),
                    "instructor console": _load(port, instructor, requests, 1)}
        finally:
            server.shutdown()
            server.server_close()


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {1000 * statistics.median(ordered):.0f} ms, p95 {1000 * p95:.0f} ms, max {1000 * ordered[-1]:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25)
    args = parser.parse_args()
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rounds = time_rounds(args.population, args.repeats)
    what = (f"build the market (graph, population, 4 brands), {args.population:,} consumers",
            f"round 1: 60 days, 4 teams, {args.population:,} consumers", "round 2: the same, continuing",
            "replay of the whole game (build + 6 rounds), as after a restart")
    for i, name in enumerate(what):
        values = [r[i] for r in rounds]
        print(f"{name}: median {statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})")
    for name, values in time_pages(args.population, args.clients, args.requests).items():
        who = f"{args.clients} concurrent clients" if name == "team pages" else "1 client"
        print(f"{name} ({who}, {len(values)} requests): {_ms(values)}")


if __name__ == "__main__":
    main()
