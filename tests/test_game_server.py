"""The game's HTTP server: tokens, what a team can and cannot reach, size caps, escaping,
a round played through the pages, and a server process killed mid-round and mid-simulation."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from sim.game.bots import DEMO_GAME
from sim.game.game import Game
from sim.game.server import MAX_BODY, make_server

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["population=500", "rounds=3", "days_per_round=20", "budget_per_round=500000"]
PREMIUM, DISCOUNT, CIRCLE = "高端 Premium", "低价 Discounter", "私域 Private domain"


class Client:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, body: str | bytes | None = None) -> tuple[int, str, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8")
        conn.close()
        return response.status, text, dict(response.getheaders())

    def get(self, path: str) -> tuple[int, str]:
        status, text, _ = self.request("GET", path)
        return status, text

    def post(self, path: str, fields: dict | None = None) -> tuple[int, str]:
        status, text, _ = self.request("POST", path, urlencode(fields or {}))
        return status, text


@pytest.fixture()
def served(tmp_path):
    game = Game.create(DEMO_GAME, tmp_path / "g", SMALL)
    server = make_server(game, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield game, server, Client(server.server_address[1])
    server.shutdown()
    server.server_close()


def _wait_played(game: Game, number: int, timeout: float = 120) -> None:
    end = time.time() + timeout
    while game.played() < number:
        assert time.time() < end, "round did not finish"
        time.sleep(0.05)


def test_a_team_token_opens_only_its_own_page(served):
    game, _, client = served
    tokens = game.store.tokens()
    instructor = game.store.meta("instructor")
    mine, theirs = tokens[PREMIUM], tokens[DISCOUNT]
    status, page = client.get(f"/t/{mine}")
    assert status == 200 and PREMIUM in page
    assert theirs not in page and instructor not in page
    status, data = client.get(f"/t/{mine}/decisions.json")
    assert status == 200 and json.loads(data)["team"] == PREMIUM and DISCOUNT not in data
    for method, path in [("GET", f"/i/{mine}"), ("POST", f"/i/{mine}/run"), ("POST", f"/i/{mine}/open"),
                         ("POST", f"/i/{mine}/undo"), ("GET", f"/i/{mine}/debrief"), ("GET", f"/i/{mine}/decisions.json"),
                         ("GET", "/t/not-a-token"), ("GET", "/i/not-a-token"), ("POST", "/t/not-a-token/submit"),
                         ("GET", f"/t/{mine[:-1]}"), ("GET", f"/i/{instructor[:-1]}")]:
        status, _, _ = client.request(method, path, "" if method == "POST" else None)
        assert status == 403, (method, path)
    assert game.store.rounds() == {}            # none of those did anything
    status, page = client.get(f"/i/{instructor}")
    assert status == 200 and all(t in page for t in tokens.values())


def test_a_team_cannot_change_another_teams_decisions(served):
    game, _, client = served
    tokens, instructor = game.store.tokens(), game.store.meta("instructor")
    assert client.post(f"/i/{instructor}/open")[0] == 303
    before = game.decisions_of(1)[DISCOUNT]
    status, page = client.post(f"/t/{tokens[PREMIUM]}/submit", {"team": DISCOUNT, "marketplace_price": 99})
    assert status == 400 and "not a lever of this game: team" in page
    status, _ = client.post(f"/t/{tokens[PREMIUM]}/submit", {"marketplace_price": 99, "parity": "none"})
    assert status == 303
    assert game.decisions_of(1)[DISCOUNT] == before
    assert game.decisions_of(1)[PREMIUM]["marketplace_price"] == 99


def test_bodies_are_capped_values_checked_and_names_escaped(tmp_path):
    text = DEMO_GAME.read_text(encoding="utf-8").replace("../scenarios", str(ROOT / "scenarios"))
    path = tmp_path / "x.yaml"
    path.write_text(text.replace("高端 Premium", "<script>x</script>"), encoding="utf-8")
    game = Game.create(path, tmp_path / "g", SMALL)
    server = make_server(game, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(server.server_address[1])
        token = game.store.tokens()["<script>x</script>"]
        instructor = game.store.meta("instructor")
        status, page = client.get(f"/t/{token}")
        assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
        status, page = client.get(f"/i/{instructor}")
        assert "<script>x" not in page and "&lt;script&gt;" in page
        status, _, _ = client.request("POST", f"/t/{token}/submit", b"a=" + b"x" * (MAX_BODY + 1))
        assert status == 413
        client.post(f"/i/{instructor}/open")
        status, page = client.post(f"/t/{token}/submit", {"marketplace_price": "cheap"})
        assert status == 400 and "not a number" in page
        status, page = client.post(f"/t/{token}/submit", {"marketplace_price": 1000})
        assert status == 400 and "between 79 and 189" in page
        client.post(f"/i/{instructor}/close")
        status, page = client.post(f"/t/{token}/submit", {"marketplace_price": 120})
        assert status == 409 and "not open" in page
    finally:
        server.shutdown()
        server.server_close()


def test_a_round_through_the_pages_in_both_languages(served):
    game, _, client = served
    tokens, instructor = game.store.tokens(), game.store.meta("instructor")
    client.post(f"/i/{instructor}/open")
    status, page = client.get(f"/t/{tokens[CIRCLE]}?lang=en")
    assert status == 200 and "Submit decisions" in page
    form = {"buy_research": "on", "marketplace_price": 129, "social_price": 109, "parity": "none", "paid_budget": 3000,
            "influencer_budget": 360000, "koc_share": 80, "referral": 20, "content_quality": 0.5, "pushes": 4,
            "promotion_depth": 0, "promotion_days": 0}
    assert client.post(f"/t/{tokens[CIRCLE]}/submit?lang=en", form)[0] == 303
    assert client.post(f"/i/{instructor}/run")[0] == 303
    _wait_played(game, 1)
    status, page = client.get(f"/t/{tokens[CIRCLE]}?lang=en")
    assert "Your results" in page and "Rivals, public information" in page and "wechat ¥109.00" not in page
    status, page = client.get(f"/t/{tokens[PREMIUM]}")
    assert "你的结果" in page and "wechat ¥109.00" in page        # the rival's public WeChat price
    assert "市场调研 (已购买)" not in page                          # the research is the buyer's alone
    assert "Market research (bought)" in client.get(f"/t/{tokens[CIRCLE]}?lang=en")[1]
    status, page = client.get(f"/i/{instructor}/debrief?lang=en")
    assert status == 200 and "What if" in page


# --------------------------------------------------------------------------- a server process killed
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(folder: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", "from sim.cli import app; app()", "game", "serve", str(folder),
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    end = time.time() + 120
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.1)
    raise AssertionError("server did not start")


def _state(folder: Path, number: int) -> str | None:
    db = sqlite3.connect(folder / "game.sqlite")
    try:
        row = db.execute("SELECT state FROM rounds WHERE number = ?", (number,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


def _kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_killing_the_server_mid_round_and_mid_simulation_loses_nothing(tmp_path):
    overrides = ["population=5000", "rounds=2", "days_per_round=60"]
    folder = tmp_path / "g"
    game = Game.create(DEMO_GAME, folder, overrides)
    tokens, instructor = game.store.tokens(), game.store.meta("instructor")
    game.store.close()
    port = _free_port()
    client = Client(port)
    process = _start(folder, port)
    try:
        client.post(f"/i/{instructor}/open")
        assert client.post(f"/t/{tokens[DISCOUNT]}/submit", {"marketplace_price": 99, "parity": "none"})[0] == 303
        _kill(process)                                    # mid-round: open, one decision in
        process = _start(folder, port)
        assert _state(folder, 1) == "open"
        status, data = client.get(f"/t/{tokens[DISCOUNT]}/decisions.json")
        assert json.loads(data)["values"]["marketplace_price"] == 99
        client.post(f"/i/{instructor}/run")
        end = time.time() + 60
        while _state(folder, 1) != "running":
            assert time.time() < end and _state(folder, 1) != "played", "the round ran before it could be killed"
            time.sleep(0.01)
        _kill(process)                                    # mid-simulation
        assert _state(folder, 1) == "running"
        process = _start(folder, port)                   # resumes the interrupted round by itself
        end = time.time() + 120
        while _state(folder, 1) != "played":
            assert time.time() < end
            time.sleep(0.1)
    finally:
        _kill(process)
    resumed = Game(folder)
    straight = Game.create(DEMO_GAME, tmp_path / "straight", overrides)
    straight.open_round()
    straight.submit(DISCOUNT, {"marketplace_price": 99, "parity": "none"})
    assert straight.play_round() == resumed.results(1)
    assert resumed.submitted(1) == {PREMIUM: False, DISCOUNT: True, CIRCLE: False}
