"""Collecting a package fails closed: what cannot be read is a finding, never a skipped check.

Each case puts a live canary pickle (``os.system('touch MARKER')``) next to the
content that used to switch checks off, and asserts that the audit still finds
the pickle, says what it could not read, exits 1 and never runs the payload.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ptmscope.audit import audit
from ptmscope.probes.base import Outcome
from tests.scan.builders import canary_pickle

pytestmark = pytest.mark.adversarial


def _finding(result, probe: str):  # type: ignore[no-untyped-def]
    return next(f for f in result.findings if f.probe == probe)


def _package(root: Path, readme: bytes | None, marker: Path, **extra: bytes) -> Path:
    root.mkdir()
    if readme is not None:
        (root / "README.md").write_bytes(readme)
    (root / "config.json").write_text('{"model_type": "bert"}')
    (root / "pytorch_model.bin").write_bytes(canary_pickle(marker))
    for name, data in extra.items():
        (root / name).write_bytes(data)
    return root


HOSTILE_CARDS = {
    "nul": b"---\nlicense: mit\n---\n# Model\x00card\n",
    "not-utf8": b"---\nlicense: mit\n---\n" + bytes(range(0x80, 0x100)) * 64,
    "huge": b"# card\n" + b"a" * (9 << 20),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_CARDS))
def test_hostile_card_is_a_finding_and_the_weights_are_still_scanned(
    tmp_path: Path, kind: str
) -> None:
    marker = tmp_path / "MARKER"
    root = _package(tmp_path / "pkg", HOSTILE_CARDS[kind], marker)
    result = audit(root)
    unreadable = _finding(result, "risk.unreadable_content")
    assert unreadable.outcome is Outcome.DETECTED
    assert unreadable.evidence[0].location == "README.md"
    assert _finding(result, "risk.malicious_serialization").outcome is Outcome.DETECTED
    assert result.fails(None)  # fails closed whatever the threshold
    assert not marker.exists()


def test_oversized_config_is_a_finding_not_an_abort(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    root = _package(tmp_path / "pkg", b"# Model\n\nA model.\n", marker)
    with (root / "config.json").open("ab") as handle:
        handle.truncate(17 << 20)
    result = audit(root)
    unreadable = _finding(result, "risk.unreadable_content")
    assert unreadable.outcome is Outcome.DETECTED
    assert any(e.location == "config.json" and "16 MiB" in e.detail for e in unreadable.evidence)
    assert _finding(result, "risk.malicious_serialization").outcome is Outcome.DETECTED


def _tar_with(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_every_file_is_scanned_by_content_whatever_its_name(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    payload = canary_pickle(marker)
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "README.md").write_text("---\nlicense: mit\n---\n# Model\n")
    names = {
        "checkpoint.pth.tar": _tar_with("archive/data.pkl", payload),
        "model.pkl.gz": gzip.compress(payload),
        "model.dat": payload,
        "weights": payload,
    }
    for name, data in names.items():
        (root / name).write_bytes(data)
    os.symlink("model.dat", root / "alias.txt")
    result = audit(root)
    malicious = _finding(result, "risk.malicious_serialization")
    assert malicious.outcome is Outcome.DETECTED
    flagged = {scan.path for scan in result.package.scans if scan.verdict.value == "malicious"}
    assert flagged == {*names, "alias.txt"}
    # A pickle is a pickle under any name: the weight checks see it too.
    weights = {w.path for w in result.package.weights}
    assert {"model.dat", "weights", "alias.txt"} <= weights
    assert _finding(result, "risk.pickle_weights").outcome is Outcome.DETECTED
    assert not marker.exists()


def test_cli_gate_on_renamed_pickles(tmp_path: Path) -> None:
    """``audit --fail-on high`` and ``scan`` agree on a package of renamed pickles."""
    marker = tmp_path / "MARKER"
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "README.md").write_text("# Model\n")
    (root / "model.dat").write_bytes(canary_pickle(marker))
    run = [sys.executable, "-m", "ptmscope"]
    audited = subprocess.run(
        [*run, "audit", str(root), "--fail-on", "high", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audited.returncode == 1, audited.stderr
    report = json.loads(audited.stdout)
    found = {f["probe"]: f["outcome"] for f in report["findings"]}
    assert found["risk.malicious_serialization"] == "detected"
    scanned = subprocess.run([*run, "scan", str(root)], capture_output=True, text=True, timeout=120)
    assert scanned.returncode == 1 and "malicious" in scanned.stdout
    assert not marker.exists()
