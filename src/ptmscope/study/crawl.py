"""Crawl a Hub endpoint's model listing into the study database, politely and resumably.

Pages of ``/api/models?full=true&cardData=true`` are followed through their
``Link`` headers. Requests are spaced by a rate limit, a 429 waits as long as
``Retry-After`` says (with back-off), and each page is written as one atomic
chunk with the URL of the next page saved beside it: a crawl killed at any point
resumes at the first page it had not written. Card metadata (``cardData``) is
analysed like a card whose front matter it is, so machine-parseable claims in
``model-index`` are measured for crawled models too.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ptmscope.errors import SourceError
from ptmscope.study.analyze import analyze_rows
from ptmscope.study.db import StudyDB
from ptmscope.study.ingest import _listing_row

_RETRIES = 6


def _state_path(db: StudyDB, key: str) -> Path:
    return db.root / f"crawl-{key}.json"


def crawl(
    db: StudyDB,
    endpoint: str,
    *,
    token: str | None = None,
    rate: float = 5.0,
    max_pages: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Crawl until the listing ends (or ``max_pages``); returns the pages written by this run."""
    from huggingface_hub import get_session
    from huggingface_hub.utils._headers import build_hf_headers

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
    headers = dict(build_hf_headers(token=token))
    interval = 1.0 / rate if rate > 0 else 0.0
    written = 0
    last = 0.0
    while url and (max_pages is None or written < max_pages):
        for attempt in range(_RETRIES):
            wait = last + interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            try:
                response = get_session().get(url, headers=headers, timeout=60)
            except Exception as exc:
                raise SourceError(f"cannot reach {endpoint}: {exc}") from None
            if response.status_code == 429:
                try:
                    delay = float(response.headers.get("Retry-After", ""))
                except ValueError:
                    delay = 0.5 * 2**attempt
                time.sleep(min(60.0, max(delay, 0.1)))
                continue
            if response.status_code != 200:
                raise SourceError(
                    f"{endpoint} answered {response.status_code} while listing models"
                )
            break
        else:
            raise SourceError(f"{endpoint}: still rate limited (429) after {_RETRIES} tries")
        try:
            records = response.json()
        except ValueError:
            raise SourceError(f"{endpoint} answered a model listing that is not JSON") from None
        if not isinstance(records, list):
            raise SourceError(f"{endpoint} answered a model listing that is not a list")
        page = int(state["page"])
        models = [r for r in (_listing_row(record, key) for record in records) if r is not None]
        cards = [
            {
                "id": r.get("id"),
                "readme": _front_matter(r.get("cardData")),
                "pipeline_tag": r.get("pipeline_tag"),
                "siblings": [
                    s.get("rfilename") for s in r.get("siblings") or [] if isinstance(s, dict)
                ],
                "config_json": json.dumps(r["config"])
                if isinstance(r.get("config"), dict)
                else None,
                "_source": key,
            }
            for r in records
            if r.get("id")
        ]
        db.write("packages", key, page, analyze_rows(cards))
        db.write("models", key, page, models)
        url = response.links.get("next", {}).get("url")
        state = {"page": page + 1, "next": url, "done": url is None}
        partial = state_file.with_suffix(".tmp")
        partial.write_text(json.dumps(state))
        partial.replace(state_file)
        written += 1
        if progress:
            progress(endpoint, page + 1, page + 1)
    return written


def _front_matter(card_data: Any) -> str | None:
    if not isinstance(card_data, dict) or not card_data:
        return None
    return "---\n" + yaml.safe_dump(card_data, sort_keys=False, allow_unicode=True) + "---\n"
