"""The Hub-compatible HTTP API over a :class:`Store`, as an ASGI (Starlette) application.

It answers what ``huggingface_hub`` asks: model info, model listing, refs,
commits, tree, paths-info and ``resolve`` downloads (HEAD, Range, ETag,
``X-Repo-Commit``), with the Hub's error codes so the client raises its usual
exceptions. Routing is done on the raw, still percent-encoded path: a revision
such as ``refs/pr/1`` arrives as ``refs%2Fpr%2F1`` and must not be confused with
the file path that follows it.

Every request is dispatched in the event loop: a request body is read there,
under a size limit and a deadline (:mod:`ptmscope.registry.body`), and only then
is the blocking work (judging, git, file reads) handed to a bounded pool of
worker threads, so slow clients cannot starve the others. One gate serves every
route: ``resolve`` asks the gateway about the file (by path and by content
digest), the API carries the security status, and git smart HTTP asks
:mod:`ptmscope.registry.gitgate` about everything a clone would carry. Every
refusal is logged.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ptmscope.errors import SourceError
from ptmscope.package import FileEntry
from ptmscope.registry import githttp
from ptmscope.registry.body import BodyError, ServerLimits, read_body
from ptmscope.registry.gateway import Gateway, PackageVerdict, Refusal
from ptmscope.registry.index import PackageIndex, Summary, summarize
from ptmscope.registry.objects import Objects
from ptmscope.registry.state import MemoryState, StateStore
from ptmscope.registry.store import (
    Digest,
    NotFound,
    Repo,
    Revision,
    Store,
    Unsafe,
    iter_bytes,
)

if TYPE_CHECKING:
    from ptmscope.registry.gitgate import RefState

MAX_PATH = 4096
PAGE = 1000
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


_UNSAFE_HEADER = re.compile(r"[^\x20-\x7e]")


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    # Messages can quote request paths: keep headers to printable ASCII (no injection).
    headers = {"X-Error-Message": _UNSAFE_HEADER.sub("?", message)[:1000]}
    if code:
        headers["X-Error-Code"] = code
    return JSONResponse({"error": message}, status_code=status, headers=headers)


FALLBACK_HEADER = "X-Ptmscope-Revision-Fallback"
"""Says which branch was served when ``main`` was asked of a repository without one."""


def _fallback_header(repo: Repo, ref: str | None) -> dict[str, str]:
    """The Hub's clients always ask for ``main``; a git package whose only branch is
    ``master`` serves ``master`` then, and says so rather than silently."""
    served = repo.fallback(ref if ref is not None else "main")
    if served is None:
        return {}
    return {FALLBACK_HEADER: f"no branch 'main': the default branch '{served}' was served"}


class FolderPackage(Exception):
    """A clone asked of a plain-folder package: it has no history to send."""

    def __init__(self, repo_id: str) -> None:
        super().__init__(
            f"{repo_id} is served from a plain folder, not a git repository, so it has no "
            "history to clone; download its files with huggingface_hub (snapshot_download or "
            "hf_hub_download) instead, or serve a git repository at that path"
        )


FRONT_HEADER = "X-Ptmscope-Front"
"""Set to ``accel`` by the front server on what it proxies (``examples/nginx``)."""


class FrontServer:
    """The hand-off of judged file bodies to a front server: the body is published once
    (:mod:`ptmscope.registry.objects`) and the answer is headers only, with
    ``X-Accel-Redirect`` naming the object under ``prefix`` (an nginx ``internal``
    location over the objects folder), which then serves it and the client's Range."""

    def __init__(self, objects: Objects, prefix: str) -> None:
        self.objects = objects
        self.prefix = "/" + prefix.strip("/") + "/"

    @staticmethod
    def fronted(request: Request) -> bool:
        """Whether the request came through the front server (its configuration sets
        :data:`FRONT_HEADER`): a client that reaches the worker's port directly gets the
        body from ptmscope, never an empty answer naming an object it cannot follow."""
        return request.headers.get(FRONT_HEADER) == "accel"

    def hand_off(
        self, revision: Revision, entry: FileEntry, digest: Digest, headers: dict[str, str]
    ) -> Response | None:
        """Headers-only answer for the front server; ``None`` when the body could not be
        published (the registry then serves it itself)."""
        published = self.objects.publish(revision, entry, digest)
        if published is None:
            return None
        dropped = ("Content-Length", "Content-Range", "Accept-Ranges")  # nginx writes its own
        handed = {k: v for k, v in headers.items() if k not in dropped}
        handed["X-Accel-Redirect"] = self.prefix + published
        return Response(status_code=200, headers=handed)


class RateLimiter:
    """Token bucket per client address: ``rate`` requests per second, bursts of ``rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(client, (self.rate, now))
            tokens = min(self.rate, tokens + (now - stamp) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate


class Registry:
    """The Hub-compatible API over a :class:`Store`, optionally behind a :class:`Gateway`."""

    def __init__(
        self,
        store: Store,
        gateway: Gateway | None = None,
        rate_limit: float | None = None,
        limits: ServerLimits | None = None,
        state: StateStore | None = None,
        accel: FrontServer | None = None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.state: StateStore = (
            state if state is not None else gateway.state if gateway is not None else MemoryState()
        )
        """Download counters (and, through the gateway, verdicts) every worker shares."""
        self.accel = accel
        """When set, file bodies are handed to the front server (``X-Accel-Redirect``)."""
        if gateway is not None:
            gateway.content_keys = store.content_keys
            gateway.upstream = store.upstream
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.limits = limits or ServerLimits()
        self._workers: anyio.CapacityLimiter | None = None
        self._index: PackageIndex | None = None
        self._index_lock = threading.Lock()

    def index(self) -> PackageIndex:
        """The listing index (``ROOT/.ptmscope/index.sqlite``), opened at the first listing."""
        with self._index_lock:
            if self._index is None:
                self._index = PackageIndex(self.store)
            return self._index

    def download_count(self, repo_id: str) -> int:
        """Whole-file downloads of ``repo_id`` served by this registry (every worker)."""
        return self.state.downloads(repo_id)

    # ------------------------------------------------------------ dispatch
    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/{rest:path}", self.dispatch, methods=["GET", "HEAD", "POST"])]
        )

    async def dispatch(self, request: Request) -> Response:
        """Every request: rate limit, path checks and body reading here in the event loop, then the blocking work in a bounded worker pool (see the module docstring)."""
        raw = request.scope.get("raw_path") or request.url.path.encode()
        raw_path = raw.decode("latin-1").split("?", 1)[0]
        if len(raw_path) > MAX_PATH:
            return _error(414, "Request path too long")
        client = f"{request.client.host}:{request.client.port}" if request.client else "?"
        if self.limiter is not None:
            wait = self.limiter.allow(request.client.host if request.client else "?")
            if wait:
                response = _error(429, "Too many requests: rate limit exceeded")
                response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
                return response
        parts = [unquote(p) for p in raw_path.strip("/").split("/")] if raw_path.strip("/") else []
        if any(p in ("", ".", "..") or "\0" in p for p in parts[:2]):
            return _error(404, "Repository not found", "RepoNotFound")
        body = b""
        if request.method == "POST":
            try:
                body = await read_body(
                    request, self.limits, allow_gzip=parts[-1:] == ["git-upload-pack"]
                )
            except BodyError as exc:
                return _error(exc.status, str(exc))
        if self._workers is None:
            self._workers = anyio.CapacityLimiter(self.limits.workers)
        return await anyio.to_thread.run_sync(
            self._guarded, request, parts, client, body, limiter=self._workers
        )

    def _guarded(self, request: Request, parts: list[str], client: str, body: bytes) -> Response:
        try:
            return self._route(request, parts, client, body)
        except Unsafe as exc:
            if self.gateway is not None:
                refusal = Refusal("root.boundary", exc.reason)
                self.gateway.log(refusal, exc.repo_id, "-", "/".join(parts[2:]), client)
            return _error(exc.status, str(exc), exc.code)
        except NotFound as exc:
            return _error(exc.status, str(exc), exc.code)

    def _route(self, request: Request, parts: list[str], client: str, body: bytes) -> Response:
        method = request.method
        if parts[:2] == ["api", "models"]:
            rest = parts[2:]
            if not rest and method == "GET":
                return self.list_models(request)
            if len(rest) >= 2:
                repo = self.store.repo(rest[0], rest[1])
                action, args = (rest[2], rest[3:]) if len(rest) > 2 else ("info", [])
                if action == "info" and method == "GET":
                    return self.model_info(request, repo, None)
                if action == "revision" and len(args) == 1 and method == "GET":
                    return self.model_info(request, repo, args[0])
                if action == "refs" and not args and method == "GET":
                    return self.refs(repo)
                if action == "commits" and len(args) <= 1 and method == "GET":
                    return self.commits(request, repo, args[0] if args else None)
                if action == "tree" and method == "GET":
                    return self.tree(request, repo, args[0] if args else None, "/".join(args[1:]))
                if action == "paths-info" and len(args) == 1 and method == "POST":
                    return self.paths_info(request, repo, args[0], body)
            return _error(404, "Not found")
        if parts[:3] == ["api", "v1", "scorecards"] and method == "GET":
            from ptmscope.registry.scorecards import serve_api

            return serve_api(self, request, parts[3:])
        if parts[:1] == ["ui"] and method in ("GET", "HEAD"):
            from ptmscope.registry.ui import serve_ui

            return serve_ui(self, request, parts[1:])
        if len(parts) == 3 and parts[0] == "badge" and method == "GET":
            from ptmscope.registry.badges import serve_badge

            return serve_badge(self, request, parts[1], parts[2])
        if len(parts) == 4 and parts[2:] == ["info", "refs"] and method == "GET":
            if request.query_params.get("service") != "git-upload-pack":
                return _error(403, "only git-upload-pack (fetch and clone) is served")
            try:
                repo, git_dir = self._git_dir(parts[0], parts[1])
            except FolderPackage as exc:  # git shows this as "remote: <message>"
                return githttp.refused_advertisement(str(exc))
            refusal, refs = self._clone_refusal(repo, client)
            if refusal is not None:
                return githttp.refused_advertisement(_clone_message(repo, refusal))
            if refs is not None:  # behind a gateway: exactly what was judged
                try:
                    view = githttp.judged_view(git_dir, refs)
                except SourceError as exc:
                    return githttp.refused_advertisement(f"{repo.repo_id}: {exc}")
                return githttp.advertise(view, None, judged=True)
            return githttp.advertise(git_dir, request.headers.get("git-protocol"))
        if len(parts) == 3 and parts[2] == "git-upload-pack" and method == "POST":
            try:
                repo, git_dir = self._git_dir(parts[0], parts[1])
            except FolderPackage as exc:
                return githttp.refused_negotiation(str(exc))
            refusal, refs = self._clone_refusal(repo, client)
            if refusal is not None:
                return githttp.refused_negotiation(_clone_message(repo, refusal))
            if refs is not None:
                try:
                    view = githttp.judged_view(git_dir, refs)
                except SourceError as exc:
                    return githttp.refused_negotiation(f"{repo.repo_id}: {exc}")
                return githttp.upload_pack(view, body, None, self.limits.git_timeout_s, True)
            return githttp.upload_pack(
                git_dir, body, request.headers.get("git-protocol"), self.limits.git_timeout_s
            )
        if len(parts) >= 5 and parts[2] == "resolve" and method in ("GET", "HEAD"):
            repo = self.store.repo(parts[0], parts[1])
            return self.resolve(request, repo, parts[3], "/".join(parts[4:]), client)
        return _error(404, "Not found")

    # ------------------------------------------------------------ helpers
    def _git_dir(self, owner: str, name: str) -> tuple[Repo, str]:
        repo = self.store.repo(owner, name.removesuffix(".git"))
        if self.gateway is not None and self.gateway.owner_refusal(repo.repo_id):
            raise NotFound("RepoNotFound", "Repository not found")
        git_dir = repo.git_dir()
        if git_dir is None:
            raise FolderPackage(repo.repo_id)
        return repo, git_dir

    def _clone_refusal(self, repo: Repo, client: str) -> tuple[Refusal | None, RefState | None]:
        """The gateway's word on a clone or fetch of ``repo`` (logged when it refuses), and
        the refs it judged, which are what may be served (``None``: no gateway, or nothing
        judged and the policy's ``on_error: warn`` serves it anyway)."""
        if self.gateway is None:
            return None, None
        from ptmscope.registry.gitgate import clone_refusal

        try:
            refusal, refs = clone_refusal(self.store, self.gateway, repo)
        except Exception as exc:  # fail closed on anything (reading the refs, say)
            unjudged = self.gateway.unjudged("repository", exc, repo.repo_id, "-", "<git>", client)
            return unjudged.refused, None  # served live only under on_error: warn
        if refusal is not None:
            self.gateway.log(refusal, repo.repo_id, "-", "<git clone>", client)
        return refusal, refs

    def _revision(self, repo: Repo, ref: str | None) -> Revision:
        refusal = self.gateway.owner_refusal(repo.repo_id) if self.gateway else None
        if refusal is not None:
            raise _Refused(refusal)
        revision = self.store.resolved(repo, ref)
        if self._index is not None:  # a change the listing's stat signature could not see
            self._index.observe(repo, revision)
        return revision

    def _sibling(self, revision: Revision, entry: FileEntry, blobs: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"rfilename": entry.path}
        if blobs:
            digest = self.store.digest(revision, entry)
            item["size"] = entry.size
            item["blobId"] = digest.git_oid
            if digest.sha256 is not None:
                item["lfs"] = {
                    "size": entry.size,
                    "sha256": digest.sha256,
                    "pointerSize": digest.pointer_size,
                }
        return item

    def _info(self, revision: Revision, blobs: bool) -> dict[str, Any]:
        created, modified = revision.created, revision.modified
        verdict = None
        if self.gateway is not None:  # the dates the gateway judges by
            created, modified = self.gateway.first_seen.dates(revision.repo_id, revision.sha)
            verdict = self.gateway.verdict(revision)
        siblings = [self._sibling(revision, f, blobs) for f in revision.files]
        info = self._item(summarize(revision), created, modified, verdict, True, siblings)
        if verdict is not None and self.gateway is not None:
            info["securityRepoStatus"] = self.gateway.security_status(verdict)
        return info

    def _item(
        self,
        summary: Summary,
        created: datetime,
        modified: datetime,
        verdict: PackageVerdict | None,
        card: bool,
        siblings: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """What model info and listings say of a revision (one place for both)."""
        withheld = verdict is not None and self.gateway is not None and self.gateway.denied(verdict)
        info: dict[str, Any] = {
            "_id": summary.sha[:24],
            "id": summary.repo_id,
            "modelId": summary.repo_id,
            "author": summary.repo_id.split("/", 1)[0],
            "sha": summary.sha,
            "lastModified": _iso(modified),
            "createdAt": _iso(created),
            "private": False,
            "disabled": False,
            "gated": False,
            "downloads": self.download_count(summary.repo_id),
            "likes": 0,
            "tags": list(summary.tags),
            "pipeline_tag": summary.pipeline_tag,
            "library_name": summary.library_name,
            "siblings": siblings,
            "spaces": [],
            "usedStorage": summary.used_storage,
        }
        # a denied revision's card and config are parts of files the gateway refuses
        if card and summary.card_data is not None and not withheld:
            info["cardData"] = summary.card_data
        if summary.config is not None and not withheld:
            info["config"] = summary.config
        return info

    def _dates(self, summary: Summary) -> tuple[datetime, datetime]:
        """A listed revision's dates: the gateway's first sightings when it has them."""
        if self.gateway is not None:
            seen = self.gateway.first_seen.peek(summary.repo_id, summary.sha)
            if seen is not None:
                return seen
        return summary.created, summary.modified

    def _listed(self, summary: Summary, card: bool, full: bool) -> dict[str, Any]:
        """A listing item from an index row: a listing judges nothing and records nothing."""
        created, modified = self._dates(summary)
        verdict = None
        if self.gateway is not None:
            verdict = self.gateway.known_verdict_for(
                summary.repo_id, summary.sha, summary.card_data
            )
        siblings = [{"rfilename": path} for path, _ in summary.siblings] if full else []
        info = self._item(summary, created, modified, verdict, card, siblings)
        if not full:
            del info["siblings"]
        return info

    def _sort_value(self, summary: Summary, key: str) -> int | str:
        """What a listing sorts ``summary`` by: the value its item shows under ``key``."""
        if key == "downloads":
            return self.download_count(summary.repo_id)
        if key in ("lastModified", "createdAt"):
            created, modified = self._dates(summary)
            return _iso(modified if key == "lastModified" else created)
        return summary.repo_id if key == "id" else 0

    def _page(
        self,
        request: Request,
        items: Sequence[Any],
        size: int = PAGE,
        render: Callable[[Any], Any] | None = None,
    ) -> Response:
        """One page of ``items`` and the ``Link`` to the next; ``render`` turns the page's
        items (only those) into what is sent."""
        try:
            start = max(0, int(request.query_params.get("cursor", "0")))
        except ValueError:
            return _error(400, "bad cursor")
        page = list(items[start : start + size])
        if render is not None:
            page = [render(item) for item in page]
        headers = {}
        if start + size < len(items):
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
            query.append(("cursor", str(start + size)))
            headers["Link"] = f'<{request.url.replace(query=urlencode(query))}>; rel="next"'
        return JSONResponse(page, headers=headers)

    # ------------------------------------------------------------ endpoints
    def model_info(self, request: Request, repo: Repo, ref: str | None) -> Response:
        try:
            revision = self._revision(repo, ref)
        except _Refused as refused:
            return refused.response()
        blobs = request.query_params.get("blobs", "").lower() in ("1", "true")
        return JSONResponse(self._info(revision, blobs), headers=_fallback_header(repo, ref))

    def list_models(self, request: Request) -> Response:
        """``GET /api/models``: the Hub's listing filters (search, author, filter, pipeline_tag), sorting and ``Link`` pagination; a package that cannot be read is left out."""
        params = request.query_params
        search = params.get("search", "").lower()
        author = params.get("author")
        wanted = set(params.getlist("filter"))
        for key in ("pipeline_tag", "library"):
            if params.get(key):
                wanted.add(params[key])
        full = params.get("full", "").lower() in ("1", "true")
        card = params.get("cardData", "").lower() in ("1", "true")
        rows: list[Summary] = []
        for summary in self.index().rows():
            repo_id = summary.repo_id
            owner = repo_id.split("/", 1)[0]
            if (author and owner != author) or (search and search not in repo_id.lower()):
                continue
            if self.gateway is not None and self.gateway.owner_refusal(repo_id):
                continue
            if wanted and not wanted <= {*summary.tags, summary.pipeline_tag, summary.library_name}:
                continue
            rows.append(summary)
        sort = params.get("sort")
        if sort in ("downloads", "likes", "lastModified", "createdAt", "id", "trending_score"):
            key = "id" if sort == "trending_score" else sort
            rows.sort(
                key=lambda s: self._sort_value(s, key) or 0,
                reverse=params.get("direction", "-1") == "-1",
            )
        limit = params.get("limit")
        if limit is not None and limit.isdigit():
            rows = rows[: int(limit)]
        # only the page's items are built (and only theirs judged known or not)
        return self._page(request, rows, size=50, render=lambda s: self._listed(s, card, full))

    def refs(self, repo: Repo) -> Response:
        branches, tags, _ = repo.refs()
        return JSONResponse(
            {
                "branches": [
                    {"name": n, "ref": f"refs/heads/{n}", "targetCommit": s}
                    for n, s in sorted(branches.items())
                ],
                "tags": [
                    {"name": n, "ref": f"refs/tags/{n}", "targetCommit": s}
                    for n, s in sorted(tags.items())
                ],
                "converts": [],
            }
        )

    def commits(self, request: Request, repo: Repo, ref: str | None) -> Response:
        try:
            revision = self._revision(repo, ref)
        except _Refused as refused:
            return refused.response()
        items = [
            {
                "id": c.sha,
                "title": c.subject,
                "message": c.subject,
                "authors": [{"user": c.author.name, "avatar": None}],
                "date": _iso(c.author.when),
            }
            for c in revision.history or ()
        ]
        return self._page(request, items)

    def _tree_entry(self, revision: Revision, entry: FileEntry) -> dict[str, Any]:
        digest = self.store.digest(revision, entry)
        item: dict[str, Any] = {
            "type": "file",
            "oid": digest.git_oid,
            "size": entry.size,
            "path": entry.path,
        }
        if digest.sha256 is not None:
            item["lfs"] = {
                "oid": digest.sha256,
                "size": entry.size,
                "pointerSize": digest.pointer_size,
            }
        if self.gateway is not None:  # the Hub's per-file field, so clients see refusals early
            refusal = self.gateway.refusal(revision, entry)
            # huggingface_hub's RepoFile reads status, avScan and pickleImportScan
            item["securityFileStatus"] = {
                "status": "safe" if refusal is None else "unsafe",
                "avScan": None,
                "pickleImportScan": None
                if refusal is None
                else {"highestSafetyLevel": "dangerous", "imports": []},
                **({} if refusal is None else {"rule": refusal.rule, "message": refusal.message}),
            }
        return item

    def tree(self, request: Request, repo: Repo, ref: str | None, path: str) -> Response:
        """``GET …/tree/<ref>/<path>``: the files and folders under ``path``, with security status per file when a gateway judges them."""
        try:
            revision = self._revision(repo, ref)
        except _Refused as refused:
            return refused.response()
        recursive = request.query_params.get("recursive", "").lower() in ("1", "true")
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        if prefix and not any(f.path.startswith(prefix) for f in revision.files):
            raise NotFound("EntryNotFound", f"{path} does not exist on {ref or 'main'}")
        items: list[dict[str, Any]] = []
        folders: set[str] = set()
        for entry in revision.files:
            if not entry.path.startswith(prefix):
                continue
            rest = entry.path[len(prefix) :]
            if "/" in rest and not recursive:
                folders.add(prefix + rest.split("/", 1)[0])
                continue
            if recursive:
                parts = rest.split("/")[:-1]
                for depth in range(1, len(parts) + 1):
                    folders.add(prefix + "/".join(parts[:depth]))
            items.append(self._tree_entry(revision, entry))
        items.extend(
            {"type": "directory", "oid": "0" * 40, "path": folder} for folder in sorted(folders)
        )
        items.sort(key=lambda i: i["path"])
        return self._page(request, items)

    def paths_info(self, request: Request, repo: Repo, ref: str, body: bytes) -> Response:
        form = parse_qs(body.decode("utf-8", "replace"))
        try:
            revision = self._revision(repo, ref)
        except _Refused as refused:
            return refused.response()
        items: list[dict[str, Any]] = []
        for path in form.get("paths", []):
            entry = revision.index.get(path)
            if entry is not None:
                items.append(self._tree_entry(revision, entry))
            elif any(f.path.startswith(path.rstrip("/") + "/") for f in revision.files):
                items.append({"type": "directory", "oid": "0" * 40, "path": path.rstrip("/")})
        return JSONResponse(items)

    def resolve(self, request: Request, repo: Repo, ref: str, path: str, client: str) -> Response:
        """``GET/HEAD …/resolve/<ref>/<path>``: a file's bytes (whole or a Range), unless the gateway refuses them; a folder file changed since its revision was judged is never served."""
        try:
            revision = self._revision(repo, ref)
        except _Refused as refused:
            if self.gateway is not None:
                self.gateway.log(refused.refusal, repo.repo_id, ref, path, client)
            return refused.response()
        entry = revision.index.get(path)
        if entry is None:
            raise NotFound("EntryNotFound", f"{path} does not exist on {ref}")
        if self.gateway is not None:
            refusal = self.gateway.refusal(revision, entry)
            if refusal is not None:
                self.gateway.log(refusal, repo.repo_id, revision.sha, path, client)
                return _Refused(refusal, path).response()
        if not revision.unchanged(path):
            # a folder file swapped after its revision was judged: never serve the new bytes
            # under the old verdict; the next request lists (and judges) the folder again
            repo.invalidate()
            return _error(409, f"{path} changed since revision {revision.sha[:12]}; try again")
        if entry.reader is None:
            raise NotFound(
                "EntryNotFound", f"{path}: its LFS object is not stored on this registry"
            )
        digest = self.store.digest(revision, entry)
        etag = f'"{digest.sha256 or digest.git_oid}"'
        headers = {
            **_fallback_header(repo, ref),
            "X-Repo-Commit": revision.sha,
            "ETag": etag,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if digest.sha256 is not None:
            headers["X-Linked-Etag"] = etag
            headers["X-Linked-Size"] = str(entry.size)
        start, end = 0, entry.size
        status = 200
        header = request.headers.get("range")
        if header is not None:
            parsed = _parse_range(header, entry.size)
            if parsed is None:
                return Response(
                    status_code=416,
                    headers={
                        "Content-Range": f"bytes */{entry.size}",
                        "X-Error-Message": "Range not satisfiable",
                    },
                )
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{entry.size}"
        headers["Content-Length"] = str(end - start)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        if status == 200:
            self.state.count_download(repo.repo_id)
        if self.accel is not None and self.accel.fronted(request):
            handed = self.accel.hand_off(revision, entry, digest, headers)
            if handed is not None:
                return handed
        return StreamingResponse(iter_bytes(entry, start, end), status_code=status, headers=headers)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as ``[start, end)``; ``None`` when malformed, multiple or unsatisfiable."""
    match = _RANGE.match(header.strip())
    if match is None or len(header) > 100:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            return None
        return max(0, size - length), size
    start = int(first)
    end = min(size, int(last) + 1) if last else size
    if start >= size or end <= start:
        return None
    return start, end


def _clone_message(repo: Repo, refusal: Refusal) -> str:
    return (
        f"ptmscope gateway: clone of {repo.repo_id} refused by policy ({refusal.rule}): "
        f"{refusal.message}"
    )


class _Refused(Exception):
    def __init__(self, refusal: Refusal, path: str | None = None) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal
        self.path = path

    def response(self) -> JSONResponse:
        """403 with ``X-Error-Code: GatedRepo``: the one refusal code both ``huggingface_hub``
        and ``transformers`` raise as an error carrying the server's message (any other 403
        becomes "check your connection" or "file not found" there)."""
        what = f"{self.path} refused" if self.path else "repository refused"
        return _error(
            403,
            f"ptmscope gateway: {what} by policy ({self.refusal.rule}): {self.refusal.message}",
            REFUSED_CODE,
        )


REFUSED_CODE = "GatedRepo"
