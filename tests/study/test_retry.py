"""The crawler and the cloner ask again as the one retry policy says (``ptmscope.retry``),
against a real HTTP server on 127.0.0.1 that answers 429/503 before it answers 200."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.errors import SourceError
from ptmscope.retry import RetryPolicy
from ptmscope.study.clone import clone_all
from ptmscope.study.crawl import crawl
from ptmscope.study.db import StudyDB
from tests.sources.flaky_server import Answer, Script, flaky_server, rate_limited

PAGE = json.dumps(
    [{"id": "acme/tiny", "pipeline_tag": "fill-mask", "siblings": [{"rfilename": "README.md"}]}]
).encode()


def test_crawl_waits_out_429_and_503_as_retry_after_says(tmp_path: Path) -> None:
    script = rate_limited(4, "120", Answer(200, PAGE, (("Content-Type", "application/json"),)))
    waits: list[float] = []
    policy = RetryPolicy(max_retry_after_s=0.5, sleep=waits.append)
    with flaky_server(script) as url:
        written = crawl(StudyDB(tmp_path / "db"), url, rate=0, retry_policy=policy, warn=print)
    assert written.pages == 1 and written.packages == 1
    assert len(script.requests) == 6 and all(
        r.startswith("/api/models") for r in script.requests[:5]
    )
    assert script.requests[5] == "/acme/tiny/resolve/main/README.md"  # the card, once
    assert waits == [0.5] * 4  # Retry-After: 120, capped by the policy


def test_crawl_gives_up_after_the_policy_attempts(tmp_path: Path) -> None:
    script = Script([Answer(503, b"down", (("Retry-After", "1"),))])
    policy = RetryPolicy(attempts=3, sleep=lambda _: None)
    with flaky_server(script) as url, pytest.raises(SourceError, match="503 after 3 tries"):
        crawl(StudyDB(tmp_path / "db"), url, rate=0, retry_policy=policy, warn=print)
    assert len(script.requests) == 3


def test_clone_retries_a_busy_server_then_records_the_failure(tmp_path: Path) -> None:
    """git gives no Retry-After: the policy's back-off is used, bounded by its attempts."""
    script = Script([Answer(503, b"busy")])
    waits: list[float] = []
    policy = RetryPolicy(base_delay_s=0.25, sleep=waits.append)
    out = tmp_path / "clones"
    with flaky_server(script) as url:
        stats = clone_all(["acme/busy"], out, url, retries=3, retry_policy=policy)
    assert stats.failed == ["acme/busy"] and stats.cloned == 0
    assert waits == [0.25, 0.5]
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert manifest[-1]["attempts"] == 3 and "503" in manifest[-1]["error"]
    assert not list(out.glob(".*.partial"))


def test_clone_does_not_retry_a_missing_repository(tmp_path: Path) -> None:
    script = Script([Answer(404, b"Repository not found")])
    waits: list[float] = []
    with flaky_server(script) as url:
        stats = clone_all(
            ["acme/missing"], tmp_path / "c", url, retry_policy=RetryPolicy(sleep=waits.append)
        )
    assert stats.failed == ["acme/missing"] and waits == []
