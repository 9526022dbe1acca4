"""The listing index (issue 20 item 3): ``/api/models`` answered from ``ROOT/.ptmscope/index.sqlite``.

Real folders, real ``git`` repositories (work trees and bare), real SQLite files, real
subprocesses for concurrent writers, a real ``registry serve`` on 127.0.0.1 and the real
``huggingface_hub`` client. In-process cases call the app's own handlers with real
Starlette requests.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from ptmscope.registry.app import Registry
from ptmscope.registry.gateway import Gateway, GatewayPolicy
from ptmscope.registry.index import INDEX_PATH, PackageIndex
from ptmscope.registry.store import Repo, Revision, Store
from tests.conftest import git
from tests.registry.conftest import MAIN, Server, run_client

CARD = "---\nlicense: {licence}\ntags: [{tag}]\npipeline_tag: text-classification\n---\n# m\n"


class CountingStore(Store):
    """A real store that counts how often it loads a revision and lists the tree."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.loads = 0
        self.listings = 0

    def revision(self, repo: Repo, sha: str) -> Revision:
        self.loads += 1
        return super().revision(repo, sha)

    def repo_ids(self) -> list[str]:
        self.listings += 1
        return super().repo_ids()


def _request(path: str, query: str = "") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1")],
            "scheme": "http",
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 1),
            "root_path": "",
        }
    )


def _list(registry: Registry, query: str = "limit=1000") -> list[dict[str, Any]]:
    """Every page of a listing (the app pages 50 at a time)."""
    items: list[dict[str, Any]] = []
    for _ in range(1000):
        response = registry.list_models(_request("/api/models", f"{query}&cursor={len(items)}"))
        assert response.status_code == 200
        page: list[dict[str, Any]] = json.loads(bytes(response.body))
        items += page
        if "link" not in response.headers:
            return items
    raise AssertionError("the listing did not end")


def _info(registry: Registry, repo_id: str) -> dict[str, Any]:
    owner, name = repo_id.split("/")
    repo = registry.store.repo(owner, name)
    response = registry.model_info(_request(f"/api/models/{repo_id}"), repo, None)
    info: dict[str, Any] = json.loads(bytes(response.body))
    return info


def _folder(root: Path, repo_id: str, licence: str = "mit", tag: str = "t") -> Path:
    folder = root / repo_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(CARD.format(licence=licence, tag=tag))
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    return folder


def _work_tree(root: Path, repo_id: str) -> Path:
    work = _folder(root, repo_id, "apache-2.0", "git")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    return work


def _bare(root: Path, repo_id: str, scratch: Path) -> tuple[Path, Path]:
    """A bare repository under ROOT and the work tree (outside ROOT) that pushes to it."""
    work = _work_tree(scratch, repo_id)
    bare = root / f"{repo_id}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare, work


def _sha(path: Path) -> str:
    return git(path, "rev-parse", "HEAD").strip()


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


@pytest.fixture
def mirror(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "root"
    _folder(root, "acme/folder")
    (root / "acme" / "folder" / "sub" / "deep").mkdir(parents=True)
    (root / "acme" / "folder" / "sub" / "deep" / "notes.txt").write_text("v1\n")
    work = _work_tree(root, "acme/work")
    bare, pusher = _bare(root, "acme/bare", tmp_path / "scratch")
    return {"root": root, "work": work, "bare": bare, "pusher": pusher}


# ------------------------------------------------------------------ incremental refresh
def test_index_follows_added_changed_and_removed_packages(mirror: dict[str, Path]) -> None:
    root = mirror["root"]
    index = PackageIndex(Store(root))
    first = index.refresh(force=True)
    assert first is not None and (first.added, first.changed, first.removed) == (3, 0, 0)
    assert (root / INDEX_PATH).is_file()
    rows = {r.repo_id: r for r in index.rows()}
    assert rows["acme/work"].sha == _sha(mirror["work"])
    assert rows["acme/bare"].sha == _sha(mirror["bare"])

    again = index.refresh(force=True)
    assert again is not None and (again.added, again.changed, again.unchanged) == (0, 0, 3)

    _folder(root, "zeta/new")  # added
    (root / "acme" / "folder" / "README.md").write_text(CARD.format(licence="gpl-3.0", tag="u"))
    (mirror["work"] / "README.md").write_text(CARD.format(licence="bsd", tag="w2"))
    git(mirror["work"], "commit", "-q", "-am", "second")  # a commit on the default branch
    (mirror["pusher"] / "extra.txt").write_text("x\n")
    git(mirror["pusher"], "add", "-A")
    git(mirror["pusher"], "commit", "-q", "-m", "pushed")
    git(mirror["pusher"], "push", "-q", str(mirror["bare"]), "main")
    done = index.refresh(force=True)
    assert done is not None
    assert (done.added, done.changed, done.removed, done.unchanged) == (1, 3, 0, 0)
    rows = {r.repo_id: r for r in index.rows()}
    assert "license:gpl-3.0" in rows["acme/folder"].tags and "u" in rows["acme/folder"].tags
    assert rows["acme/work"].sha == _sha(mirror["work"])
    assert "license:bsd" in rows["acme/work"].tags
    assert rows["acme/bare"].sha == _sha(mirror["pusher"])
    assert ("extra.txt", 2) in rows["acme/bare"].siblings

    shutil.rmtree(root / "zeta" / "new")
    shutil.rmtree(mirror["bare"])
    gone = index.refresh(force=True)
    assert gone is not None and (gone.removed, gone.unchanged) == (2, 2)
    assert [r.repo_id for r in index.rows()] == ["acme/folder", "acme/work"]
    with sqlite3.connect(root / INDEX_PATH) as db:
        stored = sorted(i for (i,) in db.execute("SELECT repo_id FROM packages"))
    assert stored == ["acme/folder", "acme/work"]


def test_listing_reads_the_index_and_a_burst_lists_the_tree_once(
    mirror: dict[str, Path],
) -> None:
    store = CountingStore(mirror["root"])
    registry = Registry(store)
    before = [_list(registry) for _ in range(5)]
    assert store.listings == 1  # one refresh for the burst (INDEX_TTL_S apart at most)
    assert all(items == before[0] for items in before)
    assert _ids(before[0]) == ["acme/bare", "acme/folder", "acme/work"]
    item = next(i for i in before[0] if i["id"] == "acme/folder")
    assert item["tags"] == ["t", "text-classification", "license:mit"]
    assert item["pipeline_tag"] == "text-classification" and item["config"]["model_type"] == "bert"
    assert "siblings" not in item and "cardData" not in item
    full = _list(registry, "full=1&cardData=1&search=fold")
    assert [i["id"] for i in full] == ["acme/folder"]
    assert sorted(s["rfilename"] for s in full[0]["siblings"]) == [
        "README.md",
        "config.json",
        "sub/deep/notes.txt",
    ]
    assert full[0]["cardData"]["license"] == "mit"
    assert _ids(_list(registry, "filter=git")) == ["acme/bare", "acme/work"]
    assert _ids(_list(registry, "author=zeta")) == []
    assert _ids(_list(registry, "sort=id&direction=-1&limit=2")) == ["acme/work", "acme/folder"]
    # model info and the listing say the same of a package (one builder for both)
    info = _info(registry, "acme/work")
    listed = next(i for i in _list(registry, "full=1") if i["id"] == "acme/work")
    for key in ("sha", "tags", "pipeline_tag", "library_name", "usedStorage", "lastModified"):
        assert listed[key] == info[key], key


# ------------------------------------------------------------------ restart
def test_a_restart_lists_from_the_index_without_loading_any_package(
    mirror: dict[str, Path],
) -> None:
    root = mirror["root"]
    first = _list(Registry(Store(root)))
    store = CountingStore(root)
    restarted = Registry(store)
    assert _list(restarted) == first
    assert store.loads == 0  # not one package read: every row came from the index

    # the proof the rows answer alone: the bare repository loses its objects, and it is
    # still listed (from its row) until its signature changes
    shutil.rmtree(mirror["bare"] / "objects")
    (mirror["bare"] / "objects" / "info").mkdir(parents=True)
    (mirror["bare"] / "objects" / "pack").mkdir()
    assert "acme/bare" in _ids(_list(Registry(CountingStore(root))))
    (mirror["bare"] / "packed-refs").write_text("")  # a fetch rewrote the refs: signature moves
    again = Registry(CountingStore(root))
    assert _ids(_list(again)) == ["acme/folder", "acme/work"]  # unreadable: left out, fail closed
    with sqlite3.connect(root / INDEX_PATH) as db:
        assert (
            db.execute("SELECT count(*) FROM packages WHERE repo_id='acme/bare'").fetchone()[0] == 0
        )


def test_an_unreadable_package_is_left_out_and_not_read_again_until_it_changes(
    mirror: dict[str, Path],
) -> None:
    root = mirror["root"]
    shutil.rmtree(mirror["bare"] / "objects")  # refs name commits that are not there
    (mirror["bare"] / "objects" / "info").mkdir(parents=True)
    (mirror["bare"] / "objects" / "pack").mkdir()
    store = CountingStore(root)
    index = PackageIndex(store)
    first = index.refresh(force=True)
    assert first is not None and [i for i, _ in first.unreadable] == ["acme/bare"]
    assert [r.repo_id for r in index.rows()] == ["acme/folder", "acme/work"]
    loads = store.loads
    second = index.refresh(force=True)
    assert second is not None and store.loads == loads  # not read again: nothing changed
    assert "not tried again" in second.unreadable[0][1]
    shutil.rmtree(mirror["bare"])
    clone = ["git", "clone", "-q", "--bare", str(mirror["pusher"]), str(mirror["bare"])]
    subprocess.run(clone, check=True)  # the mirror synced it again
    third = index.refresh(force=True)
    assert third is not None and third.added == 1 and not third.unreadable
    assert "acme/bare" in [r.repo_id for r in index.rows()]


def test_a_change_the_signature_cannot_see_is_taken_when_the_package_is_loaded(
    mirror: dict[str, Path],
) -> None:
    root = mirror["root"]
    registry = Registry(Store(root))
    old = next(i["sha"] for i in _list(registry) if i["id"] == "acme/folder")
    deep = root / "acme" / "folder" / "sub" / "deep" / "notes.txt"
    with deep.open("r+") as handle:  # rewritten in place, two levels down
        handle.write("v2")
    quiet = registry.index().refresh(force=True)
    assert quiet is not None and quiet.changed == 0  # the stat signature did not see it
    fresh = Registry(Store(root))  # a worker that has not cached the folder's refs
    assert next(i["sha"] for i in _list(fresh) if i["id"] == "acme/folder") == old
    new = _info(fresh, "acme/folder")["sha"]  # model info loads the default revision anyway
    assert new != old
    assert next(i["sha"] for i in _list(fresh) if i["id"] == "acme/folder") == new
    restarted = Registry(CountingStore(root))  # the row was rewritten on disk, not only here
    assert next(i["sha"] for i in _list(restarted) if i["id"] == "acme/folder") == new


# ------------------------------------------------------------------ many processes
REFRESH_AT_ONCE = """
import sys, time
from pathlib import Path
import ptmscope.registry.index as module
from ptmscope.registry.index import PackageIndex
from ptmscope.registry.store import Store
module.WRITE_BATCH = 5  # many short transactions, so the two writers interleave
root, me, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
index = PackageIndex(Store(root))
me.write_text("ready")
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
done = index.rebuild()
print(done.added + done.changed + done.unchanged, len(done.unreadable), done.removed)
"""


def test_two_processes_refreshing_one_index_at_once_end_with_one_row_per_package(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    for number in range(450):
        _folder(root, f"org{number % 4}/model-{number:03d}", tag=f"n{number}")
    for number in range(3):
        _bare(root, f"gits/repo-{number}", tmp_path / "scratch")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", REFRESH_AT_ONCE, str(root), str(mark), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for mark in ready
    ]
    deadline = time.monotonic() + 120
    while not all(mark.exists() for mark in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.write_text("go")  # both have the index open: they rebuild at the same moment
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert out.split() == ["453", "0", "0"], out
    with sqlite3.connect(root / INDEX_PATH) as db:
        count, distinct = db.execute(
            "SELECT count(*), count(DISTINCT repo_id) FROM packages"
        ).fetchone()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert count == distinct == 453
    listed = _list(Registry(CountingStore(root)))
    assert len(listed) == 453 and len({i["id"] for i in listed}) == 453


# ------------------------------------------------------------------ read-only and damaged
@pytest.mark.parametrize("how", ["blocked", "read-only"])
def test_a_root_that_cannot_be_written_still_lists(
    mirror: dict[str, Path], how: str, capfd: pytest.CaptureFixture[str]
) -> None:
    root = mirror["root"]
    if how == "blocked":
        (root / ".ptmscope").write_text("not a folder")  # the index cannot be made there
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes through file permissions; the 'blocked' case covers it")
        root.chmod(0o555)
    try:
        store = CountingStore(root)
        registry = Registry(store)
        assert _ids(_list(registry)) == ["acme/bare", "acme/folder", "acme/work"]
        assert not registry.index().persistent
        assert _ids(_list(Registry(Store(root)))) == ["acme/bare", "acme/folder", "acme/work"]
        err = capfd.readouterr().err
        assert err.count("kept in memory") == 1, err  # said once per process
        done = subprocess.run(
            [sys.executable, "-c", MAIN, "registry", "index", str(root)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            timeout=120,
        )
        assert done.returncode == 2 and "cannot write the listing index" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    finally:
        root.chmod(0o755)
    assert not (root / INDEX_PATH).exists()


@pytest.mark.parametrize("damage", ["garbage", "another layout"])
def test_a_damaged_index_file_is_started_afresh(mirror: dict[str, Path], damage: str) -> None:
    root = mirror["root"]
    (root / INDEX_PATH).parent.mkdir()
    if damage == "garbage":
        (root / INDEX_PATH).write_bytes(b"this is not a database" * 100)
    else:  # same schema stamp, other columns (a development build, a hand edit)
        with sqlite3.connect(root / INDEX_PATH) as db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("INSERT INTO meta VALUES ('schema', '1'), ('stamp', '7')")
            db.execute("CREATE TABLE packages (repo_id TEXT PRIMARY KEY, tags TEXT)")
            db.execute("INSERT INTO packages VALUES ('acme/ghost', '[]')")
    registry = Registry(Store(root))
    assert _ids(_list(registry)) == ["acme/bare", "acme/folder", "acme/work"]
    assert registry.index().persistent
    with sqlite3.connect(root / INDEX_PATH) as db:
        assert db.execute("SELECT count(*) FROM packages").fetchone()[0] == 3


# ------------------------------------------------------------------ gateway facts
def test_a_listing_hides_the_card_of_a_revision_the_gateway_denied(
    mirror: dict[str, Path], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ntemplates:\n  licenses: {deny: [gpl-3.0]}\n")
    root = mirror["root"]
    (root / "acme" / "folder" / "README.md").write_text(CARD.format(licence="gpl-3.0", tag="u"))
    gateway = Gateway(GatewayPolicy.load(policy), tmp_path / "log" / "audit.jsonl")
    registry = Registry(Store(root), gateway)
    listed = {i["id"]: i for i in _list(registry, "cardData=1")}
    assert "cardData" in listed["acme/folder"]  # not judged yet: a listing judges nothing
    info = _info(registry, "acme/folder")
    assert info["securityRepoStatus"]["policyDecision"]["decision"] == "deny"
    listed = {i["id"]: i for i in _list(registry, "cardData=1")}
    assert "cardData" not in listed["acme/folder"] and "config" not in listed["acme/folder"]
    assert "cardData" in listed["acme/work"]
    assert listed["acme/folder"]["createdAt"] == info["createdAt"]  # the gateway's sighting


# ------------------------------------------------------------------ the CLI
def test_registry_index_command_counts_and_fails_closed_on_unreadable_packages(
    mirror: dict[str, Path],
) -> None:
    root = mirror["root"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def index(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", MAIN, "registry", "index", *extra],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    done = index(str(root))
    assert done.returncode == 0, done.stderr
    assert "3 added, 0 changed, 0 removed, 0 unchanged, 0 unreadable" in done.stdout
    _folder(root, "zeta/new")
    broken = root / "zeta" / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /elsewhere\n")  # refused: it would leave ROOT
    done = index(str(root))
    assert done.returncode == 1
    assert "1 added, 0 changed, 0 removed, 3 unchanged, 1 unreadable" in done.stdout
    assert "zeta/broken" in done.stderr and "Traceback" not in done.stderr
    shutil.rmtree(broken)
    done = index(str(root), "--rebuild")
    assert done.returncode == 0, done.stderr
    assert "0 added, 0 changed, 0 removed, 4 unchanged" in done.stdout
    done = index(str(root / "nowhere"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1


# ------------------------------------------------------------------ the real client
LIST = """
import json
from huggingface_hub import HfApi
api = HfApi()
models = list(api.list_models(full=True, cardData=True))
print(json.dumps({
    "ids": [m.id for m in models],
    "rows": {m.id: [m.sha, sorted(m.tags), m.pipeline_tag, sorted(s.rfilename for s in m.siblings)]
             for m in models},
    "info": {m.id: api.model_info(m.id).sha for m in models},
    "mit": [m.id for m in api.list_models(filter="license:mit")],
}))
"""


def test_the_hub_client_lists_the_same_models_after_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for number in range(60):
        _folder(root, f"org{number % 3}/m-{number:02d}", "mit" if number % 2 else "bsd")
    _bare(root, "gits/bare", tmp_path / "scratch")
    _work_tree(root, "gits/work")
    broken = root / "gits" / "broken"
    broken.mkdir()
    (broken / ".git").symlink_to(tmp_path / "scratch" / "gits" / "bare" / ".git")
    expected = sorted([f"org{n % 3}/m-{n:02d}" for n in range(60)] + ["gits/bare", "gits/work"])

    cold = Server(root)  # no index yet: its first listing builds it
    try:
        before = run_client(cold, tmp_path / "home", LIST)
    finally:
        cold.stop()
    assert (root / INDEX_PATH).is_file()
    warm = Server(root)  # a restart: listings come from the rows
    try:
        after = run_client(warm, tmp_path / "home", LIST)
    finally:
        warm.stop()
    assert isinstance(before, dict) and isinstance(after, dict)
    assert sorted(before["ids"]) == expected  # the symlinked .git is left out, as before
    assert after == before
    assert all(after["info"][i] == after["rows"][i][0] for i in expected)
    assert sorted(after["mit"]) == sorted(f"org{n % 3}/m-{n:02d}" for n in range(1, 60, 2))
