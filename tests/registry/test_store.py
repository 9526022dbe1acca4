"""The registry's Store: revisions of folders and git repositories, content-addressed ids,
card data read by ``card/``, and the refusals of the listing (real files, real git)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.errors import InputError
from ptmscope.registry import store as store_module
from ptmscope.registry.store import NotFound, Revision, RevisionSource, Store
from ptmscope.vocab import SourceKind
from tests.conftest import git

CARD = "---\nlicense: mit\npipeline_tag: text-classification\n---\n# A model\n"


def _folder(root: Path, repo_id: str, files: dict[str, bytes]) -> Path:
    package = root / repo_id
    for rel, data in files.items():
        path = package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return package


def _revision(store: Store, repo_id: str, ref: str | None = None) -> Revision:
    owner, name = repo_id.split("/")
    repo = store.repo(owner, name)
    return store.revision(repo, repo.resolve(ref))


def test_folder_revision_id_is_its_content(tmp_path: Path) -> None:
    files = {"README.md": CARD.encode(), "config.json": b'{"model_type": "bert"}'}
    _folder(tmp_path, "acme/one", files)
    _folder(tmp_path, "acme/two", files)
    store = Store(tmp_path)
    one, two = _revision(store, "acme/one"), _revision(store, "acme/two")
    assert one.sha == two.sha and len(one.sha) == 40  # same bytes, same id, any name
    assert one.kind == "folder"
    assert one.card_data == {"license": "mit", "pipeline_tag": "text-classification"}
    assert one.config == {"model_type": "bert"}
    assert _revision(store, "acme/one", "main").sha == one.sha
    (tmp_path / "acme" / "two" / "config.json").write_bytes(b'{"model_type": "gpt2"}')
    store.repo("acme", "two").invalidate()
    changed = _revision(store, "acme/two")
    assert changed.sha != one.sha  # one changed byte is a new revision
    assert changed.config == {"model_type": "gpt2"}
    keys = Store.content_keys(one, one.index["config.json"])
    assert any(k.startswith("sha256:") for k in keys) and any(k.startswith("git:") for k in keys)
    store.close()


def test_same_bytes_have_the_same_content_keys_under_any_name(tmp_path: Path) -> None:
    _folder(tmp_path, "acme/a", {"weights/x.bin": b"same bytes", "README.md": b"# a\n"})
    _folder(tmp_path, "other/b", {"renamed.dat": b"same bytes"})
    store = Store(tmp_path)
    a, b = _revision(store, "acme/a"), _revision(store, "other/b")
    assert Store.content_keys(a, a.index["weights/x.bin"]) == Store.content_keys(
        b, b.index["renamed.dat"]
    )
    assert Store.content_keys(a, a.index["README.md"]) != Store.content_keys(
        b, b.index["renamed.dat"]
    )
    store.close()


def test_git_revisions_are_commits_and_tags_resolve(tmp_path: Path) -> None:
    work = tmp_path / "acme" / "history"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text(CARD)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    git(work, "tag", "v1")
    first = git(work, "rev-parse", "HEAD").strip()
    (work / "config.json").write_text(json.dumps({"model_type": "bert"}))
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "second")
    second = git(work, "rev-parse", "HEAD").strip()
    store = Store(tmp_path)
    head = _revision(store, "acme/history")
    tagged = _revision(store, "acme/history", "v1")
    assert (head.sha, tagged.sha) == (second, first)
    assert head.kind == "git" and [c.subject for c in head.history or ()][:2] == [
        "second",
        "first",
    ]
    assert "config.json" in head.index and "config.json" not in tagged.index
    assert tagged.card_data == {"license": "mit", "pipeline_tag": "text-classification"}
    info = RevisionSource(head).info()
    assert info.kind is SourceKind.GIT and info.commit == second
    with pytest.raises(NotFound):
        store.repo("acme", "history").resolve("no-such-branch")
    store.close()


def test_listing_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _folder(tmp_path, "acme/many", {f"f{i}.txt": b"x" for i in range(5)})
    outside = _folder(tmp_path / "elsewhere", "x/y", {"README.md": b"# outside\n"})
    (tmp_path / "acme" / "link").symlink_to(outside, target_is_directory=True)
    store = Store(tmp_path)
    with pytest.raises(NotFound):
        store.repo("acme", "link")  # a package folder that is a symlink is not served
    for owner, name in (("..", "acme"), ("acme", ".."), ("acme", "-bad"), ("acme", "missing")):
        with pytest.raises(NotFound):
            store.repo(owner, name)
    assert "acme/link" not in store.repo_ids() and "acme/many" in store.repo_ids()
    monkeypatch.setattr(store_module, "MAX_FOLDER_FILES", 3)
    with pytest.raises(InputError, match="more than 3 files"):
        store.repo("acme", "many").resolve(None)
    store.close()


def test_card_data_with_bom_and_crlf_is_read_by_card_module(tmp_path: Path) -> None:
    """The registry used to split front matter itself: a BOM gave ``cardData: null``."""
    raw = ("\ufeff" + CARD).replace("\n", "\r\n").encode("utf-8")
    _folder(tmp_path, "acme/bom", {"README.md": raw})
    _folder(tmp_path, "acme/broken", {"README.md": b"---\nlicense: [mit\n---\n# x\n"})
    _folder(tmp_path, "acme/binary", {"README.md": b"---\x00\x01\x02"})
    store = Store(tmp_path)
    assert _revision(store, "acme/bom").card_data == {
        "license": "mit",
        "pipeline_tag": "text-classification",
    }
    assert _revision(store, "acme/broken").card_data is None
    assert _revision(store, "acme/binary").card_data is None
    store.close()
