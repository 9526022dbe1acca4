"""Hostile listings and crawl endpoints: handled, counted and warned about; the token stays home.

Real HTTP servers on 127.0.0.1 (one the endpoint, one "another origin" that
records every request), real files for every listing format, the real CLI.
Request loops are bounded: the server answers at most ``_MAX_REQUESTS`` and the
crawls run with ``--max-pages``, so a regression fails instead of hanging.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ptmscope.cli import main
from ptmscope.study import listing
from ptmscope.study.crawl import same_origin
from ptmscope.study.db import StudyDB

pytestmark = pytest.mark.adversarial

TOKEN = "hf_canary_token_never_leaves_its_origin"
DEEP = "[" * 50_000 + "]" * 50_000
_MAX_REQUESTS = 40


@dataclass
class Recorder:
    """A local server: ``pages`` maps a path (no query) to ``(body, next link or None)``."""

    pages: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def _serve(recorder: Recorder) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.requests.append((self.path, self.headers.get("Authorization")))
            page = recorder.pages.get(self.path.split("?")[0])
            if page is None or len(recorder.requests) > _MAX_REQUESTS:
                self.send_response(404 if page is None else 500)
                self.end_headers()
                return
            body, link = page
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if link:
                self.send_header("Link", f'<{link}>; rel="next"')
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    recorder.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=recorder.server.serve_forever, daemon=True).start()


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, Recorder]]:
    home, other = Recorder(), Recorder()
    _serve(home)
    _serve(other)
    try:
        yield home, other
    finally:
        for recorder in (home, other):
            assert recorder.server is not None
            recorder.server.shutdown()
            recorder.server.server_close()


def _page(*ids: str) -> str:
    return json.dumps([{"id": i, "downloads": 1, "cardData": {"license": "mit"}} for i in ids])


def _crawl(
    tmp_path: Path, endpoint: str, capsys: pytest.CaptureFixture[str], pages: int = 20
) -> tuple[int, str, Path]:
    db = tmp_path / "db"
    crawl = ["--crawl", endpoint, "--token", TOKEN, "--rate", "0", "--max-pages", str(pages)]
    code = main(["study", "ingest", "--db", str(db), *crawl])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    return code, err, db


def _listing_requests(recorder: Recorder) -> list[tuple[str, str | None]]:
    """The listing pages asked for (each listed model's README.md is asked for too)."""
    return [r for r in recorder.requests if "/resolve/" not in r[0]]


def _ids(db: Path) -> list[str]:
    rows = StudyDB(db).connect().execute("SELECT id FROM models ORDER BY id").fetchall()
    return [r[0] for r in rows]


def test_cross_origin_link_is_not_followed(
    servers: tuple[Recorder, Recorder], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, other = servers
    other.pages["/api/models"] = (_page("evil/model"), None)
    home.pages["/api/models"] = (_page("org/a", "org/b"), f"{other.origin}/api/models?page=2")
    code, err, db = _crawl(tmp_path, home.origin, capsys)
    assert code == 0
    assert home.requests and all(auth == f"Bearer {TOKEN}" for _, auth in home.requests)
    assert not [auth for _, auth in other.requests if auth and TOKEN in auth]
    assert other.requests == []  # "not followed": the other origin hears nothing at all
    assert "another origin" in err and "not followed" in err
    assert _ids(db) == ["org/a", "org/b"]
    # The crawl is complete: a rerun writes nothing and asks nobody.
    before = len(home.requests)
    assert _crawl(tmp_path, home.origin, capsys)[0] == 0
    assert len(home.requests) == before and other.requests == []


def test_self_link_ends(
    servers: tuple[Recorder, Recorder], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, _ = servers
    first = "/api/models?full=true&cardData=true&sort=id&direction=1"
    home.pages["/api/models"] = (_page("org/a"), f"{home.origin}{first}")
    code, err, db = _crawl(tmp_path, home.origin, capsys)
    assert code == 0 and len(_listing_requests(home)) == 1
    assert "already crawled" in err
    assert _ids(db) == ["org/a"]


def test_two_page_cycle_ends(
    servers: tuple[Recorder, Recorder], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, _ = servers
    first = "/api/models?full=true&cardData=true&sort=id&direction=1"
    home.pages["/api/models"] = (_page("org/a"), "/page2?cursor=x")  # a relative link
    home.pages["/page2"] = (_page("org/b"), first)
    code, err, db = _crawl(tmp_path, home.origin, capsys)
    assert code == 0 and len(_listing_requests(home)) == 2
    assert "already crawled" in err
    assert _ids(db) == ["org/a", "org/b"]


def test_repeated_content_under_fresh_urls_ends(
    servers: tuple[Recorder, Recorder], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, _ = servers

    class Cursor(dict[str, tuple[str, str | None]]):
        """Every page the same listing, each with a new cursor: only content shows the loop."""

        def get(self, key: str, default: object = None) -> tuple[str, str | None]:  # type: ignore[override]
            return _page("org/a"), f"/api/models?cursor={len(_listing_requests(home))}"

    home.pages = Cursor()
    code, err, db = _crawl(tmp_path, home.origin, capsys)
    assert code == 0 and len(_listing_requests(home)) == 2  # the second page repeats the first
    assert "repeats an earlier page" in err
    assert _ids(db) == ["org/a"]


def test_crawl_page_with_malformed_records(
    servers: tuple[Recorder, Recorder], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, _ = servers
    body = (
        '[{"id": "org/a", "downloads": 3}, {"id": "org/inf", "downloads": 1e400}, [1, 2], "x", '
        f'{{"id": "org/deep", "cardData": {DEEP}}}, {{"id": "org/b", "siblings": 5, '
        '"pipeline_tag": {"x": 1}, "config": [1]}, {"id": "org/big", "likes": 1' + "0" * 30 + "}, "
        '{"id": "org/c", "cardData": {"model-index": [{"name": "m", "results": [{"task": '
        '{"type": "fill-mask"}, "dataset": {"name": "d", "type": "d"}, "metrics": '
        '[{"type": "accuracy", "value": NaN}, {"type": "f1", "value": 1e400}]}]}]}}]'
    )
    home.pages["/api/models"] = (body, None)
    code, err, db = _crawl(tmp_path, home.origin, capsys)
    assert code == 0
    assert "skipped 5 malformed listing records (2 not objects, 1 too deep, 2 overflow)" in err
    assert _ids(db) == ["org/a", "org/b", "org/c"]


def _write_sources(tmp_path: Path) -> dict[str, Path]:
    good = [{"id": "org/a", "downloads": 5}, {"id": "org/b", "likes": 2}]
    lines = [json.dumps(r) for r in good] + [
        '{"id": "org/inf", "downloads": 1e400}',
        '{"id": "org/nan", "downloads": NaN}',  # missing, as in tables
        '{"id": "org/nancard", "cardData": {"m": [NaN, 1e400]}}',  # the Hub answers NaN there
        "[1, 2]",
        '"text"',
        "null",
        DEEP,
        '{"id": "org/deep", "x": ' + "[" * 100 + "]" * 100 + "}",
        '{"id": "org/huge", "likes": 1' + "0" * 5000 + "}",
        '{"id": "org/trunc',
    ]
    jsonl = tmp_path / "listing.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    as_list = tmp_path / "listing.json"
    as_list.write_text("[" + ", ".join(line for line in lines if line != '{"id": "org/trunc') + "]")
    csv = tmp_path / "listing.csv"
    csv.write_text(
        "model_id,downloads,likes\norg/a,5,\norg/b,,2\norg/inf,1e400,1\n"
        "org/big,99999999999999999999999,1\norg/nan,nan,1\n"
    )
    parquet = tmp_path / "listing.parquet"
    pq.write_table(
        pa.table(
            {
                "model_id": ["org/a", "org/b", "org/inf", "org/nan"],
                "downloads": [5.0, None, float("inf"), float("nan")],
            }
        ),
        parquet,
    )
    return {"jsonl": jsonl, "json": as_list, "csv": csv, "parquet": parquet}


@pytest.mark.parametrize(
    ("kind", "warning", "ids"),
    [
        (
            "jsonl",
            "skipped 8 malformed listing records (1 not JSON, 3 not objects, 2 too deep, 2 overflow)",
            ["org/a", "org/b", "org/nan", "org/nancard"],
        ),
        (
            "json",
            "skipped 7 malformed listing records (3 not objects, 2 too deep, 2 overflow)",
            ["org/a", "org/b", "org/nan", "org/nancard"],
        ),
        # Tables: NaN is pandas' and Parquet's "missing", kept as NULL; infinities overflow.
        ("csv", "skipped 2 malformed listing records (2 overflow)", ["org/a", "org/b", "org/nan"]),
        (
            "parquet",
            "skipped 1 malformed listing record (1 overflow)",
            ["org/a", "org/b", "org/nan"],
        ),
    ],
)
def test_malformed_listing_records_are_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, warning: str, ids: list[str]
) -> None:
    source = _write_sources(tmp_path)[kind]
    db = tmp_path / "db"
    assert main(["study", "ingest", "--db", str(db), str(source)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert f"ptmscope: warning: {warning} in {source}" in err
    assert _ids(db) == ids


def test_a_file_that_is_not_json_lines_stays_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "notes.jsonl"
    source.write_text("hello\nworld\n")
    assert main(["study", "ingest", "--db", str(tmp_path / "db"), str(source)]) == 2
    assert "unreadable study source" in capsys.readouterr().err


def test_parse_list_splits_only_on_top_level_commas() -> None:
    text = '[{"id": "a/b", "s": "[[,]] \\" {"}, ' + DEEP + ', {"id": "c/d"}]'
    records, skipped = listing.parse_list(text)
    assert [r["id"] for r in records] == ["a/b", "c/d"]
    assert records[0]["s"] == '[[,]] " {'
    assert skipped == {listing.TOO_DEEP: 1}
    with pytest.raises(ValueError):
        listing.parse_list('{"id": "a/b"}')
    with pytest.raises(ValueError):
        listing.parse_list("[" + DEEP)


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("http://127.0.0.1:8000/api/models?p=2", True),
        ("http://127.0.0.1:8001/api/models", False),
        ("https://127.0.0.1:8000/api/models", False),
        ("http://localhost:8000/api/models", False),
        ("http://127.0.0.1:8000@evil.example/api/models", False),
        ("//evil.example/api/models", False),
    ],
)
def test_same_origin(url: str, same: bool) -> None:
    assert same_origin("http://127.0.0.1:8000", url) is same


def test_https_upgrade_on_the_same_host_keeps_the_token() -> None:
    assert same_origin("http://hub.example", "https://hub.example/api/models?p=2")
    assert not same_origin("https://hub.example", "http://hub.example/api/models?p=2")
