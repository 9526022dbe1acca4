"""The packages a registry serves: ``ROOT/<owner>/<name>/`` as git repositories or folders.

A git repository (bare or not) serves its branches, tags and commits as they
are; a plain folder serves one revision, ``main``, whose commit id is a hash of
its listing (path, size, mtime), so it changes when the folder does. Files are
looked up by name in the revision's listing, never by joining a request path to
the file system, so no request can reach outside ROOT.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ptmscope.card.safe_yaml import load_yaml
from ptmscope.errors import InputError, SourceError
from ptmscope.package import Commit, FileEntry, Person
from ptmscope.sources.git import GitSource, is_git_repository
from ptmscope.sources.interface import Source, SourceInfo
from ptmscope.sources.local import LocalSource
from ptmscope.weights import WEIGHT_SUFFIXES

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
SHA = re.compile(r"^[0-9a-f]{40}$")
LFS_THRESHOLD = 10 << 20
"""Folder files this large (or with a weight suffix) are served as LFS objects, as the Hub does."""
_SNAPSHOTS = 64
_REF_TTL = 2.0


class NotFound(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        """The Hub's ``X-Error-Code``: ``RepoNotFound``, ``RevisionNotFound`` or ``EntryNotFound``."""


@dataclass(frozen=True)
class Digest:
    git_oid: str
    """Git blob id of what the Hub would store in git (the pointer, for LFS files)."""
    sha256: str | None
    """Content sha256 for LFS files."""
    pointer_size: int | None


@dataclass
class Snapshot:
    """One revision of one package, read once and shared by every request for it."""

    repo_id: str
    sha: str
    kind: str
    files: tuple[FileEntry, ...]
    history: tuple[Commit, ...] | None
    created: datetime
    modified: datetime
    index: dict[str, FileEntry] = field(default_factory=dict)
    card_data: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.index = {f.path: f for f in self.files}

    def is_lfs(self, entry: FileEntry) -> bool:
        if entry.lfs is not None or (self.kind == "git" and entry.sha256 is not None):
            return True
        if self.kind == "git":
            return False
        return entry.size >= LFS_THRESHOLD or entry.suffix in WEIGHT_SUFFIXES


def _locked(
    lock: threading.Lock, read: Callable[[int, int | None], bytes]
) -> Callable[[int, int | None], bytes]:
    def reader(offset: int, length: int | None) -> bytes:
        with lock:
            return read(offset, length)

    return reader


class SnapshotSource(Source):
    """A served snapshot seen as a :class:`Source`, so the gateway audits it like any package."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def info(self) -> SourceInfo:
        s = self._snapshot
        return SourceInfo(s.repo_id, s.kind, s.repo_id, s.sha, s.sha if s.kind == "git" else None)

    def files(self) -> Sequence[FileEntry]:
        return self._snapshot.files

    def history(self) -> tuple[Commit, ...] | None:
        return self._snapshot.history


class Repo:
    def __init__(self, repo_id: str, path: Path) -> None:
        self.repo_id = repo_id
        self.path = path
        self.kind = "git" if is_git_repository(path) else "folder"
        self._refs: tuple[float, dict[str, str], dict[str, str], str] | None = None
        self._lock = threading.Lock()
        self._source: GitSource | None = None

    # ------------------------------------------------------------------ refs
    def _git(self, *args: str) -> str:
        """Run git on the repository (through GitSource, which also opens refs-less bare clones)."""
        if self._source is None:
            try:
                self._source = GitSource(self.path)
            except SourceError:
                return ""
        done = self._source._git(*args, check=False)
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""

    def git_dir(self) -> str | None:
        """Where git reads this repository (``None`` for plain folders, which cannot be cloned)."""
        if self.kind != "git":
            return None
        self._git("rev-parse", "--git-dir")
        return self._source.git_dir if self._source is not None else None

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None

    def refs(self) -> tuple[dict[str, str], dict[str, str], str]:
        """Branches and tags (name → commit) and the default branch."""
        with self._lock:
            now = time.monotonic()
            if self._refs is not None and now - self._refs[0] < _REF_TTL:
                return self._refs[1], self._refs[2], self._refs[3]
            if self.kind == "folder":
                tags: dict[str, str] = {}
                branches, default = {"main": _folder_sha(self.path)}, "main"
            else:
                branches, tags, default = self._git_refs()
            self._refs = (now, branches, tags, default)
            return branches, tags, default

    def _git_refs(self) -> tuple[dict[str, str], dict[str, str], str]:
        branches: dict[str, str] = {}
        tags: dict[str, str] = {}
        listing = self._git("for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)")
        for line in listing.splitlines():
            name, _, rest = line.partition("\0")
            obj, _, peeled = rest.partition("\0")
            sha = peeled or obj
            if name.startswith("refs/heads/"):
                branches[name.removeprefix("refs/heads/")] = sha
            elif name.startswith("refs/tags/"):
                tags[name.removeprefix("refs/tags/")] = sha
        head = self._git("symbolic-ref", "-q", "HEAD").strip().removeprefix("refs/heads/")
        if not branches:
            sha = self._git("rev-parse", "--verify", "-q", "HEAD^{commit}").strip()
            if SHA.match(sha):
                branches[head or "main"] = sha
        default = (
            head
            if head in branches
            else ("main" if "main" in branches else next(iter(branches), "main"))
        )
        return branches, tags, default

    def resolve(self, revision: str | None) -> str:
        branches, tags, default = self.refs()
        revision = revision or default
        for table in (branches, tags):
            if revision in table:
                return table[revision]
        if revision in ("HEAD", "main") and default in branches:
            return branches[default]  # the Hub's clients ask for "main"; older repos say "master"
        if self.kind == "git" and re.fullmatch(r"[0-9a-f]{7,40}", revision):
            sha = self._git("rev-parse", "--verify", "-q", f"{revision}^{{commit}}").strip()
            if SHA.match(sha):
                return sha
        if self.kind == "folder" and revision == branches["main"]:
            return revision
        raise NotFound("RevisionNotFound", f"Invalid rev id: {revision}")


def _folder_sha(path: Path) -> str:
    digest = hashlib.sha1()
    for folder, dirs, names in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in (".git", ".cache"))
        for name in sorted(names):
            full = Path(folder) / name
            try:
                st = full.stat()
            except OSError:
                continue
            digest.update(f"{full.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class Store:
    """Finds packages under ROOT and keeps recently served snapshots open."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._repos: dict[str, Repo] = {}
        self._snapshots: OrderedDict[tuple[str, str], tuple[Snapshot, Source]] = OrderedDict()
        self._lock = threading.Lock()
        self._digests: dict[tuple[str, int, str], Digest] = {}

    def repo(self, owner: str, name: str) -> Repo:
        if not (NAME.match(owner) and NAME.match(name)) or ".." in owner + name:
            raise NotFound("RepoNotFound", "Repository not found")
        repo_id = f"{owner}/{name}"
        with self._lock:
            if repo_id in self._repos:
                return self._repos[repo_id]
        path = self.root / owner / name
        if not path.is_dir() and (self.root / owner / f"{name}.git").is_dir():
            path = self.root / owner / f"{name}.git"
        if path.is_symlink() or not path.is_dir() or not path.resolve().is_relative_to(self.root):
            raise NotFound("RepoNotFound", "Repository not found")
        repo = Repo(repo_id, path)
        with self._lock:
            self._repos[repo_id] = repo
        return repo

    def repo_ids(self) -> list[str]:
        found = []
        for owner in sorted(self.root.iterdir()) if self.root.is_dir() else []:
            if not owner.is_dir() or owner.is_symlink() or not NAME.match(owner.name):
                continue
            for package in sorted(owner.iterdir()):
                name = package.name.removesuffix(".git")
                if package.is_dir() and not package.is_symlink() and NAME.match(name):
                    found.append(f"{owner.name}/{name}")
        return found

    def snapshot(self, repo: Repo, sha: str) -> Snapshot:
        key = (repo.repo_id, sha)
        with self._lock:
            cached = self._snapshots.get(key)
            if cached is not None:
                self._snapshots.move_to_end(key)
                return cached[0]
        snapshot, source = self._load(repo, sha)
        with self._lock:
            self._snapshots[key] = (snapshot, source)
            while len(self._snapshots) > _SNAPSHOTS:
                _, (_, old) = self._snapshots.popitem(last=False)
                old.close()
        return snapshot

    def _load(self, repo: Repo, sha: str) -> tuple[Snapshot, Source]:
        source: Source = (
            GitSource(repo.path, revision=sha) if repo.kind == "git" else LocalSource(repo.path)
        )
        lock = threading.Lock()
        files = tuple(
            replace(f, reader=_locked(lock, f.reader)) if f.reader is not None else f
            for f in source.files()
        )
        history = source.history() if repo.kind == "git" else None
        if history:
            created = history[-1].committer.when
            modified = history[0].committer.when
        else:
            stamps = [
                os.stat(f.origin.removeprefix("local:")).st_mtime
                for f in files
                if f.origin.startswith("local:")
            ]
            modified = datetime.fromtimestamp(max(stamps, default=0.0), UTC)
            created = datetime.fromtimestamp(min(stamps, default=0.0), UTC)
            history = (
                Commit(
                    sha,
                    (),
                    Person("ptmscope", "", modified),
                    Person("ptmscope", "", modified),
                    "Folder snapshot",
                    None,
                ),
            )
        snapshot = Snapshot(
            repo.repo_id, sha, repo.kind, files, history, created, modified, lock=lock
        )
        snapshot.card_data, snapshot.config = _card_and_config(snapshot)
        return snapshot, source

    def digest(self, snapshot: Snapshot, entry: FileEntry) -> Digest:
        """Git and LFS identities of a file (hashing folder files once per content version)."""
        lfs = snapshot.is_lfs(entry)
        if snapshot.kind == "git" and entry.git_oid is not None:
            if lfs and entry.sha256 is not None:
                return Digest(
                    entry.git_oid, entry.sha256, len(_pointer_text(entry.sha256, entry.size))
                )
            return Digest(entry.git_oid, None, None)
        key = (entry.origin, entry.size, _mtime(entry))
        cached = self._digests.get(key)
        if cached is not None:
            return cached
        if entry.reader is None:  # an un-smudged LFS pointer in a folder
            sha256 = entry.sha256 or ""
            pointer = _pointer_text(sha256, entry.size)
            digest = Digest(_git_blob_id(pointer), sha256, len(pointer))
        else:
            sha1 = hashlib.sha1(f"blob {entry.size}\0".encode())
            sha2 = hashlib.sha256()
            for chunk in iter_bytes(entry, 0, entry.size):
                sha1.update(chunk)
                sha2.update(chunk)
            if lfs:
                pointer = _pointer_text(sha2.hexdigest(), entry.size)
                digest = Digest(_git_blob_id(pointer), sha2.hexdigest(), len(pointer))
            else:
                digest = Digest(sha1.hexdigest(), None, None)
        self._digests[key] = digest
        return digest

    def close(self) -> None:
        with self._lock:
            for _, source in self._snapshots.values():
                source.close()
            self._snapshots.clear()
            for repo in self._repos.values():
                repo.close()


def _mtime(entry: FileEntry) -> str:
    if entry.origin.startswith("local:"):
        try:
            return str(os.stat(entry.origin.removeprefix("local:")).st_mtime_ns)
        except OSError:
            return "?"
    return entry.origin


def _pointer_text(sha256: str, size: int) -> bytes:
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
    )


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


def iter_bytes(entry: FileEntry, start: int, end: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """Bytes ``[start, end)`` of a file, a chunk at a time."""
    position = start
    while position < end:
        data = entry.read(position, min(chunk, end - position))
        if not data:
            break
        position += len(data)
        yield data


def _card_and_config(snapshot: Snapshot) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    import json

    card = snapshot.index.get("README.md")
    card_data = None
    if card is not None and card.reader is not None and card.size < (4 << 20):
        text = card.read().decode("utf-8", "replace")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            if end > 0:
                try:
                    parsed = load_yaml(text[3:end])
                except InputError:
                    parsed = None
                if parsed is not None and parsed.error is None and isinstance(parsed.data, dict):
                    card_data = parsed.data
    config = None
    entry = snapshot.index.get("config.json")
    if entry is not None and entry.reader is not None and entry.size < (4 << 20):
        try:
            data = json.loads(entry.read())
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None
        if isinstance(data, dict):
            config = {k: data[k] for k in ("model_type", "architectures") if k in data}
    return card_data, config
