"""``/ui/``: the registry's dashboard, server-rendered HTML that needs no JavaScript.

Every page is drawn from what the registry already knows and never audits a package
just to list it: the scorecards (:mod:`ptmscope.registry.scorecards`, audits cached by
commit, and the history of every audited commit) and a *catalog* of the served packages.

The catalog is one immutable snapshot of the listing: each package's served commit and
the facts the filters read (task, licences, weight formats, base models), computed once
per commit (a commit never changes) and, with a gateway, the decision it has made. A
request filters the snapshot and reads scores from the scorecard history (a dictionary
lookup per package), so a warm index of thousands of packages costs no git, no disk and
no audit. A snapshot older than :data:`CATALOG_TTL_S` is still served while a background
thread lists the packages again (at most one at a time); the page says when it was
taken and which packages are not audited yet.

A model page asks :meth:`Scorecards.scorecard` for the served (or ``?revision=``) commit,
so its first view audits that one package, as the API does. Pages carry a strict
Content-Security-Policy (no script at all) on top of Jinja's autoescaping: a hostile card
or package name can neither inject markup nor run anything.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import Response

from ptmscope.licenses import declared_licenses
from ptmscope.package import base_models_of, package_task
from ptmscope.registry.scorecards import (
    AuditFailed,
    Refused,
    Scorecards,
    cached_response,
    service,
)
from ptmscope.registry.store import Changed, NotFound, Repo, Revision, Unsafe
from ptmscope.results import scorecard as shape
from ptmscope.weights import inspect_all

if TYPE_CHECKING:
    from ptmscope.registry.app import Registry

CATALOG_TTL_S = 10.0
"""A listing snapshot older than this is refreshed in the background (served meanwhile)."""
PAGE_SIZE = 100
"""Packages per index page (``?page=`` for the next)."""
LEADERBOARD_SIZE = 10
"""Packages per task in the leaderboard."""
LINEAGE_DEPTH = 5
"""Base models followed upstream (base of the base, …) through the mirror."""
MAX_REASON = 500
"""Characters of a gateway decision's reasons shown in the listing (the model page has all)."""
MAX_SEARCH = 200
"""Characters of ``?q=`` used (a longer query is cut)."""
NONE = "(none)"
"""The filter value for a package that declares no task, licence or weight format."""
NOT_AUDITED = "not-audited"
VERDICTS = ("pass", "review", "fail", "insufficient-evidence", NOT_AUDITED)
SORTS = ("name", "score")
PAGE_CACHE_CONTROL = "no-cache"
CSS_CACHE_CONTROL = "max-age=3600"
CSS_PATH = "/ui/static/ptmscope.css"
FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" '
    b'rx="3" fill="#1f4e79"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" '
    b'fill="none"/></svg>'
)
"""The pages' icon, declared in every page so browsers do not ask for ``/favicon.ico``."""
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""No script may run on a page, styles and images come from this server only."""
SPARK_WIDTH = 200
SPARK_HEIGHT = 40


# ---------------------------------------------------------------- the catalog
@dataclass(frozen=True)
class Facts:
    """What the filters and the lineage read of one commit (a commit never changes)."""

    task: str | None
    licenses: tuple[str, ...]
    formats: tuple[str, ...]
    bases: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """The gateway's decision on a commit, when it has made one."""

    decision: str
    denied: bool
    """Whether the deny is enforced (its files are refused)."""
    reason: str
    expires: float | None = None


@dataclass(frozen=True)
class Row:
    """One package of the index: its served commit, the facts read from it, and the
    gateway's decision when one was made."""

    repo_id: str
    sha: str
    facts: Facts
    decision: Decision | None


@dataclass(frozen=True)
class Listing:
    """One snapshot of the served packages."""

    rows: tuple[Row, ...]
    unreadable: tuple[tuple[str, str], ...]
    """Packages that could not be listed, with why (shown, never silently dropped)."""
    taken: datetime
    made: float
    """``time.monotonic()`` when it was taken."""
    by_id: dict[str, Row] = field(default_factory=dict)
    """Lower-cased id → row (the Hub's ids ignore case)."""
    dependents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Lower-cased id → the served packages whose card names it as a base model."""


def _facts(revision: Revision) -> Facts:
    card = revision.card_data or {}
    formats = sorted({str(w.format) for w in inspect_all(revision.files)})
    return Facts(
        task=package_task(card, None, revision.config),
        licenses=declared_licenses(card),
        formats=tuple(formats),
        bases=base_models_of(card),
    )


class Catalog:
    """The listing snapshot of one registry (see the module docstring)."""

    def __init__(self, registry: Registry) -> None:
        self.store = registry.store
        self.gateway = registry.gateway
        self.cards = service(registry)
        self._listing: Listing | None = None
        self._facts: dict[tuple[str, str], Facts] = {}
        self._decisions: dict[tuple[str, str], Decision] = {}
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._refreshing = False

    def listing(self) -> Listing:
        """The current snapshot: made now when there is none, else served as it is (and
        refreshed in the background when older than :data:`CATALOG_TTL_S`)."""
        with self._lock:
            current = self._listing
            stale = current is not None and time.monotonic() - current.made > CATALOG_TTL_S
            start = stale and not self._refreshing
            if start:
                self._refreshing = True
        if current is None:
            with self._building:  # the first requests wait for one build
                if self._listing is None:
                    self._listing = self._build()
                return self._listing
        if start:
            threading.Thread(target=self._refresh, name="ui catalog", daemon=True).start()
        return current

    def _refresh(self) -> None:
        try:
            with self._building:
                built = self._build()
            with self._lock:
                self._listing = built
        except Exception:  # the old snapshot stays; the next request tries again
            pass
        finally:
            with self._lock:
                self._refreshing = False

    def _resolve(self, repo_id: str) -> tuple[Repo, str]:
        repo = self.store.repo(*repo_id.split("/", 1))
        try:
            return repo, repo.resolve(None)
        except Changed:
            repo.invalidate()
            return repo, repo.resolve(None)

    def _row(self, repo_id: str) -> Row:
        repo, sha = self._resolve(repo_id)
        key = (repo_id, sha)
        facts = self._facts.get(key)
        decision = self._decisions.get(key)
        if decision is not None and decision.expires is not None:
            decision = None if time.time() >= decision.expires else decision
        # an undecided commit is looked at again once audited (a scorecard asks the gateway):
        # re-reading every unaudited revision at each refresh would churn the store's cache
        recheck = decision is None and self.cards.known(repo_id, sha) is not None
        if facts is None or (self.gateway is not None and recheck):
            revision = self.store.revision(repo, sha)
            facts = facts or _facts(revision)
            decision = self._decision(revision)
        return Row(repo_id, sha, facts, decision)

    def _decision(self, revision: Revision) -> Decision | None:
        """The gateway's decision if it made one (listing judges nothing)."""
        if self.gateway is None:
            return None
        verdict = self.gateway.known_verdict(revision)
        if verdict is None or verdict.decision is None:
            return None
        decided = verdict.decision
        reasons = [f"{v.rule}: {v.reason}" for v in decided.violations]
        return Decision(
            decision=decided.decision.value,
            denied=self.gateway.denied(verdict),
            reason="; ".join(reasons)[:MAX_REASON],
            expires=verdict.expires,
        )

    def _build(self) -> Listing:
        rows: list[Row] = []
        unreadable: list[tuple[str, str]] = []
        for repo_id in self.store.repo_ids():
            if self.gateway is not None and self.gateway.owner_refusal(repo_id) is not None:
                continue  # an owner the gateway does not serve is not listed (as /api/models)
            try:
                rows.append(self._row(repo_id))
            except NotFound as exc:
                unreadable.append((repo_id, str(exc)))
            except Exception as exc:  # fail closed: listed as unreadable, never dropped
                unreadable.append((repo_id, f"{type(exc).__name__}: {exc}"))
        facts = {(r.repo_id, r.sha): r.facts for r in rows}
        decisions = {(r.repo_id, r.sha): r.decision for r in rows if r.decision is not None}
        dependents: dict[str, list[str]] = {}
        for row in rows:
            for base in row.facts.bases:
                dependents.setdefault(base.lower(), []).append(row.repo_id)
        with self._lock:  # only the served commits' facts are kept: bounded by the mirror
            self._facts, self._decisions = facts, decisions
        return Listing(
            rows=tuple(rows),
            unreadable=tuple(unreadable),
            taken=datetime.now(UTC),
            made=time.monotonic(),
            by_id={r.repo_id.lower(): r for r in rows},
            dependents={k: tuple(v) for k, v in dependents.items()},
        )


# ---------------------------------------------------------------- per-request state
@dataclass(frozen=True)
class Entry:
    """A row with what the scorecards say of its served commit, read per request."""

    row: Row
    state: str
    """``audited``, ``stale`` (an older commit was audited), ``failed`` or ``not-audited``."""
    score: float | None
    verdict: str | None
    audited_commit: str | None = None
    error: str | None = None

    @property
    def verdict_filter(self) -> str:
        if self.state == "failed":
            return "fail"  # fail closed: a package that cannot be audited does not pass
        return self.verdict if self.state == "audited" and self.verdict else NOT_AUDITED


def _entry(cards: Scorecards, row: Row) -> Entry:
    known = cards.known(row.repo_id, row.sha)
    if known is not None:
        return Entry(row, "audited", known["score"], known["verdict"], row.sha)
    audited = cards.cached(row.repo_id, row.sha)
    if audited is not None and audited.card is None:
        return Entry(row, "failed", None, None, error=audited.error)
    latest = cards.latest(row.repo_id)
    if latest is not None:
        return Entry(row, "stale", latest["score"], latest["verdict"], latest["commit"])
    return Entry(row, NOT_AUDITED, None, None)


def _matches(entry: Entry, query: Mapping[str, str]) -> bool:
    facts = entry.row.facts
    if query["q"] and query["q"].lower() not in entry.row.repo_id.lower():
        return False
    if query["task"] and (facts.task or NONE) != query["task"]:
        return False
    if query["license"] and query["license"] not in (facts.licenses or (NONE,)):
        return False
    if query["format"] and query["format"] not in (facts.formats or (NONE,)):
        return False
    return not query["verdict"] or entry.verdict_filter == query["verdict"]


def _facet(values: Iterable[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda item: (item[0] == NONE, item[0].lower()))


def _query(request: Request) -> dict[str, str]:
    params = request.query_params
    return {
        "q": params.get("q", "").strip()[:MAX_SEARCH],
        "task": params.get("task", ""),
        "license": params.get("license", ""),
        "format": params.get("format", ""),
        "verdict": params.get("verdict", ""),
        "sort": params.get("sort", "") if params.get("sort", "") in SORTS else "name",
    }


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


def _leaderboard(entries: list[Entry]) -> list[tuple[str, list[Entry]]]:
    """Per task, the audited packages by score (best first), ties by name."""
    tasks: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.state == "audited" and entry.score is not None and entry.row.facts.task:
            tasks.setdefault(entry.row.facts.task, []).append(entry)
    return [
        (task, sorted(found, key=lambda e: (-(e.score or 0), e.row.repo_id))[:LEADERBOARD_SIZE])
        for task, found in sorted(tasks.items())
    ]


# ---------------------------------------------------------------- rendering helpers
def sparkline(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An inline-SVG polyline of the audited scores, oldest first (undecided scores are
    drawn as gaps); ``None`` when nothing was audited."""
    if not history:
        return None
    step = SPARK_WIDTH / max(1, len(history) - 1)
    points = []
    for index, item in enumerate(history):
        score = item.get("score")
        if not isinstance(score, int | float) or score == shape.UNDECIDED:
            continue
        x = round(index * step if len(history) > 1 else SPARK_WIDTH / 2, 1)
        y = round(SPARK_HEIGHT - 2 - (score / shape.MAX_SCORE) * (SPARK_HEIGHT - 4), 1)
        points.append({"x": x, "y": y, "score": score, "commit": str(item.get("commit"))})
    return {
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "label": "score history: "
        + ", ".join(f"{str(h.get('commit'))[:7]} {h.get('score')}" for h in history),
    }


def _lineage(listing: Listing, repo_id: str, bases: tuple[str, ...]) -> dict[str, Any]:
    """Base models (followed upstream through the mirror) and the packages built on this."""
    ancestors: list[dict[str, Any]] = []
    seen = {repo_id.lower()}
    frontier = [(b, 1) for b in bases]
    while frontier:
        name, depth = frontier.pop(0)
        if name.lower() in seen or depth > LINEAGE_DEPTH:
            continue
        seen.add(name.lower())
        row = listing.by_id.get(name.lower())
        ancestors.append({"id": name, "depth": depth, "served": row.repo_id if row else None})
        if row is not None:
            frontier.extend((b, depth + 1) for b in row.facts.bases)
    return {"bases": ancestors, "dependents": sorted(listing.dependents.get(repo_id.lower(), ()))}


def _score_class(score: float | None) -> str:
    if score is None or score == shape.UNDECIDED:
        return "undecided"
    if score >= 7.5:
        return "good"
    if score >= 5:
        return "fair"
    return "poor"


def _score_text(score: float | None) -> str:
    if score is None or score == shape.UNDECIDED:
        return "n/a"
    return f"{score:.1f}"


_ENV: Environment | None = None
_ENV_LOCK = threading.Lock()


def environment() -> Environment:
    """The templates (loaded from the package, compiled once, autoescaped)."""
    global _ENV
    with _ENV_LOCK:
        if _ENV is None:
            env = Environment(
                loader=PackageLoader("ptmscope.registry", "templates"),
                autoescape=select_autoescape(["html"], default=True),
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.globals.update(
                css=CSS_PATH, score_class=_score_class, score_text=_score_text, NONE=NONE
            )
            env.filters["short"] = lambda sha: (sha or "")[:7]
            _ENV = env
        return _ENV


def _html(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    body = environment().get_template(template).render(**context).encode()
    response = cached_response(
        request, body, "text/html; charset=utf-8", PAGE_CACHE_CONTROL, status
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return _html(request, "error.html", status, title=title, message=message, repo_id=None)


# ---------------------------------------------------------------- pages
_CATALOGS: weakref.WeakKeyDictionary[Registry, Catalog] = weakref.WeakKeyDictionary()
_CATALOGS_LOCK = threading.Lock()


def catalog(registry: Registry) -> Catalog:
    """The registry's one :class:`Catalog` (made on the first dashboard request)."""
    with _CATALOGS_LOCK:
        found = _CATALOGS.get(registry)
        if found is None:
            found = _CATALOGS[registry] = Catalog(registry)
        return found


def index(registry: Registry, request: Request) -> Response:
    """``/ui/``: the packages, filtered and paged, with the leaderboard per task."""
    listing = catalog(registry).listing()
    cards = service(registry)
    query = _query(request)
    entries = [_entry(cards, row) for row in listing.rows]
    shown = [e for e in entries if _matches(e, query)]
    if query["sort"] == "score":
        shown.sort(key=lambda e: (e.score is None or e.state != "audited", -(e.score or 0)))
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(_page_number(request), pages)

    def link(number: int) -> str:
        kept = [(k, v) for k, v in query.items() if v and not (k == "sort" and v == "name")]
        return "/ui/?" + urlencode([*kept, ("page", str(number))])

    facts = [e.row.facts for e in entries]
    return _html(
        request,
        "index.html",
        query=query,
        entries=shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(entries),
        matched=len(shown),
        page=page,
        pages=pages,
        previous=link(page - 1) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
        not_audited=sum(e.state in (NOT_AUDITED, "stale") for e in entries),
        failed=sum(e.state == "failed" for e in entries),
        facets={
            "task": _facet(f.task or NONE for f in facts),
            "license": _facet(x for f in facts for x in (f.licenses or (NONE,))),
            "format": _facet(x for f in facts for x in (f.formats or (NONE,))),
            "verdict": [(v, sum(e.verdict_filter == v for e in entries)) for v in VERDICTS],
        },
        sorts=SORTS,
        leaderboard=_leaderboard(entries),
        unreadable=listing.unreadable,
        taken=listing.taken.strftime("%Y-%m-%d %H:%M:%S UTC"),
        gateway=registry.gateway is not None,
        repo_id=None,
    )


def _resolve(
    registry: Registry, cards: Scorecards, owner: str, name: str, ref: str | None
) -> Revision:
    return cards.revision(registry.store.repo(owner, name), ref)


def model(registry: Registry, request: Request, owner: str, name: str) -> Response:
    """``/ui/{owner}/{name}[?revision=]``: one package's scorecard, drawn in full."""
    cards = service(registry)
    ref = request.query_params.get("revision") or None
    revision = _resolve(registry, cards, owner, name, ref)
    repo_id = revision.repo_id
    try:
        card = cards.scorecard(revision)
    except AuditFailed as exc:
        return _html(
            request, "error.html", 500, title="Audit failed", message=str(exc), repo_id=repo_id
        )
    listing = catalog(registry).listing()
    row = listing.by_id.get(repo_id.lower())
    bases = (
        row.facts.bases if row is not None and row.sha == revision.sha else _facts(revision).bases
    )
    history = cards.history(repo_id)  # this view may just have audited the commit
    previous = [h["commit"] for h in history if h["commit"] != revision.sha]
    policy = card.get("policy")
    return _html(
        request,
        "model.html",
        repo_id=repo_id,
        card=card,
        ref=ref,
        sha=revision.sha,
        checks=[c for c in card["checks"] if c["kind"] != "risk"],
        lineage=_lineage(listing, repo_id, bases),
        history=history,
        spark=sparkline(history),
        diff_from=previous[-1] if previous else None,
        commits=[h["commit"] for h in history],
        denied=bool(policy and policy.get("decision") == "deny" and policy.get("enforced")),
        gateway=registry.gateway is not None,
    )


def diff(registry: Registry, request: Request, owner: str, name: str) -> Response:
    """``/ui/{owner}/{name}/diff?from=&to=``: what changed between two audited commits."""
    cards = service(registry)
    old, new = request.query_params.get("from"), request.query_params.get("to")
    repo_id = f"{owner}/{name}"
    if not old or not new:
        return _error_page(
            request, 400, "Two commits needed", "a diff needs ?from=<revision>&to=<revision>"
        )
    try:
        before = cards.scorecard(_resolve(registry, cards, owner, name, old))
        after = cards.scorecard(_resolve(registry, cards, owner, name, new))
    except AuditFailed as exc:
        return _html(
            request, "error.html", 500, title="Audit failed", message=str(exc), repo_id=repo_id
        )
    changes = shape.diff(before, after)
    return _html(
        request, "diff.html", repo_id=changes["repo"]["name"], diff=changes, old=old, new=new
    )


def stylesheet(request: Request) -> Response:
    body = resources.files("ptmscope.registry").joinpath("templates/ptmscope.css").read_bytes()
    return cached_response(request, body, "text/css; charset=utf-8", CSS_CACHE_CONTROL)


def serve_ui(registry: Registry, request: Request, parts: list[str]) -> Response:
    """Route ``/ui/…`` (``parts`` follow ``ui``); a request path is never a file path."""
    try:
        if not parts:
            return index(registry, request)
        if parts == ["static", "ptmscope.css"]:
            return stylesheet(request)
        if parts == ["static", "favicon.svg"]:  # else browsers ask for /favicon.ico: a 404
            return cached_response(request, FAVICON, "image/svg+xml", CSS_CACHE_CONTROL)
        if len(parts) == 2:
            return model(registry, request, parts[0], parts[1])
        if len(parts) == 3 and parts[2] == "diff":
            return diff(registry, request, parts[0], parts[1])
        return _error_page(request, 404, "Not found", "no such page")
    except Refused:
        return _error_page(request, 403, "Refused", "this gateway does not serve that owner")
    except Unsafe:
        raise  # the registry answers and logs a package that reaches outside ROOT
    except NotFound as exc:
        return _error_page(request, exc.status, "Not found", str(exc))
