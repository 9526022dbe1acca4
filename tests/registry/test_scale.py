"""The gateway at organisation scale: several workers over one shared state, restarts that
keep verdicts, and file bodies moved by a real nginx in front (``X-Accel-Redirect``).

Everything runs for real on 127.0.0.1: ``registry serve --workers 2`` (uvicorn's worker
processes), the SQLite state file they share, nginx from Debian with the configuration
shipped in ``examples/nginx``, and the ``huggingface_hub`` client.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from pathlib import Path

import pytest

from tests.conftest import FULL_CARD, write_safetensors
from tests.registry.conftest import Server, free_port, run_client
from tests.scan import builders as b

POLICY = "version: 1\ntemplates:\n  formats: [safetensors]\n"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "nginx"


def _root(base: Path) -> Path:
    root = base / "root"
    safe = root / "acme" / "safe"
    safe.mkdir(parents=True)
    (safe / "README.md").write_text(FULL_CARD)
    (safe / "config.json").write_text('{"model_type": "bert"}')
    write_safetensors(safe / "model.safetensors")
    (safe / "big.dat").write_bytes(os.urandom(11 << 20))  # an LFS-sized body to hand off
    pickled = root / "acme" / "pickled"
    pickled.mkdir(parents=True)
    (pickled / "README.md").write_text("---\nlicense: mit\n---\n# pickled\n")
    b.write_torch_zip(pickled / "pytorch_model.bin", base / "MARKER")
    (base / "policy.yaml").write_text(POLICY)
    return root


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (looked up in any case, as HTTP names are) and body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _decisions(log: Path) -> list[dict[str, object]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [r for r in map(json.loads, lines) if r.get("event") == "decision"]


def _workers(parent: int) -> list[int]:
    """The worker processes uvicorn spawned for ``parent`` (not its resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat.rsplit(")", 1)[-1].split()[1] == str(parent) and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def test_two_workers_judge_once_and_count_alike(tmp_path: Path) -> None:
    root = _root(tmp_path)
    log = tmp_path / "gateway.jsonl"
    server = Server(root, "--workers", "2", "--policy", str(tmp_path / "policy.yaml"),
                    "--audit-log", str(log))  # fmt: skip
    try:
        assert len(_workers(server.process.pid)) == 2  # uvicorn's two worker processes

        def first(path: str) -> int:  # a fresh connection each: both workers get some
            return _get(f"{server.endpoint}/{path}")[0]

        paths = ["acme/safe/resolve/main/model.safetensors"] * 6 + [
            "acme/pickled/resolve/main/pytorch_model.bin"] * 6  # fmt: skip
        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(first, paths))
        assert statuses.count(200) == 6 and statuses.count(403) == 6
        decided = _decisions(log)
        assert sorted(str(d["repo"]) for d in decided) == ["acme/pickled", "acme/safe"]
        state = sqlite3.connect(root / ".ptmscope" / "state.sqlite")
        assert state.execute("SELECT count(*) FROM verdicts").fetchone()[0] == 2
        for _ in range(10):
            assert first("acme/safe/resolve/main/config.json") == 200
        counted = [json.loads(_get(f"{server.endpoint}/api/models/acme/safe")[2])["downloads"]
                   for _ in range(6)]  # fmt: skip
        assert counted == [16] * 6  # every worker reads the same counter
        assert not (tmp_path / "MARKER").exists()
    finally:
        server.stop()


def test_a_restart_keeps_verdicts_dates_and_counters(tmp_path: Path) -> None:
    root = _root(tmp_path)
    log = tmp_path / "gateway.jsonl"
    args = ("--policy", str(tmp_path / "policy.yaml"), "--audit-log", str(log))
    server = Server(root, *args)
    try:
        assert _get(f"{server.endpoint}/acme/safe/resolve/main/config.json")[0] == 200
        before = json.loads(_get(f"{server.endpoint}/api/models/acme/safe")[2])
    finally:
        server.stop()
    assert len(_decisions(log)) == 1
    server = Server(root, *args)
    try:
        assert _get(f"{server.endpoint}/acme/safe/resolve/main/config.json")[0] == 200
        after = json.loads(_get(f"{server.endpoint}/api/models/acme/safe")[2])
    finally:
        server.stop()
    assert len(_decisions(log)) == 1  # judged once, before the restart
    assert after["createdAt"] == before["createdAt"]  # the first sighting survives
    assert after["downloads"] == before["downloads"] + 1 == 2
    assert after["securityRepoStatus"]["policyDecision"]["decision"] == "allow"


def _claim_in_child(path: str, key: str, out: multiprocessing.Queue[bool]) -> None:
    from ptmscope.registry.state import SqliteState

    out.put(SqliteState(Path(path)).claim(key))


def test_one_claim_wins_and_a_dead_owners_claim_is_taken_over(tmp_path: Path) -> None:
    from ptmscope.registry.state import SqliteState

    path = tmp_path / "state.sqlite"
    SqliteState(path)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[bool] = context.Queue()
    children = [context.Process(target=_claim_in_child, args=(str(path), "k", results))
                for _ in range(4)]  # fmt: skip
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    won = [results.get(timeout=10) for _ in children]
    # each child died after claiming: one won while the winner lived; a later one may take
    # over a dead owner's claim, but never two at once
    assert won.count(True) >= 1
    here = SqliteState(path)
    assert here.claim("k")  # every owner is dead now: the claim is taken over
    assert not SqliteState(path).claim("k")  # held by a live owner (this process, other id)
    here.release("k")
    assert SqliteState(path).claim("k")


def _short_socket() -> str:
    """A unix socket path under the 108-byte limit (pytest's folders can be longer)."""
    import tempfile

    return str(Path(tempfile.mkdtemp(prefix="ngx", dir="/tmp")) / "d.sock")


def _nginx_conf(base: Path, example: str, root: Path, upstream: int, port: int) -> Path:
    """The shipped example, pointed at this test's folder and ports (nothing else changed)."""
    server = (EXAMPLES / example).read_text()
    for old, new in (("/srv/models", str(root)), ("127.0.0.1:8000", f"127.0.0.1:{upstream}"),
                     ("listen 8080", f"listen 127.0.0.1:{port}"),
                     ("/run/ptmscope-decisions.sock", _short_socket()),
                     ("/var/cache/nginx/ptmscope", str(base / "nginx-cache"))):  # fmt: skip
        server = server.replace(old, new)
    (base / "nginx").mkdir()
    temp = " ".join(f"{k}_temp_path {base / 'nginx' / k};" for k in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    conf = base / "nginx" / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # a test folder only root may read
    conf.write_text(
        f"{user}daemon off; pid {base / 'nginx' / 'nginx.pid'}; "
        f"error_log {base / 'nginx' / 'error.log'};\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{ access_log off; {temp}\n{server}\n}}\n"
    )
    return conf


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
@pytest.mark.parametrize("example", ["ptmscope.conf", "ptmscope-cached.conf"])
def test_nginx_moves_the_bytes_and_refusals_pass_through(tmp_path: Path, example: str) -> None:
    root = _root(tmp_path)
    server = Server(root, "--policy", str(tmp_path / "policy.yaml"),
                    "--accel-redirect", "/_ptmscope/objects/")  # fmt: skip
    port = free_port()
    conf = _nginx_conf(tmp_path, example, root, server.port, port)
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path / "nginx")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    front = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                _get(f"{front}/api/models?limit=1")
                break
            except OSError:
                time.sleep(0.1)
        big = (root / "acme" / "safe" / "big.dat").read_bytes()
        status, headers, body = _get(f"{front}/acme/safe/resolve/main/big.dat")
        assert status == 200 and body == big
        assert headers["X-Accel-Redirect"] is None  # nginx consumed it
        assert headers["X-Repo-Commit"] and len(headers["X-Repo-Commit"]) == 40
        digest = hashlib.sha256(big).hexdigest()
        assert headers["ETag"] == f'"{digest}"' == headers["X-Linked-Etag"]
        published = root / ".ptmscope" / "objects" / digest[-2:] / digest
        assert published.read_bytes() == big  # nginx sent the published, judged copy
        status, headers, body = _get(f"{front}/acme/safe/resolve/main/big.dat",
                                     {"Range": "bytes=65536-131071"})  # fmt: skip
        assert status == 206 and body == big[65536:131072]
        assert headers["Content-Range"] == f"bytes 65536-131071/{len(big)}"
        # a client that reaches the worker directly gets the body, not a hand-off
        status, headers, body = _get(f"{server.endpoint}/acme/safe/resolve/main/big.dat")
        assert status == 200 and body == big and headers["X-Accel-Redirect"] is None
        # an internal location is not reachable from outside
        assert _get(f"{front}/_ptmscope/objects/{digest[-2:]}/{digest}")[0] == 404
        status, headers, body = _get(f"{front}/acme/pickled/resolve/main/pytorch_model.bin")
        assert status == 403 and headers["X-Error-Code"] == "GatedRepo"
        assert b"refused by policy (pickle.process)" in body  # the content floor speaks first
        got = run_client(
            _Endpoint(front),  # type: ignore[arg-type]
            tmp_path / "home",
            "import json, hashlib\nfrom huggingface_hub import hf_hub_download, snapshot_download\n"
            "p = hf_hub_download('acme/safe', 'big.dat')\n"
            "d = snapshot_download('acme/safe')\n"
            "try:\n    hf_hub_download('acme/pickled', 'pytorch_model.bin'); refused = ''\n"
            "except Exception as e:\n    refused = type(e).__name__ + ': ' + str(e)\n"
            "print(json.dumps({'sha': hashlib.sha256(open(p, 'rb').read()).hexdigest(),"
            " 'refused': refused}))",
        )
        assert isinstance(got, dict) and got["sha"] == digest
        assert "GatedRepo" in got["refused"] and "refused by policy" in got["refused"]
        # every refusal reached the gateway and its log, cached decisions or not
        refusals = [json.loads(line) for line in (root / ".ptmscope" / "gateway-audit.jsonl")
                    .read_text().splitlines() if '"refusal"' in line]  # fmt: skip
        assert len([r for r in refusals if r["file"] == "pytorch_model.bin"]) >= 2
        assert not (tmp_path / "MARKER").exists()
    finally:
        nginx.terminate()
        nginx.wait(10)
        server.stop()


class _Endpoint:
    """What ``run_client`` needs of a server: an endpoint and the environment for it."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def env(self, home: Path) -> dict[str, str]:
        return {**os.environ, "HF_ENDPOINT": self.endpoint, "HF_HOME": str(home),
                "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}  # fmt: skip


def test_a_swapped_folder_file_is_never_published(tmp_path: Path) -> None:
    from ptmscope.registry.objects import Objects
    from ptmscope.registry.store import Store

    root = _root(tmp_path)
    store = Store(root)
    repo = store.repo("acme", "safe")
    revision = store.revision(repo, repo.resolve(None))
    entry = revision.index["big.dat"]
    digest = store.digest(revision, entry)
    target = root / "acme" / "safe" / "big.dat"
    data = target.read_bytes()
    target.write_bytes(bytes(reversed(data)))  # same size, other bytes, same inode
    objects = Objects(tmp_path / "objects")
    assert objects.publish(revision, entry, digest) is None
    assert not [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    repo.invalidate()
    fresh = store.revision(repo, repo.resolve(None))  # the folder as it is now
    entry = fresh.index["big.dat"]
    published = objects.publish(fresh, entry, store.digest(fresh, entry))
    assert published is not None
    assert (tmp_path / "objects" / published).read_bytes() == bytes(reversed(data))


def _gateway_and_revision(tmp_path: Path, state_path: Path) -> tuple[object, object]:
    from ptmscope.registry.gateway import Gateway, GatewayPolicy
    from ptmscope.registry.state import SqliteState
    from ptmscope.registry.store import Store

    root = _root(tmp_path)
    store = Store(root)
    repo = store.repo("acme", "safe")
    revision = store.revision(repo, repo.resolve(None))
    policy = GatewayPolicy.load(tmp_path / "policy.yaml")
    gateway = Gateway(policy, tmp_path / "log.jsonl", state=SqliteState(state_path))
    gateway.content_keys = store.content_keys
    return gateway, revision


def test_a_waiting_worker_takes_the_stored_verdict_or_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another worker holds the claim, this one judges nothing: it takes the verdict
    that worker stores, and after CLAIM_WAIT_S without one it refuses (not stored)."""
    import threading

    from ptmscope.registry import gateway as gateway_module
    from ptmscope.registry.state import SqliteState

    state_path = tmp_path / "state.sqlite"
    gateway, revision = _gateway_and_revision(tmp_path, state_path)
    judged: list[str] = []
    original = gateway._judge  # type: ignore[attr-defined]
    gateway._judge = lambda r: judged.append(r.sha) or original(r)  # type: ignore[attr-defined]
    key = gateway._state_key(  # type: ignore[attr-defined]
        (revision.repo_id, revision.sha, gateway.policy_digest, gateway._lineage_key(revision))  # type: ignore[attr-defined]
    )
    other = SqliteState(state_path)  # another live worker (this process, another owner)
    assert other.claim(key)
    monkeypatch.setattr(gateway_module, "CLAIM_WAIT_S", 0.5)
    verdict = gateway.verdict(revision)  # type: ignore[attr-defined]
    assert judged == [] and verdict.note is not None and "could not be judged" in verdict.note
    assert set(verdict.refused) == {f.path for f in revision.files}  # fail closed
    assert SqliteState(state_path).verdict(key) is None  # not stored

    fresh, revision = _gateway_and_revision(tmp_path / "again", state_path)
    fresh_judged: list[str] = []
    fresh._judge = lambda r: fresh_judged.append(r.sha)  # type: ignore[attr-defined]
    key = fresh._state_key(  # type: ignore[attr-defined]
        (revision.repo_id, revision.sha, fresh.policy_digest, fresh._lineage_key(revision))  # type: ignore[attr-defined]
    )
    assert other.claim(key)  # the other worker is judging this revision now
    judged_elsewhere, _ = _gateway_and_revision(tmp_path / "elsewhere", tmp_path / "other.sqlite")
    stored = judged_elsewhere.verdict(revision)  # type: ignore[attr-defined]
    monkeypatch.setattr(gateway_module, "CLAIM_WAIT_S", 60)
    timer = threading.Timer(
        0.3,
        lambda: other.put_verdict(key, revision.repo_id, revision.sha, "-", stored.data(), None),  # type: ignore[attr-defined]
    )
    timer.start()
    try:
        got = fresh.verdict(revision)  # type: ignore[attr-defined]
    finally:
        timer.cancel()
    assert fresh_judged == []  # it waited and took the other worker's verdict
    assert got.note is None and got.decision is not None
    assert got.decision.decision.value == stored.decision.decision.value == "allow"


def test_an_object_is_named_by_plain_hex_only(tmp_path: Path) -> None:
    from ptmscope.registry.objects import Objects
    from ptmscope.registry.store import Digest

    objects = Objects(tmp_path / "objects")
    assert objects.name(Digest("a" * 40, "b" * 64, 130)) == f"bb/{'b' * 64}"
    assert objects.name(Digest("a" * 40, None, None)) == f"aa/git-{'a' * 40}"
    assert objects.name(Digest("a" * 40, "../../etc/passwd", 1)) is None
    assert objects.name(Digest("../x", None, None)) is None


def test_seeded_upstream_dates_are_imported_earliest_kept(tmp_path: Path) -> None:
    """first-seen.jsonl lines (upstream dates seeded by hand) move a sighting earlier, at
    any start, never later."""
    from datetime import UTC, datetime

    from ptmscope.registry.firstseen import FirstSeen
    from ptmscope.registry.state import SqliteState

    state = tmp_path / "state.sqlite"
    legacy = tmp_path / "first-seen.jsonl"
    seen = FirstSeen(legacy, SqliteState(state))
    created, _ = seen.dates("acme/a", "1" * 40)
    legacy.write_text(
        json.dumps(["acme/a", "2023-01-24T14:49:25+00:00"]) + "\n"
        + json.dumps(["acme/a@" + "1" * 40, "2099-01-01T00:00:00+00:00"]) + "\n"
    )  # fmt: skip
    again = FirstSeen(legacy, SqliteState(state))
    package, revision = again.dates("acme/a", "1" * 40)
    assert package == datetime(2023, 1, 24, 14, 49, 25, tzinfo=UTC)  # moved earlier
    assert revision == created  # a later seed never moves it later


def test_a_failing_store_fails_closed_and_the_revision_is_judged_again_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that cannot answer (locked past its timeout) refuses the revision, not 500,
    and the refusal is not kept for the life of the process: it is judged again later."""
    import time as clock

    from ptmscope.registry import gateway as gateway_module
    from ptmscope.registry.state import MemoryState

    class Locked(MemoryState):
        failing = True

        def verdict(self, key: str) -> dict[str, object] | None:
            if self.failing:
                raise sqlite3.OperationalError("database is locked")
            return super().verdict(key)

    gateway, revision = _gateway_and_revision(tmp_path, tmp_path / "unused.sqlite")
    store = Locked()
    gateway.state = store  # type: ignore[attr-defined]
    refused = gateway.verdict(revision)  # type: ignore[attr-defined]
    assert refused.note is not None and "database is locked" in refused.note
    assert set(refused.refused) == {f.path for f in revision.files}
    store.failing = False
    assert gateway.verdict(revision).note is not None  # type: ignore[attr-defined]  # kept a while
    monkeypatch.setattr(clock, "time", lambda: refused.expires + 1)  # type: ignore[operator]
    assert gateway_module.time.time() > refused.expires  # type: ignore[operator]
    judged = gateway.verdict(revision)  # type: ignore[attr-defined]
    assert judged.note is None and judged.decision is not None
