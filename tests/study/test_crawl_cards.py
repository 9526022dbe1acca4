"""A crawled package is analysed from its README like any other (issue 14).

Before, the crawl analysed only the listing's ``cardData`` (front matter without
text): every card factor read "missing" and card words were 0 for models whose
``audit`` finds the factors present; and ``study ingest --crawl`` said "ingested 0
packages" after writing them. Real servers on 127.0.0.1: ``registry serve`` for the
Hub's shape, and a small scripted one for the READMEs that cannot be read.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from ptmscope.audit import audit
from ptmscope.card.parse import MAX_CARD_BYTES
from ptmscope.cli import main
from ptmscope.probes.base import Outcome
from ptmscope.retry import RetryPolicy
from ptmscope.study.crawl import crawl
from ptmscope.study.db import FACTOR_COLUMNS, StudyDB
from tests.conftest import FULL_CARD, write_safetensors
from tests.sources.flaky_server import serving
from tests.study.test_study import PROSE

_MAX_REQUESTS = 30
"""The scripted server answers 500 beyond this many requests: a loop fails, never hangs."""


def _rows(db: Path) -> dict[str, dict[str, object]]:
    connection = StudyDB(db).connect()
    cursor = connection.execute("SELECT * FROM packages ORDER BY id")
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_crawled_packages_are_analysed_from_their_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.registry.conftest import Server

    root = tmp_path / "root"
    full = root / "acme" / "full"
    full.mkdir(parents=True)
    (full / "README.md").write_text(FULL_CARD)
    (full / "config.json").write_text(json.dumps({"model_type": "bert"}))
    write_safetensors(full / "model.safetensors")
    (root / "acme" / "prose").mkdir(parents=True)
    (root / "acme" / "prose" / "README.md").write_text(PROSE)
    (root / "acme" / "bare").mkdir(parents=True)
    (root / "acme" / "bare" / "config.json").write_text("{}")  # no README: no card
    server = Server(root)
    try:
        db = tmp_path / "crawled"
        args = ["study", "ingest", "--db", str(db), "--crawl", server.endpoint, "--rate", "0"]
        assert main(args) == 0
        err = capsys.readouterr().err
        assert "ingested 3 listing rows, 3 packages" in err  # was "ingested 0 … packages"
        assert "2 READMEs read, 0 unreadable" in err
        assert main(args) == 0  # complete: a rerun writes nothing and says so
        assert "ingested 0 listing rows, 0 packages" in capsys.readouterr().err
    finally:
        server.stop()
    # the same packages ingested as a folder: every column but the source is the same
    assert main(["study", "ingest", "--db", str(tmp_path / "folder"), str(root)]) == 0
    crawled, folder = _rows(db), _rows(tmp_path / "folder")
    assert sorted(crawled) == ["acme/bare", "acme/full", "acme/prose"]
    for model_id, row in crawled.items():
        expected = {k: v for k, v in folder[model_id].items() if k != "_source"}
        assert {k: v for k, v in row.items() if k != "_source"} == expected, model_id
    assert crawled["acme/bare"]["has_card"] is False
    assert crawled["acme/full"]["card_words"] > 50  # type: ignore[operator]
    # and as `audit` judges the package itself
    findings = {f.probe: f.outcome for f in audit(full).findings}
    for column in FACTOR_COLUMNS:
        probe = column.removeprefix("f_").replace("__", ".")
        if findings[probe] is not Outcome.UNKNOWN:
            assert crawled["acme/full"][column] is (findings[probe] is Outcome.PRESENT), probe
    assert crawled["acme/full"]["f_provenance__dataset_details"] is True  # "missing" before


class _Hub:
    """A scripted Hub: one listing page; READMEs answer by model (once 429, 403, huge, 404)."""

    def __init__(self, listing: list[dict[str, object]]) -> None:
        self.listing = json.dumps(listing).encode()
        self.requests: list[tuple[float, str, str | None]] = []
        self.lock = threading.Lock()

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        with self.lock:
            asked = [p for _, p, _ in self.requests]
        if len(asked) > _MAX_REQUESTS:
            return 500, b"", {}
        if path.startswith("/api/models"):
            return 200, self.listing, {"Content-Type": "application/json"}
        if path == "/org/ok/resolve/main/README.md":
            if asked.count(path) == 1:
                return 429, b"busy", {"Retry-After": "0"}
            return 200, PROSE.encode(), {}
        if path == "/org/gated/resolve/main/README.md":
            return 403, b"gated", {}
        if path.startswith("/org/huge/resolve/"):
            return 200, b"# huge\n" + b"x" * MAX_CARD_BYTES, {}
        return 404, b"Entry not found", {}


@contextmanager
def _serve(hub: _Hub) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with hub.lock:
                hub.requests.append(
                    (time.monotonic(), self.path, self.headers.get("Authorization"))
                )
            status, body, headers = hub.answer(self.path)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield url


def test_readmes_that_cannot_be_read_are_errors_not_missing_cards(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    card = {"license": "mit", "datasets": ["imdb"]}
    hub = _Hub(
        [
            {"id": "org/ok", "downloads": 1},
            {"id": "org/gated", "downloads": 2, "cardData": card},
            {"id": "org/huge", "downloads": 3, "sha": sha},
            {"id": "org/none", "downloads": 4, "siblings": [{"rfilename": "config.json"}]},
            {"id": "../../etc/passwd", "downloads": 5},  # never turned into a request
        ]
    )
    waits: list[float] = []
    shown: list[tuple[str, int, int]] = []
    rate = 10.0
    with _serve(hub) as url:
        started = time.monotonic()
        stats = crawl(
            StudyDB(tmp_path / "db"), url, token="hf_test", rate=rate, warn=print,
            retry_policy=RetryPolicy(sleep=waits.append),
            progress=lambda *call: shown.append(call),
        )  # fmt: skip
    paths = [path for _, path, _ in hub.requests]
    assert paths[1:] == [
        "/org/ok/resolve/main/README.md",
        "/org/ok/resolve/main/README.md",  # the 429 waited out, then read
        "/org/gated/resolve/main/README.md",
        f"/org/huge/resolve/{sha}/README.md",  # the listing's revision
        "/org/none/resolve/main/README.md",
    ]
    assert all(auth == "Bearer hf_test" for _, _, auth in hub.requests)
    assert waits == [0.0]
    # one rate limit for pages and READMEs: request k is sent no sooner than k intervals in
    for k, (arrived, _, _) in enumerate(hub.requests):
        assert arrived >= started + k / rate, k
    assert shown == [(f"READMEs of page 1 of {url}", done, 5) for done in range(1, 6)]
    assert (stats.pages, stats.models, stats.packages) == (1, 5, 5)
    assert (stats.cards, stats.card_errors) == (1, 3)  # ok; gated, huge, the bad id
    rows = _rows(tmp_path / "db")
    assert rows["org/ok"]["error"] is None and rows["org/ok"]["card_words"] > 0  # type: ignore[operator]
    assert rows["org/gated"]["error"] == "README.md answered 403"
    assert rows["org/gated"]["datasets"] == ["imdb"]  # the cardData front matter is kept
    assert "larger than the 8 MiB" in str(rows["org/huge"]["error"])
    assert "not a model id" in str(rows["../../etc/passwd"]["error"])
    # a 404 is a package without a card, not an error
    assert rows["org/none"]["error"] is None and rows["org/none"]["has_card"] is False
