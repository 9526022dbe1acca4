"""The packages a registry serves: ``ROOT/<owner>/<name>/`` as git repositories or folders.

A git repository (bare or not) serves its branches, tags and commits as they
are; a plain folder serves one revision, ``main``, whose commit id is a hash of
its content (each file's path and sha256, each symlink's text), so any change of
bytes, even one that keeps size and mtime, is a new revision that the gateway
judges afresh. File hashes are cached by (device, inode, size, mtime, ctime):
ctime cannot be set back, so a rewritten file is always hashed again. Files are
looked up by name in the revision's listing, never by joining a request path to
the file system; folder files are opened beneath the package without following
any symlink and must still have the identity recorded when the revision was
listed, so a file swapped (or replaced by a symlink) after it was judged is not
served. Git repositories that reach outside ROOT (``.git`` symlinks, ``gitdir:``
files, symlinks in the git directory, alternates that leave) are refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ptmscope.card.parse import MAX_CARD_BYTES, card_metadata
from ptmscope.collector import MAX_CONFIG_BYTES
from ptmscope.errors import InputError, SourceError
from ptmscope.package import Commit, FileEntry, Person, RegistryMetadata
from ptmscope.registry.singleflight import SingleFlight
from ptmscope.scan.walk import SKIPPED_DIRS
from ptmscope.sources.git import GitSource, confinement_problem, is_git_repository
from ptmscope.sources.interface import Source, SourceInfo, UpstreamRecord
from ptmscope.sources.local import LocalSource
from ptmscope.vocab import SourceKind
from ptmscope.weights import WEIGHT_SUFFIXES

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
SHA = re.compile(r"^[0-9a-f]{40}$")
LFS_THRESHOLD = 10 << 20
"""Folder files this large (or with a weight suffix) are served as LFS objects, as the Hub does."""
_REVISIONS = 64
_REF_TTL = 2.0
MAX_FOLDER_FILES = 50_000
_UNREADABLE = "\0unreadable: "
"""Marks a path the listing could not read: it changes the revision id, is never served,
and the package source reports it, so the gateway refuses the revision."""


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:
        return True  # cannot even be looked at: not descended into (LocalSource reports it)


_HASH_CHUNK = 1 << 20
Identity = tuple[int, int, int, int, int]
"""(device, inode, size, mtime_ns, ctime_ns) of a file: any write or rename changes it."""


class NotFound(Exception):
    """A request for something the store does not serve, with the Hub error code the client maps to its exception (``RepoNotFound``, ``RevisionNotFound``…)."""

    status = 404

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        """The Hub's ``X-Error-Code``: ``RepoNotFound``, ``RevisionNotFound`` or ``EntryNotFound``."""


class Unsafe(NotFound):
    """A package that would make the server read outside ROOT: refused on every route."""

    status = 403

    def __init__(self, repo_id: str, reason: str) -> None:
        super().__init__("RepoNotFound", f"repository {repo_id} refused: {reason}")
        self.repo_id = repo_id
        self.reason = reason


class Changed(Exception):
    """A folder changed while its revision was being read: resolve the revision again."""


class FileChanged(OSError):
    """A folder file is no longer the one recorded (and hashed, and judged) for its revision."""


def file_identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def open_beneath(base: str, rel: str) -> int:
    """Open ``base/rel`` for reading without following a symlink at any component."""
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise FileChanged(f"{rel}: not a plain relative path")
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    finally:
        os.close(fd)


def open_pinned(base: str, rel: str, identity: Identity) -> int:
    """``open_beneath`` that also insists on the recorded identity (same inode, unchanged)."""
    fd = open_beneath(base, rel)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or file_identity(st) != identity:
        os.close(fd)
        raise FileChanged(f"{rel} changed after this revision was recorded")
    return fd


def _pinned_reader(base: str, rel: str, identity: Identity) -> Callable[[int, int | None], bytes]:
    def read(offset: int, length: int | None) -> bytes:
        with os.fdopen(open_pinned(base, rel, identity), "rb") as handle:
            handle.seek(offset)
            return handle.read() if length is None else handle.read(length)

    return read


@dataclass(frozen=True)
class Hashed:
    """A folder file's content identity, as recorded for its revision."""

    identity: Identity
    sha256: str
    git_oid: str
    """Git blob id of the content (what ``git hash-object`` prints)."""


class FolderHashes:
    """Per-file content hashes of one folder package, cached by file identity."""

    def __init__(self, path: Path) -> None:
        self.base = str(path)
        self._cache: dict[Identity, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def _hash(self, rel: str, st: os.stat_result) -> Hashed:
        identity = file_identity(st)
        with self._lock:
            known = self._cache.get(identity)
        if known is not None:
            return Hashed(identity, *known)
        fd = open_pinned(self.base, rel, identity)
        sha2 = hashlib.sha256()
        sha1 = hashlib.sha1(f"blob {st.st_size}\0".encode())
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                sha2.update(chunk)
                sha1.update(chunk)
            if file_identity(os.fstat(handle.fileno())) != identity:
                raise Changed(f"{rel} changed while it was hashed")
        with self._lock:
            self._cache[identity] = (sha2.hexdigest(), sha1.hexdigest())
        return Hashed(identity, sha2.hexdigest(), sha1.hexdigest())

    def listing(self) -> tuple[str, dict[str, Hashed | str]]:
        """The revision id and, per path, its content (files) or link text (symlinks)."""
        found: dict[str, Hashed | str] = {}
        root = Path(self.base)
        failures: list[OSError] = []
        for folder, dirs, names in os.walk(root, followlinks=False, onerror=failures.append):
            base = Path(folder)
            rel_base = base.relative_to(root).as_posix()
            prefix = "" if rel_base == "." else rel_base + "/"
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not _is_link(base / d))
            for name in sorted(names):
                rel = prefix + name
                try:
                    st = os.lstat(base / name)
                    if stat.S_ISLNK(st.st_mode):
                        found[rel] = os.readlink(base / name)
                    elif stat.S_ISREG(st.st_mode):
                        found[rel] = self._hash(rel, st)
                except FileChanged as exc:
                    raise Changed(str(exc)) from None
                except FileNotFoundError:
                    raise Changed(f"{rel} vanished while listing") from None
                except OSError as exc:  # in the revision id; the package source reports it
                    found[rel] = f"{_UNREADABLE}{exc.strerror or exc}"
                if len(found) > MAX_FOLDER_FILES:
                    raise InputError(f"{self.base}: more than {MAX_FOLDER_FILES} files")
        for failure in failures:
            found[f"{failure.filename}/"] = f"{_UNREADABLE}{failure.strerror or failure}"
        digest = hashlib.sha1()
        for rel, item in sorted(found.items()):
            text = item if isinstance(item, str) else item.sha256
            kind = "link" if isinstance(item, str) else "file"
            digest.update(f"{rel}\0{kind}\0{text}\n".encode("utf-8", "surrogateescape"))
        with self._lock:
            live = {i.identity for i in found.values() if isinstance(i, Hashed)}
            for stale in [k for k in self._cache if k not in live]:
                del self._cache[stale]
        return digest.hexdigest(), found


@dataclass(frozen=True)
class Digest:
    """How the Hub names a file's bytes: its git blob id and, for LFS files, the sha256."""

    git_oid: str
    """Git blob id of what the Hub would store in git (the pointer, for LFS files)."""
    sha256: str | None
    """Content sha256 for LFS files."""
    pointer_size: int | None


@dataclass
class Revision:
    """One revision of one package, read once and shared by every request for it."""

    repo_id: str
    sha: str
    kind: str
    files: tuple[FileEntry, ...]
    history: tuple[Commit, ...] | None
    created: datetime
    modified: datetime
    index: dict[str, FileEntry] = field(default_factory=dict)
    content: dict[str, Hashed] = field(default_factory=dict)
    """Folder revisions: each served file's recorded content identity."""
    base: str = ""
    """Folder revisions: the package folder that ``content`` is relative to (via targets)."""
    targets: dict[str, str] = field(default_factory=dict)
    """Folder revisions: path -> the in-package file it reads (itself, or a symlink's target)."""
    card_data: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    skipped: tuple[tuple[str, str], ...] = ()
    """Paths the source could not read (missing objects, links that leave, loops), with why."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.index = {f.path: f for f in self.files}

    def unchanged(self, only: str | None = None) -> bool:
        """Whether every (or ``only`` this) folder file still has its recorded identity."""
        paths = self.targets if only is None else [p for p in (only,) if p in self.targets]
        for path in paths:
            target = self.targets[path]
            try:
                os.close(open_pinned(self.base, target, self.content[path].identity))
            except OSError:
                return False
        return True

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


class RevisionSource(Source):
    """A served revision seen as a :class:`Source`, so the gateway audits it like any package."""

    def __init__(
        self,
        revision: Revision,
        upstream: Callable[[str], UpstreamRecord | None] | None = None,
        seen: tuple[datetime, datetime] | None = None,
    ) -> None:
        self._revision = revision
        self._upstream = upstream
        self._seen = seen

    def info(self) -> SourceInfo:
        s = self._revision
        kind = SourceKind.GIT if s.kind == "git" else SourceKind.LOCAL
        return SourceInfo(s.repo_id, kind, s.repo_id, s.sha, s.sha if s.kind == "git" else None)

    def files(self) -> Sequence[FileEntry]:
        return self._revision.files

    def skipped(self) -> tuple[tuple[str, str], ...]:
        return self._revision.skipped

    def history(self) -> tuple[Commit, ...] | None:
        return self._revision.history

    def metadata(self) -> RegistryMetadata:
        """The record this registry keeps: who, which commit, not gated, and when the
        registry first saw the package and the revision (``seen``; commit dates and file
        times are the publisher's to write, so they are not the registry's dates); no
        popularity: the mirror's own download counter is not the model's."""
        s = self._revision
        created, modified = self._seen if self._seen is not None else (None, None)
        return RegistryMetadata(
            origin=f"registry:{s.repo_id}",
            id=s.repo_id,
            author=s.repo_id.split("/", 1)[0],
            sha=s.sha,
            card_data=MappingProxyType(s.card_data) if s.card_data is not None else None,
            siblings=tuple(f.path for f in s.files),
            created_at=created,
            last_modified=modified,
            gated=False,
            private=False,
        )

    def upstream(self, model_id: str) -> UpstreamRecord | None:
        return self._upstream(model_id) if self._upstream is not None else None


class Repo:
    """One package under the store's root: a git repository or a plain folder."""

    def __init__(self, repo_id: str, path: Path) -> None:
        self.repo_id = repo_id
        self.path = path
        self.kind = "git" if is_git_repository(path) else "folder"
        self._refs: tuple[float, dict[str, str], dict[str, str], str] | None = None
        self._lock = threading.Lock()
        self._source: GitSource | None = None
        self._source_lock = threading.Lock()
        self.hashes = FolderHashes(path)
        self._checked: tuple[float, str | None] | None = None

    def confinement(self, boundary: Path) -> str | None:
        """Why this package must not be served (it reaches outside ``boundary``), re-checked often."""
        with self._lock:
            now = time.monotonic()
            if self._checked is not None and now - self._checked[0] < _REF_TTL:
                return self._checked[1]
        if self.kind == "git":
            problem = confinement_problem(self.path, boundary)
        elif self.path.is_symlink() or not self.path.resolve().is_relative_to(boundary):
            problem = "the package folder leaves the served folder"
        else:
            problem = None
        with self._lock:
            self._checked = (time.monotonic(), problem)
        return problem

    def invalidate(self) -> None:
        """Forget the cached refs (a folder changed under us)."""
        with self._lock:
            self._refs = None

    # ------------------------------------------------------------------ refs
    def _git(self, *args: str) -> str:
        """Run git on the repository (through GitSource, which also opens refs-less bare clones)."""
        with self._source_lock:
            if self._source is None:
                try:
                    self._source = GitSource(self.path, worktree_files=False)
                except SourceError:
                    return ""
        done = self._source._git(*args, check=False)
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""

    def objects(self) -> GitSource:
        """The repository's reader (for object reads outside any one revision)."""
        self._git("rev-parse", "--git-dir")
        if self._source is None:
            raise SourceError(f"{self.repo_id}: not a readable git repository")
        return self._source

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
                branches, default = {"main": self.hashes.listing()[0]}, "main"
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

    def fallback(self, revision: str | None) -> str | None:
        """The branch served for ``revision`` when it is ``main`` (what the Hub's clients ask
        for) and the repository has no such branch: its default branch (``master``)."""
        if revision not in ("main", "HEAD"):
            return None
        branches, _, default = self.refs()
        if revision in branches or default == revision or default not in branches:
            return None
        return default

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


class Store:
    """Finds packages under ROOT and keeps recently served revisions open."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._repos: dict[str, Repo] = {}
        self._revisions: OrderedDict[tuple[str, str], tuple[Revision, Source]] = OrderedDict()
        self._flight = SingleFlight()
        self._lock = threading.Lock()

    def repo(self, owner: str, name: str) -> Repo:
        name = name.removesuffix(".git")  # a bare ``name.git`` is served under one name only
        if not (NAME.match(owner) and NAME.match(name)) or ".." in owner + name:
            raise NotFound("RepoNotFound", "Repository not found")
        repo_id = f"{owner}/{name}"
        with self._lock:
            known = self._repos.get(repo_id)
        if known is not None:
            return self._confined(known)
        path = self.root / owner / name
        if not path.is_dir() and (self.root / owner / f"{name}.git").is_dir():
            path = self.root / owner / f"{name}.git"
        if path.is_symlink() or not path.is_dir() or not path.resolve().is_relative_to(self.root):
            raise NotFound("RepoNotFound", "Repository not found")
        repo = Repo(repo_id, path)
        with self._lock:
            repo = self._repos.setdefault(repo_id, repo)
        return self._confined(repo)

    def _confined(self, repo: Repo) -> Repo:
        problem = repo.confinement(self.root)
        if problem is not None:
            raise Unsafe(repo.repo_id, problem)
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

    def upstream(self, model_id: str) -> UpstreamRecord | None:
        """Another served package's licence and base model (its default branch), for the
        lineage of a package judged here; ``None`` when it is not served or unreadable."""
        owner, _, name = model_id.partition("/")
        if not name:
            return None
        for candidate in self._named(owner, name):
            try:
                repo = self.repo(*candidate.split("/", 1))
                sha = repo.resolve(None)
                card = self.revision(repo, sha).card_data
            except Exception:  # not served, unsafe or unreadable: the ancestor stays unknown
                continue
            return UpstreamRecord.from_card(card, revision=sha)
        return None

    def _named(self, owner: str, name: str) -> list[str]:
        """The served ids a model id names: itself, else the ones equal to it in another
        case (the Hub's ids ignore case, a file system's names do not)."""
        wanted = f"{owner}/{name.removesuffix('.git')}"
        if (self.root / owner / name).is_dir() or (self.root / owner / f"{name}.git").is_dir():
            return [wanted]
        return [i for i in self.repo_ids() if i.lower() == wanted.lower()]

    def resolved(self, repo: Repo, ref: str | None) -> Revision:
        """The revision ``ref`` names (the default branch when ``None``); a folder that
        changes between listing and reading is listed again, once, then "try again"."""
        try:
            return self.revision(repo, repo.resolve(ref))
        except Changed:
            repo.invalidate()
            try:
                return self.revision(repo, repo.resolve(ref))
            except Changed:
                raise NotFound(
                    "RevisionNotFound", f"{repo.repo_id} is changing; try again"
                ) from None

    def revision(self, repo: Repo, sha: str) -> Revision:
        """The revision ``sha`` of ``repo``, read once however many requests ask for it at once."""
        key = (repo.repo_id, sha)

        def lookup() -> tuple[bool, Revision | None]:
            with self._lock:
                cached = self._revisions.get(key)
                if cached is None:
                    return False, None
                self._revisions.move_to_end(key)
                return True, cached[0]

        def load() -> Revision | None:
            revision, source = self._load(repo, sha)
            with self._lock:
                self._revisions[key] = (revision, source)
                while len(self._revisions) > _REVISIONS:
                    _, (_, old) = self._revisions.popitem(last=False)
                    old.close()
            return revision

        revision = self._flight.run(key, lookup, load)
        assert revision is not None
        return revision

    def _load(self, repo: Repo, sha: str) -> tuple[Revision, Source]:
        content: dict[str, Hashed] = {}
        targets: dict[str, str] = {}
        lock = threading.Lock()
        if repo.kind == "git":
            source: Source = GitSource(repo.path, revision=sha, worktree_files=False)
            files = tuple(
                replace(f, reader=_locked(lock, f.reader)) if f.reader is not None else f
                for f in source.files()
            )
        else:
            actual, listing = repo.hashes.listing()
            if actual != sha:
                raise Changed(f"{repo.repo_id} changed since revision {sha[:12]} was listed")
            source = LocalSource(repo.path)
            files = self._pin(repo, source.files(), listing, content, targets)
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
                    "Folder snapshot",  # the served commit title, unchanged on the wire
                    None,
                ),
            )
        revision = Revision(
            repo.repo_id,
            sha,
            repo.kind,
            files,
            history,
            created,
            modified,
            content=content,
            base=repo.hashes.base,
            targets=targets,
            skipped=source.skipped(),
            lock=lock,
        )
        revision.card_data, revision.config = _card_and_config(revision)
        return revision, source

    @staticmethod
    def _pin(
        repo: Repo,
        files: Sequence[FileEntry],
        listing: dict[str, Hashed | str],
        content: dict[str, Hashed],
        targets: dict[str, str],
    ) -> tuple[FileEntry, ...]:
        """Folder entries read through pinned handles; a symlink must land on a listed file."""
        base = Path(repo.hashes.base).resolve()
        pinned: list[FileEntry] = []
        for entry in files:
            if not entry.origin.startswith("local:"):
                continue
            try:
                target = Path(entry.origin.removeprefix("local:")).relative_to(base).as_posix()
            except ValueError:
                continue  # outside the package: LocalSource already refuses these
            hashed = listing.get(target)
            if not isinstance(hashed, Hashed):
                continue  # a link into a skipped folder (.git, .cache) or to a non-file
            if hashed.identity[2] != entry.size and entry.reader is not None:
                raise Changed(f"{repo.repo_id}: {entry.path} changed while listing")
            content[entry.path] = hashed
            targets[entry.path] = target
            if entry.reader is not None:
                entry = replace(
                    entry, reader=_pinned_reader(repo.hashes.base, target, hashed.identity)
                )
            pinned.append(entry)
        return tuple(pinned)

    def digest(self, revision: Revision, entry: FileEntry) -> Digest:
        """Git and LFS identities of a file (folder files: from the revision's content hashes)."""
        lfs = revision.is_lfs(entry)
        if revision.kind == "git" and entry.git_oid is not None:
            if lfs and entry.sha256 is not None:
                return Digest(
                    entry.git_oid, entry.sha256, len(_pointer_text(entry.sha256, entry.size))
                )
            return Digest(entry.git_oid, None, None)
        hashed = revision.content.get(entry.path)
        if entry.reader is None or hashed is None:  # an un-smudged LFS pointer in a folder
            sha256 = entry.sha256 or ""
            pointer = _pointer_text(sha256, entry.size)
            return Digest(_git_blob_id(pointer), sha256, len(pointer))
        if lfs:
            pointer = _pointer_text(hashed.sha256, entry.size)
            return Digest(_git_blob_id(pointer), hashed.sha256, len(pointer))
        return Digest(hashed.git_oid, None, None)

    @staticmethod
    def content_keys(revision: Revision, entry: FileEntry) -> frozenset[str]:
        """Names of a file's bytes (``sha256:…``, ``git:…``), so a copy under any name is known."""
        hashed = revision.content.get(entry.path)
        if hashed is not None:
            return frozenset({f"sha256:{hashed.sha256}", f"git:{hashed.git_oid}"})
        keys = set()
        if entry.sha256 is not None:
            keys.add(f"sha256:{entry.sha256}")
        elif entry.git_oid is not None and entry.lfs is None:
            keys.add(f"git:{entry.git_oid}")
        return frozenset(keys)

    def close(self) -> None:
        with self._lock:
            for _, source in self._revisions.values():
                source.close()
            self._revisions.clear()
            for repo in self._repos.values():
                repo.close()


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


def _card_and_config(revision: Revision) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    import json

    card = revision.index.get("README.md")
    card_data = None
    if card is not None and card.reader is not None and card.size <= MAX_CARD_BYTES:
        card_data = _json_safe(card_metadata(card.path, card.read()))
    config = None
    entry = revision.index.get("config.json")
    if entry is not None and entry.reader is not None and entry.size <= MAX_CONFIG_BYTES:
        try:
            data = json.loads(entry.read())
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None
        if isinstance(data, dict):
            config = {k: data[k] for k in ("model_type", "architectures") if k in data}
    return card_data, config


def _json_safe(value: Any) -> Any:
    """Card YAML as JSON can carry it: dates (``released: 2023-01-01``) as ISO text and
    other non-JSON scalars as text, as the Hub's ``cardData`` shows them."""
    import datetime as dt

    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
