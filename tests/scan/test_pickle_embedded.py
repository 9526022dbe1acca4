"""Literal payloads handed to any callable are scanned by content, within the file's budget."""

from __future__ import annotations

import base64
import pickle
import struct
from pathlib import Path

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.context import Limits
from ptmscope.scan.scanner import scan_bytes
from tests.scan.generated.pickle_cases import canary_pickle


def _short(text: bytes) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text


def test_protocol_2_bytes_through_codecs_encode(tmp_path: Path) -> None:
    """Python 2 style bytes (``_codecs.encode(str, 'latin1')``) are followed to the call."""
    payload = canary_pickle(tmp_path / "MARKER").decode("latin-1")
    text = b"X" + struct.pack("<I", len(payload.encode())) + payload.encode()
    encoded = b"c_codecs\nencode\n(" + text + _short(b"latin1") + b"tR"
    data = b"\x80\x02cmylib\nload_it\n(" + encoded + b"tR."
    scan = scan_bytes(data, "p2.pkl")
    system = next(f for f in scan.findings if f.target == "os.system")
    assert "passed to mylib.load_it" in system.location.members[0]
    assert not (tmp_path / "MARKER").exists()


def test_base64_in_a_protocol_0_string(tmp_path: Path) -> None:
    blob = base64.b64encode(canary_pickle(tmp_path / "MARKER"))
    data = b"cmylib\nDecoder\n(S'" + blob + b"'\ntR."
    scan = scan_bytes(data, "p0.pkl")
    assert scan.verdict is FileVerdict.MALICIOUS
    embedded = next(f for f in scan.findings if f.rule == "pickle.embedded_payload")
    assert "base64 string" in embedded.message


def test_data_that_only_looks_like_a_pickle_is_dropped() -> None:
    """Raw array bytes that start like PROTO, as a numpy pickle carries them: no word."""
    import numpy as np

    raw = b"\x80\x04" + bytes(range(200)) * 40
    array = np.frombuffer(raw, dtype=np.uint8)
    scan = scan_bytes(pickle.dumps({"a": array, "b": raw}, protocol=4), "arr.pkl")
    assert not scan.findings and not scan.errors


def test_nesting_is_bounded_by_depth(tmp_path: Path) -> None:
    inner = canary_pickle(tmp_path / "MARKER")
    for _ in range(12):
        inner = b"\x80\x04cmylib\nload\n" + b"B" + struct.pack("<I", len(inner)) + inner + b"\x85R."
    scan = scan_bytes(inner, "deep.pkl", limits=Limits(depth=4))
    assert any("nesting deeper than 4 levels" in e.message for e in scan.errors)
    scan = scan_bytes(inner, "deep.pkl")
    assert any("nesting deeper" in e.message for e in scan.errors)


def test_decoded_base64_draws_on_the_byte_budget(tmp_path: Path) -> None:
    blob = base64.b64encode(canary_pickle(tmp_path / "MARKER") + b"\x00" * 4000)
    data = b"cmylib\nDecoder\n(S'" + blob + b"'\ntR."
    scan = scan_bytes(data, "b.pkl", limits=Limits(total_bytes=1000))
    assert any("over the file's byte budget" in e.message for e in scan.errors)
