"""A package as a git repository, read from its objects (no checkout, any revision).

We drive the real ``git`` (``ls-tree``, ``rev-list``, ``cat-file --batch``) rather
than reimplementing packfiles: it handles every object format and pack a Hub
repository can have. Reading never touches the network: lazy fetches of
partial clones and every transport but ``file`` are disabled.

Bare clones copied without their empty ``refs/`` folder (as archives and some
mirrors do) are not recognised by git; they are opened through a temporary
overlay that borrows their objects via ``objects/info/alternates``.

Git is run with a scrubbed environment (no inherited ``GIT_*`` variable, no
global or system config, no alternate object directories from the environment, no
``refs/replace`` substitution), so only the repository on disk decides what is read;
:func:`confinement_problem` says when that repository itself reaches outside a
boundary (a ``.git`` symlink
or ``gitdir:`` file, symlinks inside the git directory, alternates that leave).
Blobs larger than :data:`SPOOL_THRESHOLD` are copied once to a private temporary
file and read from there, so ranged reads of a large blob do not re-read it.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from ptmscope.errors import SourceError
from ptmscope.names import readable_name
from ptmscope.package import Commit, FileEntry, Person, Reader
from ptmscope.sources.disk import disk_reader
from ptmscope.sources.interface import Source, SourceInfo
from ptmscope.sources.lfs import MAX_POINTER_BYTES, parse_pointer
from ptmscope.sources.signatures import classify
from ptmscope.vocab import SourceKind

MAX_COMMITS = 100_000
GIT_TIMEOUT_S = 120
SPOOL_THRESHOLD = 1 << 20
"""Blobs above this size are spooled once to a temporary file instead of kept in memory."""
MAX_SPOOL_BYTES = 8 << 30
"""Spooled blobs kept per repository reader; the least recently used are dropped beyond it."""
MAX_GIT_DIR_ENTRIES = 500_000
"""A git directory with more entries than this is not walked for symlinks: it is refused."""
MAX_ALTERNATE_DEPTH = 5
_COPY_CHUNK = 1 << 20

_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_ALLOW_PROTOCOL": "file",
    # refs/replace/* would make ``cat-file`` answer an object id with another object's
    # bytes: what is judged must be the bytes the id names, which a clone carries
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}


def git_env(ceiling: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment every git command runs in: no inherited ``GIT_*`` variable.

    ``GIT_DIR``, ``GIT_OBJECT_DIRECTORY``, ``GIT_ALTERNATE_OBJECT_DIRECTORIES``,
    ``GIT_COMMON_DIR`` and friends would let the caller's environment point git at
    objects outside the repository we chose; they are dropped, and discovery is
    stopped at ``ceiling`` (``GIT_CEILING_DIRECTORIES``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_ENV)
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling)
    env.update(extra)
    return env


GIT_DIR_ENTRIES = frozenset(
    {
        "HEAD", "objects", "refs", "config", "packed-refs", "description", "hooks", "info",
        "branches", "logs", "FETCH_HEAD", "ORIG_HEAD", "shallow", "index", "lfs", "modules",
        "worktrees", "COMMIT_EDITMSG", "MERGE_HEAD", "gc.log", "commondir", "gitdir",
    }
)  # fmt: skip
"""What a bare repository holds; a folder with anything else beside is a package folder."""


def is_bare_repository(path: Path) -> bool:
    """``HEAD`` and ``objects/`` and nothing that is not git's own.

    A model folder with ``HEAD``, ``objects/`` and ``refs/`` copied in beside its
    weights must not be read as the (decoy) commit those objects hold.
    """
    if not ((path / "HEAD").is_file() and (path / "objects").is_dir()):
        return False
    try:
        return all(entry.name in GIT_DIR_ENTRIES for entry in os.scandir(path))
    except OSError:
        return False


def is_git_repository(path: Path) -> bool:
    """A work tree (``.git`` inside) or a bare repository (see :func:`is_bare_repository`)."""
    return os.path.lexists(path / ".git") or is_bare_repository(path)


def _inside(path: Path, boundary: Path) -> bool:
    try:
        return path.resolve().is_relative_to(boundary)
    except (OSError, RuntimeError):
        return False


def _symlink_in(folder: Path) -> str | None:
    """The first symlink (or special file) under ``folder``, not following any."""
    seen = 0
    for current, dirs, names in os.walk(folder, followlinks=False):
        for name in dirs + names:
            seen += 1
            if seen > MAX_GIT_DIR_ENTRIES:
                return f"{folder} has more than {MAX_GIT_DIR_ENTRIES} entries"
            full = os.path.join(current, name)
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                return f"{os.path.relpath(full, folder)} is a symlink"
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                return f"{os.path.relpath(full, folder)} is not a regular file"
    return None


def _objects_problem(objects: Path, boundary: Path, depth: int) -> str | None:
    if depth > MAX_ALTERNATE_DEPTH:
        return "alternates nested too deeply"
    if os.path.islink(objects) or not _inside(objects, boundary):
        return f"object store {objects} leaves the served folder"
    if (objects / "info" / "http-alternates").exists():
        return "objects/info/http-alternates is not served"
    alternates = objects / "info" / "alternates"
    if not alternates.exists():
        return None
    for line in alternates.read_text("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        target = (objects / line) if not os.path.isabs(line) else Path(line)
        if not _inside(target, boundary):
            return f"objects/info/alternates points outside the served folder ({line})"
        problem = _symlink_in(target.resolve()) or _objects_problem(
            target.resolve(), boundary, depth + 1
        )
        if problem:
            return f"alternate {line}: {problem}"
    return None


def confinement_problem(path: Path, boundary: Path) -> str | None:
    """Why git must not read the repository at ``path`` under ``boundary``; ``None`` when safe.

    Git follows a ``.git`` symlink, a ``gitdir:`` file, ``commondir``, symlinked
    ``objects``/``refs`` and ``objects/info/alternates`` wherever they lead, so a
    repository under a served folder could serve one outside it. We refuse all of
    them except alternates that stay inside ``boundary`` (and are themselves clean).
    """
    boundary = boundary.resolve()
    try:
        if path.is_symlink() or not _inside(path, boundary):
            return "the package folder leaves the served folder"
        dot = path / ".git"
        git_dir = path
        if os.path.lexists(dot):
            mode = os.lstat(dot).st_mode
            if stat.S_ISLNK(mode):
                return ".git is a symlink"
            if not stat.S_ISDIR(mode):
                return ".git is a file (gitdir: link); only real repositories are served"
            git_dir = dot
        if (git_dir / "commondir").exists():
            return "linked work trees (commondir) are not served"
        problem = _symlink_in(git_dir)
        if problem:
            return problem
        return _objects_problem(git_dir / "objects", boundary, 0)
    except OSError as exc:
        return f"cannot inspect the repository: {exc.strerror or exc}"


def _parse_person(value: str) -> Person:
    # "Name <email> 1674571765 +0000"
    lt, gt = value.find("<"), value.rfind(">")
    name = value[:lt].strip() if lt >= 0 else value
    email = value[lt + 1 : gt] if 0 <= lt < gt else ""
    when = datetime.fromtimestamp(0, UTC)
    parts = value[gt + 1 :].split()
    if parts:
        try:
            stamp = int(parts[0])
            tz = UTC
            if len(parts) > 1 and len(parts[1]) == 5:
                sign = -1 if parts[1][0] == "-" else 1
                minutes = int(parts[1][1:3]) * 60 + int(parts[1][3:5])
                tz = timezone(timedelta(minutes=sign * minutes))
            when = datetime.fromtimestamp(stamp, tz)
        except (ValueError, OverflowError, OSError):
            pass
    return Person(name, email, when)


_SIGNATURE_HEADERS = (b"gpgsig ", b"gpgsig-sha256 ")


def signed_payload(raw: bytes) -> bytes:
    """The commit object without its signature headers: the bytes git signs and verifies."""
    head, separator, message = raw.partition(b"\n\n")
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\n"):
        if line.startswith(b" ") and dropping:
            continue
        dropping = line.startswith(_SIGNATURE_HEADERS)
        if not dropping:
            kept.append(line)
    return b"\n".join(kept) + separator + message


def parse_commit(sha: str, raw: bytes) -> Commit:
    """Parse a raw commit object (headers, continuation lines, message)."""
    text = raw.decode("utf-8", errors="replace")
    head, _, message = text.partition("\n\n")
    headers: dict[str, list[str]] = {}
    last: str | None = None
    for line in head.split("\n"):
        if line.startswith(" ") and last is not None:
            headers[last][-1] += "\n" + line[1:]
            continue
        key, _, value = line.partition(" ")
        headers.setdefault(key, []).append(value)
        last = key
    author = _parse_person(headers.get("author", [""])[0])
    committer = _parse_person(headers.get("committer", [""])[0])
    signatures = headers.get("gpgsig") or headers.get("gpgsig-sha256") or []
    armored = signatures[0] if signatures else None
    return Commit(
        sha=sha,
        parents=tuple(headers.get("parent", [])),
        author=author,
        committer=committer,
        subject=message.split("\n", 1)[0].strip(),
        signature=classify(armored, committer.email, signed_payload(raw)) if armored else None,
    )


class _CatFile:
    """One long-lived ``git cat-file --batch``: objects by id, in order, thread-safe."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self._proc = subprocess.Popen(
            [*command, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._lock = threading.Lock()

    def _ask(self, oid: str) -> tuple[IO[bytes], int] | None:
        """Request ``oid`` (lock held): the stream positioned at its content and its size."""
        stdin: IO[bytes] | None = self._proc.stdin
        stdout: IO[bytes] | None = self._proc.stdout
        if stdin is None or stdout is None or self._proc.poll() is not None:
            raise SourceError("git cat-file stopped unexpectedly (corrupt repository?)")
        try:
            stdin.write(oid.encode() + b"\n")
            stdin.flush()
            header = stdout.readline().split()
        except OSError as exc:
            raise SourceError(f"git cat-file failed: {exc}") from None
        if len(header) != 3:
            return None  # "<oid> missing": absent (e.g. filtered out of a partial clone)
        return stdout, int(header[2])

    def read(self, oid: str) -> bytes | None:
        with self._lock:
            asked = self._ask(oid)
            if asked is None:
                return None
            stdout, size = asked
            data = stdout.read(size)
            stdout.read(1)
            if len(data) != size:
                raise SourceError(f"git object {oid} is truncated (corrupt repository)")
            return data

    def copy(self, oid: str, handle: IO[bytes]) -> int | None:
        """Write object ``oid`` to ``handle`` a chunk at a time; its size, ``None`` when absent."""
        with self._lock:
            asked = self._ask(oid)
            if asked is None:
                return None
            stdout, size = asked
            left = size
            try:
                while left:
                    data = stdout.read(min(left, _COPY_CHUNK))
                    if not data:
                        raise SourceError(f"git object {oid} is truncated (corrupt repository)")
                    handle.write(data)
                    left -= len(data)
            except BaseException:
                # The rest of the object is still in the pipe: the next answer would be read
                # from the middle of it. Stop this process; the next request starts afresh.
                # Reaped here, so that ``alive`` is false from now on: a killed process not
                # yet waited for still polls as running and would be asked again.
                self._proc.kill()
                self._proc.wait()
                raise
            stdout.read(1)
            return size

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        if self._proc.poll() is None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


class GitSource(Source):
    """One commit of a git repository (bare or not), read from its objects through one ``git cat-file`` process; LFS pointers stay pointers unless the work tree has the file."""

    def __init__(
        self, path: Path, revision: str | None = None, *, worktree_files: bool = True
    ) -> None:
        """``worktree_files``: read smudged LFS files from the work tree when the audited
        commit is checked out. A server says False: it serves what the objects hold, and
        a work-tree file can change between judging and serving."""
        self._ref = str(path)
        self._path = path.resolve()
        self._overlay: str | None = None
        self._env = git_env(self._path.parent)
        self._worktree: Path | None = None
        self._spool_dir: str | None = None
        self._spooled: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._spool_lock = threading.Lock()
        self._spool_locks: dict[str, threading.Lock] = {}
        git_dir = self._find_git_dir()
        if not worktree_files:
            self._worktree = None
        self._command = ["git", "-c", "safe.directory=*", "--git-dir", git_dir]
        self.git_dir = git_dir
        """The directory git reads (a temporary overlay for bare clones without refs/)."""
        self._revision = revision or "HEAD"
        self.commit = self._resolve(self._revision)
        self._cat: _CatFile | None = None
        self._skipped: list[tuple[str, str]] = []
        self._files: tuple[FileEntry, ...] | None = None

    @property
    def command(self) -> list[str]:
        """``git`` with the options that point it at this repository (no subcommand)."""
        return list(self._command)

    @property
    def env(self) -> dict[str, str]:
        return dict(self._env)

    # -- plumbing -----------------------------------------------------------
    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        try:
            done = subprocess.run(
                [*self._command, *args],
                capture_output=True,
                env=self._env,
                timeout=GIT_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError:
            raise SourceError(
                "git is not installed; it is needed to read git repositories"
            ) from None
        except subprocess.TimeoutExpired:
            raise SourceError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s") from None
        if check and done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = message[-1] if message else f"exit {done.returncode}"
            raise SourceError(f"{self._ref}: git {args[0]} failed: {detail}")
        return done

    def _find_git_dir(self) -> str:
        dot_git = self._path / ".git"  # a folder, or a "gitdir:" file (linked work trees)
        candidate = str(dot_git) if dot_git.exists() else str(self._path)
        if dot_git.exists():
            self._worktree = self._path
        try:
            probe = subprocess.run(
                ["git", "-c", "safe.directory=*", "--git-dir", candidate, "rev-parse", "--git-dir"],
                capture_output=True,
                env=self._env,
                check=False,
                timeout=GIT_TIMEOUT_S,
            )
        except FileNotFoundError:
            raise SourceError(
                "git is not installed; it is needed to read git repositories"
            ) from None
        except subprocess.TimeoutExpired:
            raise SourceError(f"{self._ref}: git did not answer in {GIT_TIMEOUT_S} s") from None
        if probe.returncode == 0:
            return candidate
        if (Path(candidate) / "HEAD").is_file() and (Path(candidate) / "objects").is_dir():
            return self._make_overlay(Path(candidate))
        raise SourceError(f"{self._ref}: not a readable git repository")

    def _make_overlay(self, bare: Path) -> str:
        overlay = tempfile.mkdtemp(prefix="ptmscope-git-")
        self._overlay = overlay
        base = Path(overlay)
        (base / "refs" / "heads").mkdir(parents=True)
        (base / "refs" / "tags").mkdir()
        (base / "objects" / "info").mkdir(parents=True)
        (base / "objects" / "info" / "alternates").write_text(str(bare / "objects") + "\n")
        for name in ("HEAD", "packed-refs"):
            if (bare / name).is_file():
                shutil.copyfile(bare / name, base / name)
        if (bare / "refs").is_dir():
            shutil.copytree(bare / "refs", base / "refs", dirs_exist_ok=True)
        (base / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n")
        return overlay

    def _resolve(self, revision: str) -> str:
        done = self._git(
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{revision}^{{commit}}",
            check=False,
        )
        if done.returncode != 0:
            if revision == "HEAD":
                raise SourceError(f"{self._ref}: the repository has no commits (or HEAD is broken)")
            raise SourceError(f"{self._ref}: unknown revision {revision!r}{self._refs_hint()}")
        return done.stdout.decode().strip()

    def _refs_hint(self) -> str:
        """The branches and tags one could pass instead, and the branch HEAD names (so a
        ``main`` asked of a repository whose only branch is ``master`` says so)."""
        from ptmscope.sources.refs import refs_hint

        listed = self._git(
            "for-each-ref", "--count=1000", "--format=%(refname)", "refs/heads", "refs/tags",
            check=False,
        )  # fmt: skip
        names = listed.stdout.decode("utf-8", "replace").split() if listed.returncode == 0 else []
        branches = [n.removeprefix("refs/heads/") for n in names if n.startswith("refs/heads/")]
        tags = [n.removeprefix("refs/tags/") for n in names if n.startswith("refs/tags/")]
        head = self._git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        default = head.stdout.decode("utf-8", "replace").strip() if head.returncode == 0 else ""
        said = f"; HEAD is {default!r}" if default else ""
        return refs_hint(branches, tags) + said

    def _catfile(self) -> _CatFile:
        if self._cat is not None and not self._cat.alive:
            self._cat.close()  # stopped after a failed copy: start a fresh one
            self._cat = None
        if self._cat is None:
            self._cat = _CatFile(self._command, self._env)
        return self._cat

    def spooled(self, oid: str) -> str:
        """A private temporary file holding blob ``oid`` (copied once, streamed from git)."""
        with self._spool_lock:
            found = self._spooled.get(oid)
            if found is not None and os.path.exists(found[0]):
                self._spooled.move_to_end(oid)
                return found[0]
            lock = self._spool_locks.setdefault(oid, threading.Lock())
            if self._spool_dir is None:
                self._spool_dir = tempfile.mkdtemp(prefix="ptmscope-blobs-")
            folder = self._spool_dir
        with lock:
            with self._spool_lock:
                found = self._spooled.get(oid)
                if found is not None and os.path.exists(found[0]):
                    return found[0]
            path = os.path.join(folder, oid)
            with open(path + ".part", "wb") as handle:
                size = self._catfile().copy(oid, handle)
            if size is None:
                os.unlink(path + ".part")
                raise FileNotFoundError(f"git object {oid} is missing")
            os.replace(path + ".part", path)
            with self._spool_lock:
                self._spooled[oid] = (path, size)
                total = sum(s for _, s in self._spooled.values())
                while total > MAX_SPOOL_BYTES and len(self._spooled) > 1:
                    _, (old, old_size) = self._spooled.popitem(last=False)
                    total -= old_size
                    with contextlib.suppress(OSError):
                        os.unlink(old)  # open readers keep their handle
            return path

    def read_object(self, oid: str) -> bytes | None:
        """A whole (small) object's bytes; ``None`` when absent."""
        return self._catfile().read(oid)

    def reader(self, oid: str, size: int = 0) -> Reader:
        """Lazy reads of blob ``oid`` (spooled once to a temporary file when large)."""
        return self._blob_reader(oid, size)

    def _blob_reader(self, oid: str, size: int = 0) -> Reader:
        if size > SPOOL_THRESHOLD:

            def read_spooled(offset: int, length: int | None) -> bytes:
                with open(self.spooled(oid), "rb") as handle:
                    handle.seek(offset)
                    return handle.read() if length is None else handle.read(length)

            return read_spooled
        cache: dict[str, bytes] = {}

        def read(offset: int, length: int | None) -> bytes:
            data = cache.get(oid)
            if data is None:
                data = self._catfile().read(oid)
                if data is None:
                    raise FileNotFoundError(f"git object {oid} is missing")
                if len(data) <= MAX_POINTER_BYTES * 64:
                    cache[oid] = data
            return data[offset:] if length is None else data[offset : offset + length]

        return read

    # -- Source -------------------------------------------------------------
    def info(self) -> SourceInfo:
        name = self._path.name.removesuffix(".git")
        owner_name = name.replace("__", "/", 1) if "__" in name else None
        return SourceInfo(self._ref, SourceKind.GIT, owner_name, self._revision, self.commit)

    def files(self) -> Sequence[FileEntry]:
        """The commit's files from ``ls-tree``, each read lazily from its blob (cached after the first call)."""
        if self._files is not None:
            return self._files
        listing = self._git("ls-tree", "-r", "-l", "-z", "--full-tree", self.commit).stdout
        head_commit = self._resolve("HEAD") if self._worktree is not None else None
        entries: list[FileEntry] = []
        links: list[tuple[str, str]] = []
        partial = self._partial_clone()
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, oid, size_text = meta.split()
            path = readable_name(raw_path.decode("utf-8", "surrogateescape"))
            if kind == b"commit":
                self._skipped.append((path, "submodule: its content is not in this repository"))
                continue
            if kind != b"blob":
                continue
            blob = oid.decode()
            if not size_text.isdigit():  # ls-tree -l prints no size for a missing object
                if not partial:
                    self._skipped.append((path, f"git object {blob} is missing (corrupt clone)"))
                entries.append(FileEntry(path, 0, f"git:{blob}", None, blob))
                continue
            if mode == b"120000":
                links.append((path, blob))
                continue
            entries.append(self._entry(path, blob, int(size_text), head_commit))
        entries.extend(self._link_entries(links, {e.path: e for e in entries}))
        self._files = tuple(sorted(entries, key=lambda f: f.path))
        return self._files

    def _partial_clone(self) -> bool:
        """A blob-less (partial) clone lacks blobs by design; any other clone is corrupt without them."""
        done = self._git("config", "--get", "extensions.partialclone", check=False)
        return done.returncode == 0 and bool(done.stdout.strip())

    def _link_entries(
        self, links: list[tuple[str, str]], listed: dict[str, FileEntry]
    ) -> list[FileEntry]:
        """Committed symlinks: a checkout makes them links, and loaders follow them.

        A link to a file of the same revision is that file under another name (scanned
        as such); a link that leaves the repository or dangles is reported, never read.
        """
        found = []
        for path, oid in links:
            raw = self._catfile().read(oid)
            target_text = raw.decode("utf-8", "surrogateescape") if raw is not None else ""
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), target_text))
            entry = listed.get(target)
            if raw is None:
                self._skipped.append((path, f"git object {oid} is missing (corrupt clone)"))
            elif target_text.startswith("/") or target == ".." or target.startswith("../"):
                self._skipped.append((path, f"symlink to {target_text!r} leaves the package"))
            elif entry is None:
                self._skipped.append((path, f"symlink to {target_text!r} names no file here"))
            else:
                found.append(replace(entry, path=path))
        return found

    def skipped(self) -> tuple[tuple[str, str], ...]:
        self.files()
        return tuple(self._skipped)

    def _entry(self, path: str, oid: str, size: int, head_commit: str | None) -> FileEntry:
        reader = self._blob_reader(oid, size)
        if size <= MAX_POINTER_BYTES:
            data = self._catfile().read(oid)
            pointer = parse_pointer(data) if data is not None else None
            if pointer is not None:
                on_disk = self._worktree_file(path, pointer.size, head_commit)
                if on_disk is not None:
                    return FileEntry(
                        path,
                        pointer.size,
                        f"local:{on_disk}",
                        pointer.oid_sha256,
                        oid,
                        reader=disk_reader(on_disk),
                    )
                return FileEntry(path, pointer.size, f"git:{oid}", pointer.oid_sha256, oid, pointer)
            if data is None:
                return FileEntry(path, size, f"git:{oid}", None, oid)
        return FileEntry(path, size, f"git:{oid}", None, oid, reader=reader)

    def _worktree_file(self, path: str, size: int, head_commit: str | None) -> Path | None:
        """The smudged LFS file in the work tree, when auditing the checked-out commit."""
        if self._worktree is None or head_commit != self.commit:
            return None
        candidate = (self._worktree / path).resolve()
        if not candidate.is_relative_to(self._worktree) or not candidate.is_file():
            return None
        return candidate if candidate.stat().st_size == size else None

    def history(self) -> tuple[Commit, ...] | None:
        listing = self._git("rev-list", f"--max-count={MAX_COMMITS}", self.commit).stdout
        commits = []
        cat = self._catfile()
        for sha in listing.decode().split():
            raw = cat.read(sha)
            if raw is None:
                raise SourceError(f"{self._ref}: commit {sha} is missing (corrupt repository)")
            commits.append(parse_commit(sha, raw))
        return tuple(commits)

    def close(self) -> None:
        if self._cat is not None:
            self._cat.close()
            self._cat = None
        if self._overlay is not None:
            shutil.rmtree(self._overlay, ignore_errors=True)
            self._overlay = None
        with self._spool_lock:
            if self._spool_dir is not None:
                shutil.rmtree(self._spool_dir, ignore_errors=True)
                self._spool_dir = None
                self._spooled.clear()
