"""``/badge/{owner}/{name}.svg|.json`` on a real ``registry serve`` (127.0.0.1): valid SVG
with the audited commit and date in its title, colours by verdict, shields.io endpoint
JSON, ETag/304, and a grey "stale" badge while a newly pushed commit is audited."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from ptmscope.formats.schemas import load
from ptmscope.registry.badges import BADGE_MAX_AGE_S, COLORS
from tests.conftest import FULL_CARD, git, write_safetensors
from tests.registry.conftest import Server, build_root
from tests.registry.test_scorecards import get, get_json

SVG = "{http://www.w3.org/2000/svg}"
SCHEMA = load("scorecard.schema.json")
STALE_WAIT_S = 60
"""Bound on polling for a state a correct server reaches in a few seconds (refs are
re-read every 2 s; a small package is audited in well under a second)."""


def svg(server: Server, path: str) -> tuple[ET.Element, dict[str, str]]:
    status, headers, body = get(server, path)
    assert status == 200, body[:300]
    assert headers["content-type"].startswith("image/svg+xml")
    return ET.fromstring(body), headers


def texts(tree: ET.Element) -> list[str]:
    return [t.text or "" for t in tree.iter(f"{SVG}text")]


def title(tree: ET.Element) -> str:
    found = tree.find(f"{SVG}title")
    assert found is not None
    return found.text or ""


def message_fill(tree: ET.Element) -> str:
    rects = [r for r in tree.iter(f"{SVG}rect") if r.get("x")]
    assert len(rects) == 1
    return rects[0].get("fill") or ""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = build_root(tmp_path_factory.mktemp("badges") / "root")
    work = built / "acme" / "live"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text(FULL_CARD)
    write_safetensors(work / "model.safetensors")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    return built


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[Server]:
    running = Server(root)
    yield running
    running.stop()


def test_the_overall_badge_is_valid_svg_naming_the_audited_commit_and_date(
    server: Server,
) -> None:
    card = get_json(server, "/api/v1/scorecards/acme/tiny")
    tree, headers = svg(server, "/badge/acme/tiny.svg")
    assert tree.tag == f"{SVG}svg"
    commit, date = card["repo"]["commit"], card["date"][:10]
    assert f"acme/tiny@{commit[:7]}" in title(tree) and date in title(tree)
    assert texts(tree)[1] == "ptmscope"
    assert f"{card['score']:.1f}/10 {card['verdict']}" in texts(tree)
    assert card["verdict"] == "pass" and message_fill(tree) in (COLORS["brightgreen"],
                                                               COLORS["yellow"])  # fmt: skip
    assert headers["cache-control"] == f"max-age={BADGE_MAX_AGE_S}"
    assert tree.find(f"{SVG}linearGradient") is not None  # flat
    assert tree.find(f"{SVG}clipPath/{SVG}rect").get("rx") == "3"  # type: ignore[union-attr]
    assert tree.get("aria-label") == f"ptmscope: {card['score']:.1f}/10 {card['verdict']}"


def test_flat_square_and_check_badges_show_the_checked_thing(server: Server) -> None:
    tree, _ = svg(server, "/badge/evil/zip.svg?check=scan&style=flat-square")
    assert texts(tree)[1::2] == ["scan", "malicious"]
    assert message_fill(tree) == COLORS["red"]
    assert tree.find(f"{SVG}linearGradient") is None
    assert tree.find(f"{SVG}clipPath/{SVG}rect").get("rx") == "0"  # type: ignore[union-attr]
    tree, _ = svg(server, "/badge/evil/zip.svg?check=risk.malicious_serialization")
    assert texts(tree)[3].startswith("detected")
    assert message_fill(tree) == COLORS["red"]
    tree, _ = svg(server, "/badge/evil/zip.svg")
    assert "fail" in texts(tree)[3] and message_fill(tree) == COLORS["red"]
    tree, _ = svg(server, "/badge/acme/tiny.svg?check=portability")
    assert texts(tree)[1] == "portability" and re.fullmatch(r"\d+\.\d/10", texts(tree)[3])
    tree, _ = svg(server, "/badge/acme/tiny.svg?check=policy")
    assert texts(tree)[3] == "no policy" and message_fill(tree) == COLORS["lightgrey"]


def test_the_json_badge_is_a_shields_endpoint_and_revalidates_with_etag(server: Server) -> None:
    status, headers, body = get(server, "/badge/evil/zip.json?check=scan")
    assert status == 200
    data = json.loads(body)
    jsonschema.Draft202012Validator({**SCHEMA, "$ref": "#/$defs/badge_endpoint"}).validate(data)
    assert (data["schemaVersion"], data["label"], data["message"], data["color"]) == (
        1, "scan", "malicious", "red",
    )  # fmt: skip
    assert data["cacheSeconds"] == BADGE_MAX_AGE_S
    status, again, empty = get(
        server, "/badge/evil/zip.json?check=scan", {"If-None-Match": headers["etag"]}
    )
    assert (status, empty) == (304, b"")
    assert again["cache-control"] == f"max-age={BADGE_MAX_AGE_S}"


def test_bad_badge_requests_are_clear_errors(server: Server) -> None:
    for path, status in (
        ("/badge/acme/tiny.svg?style=plastic", 400),
        ("/badge/acme/tiny.svg?check=nonsense", 400),
        ("/badge/acme/tiny.png", 404),
        ("/badge/acme/nothing.svg", 404),
    ):
        code, _, body = get(server, path)
        assert code == status, path
        assert json.loads(body)["error"]


def test_a_new_commit_makes_the_badge_stale_until_it_is_audited(server: Server, root: Path) -> None:
    tree, _ = svg(server, "/badge/acme/live.svg")
    first = get_json(server, "/api/v1/scorecards/acme/live")["repo"]["commit"]
    assert f"@{first[:7]}" in title(tree)
    work = root / "acme" / "live"
    (work / "README.md").write_text("---\nlicense: mit\n---\n# v2\n")
    git(work, "commit", "-qam", "second")
    second = git(work, "rev-parse", "HEAD")
    deadline = time.monotonic() + STALE_WAIT_S
    seen: list[str] = []
    fresh = None
    while time.monotonic() < deadline:
        tree, headers = svg(server, "/badge/acme/live.svg")
        seen.append(texts(tree)[3])
        if texts(tree)[3] == "stale":
            assert message_fill(tree) == COLORS["lightgrey"]
            assert first[:7] in title(tree) and second[:7] in title(tree)
            assert headers["cache-control"] == "no-cache"
        elif f"@{second[:7]}" in title(tree):
            fresh = tree
            break
        time.sleep(0.05)
    assert "stale" in seen, seen  # the first answer after the push, before any audit of it
    assert fresh is not None, seen
    assert message_fill(fresh) != COLORS["lightgrey"]
    history = get_json(server, "/api/v1/scorecards/acme/live/history", "history")
    assert [e["commit"] for e in history["history"]] == [first, second]
