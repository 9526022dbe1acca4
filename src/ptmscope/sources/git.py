"""A package as a git repository, read from its objects (no checkout, any revision).

We drive the real ``git`` (``ls-tree``, ``rev-list``, ``cat-file --batch``) rather
than reimplementing packfiles: it handles every object format and pack a Hub
repository can have. Reading never touches the network: lazy fetches of
partial clones and every transport but ``file`` are disabled.

Bare clones copied without their empty ``refs/`` folder (as archives and some
mirrors do) are not recognised by git; they are opened through a temporary
overlay that borrows their objects via ``objects/info/alternates``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from ptmscope.errors import SourceError
from ptmscope.package import Commit, FileEntry, Person, Reader
from ptmscope.sources.disk import disk_reader
from ptmscope.sources.interface import Source, SourceInfo
from ptmscope.sources.lfs import MAX_POINTER_BYTES, parse_pointer
from ptmscope.sources.signatures import classify

MAX_COMMITS = 100_000
GIT_TIMEOUT_S = 120

_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_ALLOW_PROTOCOL": "file",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}


def is_git_repository(path: Path) -> bool:
    """A work tree (``.git`` inside) or a bare repository (``HEAD`` and ``objects/``)."""
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


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
        signature=classify(armored, committer.email) if armored else None,
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

    def read(self, oid: str) -> bytes | None:
        with self._lock:
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
            size = int(header[2])
            data = stdout.read(size)
            stdout.read(1)
            if len(data) != size:
                raise SourceError(f"git object {oid} is truncated (corrupt repository)")
            return data

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
    def __init__(self, path: Path, revision: str | None = None) -> None:
        self._ref = str(path)
        self._path = path.resolve()
        self._overlay: str | None = None
        self._env = {**os.environ, **_ENV}
        self._worktree: Path | None = None
        git_dir = self._find_git_dir()
        self._command = ["git", "-c", "safe.directory=*", "--git-dir", git_dir]
        self.git_dir = git_dir
        """The directory git reads (a temporary overlay for bare clones without refs/)."""
        self._revision = revision or "HEAD"
        self.commit = self._resolve(self._revision)
        self._cat: _CatFile | None = None
        self._files: tuple[FileEntry, ...] | None = None

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
        dot_git = self._path / ".git"
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
            raise SourceError(f"{self._ref}: unknown revision {revision!r}")
        return done.stdout.decode().strip()

    def _catfile(self) -> _CatFile:
        if self._cat is None:
            self._cat = _CatFile(self._command, self._env)
        return self._cat

    def _blob_reader(self, oid: str) -> Reader:
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
        return SourceInfo(self._ref, "git", owner_name, self._revision, self.commit)

    def files(self) -> Sequence[FileEntry]:
        if self._files is not None:
            return self._files
        listing = self._git("ls-tree", "-r", "-l", "-z", "--full-tree", self.commit).stdout
        head_commit = self._resolve("HEAD") if self._worktree is not None else None
        entries: list[FileEntry] = []
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, oid, size_text = meta.split()
            if kind != b"blob" or mode == b"120000":
                continue  # submodules and symlinks are not package content
            path = raw_path.decode("utf-8", "surrogateescape")
            size = int(size_text)
            blob = oid.decode()
            entries.append(self._entry(path, blob, size, head_commit))
        self._files = tuple(sorted(entries, key=lambda f: f.path))
        return self._files

    def _entry(self, path: str, oid: str, size: int, head_commit: str | None) -> FileEntry:
        reader = self._blob_reader(oid)
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
