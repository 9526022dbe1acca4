"""Crawl a Hub endpoint's model listing into the study database, politely and resumably.

Pages of ``/api/models?full=true&cardData=true`` are followed through their
``Link`` headers. Requests are spaced by a rate limit, a 429 or 503 waits as long as
``Retry-After`` says (with back-off, :mod:`ptmscope.retry`), and each page is written as one atomic
chunk with the URL of the next page saved beside it: a crawl killed at any point
resumes at the first page it had not written.

Each listed model's ``README.md`` is fetched (``/<id>/resolve/<sha>/README.md``, through
the same rate limit and retry policy as the listing) and analysed like any other card,
so a crawled package has the card words and factors ``audit`` finds in it; before,
only the listing's ``cardData`` was analysed and every card factor read "missing".
A README that answers 404 is a package without a card. One that cannot be read
(401/403 on a gated model, another status, larger than
:data:`~ptmscope.card.parse.MAX_CARD_BYTES`) keeps the ``cardData`` front matter for its
claims and carries the reason in its row's ``error``, which keeps it out of the
factor shares rather than counting its factors as missing.

A listing is data from the endpoint, so its ``Link`` headers are not trusted:

- the token goes only to the endpoint's origin (scheme, host, port). A ``next``
  link to another origin is *not followed*: the crawl stops there with a
  one-line warning. (Following it without the ``Authorization`` header would
  crawl a registry the user did not name, and could make a gated listing look
  complete; stopping is the conservative choice. An ``http`` endpoint may move to
  ``https`` on the same host, as the HTTP client allows on redirects.)
- a ``next`` link to a page already crawled (itself, or a cycle), or a page whose
  content repeats an earlier page's, ends the crawl with a one-line warning, so
  a hostile or broken endpoint cannot keep it busy forever. Pages seen are kept
  in the resume state, so a cycle is caught across restarts too.
- records that cannot be used (not objects, too deep, overflowing numbers) are
  skipped and counted (:mod:`ptmscope.study.listing`), warned about at the end.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from ptmscope.card.parse import MAX_CARD_BYTES
from ptmscope.errors import SourceError
from ptmscope.names import visible
from ptmscope.retry import DEFAULT as DEFAULT_RETRY
from ptmscope.retry import Again, RetryPolicy
from ptmscope.study import listing
from ptmscope.study.analyze import analyze_rows
from ptmscope.study.db import StudyDB
from ptmscope.study.ingest import _listing_row, _text, warn_stderr

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?")
"""A Hub model id (``owner/name``, or a legacy ``name``): the only ids a card URL is built from."""
_SHA = re.compile(r"[0-9a-f]{40}")
CARD_FILE = "README.md"


@dataclass(frozen=True)
class CrawlStats:
    """What one crawl run wrote (a rerun of a complete crawl writes nothing)."""

    pages: int = 0
    models: int = 0
    """Listing rows written."""
    packages: int = 0
    """Package rows written (one per listed model with an ``id``)."""
    chunks_written: int = 0
    """Two per page: its listing rows and its packages."""
    cards: int = 0
    """READMEs read (200); a 404 is a package without a card, counted in neither."""
    card_errors: int = 0
    """READMEs that could not be read: those packages carry the reason in ``error``."""
    malformed: int = 0
    """Listing records skipped as unusable (:mod:`ptmscope.study.listing`)."""


def _state_path(db: StudyDB, key: str) -> Path:
    return db.root / f"crawl-{key}.json"


def _digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:20]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number: an origin of its own
        port = None
    return scheme, (parts.hostname or "").lower(), port


def same_origin(endpoint: str, url: str) -> bool:
    """Whether the token for ``endpoint`` may go to ``url`` (same origin, or its https upgrade)."""
    home, there = _origin(endpoint), _origin(url)
    if not there[1] or there[2] is None:
        return False
    if home == there:
        return True
    return home == ("http", there[1], 80) and there == ("https", home[1], 443)


class _Client:
    """Every request of one crawl: one rate limit (listing pages and READMEs alike), the
    retry policy, the token for the endpoint's origin."""

    def __init__(
        self, endpoint: str, token: str | None, rate: float, retry_policy: RetryPolicy
    ) -> None:
        from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]  # public, lazily exported

        self.endpoint = endpoint
        self.shown = visible(endpoint)
        self.headers = dict(build_hf_headers(token=token))
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.retry = retry_policy
        self._last = 0.0

    def _wait_turn(self) -> None:
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def page(self, url: str) -> Any:
        """One listing page (200), waiting out 429/503; anything else ends the crawl."""
        from huggingface_hub import get_session

        def once() -> Any:
            self._wait_turn()
            try:
                answer = get_session().get(url, headers=self.headers, timeout=60)
            except Exception as exc:
                raise SourceError(f"cannot reach {self.shown}: {visible(exc)}") from None
            if self.retry.retries(answer.status_code):
                return Again(f"{answer.status_code}", answer.headers.get("Retry-After"))
            if answer.status_code != 200:
                raise SourceError(
                    f"{self.shown} answered {answer.status_code} while listing models"
                )
            return answer

        return self._settled(self.retry.run(once))

    def card(self, model_id: str, sha: Any) -> tuple[str | None, str | None]:
        """``(README text or None when there is none, why it could not be read or None)``.

        Waits out 429/503 like the listing (and ends the crawl the same way when they
        never stop); any other failure costs only this package.
        """
        from huggingface_hub import get_session

        if not _REPO_ID.fullmatch(model_id):
            return None, f"{CARD_FILE} not fetched: {visible(model_id)} is not a model id"
        revision = sha if isinstance(sha, str) and _SHA.fullmatch(sha) else "main"
        url = f"{self.endpoint}/{model_id}/resolve/{revision}/{CARD_FILE}"

        def once() -> tuple[int, bytes] | Again:
            self._wait_turn()
            try:
                with get_session().stream(
                    "GET", url, headers=self.headers, follow_redirects=True, timeout=60
                ) as answer:
                    if self.retry.retries(answer.status_code):
                        return Again(f"{answer.status_code}", answer.headers.get("Retry-After"))
                    if answer.status_code != 200:
                        return answer.status_code, b""
                    body = bytearray()
                    for block in answer.iter_bytes():
                        body += block
                        if len(body) > MAX_CARD_BYTES:
                            return 200, bytes(body)  # over the limit: no need to read the rest
                    return 200, bytes(body)
            except Exception as exc:
                raise SourceError(f"cannot reach {self.shown}: {visible(exc)}") from None

        status, body = self._settled(self.retry.run(once))
        if status == 404:
            return None, None
        if status != 200:
            return None, f"{CARD_FILE} answered {status}"
        if len(body) > MAX_CARD_BYTES:
            return None, f"{CARD_FILE} is larger than the {MAX_CARD_BYTES >> 20} MiB card limit"
        return body.decode("utf-8", errors="replace"), None

    def _settled(self, outcome: Any) -> Any:
        if isinstance(outcome, Again):
            raise SourceError(
                f"{self.shown}: still answering {outcome.reason} after {self.retry.attempts} tries"
            )
        return outcome


def crawl(
    db: StudyDB,
    endpoint: str,
    *,
    token: str | None = None,
    rate: float = 5.0,
    max_pages: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
    retry_policy: RetryPolicy = DEFAULT_RETRY,
) -> CrawlStats:
    """Crawl until the listing ends (or ``max_pages``); returns what this run wrote.

    ``progress(label, done, total)`` is called after each README, with the READMEs of
    the page at hand as the total (the number of pages is not known in advance).
    Warnings (a refused or repeated ``next`` link, skipped records) go to ``warn``,
    one line each, by default to stderr.
    """
    warn = warn or warn_stderr
    endpoint = endpoint.rstrip("/")
    key = "crawl-" + hashlib.sha1(endpoint.encode()).hexdigest()[:10]
    state_file = _state_path(db, key)
    state: dict[str, Any] = (
        json.loads(state_file.read_text())
        if state_file.exists()
        else {"page": 0, "next": None, "done": False}
    )
    if state["done"]:
        return CrawlStats()
    url: str | None = (
        state["next"] or f"{endpoint}/api/models?full=true&cardData=true&sort=id&direction=1"
    )
    seen_urls: set[str] = set(state.get("seen_urls") or [])
    seen_pages: set[str] = set(state.get("seen_pages") or [])
    client = _Client(endpoint, token, rate, retry_policy)
    counts: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    shown = client.shown
    while url and (max_pages is None or counts["pages"] < max_pages):
        page = int(state["page"])
        seen_urls.add(_digest(url))
        response = client.page(url)
        content = _digest(response.content)
        if content in seen_pages:
            warn(f"page {page + 1} of {shown} repeats an earlier page: the crawl stops there")
            _save(state_file, {**state, "next": None, "done": True, "stopped": "repeated page"})
            break
        try:
            records, bad = listing.parse_list(response.text)
        except ValueError:
            raise SourceError(f"{shown} answered a model listing that is not a JSON list") from None
        models, cards = _rows(records, key, bad)
        skipped.update(bad)
        label = f"READMEs of page {page + 1} of {shown}"
        packages = _with_cards(client, cards, counts, progress, label)
        db.write("packages", key, page, packages)
        db.write("models", key, page, models)
        counts.update(pages=1, chunks_written=2, models=len(models), packages=len(packages))
        seen_pages.add(content)
        url = _next(response, endpoint, seen_urls, page + 1, warn)
        state = {
            "page": page + 1,
            "next": url,
            "done": url is None,
            "seen_urls": sorted(seen_urls),
            "seen_pages": sorted(seen_pages),
        }
        _save(state_file, state)
    line = listing.summary(skipped, shown)
    if line:
        warn(line)
    return CrawlStats(
        pages=counts["pages"], models=counts["models"], packages=counts["packages"],
        chunks_written=counts["chunks_written"], cards=counts["cards"], card_errors=counts["card_errors"], malformed=sum(skipped.values()),
    )  # fmt: skip


def _with_cards(
    client: _Client,
    cards: list[dict[str, Any]],
    counts: Counter[str],
    progress: Callable[[str, int, int], None] | None,
    label: str,
) -> list[dict[str, Any]]:
    """The ``packages`` rows of one page, each analysed from its README as ``audit`` reads it."""
    errors: list[str | None] = []
    for done, card in enumerate(cards, start=1):
        text, error = client.card(card["id"], card.pop("_sha", None))
        if error is None:
            card["readme"] = text  # None: no README (404), a package without a card
            counts["cards"] += text is not None
        else:
            counts["card_errors"] += 1  # the listing's cardData stays as the front matter
        errors.append(error)
        if progress:
            progress(label, done, len(cards))
    rows = analyze_rows(cards)
    for row, error in zip(rows, errors, strict=True):
        if error is not None:  # the cause, before what analysing without the README met
            row["error"] = error
    return rows


def _next(
    response: Any, endpoint: str, seen: set[str], page: int, warn: Callable[[str], None]
) -> str | None:
    """The next page's absolute URL, or ``None`` at the end (or where the crawl must stop)."""
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    target: str = urljoin(str(response.url), str(link))
    if not same_origin(endpoint, target):
        scheme, host, port = _origin(target)
        warn(
            f"page {page} of {visible(endpoint)} links its next page to another origin "
            f"({visible(f'{scheme}://{host}:{port}')}): not followed, so the token stays with "
            "the endpoint; the crawl stops there"
        )
        return None
    if _digest(target) in seen:
        warn(
            f"page {page} of {visible(endpoint)} links its next page to a page already crawled "
            f"({visible(target)}): the crawl stops there"
        )
        return None
    return target


def _rows(
    records: list[dict[str, Any]], key: str, skipped: Counter[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``models`` rows and the cards to analyse of one page; overflowing records are counted."""
    models: list[dict[str, Any]] = []
    cards: list[dict[str, Any]] = []
    for record in records:
        try:
            row = _listing_row(record, key)
        except listing.Malformed as exc:
            skipped[exc.reason] += 1
            continue
        if row is None:
            continue
        models.append(row)
        if not record.get("id"):
            continue
        siblings = record.get("siblings")
        config = record.get("config")
        cards.append(
            {
                "id": row["id"],
                "readme": _front_matter(record.get("cardData")),
                "pipeline_tag": _text(record.get("pipeline_tag")),
                "siblings": [
                    str(s["rfilename"])
                    for s in (siblings if isinstance(siblings, list) else [])
                    if isinstance(s, dict) and s.get("rfilename")
                ],
                "config_json": json.dumps(config) if isinstance(config, dict) else None,
                "_source": key,
                "_sha": record.get("sha"),
            }
        )
    return models, cards


def _save(state_file: Path, state: dict[str, Any]) -> None:
    partial = state_file.with_suffix(".tmp")
    partial.write_text(json.dumps(state))
    partial.replace(state_file)


def _front_matter(card_data: Any) -> str | None:
    if not isinstance(card_data, dict) or not card_data:
        return None
    dumped: str = yaml.safe_dump(card_data, sort_keys=False, allow_unicode=True)
    return "---\n" + dumped + "---\n"
