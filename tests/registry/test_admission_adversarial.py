"""Adversarial review of the admission-policy gateway (issue 15): where it fails open.

Every case is a real ``registry serve --policy`` on 127.0.0.1, driven by the real ``git``
client or raw HTTP, with tiny packages and inert payloads (a pickle that would create a
marker file; no test loads one). Cases marked ``xfail(strict=True)`` are open problems
found by this review: each passes once the gateway is fixed (and then must lose its mark).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import git, write_safetensors
from tests.registry.conftest import Server
from tests.scan import builders as b

pytestmark = pytest.mark.adversarial

POLICY = """\
version: 1
rules:
  - id: blocklist
    when: 'audit.package.name in ["acme/blocked"]'
    action: deny
    reason: this repository is on the team's blocklist
templates:
  licenses: {deny: [cc-by-nc-4.0]}
"""

STRICT = """\
version: 1
templates:
  cooldown_days: 3              # nothing published in the last three days
  formats: [safetensors]
"""

NC = "cc-by-nc-4.0"


def _card(licence: str, base: str | list[str] | None = None) -> str:
    lines = [f"license: {licence}"]
    if isinstance(base, list):
        lines.append("base_model:")
        lines += [f"  - {item}" for item in base]
    elif base:
        lines.append(f"base_model: {base}")
    return "---\n" + "\n".join(lines) + "\n---\n# model\n"


def _folder(root: Path, repo: str, licence: str, base: str | list[str] | None = None) -> Path:
    folder = root / repo
    write_safetensors(folder / "model.safetensors", tensors=1)
    (folder / "README.md").write_text(_card(licence, base))
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("admission-adv")
    root = base / "root"
    marker = base / "MARKER"

    # A repository whose malicious commit was force-pushed away: no ref reaches it, but
    # its objects are still in the repository (as after any reset, amend or force push).
    forced = root / "acme" / "forced"
    _folder(root, "acme/forced", "apache-2.0")
    git(forced, "init", "-q", "-b", "main")
    git(forced, "add", "-A")
    git(forced, "commit", "-q", "-m", "clean")
    (forced / "evil.pkl").write_bytes(b.canary_pickle(marker))
    git(forced, "add", "-A")
    git(forced, "commit", "-q", "-m", "oops")
    evil_sha = git(forced, "rev-parse", "HEAD")
    git(forced, "reset", "-q", "--hard", "HEAD~1")
    (base / "evil_sha").write_text(evil_sha)

    # A blocklisted repository, stored bare as ``blocked.git`` (what a mirror holds).
    work = base / "blocked-work"
    _folder(base, "blocked-work", "apache-2.0")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "model")
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(root / "acme" / "blocked.git")],
        check=True,
    )

    # Lineage: a merge of two base models, the second non-commercial.
    _folder(root, "acme/ok-base", "apache-2.0")
    _folder(root, "acme/nc-base", NC)
    _folder(root, "acme/merged", "apache-2.0", ["acme/ok-base", "acme/nc-base"])
    # A fine-tune chain seven deep whose root is non-commercial.
    _folder(root, "acme/chain7", NC)
    for depth in range(6, -1, -1):
        _folder(root, f"acme/chain{depth}", "apache-2.0", f"acme/chain{depth + 1}")
    # A base model relicensed after its fine-tune was judged.
    _folder(root, "acme/relicensed", "apache-2.0")
    _folder(root, "acme/tuned", "apache-2.0", "acme/relicensed")
    # Lineages that loop, point at themselves, leave the namespace, pin a commit or
    # change the case of a non-commercial base model's id (the Hub's ids ignore case).
    _folder(root, "acme/loop-a", "apache-2.0", "acme/loop-b")
    _folder(root, "acme/loop-b", "apache-2.0", "acme/loop-a")
    _folder(root, "acme/self", "apache-2.0", "acme/self")
    _folder(root, "acme/dotdot", "apache-2.0", "../acme/nc-base")
    _folder(root, "acme/pinned", "apache-2.0", "acme/nc-base@" + "0" * 40)
    _folder(root, "acme/loud", "apache-2.0", "ACME/NC-BASE")
    # A plain allowed package and a denied one (non-commercial itself).
    _folder(root, "acme/nc", NC)

    # The content floor: a malicious pickle in an otherwise allowed package.
    floor = root / "acme" / "floor"
    _folder(root, "acme/floor", "apache-2.0")
    (floor / "extra.pkl").write_bytes(b.canary_pickle(marker))

    # A git package published now with commits dated years ago.
    backdated = root / "acme" / "backdated"
    _folder(root, "acme/backdated", "apache-2.0")
    old = {"GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z"}
    git(backdated, "init", "-q", "-b", "main")
    git(backdated, "add", "-A")
    git(backdated, "commit", "-q", "-m", "published today, dated 2020", env=old)
    # A folder package copied in now, its files' times kept (cp -p, rsync -a, tar x).
    for item in _folder(root, "acme/old-times", "apache-2.0").iterdir():
        os.utime(item, (1577836800, 1577836800))  # 2020-01-01
    # A file name carrying Unicode line separators, quoted in a decision's evidence.
    named = _folder(root, "acme/named", "apache-2.0")
    (named / "a\u2028b\u2029c\x85d.bin").write_bytes(b.canary_pickle(marker))

    policy = base / "policy.yaml"
    policy.write_text(POLICY)
    strict = base / "strict.yaml"
    strict.write_text(STRICT)
    return {"base": base, "root": root, "policy": policy, "marker": marker, "strict": strict}


@pytest.fixture(scope="module")
def enforcing(world: dict[str, Path]) -> Iterator[Server]:
    log = world["base"] / "enforcing.jsonl"
    server = Server(world["root"], "--policy", str(world["policy"]), "--audit-log", str(log))
    yield server
    server.stop()
    assert not world["marker"].exists()


@pytest.fixture(scope="module")
def dry_run(world: dict[str, Path]) -> Iterator[Server]:
    log = world["base"] / "dry.jsonl"
    server = Server(
        world["root"], "--policy", str(world["policy"]), "--dry-run", "--audit-log", str(log)
    )
    yield server
    server.stop()
    assert not world["marker"].exists()


@pytest.fixture(scope="module")
def strict(world: dict[str, Path]) -> Iterator[Server]:
    log = world["base"] / "strict.jsonl"
    server = Server(world["root"], "--policy", str(world["strict"]), "--audit-log", str(log))
    yield server
    server.stop()
    assert not world["marker"].exists()


def _get(server: Server, path: str, method: str = "GET", **headers: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)})
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


# --------------------------------------------------------------------------- git


@pytest.mark.parametrize("version", [2])
def test_a_force_pushed_away_commit_cannot_be_fetched_by_sha(
    enforcing: Server, world: dict[str, Path], tmp_path: Path, version: int
) -> None:
    """The repository stores a malicious blob no ref reaches; protocol v2 would serve it on
    request, so every stored object is judged: the clone itself is refused, saying why."""
    evil = (world["base"] / "evil_sha").read_text()
    clone = tmp_path / "clone"
    done = _git(tmp_path, "-c", f"protocol.version={version}", "clone", "-q",
                f"{enforcing.endpoint}/acme/forced", str(clone))  # fmt: skip
    assert done.returncode != 0 and "stored unreachable" in done.stderr, done.stderr
    _git(tmp_path, "init", "-q", str(clone))
    fetched = _git(clone, "-c", f"protocol.version={version}", "fetch", "-q",
                   f"{enforcing.endpoint}/acme/forced", evil)  # fmt: skip
    shown = _git(clone, "cat-file", "-e", f"{evil}:evil.pkl")
    assert shown.returncode != 0, "the malicious pickle of an unreachable commit was served"
    assert fetched.returncode != 0


def test_protocol_v0_refuses_a_want_of_an_unadvertised_commit(
    enforcing: Server, world: dict[str, Path], tmp_path: Path
) -> None:
    """What holds: protocol v0/v1 upload-pack checks wants against the advertised tips."""
    evil = (world["base"] / "evil_sha").read_text()
    clone = tmp_path / "clone"
    _git(tmp_path, "init", "-q", str(clone))
    fetched = _git(clone, "-c", "protocol.version=0", "fetch", "-q",
                   f"{enforcing.endpoint}/acme/forced", evil)  # fmt: skip
    assert fetched.returncode != 0
    assert _git(clone, "cat-file", "-e", f"{evil}:evil.pkl").returncode != 0


# --------------------------------------------------------------------------- names


def test_a_blocklisted_repository_is_refused(enforcing: Server) -> None:
    status, body = _get(enforcing, "/acme/blocked/resolve/main/config.json")
    assert status == 403 and b"blocklist" in body


def test_the_git_suffix_is_not_another_name_for_a_refused_repository(enforcing: Server) -> None:
    status, body = _get(enforcing, "/acme/blocked.git/resolve/main/config.json")
    assert status != 200, body
    status, body = _get(enforcing, "/api/models/acme/blocked.git")
    info = json.loads(body) if status == 200 else {}
    assert info.get("id") in (None, "acme/blocked")


@pytest.mark.parametrize(
    "path",
    [
        "/ACME/blocked/resolve/main/config.json",
        "/acme/BLOCKED/resolve/main/config.json",
        "/acme%2Fblocked/x/resolve/main/config.json",
        "/acme/blocked%2F/resolve/main/config.json",
        "/acme/blocked/resolve/main/./config.json",
        "/acme/blocked/resolve/main//config.json",
        "/acme/./blocked/resolve/main/config.json",
    ],
)
def test_name_variations_of_a_refused_repository_serve_nothing(
    enforcing: Server, path: str
) -> None:
    status, _ = _get(enforcing, path)
    assert status in (403, 404)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("ref", ["main", "{sha}", "{short}"])
def test_a_denied_revision_refuses_every_way_to_its_bytes(
    enforcing: Server, method: str, ref: str
) -> None:
    status, body = _get(enforcing, "/api/models/acme/nc")
    sha = json.loads(body)["sha"]
    ref = ref.format(sha=sha, short=sha[:12])
    for extra in ({}, {"Range": "bytes=0-7"}, {"Range": "bytes=-4"}):
        status, _ = _get(enforcing, f"/acme/nc/resolve/{ref}/model.safetensors", method, **extra)
        # a folder revision is named by its full id only: a short one is not found
        assert status == 403 or (status == 404 and ref != sha and ref != "main"), (ref, extra)


# --------------------------------------------------------------------------- lineage


def test_every_parent_of_a_merged_model_is_judged(enforcing: Server) -> None:
    status, body = _get(enforcing, "/acme/merged/resolve/main/config.json")
    assert status == 403, body
    assert b"acme/nc-base" in body


def test_a_long_lineage_does_not_hide_a_denied_root(enforcing: Server) -> None:
    status, body = _get(enforcing, "/acme/chain0/resolve/main/config.json")
    assert status == 403, body


def test_a_short_lineage_is_judged(enforcing: Server) -> None:
    """What holds: four fine-tunes up (depth 5) the root's licence is judged."""
    status, body = _get(enforcing, "/acme/chain2/resolve/main/config.json")
    assert status == 403 and b"acme/chain7" in body


@pytest.mark.parametrize(
    ("repo", "expected"),
    [("acme/loop-a", 200), ("acme/self", 200), ("acme/dotdot", 200), ("acme/pinned", 403)],
)
def test_odd_lineages_are_decided_without_hanging(
    enforcing: Server, repo: str, expected: int
) -> None:
    """What holds: loops and self-references end the walk, a path is no model id (unknown,
    not judged, as documented), and a pinned ``owner/name@sha`` is judged by its name."""
    status, body = _get(enforcing, f"/{repo}/resolve/main/config.json")
    assert status == expected, body


def test_a_base_model_named_in_another_case_is_judged(enforcing: Server) -> None:
    status, body = _get(enforcing, "/acme/loud/resolve/main/config.json")
    assert status == 403, body


def test_a_base_model_relicensed_after_judging_is_judged_again(
    enforcing: Server, world: dict[str, Path]
) -> None:
    status, body = _get(enforcing, "/acme/tuned/resolve/main/config.json")
    assert status == 200, body
    card = world["root"] / "acme" / "relicensed" / "README.md"
    card.write_text(_card(NC))
    time.sleep(2.5)  # past the registry's refs cache (store._REF_TTL, 2 s)
    status, body = _get(enforcing, "/api/models/acme/relicensed")
    relicensed = json.loads(body)["securityRepoStatus"]["policyDecision"]
    assert relicensed["decision"] == "deny"  # the mirror read the new card
    status, body = _get(enforcing, "/acme/tuned/resolve/main/config.json")
    assert status == 403, body


# --------------------------------------------------------------------------- metadata


def test_model_info_of_a_denied_revision_carries_no_refused_file_content(
    enforcing: Server,
) -> None:
    status, body = _get(enforcing, "/acme/nc/resolve/main/README.md")
    assert status == 403
    status, body = _get(enforcing, "/api/models/acme/nc")
    info = json.loads(body)
    assert info["securityRepoStatus"]["policyDecision"]["decision"] == "deny"
    assert "cardData" not in info and "config" not in info


# --------------------------------------------------------------------------- dry run


def test_dry_run_still_refuses_the_content_floor(dry_run: Server) -> None:
    """What holds: a dry run serves denied revisions but never malicious files."""
    status, _ = _get(dry_run, "/acme/nc/resolve/main/model.safetensors")
    assert status == 200
    for method in ("GET", "HEAD"):
        status, body = _get(dry_run, "/acme/floor/resolve/main/extra.pkl", method)
        assert status == 403, body


# --------------------------------------------------------------------------- dates and log


@pytest.mark.parametrize("repo", ["acme/backdated", "acme/old-times"])
def test_cooldown_is_not_passed_by_backdated_dates(strict: Server, repo: str) -> None:
    status, body = _get(strict, f"/{repo}/resolve/main/config.json")
    assert status == 403, body


def test_cooldown_refuses_a_fresh_folder(strict: Server) -> None:
    """What holds: a folder written just now is younger than the cooldown."""
    status, body = _get(strict, "/acme/ok-base/resolve/main/config.json")
    assert status == 403 and b"younger than 3 days" in body


def test_each_log_record_is_one_line_whatever_the_file_names(
    strict: Server, world: dict[str, Path]
) -> None:
    status, body = _get(strict, "/acme/named/resolve/main/config.json")
    assert status == 403 and b"formats" in body
    text = (world["base"] / "strict.jsonl").read_text("utf-8")
    assert text.count("\n") == len(text.splitlines())
    for line in text.splitlines():
        json.loads(line)


def test_a_cooldown_denial_expires(
    world: dict[str, Path], make_server: Callable[..., Server], tmp_path: Path
) -> None:
    policy = tmp_path / "brief.yaml"
    policy.write_text("version: 1\ntemplates:\n  cooldown_days: 0.0001  # about 9 s\n")
    _folder(tmp_path / "root", "acme/young", "apache-2.0")
    server = make_server(tmp_path / "root", "--policy", str(policy),
                         "--audit-log", str(tmp_path / "log.jsonl"))  # fmt: skip
    status, _ = _get(server, "/acme/young/resolve/main/config.json")
    assert status == 403  # judged within seconds of being written
    time.sleep(10)
    status, body = _get(server, "/acme/young/resolve/main/config.json")
    assert status == 200, body
