"""``/api/v1/scorecards/{owner}/{name}[/history|/diff]``: audits as Scorecard-shaped JSON.

A revision is immutable, so each commit is audited once and its scorecard kept in
memory (an LRU of :data:`MAX_CACHED`); a warm request only serialises it. Concurrent
requests for the same commit wait for one audit (:class:`SingleFlight`). Every audit
is also one line of a history file (``scorecard-history.jsonl``, beside the gateway's
log, else in ``ROOT/.ptmscope/``), appended so a mirror of thousands of packages stays
cheap and read back at start-up, so the history of a package survives a restart.

With a gateway, the scorecard carries the gateway's own decision on the revision
(``policy``, with ``enforced``); a denied revision's scorecard is still served: it is
metadata about the refusal, never file bytes. An owner the gateway does not serve gets
the same 403 as its model info. Answers carry a strong ``ETag`` (a digest of the body);
``If-None-Match`` with it is answered 304 without a body, and ``Cache-Control:
no-cache`` asks clients to revalidate each time (cheap: nothing is audited again).
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ptmscope.errors import PtmscopeError
from ptmscope.registry.singleflight import SingleFlight
from ptmscope.registry.store import Repo, Revision, RevisionSource
from ptmscope.results import scorecard as shape

if TYPE_CHECKING:
    from ptmscope.registry.app import Registry

MAX_CACHED = 2048
"""Scorecards kept in memory (least recently used dropped; a dropped one is audited again):
more than the 1,000-package mirror the dashboard is measured on, so every page stays warm."""
MAX_HISTORY_BYTES = 64 << 20
"""A larger history file is not read at start-up (the history starts again; appends go on)."""
MAX_BACKGROUND = 2
"""Audits run at once in the background (badges of a revision not audited yet)."""
HISTORY_FILE = "scorecard-history.jsonl"
API_CACHE_CONTROL = "no-cache"
"""Revalidate every time: a 304 costs a lookup, and a branch may move at any moment."""
_UNSAFE_HEADER = str.maketrans({chr(c): "?" for c in [*range(0x20), *range(0x7F, 0x100)]})


@dataclass(frozen=True)
class Audited:
    """One commit's audit: its scorecard (without the gateway's decision), or why it failed."""

    card: Mapping[str, Any] | None
    error: str | None = None


def error(status: int, message: str, code: str | None = None) -> Response:
    """A JSON error with the Hub's ``X-Error-Message`` (printable ASCII only)."""
    headers = {"X-Error-Message": message.translate(_UNSAFE_HEADER)[:1000]}
    if code:
        headers["X-Error-Code"] = code
    body = json.dumps({"error": message}, ensure_ascii=True).encode()
    return Response(body, status, headers, media_type="application/json")


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(request: Request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def cached_response(
    request: Request, body: bytes, media_type: str, cache_control: str, status: int = 200
) -> Response:
    """``body`` with its ETag, or 304 when the client holds it already."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if status == 200 and not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, status, headers, media_type=media_type)


class Refused(Exception):
    """An owner the gateway does not serve: answered as its model info is."""


class Scorecards:
    """The audits behind the API and the badges: cached by commit, with a persisted history."""

    def __init__(self, registry: Registry) -> None:
        self.store = registry.store
        self.gateway = registry.gateway
        folder = (
            registry.gateway.log_path.parent
            if registry.gateway is not None
            else self.store.root / ".ptmscope"
        )
        self.history_path = folder / HISTORY_FILE
        self._cards: OrderedDict[tuple[str, str], Audited] = OrderedDict()
        self._history: dict[str, dict[str, dict[str, Any]]] = self._read_history()
        self._lock = threading.Lock()
        self._flight = SingleFlight()
        self._background: set[tuple[str, str]] = set()

    # ------------------------------------------------------------ revisions
    def revision(self, repo: Repo, ref: str | None) -> Revision:
        """The revision ``ref`` names (the default branch when ``None``)."""
        if self.gateway is not None and self.gateway.owner_refusal(repo.repo_id) is not None:
            raise Refused(repo.repo_id)
        return self.store.resolved(repo, ref)

    # ------------------------------------------------------------ audits
    def cached(self, repo_id: str, sha: str) -> Audited | None:
        """The commit's audit if it was made (nothing is audited here)."""
        with self._lock:
            hit = self._cards.get((repo_id, sha))
            if hit is not None:
                self._cards.move_to_end((repo_id, sha))
            return hit

    def audited(self, revision: Revision) -> Audited:
        """The revision's audit, made once per commit however many ask at once."""
        key = (revision.repo_id, revision.sha)

        def lookup() -> tuple[bool, Audited | None]:
            hit = self.cached(*key)
            return hit is not None, hit

        def compute() -> Audited:
            audited = self._audit(revision)
            with self._lock:
                self._cards[key] = audited
                while len(self._cards) > MAX_CACHED:
                    self._cards.popitem(last=False)
            if audited.card is not None:
                self._record(revision.repo_id, shape.history_entry(audited.card))
            return audited

        result = self._flight.run(key, lookup, compute)
        assert result is not None
        return result

    def _audit(self, revision: Revision) -> Audited:
        """Collect, probe and score the revision as the gateway does; any failure is kept as
        the commit's answer (fail closed: no score is made up for what was not audited)."""
        from ptmscope.audit import evaluate
        from ptmscope.collector import collect_from
        from ptmscope.results.audit_report import build

        try:
            judged = self.gateway.verdict(revision) if self.gateway is not None else None
            if judged is not None and judged.report is not None:
                report = judged.report  # the gateway audited this revision already: reuse it
            else:
                seen = None
                scan_policy = None
                if self.gateway is not None:
                    seen = self.gateway.first_seen.dates(revision.repo_id, revision.sha)
                    scan_policy = self.gateway.policy.scan_policy
                source = RevisionSource(revision, self.store.upstream, seen)
                package = collect_from(source, scan_policy=scan_policy)
                report = build(evaluate(package))
            card = shape.build(report, name=revision.repo_id, commit=revision.sha)
        except Exception as exc:  # fail closed on anything: the answer says it was not audited
            reason = str(exc) if isinstance(exc, PtmscopeError) else f"{type(exc).__name__}: {exc}"
            where = f"{revision.repo_id}@{revision.sha[:12]}"
            return Audited(None, f"{where} could not be audited: {reason}")
        return Audited(card)

    def policy(self, revision: Revision) -> dict[str, Any] | None:
        """The gateway's decision on the revision (judged once per commit by the gateway)."""
        if self.gateway is None:
            return None
        verdict = self.gateway.verdict(revision)
        if verdict.decision is None:
            return None
        return {**verdict.decision.data(), "enforced": not self.gateway.dry_run}

    def scorecard(self, revision: Revision) -> dict[str, Any]:
        """The full scorecard of ``revision`` (the gateway's decision included), or
        :class:`AuditFailed`."""
        audited = self.audited(revision)
        if audited.card is None:
            raise AuditFailed(audited.error or "not audited")
        policy = self.policy(revision)
        return {**audited.card, "policy": policy} if policy is not None else dict(audited.card)

    def refresh_later(self, revision: Revision) -> None:
        """Audit ``revision`` in a background thread (at most :data:`MAX_BACKGROUND` at once;
        beyond that the next request asks again)."""
        key = (revision.repo_id, revision.sha)
        with self._lock:
            if key in self._background or len(self._background) >= MAX_BACKGROUND:
                return
            self._background.add(key)

        def run() -> None:
            try:
                self.audited(revision)
                self.policy(revision)
            except Exception:  # a failed audit is cached as such: nothing to add here
                pass
            finally:
                with self._lock:
                    self._background.discard(key)

        threading.Thread(target=run, name=f"scorecard {key[0]}", daemon=True).start()

    # ------------------------------------------------------------ history
    def _read_history(self) -> dict[str, dict[str, dict[str, Any]]]:
        history: dict[str, dict[str, dict[str, Any]]] = {}
        try:
            if self.history_path.stat().st_size > MAX_HISTORY_BYTES:
                return history
            lines = self.history_path.read_text("utf-8", errors="replace").splitlines()
        except OSError:
            return history
        for line in lines:
            try:
                record = json.loads(line)
                repo_id = record.pop("repo")
                entries = history.setdefault(str(repo_id), {})
                entries.pop(record["commit"], None)  # the latest audit of a commit, last
                entries[record["commit"]] = record
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # a torn last line after a crash: that audit is recorded again
        return history

    def _record(self, repo_id: str, entry: dict[str, Any]) -> None:
        """Append ``entry`` unless the history already says the same of that commit."""
        with self._lock:
            entries = self._history.setdefault(repo_id, {})
            known = entries.get(entry["commit"])
            same = ("score", "verdict", "decision", "version", "coverage")
            if known is not None and all(known.get(k) == entry.get(k) for k in same):
                return
            entries.pop(entry["commit"], None)
            entries[entry["commit"]] = entry
            try:
                self.history_path.parent.mkdir(parents=True, exist_ok=True)
                with self.history_path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"repo": repo_id, **entry}, ensure_ascii=True) + "\n")
            except OSError:
                pass  # kept in memory for this run; the next run audits the commit again

    def history(self, repo_id: str) -> list[dict[str, Any]]:
        """Every audited commit of ``repo_id``, in the order of their latest audit."""
        with self._lock:
            return [dict(e) for e in self._history.get(repo_id, {}).values()]

    def latest(self, repo_id: str) -> dict[str, Any] | None:
        """The most recently audited commit of ``repo_id``."""
        entries = self.history(repo_id)
        return entries[-1] if entries else None

    def known(self, repo_id: str, sha: str) -> dict[str, Any] | None:
        """The history's entry for one commit."""
        with self._lock:
            entry = self._history.get(repo_id, {}).get(sha)
            return None if entry is None else dict(entry)


class AuditFailed(Exception):
    """A revision that could not be audited: answered 500 with the reason, never a score."""


_SERVICES: weakref.WeakKeyDictionary[Registry, Scorecards] = weakref.WeakKeyDictionary()
_SERVICES_LOCK = threading.Lock()


def service(registry: Registry) -> Scorecards:
    """The registry's one :class:`Scorecards` (made on first use, so a server that is never
    asked for a scorecard costs nothing)."""
    with _SERVICES_LOCK:
        found = _SERVICES.get(registry)
        if found is None:
            found = _SERVICES[registry] = Scorecards(registry)
        return found


def _json(request: Request, data: Mapping[str, Any]) -> Response:
    body = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode()
    return cached_response(request, body, "application/json", API_CACHE_CONTROL)


def serve_api(registry: Registry, request: Request, parts: list[str]) -> Response:
    """``GET /api/v1/scorecards/{owner}/{name}`` (``?revision=``), ``…/history`` and
    ``…/diff?from=&to=``."""
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("history", "diff")):
        return error(404, "Not found")
    cards = service(registry)
    repo = registry.store.repo(parts[0], parts[1])
    params = request.query_params
    try:
        if len(parts) == 2:
            return _json(request, cards.scorecard(cards.revision(repo, params.get("revision"))))
        if parts[2] == "history":
            served = cards.revision(repo, None).sha
            return _json(request, shape.history(repo.repo_id, cards.history(repo.repo_id), served))
        old, new = params.get("from"), params.get("to")
        if not old or not new:
            return error(400, "diff needs ?from=<revision>&to=<revision>")
        before = cards.scorecard(cards.revision(repo, old))
        after = cards.scorecard(cards.revision(repo, new))
        return _json(request, shape.diff(before, after))
    except Refused:
        refusal = registry.gateway.owner_refusal(repo.repo_id) if registry.gateway else None
        message = refusal.message if refusal is not None else "repository refused"
        return error(403, f"ptmscope gateway: repository refused by policy: {message}", "GatedRepo")
    except AuditFailed as exc:
        return error(500, str(exc), "AuditFailed")
