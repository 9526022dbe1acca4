"""Pickles that start with an opcode a short list did not name, and compressed streams
that end early: payloads an adversarial review slipped past the scanner."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import struct
import zipfile
from pathlib import Path

import pytest

from ptmscope.scan.scanner import scan_bytes, scan_paths

pytestmark = pytest.mark.adversarial


def payload(marker: Path) -> bytes:
    return f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()


PREFIXES = {
    "newtrue-pop": b"\x880",
    "short-binbytes-pop": b"C\x01x0",
    "newfalse-pop": b"\x890",
    "long1-pop": b"\x8a\x01\x010",
    "empty-set-pop": b"\x8f0",
}


@pytest.mark.parametrize("name", sorted(PREFIXES))
def test_any_first_opcode_is_read_as_a_pickle(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "MARKER"
    scan = scan_bytes(PREFIXES[name] + payload(marker), name)
    assert scan.verdict.value == "malicious", scan
    assert not marker.exists()


def test_frame_first_and_torch_data_pkl(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    body = payload(marker)
    framed = b"\x95" + struct.pack("<Q", len(body)) + body
    assert scan_bytes(framed, "framed").verdict.value == "malicious"
    model = tmp_path / "model.pt"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x880" + body)
        archive.writestr("archive/version", "3\n")
    [scan] = scan_paths([model])
    assert scan.format == "pytorch-zip" and scan.verdict.value == "malicious"
    assert not marker.exists()


@pytest.mark.parametrize(
    "compress", [gzip.compress, bz2.compress, lzma.compress], ids=["gzip", "bz2", "xz"]
)
def test_concatenated_streams_are_read_to_the_end(tmp_path: Path, compress) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "MARKER"
    body = payload(marker)
    for data in (compress(b"") + compress(body), compress(body[:1]) + compress(body[1:])):
        assert scan_bytes(data, "model.joblib").verdict.value == "malicious"
    assert not marker.exists()


def test_an_error_beside_a_finding_still_fails_the_gate(tmp_path: Path) -> None:
    """Nesting past the depth limit leaves part unread: exit 1 even with a medium finding."""
    import subprocess
    import sys

    inner = payload(tmp_path / "MARKER")
    for level in range(10):
        path = tmp_path / f"layer{level}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"l{level}", inner)
        inner = path.read_bytes()
    target = tmp_path / "nested.bin"
    target.write_bytes(b"JUNK" + inner)
    [scan] = scan_paths([target])
    assert scan.errors
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "scan", str(target), "--fail-on", "critical"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout


EVIL_TEMPLATE = "{{ ''.__class__.__mro__[1].__subclasses__() }}"


def test_json_keys_spelled_with_escapes_are_still_checked() -> None:
    """The no-parse shortcut for JSON must not skip a key written as ``\\u`` escapes."""
    plain = ('{"chat_template": ' + json.dumps(EVIL_TEMPLATE) + "}").encode()
    escaped = plain.replace(b"chat_template", b"chat\\u005ftemplate")
    assert json.loads(escaped) == json.loads(plain)
    for data in (plain, escaped):
        scan = scan_bytes(data, "tokenizer_config.json")
        assert any(f.rule == "template.injection" for f in scan.findings), scan
    vocabulary = json.dumps({f"tok{i}": i for i in range(1000)}).encode()
    assert scan_bytes(vocabulary, "vocab.json").verdict.value == "clean"


def test_json_too_large_to_parse_fails_closed_when_it_may_hold_a_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ptmscope.scan import scanner

    monkeypatch.setattr(scanner, "_MAX_JSON", 64)
    data = ('{"chat_template": ' + json.dumps(EVIL_TEMPLATE) + "}").encode()
    scan = scan_bytes(data, "tokenizer_config.json")
    assert scan.errors and "not parsed" in scan.errors[0].message
    vocabulary = json.dumps({f"tok{i}": i for i in range(100)}).encode()
    assert not scan_bytes(vocabulary, "vocab.json").errors
