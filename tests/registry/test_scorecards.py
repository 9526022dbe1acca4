"""``/api/v1/scorecards/…`` on a real ``registry serve`` (127.0.0.1): the Scorecard shape,
audits cached by commit, ETag/304, a history that survives a restart, and diffs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ptmscope.formats.schemas import load
from ptmscope.registry.scorecards import HISTORY_FILE
from tests.conftest import FULL_CARD, git, write_safetensors
from tests.registry.conftest import Server, build_root
from tests.scan import builders as b

SCHEMA = load("scorecard.schema.json")
POLICY = "version: 1\nchecks:\n  risk.malicious_serialization: {outcome: clear}\n"


def valid(data: Any, part: str = "scorecard") -> Any:
    jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{part}"}).validate(data)
    return data


def get(
    server: Server, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.endpoint + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(server: Server, path: str, part: str = "scorecard", status: int = 200) -> Any:
    code, _, body = get(server, path)
    assert code == status, body[:500]
    return valid(json.loads(body), part)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry's packages, and ``acme/evolving``: v1 has a card and safetensors only,
    main drops the licence and adds a malicious pickle (a factor flips, risks appear)."""
    built = build_root(tmp_path_factory.mktemp("scorecards") / "root")
    work = built / "acme" / "evolving"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text(FULL_CARD)
    write_safetensors(work / "model.safetensors")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    git(work, "tag", "v1")
    (work / "README.md").write_text("---\npipeline_tag: text-classification\n---\n# v2\n")
    b.write_torch_zip(work / "pytorch_model.bin", built.parent / "MARKER")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "second")
    return built


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[Server]:
    running = Server(root)
    yield running
    running.stop()


def test_a_scorecard_has_the_scorecard_shape_and_names_the_served_commit(server: Server) -> None:
    card = get_json(server, "/api/v1/scorecards/acme/tiny")
    _, _, info = get(server, "/api/models/acme/tiny")
    assert card["repo"] == {"name": "acme/tiny", "commit": json.loads(info)["sha"]}
    assert {"date", "scorecard", "score", "coverage", "checks"} <= card.keys()
    assert 0 <= card["score"] <= 10 and card["checks"]
    assert {c["name"] for c in card["checks"]} >= {"portability.license", "risk.remote_code"}
    assert card["policy"] is None  # no --policy: no decision, but a scorecard all the same
    assert {s["path"] for s in card["scans"]} >= {"model.safetensors", "README.md"}


def test_a_warm_request_is_not_audited_again_and_answers_304_to_its_etag(
    server: Server, root: Path
) -> None:
    status, headers, body = get(server, "/api/v1/scorecards/acme/bare")
    assert status == 200
    history = root / ".ptmscope" / HISTORY_FILE
    lines = history.read_text().count("acme/bare")
    status2, headers2, body2 = get(server, "/api/v1/scorecards/acme/bare")
    # the same audit (its date is when it ran), the same bytes, the same tag, no new record
    assert (status2, body2, headers2["etag"]) == (200, body, headers["etag"])
    assert history.read_text().count("acme/bare") == lines == 1
    assert headers["cache-control"] == "no-cache"
    status, again, empty = get(
        server, "/api/v1/scorecards/acme/bare", {"If-None-Match": headers["etag"]}
    )
    assert (status, empty, again["etag"]) == (304, b"", headers["etag"])
    status, _, _ = get(server, "/api/v1/scorecards/acme/bare", {"If-None-Match": '"other"'})
    assert status == 200


def test_a_revision_is_audited_by_commit(server: Server) -> None:
    by_tag = get_json(server, "/api/v1/scorecards/acme/history?revision=v1")
    by_sha = get_json(
        server, f"/api/v1/scorecards/acme/history?revision={by_tag['repo']['commit']}"
    )
    main = get_json(server, "/api/v1/scorecards/acme/history")
    assert by_tag == by_sha  # one audit per commit, whichever name asked for it
    assert main["repo"]["commit"] != by_tag["repo"]["commit"]


def test_history_lists_every_audited_commit_and_survives_a_restart(
    server: Server, root: Path, make_server: Callable[..., Server]
) -> None:
    v1 = get_json(server, "/api/v1/scorecards/acme/evolving?revision=v1")
    main = get_json(server, "/api/v1/scorecards/acme/evolving")
    history = get_json(server, "/api/v1/scorecards/acme/evolving/history", "history")
    entries = {e["commit"]: e for e in history["history"]}
    assert set(entries) == {v1["repo"]["commit"], main["repo"]["commit"]}
    assert entries[v1["repo"]["commit"]]["score"] == v1["score"]
    assert entries[main["repo"]["commit"]]["date"] == main["date"]
    assert history["served_commit"] == main["repo"]["commit"]
    restarted = make_server(root)
    again = get_json(restarted, "/api/v1/scorecards/acme/evolving/history", "history")
    assert again["history"] == history["history"]


def test_the_diff_names_what_changed_between_two_commits(server: Server) -> None:
    diff = get_json(server, "/api/v1/scorecards/acme/evolving/diff?from=v1&to=main", "diff")
    changed = {c["name"]: c for c in diff["checks"]}
    assert changed["portability.license"]["from"]["outcome"] == "present"
    assert changed["portability.license"]["to"]["outcome"] == "missing"
    appeared = {r["probe"] for r in diff["risks"]["appeared"]}
    assert {"risk.malicious_serialization", "risk.license"} <= appeared
    assert {"path": "pytorch_model.bin", "from": None, "to": "malicious"} in diff["scans"]
    assert diff["score_delta"] is not None and diff["score_delta"] < 0


def test_bad_requests_get_one_clear_json_error(server: Server) -> None:
    for path, status in (
        ("/api/v1/scorecards/acme/nothing", 404),
        ("/api/v1/scorecards/acme/tiny?revision=nope", 404),
        ("/api/v1/scorecards/acme/tiny/diff?from=main", 400),
        ("/api/v1/scorecards/acme/tiny/other", 404),
        ("/api/v1/scorecards/acme", 404),
    ):
        error = get_json(server, path, "error", status)
        assert error["error"]


def test_with_a_gateway_a_denied_revision_has_a_scorecard_but_no_bytes(
    root: Path, tmp_path: Path, make_server: Callable[..., Server]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    gateway = make_server(root, "--policy", str(policy), "--audit-log", str(tmp_path / "a.jsonl"))
    card = get_json(gateway, "/api/v1/scorecards/evil/zip")
    assert card["policy"]["decision"] == "deny" and card["policy"]["enforced"] is True
    assert any(r["probe"] == "risk.malicious_serialization" for r in card["risks"])
    status, _, _ = get(gateway, "/evil/zip/resolve/main/pytorch_model.bin")
    assert status == 403
    allowed = get_json(gateway, "/api/v1/scorecards/acme/tiny")
    assert allowed["policy"]["decision"] == "allow"
    # the history sits beside the gateway's log
    assert "evil/zip" in (tmp_path / HISTORY_FILE).read_text()
    assert not (root.parent / "MARKER").exists()
