"""The game over HTTP, standard library only: an instructor console and one page per team.

URLs carry the token (``/t/<team token>``, ``/i/<instructor token>``); a token is 24+
random URL-safe characters (:func:`secrets.token_urlsafe`), compared in constant time.
A team token opens only its own team's page and decisions; every instructor URL
answers 403 to anything but the instructor token. Request bodies over
:data:`MAX_BODY` bytes are refused (413), every value shown is HTML-escaped, pages
send no referrer (the token stays in the address bar), and the server listens on
loopback unless told otherwise.

A round runs in a background thread; pages stay responsive and the console shows its
progress. Nothing is held only in memory: see :mod:`sim.game.store`.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, urlsplit

from ..dashboard.levers import Lever
from ..errors import SocsimError
from ..fonts import font_face_css
from .debrief import WhatIfResult, default_what_if, render_debrief, standings
from .engine import planned_spend
from .game import Game
from .pages import FONT_LINK, WORDS, Lang, document, esc, lever_label, money, percent, table, value_text

__all__ = ["GameServer", "make_server", "MAX_BODY"]

#: Largest request body accepted (bytes): a full decision form is under 1 kB.
MAX_BODY = 16 * 1024
_ACTIONS = ("open", "close", "run", "undo", "pause", "resume")


class GameServer(ThreadingHTTPServer):
    """The HTTP server of one game (``game``), with the thread that runs a round."""

    daemon_threads = True
    request_queue_size = 64  # a class's pages connecting at once; the default 5 drops SYNs (a 1 s retry)

    def __init__(self, address: tuple[str, int], game: Game):
        super().__init__(address, _Handler)
        self.game = game
        self._fonts: str | None = None
        self.runner: threading.Thread | None = None
        self.last_error: str | None = None

    def fonts(self) -> str:
        """``@font-face`` CSS with the Chinese glyphs the pages use (made once: a browser
        without a Chinese font still reads the zh pages)."""
        if self._fonts is None:
            words = "".join(WORDS["zh"].values()) + "".join(lever_label(lv, "zh") for lv in self.game.rules.teams[0].levers)
            self._fonts = font_face_css(words + "".join(self.game.rules.names) + self.game.spec.name + "中文")
        return self._fonts

    def run_round(self) -> None:
        """Start simulating the current round in the background (one at a time)."""
        if self.runner is not None and self.runner.is_alive():
            raise SocsimError("a round is already running")

        def work() -> None:
            try:
                self.game.play_round()
                self.last_error = None
            except SocsimError as exc:
                self.last_error = str(exc)

        self.runner = threading.Thread(target=work, name="game-round", daemon=True)
        self.runner.start()


def make_server(game: Game, host: str = "127.0.0.1", port: int = 8780) -> GameServer:
    """A server for ``game`` (not yet serving: call ``serve_forever``); an interrupted round is resumed first."""
    server = GameServer((host, port), game)
    if game.current()[1] == "running":
        server.runner = threading.Thread(target=game.resume, name="game-resume", daemon=True)
        server.runner.start()
    return server


class _Reply(Exception):
    """Stop handling and answer with ``status`` and a short message."""

    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    server: GameServer
    server_version = "socsim-game"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the stdlib's name)
        pass  # tokens are in the paths: no access log

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: HTTPStatus, body: str, content_type: str = "text/html; charset=utf-8",
              headers: Mapping[str, str] | None = None) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        for key, value in {"Content-Type": content_type, "Content-Length": str(len(data)), "Cache-Control": "no-store",
                           "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                           "Referrer-Policy": "no-referrer", **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, where: str) -> None:
        self._send(HTTPStatus.SEE_OTHER, "", headers={"Location": where})

    def _lang(self, query: Mapping[str, list[str]]) -> Lang:
        return "en" if query.get("lang", [""])[0] == "en" else "zh"

    def _body(self) -> dict[str, list[str]]:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise _Reply(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
        if length > MAX_BODY or length < 0:
            raise _Reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body over {MAX_BODY} bytes")
        text = self.rfile.read(length).decode("utf-8", "replace")
        return parse_qs(text, keep_blank_values=True, max_num_fields=200)

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = parse_qs(url.query)
        lang = self._lang(query)
        try:
            if method == "GET" and not parts:
                return self._send(HTTPStatus.OK, _join_page(lang))
            if method == "GET" and parts == ["fonts.css"]:
                return self._send(HTTPStatus.OK, self.server.fonts(), "text/css; charset=utf-8",
                                  {"Cache-Control": "public, max-age=86400"})
            if method == "GET" and parts == ["join"]:
                return self._join(query.get("code", [""])[0], lang)
            if len(parts) >= 2 and parts[0] == "t":
                return self._team(method, parts[1], parts[2:], query, lang)
            if len(parts) >= 2 and parts[0] == "i":
                return self._instructor(method, parts[1], parts[2:], query, lang)
            raise _Reply(HTTPStatus.NOT_FOUND, "no such page")
        except _Reply as reply:
            self._send(reply.status, document(str(reply), f"<h1>{reply.status.value}</h1><p>{esc(reply)}</p>", lang))

    def do_GET(self) -> None:  # noqa: N802  (the stdlib's name)
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _join(self, code: str, lang: Lang) -> None:
        game = self.server.game
        code = code.strip()
        if game.store.team_of(code):
            return self._redirect(f"/t/{code}?lang={lang}")
        if game.store.is_instructor(code):
            return self._redirect(f"/i/{code}?lang={lang}")
        raise _Reply(HTTPStatus.FORBIDDEN, "unknown code")

    # ------------------------------------------------------------------ team
    def _team(self, method: str, token: str, rest: list[str], query: Mapping[str, list[str]], lang: Lang) -> None:
        game = self.server.game
        team = game.store.team_of(token)
        if team is None:
            raise _Reply(HTTPStatus.FORBIDDEN, "not a team code")
        if method == "GET" and not rest:
            return self._send(HTTPStatus.OK, _team_page(game, team, token, lang, query.get("msg", [""])[0]))
        if method == "GET" and rest == ["decisions.json"]:
            number = game.current()[0]
            return self._send(HTTPStatus.OK, json.dumps({"round": number, "team": team,
                                                         "values": game.decisions_of(number)[team]}),
                              "application/json")
        if method == "POST" and rest == ["submit"]:
            form = self._body()
            try:
                values = _form_values(game.rules.team(team).levers, form)
                game.submit(team, values)
            except SocsimError as exc:
                return self._send(HTTPStatus.CONFLICT if "round" in str(exc) or "paused" in str(exc)
                                  else HTTPStatus.BAD_REQUEST, _team_page(game, team, token, lang, "", str(exc)))
            return self._redirect(f"/t/{token}?lang={lang}&msg=saved")
        raise _Reply(HTTPStatus.NOT_FOUND, "no such page")

    # ------------------------------------------------------------------ instructor
    def _instructor(self, method: str, token: str, rest: list[str], query: Mapping[str, list[str]], lang: Lang) -> None:
        game = self.server.game
        if not game.store.is_instructor(token):
            raise _Reply(HTTPStatus.FORBIDDEN, "not the instructor code")
        if method == "GET" and not rest:
            return self._send(HTTPStatus.OK, _instructor_page(self.server, token, lang))
        if method == "GET" and rest == ["debrief"]:
            chosen = default_what_if(game)
            replayed = WhatIfResult.of(game, chosen) if chosen is not None else None
            return self._send(HTTPStatus.OK, render_debrief(game, lang, replayed))
        if method == "GET" and rest == ["decisions.json"]:
            number = game.current()[0]
            return self._send(HTTPStatus.OK, json.dumps({"round": number, "decisions": game.decisions_of(number)}),
                              "application/json")
        if method == "POST" and len(rest) == 1 and rest[0] in _ACTIONS:
            self._body()
            try:
                _ACTION_DO[rest[0]](self.server)
            except SocsimError as exc:
                self.server.last_error = str(exc)
            return self._redirect(f"/i/{token}?lang={lang}")
        raise _Reply(HTTPStatus.NOT_FOUND, "no such page")

    # no other verbs
    def do_PUT(self) -> None:  # noqa: N802
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, "")

    do_DELETE = do_PATCH = do_PUT


def _clear(server: GameServer, action: Callable[[], Any]) -> None:
    if server.runner is not None and server.runner.is_alive():
        raise SocsimError("a round is being simulated; wait for it to finish")
    action()
    server.last_error = None


_ACTION_DO: dict[str, Callable[[GameServer], None]] = {
    "open": lambda s: _clear(s, s.game.open_round),
    "close": lambda s: _clear(s, s.game.close_round),
    "run": lambda s: _clear(s, s.run_round),
    "undo": lambda s: _clear(s, s.game.undo),
    "pause": lambda s: _clear(s, lambda: s.game.pause(True)),
    "resume": lambda s: _clear(s, lambda: s.game.pause(False)),
}


def _form_values(levers: tuple[Lever, ...], form: Mapping[str, list[str]]) -> dict[str, Any]:
    """Lever values from a submitted form; a switch absent from the form is off."""
    out: dict[str, Any] = {}
    for lever in levers:
        text = form.get(lever.key, [None])[0]
        if lever.kind == "switch":
            out[lever.key] = text is not None
        elif text is None:
            continue
        elif lever.kind == "choice":
            out[lever.key] = text
        else:
            try:
                out[lever.key] = float(text)
            except ValueError:
                raise SocsimError(f"lever {lever.key}: {text[:40]!r} is not a number") from None
    unknown = set(form) - {lever.key for lever in levers}
    if unknown:
        raise SocsimError(f"not a lever of this game: {', '.join(sorted(unknown))[:200]}")
    return out


# --------------------------------------------------------------------------- pages
def _header(title: str, lang: Lang, here: str) -> str:
    other = "en" if lang == "zh" else "zh"
    return (f"<div class='bar'><h1>{esc(title)}</h1><a href='{esc(here)}?lang={other}'>{'English' if other == 'en' else '中文'}</a>"
            f"<a href='{esc(here)}?lang={lang}'>{esc(WORDS[lang]['refresh'])}</a></div>")


def _state_text(game: Game, lang: Lang) -> str:
    w = WORDS[lang]
    if game.over():
        return w["over"]
    number, state = game.current()
    paused = f" · {w['paused']}" if game.paused() else ""
    return f"{w['round'].format(n=number)} / {game.spec.rounds}: {w['state_' + (state or 'none')]}{paused}"


def _join_page(lang: Lang) -> str:
    w = WORDS[lang]
    body = (f"<h1>{esc(w['game'])}</h1><form method='get' action='/join'><label>{esc(w['join'])} "
            f"<input name='code' autocomplete='off' required maxlength='64'></label><input type='hidden' name='lang' "
            f"value='{lang}'><button>OK</button></form>")
    return document(w["game"], body, lang, head=FONT_LINK)


def _input(lever: Lever, value: Any, lang: Lang, enabled: bool) -> str:
    off = "" if enabled else " disabled"
    label = esc(lever_label(lever, lang))
    if lever.kind == "switch":
        return f"<label><input type='checkbox' name='{lever.key}'{' checked' if value else ''}{off}> {label}</label>"
    if lever.kind == "choice":
        options = "".join(f"<option{' selected' if c == value else ''}>{esc(c)}</option>" for c in lever.choices)
        return f"<label>{label} <select name='{lever.key}'{off}>{options}</select></label>"
    step = "1" if lever.integer else "any"
    return (f"<label>{label} <input type='number' name='{lever.key}' value='{esc(value)}' min='{lever.low:g}' "
            f"max='{lever.high:g}' step='{step}' required{off}> <span class='muted'>{lever.low:g}–{lever.high:g}</span></label>")


def _team_page(game: Game, team: str, token: str, lang: Lang, msg: str = "", error: str = "") -> str:
    w = WORDS[lang]
    number, state = game.current()
    levers = game.rules.team(team).levers
    values = game.decisions_of(min(number, game.spec.rounds))[team]
    enabled = state == "open" and not game.paused()
    here = f"/t/{token}"
    spend = planned_spend(values, game.spec)
    note = (f"<p class='ok'>{esc(w['saved'])}</p>" if msg == "saved" else "") + \
           (f"<p class='bad'>{esc(w['error'])}: {esc(error)}</p>" if error else "")
    form = (f"<h2>{esc(w['decisions'])}</h2>{note}<p>{esc(w['budget'])}: {money(game.spec.budget_per_round)} · "
            f"{esc(w['planned'])}: {money(spend)}</p><form method='post' action='{here}/submit?lang={lang}'>"
            + "".join(_input(lv, values[lv.key], lang, enabled) for lv in levers)
            + (f"<button>{esc(w['submit'])}</button>" if enabled else f"<p class='muted'>{esc(w['waiting'])}</p>")
            + "</form>")
    refresh = "" if enabled else "<meta http-equiv='refresh' content='10'>"
    body = _header(f"{team} — {w['game']}", lang, here) + f"<p>{esc(_state_text(game, lang))}</p>" + form
    body += _team_results(game, team, lang)
    return document(f"{team} — {w['game']}", body, lang, head=refresh + FONT_LINK)


def _team_results(game: Game, team: str, lang: Lang) -> str:
    w, played = WORDS[lang], game.played()
    if not played:
        return ""
    own = [game.results(r)[team] for r in range(1, played + 1)]
    rows = [[w["round"].format(n=r + 1), money(x.revenue), money(x.gross_profit), money(x.marketing_spend),
             money(x.research_cost), money(x.contribution), percent(x.share), f"{x.orders:,.0f}", f"{x.private_domain:,.0f}",
             x.active_leaders, f"{x.parity_gap:.2f}"] for r, x in enumerate(own)]
    out = [f"<h2>{esc(w['your_results'])}</h2>",
           table(["", w["revenue"], w["gross_profit"], w["spend"], w["research_cost"], w["profit"], w["share"], w["orders"],
                  w["private_domain"], w["leaders"], w["parity_gap"]], rows)]
    last = own[-1]
    out.append(table([w["channel"], w["revenue"], w["channel_share"], w["price_paid"]],
                     [[c, money(v.revenue), percent(v.share), f"¥{v.price:.2f}"] for c, v in last.channels.items()]))
    out.append(table([w["funnel"], *last.funnel], [["", *(f"{v:,.0f}" for v in last.funnel.values())]]))
    rivals = []
    for r in range(1, played + 1):
        for other, seen in game.public(r).items():
            if other != team:
                prices = " · ".join(f"{c} ¥{p:.2f}" for c, p in seen.prices.items())
                promo = (f"{value_text(seen.promotion_depth)}% × {seen.promotion_days} {w['days']}"
                         if seen.promotion_days else w["none"])
                rivals.append([w["round"].format(n=r), other, prices, promo])
    out += [f"<h2>{esc(w['rivals'])}</h2>", table(["", w["team"], w["price_paid"], w["promotion"]], rivals, 9)]
    bought = [[w["round"].format(n=r), other, percent(x.share),
               " · ".join(f"{c} {percent(v)}" for c, v in x.channels.items()), f"{x.purchased:,.0f}",
               f"{x.private_domain:,.0f}"]
              for r in range(1, played + 1) for other, x in (game.research(team, r) or {}).items()]
    if bought:
        out += [f"<h2>{esc(w['research'])}</h2>",
                table(["", w["team"], w["share"], w["channel_share"], w["buyers"], w["private_domain"]], bought, 2)]
    return "".join(out)


def _instructor_page(server: GameServer, token: str, lang: Lang) -> str:
    game, w = server.game, WORDS[lang]
    here = f"/i/{token}"
    number, state = game.current()
    running = server.runner is not None and server.runner.is_alive()
    progress = f" — {game.progress[0]}/{game.progress[1]} {w['days']}" if running and game.progress else ""
    buttons = "".join(f"<form class='inline' method='post' action='{here}/{a}?lang={lang}'><button>{esc(w[a])}</button></form>"
                      for a in _ACTIONS)
    error = f"<p class='bad'>{esc(server.last_error)}</p>" if server.last_error else ""
    body = [_header(f"{game.spec.name} — {w['game']}", lang, here),
            f"<p><b>{esc(_state_text(game, lang))}</b>{esc(progress)}</p>{error}<div>{buttons}</div>",
            f"<p><a href='{here}/debrief?lang={lang}'>{esc(w['debrief'])}</a></p>"]
    if not game.over():
        decisions, submitted = game.decisions_of(number), game.submitted(number)
        levers = game.rules.teams[0].levers
        rows = [[team, w["submitted"] if submitted[team] else w["carried"],
                 *(value_text(decisions[team][lv.key]) for lv in levers)] for team in game.rules.names]
        body += [f"<h2>{esc(w['round'].format(n=number))}: {esc(w['decisions'])}</h2>",
                 table([w["team"], "", *(lever_label(lv, lang) for lv in levers)], rows, 2)]
    if game.played():
        last = game.results(game.played())
        board = [[i + 1, team, money(total), percent(last[team].share), money(last[team].contribution)]
                 for i, (team, total) in enumerate(standings(game))]
        body += [f"<h2>{esc(w['leaderboard'])}</h2>",
                 table(["#", w["team"], w["cumulative"], w["share"], w["profit"]], board, 2)]
    links = [[team, f"/t/{t}"] for team, t in game.store.tokens().items()]
    body += [f"<h2>{esc(w['links'])}</h2>", table([w["team"], w["code"]], links, 9),
             f"<h2>{esc(w['log'])}</h2>", table(["", "", ""], game.store.log(15), 9)]
    refresh = "<meta http-equiv='refresh' content='2'>" if running else ""
    return document(game.spec.name, "".join(body), lang, head=refresh + FONT_LINK)
