"""The standard-library 7z reader: every default codec, solid folders, tampering, hostile
headers and bombs, py7zr imported only for what the reader leaves to it.

Archives are written by py7zr (the writer most Python users have); the hostile ones
that no writer produces are built by :func:`_copy_7z`, a minimal 7z writer of one
stored folder whose header can declare whatever a test needs.
"""

from __future__ import annotations

import contextlib
import random
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.containers import sevenzip
from ptmscope.scan.context import Limits, ScanContext, ScanTimeout, Span
from ptmscope.scan.policy import default_policy
from ptmscope.scan.scanner import scan_bytes, scan_file
from tests.scan import builders as b

py7zr = pytest.importorskip("py7zr")

MIB = 1 << 20
EVIL = b"\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R."
BENIGN = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."
SRC = Path(__file__).resolve().parents[2] / "src"

FILTERS: dict[str, list[dict[str, int]] | None] = {
    "default (BCJ x86 + LZMA2)": None,
    "LZMA2": [{"id": py7zr.FILTER_LZMA2}],
    "LZMA": [{"id": py7zr.FILTER_LZMA}],
    "BZIP2": [{"id": py7zr.FILTER_BZIP2}],
    "DEFLATE": [{"id": py7zr.FILTER_DEFLATE}],
    "COPY": [{"id": py7zr.FILTER_COPY}],
    "Delta + LZMA2": [{"id": py7zr.FILTER_DELTA}, {"id": py7zr.FILTER_LZMA2}],
}
CODECS = {"BZIP2": "bzip2", "DEFLATE": "deflate", "COPY": "copy"}


def _write(
    path: Path,
    members: list[tuple[str, bytes]],
    filters: list[dict[str, int]] | None = None,
    **options: object,
) -> Path:
    kwargs: dict[str, object] = dict(options)
    if filters is not None:
        kwargs["filters"] = filters
    with py7zr.SevenZipFile(path, "w", **kwargs) as archive:
        for name, data in members:
            archive.writestr(data, name)
    return path


def _read(data: bytes, limits: Limits | None = None) -> sevenzip.Archive:
    ctx = ScanContext.start(default_policy(), limits or Limits())
    return sevenzip.read_archive(Span(data), ctx)


def _messages(result: object) -> list[str]:
    return [e.message for e in result.errors]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ a minimal writer


def _num(value: int) -> bytes:
    """7z's variable-length integer: one byte below 0x80, else the 9-byte form."""
    return bytes([value]) if value < 0x80 else b"\xff" + value.to_bytes(8, "little")


def _bits(flags: list[bool]) -> bytes:
    """7z's bit vector: the first item in the highest bit."""
    value = int("".join("1" if flag else "0" for flag in flags), 2) << (-len(flags) % 8)
    return value.to_bytes((len(flags) + 7) // 8, "big")


def _copy_7z(
    files: list[tuple[str, bytes]],
    declared: list[int] | None = None,
    file_count: int | None = None,
    empty: tuple[str, ...] = (),
) -> bytes:
    """One stored (COPY) folder holding ``files`` in order, CRCs and header CRCs right;
    ``declared`` replaces the members' sizes, ``file_count`` the number of files;
    ``empty`` names empty files listed first, as 7-Zip writes them (no stream at all)."""
    packed = b"".join(data for _, data in files)
    sizes = declared if declared is not None else [len(data) for _, data in files]
    every = [*empty, *(name for name, _ in files)]
    names = b"".join(name.encode("utf-16-le") + b"\0\0" for name in every)
    flags = b""
    if empty:
        vector = _bits([i < len(empty) for i in range(len(every))])  # no stream
        all_empty = _bits([True] * len(empty))  # files, not folders
        flags = b"\x0e" + _num(len(vector)) + vector + b"\x0f" + _num(len(all_empty)) + all_empty
    crcs = b"".join(struct.pack("<I", zlib.crc32(data)) for _, data in files)
    header = (
        b"\x01\x04"  # header, main streams
        + b"\x06" + _num(0) + _num(1) + b"\x09" + _num(len(packed)) + b"\x00"  # pack info
        + b"\x07\x0b" + _num(1) + b"\x00" + _num(1) + b"\x01\x00"  # one folder, one COPY coder
        + b"\x0c" + _num(sum(sizes)) + b"\x00"
        + b"\x08\x0d" + _num(len(files)) + b"\x09" + b"".join(_num(s) for s in sizes[:-1])
        + b"\x0a\x01" + crcs + b"\x00"  # substreams: sizes, CRCs
        + b"\x00"  # end of streams info
        + b"\x05" + _num(len(every) if file_count is None else file_count) + flags
        + b"\x11" + _num(len(names) + 1) + b"\x00" + names + b"\x00"  # files: names
        + b"\x00"
    )  # fmt: skip
    start = struct.pack("<QQI", len(packed), len(header), zlib.crc32(header))
    signature = sevenzip.SIGNATURE + b"\x00\x04" + struct.pack("<I", zlib.crc32(start))
    return signature + start + packed + header


def test_the_minimal_writer_writes_what_py7zr_reads(tmp_path: Path) -> None:
    path = tmp_path / "mine.7z"
    path.write_bytes(_copy_7z([("a.txt", b"alpha"), ("b/c.bin", b"beta")], empty=("e",)))
    with py7zr.SevenZipFile(path, "r") as archive:
        assert archive.testzip() is None
        assert sorted(archive.getnames()) == ["a.txt", "b/c.bin", "e"]


# ------------------------------------------------------------------ codecs


@pytest.mark.parametrize("label", list(FILTERS))
def test_every_default_codec_is_read_natively(tmp_path: Path, label: str) -> None:
    members = [("notes.txt", b"benign text " * 5000), ("model.pkl", EVIL), ("b.pkl", BENIGN)]
    path = _write(tmp_path / "a.7z", members, FILTERS[label])
    archive = _read(path.read_bytes())
    assert [s.name for f in archive.folders for s in f.streams] == [n for n, _ in members]
    assert archive.folders[0].codec == CODECS.get(label, "lzma")
    assert not archive.tampered
    result = scan_file(path)
    assert result.verdict is FileVerdict.MALICIOUS
    assert result.format == "7z"
    assert not result.errors
    hits = [f for f in result.findings if f.target == "os.system"]
    assert hits and hits[0].location.members == ("model.pkl",)


def test_a_solid_folder_of_many_members_is_split_at_the_declared_sizes(tmp_path: Path) -> None:
    members = [(f"part{i}.pkl", BENIGN) for i in range(40)] + [("late/evil.pkl", EVIL)]
    members += [(f"tail{i}.bin", bytes([i]) * (i * 997)) for i in range(5)]
    path = _write(tmp_path / "solid.7z", members)
    archive = _read(path.read_bytes())
    assert len(archive.folders) == 1 and len(archive.folders[0].streams) == len(members)
    assert all(s.crc is not None for s in archive.folders[0].streams)
    result = scan_file(path)
    assert result.verdict is FileVerdict.MALICIOUS and not result.errors
    assert {f.location.members for f in result.findings if f.target == "os.system"} == {
        ("late/evil.pkl",)
    }


def test_empty_files_and_folders_have_no_stream(tmp_path: Path) -> None:
    source = tmp_path / "tree"
    (source / "sub").mkdir(parents=True)
    (source / "empty.bin").write_bytes(b"")
    (source / "sub" / "model.pkl").write_bytes(EVIL)
    path = tmp_path / "tree.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writeall(source, "tree")
    streams = [(s.name, s.size) for f in _read(path.read_bytes()).folders for s in f.streams]
    assert streams == [("tree/empty.bin", 0), ("tree/sub/model.pkl", len(EVIL))]  # no folders
    result = scan_file(path)
    assert result.verdict is FileVerdict.MALICIOUS and not result.errors
    seven_zip_style = _copy_7z([("sub/model.pkl", EVIL)], empty=("a", "b", "c"))
    streams = [(s.name, s.size) for f in _read(seven_zip_style).folders for s in f.streams]
    assert streams == [("sub/model.pkl", len(EVIL))]  # empty files flagged: no stream
    result = scan_bytes(seven_zip_style, "flags.7z")
    assert result.verdict is FileVerdict.MALICIOUS and not result.errors
    empty_only = tmp_path / "empty.7z"
    with py7zr.SevenZipFile(empty_only, "w") as archive:
        archive.write(source / "empty.bin", "empty.bin")
    assert scan_file(empty_only).verdict is FileVerdict.CLEAN
    nothing = tmp_path / "nothing.7z"
    py7zr.SevenZipFile(nothing, "w").close()
    assert scan_file(nothing).verdict is FileVerdict.CLEAN


def test_utf16_names_are_decoded(tmp_path: Path) -> None:
    name = "模型/évil 😀.pkl"
    path = _write(tmp_path / "names.7z", [(name, EVIL)])
    result = scan_file(path)
    assert any(f.location.members == (name,) for f in result.findings)


def test_a_canary_member_is_found_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = b.write_7z(tmp_path / "canary.7z", "model.pkl", b.canary_pickle(marker))
    result = scan_file(path)
    assert result.verdict is FileVerdict.MALICIOUS
    assert any("Canary" in (f.target or "") or "canary" in f.message for f in result.findings)
    assert not marker.exists()


# ------------------------------------------------------------------ tampering


def test_a_member_altered_after_writing_is_a_crc_mismatch(tmp_path: Path) -> None:
    payload = b"\x80\x02cposix\nsystem\nX\x01\x00\x00\x00x\x85R."
    path = _write(tmp_path / "a.7z", [("model.pkl", payload)], FILTERS["COPY"])
    data = bytearray(path.read_bytes())
    data[data.index(b"posix") + 4] = ord("y")  # one byte changed in the stored member
    result = scan_bytes(bytes(data), "a.7z")
    crc = [f for f in result.findings if f.rule == "7z.crc_mismatch"]
    assert crc and crc[0].category == "tampering" and crc[0].target == "model.pkl"
    assert result.verdict is FileVerdict.MALICIOUS
    clean = scan_bytes(path.read_bytes(), "a.7z")
    assert not any(f.rule == "7z.crc_mismatch" for f in clean.findings)


def test_an_altered_header_is_a_crc_mismatch(tmp_path: Path) -> None:
    data = bytearray(_copy_7z([("model.txt", b"plain text")]))
    at = data.index("model".encode("utf-16-le"))
    data[at] = ord("M")  # the name, in a header whose CRC was computed before
    result = scan_bytes(bytes(data), "h.7z")
    assert [f.target for f in result.findings if f.rule == "7z.crc_mismatch"] == ["header"]
    assert not result.errors  # read on: the member's own CRC still matches


# ------------------------------------------------------------------ malformed input


def test_a_truncated_archive_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.7z", [("model.pkl", EVIL + bytes(5000))])
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 3, 31, 8):
        result = scan_bytes(data[:cut], "cut.7z")
        assert result.verdict is FileVerdict.ERROR, cut
        assert any("7z" in m for m in _messages(result)), cut


def test_stored_data_past_the_end_of_the_file_is_an_error() -> None:
    data = _copy_7z([("a.bin", b"x" * 100)])
    offset = struct.unpack_from("<Q", data, 12)[0]  # move the header before the data's end
    header = data[32 + offset :]
    moved = bytearray(data[:32] + data[32 : 32 + 50] + header)
    start = struct.pack("<QQI", 50, len(header), zlib.crc32(header))
    moved[12:32] = start
    moved[8:12] = struct.pack("<I", zlib.crc32(start))
    result = scan_bytes(bytes(moved), "short.7z")
    assert result.verdict is FileVerdict.ERROR
    assert any("truncated" in m for m in _messages(result))


def test_a_header_claiming_huge_sizes_reads_nothing_and_errors() -> None:
    data = _copy_7z([("model.pkl", EVIL), ("more.pkl", EVIL)], declared=[1 << 60, 1 << 40])
    started = time.monotonic()
    result = scan_bytes(data, "huge.7z")
    assert time.monotonic() - started < 60
    assert result.verdict is FileVerdict.ERROR
    messages = _messages(result)
    assert any("1,152,921,504,606,846,976 bytes" in m and "budget" in m for m in messages)
    assert any("member 'more.pkl' after 'model.pkl'" in m for m in messages)


def test_a_header_claiming_huge_counts_is_refused_before_allocating() -> None:
    data = _copy_7z([("a.pkl", EVIL)], file_count=1 << 50)
    result = scan_bytes(data, "count.7z")
    assert result.verdict is FileVerdict.ERROR
    assert any("members, above the limit" in m for m in _messages(result))
    few = _copy_7z([(f"{i}.pkl", BENIGN) for i in range(30)])
    limited = scan_bytes(few, "few.7z", limits=Limits(members=10))
    assert any("30 members, above the limit of 10" in m for m in _messages(limited))


def test_mutated_archives_never_raise_out_of_the_reader(tmp_path: Path) -> None:
    """Random bytes changed in real archives: every outcome is data, never an exception."""
    sources = [
        _write(tmp_path / f"{label}.7z", [("a.pkl", EVIL), ("b.txt", b"t" * 3000)], filters)
        for label, filters in (("lz", None), ("bz", FILTERS["BZIP2"]), ("cp", FILTERS["COPY"]))
    ]
    rng = random.Random(13)
    for index in range(300):
        data = bytearray(sources[index % 3].read_bytes())
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        ctx = ScanContext.start(default_policy(), Limits(seconds=30))
        with contextlib.suppress(ScanTimeout):  # the deadline is the caller's to report
            sevenzip.scan(Span(bytes(data)), ctx)


# ------------------------------------------------------------------ bounds


def test_a_bomb_stops_at_the_member_limit_before_inflating(tmp_path: Path) -> None:
    path = _write(tmp_path / "bomb.7z", [("weights.bin", bytes(16 * MIB)), ("z.pkl", EVIL)])
    started = time.monotonic()
    result = scan_file(path, limits=Limits(member_bytes=4 * MIB))
    assert time.monotonic() - started < 60
    assert result.verdict is FileVerdict.ERROR  # z.pkl comes after it in the same stream
    messages = _messages(result)
    assert any("16,777,216 bytes" in m and "4,194,304 bytes per member" in m for m in messages)
    assert any("after 'weights.bin'" in m and "not scanned" in m for m in messages)


def test_the_files_budget_spans_every_member(tmp_path: Path) -> None:
    members = [(f"part{i}.bin", bytes(8 * MIB)) for i in range(6)]
    path = _write(tmp_path / "parts.7z", members, FILTERS["LZMA2"])
    result = scan_file(path, limits=Limits(total_bytes=20 * MIB))
    assert result.verdict is FileVerdict.ERROR
    assert any("in all are spent" in m for m in _messages(result))


def test_members_past_the_memory_threshold_spill(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.7z", [("model.pkl", EVIL + bytes(3 * MIB))])
    result = scan_file(path, limits=Limits(in_memory_bytes=MIB))
    assert result.verdict is FileVerdict.MALICIOUS


# ------------------------------------------------------------------ py7zr fallback


def test_an_encrypted_archive_falls_back_to_py7zr(tmp_path: Path) -> None:
    for header_encryption in (False, True):
        path = _write(
            tmp_path / f"aes{header_encryption}.7z",
            [("model.pkl", EVIL)],
            password="secret",
            header_encryption=header_encryption,
        )
        with pytest.raises(sevenzip.Unsupported):
            _read(path.read_bytes())
        result = scan_file(path)
        assert result.verdict is FileVerdict.ERROR
        assert any("encrypted" in m or "Password" in m for m in _messages(result))


def test_ppmd_falls_back_to_py7zr(tmp_path: Path) -> None:
    path = _write(tmp_path / "ppmd.7z", [("model.pkl", EVIL)], [{"id": py7zr.FILTER_PPMD}])
    with pytest.raises(sevenzip.Unsupported):
        _read(path.read_bytes())
    assert scan_file(path).verdict is FileVerdict.MALICIOUS


_CHILD = """
import sys
from pathlib import Path
from ptmscope.scan.scanner import scan_file
result = scan_file(Path(sys.argv[1]))
print(result.verdict.value, "py7zr" in sys.modules)
"""


def test_a_default_py7zr_archive_is_scanned_without_importing_py7zr(tmp_path: Path) -> None:
    plain = b.write_7z(tmp_path / "default.7z", "model.pkl", EVIL)
    aes = _write(tmp_path / "aes.7z", [("model.pkl", EVIL)], password="secret")
    outputs = []
    for path in (plain, aes):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)],
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(SRC), "PATH": ""},
            timeout=120,
            check=True,
        )
        outputs.append(done.stdout.split())
    assert outputs[0] == ["malicious", "False"]
    assert outputs[1] == ["error", "True"]  # the check can fail: the fallback imports it
