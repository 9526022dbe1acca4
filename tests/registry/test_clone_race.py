"""A ref that moves between the gateway's judgement and ``upload-pack`` serves nothing
unjudged: the clone is answered from the refs that were judged (a judged view over the
repository's objects, protocol v0/v1, wants reachable from those refs), not from the live
repository. Real git client, real ``registry serve`` app on 127.0.0.1 (uvicorn in a
thread, so the race can be placed exactly: the ref is moved right after the judgement)."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ptmscope.registry
from ptmscope.registry import gitgate, githttp
from tests.conftest import git, write_safetensors
from tests.scan import builders as b

START_TRIES = 300
"""Attempts (at most 0.1 s apart) for the server to answer: a bound a working one never nears."""


def _client(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)})
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def racy(tmp_path: Path) -> dict[str, Any]:
    """ROOT/acme/racy.git at a clean commit, and a work tree holding a malicious commit
    (a torch zip whose pickle would write MARKER) ready to be pushed onto main."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("---\nlicense: mit\n---\n# racy\n")
    write_safetensors(work / "model.safetensors")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "clean")
    clean = git(work, "rev-parse", "HEAD")
    bare = tmp_path / "root" / "acme" / "racy.git"
    bare.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    b.write_torch_zip(work / "pytorch_model.bin", tmp_path / "MARKER")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "evil")
    evil = git(work, "rev-parse", "HEAD")
    return {"root": tmp_path / "root", "work": work, "bare": bare, "clean": clean, "evil": evil}


@pytest.fixture
def server(racy: dict[str, Any]) -> Iterator[str]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = racy["root"].parent / "policy.yaml"
    policy.write_text("version: 1\ntemplates:\n  scan_verdict: suspicious\n")
    app = ptmscope.registry.create_app(racy["root"], policy)
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(START_TRIES):
            try:
                with urllib.request.urlopen(f"{endpoint}/api/models/acme/racy", timeout=5):
                    break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        running.should_exit = True
        thread.join(timeout=30)


def _push_before_the_pack(monkeypatch: pytest.MonkeyPatch, racy: dict[str, Any]) -> list[str]:
    """The race placed exactly: when a pack is asked for (a body with ``want``), main is
    pushed to the malicious commit after the gateway judged the request and before
    ``upload-pack`` runs (what a sync job or a push can do). Returns the commits judged."""
    judged: list[str] = []
    original_judge, original_pack = gitgate.clone_refusal, githttp.upload_pack

    def judging(*args: Any, **kwargs: Any) -> Any:
        refusal, refs = original_judge(*args, **kwargs)
        judged.append(refs.tips["refs/heads/main"])
        return refusal, refs

    def racing(git_dir: str, body: bytes, *args: Any, **kwargs: Any) -> Any:
        if b"want " in body:
            git(racy["work"], "push", "-q", "-f", str(racy["bare"]), "main")
        return original_pack(git_dir, body, *args, **kwargs)

    monkeypatch.setattr(gitgate, "clone_refusal", judging)
    monkeypatch.setattr(githttp, "upload_pack", racing)
    return judged


def _pkt(line: str) -> bytes:
    return f"{len(line) + 4:04x}{line}".encode()


def test_a_ref_moved_after_the_judgement_serves_nothing_unjudged(
    racy: dict[str, Any], server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Protocol v2 by the real client: a fetch of the new commit by id."""
    judged = _push_before_the_pack(monkeypatch, racy)
    clone = tmp_path / "clone"
    _client(tmp_path, "init", "-q", str(clone))
    fetched = _client(
        clone, "-c", "protocol.version=2", "fetch", "-q", f"{server}/acme/racy", racy["evil"]
    )
    assert judged and set(judged) == {racy["clean"]}, judged
    assert git(racy["bare"], "rev-parse", "main") == racy["evil"]  # the ref did move
    assert fetched.returncode != 0, fetched.stderr
    shown = _client(clone, "cat-file", "-e", f"{racy['evil']}:pytorch_model.bin")
    assert shown.returncode != 0, "the unjudged commit was served"
    assert not (tmp_path / "MARKER").exists()
    monkeypatch.undo()
    # The next request judges the moved ref and refuses the clone, saying why.
    refused = _client(tmp_path, "clone", "-q", f"{server}/acme/racy", str(tmp_path / "again"))
    assert refused.returncode != 0 and "refused" in refused.stderr, refused.stderr


def test_a_raw_v0_want_of_the_moved_tip_gets_no_pack(
    racy: dict[str, Any], server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Protocol v0 by hand: after the move the live repository advertises the new tip, so
    a want of it would pass upload-pack's check; the judged view does not have it."""
    judged = _push_before_the_pack(monkeypatch, racy)
    body = _pkt(f"want {racy['evil']} ofs-delta\n") + b"0000" + _pkt("done\n")
    request = urllib.request.Request(
        f"{server}/acme/racy/git-upload-pack", data=body, method="POST",
        headers={"Content-Type": "application/x-git-upload-pack-request"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = response.read()
    assert judged == [racy["clean"]]
    assert git(racy["bare"], "rev-parse", "main") == racy["evil"]
    assert b"PACK" not in answer, answer[:200]


def test_a_judged_clone_gets_the_judged_refs_tags_and_default_branch(
    racy: dict[str, Any], server: str, tmp_path: Path
) -> None:
    """The judged view carries HEAD's branch, annotated tags (their tag objects, peeled to
    the judged commit) and partial clones (blobs fetched later by id, when reachable)."""
    git(racy["bare"], "tag", "-a", "v1", "-m", "release one", racy["clean"])
    git(racy["bare"], "branch", "dev", racy["clean"])
    clone = tmp_path / "clone"
    done = _client(tmp_path, "clone", "-q", "--filter=blob:none", f"{server}/acme/racy", str(clone))
    assert done.returncode == 0, done.stderr
    assert git(clone, "rev-parse", "HEAD") == racy["clean"]
    assert git(clone, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(clone, "cat-file", "-t", "v1") == "tag"
    assert git(clone, "rev-parse", "v1^{commit}") == racy["clean"]
    assert git(clone, "rev-parse", "origin/dev") == racy["clean"]
    assert (clone / "model.safetensors").stat().st_size > 0  # fetched lazily, by id
    # A sparse:oid filter would make upload-pack read the blob it names: not offered.
    readme = git(racy["bare"], "rev-parse", "main:README.md")
    sparse = _client(
        tmp_path, "clone", "-q", f"--filter=sparse:oid={readme}", f"{server}/acme/racy",
        str(tmp_path / "sparse"),
    )  # fmt: skip
    assert sparse.returncode != 0 and "sparse:oid" in sparse.stderr, sparse.stderr
    # Each view is removed once served (and any a client abandoned, at exit).
    assert githttp.live_views() == frozenset()


def test_an_abandoned_view_is_removed_at_exit(racy: dict[str, Any]) -> None:
    """A view whose client left before the pack was streamed is removed with the process
    (the hook ``atexit`` runs), never left in the temporary folder."""
    from ptmscope.sources.git import GitSource

    source = GitSource(racy["bare"])
    try:
        view = githttp.judged_view(source.git_dir, gitgate.ref_state(source))
    finally:
        source.close()
    assert Path(view).is_dir() and view in githttp.live_views()
    githttp._remove_live_views()
    assert not Path(view).exists() and view not in githttp.live_views()


def test_a_view_that_cannot_be_made_is_a_source_error(racy: dict[str, Any], tmp_path: Path) -> None:
    """The routes turn it into git's refusal (nothing served), never a 500 with a traceback."""
    from ptmscope.errors import SourceError
    from ptmscope.sources.git import GitSource

    source = GitSource(racy["bare"])
    try:
        refs = gitgate.ref_state(source)
    finally:
        source.close()
    with pytest.raises(SourceError, match="cannot make a judged view"):
        githttp.judged_view(str(tmp_path / "not-a-repository"), refs)
    assert githttp.live_views() == frozenset()
