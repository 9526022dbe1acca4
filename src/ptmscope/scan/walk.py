"""Which files ``ptmscope scan`` reads under the paths it is given, and what it cannot read.

Walking is where a scanner is most easily blinded: a folder it may not list, a
symlink loop or a name that is not UTF-8 used to be dropped or to crash the run,
and every file of a ``snapshot_download()`` folder is a symlink into the Hub
cache's ``blobs/``, which a "stay inside the folder" rule skipped entirely. Every
path is therefore either a :class:`Target` to scan or a :class:`Skipped` with the
reason, which the scanner reports as an error (fail closed).

Symlinks are followed when their target stays inside the folder being scanned or,
for a Hub cache layout (``models--owner--name/{blobs,refs,snapshots}``), inside
that cache entry; a link anywhere else is reported, not followed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from ptmscope.errors import InputError
from ptmscope.names import readable_name

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})
"""Version-control folders: not package content. Everything else is read (a ``.pyc`` in
``__pycache__`` or a pickle in ``.cache/`` loads as well as any other file)."""
_CACHE_ENTRY = re.compile(r"^(models|datasets|spaces)--.+")


class Target(NamedTuple):
    """A regular file to scan: where its bytes are and the name the report gives it."""

    path: Path
    display: str


class Skipped(NamedTuple):
    """A path that could not be scanned, and why (reported as a scan error)."""

    display: str
    reason: str


def cache_boundary(folder: Path) -> Path | None:
    """The Hub cache entry (``models--owner--name``) a resolved folder lies in, if any."""
    for candidate in (folder, *folder.parents):
        if _CACHE_ENTRY.match(candidate.name) and (candidate / "blobs").is_dir():
            return candidate
    return None


def _classify(path: Path, display: str, boundaries: tuple[Path, ...]) -> Target | Skipped:
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            target = Path(os.path.realpath(path, strict=True))
            if not any(target.is_relative_to(b) for b in boundaries):
                return Skipped(
                    display,
                    f"symlink to {readable_name(str(target))} leaves the scanned folder: not followed",
                )
            st = target.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Skipped(display, "symlink loop")
        if exc.errno == errno.ENOENT:
            return Skipped(display, "broken symlink (its target does not exist)")
        return Skipped(display, f"cannot read: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        return Skipped(display, "not a regular file (device, FIFO or socket): not read")
    return Target(path, display)


def _walk_folder(root: Path) -> Iterator[Target | Skipped]:
    resolved = root.resolve()
    boundary = cache_boundary(resolved)
    boundaries = (resolved,) if boundary is None else (resolved, boundary)
    start = root
    if boundary == resolved and (resolved / "snapshots").is_dir():
        start = root / "snapshots"  # a whole cache entry: its files are the snapshots' links
    failures: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(start, onerror=failures.append):
        yield from _unlisted(failures, dirpath)
        base = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if name in SKIPPED_DIRS:
                continue
            full = base / name
            try:
                linked = full.is_symlink()
            except OSError as exc:
                yield Skipped(readable_name(str(full)) + "/", f"folder not listed: {exc.strerror}")
                continue
            if linked:
                yield Skipped(readable_name(str(full)) + "/", "symlinked folder: not followed")
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            full = base / name
            yield _classify(full, readable_name(str(full)), boundaries)
    yield from _unlisted(failures, str(start))


def _unlisted(failures: list[OSError], where: str) -> Iterator[Skipped]:
    """The folders ``os.walk`` could not list (it reports them through ``onerror``)."""
    while failures:
        failed = failures.pop()
        name = readable_name(str(failed.filename or where)).rstrip("/") + "/"
        yield Skipped(name, f"folder not listed: {failed.strerror or failed}")


def walk(paths: Iterable[Path]) -> Iterator[Target | Skipped]:
    """Files under the given paths (folders recursively, without VCS folders), sorted per folder."""
    for root in paths:
        display = readable_name(str(root))
        try:
            st = root.stat()
        except OSError as exc:
            if exc.errno == errno.ENOENT and not root.is_symlink():
                raise InputError(f"{display}: no such file or folder") from None
            if exc.errno == errno.ELOOP:
                yield Skipped(display, "symlink loop")
            else:
                yield Skipped(display, f"cannot read: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk_folder(root)
        elif stat.S_ISREG(st.st_mode):
            yield Target(root, display)  # named explicitly: followed wherever it points
        else:
            raise InputError(f"{display}: not a regular file or folder")
