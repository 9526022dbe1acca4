"""What every worker of one registry must agree on, kept where all of them (and a restart) see it.

A registry served by several processes (``registry serve --workers N``, or uvicorn and
gunicorn deployments) must judge a revision once, not once per process; count a
download once, wherever it was served; date a package by the first sighting any of
them made; and refuse bytes that any of them refused elsewhere. :class:`StateStore`
is that shared truth; :class:`SqliteState` keeps it in one SQLite file in WAL mode
(``ROOT/.ptmscope/state.sqlite`` by default, ``--state FILE``): readers never block
the writer, each write is one short transaction, and it survives restarts. Another
database (a server one, for machines that share no disk) plugs in by implementing
the same methods. :class:`MemoryState` is the single-process fallback for a folder
that cannot be written (said once on stderr).

Judging once across processes uses a claim row: the first worker to insert the claim
for a verdict key judges and stores the verdict; the others poll for it (every
:data:`CLAIM_POLL_S`) instead of judging again. A claim whose owner died (same host,
no such process) or that is older than :data:`CLAIM_STALE_S` is taken over, so a
killed worker never blocks a revision forever.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another process's transaction before it is an error."""
CLAIM_POLL_S = 0.05
"""How often a worker waiting for another worker's judgement looks for the verdict."""
CLAIM_STALE_S = 3600.0
"""A claim older than this is taken over whoever holds it (a judgement hung or lost)."""
CLAIM_WAIT_S = 900.0
"""A worker waits this long for another's judgement, then answers "could not be judged"
(fail closed, not stored: the next request asks again)."""
STATE_FILE = "state.sqlite"
"""The store's file name in ``ROOT/.ptmscope/`` when ``--state`` is not given."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    key TEXT PRIMARY KEY, repo TEXT NOT NULL, sha TEXT NOT NULL, policy TEXT NOT NULL,
    data TEXT NOT NULL, expires_at REAL, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS verdicts_by_revision ON verdicts (repo, sha);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    claimed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS downloads (repo TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS first_seen (key TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS denied (
    content_key TEXT PRIMARY KEY, rule TEXT NOT NULL, message TEXT NOT NULL,
    location TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, event TEXT NOT NULL,
    repo TEXT, record TEXT NOT NULL);
"""


class StateStore(Protocol):
    """The shared state of one registry (see the module docstring)."""

    def verdict(self, key: str) -> dict[str, Any] | None:
        """A stored verdict (JSON-ready data), ``None`` when none or expired."""

    def put_verdict(
        self, key: str, repo: str, sha: str, policy: str, data: Mapping[str, Any],
        expires_at: float | None,
    ) -> None:  # fmt: skip
        """Store a verdict (``expires_at``: wall-clock seconds after which it is judged again)."""

    def claim(self, key: str) -> bool:
        """Claim the judgement of ``key``: true for the one caller who must judge it."""

    def release(self, key: str) -> None:
        """Give up this process's claim of ``key`` (judged, or failed)."""

    def count_download(self, repo: str) -> None:
        """One whole-file download of ``repo``."""

    def downloads(self, repo: str) -> int:
        """Whole-file downloads of ``repo`` counted by every worker."""

    def first_seen(self, keys: Iterable[str], now: datetime) -> dict[str, datetime]:
        """Each key's first sighting, recording ``now`` for the keys never seen."""

    def peek_first_seen(self, keys: Iterable[str]) -> dict[str, datetime]:
        """The recorded sightings of ``keys``, recording none."""

    def deny_content(self, keys: Iterable[str], rule: str, message: str, where: str) -> None:
        """Bytes refused (by their content keys), so every worker refuses their copies."""

    def denied_content(self, key: str) -> tuple[str, str, str] | None:
        """``(rule, message, where first refused)`` for refused bytes, else ``None``."""

    def record_event(self, record: Mapping[str, Any]) -> None:
        """One decision or refusal, as the JSONL log has it."""

    def events(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The latest events, oldest first."""


class SqliteState:
    """:class:`StateStore` in one SQLite file in WAL mode, one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = self._connection()
        connection.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def verdict(self, key: str) -> dict[str, Any] | None:
        row = (
            self._connection()
            .execute("SELECT data, expires_at FROM verdicts WHERE key = ?", (key,))
            .fetchone()
        )
        if row is None or (row[1] is not None and time.time() >= row[1]):
            return None
        data: dict[str, Any] = json.loads(row[0])
        return data

    def put_verdict(
        self, key: str, repo: str, sha: str, policy: str, data: Mapping[str, Any],
        expires_at: float | None,
    ) -> None:  # fmt: skip
        self._connection().execute(
            "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, repo, sha, policy, json.dumps(data), expires_at, time.time()),
        )

    def claim(self, key: str) -> bool:
        connection = self._connection()
        host, pid = socket.gethostname(), os.getpid()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT owner, host, pid, claimed_at FROM claims WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[0] != self.owner and not _stale(row[1], row[2], row[3]):
                connection.execute("COMMIT")
                return False
            connection.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (key, self.owner, host, pid, time.time()),
            )
            connection.execute("COMMIT")
            return True
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def release(self, key: str) -> None:
        self._connection().execute(
            "DELETE FROM claims WHERE key = ? AND owner = ?", (key, self.owner)
        )

    def count_download(self, repo: str) -> None:
        self._connection().execute(
            "INSERT INTO downloads VALUES (?, 1) "
            "ON CONFLICT (repo) DO UPDATE SET count = count + 1",
            (repo,),
        )

    def downloads(self, repo: str) -> int:
        row = (
            self._connection()
            .execute("SELECT count FROM downloads WHERE repo = ?", (repo,))
            .fetchone()
        )
        return int(row[0]) if row is not None else 0

    def first_seen(self, keys: Iterable[str], now: datetime) -> dict[str, datetime]:
        wanted = list(keys)
        connection = self._connection()
        connection.executemany(
            "INSERT OR IGNORE INTO first_seen VALUES (?, ?)",
            [(key, now.astimezone(UTC).isoformat()) for key in wanted],
        )
        return self.peek_first_seen(wanted)

    def peek_first_seen(self, keys: Iterable[str]) -> dict[str, datetime]:
        wanted = list(keys)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        rows = (
            self._connection()
            .execute(f"SELECT key, at FROM first_seen WHERE key IN ({marks})", wanted)
            .fetchall()
        )
        return {str(k): datetime.fromisoformat(at) for k, at in rows}

    def deny_content(self, keys: Iterable[str], rule: str, message: str, where: str) -> None:
        self._connection().executemany(
            "INSERT OR IGNORE INTO denied VALUES (?, ?, ?, ?)",
            [(key, rule, message, where) for key in keys],
        )

    def denied_content(self, key: str) -> tuple[str, str, str] | None:
        row = (
            self._connection()
            .execute("SELECT rule, message, location FROM denied WHERE content_key = ?", (key,))
            .fetchone()
        )
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

    def record_event(self, record: Mapping[str, Any]) -> None:
        self._connection().execute(
            "INSERT INTO events (time, event, repo, record) VALUES (?, ?, ?, ?)",
            (
                str(record.get("time", "")),
                str(record.get("event", "")),
                record.get("repo"),
                json.dumps(record, ensure_ascii=True),
            ),
        )

    def events(self, limit: int = 1000) -> list[dict[str, Any]]:
        rows = (
            self._connection()
            .execute("SELECT record FROM events ORDER BY id DESC LIMIT ?", (limit,))
            .fetchall()
        )
        return [json.loads(r[0]) for r in reversed(rows)]

    def import_first_seen(self, pairs: Iterable[tuple[str, datetime]]) -> None:
        """Sightings from ``first-seen.jsonl`` (an older registry's, or upstream dates seeded
        by hand): the earlier of the file's and the recorded one is kept."""
        rows = [(key, moment.astimezone(UTC).isoformat()) for key, moment in pairs]
        self._connection().executemany(
            "INSERT INTO first_seen VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET at = min(at, excluded.at)",
            rows,
        )


def _stale(host: str, pid: int, claimed_at: float) -> bool:
    """Whether a claim can be taken over: its owner died, or it is too old to be alive."""
    if time.time() - claimed_at > CLAIM_STALE_S:
        return True
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class MemoryState:
    """:class:`StateStore` in this process's memory: one worker, forgotten at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verdicts: dict[str, tuple[dict[str, Any], float | None]] = {}
        self._claims: set[str] = set()
        self._downloads: dict[str, int] = {}
        self._seen: dict[str, datetime] = {}
        self._denied: dict[str, tuple[str, str, str]] = {}
        self._events: list[dict[str, Any]] = []

    def verdict(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._verdicts.get(key)
        if found is None or (found[1] is not None and time.time() >= found[1]):
            return None
        return found[0]

    def put_verdict(
        self, key: str, repo: str, sha: str, policy: str, data: Mapping[str, Any],
        expires_at: float | None,
    ) -> None:  # fmt: skip
        with self._lock:
            self._verdicts[key] = (dict(data), expires_at)

    def claim(self, key: str) -> bool:
        with self._lock:
            if key in self._claims:
                return False
            self._claims.add(key)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._claims.discard(key)

    def count_download(self, repo: str) -> None:
        with self._lock:
            self._downloads[repo] = self._downloads.get(repo, 0) + 1

    def downloads(self, repo: str) -> int:
        with self._lock:
            return self._downloads.get(repo, 0)

    def first_seen(self, keys: Iterable[str], now: datetime) -> dict[str, datetime]:
        with self._lock:
            return {key: self._seen.setdefault(key, now) for key in keys}

    def peek_first_seen(self, keys: Iterable[str]) -> dict[str, datetime]:
        with self._lock:
            return {key: self._seen[key] for key in keys if key in self._seen}

    def deny_content(self, keys: Iterable[str], rule: str, message: str, where: str) -> None:
        with self._lock:
            for key in keys:
                self._denied.setdefault(key, (rule, message, where))

    def denied_content(self, key: str) -> tuple[str, str, str] | None:
        with self._lock:
            return self._denied.get(key)

    def record_event(self, record: Mapping[str, Any]) -> None:
        with self._lock:
            self._events.append(dict(record))
            del self._events[:-10_000]

    def events(self, limit: int = 1000) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events[-limit:])

    def import_first_seen(self, pairs: Iterable[tuple[str, datetime]]) -> None:
        with self._lock:
            for key, moment in pairs:
                known = self._seen.get(key)
                self._seen[key] = moment if known is None else min(known, moment)


def open_state(path: Path) -> SqliteState | MemoryState:
    """The shared store at ``path``; in memory (said on stderr) when it cannot be created."""
    try:
        return SqliteState(path)
    except (OSError, sqlite3.Error) as exc:
        print(
            f"ptmscope registry: warning: cannot keep shared state in {path} ({exc}); "
            "this process keeps it in memory: run one worker only",
            file=sys.stderr,
        )
        return MemoryState()
