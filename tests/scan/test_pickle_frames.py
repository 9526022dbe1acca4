"""FRAME semantics: how each CPython unpickler reads a frame, and where ours reads both ways."""

from __future__ import annotations

import pickle
import struct

from ptmscope.scan.context import Limits
from ptmscope.scan.pickle.frames import MAX_SPLICES, ReadKind, reads, straddle
from ptmscope.scan.scanner import scan_bytes


def _frame(length: int) -> bytes:
    return b"\x95" + struct.pack("<Q", length)


def _frames(scan: object) -> list[str]:
    return [f.message for f in scan.findings if f.rule == "pickle.frame"]  # type: ignore[attr-defined]


def test_reads_follow_the_c_unpickler() -> None:
    data = b"M\x05\x00" + b"X\x03\x00\x00\x00abc" + b"B\x02\x00\x00\x00xy" + b"cmod\nname\n"
    assert [(r.start, r.length, r.kind) for r in reads(data, 0, 3)] == [
        (0, 1, ReadKind.READ), (1, 2, ReadKind.READ)]  # fmt: skip
    assert [r.kind for r in reads(data, 3, 11)] == [ReadKind.READ, ReadKind.READ, ReadKind.READ]
    assert reads(data, 11, 18)[-1].kind is ReadKind.INTO  # BINBYTES: the buffer's rest first
    assert [(r.length, r.kind) for r in reads(data, 18, 28)][1:] == [
        (4, ReadKind.LINE), (5, ReadKind.LINE)]  # fmt: skip
    assert straddle(data, 0, 3, 2) is not None and straddle(data, 0, 3, 3) is None
    assert straddle(data, 0, 3, 1) is None  # the operand starts at the frame's end: no split


def test_a_line_across_a_frame_is_read_both_ways() -> None:
    """``pickle.loads`` reads GLOBAL builtins.len; a file reader drops 'buil' and imports
    tins.len; both names are judged, the second said to be the file reader's."""
    body = b"\x80\x04" + _frame(5) + b"cbuil" + b"tins\nlen\n)R."
    scan = scan_bytes(body, "line.pkl")
    assert any("GLOBAL line runs past the end of its FRAME" in m for m in _frames(scan))
    tins = next(f for f in scan.findings if f.target == "tins.len")
    assert tins.message.endswith("(as pickle.load from a file reads the stream)")
    assert tins.location.offset == body.index(b")R.") + 1  # the call, in the file's offsets


def test_python_only_divergences_are_reported_without_a_second_reading() -> None:
    into = b"\x80\x04" + _frame(4) + b"C\x04ab" + b"cd."  # BINBYTES data across: C reads on
    nested = b"\x80\x04" + _frame(12) + b"K\x01" + _frame(1) + b"."
    for data, expected in ((into, "payload runs past"), (nested, "FRAME inside a frame")):
        scan = scan_bytes(data, "x.pkl")
        assert any(expected in m for m in _frames(scan)), scan.findings
        assert scan.verdict.value == "malicious" and not scan.errors


def test_overlong_frame_is_reported_and_read_on() -> None:
    body = b"cos\nsystem\n(S'true'\ntR."
    scan = scan_bytes(b"\x80\x04" + _frame(len(body) + 100) + body, "x.pkl")
    assert any("the C unpickler stops here" in m for m in _frames(scan))
    assert any(f.target == "os.system" for f in scan.findings)


def test_pickler_frames_are_never_findings() -> None:
    import numpy as np

    data = {f"k{i}": (i, "v" * (i % 50), b"b" * (i % 70)) for i in range(20_000)}
    data["big"] = np.arange(50_000.0)  # type: ignore[assignment]
    for protocol in (4, 5):
        scan = scan_bytes(pickle.dumps(data, protocol=protocol), "x.pkl")
        assert not _frames(scan) and not scan.errors, protocol


def test_many_cuts_are_bounded_and_fail_closed() -> None:
    unit = _frame(2) + b"M\x05" + b"\x000"  # each frame ends inside M's operand
    data = b"\x80\x04" + unit * (MAX_SPLICES + 2) + b"N."
    scan = scan_bytes(data, "x.pkl")
    assert _frames(scan)
    assert any(f"more than {MAX_SPLICES} FRAME tricks" in e.message for e in scan.errors)


def test_large_streams_are_not_copied_for_a_second_reading() -> None:
    body = b"\x80\x04" + _frame(4) + b"N0M\x05" + b"\x000" + b"N0" * 5000 + b"N."
    scan = scan_bytes(body, "x.pkl", limits=Limits(in_memory_bytes=1000))
    assert _frames(scan)
    assert any("not re-read as a file reader" in e.message for e in scan.errors)
