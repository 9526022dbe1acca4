"""What ``ptmscope scan`` reads under a folder, and how it reports what it cannot read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ptmscope.audit import audit
from ptmscope.probes.base import Outcome
from ptmscope.scan.scanner import scan_paths
from tests.scan.builders import canary_pickle

pytestmark = pytest.mark.adversarial

SHA = "0123456789abcdef0123456789abcdef01234567"


def ptmscope(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptmscope", *args], capture_output=True, text=True, timeout=120
    )


def hub_cache(base: Path, marker: Path) -> Path:
    """The layout ``snapshot_download()`` returns: every file a symlink into ``blobs/``."""
    entry = base / "models--acme--tiny"
    blobs, snapshot = entry / "blobs", entry / "snapshots" / SHA
    blobs.mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (entry / "refs").mkdir()
    (entry / "refs" / "main").write_text(SHA)
    (blobs / "aa11").write_bytes(canary_pickle(marker))
    (blobs / "bb22").write_text("---\nlicense: mit\n---\n# Tiny\n")
    os.symlink("../../blobs/aa11", snapshot / "pytorch_model.bin")
    os.symlink("../../blobs/bb22", snapshot / "README.md")
    return entry


def test_snapshot_download_folder_is_scanned_through_its_links(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    entry = hub_cache(tmp_path, marker)
    snapshot = entry / "snapshots" / SHA
    results = {Path(r.path).name: r.verdict.value for r in scan_paths([snapshot])}
    assert results == {"README.md": "clean", "pytorch_model.bin": "malicious"}
    # The whole cache entry: files are reported by their snapshot paths, blobs not twice.
    whole = scan_paths([entry])
    assert [r.path.split("snapshots/")[1] for r in whole] == [
        f"{SHA}/README.md",
        f"{SHA}/pytorch_model.bin",
    ]
    done = ptmscope("scan", str(snapshot))
    assert done.returncode == 1 and "malicious" in done.stdout, done.stdout
    # audit of the same folder knows its name and commit and finds the pickle
    result = audit(snapshot)
    assert result.package.name == "acme/tiny" and result.package.commit == SHA
    found = {f.probe: f.outcome for f in result.findings}
    assert found["risk.malicious_serialization"] is Outcome.DETECTED
    assert not marker.exists()


def test_links_that_loop_dangle_or_leave_are_reported_and_fail_the_gate(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink("missing", root / "dangling")
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"secret")
    os.symlink(outside, root / "escape")
    os.mkfifo(root / "pipe")
    (root / "sub").mkdir()
    os.symlink(tmp_path, root / "sub" / "linked-folder")
    reasons = {Path(r.path.rstrip("/")).name: r for r in scan_paths([root])}
    assert reasons["model.safetensors"].verdict.value == "clean"
    expected = {
        "loop-a": "symlink loop",
        "loop-b": "symlink loop",
        "dangling": "broken symlink",
        "escape": "leaves the scanned folder",
        "pipe": "not a regular file",
        "linked-folder": "symlinked folder",
    }
    for name, needle in expected.items():
        scan = reasons[name]
        assert scan.verdict.value == "error" and needle in scan.errors[0].message, (name, scan)
    done = ptmscope("scan", str(root), "-f", "json")
    assert done.returncode == 1, done.stderr
    assert len(json.loads(done.stdout)["files"]) == 7
    # The audit of the same folder says the same, and its gate fails closed.
    result = audit(root)
    unreadable = next(f for f in result.findings if f.probe == "risk.unreadable_content")
    assert unreadable.outcome is Outcome.DETECTED
    assert result.fails(None)


def test_file_names_that_are_not_utf8_are_scanned_and_printed(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    root = tmp_path / "pkg"
    root.mkdir()
    odd = os.fsdecode(b"model-\xff\xfe.bin")
    (root / odd).write_bytes(canary_pickle(marker))
    [scan] = scan_paths([root])
    assert scan.verdict.value == "malicious" and scan.path.endswith("model-\\xff\\xfe.bin")
    for fmt in ("text", "json", "sarif"):
        done = ptmscope("scan", str(root), "-f", fmt)
        assert done.returncode == 1, (fmt, done.stderr)
        assert "model-\\" in done.stdout and "internal error" not in done.stderr
    audited = ptmscope("audit", str(root), "-f", "json")
    assert "internal error" not in audited.stderr and audited.returncode in (0, 1)
    assert not marker.exists()


def _too_deep_to_list(root: Path) -> None:
    """Folders nested past PATH_MAX, made through directory handles: listing the deepest
    fails (ENAMETOOLONG) for every user, root included, as a locked folder would."""
    handle = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(20):
            os.mkdir("d" * 250, dir_fd=handle)
            deeper = os.open("d" * 250, os.O_RDONLY | os.O_DIRECTORY, dir_fd=handle)
            os.close(handle)
            handle = deeper
        payload = os.open("payload.bin", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=handle)
        os.write(payload, b"\x80\x04K\x01.")
        os.close(payload)
    finally:
        os.close(handle)


def test_folder_that_cannot_be_listed_is_reported_not_skipped(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    _too_deep_to_list(root)
    results = scan_paths([root])
    errors = [r for r in results if r.verdict.value == "error"]
    assert errors and all("folder not listed" in r.errors[0].message for r in errors)
    done = ptmscope("scan", str(root), "-f", "json")
    assert done.returncode == 1, done.stderr
    result = audit(root)
    unreadable = next(f for f in result.findings if f.probe == "risk.unreadable_content")
    assert unreadable.outcome is Outcome.DETECTED
    assert any("folder not listed" in e.detail for e in unreadable.evidence)
