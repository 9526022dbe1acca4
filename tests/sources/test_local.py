from __future__ import annotations

import os
from pathlib import Path

from ptmscope.audit import collect
from ptmscope.sources.local import LocalSource
from tests.conftest import FULL_CARD, write_safetensors


def _cache_layout(tmp_path: Path) -> Path:
    """What ``snapshot_download`` leaves in the Hub cache: snapshots symlinked into blobs."""
    repo = tmp_path / "hub" / "models--acme--tiny"
    sha = "0123456789abcdef0123456789abcdef01234567"
    snap = repo / "snapshots" / sha
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    contents = {
        "README.md": FULL_CARD.encode(),
        "config.json": b'{"model_type": "bert"}',
        "1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}',
        "onnx/model.onnx": b"\x08\x07\x12\x04test",
    }
    for i, (rel, data) in enumerate(contents.items()):
        blob = repo / "blobs" / f"blob{i}"
        blob.write_bytes(data)
        link = snap / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
    write_safetensors(repo / "blobs" / "weights")
    os.symlink(os.path.relpath(repo / "blobs" / "weights", snap), snap / "model.safetensors")
    return repo


def test_hub_cache_layout_gives_name_commit_and_subfolders(tmp_path: Path) -> None:
    repo = _cache_layout(tmp_path)
    for ref in (repo, next((repo / "snapshots").iterdir())):
        package = collect(ref)
        assert package.name == "acme/tiny"
        assert package.commit == "0123456789abcdef0123456789abcdef01234567"
        paths = {f.path for f in package.files}
        assert {"1_Pooling/config.json", "onnx/model.onnx", "model.safetensors"} <= paths
        weights = {w.path: w for w in package.weights}
        assert weights["model.safetensors"].format == "safetensors"
        assert weights["model.safetensors"].parameters == 32
        assert weights["onnx/model.onnx"].format == "onnx"


def test_symlink_leaving_the_package_is_not_followed(tmp_path: Path, make_package) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    root = make_package()
    os.symlink(secret, root / "leak.txt")
    source = LocalSource(root)
    assert "leak.txt" not in {f.path for f in source.files()}
    assert ("leak.txt", "symlink leaves the package") in source.skipped()


def test_local_lfs_pointer_is_recognised(make_package) -> None:  # type: ignore[no-untyped-def]
    pointer = (
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 123456789\n"
    )
    package = collect(make_package(safetensors=False, files={"pytorch_model.bin": pointer}))
    entry = package.file("pytorch_model.bin")
    assert entry is not None and entry.lfs is not None and not entry.available
    assert entry.size == 123456789 and entry.sha256 == "a" * 64
