"""A package on a Hub (``owner/name[@revision]``), read without downloading its weights.

Metadata, file list, commits and refs come from ``huggingface_hub.HfApi``, which
honours ``HF_ENDPOINT``, ``HF_TOKEN`` and the Hub cache. The small files probes
read (card, configs, ``.eval_results/``, JSON/YAML/text) are downloaded through
``hf_hub_download`` into the cache; every other file is a :class:`RemoteFile`
read by HTTP Range on its resolve URL, fetching only the byte ranges a reader
touches (a safetensors header, a zip's central directory and pickle members,
GGUF and ``.npy`` headers). The revision is pinned to the resolved commit
before anything is read, so every byte comes from the same commit.
"""

from __future__ import annotations

import bisect
import re
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from ptmscope.errors import InputError, SourceError
from ptmscope.package import Commit, FileEntry, Person, RegistryMetadata, Transfer
from ptmscope.retry import DEFAULT as DEFAULT_RETRY
from ptmscope.retry import Again, RetryPolicy
from ptmscope.sources.disk import disk_reader
from ptmscope.sources.interface import Source, SourceInfo, UpstreamRecord
from ptmscope.sources.metadata import from_record
from ptmscope.sources.refs import refs_hint
from ptmscope.vocab import SourceKind

REPO_REF = re.compile(
    r"^(?P<id>[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95})(?:@(?P<rev>[^\s@]+))?$"
)
SMALL_FILE = 2 << 20
"""Text and config files up to this size are downloaded whole (and cached)."""
_SMALL_SUFFIXES = (
    ".md",
    ".json",
    ".yaml",
    ".yml",
    ".txt",
    ".cfg",
    ".ini",
    ".toml",
    ".py",
    ".jinja",
)
T = TypeVar("T")


def parse_ref(ref: str) -> tuple[str, str | None] | None:
    """``owner/name[@revision]`` → (repo id, revision), or ``None`` when ``ref`` is not one."""
    match = REPO_REF.match(ref)
    if match is None or "--" in match["id"] or ".." in match["id"]:
        return None  # the Hub refuses such ids; huggingface_hub raises on them
    return match["id"], match["rev"]


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _retry_after(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After")
    return None if value is None else str(value)


def call_hub(
    what: str,
    endpoint: str,
    fn: Callable[[], T],
    policy: RetryPolicy = DEFAULT_RETRY,
    *,
    token_given: bool = False,
    known_refs: Callable[[], str] | None = None,
) -> T:
    """Run a Hub call, asking again on 429/503 as ``policy`` says (honouring ``Retry-After``),
    and turn every failure into one clear line.

    ``token_given``: a token was sent, so "pass --token" is no advice; ``known_refs``: what
    the repository's branches and tags are, said when a revision is unknown."""
    from huggingface_hub import errors as hub_errors

    token_hint = (
        " (the token sent does not grant access to it)"
        if token_given
        else " (a private model needs --token or HF_TOKEN)"
    )

    def once() -> T | Again:
        try:
            return fn()
        except _Missing:
            raise
        except hub_errors.GatedRepoError as exc:
            if "ptmscope gateway" in (getattr(exc, "server_message", None) or ""):
                raise _refused(what, exc, token_given) from None  # a policy, not a licence click
            advice = "" if token_given else " and pass --token or set HF_TOKEN"
            raise SourceError(f"{what}: gated model; accept its terms on the Hub{advice}") from None
        except hub_errors.RevisionNotFoundError:
            refs = known_refs() if known_refs is not None else ""
            raise SourceError(f"{what}: no such revision{refs}") from None
        except hub_errors.RepositoryNotFoundError:
            raise SourceError(f"{what}: no such model on {endpoint}{token_hint}") from None
        except hub_errors.EntryNotFoundError as exc:
            # hf_hub_download answers a refused download with "not in the local cache":
            # the server's refusal is its cause, and it is what the user must see.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, hub_errors.HfHubHTTPError) and _status(cause) in (401, 403):
                raise _refused(what, cause, token_given) from None
            raise SourceError(f"{what}: file not found") from None
        except hub_errors.OfflineModeIsEnabled:
            raise SourceError(f"{what}: HF_HUB_OFFLINE is set; the Hub cannot be asked") from None
        except hub_errors.HfHubHTTPError as exc:
            status = _status(exc)
            if policy.retries(status):
                reason = "rate limited" if status == 429 else "unavailable"
                return Again(f"{reason} ({status})", _retry_after(exc))
            if status in (401, 403):
                raise _refused(what, exc, token_given) from None
            raise SourceError(
                f"{what}: the Hub answered {status}: {str(exc).splitlines()[0]}"
            ) from None
        except Exception as exc:
            name = type(exc).__name__
            if "Timeout" in name:
                raise SourceError(f"{what}: {endpoint} did not answer in time ({name})") from None
            if "Connect" in name or "Network" in name or isinstance(exc, OSError):
                raise SourceError(f"{what}: cannot reach {endpoint}: {exc}") from None
            raise

    outcome = policy.run(once)
    if isinstance(outcome, Again):
        raise SourceError(f"{what}: {outcome.reason} after {policy.attempts} tries")
    return outcome


def _stored_token() -> str | None:
    """The token huggingface_hub would send without ``--token`` (``HF_TOKEN`` or a login)."""
    from huggingface_hub import get_token

    return get_token()


def _refused(what: str, exc: BaseException, token_given: bool) -> SourceError:
    """A 401/403 as one line, quoting the server's reason (a gateway says which rule); the
    token advice only when no token was sent."""
    server = (getattr(exc, "server_message", None) or "").strip()
    if "ptmscope gateway" in server:
        hint = ""
    elif token_given:
        hint = " (the token sent was not accepted for it)"
    else:
        hint = " (pass --token or set HF_TOKEN if the model is private or gated)"
    return SourceError(
        f"{what}: access refused ({_status(exc)}): {server or 'no reason given'}{hint}"
    )


class _Missing(Exception):
    pass


def _entry_guard(get: Callable[[], bytes], hub_errors: Any) -> bytes:
    try:
        return get()
    except hub_errors.EntryNotFoundError:
        raise _Missing from None


class RemoteFile:
    """A file on the Hub read by byte ranges, with read-ahead that grows on sequential reads.

    It looks enough like ``bytes`` (``len``, indexing, slicing, ``find``) for the
    scanner to walk it directly, so only the ranges the scanner touches are fetched.
    """

    _MIN_AHEAD = 16 << 10
    _MAX_AHEAD = 8 << 20
    _MAX_CACHED = 64 << 20

    def __init__(
        self,
        url: str,
        size: int,
        headers: dict[str, str],
        transfer: Transfer,
        what: str,
        endpoint: str,
        retry_policy: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.url = url
        self._retry = retry_policy
        self.size = size
        self._headers = headers
        self._transfer = transfer
        self._what = what
        self._endpoint = endpoint
        self._starts: list[int] = []
        self._order: deque[int] = deque()
        self._chunks: dict[int, bytes] = {}
        self._cached = 0
        self._ahead = self._MIN_AHEAD
        self._last_end = -1

    # -- fetching --------------------------------------------------------------
    def _fetch(self, start: int, end: int) -> bytes:
        from huggingface_hub import get_session, hf_raise_for_status

        def get() -> bytes:
            headers = {**self._headers, "Range": f"bytes={start}-{end - 1}"}
            response = get_session().get(
                self.url, headers=headers, follow_redirects=True, timeout=60
            )
            hf_raise_for_status(response)
            self._transfer.requests += 1
            body = bytes(response.content)
            self._transfer.bytes_downloaded += len(body)
            if response.status_code == 200:  # the server ignored Range: take our slice
                return body[start:end]
            return body

        from huggingface_hub import errors as hub_errors

        try:
            data = call_hub(
                self._what, self._endpoint, lambda: _entry_guard(get, hub_errors), self._retry,
                token_given=any(k.lower() == "authorization" for k in self._headers),
            )  # fmt: skip
        except _Missing:
            raise FileNotFoundError(
                f"{self._what}: the server has no content for this file"
            ) from None
        if len(data) != end - start:
            raise SourceError(
                f"{self._what}: the server sent {len(data)} bytes for a {end - start}-byte range"
            )
        return data

    def _store(self, start: int, data: bytes) -> None:
        bisect.insort(self._starts, start)
        self._order.append(start)
        self._chunks[start] = data
        self._cached += len(data)
        while self._cached > self._MAX_CACHED and len(self._order) > 1:
            oldest = self._order.popleft()
            self._starts.remove(oldest)
            self._cached -= len(self._chunks.pop(oldest))

    def _chunk_at(self, pos: int) -> tuple[int, bytes] | None:
        index = bisect.bisect_right(self._starts, pos) - 1
        if index >= 0:
            start = self._starts[index]
            data = self._chunks[start]
            if pos < start + len(data):
                return start, data
        return None

    def read(self, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes ``[offset, offset + length)``, fetched by Range requests with read-ahead and cached."""
        end = self.size if length is None else min(self.size, offset + max(0, length))
        out = bytearray()
        pos = max(0, offset)
        while pos < end:
            chunk = self._chunk_at(pos)
            if chunk is None:
                self._ahead = (
                    min(self._ahead * 2, self._MAX_AHEAD)
                    if pos == self._last_end
                    else self._MIN_AHEAD
                )
                index = bisect.bisect_right(self._starts, pos)
                limit = self._starts[index] if index < len(self._starts) else self.size
                fetch_end = min(limit, max(end, pos + self._ahead), self.size)
                data = self._fetch(pos, fetch_end)
                self._store(pos, data)
                self._last_end = fetch_end
                chunk = (pos, data)
            start, data = chunk
            piece = data[pos - start : end - start]
            out += piece
            pos += len(piece)
        return bytes(out)

    # -- bytes-like --------------------------------------------------------------
    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            start, stop, _ = key.indices(self.size)
            return self.read(start, max(0, stop - start))
        if key < 0:
            key += self.size
        if not 0 <= key < self.size:
            raise IndexError("remote file index out of range")
        return self.read(key, 1)[0]

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = self.size if end is None else min(end, self.size)
        window = 1 << 20
        pos = max(0, start)
        while pos < end:
            stop = min(end, pos + window + len(sub))
            found = self.read(pos, stop - pos).find(sub)
            if found >= 0:
                return pos + found
            pos += window
        return -1


class HubSource(Source):
    """A package on a Hub (or a ``registry serve`` endpoint), pinned to one commit.

    Every request goes through :func:`call_hub`: asked again on 429/503 as
    ``retry_policy`` says, and any failure is one clear line (:class:`SourceError`).
    """

    def __init__(
        self,
        repo_id: str,
        revision: str | None = None,
        *,
        token: str | None = None,
        download: bool = False,
        endpoint: str | None = None,
        retry_policy: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        from huggingface_hub import HfApi, constants

        self._retry = retry_policy
        self.repo_id = repo_id
        self.endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        self._token = token
        self._download = download
        self.api = HfApi(endpoint=self.endpoint, token=token)
        self._token_given = bool(token) or bool(_stored_token())
        self.transfer = Transfer()
        self._ref = repo_id + (f"@{revision}" if revision else "")
        info = call_hub(
            self._ref,
            self.endpoint,
            lambda: self.api.model_info(repo_id, revision=revision, files_metadata=True),
            retry_policy,
            token_given=self._token_given,
            known_refs=self._known_refs,
        )
        if not info.sha:
            raise SourceError(f"{self._ref}: the Hub did not say which commit this is")
        self.commit: str = info.sha
        self._revision = revision
        self._info = info
        self.transfer.package_bytes = sum(s.size or 0 for s in info.siblings or [])
        self._files: tuple[FileEntry, ...] | None = None
        self._signatures = False

    def _known_refs(self) -> str:
        """``; branches: main, dev; tags: v1`` (best effort: an empty string when the
        listing fails too)."""
        try:
            refs = self.api.list_repo_refs(self.repo_id)
        except Exception:  # a hint only: the revision error is what is raised
            return ""
        return refs_hint([b.name for b in refs.branches], [t.name for t in refs.tags])

    # -- metadata ------------------------------------------------------------------
    def metadata(self) -> RegistryMetadata:
        info = self._info
        card = dict(info.card_data.to_dict()) if info.card_data is not None else None  # type: ignore[no-untyped-call]
        record: dict[str, Any] = {
            "id": info.id, "author": info.author, "sha": info.sha, "downloads": info.downloads,
            "likes": info.likes, "tags": list(info.tags or []), "pipeline_tag": info.pipeline_tag,
            "library_name": info.library_name, "cardData": card,
            "siblings": [{"rfilename": s.rfilename} for s in info.siblings or []],
            "createdAt": _iso(info.created_at), "lastModified": _iso(info.last_modified),
            "gated": info.gated, "private": info.private,
        }  # fmt: skip
        return from_record(record, f"{self.endpoint}/api/models/{self.repo_id}")

    def upstream(self, model_id: str) -> UpstreamRecord | None:
        """The base model's card data (one ``model_info`` call, no retries: the lineage is
        context, and an ancestor the registry cannot show stays unknown)."""
        try:
            info = self.api.model_info(model_id, timeout=10)
        except Exception:  # any failure (missing, gated, network): unknown, never fatal
            return None
        self.transfer.requests += 1
        card = dict(info.card_data.to_dict()) if info.card_data is not None else None  # type: ignore[no-untyped-call]
        return UpstreamRecord.from_card(card, tuple(info.tags or ()), info.sha)

    def info(self) -> SourceInfo:
        return SourceInfo(
            self._ref, SourceKind.HUB, self.repo_id, self._revision or "main", self.commit
        )

    # -- files -----------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]  # public, lazily exported

        return dict(build_hf_headers(token=self._token))

    def _downloaded(self, path: str) -> Callable[[int, int | None], bytes]:
        """Reader over a file fetched whole into the Hub cache on first use."""
        state: dict[str, Callable[[int, int | None], bytes]] = {}

        def read(offset: int, length: int | None) -> bytes:
            if "read" not in state:
                state["read"] = disk_reader(self.fetch(path))
            return state["read"](offset, length)

        return read

    def fetch(self, path: str) -> Path:
        """Download one file at the pinned commit into the Hub cache (counted if not cached)."""
        from huggingface_hub import hf_hub_download, try_to_load_from_cache

        cached = try_to_load_from_cache(self.repo_id, path, revision=self.commit)
        local = call_hub(
            f"{self._ref}:{path}",
            self.endpoint,
            lambda: hf_hub_download(
                self.repo_id, path, revision=self.commit, token=self._token, endpoint=self.endpoint
            ),
            self._retry,
            token_given=self._token_given,
        )
        if not isinstance(cached, str):
            self.transfer.bytes_downloaded += Path(local).stat().st_size
            self.transfer.requests += 1
        return Path(local)

    def files(self) -> Sequence[FileEntry]:
        """The commit's files: small text files downloaded whole (cached), the rest read by
        byte range (or downloaded whole with ``download=True``)."""
        if self._files is not None:
            return self._files
        from huggingface_hub import hf_hub_url

        headers = self._headers()
        entries = []
        for sibling in self._info.siblings or []:
            path = sibling.rfilename
            size = sibling.size or 0
            sha256 = sibling.lfs.sha256 if sibling.lfs is not None else None
            origin = f"hub:{self.repo_id}@{self.commit}/{path}"
            small = size <= SMALL_FILE and (
                path.lower().endswith(_SMALL_SUFFIXES) or path.startswith(".eval_results/")
            )
            if self._download or small:
                entries.append(
                    FileEntry(
                        path, size, origin, sha256, sibling.blob_id, reader=self._downloaded(path)
                    )
                )
                continue
            url = hf_hub_url(self.repo_id, path, revision=self.commit, endpoint=self.endpoint)
            remote = RemoteFile(
                url,
                size,
                headers,
                self.transfer,
                f"{self._ref}:{path}",
                self.endpoint,
                self._retry,
            )
            entries.append(
                FileEntry(
                    path,
                    size,
                    origin,
                    sha256,
                    sibling.blob_id,
                    None,
                    reader=remote.read,
                    buffer=remote,
                )
            )
        self._files = tuple(sorted(entries, key=lambda f: f.path))
        return self._files

    def history(self) -> tuple[Commit, ...] | None:
        """Commits with their signatures from a blob-less git clone when the endpoint serves git;
        else the API's commit list, whose signatures cannot be seen."""
        from_git = self._git_history()
        if from_git is not None:
            self._signatures = True
            return from_git
        commits = call_hub(
            f"{self._ref} commits",
            self.endpoint,
            lambda: self.api.list_repo_commits(self.repo_id, revision=self.commit),
            self._retry,
            token_given=self._token_given,
        )
        out = []
        for commit in commits:
            when = commit.created_at
            person = Person(commit.authors[0] if commit.authors else "?", "", when)
            out.append(Commit(commit.commit_id, (), person, person, commit.title or "", None))
        return tuple(out)

    def _git_history(self) -> tuple[Commit, ...] | None:
        import os
        import shutil
        import subprocess
        import tempfile

        from ptmscope.sources.git import GitSource

        folder = Path(tempfile.mkdtemp(prefix="ptmscope-hub-git-"))
        command = ["git"]
        if self._token:
            command += ["-c", f"http.extraHeader=Authorization: Bearer {self._token}"]
        command += [
            "clone",
            "--bare",
            "--quiet",
            "--filter=blob:none",
            f"{self.endpoint}/{self.repo_id}",
            str(folder / "repo.git"),
        ]
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1"}
        try:
            done = subprocess.run(command, capture_output=True, env=env, timeout=120, check=False)
            if done.returncode != 0:
                return None
            packs = (folder / "repo.git" / "objects" / "pack").glob("*.pack")
            self.transfer.bytes_downloaded += sum(p.stat().st_size for p in packs)
            self.transfer.requests += 2
            with GitSource(folder / "repo.git", revision=self.commit) as source:
                return source.history()
        except (OSError, subprocess.TimeoutExpired, InputError):
            return None
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def signatures_visible(self) -> bool:
        return self._signatures

    def transfer_report(self) -> Transfer:
        return self.transfer


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
