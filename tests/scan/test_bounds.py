"""Resource bombs stay bounded: report size, search time, decompression memory, overlapping zips.

Each case is a smaller version of one in ``benchmarks/bombs.py`` that failed
before the bounds existed (a 188 MB report for 1 MB of ``PROTO``, 4–6 GB of
memory for a 2 GiB gzip member, overlapping zip entries inflated again and
again). Time bounds here are generous on purpose (seconds that a correct scan
cannot reach, minutes that the old one did); the real numbers are the
benchmark's.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from importlib import resources
from pathlib import Path

import pytest

from ptmscope.formats.scan.json import render_json
from ptmscope.formats.scan.sarif import render_sarif
from ptmscope.results.scan import FileVerdict
from ptmscope.scan.context import Limits, ScanContext, Span
from ptmscope.scan.ledger import CAPPED_RULE
from ptmscope.scan.pickle.interpreter import Interpreter
from ptmscope.scan.pickle.judge import Judge
from ptmscope.scan.pickle.values import Malformed
from ptmscope.scan.policy import default_policy
from ptmscope.scan.scanner import scan_bytes, scan_file

pytestmark = pytest.mark.adversarial

MIB = 1 << 20
EVIL = b"\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R."
SRC = Path(__file__).resolve().parents[2] / "src"


def _gzip(data: bytes) -> bytes:
    engine = zlib.compressobj(6, zlib.DEFLATED, 31)
    return engine.compress(data) + engine.flush()


def _gzip_zeros(prefix: bytes, size: int) -> bytes:
    engine = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [engine.compress(prefix)]
    chunk = bytes(MIB)
    parts += [engine.compress(chunk) for _ in range(size // MIB)]
    return b"".join(parts) + engine.flush()


def _raw_deflate_zeros(size: int) -> bytes:
    engine = zlib.compressobj(9, zlib.DEFLATED, -15)
    return engine.compress(bytes(size)) + engine.flush()


# ---------------------------------------------------------------- finding caps
def test_proto_bomb_report_is_a_few_findings_and_a_count() -> None:
    bomb = b"\x80\x02" * 100_000  # 200 KB: 99,999 repeated PROTOs
    started = time.monotonic()
    result = scan_bytes(bomb, "bomb.pkl")
    assert time.monotonic() - started < 60
    assert len(result.findings) <= 100
    proto = [f for f in result.findings if "PROTO repeated" in f.message]
    assert proto and len(proto) == Limits().findings_per_key
    assert len(proto) + sum(f.suppressed for f in proto) == 99_999
    assert proto[-1].suppressed == 99_999 - len(proto)
    report = render_json([result])
    assert len(report) < 20_000
    schema = json.loads(
        resources.files("ptmscope").joinpath("schemas/scan.schema.json").read_text()
    )
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(report), schema)
    assert json.loads(report)["files"][0]["findings"][len(proto) - 1]["suppressed"] > 0
    sarif = json.loads(render_sarif([result]))
    counts = [r.get("occurrenceCount") for r in sarif["runs"][0]["results"]]
    assert 99_999 - len(proto) + 1 in counts


@pytest.mark.parametrize("classes", [300, 10 * 50 + 100])
def test_the_file_cap_never_hides_a_worse_finding(classes: int) -> None:
    """Distinct unlisted classes instantiated (medium) fill the cap, and with 600 also the
    table of per-key counts; the os.system call that follows still makes the file
    malicious and is listed."""
    body = b"".join(b"cmod%d\nK\n)\x810" % i for i in range(classes))
    data = b"\x80\x02" + body + EVIL[2:]
    result = scan_bytes(data, "many.pkl", limits=Limits(findings=50))
    assert result.verdict is FileVerdict.MALICIOUS
    assert any(f.target == "os.system" for f in result.findings)
    assert len(result.findings) <= 51
    summary = [f for f in result.findings if f.rule == CAPPED_RULE]
    unlisted = classes + 1 - 50  # +1: os.system displaced one
    assert summary and f"{unlisted:,} more findings are not listed" in summary[0].message
    assert summary[0].suppressed == 0  # the count is in the message, not counted twice
    assert summary[0].severity.rank < result.worst.rank  # type: ignore[union-attr]


def test_names_past_the_limit_are_judged_not_remembered() -> None:
    body = b"".join(b"ctorch.nn\nLayer%d\n0" % i for i in range(500))
    data = b"\x80\x02" + body + b"cposix\nsystem\n0N."
    ctx = ScanContext.start(default_policy(), Limits(names=100))
    judge = Judge(ctx)
    machine = Interpreter(Span(data), ctx, rules=ctx.policy.pickle, listener=judge)
    machine.run(0)
    judge.report(machine)
    assert len(machine.records) == 100
    assert any(f.target == "posix.system" for f in ctx.findings)


def test_memo_past_its_limit_stores_nothing() -> None:
    body = b"".join(b"Nr" + struct.pack("<I", i) + b"0" for i in range(50_000))
    data = b"\x80\x02" + body + b"Nj\x10\x27\x00\x00."  # then a GET of a dropped key
    ctx = ScanContext.start(default_policy(), Limits(memo=1000))
    machine = Interpreter(Span(data), ctx)
    machine.run(0)
    assert len(machine.memo) == 1000
    assert machine.stopped


def test_errors_are_capped_with_a_count() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(60):
            archive.writestr(f"m{index}.bin", b"x")
    raw = bytearray(buffer.getvalue())
    # an unsupported compression method in both headers: each member is an error (a
    # false "encrypted" flag over plain data is read and reported as tampering instead)
    for signature, offset in ((b"PK\x01\x02", 10), (b"PK\x03\x04", 8)):
        pos = raw.find(signature)
        while pos >= 0:
            raw[pos + offset : pos + offset + 2] = (99).to_bytes(2, "little")
            pos = raw.find(signature, pos + 4)
    result = scan_bytes(bytes(raw), "enc.zip", limits=Limits(errors=10))
    assert len(result.errors) == 11
    assert "50 more errors" in result.errors[-1].message
    assert result.verdict is FileVerdict.ERROR


# ---------------------------------------------------------------- the search for pickles
def _quadratic_junk(count: int) -> bytes:
    """After a valid pickle, every ``PROTO`` candidate parses to the end of the data."""
    return pickle.dumps({"w": 1}, protocol=2) + b"C\x02\x80\x02" * count


def test_time_limit_covers_the_search_for_trailing_pickles() -> None:
    started = time.monotonic()
    result = scan_bytes(_quadratic_junk(250_000), "junk.pkl", limits=Limits(seconds=0.5))
    assert time.monotonic() - started < 30  # the unbounded search took hours
    assert result.verdict is FileVerdict.ERROR
    assert any("time limit" in e.message for e in result.errors)


def test_search_budget_stops_the_search_with_an_error() -> None:
    started = time.monotonic()
    result = scan_bytes(_quadratic_junk(50_000), "junk.pkl", limits=Limits(search_opcodes=500_000))
    assert time.monotonic() - started < 30
    assert result.verdict is FileVerdict.ERROR
    assert any("500,000 opcodes" in e.message for e in result.errors)


def test_proto_junk_after_a_pickle_fails_closed_fast() -> None:
    data = pickle.dumps([1, 2], protocol=2) + b"\x80\x02" * 100_000
    started = time.monotonic()
    result = scan_bytes(data, "junk.pkl")
    assert time.monotonic() - started < 30
    assert result.verdict is FileVerdict.ERROR


def test_a_payload_after_a_repeated_proto_is_still_found() -> None:
    """Speculative parses stop at a repeated PROTO; the search resumes right there."""
    data = pickle.dumps([1], protocol=2) + b"\x80\x02\x80\x02(" + EVIL
    result = scan_bytes(data, "stacked.pkl")
    assert result.verdict is FileVerdict.MALICIOUS
    assert any(f.target == "os.system" for f in result.findings)


def test_marks_and_stack_are_bounded() -> None:
    ctx = ScanContext.start(default_policy(), Limits(stack=10_000))
    with pytest.raises(Malformed, match="MARK"):
        Interpreter(Span(b"\x80\x02" + b"(" * 20_000), ctx).run(0)
    with pytest.raises(Malformed, match="stack deeper"):
        Interpreter(Span(b"\x80\x02" + b"N" * 20_000), ctx).run(0)


# ---------------------------------------------------------------- decompression
_RSS_CHILD = """
import resource, sys
from pathlib import Path
from ptmscope.scan.scanner import scan_file

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = scan_file(Path(sys.argv[1]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, result.verdict.value, len(result.errors))
"""


def test_a_300_mb_gzip_member_is_scanned_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl.gz"
    path.write_bytes(_gzip_zeros(EVIL, 300 * MIB))
    done = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, str(path)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
        timeout=300,
        check=True,
    )
    growth_kib, verdict, _ = done.stdout.split()
    assert int(growth_kib) < 200 * 1024, done.stdout  # was ~600 MB: member + copy
    assert verdict == "malicious"  # the pickle in front of the zeros was scanned


def test_member_limit_is_enforced_while_streaming_and_the_prefix_is_scanned() -> None:
    data = _gzip_zeros(EVIL, 64 * MIB)
    result = scan_bytes(data, "bomb.pkl.gz", limits=Limits(member_bytes=4 * MIB))
    assert result.verdict is FileVerdict.MALICIOUS
    assert any("budget" in e.message and "4,194,304 bytes" in e.message for e in result.errors)


def test_members_past_the_memory_threshold_are_mapped_from_a_temporary_file() -> None:
    data = _gzip(EVIL + bytes(3 * MIB))
    result = scan_bytes(data, "spill.pkl.gz", limits=Limits(in_memory_bytes=MIB))
    assert result.verdict is FileVerdict.MALICIOUS
    assert result.format == "joblib"


def test_the_files_total_budget_spans_every_member() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(6):
            archive.writestr(f"part{index}.bin", bytes(8 * MIB))
    result = scan_bytes(buffer.getvalue(), "parts.zip", limits=Limits(total_bytes=20 * MIB))
    assert result.verdict is FileVerdict.ERROR
    assert any("in all are spent" in e.message for e in result.errors)


def test_pickle_loaded_payloads_decompress_under_the_file_budget() -> None:
    inner = zlib.compress(EVIL + bytes(8 * MIB))
    blob = b"B" + struct.pack("<I", len(inner)) + inner
    data = b"\x80\x03cpickle\nloads\nczlib\ndecompress\n" + blob + b"\x85R\x85R."
    result = scan_bytes(data, "nested.pkl", limits=Limits(total_bytes=2 * MIB))
    assert any(f.target == "os.system" for f in result.findings)  # the prefix was scanned
    assert any("budget" in e.message for e in result.errors)


def test_truncated_compressed_stream_is_an_error() -> None:
    data = _gzip(EVIL * 1000)[:-20]
    result = scan_bytes(data, "cut.gz")
    assert any("ends before its end marker" in e.message for e in result.errors)


# ---------------------------------------------------------------- zip overlap
def _overlap_zip(entries: int, size: int) -> bytes:
    kernel = _raw_deflate_zeros(size)
    crc = zlib.crc32(bytes(size))
    local = (
        struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(kernel), size, 1, 0)
        + b"k"
    )
    central = b"".join(
        struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(kernel), size,
            1, 0, 0, 0, 0, 0, 0,
        ) + b"k"
        for _ in range(entries)
    )  # fmt: skip
    eocd = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, entries, entries, len(central),
        len(local) + len(kernel), 0,
    )  # fmt: skip
    return local + kernel + central + eocd


def test_overlapping_entries_are_reported_and_not_inflated_again() -> None:
    data = _overlap_zip(200, 4 * MIB)  # 800 MiB if every entry were read
    started = time.monotonic()
    result = scan_bytes(data, "overlap.zip", limits=Limits(total_bytes=16 * MIB))
    assert time.monotonic() - started < 60
    overlap = [f for f in result.findings if "overlap" in f.message]
    assert overlap and overlap[0].category == "tampering"
    assert "199 members" in overlap[0].message
    assert not any("budget" in e.message for e in result.errors)  # read once: 4 MiB of 16
    assert result.verdict is FileVerdict.MALICIOUS


def test_7z_output_is_bounded(tmp_path: Path) -> None:
    py7zr = pytest.importorskip("py7zr")
    path = tmp_path / "bomb.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(EVIL + bytes(4 * MIB), "model.pkl")
    bounded = scan_file(path, limits=Limits(member_bytes=MIB))
    assert bounded.verdict is FileVerdict.ERROR
    assert any("budget" in e.message for e in bounded.errors)
    spilled = scan_file(path, limits=Limits(in_memory_bytes=MIB))
    assert spilled.verdict is FileVerdict.MALICIOUS
