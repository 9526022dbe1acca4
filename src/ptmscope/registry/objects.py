"""Judged bytes, published once for the web tier to move: the front-server (nginx) hand-off.

The gateway decides in Python; a front server such as nginx moves the bytes
(``X-Accel-Redirect``). It must move exactly the bytes that were judged, so it never
reads a package file by its path (a file swapped after the verdict would be served
under it): each file body served this way is first *published*, copied once into a
content-addressed folder (``ROOT/.ptmscope/objects/<sha256>`` or ``git-<blob id>``)
and checked while it is copied:

- a folder file is copied in the kernel (``copy_file_range``) from the descriptor the
  revision pinned (same inode, size, mtime and ctime as when it was hashed and judged),
  and the source must still have that identity after the copy, else nothing is published;
- a git file is copied from the repository's reader and its digest (LFS sha256, else the
  git blob id) recomputed on the way: a mismatch publishes nothing.

A hard link would be cheaper but changes the source's ctime, which is part of the
identity the revision pinned. The folder is a cache: deleting it loses nothing (objects
are published again on demand). Publishing is atomic (a temporary file renamed into
place), so workers racing on one object each write a whole copy and one wins.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path

from ptmscope.package import FileEntry
from ptmscope.registry.store import (
    Digest,
    FileChanged,
    Revision,
    file_identity,
    iter_bytes,
    open_pinned,
)

OBJECTS = "objects"
"""The published objects' folder inside the registry's ``.ptmscope`` folder."""
COPY_CHUNK = 8 << 20
"""Bytes asked of ``copy_file_range`` per call."""
_NAME = re.compile(r"(?:git-[0-9a-f]{40}|[0-9a-f]{64})")


class Objects:
    """The content-addressed folder a front server reads published bodies from."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def name(self, digest: Digest) -> str | None:
        """An object's path below the folder: by sha256 when known, else by git blob id;
        ``None`` for a digest that is not plain hex (never a path a front server reads)."""
        key = digest.sha256 if digest.sha256 else f"git-{digest.git_oid}"
        if not _NAME.fullmatch(key):
            return None
        return f"{key[-2:]}/{key}"

    def publish(self, revision: Revision, entry: FileEntry, digest: Digest) -> str | None:
        """The object holding exactly the judged bytes of ``entry`` (published now if need
        be), or ``None`` when they cannot be published (the caller serves them itself)."""
        relative = self.name(digest)
        if relative is None:
            return None
        final = self.folder / relative
        try:
            if final.stat().st_size == entry.size:
                return relative
        except OSError:
            pass
        temporary = final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            pinned = revision.content.get(entry.path)
            if pinned is not None and entry.path in revision.targets:
                ok = self._copy_pinned(revision, entry, temporary)
            else:
                ok = self._copy_checked(entry, digest, temporary)
            if not ok:
                temporary.unlink(missing_ok=True)
                return None
            os.replace(temporary, final)
        except OSError:
            temporary.unlink(missing_ok=True)
            return None
        return relative

    @staticmethod
    def _copy_pinned(revision: Revision, entry: FileEntry, temporary: Path) -> bool:
        """A folder file copied in the kernel from its pinned descriptor; the source must
        keep its recorded identity to the end."""
        identity = revision.content[entry.path].identity
        try:
            source = open_pinned(revision.base, revision.targets[entry.path], identity)
        except FileChanged:
            return False
        try:
            target = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, 0o644)
            try:
                copied = 0
                while copied < entry.size:
                    done = os.copy_file_range(source, target, min(COPY_CHUNK, entry.size - copied))
                    if done == 0:
                        break
                    copied += done
            finally:
                os.close(target)
            return copied == entry.size and file_identity(os.fstat(source)) == identity
        finally:
            os.close(source)

    @staticmethod
    def _copy_checked(entry: FileEntry, digest: Digest, temporary: Path) -> bool:
        """A git file copied from the repository, its digest recomputed on the way."""
        sha256 = hashlib.sha256()
        blob = hashlib.sha1(f"blob {entry.size}\0".encode())
        size = 0
        with temporary.open("xb") as handle:
            for chunk in iter_bytes(entry, 0, entry.size, COPY_CHUNK):
                sha256.update(chunk)
                blob.update(chunk)
                handle.write(chunk)
                size += len(chunk)
        if size != entry.size:
            return False
        if digest.sha256:
            return sha256.hexdigest() == digest.sha256
        return blob.hexdigest() == digest.git_oid
