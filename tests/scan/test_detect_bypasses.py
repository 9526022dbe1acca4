"""Pickles that start with an opcode a short list did not name, and compressed streams
that end early: payloads an adversarial review slipped past the scanner."""

from __future__ import annotations

import bz2
import gzip
import io
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
    from ptmscope.scan.containers import json_file

    monkeypatch.setattr(json_file, "MAX_JSON", 64)
    data = ('{"chat_template": ' + json.dumps(EVIL_TEMPLATE) + "}").encode()
    scan = scan_bytes(data, "tokenizer_config.json")
    assert scan.errors and "not parsed" in scan.errors[0].message
    vocabulary = json.dumps({f"tok{i}": i for i in range(100)}).encode()
    assert not scan_bytes(vocabulary, "vocab.json").errors


def _same_offset_twice(first: str, data: bytes) -> bytes:
    """A zip whose central directory lists its first member twice, under ``first`` (stored)
    and its own name: two readers, two readings of the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", data, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("archive/version", "3\n")
    raw = buffer.getvalue()
    start, end = raw.index(b"PK\x01\x02"), raw.rindex(b"PK\x05\x06")
    name_len, extra_len, comment_len = struct.unpack("<HHH", raw[start + 28 : start + 34])
    record = bytearray(raw[start : start + 46 + name_len + extra_len + comment_len])
    record[10:12] = b"\x00\x00"  # method: stored
    record[46 : 46 + name_len] = first.encode().ljust(name_len, b"x")[:name_len]
    directory = bytes(record) + raw[start:end]
    tail = bytearray(raw[end:])
    entries = struct.unpack("<H", tail[8:10])[0] + 1
    struct.pack_into("<HHII", tail, 8, entries, entries, len(directory), start)
    return raw[:start] + directory + bytes(tail)


def test_members_overlapping_another_are_an_error_not_a_pass(tmp_path: Path) -> None:
    import subprocess
    import sys

    marker = tmp_path / "MARKER"
    path = tmp_path / "model.pt"
    path.write_bytes(_same_offset_twice("archive/data.pk2", payload(marker)))
    [scan] = scan_paths([path])
    assert any("not scanned" in e.message for e in scan.errors), scan
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "scan", str(path), "--fail-on", "critical"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout
    assert not marker.exists()


def test_a_first_stream_with_a_repeated_proto_is_read_on(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    data = b"N0\x80\x02\x80\x02" + payload(marker)
    assert scan_bytes(data, "x").verdict.value == "malicious"
    model = tmp_path / "model.pt"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("archive/data.pkl", data)
        archive.writestr("archive/version", "3\n")
    [scan] = scan_paths([model])
    assert scan.verdict.value == "malicious"
    assert not marker.exists()
