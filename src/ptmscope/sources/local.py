"""A package as a folder: hand-made, ``snapshot_download`` output, or a Hub cache entry.

Hub cache layout (``models--owner--name/{refs,snapshots,blobs}``) is recognised so
that the owner, name and commit are known, and its symlinks into ``blobs/`` are
followed; any other symlink that leaves the package is refused, never followed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from ptmscope.errors import InputError
from ptmscope.names import readable_name
from ptmscope.package import Commit, FileEntry
from ptmscope.scan.walk import SKIPPED_DIRS
from ptmscope.sources.disk import disk_reader
from ptmscope.sources.interface import Source, SourceInfo
from ptmscope.sources.lfs import MAX_POINTER_BYTES, parse_pointer
from ptmscope.vocab import SourceKind

MAX_FILES = 50_000
_CACHE_DIR = re.compile(r"^models--(?P<owner>[^/]+?)(?:--(?P<name>[^/]+))?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def _cache_name(folder: Path) -> str | None:
    match = _CACHE_DIR.match(folder.name)
    if match is None:
        return None
    owner, name = match["owner"], match["name"]
    return owner if name is None else f"{owner}/{name}"


class LocalSource(Source):
    """A package folder (or a Hub cache snapshot); links that leave it are refused, not followed."""

    def __init__(self, path: Path) -> None:
        self._ref = str(path)
        root = path.resolve()
        self._name: str | None = None
        self._commit: str | None = None
        self._boundary = root
        if (root / "snapshots").is_dir() and _cache_name(root) is not None:
            self._name = _cache_name(root)
            root = self._cache_snapshot(root)
        elif root.parent.name == "snapshots" and _cache_name(root.parent.parent) is not None:
            self._name = _cache_name(root.parent.parent)
            self._boundary = root.parent.parent
            self._commit = root.name if _SHA.match(root.name) else None
        self._root = root
        self._files: tuple[FileEntry, ...] | None = None
        self._skipped: list[tuple[str, str]] = []

    def _cache_snapshot(self, repo: Path) -> Path:
        ref = repo / "refs" / "main"
        snapshots = repo / "snapshots"
        if ref.is_file():
            sha = ref.read_text(encoding="ascii", errors="replace").strip()
            if (snapshots / sha).is_dir():
                self._commit = sha
                return snapshots / sha
        found = sorted(p for p in snapshots.iterdir() if p.is_dir())
        if len(found) != 1:
            raise InputError(
                f"{self._ref}: Hub cache entry with {len(found)} snapshots and no usable "
                "refs/main; pass the snapshots/<commit> folder to audit"
            )
        self._commit = found[0].name if _SHA.match(found[0].name) else None
        return found[0]

    def info(self) -> SourceInfo:
        return SourceInfo(self._ref, SourceKind.LOCAL, self._name, None, self._commit)

    def _entry(self, rel: str, full: Path) -> FileEntry | None:
        try:
            st = full.lstat()
            target = full
            if stat.S_ISLNK(st.st_mode):
                target = Path(os.path.realpath(full, strict=True))
                if not target.is_relative_to(self._boundary):
                    self._skipped.append((rel, "symlink leaves the package"))
                    return None
                st = target.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                reason = "symlink loop"
            elif exc.errno == errno.ENOENT:
                reason = "broken symlink (its target does not exist)"
            else:
                reason = str(exc.strerror or exc)
            self._skipped.append((rel, reason))
            return None
        if not stat.S_ISREG(st.st_mode):
            self._skipped.append((rel, "not a regular file"))
            return None
        origin = f"local:{target}"
        if st.st_size <= MAX_POINTER_BYTES:
            try:
                pointer = parse_pointer(disk_reader(target)(0, MAX_POINTER_BYTES))
            except OSError:
                pointer = None
            if pointer is not None:
                return FileEntry(rel, pointer.size, origin, pointer.oid_sha256, None, pointer)
        return FileEntry(rel, st.st_size, origin, reader=disk_reader(target))

    def files(self) -> Sequence[FileEntry]:
        """The folder's files, walked once (skipped folders aside); links that leave the folder or loop are reported by :meth:`skipped`, never read."""
        if self._files is not None:
            return self._files
        found: list[FileEntry] = []
        failures: list[OSError] = []
        for folder, dirs, names in os.walk(self._root, followlinks=False, onerror=failures.append):
            base = Path(folder)
            rel_base = readable_name(base.relative_to(self._root).as_posix())
            prefix = "" if rel_base == "." else rel_base + "/"
            kept_dirs = []
            for d in sorted(dirs):
                if d in SKIPPED_DIRS:
                    continue
                try:
                    linked = (base / d).is_symlink()
                except OSError as exc:
                    self._skipped.append(
                        (f"{prefix}{readable_name(d)}/", f"folder not listed: {exc.strerror}")
                    )
                    continue
                if linked:
                    self._skipped.append(
                        (f"{prefix}{readable_name(d)}/", "symlinked folder not followed")
                    )
                    continue
                kept_dirs.append(d)
            dirs[:] = kept_dirs
            for name in sorted(names):
                entry = self._entry(prefix + readable_name(name), base / name)
                if entry is not None:
                    found.append(entry)
                if len(found) > MAX_FILES:
                    raise InputError(
                        f"{self._ref}: more than {MAX_FILES} files; not a model package"
                    )
        for failure in failures:  # a folder we may not list can hold anything: say so
            where = Path(failure.filename) if failure.filename else self._root
            try:
                rel = readable_name(where.relative_to(self._root).as_posix()) + "/"
            except ValueError:
                rel = readable_name(str(where))
            self._skipped.append((rel, f"folder not listed: {failure.strerror or failure}"))
        self._files = tuple(sorted(found, key=lambda f: f.path))
        return self._files

    def skipped(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._skipped)

    def history(self) -> tuple[Commit, ...] | None:
        return None
