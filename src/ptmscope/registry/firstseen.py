"""When this registry first saw each package and revision: the dates a mirror can vouch for.

A commit's dates and a file's modification time are written by whoever publishes the
package (``GIT_COMMITTER_DATE``, ``cp -p``), so a cooldown ("nothing younger than N days")
read from them is passed by backdating. The registry's own first sighting is not: it is
recorded once, appended as one JSON line to a file beside the gateway's log (appending
keeps a mirror of thousands of packages cheap), and survives restarts.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

MAX_BYTES = 256 << 20
"""A larger file is not read (sightings start again from now: later dates, never earlier)."""


class FirstSeen:
    """``repo`` and ``repo@sha`` → the time this registry first judged or described them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._times: dict[str, datetime] = self._read()

    def _read(self) -> dict[str, datetime]:
        times: dict[str, datetime] = {}
        try:
            if self.path.stat().st_size > MAX_BYTES:
                return times
            lines = self.path.read_text("utf-8", errors="replace").splitlines()
        except OSError:
            return times
        for line in lines:
            try:
                key, moment = json.loads(line)
                times.setdefault(str(key), datetime.fromisoformat(moment))
            except (ValueError, TypeError):
                continue  # a torn last line after a crash: that sighting is made again
        return times

    def peek(self, repo_id: str, sha: str) -> tuple[datetime, datetime] | None:
        """The recorded sightings, without recording any."""
        with self._lock:
            created, revision = self._times.get(repo_id), self._times.get(f"{repo_id}@{sha}")
        return (created, revision) if created is not None and revision is not None else None

    def dates(self, repo_id: str, sha: str) -> tuple[datetime, datetime]:
        """(first sighting of the package, first sighting of this revision), recorded now
        when new."""
        now = datetime.now(UTC)
        with self._lock:
            new = [k for k in (repo_id, f"{repo_id}@{sha}") if k not in self._times]
            for key in new:
                self._times[key] = now
            if new:
                self._append([(key, now.isoformat()) for key in new])
            return self._times[repo_id], self._times[f"{repo_id}@{sha}"]

    def _append(self, records: list[tuple[str, str]]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(json.dumps(r, ensure_ascii=True) + "\n" for r in records))
        except OSError:
            pass  # kept in memory for this run; the next run sees the package anew (later)
