"""Hostile requests: traversal, encoded slashes, symlinks, bad ranges, huge paths, floods."""

from __future__ import annotations

import http.client
import os
from pathlib import Path

import pytest

from tests.registry.conftest import Server, build_root, run_cli


def _get(
    server: Server, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
    for key, value in (headers or {}).items():
        connection.putheader(key, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    return response


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("hostile")
    root = build_root(base / "root")
    secret = base / "secret.txt"
    secret.write_text("top secret")
    os.symlink(secret, root / "acme" / "tiny" / "leak.txt")
    os.symlink(base, root / "acme" / "linked")
    return root, secret


@pytest.fixture(scope="module")
def hostile_server(hostile: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    running = Server(hostile[0])
    yield running
    running.stop()


@pytest.mark.parametrize(
    "path",
    [
        "/acme/tiny/resolve/main/../../../secret.txt",
        "/acme/tiny/resolve/main/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/acme/tiny/resolve/main/..%2f..%2f..%2fsecret.txt",
        "/..%2f..%2f/secret.txt/resolve/main/x",
        "/acme/..%2f..%2fsecret.txt/resolve/main/x",
        "/acme/tiny/resolve/main/leak.txt",
        "/acme/linked/resolve/main/secret.txt",
        "/acme/tiny/resolve/main/%00",
        "/api/models/acme/..%2F..%2F",
        "/api/models/../../etc",
    ],
)
def test_no_path_escapes_root(hostile_server: Server, path: str) -> None:
    response = _get(hostile_server, path)
    assert response.status in (400, 404), (path, response.status)


def test_ranges(hostile_server: Server, hostile: tuple[Path, Path]) -> None:
    data = (hostile[0] / "acme" / "tiny" / "config.json").read_bytes()
    ok = _get(hostile_server, "/acme/tiny/resolve/main/config.json", {"Range": "bytes=2-5"})
    assert ok.status == 206 and ok.getheader("Content-Range") == f"bytes 2-5/{len(data)}"
    tail = _get(hostile_server, "/acme/tiny/resolve/main/config.json", {"Range": "bytes=-3"})
    assert tail.status == 206 and tail.getheader("Content-Length") == "3"
    for bad in (
        "bytes=abc",
        "bytes=10-5",
        f"bytes={len(data) + 10}-",
        "bytes=0-1,4-5",
        "items=0-1",
        "bytes=-0",
    ):
        response = _get(hostile_server, "/acme/tiny/resolve/main/config.json", {"Range": bad})
        assert response.status == 416, bad
        assert response.getheader("Content-Range") == f"bytes */{len(data)}"
    head = _get(hostile_server, "/acme/tiny/resolve/main/config.json", method="HEAD")
    assert head.status == 200 and head.getheader("Content-Length") == str(len(data))
    assert head.getheader("X-Repo-Commit") and head.getheader("ETag")


def test_huge_and_odd_requests(hostile_server: Server) -> None:
    assert _get(hostile_server, "/acme/tiny/resolve/main/" + "a" * 10_000).status in (414, 431, 400)
    assert _get(hostile_server, "/api/models?cursor=-5&limit=notanumber").status == 200
    assert _get(hostile_server, "/api/models/acme/tiny/commits/main?cursor=x").status == 400
    assert (
        _get(hostile_server, "/acme/tiny/resolve/nope/config.json").getheader("X-Error-Code")
        == "RevisionNotFound"
    )
    assert (
        _get(hostile_server, "/acme/tiny/resolve/main/nope").getheader("X-Error-Code")
        == "EntryNotFound"
    )
    assert (
        _get(hostile_server, "/acme/nope/resolve/main/x").getheader("X-Error-Code")
        == "RepoNotFound"
    )


def test_rate_limit_answers_429_and_clients_back_off(make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = build_root(tmp_path / "root")
    server = make_server(root, "--rate-limit", "4")
    statuses = [_get(server, "/api/models/acme/tiny").status for _ in range(12)]
    assert 429 in statuses and statuses[0] == 200
    limited = _get(server, "/api/models/acme/tiny")
    if limited.status == 429:
        assert int(limited.getheader("Retry-After") or "0") >= 1
    done = run_cli(server, tmp_path / "home", "audit", "acme/tiny")
    assert done.returncode == 0, done.stderr  # ptmscope waits as told and finishes


def test_git_http_is_read_only_and_folders_cannot_be_cloned(hostile_server: Server) -> None:
    assert _get(hostile_server, "/acme/history/info/refs?service=git-receive-pack").status == 403
    assert _get(hostile_server, "/acme/tiny/info/refs?service=git-upload-pack").status == 403
    refs = _get(hostile_server, "/acme/history.git/info/refs?service=git-upload-pack")
    assert (
        refs.status == 200
        and refs.getheader("Content-Type") == "application/x-git-upload-pack-advertisement"
    )
    assert (
        _get(hostile_server, "/acme/..%2f..%2fetc/info/refs?service=git-upload-pack").status == 404
    )


def test_busy_port_is_a_usage_error(hostile: tuple[Path, Path], hostile_server: Server) -> None:
    import subprocess
    import sys

    from tests.registry.conftest import MAIN

    done = subprocess.run(
        [sys.executable, "-c", MAIN, "registry", "serve", str(hostile[0]), "--port", str(hostile_server.port)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (
        done.returncode == 2 and "cannot listen" in done.stderr and "Traceback" not in done.stderr
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--port", "99999"), "--port must be 0-65535"),
        (("--port", "-1"), "--port must be 0-65535"),
        (("--rate-limit", "-1"), "--rate-limit must be positive"),
        (("--rate-limit", "nan"), "--rate-limit must be positive"),
    ],
)
def test_out_of_range_flags_are_usage_errors(
    hostile: tuple[Path, Path], flags: tuple[str, ...], message: str
) -> None:
    """One line and exit 2 before anything listens (issue 14: 99999 ended in exit 3)."""
    import subprocess
    import sys

    from tests.registry.conftest import MAIN

    done = subprocess.run(
        [sys.executable, "-c", MAIN, "registry", "serve", str(hostile[0]), *flags],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_cloning_a_folder_package_says_why_not_in_git(
    hostile_server: Server, tmp_path: Path
) -> None:
    """The real git client shows the reason (issue 14: it said only "not found")."""
    import subprocess

    done = subprocess.run(
        ["git", "clone", "-q", f"{hostile_server.endpoint}/acme/tiny", str(tmp_path / "tiny")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )  # fmt: skip
    assert done.returncode != 0
    assert "served from a plain folder" in done.stderr and "snapshot_download" in done.stderr
    assert not (tmp_path / "tiny" / "README.md").exists()


def test_main_asked_of_a_master_only_repository_is_served_and_said(
    make_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The Hub's clients ask for ``main``; a ``master``-only package is served, and the
    answer says which branch it was (issue 14: never silent)."""
    from tests.conftest import git

    root = tmp_path / "root"
    work = root / "acme" / "old"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "master")
    (work / "README.md").write_text("---\nlicense: mit\n---\n# old\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    (root / "acme" / "new").mkdir()
    (root / "acme" / "new" / "README.md").write_text("---\nlicense: mit\n---\n# new\n")
    server = make_server(root)
    for path in ("/api/models/acme/old", "/api/models/acme/old/revision/main",
                 "/acme/old/resolve/main/README.md"):  # fmt: skip
        answer = _get(server, path)
        assert answer.status == 200, path
        assert answer.getheader("X-Ptmscope-Revision-Fallback") == (
            "no branch 'main': the default branch 'master' was served"
        ), path
    answer = _get(server, "/acme/old/resolve/master/README.md")
    assert answer.status == 200 and answer.getheader("X-Ptmscope-Revision-Fallback") is None
    folder = _get(server, "/api/models/acme/new")  # a folder's one branch is main
    assert folder.status == 200 and folder.getheader("X-Ptmscope-Revision-Fallback") is None
