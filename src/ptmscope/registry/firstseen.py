"""When this registry first saw each package and revision: the dates a mirror can vouch for.

A commit's dates and a file's modification time are written by whoever publishes the
package (``GIT_COMMITTER_DATE``, ``cp -p``), so a cooldown ("nothing younger than N days")
read from them is passed by backdating. The registry's own first sighting is not: it is
recorded once in the registry's shared state (:mod:`ptmscope.registry.state`), so every
worker dates a package alike and a restart keeps the dates. Sightings an older registry
appended to ``first-seen.jsonl`` are imported once, earliest kept.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from ptmscope.registry.state import MemoryState, SqliteState, StateStore

MAX_BYTES = 256 << 20
"""A larger legacy file is not read (sightings start again from now: later dates, never earlier)."""


def _legacy(path: Path) -> list[tuple[str, datetime]]:
    """The sightings of an older registry's JSONL file (a torn last line is skipped)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return []
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found: list[tuple[str, datetime]] = []
    for line in lines:
        try:
            key, moment = json.loads(line)
            found.append((str(key), datetime.fromisoformat(moment)))
        except (ValueError, TypeError):
            continue
    return found


class FirstSeen:
    """``repo`` and ``repo@sha`` → the time this registry first judged or described them."""

    def __init__(self, path: Path, state: StateStore | None = None) -> None:
        self.path = path
        self.state: StateStore = state if state is not None else MemoryState()
        if isinstance(self.state, SqliteState | MemoryState):
            self.state.import_first_seen(_legacy(path))
        self._lock = threading.Lock()
        self._known: dict[str, datetime] = {}
        """Sightings read already: once recorded, a sighting never changes."""

    def _cached(self, keys: list[str]) -> dict[str, datetime] | None:
        with self._lock:
            if all(k in self._known for k in keys):
                return {k: self._known[k] for k in keys}
        return None

    def _remember(self, found: dict[str, datetime]) -> None:
        with self._lock:
            self._known.update(found)

    def peek(self, repo_id: str, sha: str) -> tuple[datetime, datetime] | None:
        """The recorded sightings, without recording any."""
        keys = [repo_id, f"{repo_id}@{sha}"]
        found = self._cached(keys)
        if found is None:
            found = self.state.peek_first_seen(keys)
            self._remember(found)
        created, revision = found.get(keys[0]), found.get(keys[1])
        return (created, revision) if created is not None and revision is not None else None

    def dates(self, repo_id: str, sha: str) -> tuple[datetime, datetime]:
        """(first sighting of the package, first sighting of this revision), recorded now
        when new, by whichever worker sees it first."""
        keys = [repo_id, f"{repo_id}@{sha}"]
        found = self._cached(keys)
        if found is None:
            found = self.state.first_seen(keys, datetime.now(UTC))
            self._remember(found)
        return found[keys[0]], found[keys[1]]
