"""The listing index: what ``GET /api/models`` says of each served package, kept in SQLite.

Listing used to load every package's default revision (a folder hashed whole, a git
tree read) on every listing, in every worker. The index keeps one row per package
(``ROOT/.ptmscope/index.sqlite``, WAL mode, short transactions, a busy timeout, so
several worker processes share it) and loads a package again only when its *stat
signature* changes:

- a git repository: the identity (inode, size, mtime, ctime) of ``HEAD``, the ref
  ``HEAD`` names, ``packed-refs``, the ``refs/heads`` and ``refs/tags`` folders,
  ``reftable/``, ``objects/info/alternates`` and ``commondir`` (a commit, a fetch, a
  ``pack-refs`` or a new branch changes one of them), and what ``.git`` is; a work
  tree's checked-out files are not in it (the branch tip is served, not the work tree);
- a folder: the name and identity of every top-level entry (file, link or folder; a
  folder's own mtime changes when a file is added to or removed from it).

A stat signature cannot see a file two levels down rewritten in place (``sub/x`` edited:
neither ``sub`` nor the package folder changes), a file deeper still added or removed,
nor a ref below ``refs/heads/<dir>/`` moved without touching ``packed-refs``; nor a
symlink planted deep in a git directory (every route that reads bytes still checks
confinement; the listing only shows the row). The gap closes where it is cheap: when
the app loads a package's default revision anyway (model info, a download) and its
commit differs from the row's, the row is rewritten then. ``ptmscope registry index
ROOT --rebuild`` reloads every package.

The tree is listed again at most once per :data:`INDEX_TTL_S` per process, so a burst
of listings pays once. A package that cannot be read is left out (its row removed),
exactly as the full walk left it out; it is tried again when its signature changes or
after :data:`BROKEN_RETRY_S`. A ROOT that cannot be written (a read-only mirror, even one
shipped with an index) keeps the index in memory for the process, and says so once on
stderr; a damaged index file is started afresh (it is a cache). WAL needs a local file
system: an index on a network file system is not supported.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from hashlib import sha1
from pathlib import Path
from typing import Any

from ptmscope._version import __version__
from ptmscope.errors import InputError
from ptmscope.package import package_task
from ptmscope.registry.store import Repo, Revision, Store
from ptmscope.sources.git import GIT_DIR_ENTRIES, is_bare_repository

INDEX_TTL_S = 2.0
"""A process lists the tree (and stats every package) at most once per this many seconds."""
INDEX_PATH = Path(".ptmscope") / "index.sqlite"
"""Where the index lives, relative to ROOT (beside the gateway's log)."""
BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another process's transaction before giving up."""
WRITE_BATCH = 200
"""Rows written per transaction while refreshing (short transactions: readers never wait)."""
BROKEN_RETRY_S = 60.0
"""An unreadable package with an unchanged signature is tried again after this long."""
SCHEMA = "1"
"""Bumped when the rows' layout or meaning changes; an index of another schema (or written
by another ptmscope version) is rebuilt."""
STALE = ""
"""The signature of a row rewritten from a loaded revision: it never matches, so the next
refresh stats and confirms the package (the load and the stat were not taken together)."""

_warned: set[str] = set()


@dataclass(frozen=True)
class Detail:
    """The larger part of a summary, which most listings do not show."""

    card_data: dict[str, Any] | None
    siblings: tuple[tuple[str, int], ...]
    """(path, size) of every served file."""


@dataclass(frozen=True)
class Summary:
    """What a listing says of one package's default revision, read from the revision alone
    (downloads, first sightings and verdicts are the registry's, added when listing)."""

    repo_id: str
    kind: str
    sha: str
    created: datetime
    modified: datetime
    tags: tuple[str, ...]
    pipeline_tag: str | None
    library_name: str | None
    config: dict[str, Any] | None
    used_storage: int
    detail: Detail | str
    """The card data and files, or their JSON from the index, decoded when first asked for
    (``cardData=1``, ``full=1``, a gateway's verdict): a restart reads every row."""

    @cached_property
    def _detail(self) -> Detail:
        if isinstance(self.detail, Detail):
            return self.detail
        data = json.loads(self.detail)
        card = data["card_data"]
        siblings = tuple((str(p), int(n)) for p, n in data["siblings"])
        return Detail(card if isinstance(card, dict) else None, siblings)

    @property
    def card_data(self) -> dict[str, Any] | None:
        return self._detail.card_data

    @property
    def siblings(self) -> tuple[tuple[str, int], ...]:
        return self._detail.siblings


def tags_of(card: dict[str, Any], paths: Iterable[str]) -> list[str]:
    """The Hub's tags of a revision: the card's tags, library, task, languages, licence,
    datasets and base models, and ``safetensors`` when a file says so."""
    tags: list[str] = []

    def add(value: object, prefix: str = "") -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and item and f"{prefix}{item}" not in tags:
                tags.append(f"{prefix}{item}")

    add(card.get("tags"))
    add(card.get("library_name"))
    add(card.get("pipeline_tag"))
    add(card.get("language"))
    add(card.get("license"), "license:")
    add(card.get("datasets"), "dataset:")
    add(card.get("base_model"), "base_model:")
    if any(path.endswith(".safetensors") for path in paths):
        add("safetensors")
    return tags


def summarize(revision: Revision) -> Summary:
    """The listing facts of a loaded revision (model info uses the same ones)."""
    card = revision.card_data or {}
    library = card.get("library_name")
    return Summary(
        repo_id=revision.repo_id,
        kind=revision.kind,
        sha=revision.sha,
        created=revision.created,
        modified=revision.modified,
        tags=tuple(tags_of(card, (f.path for f in revision.files))),
        pipeline_tag=package_task(card, None, revision.config),
        library_name=library if isinstance(library, str) else None,
        config=revision.config,
        used_storage=sum(f.size for f in revision.files),
        detail=Detail(revision.card_data, tuple((f.path, f.size) for f in revision.files)),
    )


@dataclass(frozen=True)
class Refreshed:
    """What one refresh did (``ptmscope registry index`` prints it)."""

    added: int
    changed: int
    removed: int
    unchanged: int
    unreadable: tuple[tuple[str, str], ...]
    """Packages left out because they could not be read, with why."""
    seconds: float


# ---------------------------------------------------------------- signatures
def _stamp(st: os.stat_result) -> str:
    return f"{st.st_mode:o}.{st.st_ino}.{st.st_size}.{st.st_mtime_ns}.{st.st_ctime_ns}"


def _lstamp(path: str) -> str:
    try:
        return _stamp(os.lstat(path))
    except OSError:
        return "-"


def _git_parts(path: str, names: set[str]) -> list[str]:
    git_dir = os.path.join(path, ".git") if ".git" in names else path
    try:  # a work tree's .git: what it is (not when git last wrote into it)
        dot = os.lstat(os.path.join(path, ".git"))
        parts = [f".git {dot.st_mode:o}.{dot.st_ino}"]
    except OSError:
        parts = [".git -"]
    for name in _GIT_SIGNED:
        parts.append(f"{name} {_lstamp(os.path.join(git_dir, name))}")
    try:
        with open(os.path.join(git_dir, "HEAD"), "rb") as handle:
            head = handle.read(512).decode("utf-8", "replace").strip()
    except OSError:
        head = ""
    ref = head.removeprefix("ref:").strip() if head.startswith("ref:") else ""
    if ref.startswith("refs/") and ".." not in ref.split("/"):
        parts.append(f"{ref} {_lstamp(os.path.join(git_dir, ref))}")
    return parts


_GIT_SIGNED = (
    "HEAD", "packed-refs", "refs/heads", "refs/tags", "reftable", "objects/info/alternates",
    "commondir",
)  # fmt: skip


def signature(root: str, repo_id: str) -> str:
    """The package's stat signature (see the module docstring for what it cannot see):
    one ``scandir`` and one ``lstat`` per top-level entry for a folder, a few for git."""
    path = os.path.join(root, repo_id)
    entries: dict[str, os.DirEntry[str] | None]
    try:
        entries = {entry.name: entry for entry in os.scandir(path)}
    except OSError:  # not a folder: Store serves ``name.git`` then
        path = f"{path}.git"
        try:
            entries = {entry.name: entry for entry in os.scandir(path)}
        except OSError as exc:
            entries = {f"! {exc.errno}": None}
    parts = [path]
    names = set(entries)
    git = ".git" in names or (
        {"HEAD", "objects"} <= names
        and names <= GIT_DIR_ENTRIES
        and is_bare_repository(Path(path))  # the same test Store's packages are told apart by
    )
    if git:
        parts += ["git", *_git_parts(path, names)]
    else:
        parts.append("folder")
        for name, entry in sorted(entries.items()):
            try:
                parts.append(
                    f"{name} {_stamp(entry.stat(follow_symlinks=False))}" if entry else name
                )
            except OSError:
                parts.append(f"{name} -")
    return sha1("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


# ---------------------------------------------------------------- rows
_COLUMNS = "repo_id, kind, signature, sha, created, modified, facts, detail, stamp"
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS packages (
    repo_id TEXT PRIMARY KEY, kind TEXT NOT NULL, signature TEXT NOT NULL, sha TEXT NOT NULL,
    created TEXT NOT NULL, modified TEXT NOT NULL, facts TEXT NOT NULL, detail TEXT NOT NULL,
    stamp INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS packages_stamp ON packages (stamp);
CREATE TABLE IF NOT EXISTS broken (
    repo_id TEXT PRIMARY KEY, signature TEXT NOT NULL, checked REAL NOT NULL, reason TEXT NOT NULL
);
"""
"""``facts`` (tags, task, library, config, storage) and ``detail`` (card data, files) are
JSON objects: a worker reading the index decodes ``facts`` of every row, ``detail`` of the
rows a listing shows them for."""


def _json_default(value: object) -> object:
    """Card YAML may hold dates (``2023-01-01``) and sets, which JSON has no form for."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    return str(value)


def _record(summary: Summary, sig: str, stamp: int) -> tuple[object, ...]:
    facts = {
        "tags": summary.tags,
        "pipeline_tag": summary.pipeline_tag,
        "library_name": summary.library_name,
        "config": summary.config,
        "used_storage": summary.used_storage,
    }
    detail = {"card_data": summary.card_data, "siblings": summary.siblings}
    return (
        summary.repo_id, summary.kind, sig, summary.sha, summary.created.isoformat(),
        summary.modified.isoformat(), json.dumps(facts, default=_json_default),
        json.dumps(detail, default=_json_default), stamp,
    )  # fmt: skip


def _summary(row: Sequence[Any]) -> Summary:
    facts = json.loads(row[6])
    config = facts["config"]
    return Summary(
        repo_id=row[0],
        kind=row[1],
        sha=row[3],
        created=datetime.fromisoformat(row[4]),
        modified=datetime.fromisoformat(row[5]),
        tags=tuple(facts["tags"]),
        pipeline_tag=facts["pipeline_tag"],
        library_name=facts["library_name"],
        config=config if isinstance(config, dict) else None,
        used_storage=int(facts["used_storage"]),
        detail=row[7],
    )


class PackageIndex:
    """The listing rows of one store's packages, refreshed incrementally (module docstring)."""

    def __init__(
        self, store: Store, path: Path | None = None, memory_fallback: bool = True
    ) -> None:
        self.store = store
        self.path = path if path is not None else store.root / INDEX_PATH
        self.memory_fallback = memory_fallback
        """Keep the index in memory when it cannot be written (else an :class:`InputError`)."""
        self._lock = threading.Lock()
        """Guards the connection (one per index, shared by the server's threads)."""
        self._refresh_lock = threading.Lock()
        self._refreshed: float | None = None
        self._rows: dict[str, Summary] = {}
        self._seen = -1
        """The highest row stamp read into ``_rows``."""
        self._ids: list[str] = []
        self.persistent = True
        """False when the index could not be opened on disk and lives in memory."""
        self._db = self._open()

    # ------------------------------------------------------------ storage
    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect(str(self.path))
        except (OSError, sqlite3.Error) as exc:
            problem = exc
        damaged = isinstance(problem, sqlite3.DatabaseError) and not isinstance(
            problem, sqlite3.OperationalError
        )  # "file is not a database"; a read-only or locked file is not damaged
        if damaged and self.path.is_file():
            try:  # only a cache: start it afresh
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                return self._connect(str(self.path))
            except (OSError, sqlite3.Error) as exc:
                problem = exc
        return self._in_memory(problem)

    def _in_memory(self, problem: BaseException) -> sqlite3.Connection:
        """The index for this process only, said once on stderr (never an error to a client)."""
        if not self.memory_fallback:
            raise InputError(f"cannot write the listing index {self.path}: {problem}")
        self.persistent = False
        if str(self.path) not in _warned:
            _warned.add(str(self.path))
            print(
                f"ptmscope registry: cannot write the listing index {self.path} ({problem}); "
                "it is kept in memory for this process",
                file=sys.stderr,
                flush=True,
            )
        return self._connect(":memory:")

    def _connect(self, where: str) -> sqlite3.Connection:
        if where != ":memory:":
            Path(where).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            where, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")  # a read-only file fails here, not at the first write
            known = dict(
                db.execute("SELECT key, value FROM meta").fetchall()
                if db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
                ).fetchone()
                else []
            )
            columns = [row[1] for row in db.execute("PRAGMA table_info(packages)")]
            if (known.get("schema"), known.get("version"), columns) != (
                SCHEMA,
                __version__,
                _COLUMNS.split(", "),
            ):  # another layout (or none yet): it is only a cache, so it is made again
                for table in ("meta", "packages", "broken"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _TABLES.split(";"):
                if statement.strip():
                    db.execute(statement)
            for key, value in (("schema", SCHEMA), ("version", __version__), ("stamp", "0")):
                db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def _write(
        self,
        rows: Sequence[tuple[Summary, str]] = (),
        deleted: Sequence[str] = (),
        broken: Sequence[tuple[str, str, str]] = (),
        wipe: bool = False,
    ) -> None:
        """One short transaction: upsert ``rows``, delete ``deleted`` (rows and broken marks),
        record ``broken`` (id, signature, why) instead of their rows; ``wipe`` forgets every
        broken mark first."""
        upsert = (
            f"INSERT INTO packages ({_COLUMNS}) VALUES ({', '.join('?' * 9)}) "
            "ON CONFLICT (repo_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[1:])
        )
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='stamp'")
                stamp = int(db.execute("SELECT value FROM meta WHERE key='stamp'").fetchone()[0])
                if wipe:
                    db.execute("DELETE FROM broken")
                db.executemany(upsert, [_record(s, sig, stamp) for s, sig in rows])
                gone = [(i,) for i in (*deleted, *(s.repo_id for s, _ in rows))]
                db.executemany("DELETE FROM broken WHERE repo_id = ?", gone)
                gone = [(i,) for i in (*deleted, *(b[0] for b in broken))]
                db.executemany("DELETE FROM packages WHERE repo_id = ?", gone)
                db.executemany(
                    "INSERT OR REPLACE INTO broken VALUES (?, ?, ?, ?)",
                    [(i, sig, time.time(), why) for i, sig, why in broken],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _sync(self) -> None:
        """Read the rows written since the last read (by this process or another)."""
        with self._lock:
            db = self._db
            stamp = int(db.execute("SELECT value FROM meta WHERE key='stamp'").fetchone()[0])
            if stamp == self._seen:
                return
            if stamp < self._seen:  # the index was made again (another version): read it all
                self._rows, self._seen = {}, -1
            fresh = db.execute(
                f"SELECT {_COLUMNS} FROM packages WHERE stamp > ?", (self._seen,)
            ).fetchall()
            present = {i for (i,) in db.execute("SELECT repo_id FROM packages")}
            rows = {i: row for i, row in self._rows.items() if i in present}
            rows.update((row[0], _summary(row)) for row in fresh)
            self._rows = rows  # replaced whole: readers keep the snapshot they took
            self._seen = stamp

    def _stored(self) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, float]]]:
        with self._lock:
            rows = self._db.execute("SELECT repo_id, signature, sha FROM packages").fetchall()
            broken = self._db.execute("SELECT repo_id, signature, checked FROM broken").fetchall()
        return {i: (s, h) for i, s, h in rows}, {i: (s, c) for i, s, c in broken}

    # ------------------------------------------------------------ refresh
    def _load(self, repo_id: str) -> Summary | str:
        """The package's default revision summarized, or why it cannot be read."""
        owner, name = repo_id.split("/", 1)
        try:
            repo = self.store.repo(owner, name)
            repo.invalidate()  # its signature changed: refs cached a moment ago may be stale
            return summarize(self.store.resolved(repo, None))
        except Exception as exc:  # fail closed: a package that cannot be read is not listed
            return f"{type(exc).__name__}: {exc}"

    def refresh(self, force: bool = False, reload: bool = False) -> Refreshed | None:
        """Bring the rows up to date with the tree: load new and changed packages, drop
        removed ones; ``None`` when this process refreshed less than :data:`INDEX_TTL_S`
        ago (unless ``force``). ``reload`` loads every package whatever its signature."""
        with self._refresh_lock:
            now = time.monotonic()
            if not force and self._refreshed is not None and now - self._refreshed < INDEX_TTL_S:
                return None
            started = time.perf_counter()
            if reload:
                self._write(wipe=True)
            ids = self.store.repo_ids()
            root = str(self.store.root)
            stored, broken = self._stored()
            added = changed = unchanged = dropped = 0
            unreadable: list[tuple[str, str]] = []
            pending: list[tuple[Summary, str]] = []
            failed: list[tuple[str, str, str]] = []
            for repo_id in dict.fromkeys(ids):
                sig = signature(root, repo_id)
                old = stored.get(repo_id)
                if old is not None and old[0] == sig and not reload:
                    unchanged += 1
                    continue
                bad = broken.get(repo_id)
                if bad is not None and bad[0] == sig and time.time() - bad[1] < BROKEN_RETRY_S:
                    unreadable.append((repo_id, "unreadable when last tried; not tried again yet"))
                    continue
                loaded = self._load(repo_id)
                if isinstance(loaded, str):
                    unreadable.append((repo_id, loaded))
                    failed.append((repo_id, sig, loaded))
                    dropped += old is not None
                else:
                    pending.append((loaded, sig))
                    if old is None:
                        added += 1
                    elif old[0] != sig or old[1] != loaded.sha:
                        changed += 1
                    else:
                        unchanged += 1
                if len(pending) + len(failed) >= WRITE_BATCH:
                    self._write(pending, broken=failed)
                    pending, failed = [], []
            listed = set(ids)
            removed = [i for i in stored if i not in listed]
            gone = removed + [i for i in broken if i not in listed]
            self._write(pending, gone, failed)
            self._sync()
            self._ids = ids
            self._refreshed = time.monotonic()
            return Refreshed(
                added=added,
                changed=changed,
                removed=len(removed) + dropped,
                unchanged=unchanged,
                unreadable=tuple(unreadable),
                seconds=time.perf_counter() - started,
            )

    def rebuild(self) -> Refreshed:
        """Load every package again and rewrite its row (listings keep answering meanwhile)."""
        done = self.refresh(force=True, reload=True)
        assert done is not None
        return done

    # ------------------------------------------------------------ reading
    def rows(self) -> list[Summary]:
        """The served packages' rows in ``Store.repo_ids`` order, refreshed when due."""
        try:
            self.refresh()
        except sqlite3.Error as exc:  # the file went bad while serving (disk full, removed)
            if not self.persistent:
                raise
            with self._lock:
                self._db.close()
                self._db = self._in_memory(exc)
                self._rows, self._seen, self._refreshed = {}, -1, None
            self.refresh()
        rows, ids = self._rows, self._ids
        return [row for row in map(rows.get, ids) if row is not None]

    def observe(self, repo: Repo, revision: Revision) -> None:
        """A revision the app loaded anyway: when it is the package's default revision and
        the row says another commit (a change the stat signature could not see), rewrite
        the row now."""
        row = self._rows.get(repo.repo_id)
        if row is None or row.sha == revision.sha:
            return
        try:
            if repo.resolve(None) != revision.sha:
                return  # another branch or an older commit: not what the listing shows
        except Exception:
            return
        try:
            self._write([(summarize(revision), STALE)])
            self._sync()
        except sqlite3.Error:
            pass  # the next refresh reads the package again (its signature is checked then)

    def close(self) -> None:
        with self._lock:
            self._db.close()
