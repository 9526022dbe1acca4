"""A real git package for the export tests: card, config, weights, an LFS pointer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FULL_CARD, git, lfs_pointer, write_config, write_files
from tests.export.helpers import safetensors_bytes

SHARD = b"shard bytes that live in LFS storage, not in the repository\n"


@dataclass(frozen=True)
class Repo:
    path: Path
    commit: str
    contents: dict[str, bytes]
    """Every file's real content (for the LFS pointer: the object it points to)."""


def make_repo(root: Path, name: str = "acme__tiny-imdb", card: str = FULL_CARD) -> Repo:
    work = root / f"{name}-work"
    work.mkdir()
    write_config(work / "config.json")
    files: dict[str, str | bytes] = {
        "README.md": card,
        "model.safetensors": safetensors_bytes(),
        "shard-00002.safetensors": lfs_pointer(hashlib.sha256(SHARD).hexdigest(), len(SHARD)),
    }
    write_files(work, files)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first", env={"GIT_COMMITTER_DATE": "2024-05-01T12:00:00Z"})
    bare = root / f"{name}.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    contents = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    contents["shard-00002.safetensors"] = SHARD
    return Repo(bare, git(work, "rev-parse", "HEAD"), contents)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path)
