"""Sources must show what a loader would load: decoy git objects, work-tree changes,
committed links and submodules, missing objects and pointer look-alikes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ptmscope.audit import AuditOptions, audit
from ptmscope.probes.base import Outcome
from ptmscope.sources.lfs import parse_pointer
from tests.conftest import git
from tests.scan.builders import canary_pickle

pytestmark = pytest.mark.adversarial


def outcome(result, probe: str) -> Outcome:  # type: ignore[no-untyped-def]
    return next(f.outcome for f in result.findings if f.probe == probe)


def clean_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("---\nlicense: mit\n---\n# Clean\n\nA clean model.\n")
    (path / "config.json").write_text('{"model_type": "bert"}')
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "clean")
    return path


def test_work_tree_is_audited_as_the_files_on_disk(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    work = clean_repo(tmp_path / "wt")
    (work / "pytorch_model.bin").write_bytes(canary_pickle(marker))  # untracked
    (work / "config.json").write_text('{"model_type": "bert", "auto_map": {"AutoModel": "m.M"}}')
    result = audit(work)
    assert result.package.history and result.package.commit is not None  # history from git
    assert outcome(result, "risk.malicious_serialization") is Outcome.DETECTED
    assert outcome(result, "risk.remote_code") is Outcome.DETECTED
    # --revision reads the commit's objects, where none of that exists
    at_head = audit(work, AuditOptions(revision="main"))
    assert outcome(at_head, "risk.malicious_serialization") is not Outcome.DETECTED
    assert not marker.exists()


def test_git_objects_copied_beside_weights_do_not_hide_them(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    decoy = clean_repo(tmp_path / "decoy")
    package = tmp_path / "pkg"
    package.mkdir()
    for name in ("HEAD", "objects", "refs"):
        source = decoy / ".git" / name
        copy = shutil.copytree if source.is_dir() else shutil.copyfile
        copy(source, package / name)
    (package / "pytorch_model.bin").write_bytes(canary_pickle(marker))
    result = audit(package)
    assert result.package.source == "local"
    assert outcome(result, "risk.malicious_serialization") is Outcome.DETECTED


def test_committed_links_submodules_and_missing_objects_are_reported(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    outside = tmp_path / "outside.bin"
    outside.write_bytes(canary_pickle(marker))
    sub = clean_repo(tmp_path / "sub")
    work = clean_repo(tmp_path / "repo")
    (work / "weights.pkl").write_bytes(canary_pickle(marker))
    os.symlink(outside, work / "pytorch_model.bin")
    os.symlink("weights.pkl", work / "alias.bin")
    git(work, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "links")
    bare = tmp_path / "repo.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    result = audit(bare)
    problems = {p.path: p.message for p in result.package.problems if p.unreadable}
    assert "leaves the package" in problems["pytorch_model.bin"]
    assert "submodule" in problems["vendor"]
    flagged = {s.path for s in result.package.scans if s.verdict.value == "malicious"}
    assert flagged == {"weights.pkl", "alias.bin"}  # an in-package link is its target
    assert not marker.exists()


def test_a_missing_git_object_is_reported_not_an_internal_error(tmp_path: Path) -> None:
    work = clean_repo(tmp_path / "repo")
    oid = git(work, "rev-parse", "HEAD:config.json")
    loose = work / ".git" / "objects" / oid[:2] / oid[2:]
    assert loose.is_file()
    loose.unlink()
    result = audit(work, AuditOptions(revision="main"))
    problems = {p.path: p.message for p in result.package.problems if p.unreadable}
    assert "is missing" in problems["config.json"]
    assert outcome(result, "risk.unreadable_content") is Outcome.DETECTED


def test_a_pointer_followed_by_content_is_content() -> None:
    pointer = (
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 12345\n"
    ).encode()
    assert parse_pointer(pointer) is not None
    assert parse_pointer(pointer + b"PK\x03\x04payload") is None
    assert parse_pointer(pointer.replace(b"size", b"size  ")) is None
