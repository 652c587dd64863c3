"""The game in a real browser: the instructor and three team pages, two rounds, the debrief.

Runs the game server in this process on a free loopback port and drives four pages in
headless Chromium (Debian's /usr/bin/chromium through Playwright; no browser download).
Every request the pages make must stay on this machine.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sim.game.bots import DEMO_GAME
from sim.game.game import Game
from sim.game.server import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return "no /usr/bin/chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@pytest.fixture()
def served(tmp_path):
    game = Game.create(DEMO_GAME, tmp_path / "g", ["population=500", "rounds=2", "days_per_round=20"])
    server = make_server(game, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield game, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _until(page, text: str, tries: int = 120) -> None:
    """Reload ``page`` until it shows ``text`` (a round runs in the background)."""
    for _ in range(tries):
        if text in page.content():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"page never showed {text!r}")


def test_instructor_and_three_teams_play_two_rounds_in_chromium(served):
    from playwright.sync_api import sync_playwright

    game, url = served
    tokens, instructor = game.store.tokens(), game.store.meta("instructor")
    outside: list[str] = []
    prices = dict(zip(tokens, (149, 109, 125)))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            def open_page(path: str):
                page = browser.new_context().new_page()
                page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
                page.goto(url + path)
                return page

            console = open_page(f"/i/{instructor}?lang=en")
            teams = {team: open_page(f"/t/{token}?lang=en") for team, token in tokens.items()}
            for number in (1, 2):
                console.get_by_role("button", name="Open round").click()
                assert f"Round {number} / 2: open for decisions" in console.content()
                for i, (team, page) in enumerate(teams.items()):
                    if number == 2 and i == 2:
                        continue  # the third team does not submit in round 2: it keeps round 1's decisions
                    page.reload()
                    page.fill("input[name=marketplace_price]", str(prices[team] - 10 * (number - 1)))
                    page.get_by_role("button", name="Submit decisions").click()
                    assert "Saved" in page.content()
                console.get_by_role("button", name="Close submissions").click()
                console.get_by_role("button", name="Run round").click()
                _until(console, "Game over" if number == 2 else "Round 2 / 2: not open yet")
            first, second, third = tokens
            page = teams[first]
            page.reload()
            html = page.content()
            assert "Your results" in html and "Round 2" in html
            assert "tmall ¥99.00" in html and "tmall ¥125.00" in html  # rivals' public prices in round 2
            # the zh switch
            page.get_by_role("link", name="中文").click()
            assert "你的结果" in page.content()
            console.get_by_role("link", name="Debrief").click()
            console.wait_for_load_state()
            assert "What if" in console.content()
            ARTIFACTS.mkdir(exist_ok=True)
            console.screenshot(path=str(ARTIFACTS / "game_debrief.png"), full_page=True)
        finally:
            browser.close()
    assert outside == []
    assert game.played() == 2
    assert game.submitted(2) == {first: True, second: True, third: False}
    assert game.decisions_of(2)[third]["marketplace_price"] == 125
