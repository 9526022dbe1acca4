"""Compare a signed manifest with the package's files, reading as few bytes as possible.

A registry already names each LFS file by the SHA-256 of its content (``model_info
(files_metadata=True)`` siblings; the oid of an LFS pointer): when the manifest was made with
SHA-256 over whole files, that digest is compared as is and the weights are never fetched.
Files without a registry digest (small git files, files on disk, shard or non-SHA-256
manifests) are hashed from their bytes, read a chunk at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ptmscope.names import readable_name
from ptmscope.package import FileEntry

HASH_CHUNK = 8 << 20
"""Bytes read at a time when a file is hashed."""
LOCAL_ORIGIN = "local:"
"""How a folder's file is named (:attr:`FileEntry.origin`): its bytes are what is loaded."""
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")
"""What OMS leaves out of a manifest by default (``model_signing.hashing``)."""


@dataclass(frozen=True)
class ManifestEntry:
    """One signed resource: a whole file, or a byte range of one (shard serialization)."""

    path: str
    algorithm: str
    """``sha256``, ``blake2b`` or ``blake3`` (the ``-sharded-N`` suffix removed)."""
    digest: str
    """Hexadecimal."""
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class Comparison:
    """How the files at this revision stand against the manifest."""

    covered: tuple[str, ...]
    unsigned: tuple[str, ...]
    mismatched: tuple[str, ...]
    missing: tuple[str, ...]
    unchecked: tuple[tuple[str, str], ...]
    """``(path, why)`` for signed files whose bytes could not be read here."""
    from_registry: int


def parse_identifier(identifier: str, algorithm: str, digest: str) -> ManifestEntry:
    """A manifest resource: ``path`` or ``path:start:end`` (a shard)."""
    base = algorithm.split("-sharded-", 1)[0]
    if "-sharded-" in algorithm:
        path, start, end = identifier.rsplit(":", 2)
        return ManifestEntry(path, base, digest, int(start), int(end))
    return ManifestEntry(identifier, base, digest)


def _hasher(algorithm: str) -> Any:
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm in ("blake2b", "blake2"):
        return hashlib.blake2b()
    if algorithm == "blake3":
        import blake3  # installed with model-signing (the signing extra)

        return blake3.blake3()
    raise ValueError(f"unsupported digest algorithm {algorithm!r}")


def _hash_range(entry: FileEntry, algorithm: str, start: int, end: int) -> str:
    hasher = _hasher(algorithm)
    pos = start
    while pos < end:
        data = entry.read(pos, min(HASH_CHUNK, end - pos))
        if not data:
            raise OSError(f"{entry.path}: short read at byte {pos}")
        hasher.update(data)
        pos += len(data)
    return str(hasher.hexdigest())


def _registry_digest(entry: FileEntry) -> str | None:
    """The content SHA-256 a registry or LFS pointer states, when it stands for the bytes a
    reuser would load: a Hub file, or a pointer in git whose object is not here (git-lfs
    fetches it by that digest). Bytes on disk or in git are hashed instead (a work-tree file
    can differ from its pointer). A pointer-shaped file in a folder stands for nothing but
    itself: a loader reads that text (an ``ext-`` line of it can be a working Jinja template),
    so it is never taken for the object it names."""
    if entry.sha256 is None or entry.origin.startswith(LOCAL_ORIGIN):
        return None
    if entry.origin.startswith("hub:") or not entry.available:
        return entry.sha256.lower()
    return None


def ignored(path: str, ignore: Iterable[str] = GIT_PATHS) -> bool:
    """Whether ``path`` is one of ``ignore`` or under it (by default: a git file)."""
    for prefix in ignore:
        prefix = prefix.strip("/")
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            return True
    return False


def compare(
    entries: Sequence[ManifestEntry],
    files: Sequence[FileEntry],
    bundles: Iterable[str] = (),
    folder: str = "",
) -> Comparison:
    """Each signed file against the package: covered, changed, missing or unreadable; and
    every file the manifest does not list, git files and the bundles aside.

    The manifest's own ignore paths do not excuse a file: the signer chose not to sign it, so
    what lies there (a code file, a card) is unsigned all the same and is listed as such.
    ``folder``: where the bundle lies in the package. A bundle in a subfolder signs that
    folder's model (its manifest's paths are relative to it), unless none of its paths is
    found there and the package root is what it names (a whole-package manifest kept in a
    subfolder); either way every digest is still compared.
    """
    by_path = {f.path: f for f in files}
    # A manifest names files as written on disk; folder and git sources show them through
    # readable_name (a backslash doubled, so that undecodable bytes shown as escapes read
    # unambiguously),
    # the Hub source as the registry lists them. Name the signed files the package's way.
    hub = any(f.origin.startswith("hub:") for f in files)

    def keyed(prefix: str) -> dict[str, list[ManifestEntry]]:
        named: dict[str, list[ManifestEntry]] = {}
        for item in entries:
            shown = item.path if hub else readable_name(item.path)
            named.setdefault(prefix + shown, []).append(item)
        return named

    signed = keyed(folder + "/" if folder else "")
    if folder and not signed.keys() & by_path.keys():
        signed = keyed("")
    covered: list[str] = []
    mismatched: list[str] = []
    missing: list[str] = []
    unchecked: list[tuple[str, str]] = []
    from_registry = 0
    for path in sorted(signed):
        entry = by_path.get(path)
        if entry is None:
            missing.append(path)
            continue
        items = signed[path]
        whole = len(items) == 1 and items[0].start is None
        stated = _registry_digest(entry)
        try:
            if whole and items[0].algorithm == "sha256" and stated is not None:
                from_registry += 1
                same = stated == items[0].digest.lower()
            elif whole:
                same = _hash_range(entry, items[0].algorithm, 0, entry.size) == items[0].digest
            else:
                same = _shards_match(entry, items)
        except (OSError, ValueError) as exc:
            unchecked.append((path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            continue
        (covered if same else mismatched).append(path)
    skip = set(bundles)
    unsigned = sorted(
        f.path for f in files if f.path not in signed and f.path not in skip and not ignored(f.path)
    )
    return Comparison(
        tuple(covered), tuple(unsigned), tuple(mismatched), tuple(missing), tuple(unchecked),
        from_registry,
    )  # fmt: skip


def _shards_match(entry: FileEntry, shards: list[ManifestEntry]) -> bool:
    """Every shard's digest matches and the shards cover the file exactly, end to end."""
    pos = 0
    for shard in sorted(shards, key=lambda s: s.start or 0):
        if shard.start != pos or shard.end is None or shard.end <= pos:
            return False
        if _hash_range(entry, shard.algorithm, shard.start, shard.end) != shard.digest:
            return False
        pos = shard.end
    return pos == entry.size
