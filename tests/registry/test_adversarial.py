"""The gateway cannot be switched off, bypassed, escaped or exhausted (issue 10, server part).

Every case is a real server on 127.0.0.1, driven by the real ``git`` client,
``huggingface_hub`` or raw sockets, with inert payloads (a pickle that would
create a marker file; the tests assert it never appears).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import git
from tests.registry.conftest import Server, build_root, run_cli, run_client
from tests.scan import builders as b

pytestmark = pytest.mark.adversarial

POLICY = "version: 1\nblock: high\n"


def _request(
    server: Server,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


def _clone(
    server: Server, repo: str, target: Path, version: int = 2
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(target.parent)})
    return subprocess.run(
        ["git", "-c", f"protocol.version={version}", "clone", "-q",
         f"{server.endpoint}/{repo}", str(target)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def _log(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---------------------------------------------------------------- the packages
def _evil(path: Path, marker: Path) -> bytes:
    b.write_torch_zip(path, marker)
    return path.read_bytes()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("adversarial")
    root = build_root(base / "root")
    marker = base / "MARKER"
    evil_bytes = _evil(base / "evil.bin", marker)

    def package(name: str, readme: bytes | None = b"---\nlicense: mit\n---\n# m\n") -> Path:
        folder = root / name
        folder.mkdir(parents=True)
        if readme is not None:
            (folder / "README.md").write_bytes(readme)
        return folder

    # Cards the parser rejects, each beside a malicious weight file.
    (package("bad/nulcard", b"---\nlicense: mit\n---\n# x\0y\n") / "pytorch_model.bin").write_bytes(
        evil_bytes
    )
    (package("bad/latin1card", b"---\nlicense: mit\n---\n# caf\xe9 \xff\n") / "pytorch_model.bin")\
        .write_bytes(evil_bytes)  # fmt: skip
    big = package("bad/bigconfig")
    (big / "config.json").write_bytes(b'{"pad": "' + b"x" * (16 << 20) + b'"}')
    (big / "pytorch_model.bin").write_bytes(evil_bytes)

    # The same bytes under other names: a copy, an in-package symlink, another package.
    alias = package("evil/alias")
    (alias / "pytorch_model.bin").write_bytes(evil_bytes)
    (alias / "weights.dat").write_bytes(evil_bytes)
    os.symlink("pytorch_model.bin", alias / "link.bin")
    (package("other/copy") / "notes.dat").write_bytes(evil_bytes)

    # Git: a malicious file at the tip, one only in history, one renamed in history.
    tip = root / "gitevil" / "tip"
    tip.mkdir(parents=True)
    git(tip, "init", "-q", "-b", "main")
    (tip / "README.md").write_text("---\nlicense: mit\n---\n# tip\n")
    (tip / "pytorch_model.bin").write_bytes(evil_bytes)
    git(tip, "add", "-A")
    git(tip, "commit", "-q", "-m", "evil at tip")
    past = root / "gitevil" / "history"
    past.mkdir(parents=True)
    git(past, "init", "-q", "-b", "main")
    (past / "README.md").write_text("---\nlicense: mit\n---\n# past\n")
    (past / "innocent.txt").write_bytes(evil_bytes)  # renamed: only a content scan sees it
    git(past, "add", "-A")
    git(past, "commit", "-q", "-m", "evil, named innocently")
    (past / "innocent.txt").unlink()
    git(past, "add", "-A")
    git(past, "commit", "-q", "-m", "gone from the tip, still in the pack")

    # Outside ROOT: a repository with a secret; inside ROOT, ways to reach it.
    outside = base / "outside" / "secret"
    outside.mkdir(parents=True)
    git(outside, "init", "-q", "-b", "main")
    (outside / "README.md").write_text("---\nlicense: mit\n---\nSECRET-CANARY\n")
    git(outside, "add", "-A")
    git(outside, "commit", "-q", "-m", "secret")
    subprocess.run(["git", "clone", "-q", "--bare", str(outside), str(base / "outside" / "secret.git")],
                   check=True, capture_output=True)  # fmt: skip
    bare_out = base / "outside" / "secret.git"
    esc = root / "esc"
    (esc / "dotgit").mkdir(parents=True)
    os.symlink(outside / ".git", esc / "dotgit" / ".git")
    (esc / "gitdir").mkdir()
    (esc / "gitdir" / ".git").write_text(f"gitdir: {outside / '.git'}\n")
    for name, link in (("objects.git", "objects"), ("refs.git", "refs")):
        shutil.copytree(bare_out, esc / name, symlinks=True)
        shutil.rmtree(esc / name / link)
        os.symlink(bare_out / link, esc / name / link)
    alternates = esc / "alternates.git"
    subprocess.run(["git", "init", "-q", "--bare", str(alternates)], check=True)
    shutil.copy(bare_out / "packed-refs", alternates / "packed-refs")
    (alternates / "HEAD").write_text("ref: refs/heads/main\n")
    (alternates / "objects" / "info" / "alternates").write_text(str(bare_out / "objects") + "\n")
    http_alt = esc / "httpalt.git"
    shutil.copytree(bare_out, http_alt)
    (http_alt / "objects" / "info" / "http-alternates").write_text("http://127.0.0.1:1/x\n")

    # A refs-less bare clone inside ROOT: opened through an overlay whose alternates
    # point inside ROOT; it must keep working.
    refsless = root / "acme" / "refsless.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(root / "acme" / "history"), str(refsless)],
                   check=True, capture_output=True)  # fmt: skip
    shutil.rmtree(refsless / "refs")
    return {"base": base, "root": root, "marker": marker, "evil": base / "evil.bin"}


@pytest.fixture(scope="module")
def gateway(world: dict[str, Path]) -> Iterator[tuple[Server, Path]]:
    policy = world["base"] / "gateway.yaml"
    policy.write_text(POLICY)
    log = world["base"] / "audit.jsonl"
    server = Server(world["root"], "--policy", str(policy), "--audit-log", str(log))
    yield server, log
    server.stop()
    assert not world["marker"].exists()


# ------------------------------------------------- critical: fail closed on judge errors
@pytest.mark.parametrize("repo", ["bad/nulcard", "bad/latin1card", "bad/bigconfig"])
def test_a_card_the_parser_rejects_does_not_switch_the_gateway_off(
    gateway: tuple[Server, Path], repo: str, tmp_path: Path
) -> None:
    server, log = gateway
    code = f"""
import json
from huggingface_hub import HfApi, hf_hub_download
out = {{}}
try:
    hf_hub_download({repo!r}, "pytorch_model.bin")
    out["download"] = "served"
except Exception as exc:
    cause = getattr(exc, "response", None) or getattr(exc.__cause__, "response", None)
    out["download"] = cause.status_code if cause is not None else repr(exc)
from huggingface_hub import constants, get_session
out["status"] = get_session().get(f"{{constants.ENDPOINT}}/api/models/{repo}").json()["securityRepoStatus"]
print(json.dumps(out))
"""
    result = run_client(server, tmp_path / "home", code)
    assert isinstance(result, dict)
    assert result["download"] == 403
    issues = {i["path"]: i for i in result["status"]["filesWithIssues"]}
    assert issues["pytorch_model.bin"]["level"] == "unsafe"
    records = [r for r in _log(log) if r["repo"] == repo]
    assert any(r["file"] == "pytorch_model.bin" for r in records)
    # Until collect() turns card/config problems into findings, the revision is unreadable
    # and refused whole; afterwards the scan refuses the file. Either way it is logged.
    assert {r["rule"] for r in records} & {"gateway.unreadable", "pickle.process"}


def test_audit_through_the_gateway_quotes_its_refusal(
    gateway: tuple[Server, Path], tmp_path: Path
) -> None:
    """huggingface_hub reports a refused download as "not in the local cache"; the
    audit must show the gateway's reason instead of "file not found"."""
    server, _ = gateway
    done = run_cli(server, tmp_path / "home", "audit", "bad/nulcard")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "access refused (403)" in lines[0], done.stderr
    assert "gateway.unreadable" in lines[0] and "not found" not in lines[0]


def test_any_exception_while_judging_refuses_the_revision(
    world: dict[str, Path], tmp_path: Path
) -> None:
    from ptmscope.registry.gateway import Gateway, GatewayPolicy
    from ptmscope.registry.store import Store

    store = Store(world["root"])
    repo = store.repo("acme", "tiny")
    revision = store.revision(repo, repo.resolve(None))

    def explode(offset: int, length: int | None) -> bytes:
        raise RuntimeError("scanner crashed")

    broken = replace(
        revision,
        sha="f" * 40,
        files=tuple(replace(f, reader=explode) if f.reader else f for f in revision.files),
    )
    for on_error, refused in (("refuse", True), ("warn", False)):
        log = tmp_path / f"{on_error}.jsonl"
        gate = Gateway(replace(GatewayPolicy(), on_error=on_error), log)
        verdict = gate.verdict(broken)
        assert bool(verdict.refused) is refused
        if refused:
            assert set(verdict.refused) == {f.path for f in broken.files}
            assert {r.rule for r in verdict.refused.values()} == {"gateway.unreadable"}
        assert verdict.note is not None and "scanner crashed" in verdict.note
        assert gate.security_status(verdict)["scansDone"] is False
        record = _log(log)[0]
        assert record["rule"] == "gateway.unreadable" and record["repo"] == "acme/tiny"
        assert ("action" in record) is (not refused)
    store.close()


# ------------------------------------------------- high: one gate, keyed by content
def test_aliases_symlinks_and_copies_of_refused_bytes_are_refused(
    gateway: tuple[Server, Path],
) -> None:
    server, log = gateway
    assert _request(server, "/evil/alias/resolve/main/pytorch_model.bin")[0] == 403
    # weights.dat and link.bin: refused by their own scan and by digest.
    for name in ("weights.dat", "link.bin"):
        status, body, _ = _request(server, f"/evil/alias/resolve/main/{name}")
        assert status == 403, (name, body[:200])
    # Refused by its own scan (every file is scanned by content), or else by its digest.
    status, body, _ = _request(server, "/other/copy/resolve/main/notes.dat")
    assert status == 403 and (b"same bytes as refused" in body or b"pickle.process" in body)
    tree = json.loads(_request(server, "/api/models/evil/alias/tree/main")[1])
    marks = {item["path"]: item["securityFileStatus"]["status"] for item in tree}
    assert marks == {"README.md": "safe", "link.bin": "unsafe", "pytorch_model.bin": "unsafe",
                     "weights.dat": "unsafe"}  # fmt: skip
    files = {r["file"] for r in _log(log) if r["repo"] in ("evil/alias", "other/copy")}
    assert {"pytorch_model.bin", "weights.dat", "link.bin", "notes.dat"} <= files


def test_real_client_reads_the_per_file_security_status(
    gateway: tuple[Server, Path], tmp_path: Path
) -> None:
    code = """
import json
from huggingface_hub import HfApi

files = HfApi().list_repo_tree("evil/alias", expand=True)
print(json.dumps({f.path: f.security["status"] for f in files}))
"""
    result = run_client(gateway[0], tmp_path / "home", code)
    assert result == {"README.md": "safe", "link.bin": "unsafe", "pytorch_model.bin": "unsafe",
                      "weights.dat": "unsafe"}  # fmt: skip


@pytest.mark.parametrize("version", [0, 2])
def test_git_clone_is_gated_tip_and_history(
    gateway: tuple[Server, Path], tmp_path: Path, version: int
) -> None:
    server, log = gateway
    for repo in ("gitevil/tip", "gitevil/history"):
        done = _clone(server, repo, tmp_path / repo.replace("/", "-"), version)
        assert done.returncode != 0
        assert "ptmscope gateway" in done.stderr and "refused" in done.stderr, done.stderr
        assert not (tmp_path / repo.replace("/", "-") / "pytorch_model.bin").exists()
    clean = _clone(server, "acme/history", tmp_path / "clean", version)
    assert clean.returncode == 0, clean.stderr
    assert (tmp_path / "clean" / "README.md").read_text().endswith("# v2\n")
    refused = {r["repo"] for r in _log(log) if r["file"] == "<git clone>"}
    assert {"gitevil/tip", "gitevil/history"} <= refused


def test_git_post_without_advertisement_is_gated_too(gateway: tuple[Server, Path]) -> None:
    server, _ = gateway
    request = b"0014command=ls-refs\n0001" + b"0000"
    status, body, _ = _request(
        server, "/gitevil/tip.git/git-upload-pack", "POST", request,
        {"Content-Type": "application/x-git-upload-pack-request", "Git-Protocol": "version=2"},
    )  # fmt: skip
    assert status == 200 and body[4:8] == b"ERR " and b"refused" in body


# ------------------------------------------------- high: ROOT is a boundary for git
@pytest.mark.parametrize("repo", ["dotgit", "gitdir", "objects", "refs", "alternates", "httpalt"])
def test_git_cannot_leave_root(gateway: tuple[Server, Path], tmp_path: Path, repo: str) -> None:
    server, _ = gateway
    done = _clone(server, f"esc/{repo}", tmp_path / "clone")
    assert done.returncode != 0
    assert not (tmp_path / "clone" / "README.md").exists()
    for path in (f"/api/models/esc/{repo}", f"/esc/{repo}/resolve/main/README.md"):
        status, body, _ = _request(server, path)
        assert status in (403, 404) and b"SECRET-CANARY" not in body, (path, status)
    listed = _request(server, "/api/models?limit=1000")[1]
    assert f"esc/{repo}".encode() not in listed


def test_refsless_bare_clone_inside_root_still_served(
    gateway: tuple[Server, Path], tmp_path: Path
) -> None:
    server, _ = gateway
    status, body, _ = _request(server, "/acme/refsless/resolve/main/README.md")
    assert status == 200 and body.endswith(b"# v2\n")
    done = _clone(server, "acme/refsless", tmp_path / "clone")
    assert done.returncode == 0, done.stderr


# ------------------------------------------------- high: cheap denial of service
@pytest.fixture(scope="module")
def limited(world: dict[str, Path]) -> Iterator[Server]:
    server = Server(world["root"], body_timeout=2, max_body_bytes=1 << 20, threads=4)
    yield server
    server.stop()


def test_gzip_bomb_is_stopped_at_the_limit(gateway: tuple[Server, Path]) -> None:
    limited = gateway[0]  # default limits: 16 MiB
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join(squeeze.compress(zeros) for _ in range(512)) + squeeze.flush()
    assert len(bomb) < 1 << 20  # 512 MiB inflated, under the wire limit compressed
    before = limited.peak_rss_kb()
    status, body, _ = _request(
        limited, "/acme/history/git-upload-pack", "POST", bomb,
        {"Content-Encoding": "gzip", "Content-Type": "application/x-git-upload-pack-request"},
    )  # fmt: skip
    assert status == 413, body[:200]
    assert limited.peak_rss_kb() - before < 128 * 1024  # was: the whole 512 MiB, and more


def test_large_bodies_are_refused_before_reading(gateway: tuple[Server, Path]) -> None:
    limited = gateway[0]
    with socket.create_connection(("127.0.0.1", limited.port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/models/acme/tiny/paths-info/main HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 413")


def test_slow_bodies_cannot_starve_other_clients(limited: Server) -> None:
    stalled = []
    try:
        for index in range(40):  # ten times the worker threads
            sock = socket.create_connection(("127.0.0.1", limited.port), timeout=30)
            path = (
                b"/acme/history/git-upload-pack"
                if index % 2
                else b"/api/models/acme/tiny/paths-info/main"
            )
            sock.sendall(
                b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab"
            )
            stalled.append(sock)
        started = time.monotonic()
        status, _, _ = _request(limited, "/api/models/acme/tiny")
        assert status == 200 and time.monotonic() - started < 20  # was: blocked until bodies end
        for sock in stalled:  # each one answered 408 at its deadline, not left hanging
            assert sock.recv(100).startswith(b"HTTP/1.1 408")
    finally:
        for sock in stalled:
            sock.close()


def test_large_git_blob_is_streamed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    repo = root / "acme" / "blob"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("---\nlicense: mit\n---\n# blob\n")
    payload = os.urandom(1 << 20) * 40  # 40 MiB, not LFS: a plain git blob
    (repo / "data.bin").write_bytes(payload)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "blob")
    server = Server(root)
    try:
        started = time.monotonic()
        status, body, _ = _request(server, "/acme/blob/resolve/main/data.bin")
        assert status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(payload).digest()
        assert time.monotonic() - started < 60
    finally:
        server.stop()
    # The reason it is fast: the object is fetched from git once, not once per chunk.
    from ptmscope.sources import git as git_source

    fetched: list[str] = []
    for method in ("read", "copy"):
        original = getattr(git_source._CatFile, method)

        def counting(self, oid, *args, _original=original):  # type: ignore[no-untyped-def]
            fetched.append(oid)
            return _original(self, oid, *args)

        monkeypatch.setattr(git_source._CatFile, method, counting)
    source = git_source.GitSource(repo)
    try:
        entry = next(f for f in source.files() if f.path == "data.bin")
        fetched.clear()
        assert (
            b"".join(entry.read(offset, 1 << 20) for offset in range(0, entry.size, 1 << 20))
            == payload
        )
        assert fetched.count(entry.git_oid) == 1, len(fetched)  # was 40: once per MiB read
    finally:
        source.close()


# ------------------------------------------------- medium: folder revisions by content
def test_content_swap_keeping_size_and_mtime_is_judged_again(
    gateway: tuple[Server, Path], world: dict[str, Path]
) -> None:
    server, _ = gateway
    folder = world["root"] / "swap" / "pkg"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# swap\n")
    evil = world["evil"].read_bytes()
    target = folder / "pytorch_model.bin"
    target.write_bytes(b"\0" * len(evil))
    stamp = target.stat()
    status, body, _ = _request(server, "/swap/pkg/resolve/main/pytorch_model.bin")
    assert status == 200 and body == b"\0" * len(evil)
    with open(target, "r+b") as handle:  # same inode, same size, mtime put back
        handle.write(evil)
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert target.stat().st_mtime_ns == stamp.st_mtime_ns
    statuses = []
    for _ in range(20):
        status, body, _ = _request(server, "/swap/pkg/resolve/main/pytorch_model.bin")
        assert body != evil
        statuses.append(status)
        if status == 403:
            break
        time.sleep(0.3)
    assert statuses[-1] == 403, statuses


def test_file_replaced_by_a_symlink_after_judging_is_not_followed(
    gateway: tuple[Server, Path], world: dict[str, Path]
) -> None:
    server, _ = gateway
    folder = world["root"] / "swap" / "link"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# link\n")
    secret = world["base"] / "outside" / "passwd"
    secret.write_text("root:SECRET-CANARY\n")
    (folder / "notes.txt").write_text("x" * len(secret.read_text()))
    assert _request(server, "/swap/link/resolve/main/notes.txt")[0] == 200
    (folder / "notes.txt").unlink()
    os.symlink(secret, folder / "notes.txt")
    for _ in range(10):
        status, body, _ = _request(server, "/swap/link/resolve/main/notes.txt")
        assert b"SECRET-CANARY" not in body
        assert status != 200
        time.sleep(0.3)


# ------------------------------------------- critical: work-tree bytes are not what is served
def test_a_served_work_tree_serves_objects_not_swappable_disk_files(tmp_path: Path) -> None:
    """A git work tree's smudged LFS file can change after the revision was judged; the
    server reads the objects only, so what it judged is what it can serve."""
    from ptmscope.registry.store import Store
    from tests.conftest import lfs_pointer

    root = tmp_path / "root"
    work = root / "acme" / "lfs"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    benign = b"\x00" * 4096
    (work / "README.md").write_text("# LFS\n")
    (work / "pytorch_model.bin").write_text(
        lfs_pointer(hashlib.sha256(benign).hexdigest(), len(benign))
    )
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "pointer")
    (work / "pytorch_model.bin").write_bytes(benign)  # "smudged" in the work tree
    store = Store(root)
    try:
        repo = store.repo("acme", "lfs")
        revision = store.revision(repo, repo.resolve(None))
        entry = revision.index["pytorch_model.bin"]
        assert entry.lfs is not None and not entry.available  # the object, not the disk file
    finally:
        store.close()


# ------------------------------------------- high: the clone gate judges the refs it caches
def test_clone_gate_follows_refs_at_once_and_applies_package_rules_to_history(
    tmp_path: Path,
) -> None:
    """A commit right after a clean clone is judged at once (the verdict is filed under the
    ref state it judged), and require_safetensors holds for a pickle only in history."""
    import pickle

    from ptmscope.registry.gateway import Gateway, GatewayPolicy
    from ptmscope.registry.gitgate import clone_refusal
    from ptmscope.registry.store import Store

    root = tmp_path / "root"
    work = root / "acme" / "hist"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("---\nlicense: mit\n---\n# History\n")
    (work / "config.json").write_text('{"model_type": "bert"}')
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "clean")
    gateway = Gateway(replace(GatewayPolicy(), require_safetensors=True), tmp_path / "log.jsonl")
    store = Store(root)
    try:
        repo = store.repo("acme", "hist")
        assert clone_refusal(store, gateway, repo)[0] is None
        (work / "pytorch_model.bin").write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=4))
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", "pickle weights")
        git(work, "rm", "-q", "pytorch_model.bin")
        git(work, "commit", "-q", "-m", "gone from the tip, not from history")
        refusal, _ = clone_refusal(store, gateway, repo)  # no wait: refs are read afresh
        assert refusal is not None and refusal.rule == "policy.require_safetensors", refusal
        assert "in the history" in refusal.message
    finally:
        store.close()


def test_concurrent_requests_load_a_revision_once(tmp_path: Path) -> None:
    """Eight threads asking for one revision get one revision (each extra load used to
    leave a git cat-file process running after the store closed)."""
    import threading

    from ptmscope.registry.store import Store

    root = tmp_path / "root"
    work = root / "acme" / "busy"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("# Busy\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "one")
    store = Store(root)
    repo = store.repo("acme", "busy")
    sha = repo.resolve(None)
    got: list[object] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        got.append(store.revision(repo, sha))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    store.close()
    assert len(got) == 8 and len({id(s) for s in got}) == 1


def test_a_folder_part_that_cannot_be_read_refuses_the_revision(tmp_path: Path) -> None:
    """Used to answer 500 with a traceback on every route and log nothing."""
    from ptmscope.registry.gateway import Gateway, GatewayPolicy
    from ptmscope.registry.store import Store
    from tests.scan.test_walk import _too_deep_to_list

    root = tmp_path / "root"
    folder = root / "acme" / "deep"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# Deep\n")
    (folder / "config.json").write_text('{"model_type": "bert"}')
    _too_deep_to_list(folder)
    store = Store(root)
    gateway = Gateway(GatewayPolicy(), tmp_path / "log.jsonl")
    try:
        repo = store.repo("acme", "deep")
        verdict = gateway.verdict(store.revision(repo, repo.resolve(None)))
        assert verdict.refused and {r.rule for r in verdict.refused.values()} == {
            "gateway.unreadable"
        }
        assert "folder not listed" in (verdict.note or "")
        assert _log(tmp_path / "log.jsonl")[0]["rule"] == "gateway.unreadable"
    finally:
        store.close()


def test_refused_bytes_stay_refused_where_the_scan_cannot_decide(tmp_path: Path) -> None:
    """The digest deny set decides where no scan does: a revision that cannot be judged
    and is served under ``on_error: warn`` still never serves bytes refused elsewhere."""
    from ptmscope.registry.gateway import Gateway, GatewayPolicy
    from ptmscope.registry.store import Store

    marker = tmp_path / "MARKER"
    evil = b.canary_pickle(marker)
    root = tmp_path / "root"
    judged, broken = root / "acme" / "judged", root / "other" / "broken"
    for folder in (judged, broken):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text('{"model_type": "bert"}')
    (judged / "README.md").write_text("---\nlicense: mit\n---\n# Judged\n")
    (judged / "pytorch_model.bin").write_bytes(evil)
    (broken / "README.md").write_bytes(b"# binary\x00card\n")  # cannot be judged
    (broken / "weights.dat").write_bytes(evil)
    store = Store(root)
    gateway = Gateway(replace(GatewayPolicy(), on_error="warn"), tmp_path / "log.jsonl")
    gateway.content_keys = store.content_keys
    try:
        first = store.revision(
            store.repo("acme", "judged"), store.repo("acme", "judged").resolve(None)
        )
        assert gateway.refusal(first, first.index["pytorch_model.bin"]) is not None
        repo = store.repo("other", "broken")
        second = store.revision(repo, repo.resolve(None))
        assert not gateway.verdict(second).refused  # warn: the revision itself is served
        refusal = gateway.refusal(second, second.index["weights.dat"])
        assert refusal is not None and "same bytes as refused" in refusal.message
        assert gateway.refusal(second, second.index["config.json"]) is None
    finally:
        store.close()
    assert not marker.exists()


# ------------------------------ critical: what a judged clone can reach was all stored
def _client(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)})
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_a_blob_missing_when_judged_is_not_served_once_stored(tmp_path: Path) -> None:
    """A repository whose history names a blob it does not hold (a partial or shallow
    mirror) borrows objects from another repository of ROOT (``alternates``). The blob is
    in no listing, so no verdict covers it; once it is pushed into the other repository
    (this one's refs and object count unchanged, so its cached verdict stands) the clone
    served it: a malicious pickle reached the client. Now what the served refs reach must
    be stored when judged, or the clone is refused."""
    marker = tmp_path / "MARKER"
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("---\nlicense: mit\n---\n# fork\n")
    evil = _evil(work / "pytorch_model.bin", marker)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "evil")
    blob = git(work, "rev-parse", "HEAD:pytorch_model.bin")
    git(work, "rm", "-q", "pytorch_model.bin")
    git(work, "commit", "-q", "-m", "gone from the tip")
    root = tmp_path / "root"
    base, fork = root / "acme" / "base.git", root / "acme" / "fork.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(build_root(tmp_path / "b") / "acme" /
                    "history"), str(base)], check=True)  # fmt: skip
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(fork)], check=True)
    (fork / "objects" / "info" / "alternates").write_text(str(base / "objects") + "\n")
    listed = git(work, "rev-list", "--objects", "--all").splitlines()
    kept = "".join(line.split()[0] + "\n" for line in listed if not line.startswith(blob))
    subprocess.run(
        ["git", "-C", str(work), "pack-objects", "-q", str(fork / "objects" / "pack" / "pack")],
        input=kept.encode(), check=True, capture_output=True,
    )  # fmt: skip
    git(fork, "update-ref", "refs/heads/main", git(work, "rev-parse", "HEAD"))
    policy = tmp_path / "gateway.yaml"
    policy.write_text(POLICY)
    server = Server(root, "--policy", str(policy))
    try:
        first = _client(tmp_path, "clone", "-q", f"{server.endpoint}/acme/fork", "first")
        assert first.returncode != 0
        (tmp_path / "x.bin").write_bytes(evil)
        assert git(base, "hash-object", "-w", str(tmp_path / "x.bin")) == blob  # a push to base
        second = _client(tmp_path, "clone", "-q", "--mirror", f"{server.endpoint}/acme/fork", "m")
        assert second.returncode != 0 and "ptmscope gateway" in second.stderr, second.stderr
        assert _client(tmp_path, "--git-dir", "m", "cat-file", "-e", blob).returncode != 0
    finally:
        server.stop()
    assert not marker.exists()


def test_a_replace_ref_does_not_hide_the_bytes_a_clone_carries(tmp_path: Path) -> None:
    """``refs/replace/<evil blob>`` names a clean blob: the judge read the blob through
    ``cat-file``, which answered with the replacement's bytes, so the history looked clean,
    and ``upload-pack`` (which ignores replace refs) sent the malicious pickle itself.
    Objects are now read as stored, so the clone is refused."""
    marker = tmp_path / "MARKER"
    work = tmp_path / "root" / "acme" / "replaced"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("---\nlicense: mit\n---\n# replaced\n")
    _evil(work / "pytorch_model.bin", marker)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "evil")
    blob = git(work, "rev-parse", "HEAD:pytorch_model.bin")
    b.write_torch_zip(tmp_path / "clean.bin")
    git(work, "replace", blob, git(work, "hash-object", "-w", str(tmp_path / "clean.bin")))
    git(work, "rm", "-q", "pytorch_model.bin")
    git(work, "commit", "-q", "-m", "gone from the tip")
    policy = tmp_path / "gateway.yaml"
    policy.write_text(POLICY)
    server = Server(tmp_path / "root", "--policy", str(policy))
    try:
        done = _client(tmp_path, "clone", "-q", "--mirror", f"{server.endpoint}/acme/replaced", "m")
        assert done.returncode != 0 and "ptmscope gateway" in done.stderr, done.stderr
        assert _client(tmp_path, "--git-dir", "m", "cat-file", "-e", blob).returncode != 0
    finally:
        server.stop()
    assert not marker.exists()
