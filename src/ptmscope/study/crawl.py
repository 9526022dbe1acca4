"""Crawl a Hub endpoint's model listing into the study database, politely and resumably.

Pages of ``/api/models?full=true&cardData=true`` are followed through their
``Link`` headers. Requests are spaced by a rate limit, a 429 or 503 waits as long as
``Retry-After`` says (with back-off, :mod:`ptmscope.retry`), and each page is written as one atomic
chunk with the URL of the next page saved beside it: a crawl killed at any point
resumes at the first page it had not written. Card metadata (``cardData``) is
analysed like a card whose front matter it is, so machine-parseable claims in
``model-index`` are measured for crawled models too.

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
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from ptmscope.errors import SourceError
from ptmscope.names import visible
from ptmscope.retry import DEFAULT as DEFAULT_RETRY
from ptmscope.retry import Again, RetryPolicy
from ptmscope.study import listing
from ptmscope.study.analyze import analyze_rows
from ptmscope.study.db import StudyDB
from ptmscope.study.ingest import _listing_row, _text, warn_stderr

_DEFAULT_PORTS = {"http": 80, "https": 443}


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
) -> int:
    """Crawl until the listing ends (or ``max_pages``); returns the pages written by this run.

    Warnings (a refused or repeated ``next`` link, skipped records) go to ``warn``,
    one line each, by default to stderr.
    """
    from huggingface_hub import get_session
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]  # public, lazily exported

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
        return 0
    url: str | None = (
        state["next"] or f"{endpoint}/api/models?full=true&cardData=true&sort=id&direction=1"
    )
    seen_urls: set[str] = set(state.get("seen_urls") or [])
    seen_pages: set[str] = set(state.get("seen_pages") or [])
    headers = dict(build_hf_headers(token=token))
    interval = 1.0 / rate if rate > 0 else 0.0
    written = 0
    last = 0.0
    skipped: Counter[str] = Counter()
    shown = visible(endpoint)
    while url and (max_pages is None or written < max_pages):
        page = int(state["page"])
        seen_urls.add(_digest(url))

        def once(target: str = url) -> Any:
            nonlocal last
            wait = last + interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            try:
                answer = get_session().get(target, headers=headers, timeout=60)
            except Exception as exc:
                raise SourceError(f"cannot reach {shown}: {visible(exc)}") from None
            if retry_policy.retries(answer.status_code):
                return Again(f"{answer.status_code}", answer.headers.get("Retry-After"))
            if answer.status_code != 200:
                raise SourceError(f"{shown} answered {answer.status_code} while listing models")
            return answer

        response = retry_policy.run(once)
        if isinstance(response, Again):
            raise SourceError(
                f"{shown}: still answering {response.reason} after {retry_policy.attempts} tries"
            )
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
        db.write("packages", key, page, analyze_rows(cards))
        db.write("models", key, page, models)
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
        written += 1
        if progress:
            progress(endpoint, page + 1, page + 1)
    line = listing.summary(skipped, shown)
    if line:
        warn(line)
    return written


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
