"""The game in SQLite: its rules, tokens, rounds, every decision and every round's results.

One file, ``game.sqlite``, in the game's folder, in WAL mode; every action is one
transaction, so the file is always a consistent game. The market itself is not stored:
it is rebuilt from the rules and the decisions (:func:`sim.game.engine.replay`).

Round states: ``open`` (teams submit) → ``closed`` (submissions stop) → ``running``
(decisions fixed, including those carried over for teams that did not submit) →
``played`` (results stored). A ``running`` round found when a server starts was
interrupted, and is played again from its stored decisions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import SocsimError

__all__ = ["GameStore", "DB_NAME", "RoundState"]

DB_NAME = "game.sqlite"
RoundState = str  # "open" | "closed" | "running" | "played"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teams (position INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, token TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (number INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'running', 'played')), changed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (round INTEGER NOT NULL, team TEXT NOT NULL, data TEXT NOT NULL,
    submitted INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (round, team));
CREATE TABLE IF NOT EXISTS results (round INTEGER NOT NULL, team TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (round, team));
CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, what TEXT NOT NULL);
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class GameStore:
    """A game's SQLite file; thread-safe (one connection, one lock).

    Parameters
    ----------
    path : Path
        The database file (created by :meth:`create`).
    """

    def __init__(self, path: Path):
        if not path.is_file():
            raise SocsimError(f"{path.parent}: not a game folder (no {path.name}); create one with: "
                              "socsim game new GAME.yaml --out FOLDER")
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")

    @classmethod
    def create(cls, path: Path, meta: Mapping[str, Any], teams: list[str]) -> "GameStore":
        """A new game file with ``meta`` (JSON values) and a fresh token per team and for the instructor."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path)
        try:
            with db:
                db.executescript(_SCHEMA)
                db.executemany("INSERT INTO meta VALUES (?, ?)",
                               [(k, json.dumps(v)) for k, v in {**meta, "instructor": secrets.token_urlsafe(24),
                                                                "paused": False}.items()])
                db.executemany("INSERT INTO teams VALUES (?, ?, ?)",
                               [(i, name, secrets.token_urlsafe(18)) for i, name in enumerate(teams)])
        finally:
            db.close()
        os.chmod(path, 0o600)  # the tokens are in it
        return cls(path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One action = one transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, *args: Any) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ reading
    def meta(self, key: str) -> Any:
        rows = self._all("SELECT value FROM meta WHERE key = ?", key)
        return json.loads(rows[0][0]) if rows else None

    def tokens(self) -> dict[str, str]:
        """Team name → token, in team order."""
        return {name: token for name, token in self._all("SELECT name, token FROM teams ORDER BY position")}

    def team_of(self, token: str) -> str | None:
        """The team whose token this is (constant-time comparison), or None."""
        found = None
        for name, known in self.tokens().items():
            if secrets.compare_digest(known.encode(), token.encode()):
                found = name
        return found

    def is_instructor(self, token: str) -> bool:
        return secrets.compare_digest(str(self.meta("instructor")).encode(), token.encode())

    def rounds(self) -> dict[int, RoundState]:
        return dict(self._all("SELECT number, state FROM rounds ORDER BY number"))

    def decisions(self, number: int) -> dict[str, tuple[dict, bool]]:
        """Team → (values, submitted by the team rather than carried over) for round ``number``."""
        return {team: (json.loads(data), bool(sub))
                for team, data, sub in self._all("SELECT team, data, submitted FROM decisions WHERE round = ?", number)}

    def results(self, number: int) -> dict[str, dict]:
        """Team → its results of round ``number`` as stored (JSON data)."""
        return {team: json.loads(data) for team, data in self._all("SELECT team, data FROM results WHERE round = ?", number)}

    def log(self, limit: int = 30) -> list[tuple[str, str, str]]:
        return self._all("SELECT at, who, what FROM log ORDER BY id DESC LIMIT ?", limit)

    # ------------------------------------------------------------------ writing (one transaction each)
    def set_meta(self, key: str, value: Any, who: str, what: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))
            _log(db, who, what)

    def set_state(self, number: int, state: RoundState, who: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO rounds VALUES (?, ?, ?)", (number, state, _now()))
            _log(db, who, f"round {number}: {state}")

    def submit(self, number: int, team: str, values: Mapping[str, Any]) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, 1, ?)", (number, team, json.dumps(values), _now()))
            _log(db, team, f"round {number}: decisions submitted")

    def start(self, number: int, carried: Mapping[str, Mapping[str, Any]], who: str) -> None:
        """Fix round ``number``'s decisions: store the carried-over ones, mark it running."""
        with self.transaction() as db:
            db.executemany("INSERT INTO decisions VALUES (?, ?, ?, 0, ?)",
                           [(number, team, json.dumps(v), _now()) for team, v in carried.items()])
            db.execute("INSERT OR REPLACE INTO rounds VALUES (?, 'running', ?)", (number, _now()))
            _log(db, who, f"round {number}: running")

    def finish(self, number: int, results: Mapping[str, Mapping[str, Any]], who: str) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                           [(number, team, json.dumps(r)) for team, r in results.items()])
            db.execute("UPDATE rounds SET state = 'played', changed = ? WHERE number = ?", (_now(), number))
            _log(db, who, f"round {number}: played")

    def undo(self, number: int, who: str) -> None:
        """Round ``number`` back to closed: its results and carried-over decisions removed."""
        with self.transaction() as db:
            db.execute("DELETE FROM results WHERE round = ?", (number,))
            db.execute("DELETE FROM decisions WHERE round = ? AND submitted = 0", (number,))
            db.execute("UPDATE rounds SET state = 'closed', changed = ? WHERE number = ?", (_now(), number))
            _log(db, who, f"round {number}: undone")


def _log(db: sqlite3.Connection, who: str, what: str) -> None:
    db.execute("INSERT INTO log (at, who, what) VALUES (?, ?, ?)", (_now(), who, what))
