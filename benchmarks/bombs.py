"""Resource bombs against ``ptmscope scan`` (``make bench-bombs``): time, memory, report size.

Each case is built in a temporary folder and scanned in a fresh child process
(``ptmscope.scan.scanner.scan_file`` plus the JSON report, as ``ptmscope scan
--format json`` does), so its peak RSS is that child's alone (``os.wait4``).
For every case the table shows the median wall time, peak RSS and report size,
the verdict, and each measurement against the bound it is held to: the per-file
time limit (``Limits.seconds``), a peak-memory bound and a report-size bound. A
benign pickle of the same order of size is scanned in the same run as the
baseline, and each case's time and memory are also given as a multiple of it.

    python benchmarks/bombs.py [--runs 3] [--only proto_4mb,gzip_2gib] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ptmscope.scan.context import Limits  # noqa: E402

MIB = 1 << 20
GIB = 1 << 30
RSS_BOUND = 300 * MIB
"""Peak memory a bomb may cost the scanning process (the interpreter itself is ~45 MB)."""
REPORT_BOUND = 256 * 1024
"""Report size a bomb may cost: the finding caps keep ~1,000 findings at most."""
TIME_BOUND = Limits().seconds
SLOW = 15.0
"""Cases slower than this (seconds) are run once, whatever ``--runs`` says."""

_CHILD = """
import json, sys, time
from pathlib import Path
from ptmscope.formats.scan.json import render_json
from ptmscope.scan.scanner import scan_file
started = time.perf_counter()
result = scan_file(Path(sys.argv[1]))
report = render_json([result])
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "report": len(report.encode()),
    "verdict": result.verdict.value,
    "findings": len(result.findings),
    "suppressed": sum(f.suppressed for f in result.findings),
    "errors": [e.message[:100] for e in result.errors[:2]],
}))
"""


# ---------------------------------------------------------------- builders
def _deflate_zeros(size: int, wbits: int) -> bytes:
    engine = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = bytes(MIB)
    parts = [engine.compress(chunk) for _ in range(size // MIB)]
    parts.append(engine.flush())
    return b"".join(parts)


def benign(path: Path) -> None:
    state = {f"layer{i}.weight": [float(j) for j in range(256)] for i in range(2000)}
    path.write_bytes(pickle.dumps(state, protocol=4))


def proto(size: int) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(b"\x80\x02" * (size // 2))


def proto_after_pickle(path: Path) -> None:
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2) + b"\x80\x02" * (2 * MIB))


def gzip_2gib(path: Path) -> None:
    path.write_bytes(_deflate_zeros(2 * GIB, 31))


def _local(name: bytes, method: int, crc: int, csize: int, usize: int) -> bytes:
    return (
        struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc, csize, usize, len(name), 0
        )
        + name
    )


def _central(name: bytes, method: int, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, csize, usize,
        len(name), 0, 0, 0, 0, 0, offset,
    ) + name  # fmt: skip


def _eocd(count: int, cd_size: int, cd_offset: int) -> bytes:
    return struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, 0)


def _crc_zeros(size: int) -> int:
    crc, chunk = 0, bytes(MIB)
    for _ in range(size // MIB):
        crc = zlib.crc32(chunk, crc)
    return crc


def zip_2gib(path: Path) -> None:
    """One deflated member of 2 GiB - 1 byte of zeros (fits the 32-bit zip fields)."""
    size = 2 * GIB - MIB
    kernel = _deflate_zeros(size, -15)
    crc = _crc_zeros(size)
    local = _local(b"weights.bin", 8, crc, len(kernel), size)
    central = _central(b"weights.bin", 8, crc, len(kernel), size, 0)
    path.write_bytes(local + kernel + central + _eocd(1, len(central), len(local) + len(kernel)))


def zip_overlap(path: Path) -> None:
    """10,000 directory entries sharing one 256 MiB kernel: 2.5 TiB if each were read."""
    size, count = 256 * MIB, 10_000
    kernel = _deflate_zeros(size, -15)
    crc = _crc_zeros(size)
    local = _local(b"k", 8, crc, len(kernel), size)
    entries = b"".join(
        _central(f"f{i:05d}".encode(), 8, crc, len(kernel), size, 0) for i in range(count)
    )
    path.write_bytes(
        local + kernel + entries + _eocd(count, len(entries), len(local) + len(kernel))
    )


def nested_zip(path: Path) -> None:
    """Three levels of 16 zips around 16 members of 32 MiB zeros: 128 GiB in all."""
    leaf = Path(str(path) + ".leaf")
    with zipfile.ZipFile(leaf, "w", zipfile.ZIP_DEFLATED) as archive:
        data = bytes(32 * MIB)
        for index in range(16):
            archive.writestr(f"part{index}.bin", data)
    inner = leaf.read_bytes()
    for level in range(3):
        target = Path(f"{path}.{level}")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for index in range(16):
                archive.writestr(f"level{level}-{index}.zip", inner)
        inner = target.read_bytes()
        target.unlink()
    leaf.unlink()
    path.write_bytes(inner)


def nested_pickles(path: Path) -> None:
    """A pickle that loads a pickle, 40 levels deep (the depth limit is 8)."""
    payload = pickle.dumps([1, 2, 3], protocol=2)
    for _ in range(40):
        body = b"B" + struct.pack("<I", len(payload)) + payload  # BINBYTES
        payload = b"\x80\x03cpickle\nloads\n" + body + b"\x85R."
    path.write_bytes(payload)


def marks(path: Path) -> None:
    path.write_bytes(b"\x80\x02" + b"(" * (4 * MIB))


def memo(path: Path) -> None:
    """4 MB of ``None``, ``LONG_BINPUT key``, ``POP``: a million distinct memo keys and more."""
    body = b"".join(b"Nr" + struct.pack("<I", i) + b"0" for i in range(4 * MIB // 7))
    path.write_bytes(b"\x80\x02" + body + b"N.")


def stack(path: Path) -> None:
    path.write_bytes(b"\x80\x02" + b"N" * (4 * MIB))


def names(path: Path) -> None:
    """Half a million distinct unlisted globals, each popped (4.9 MB)."""
    body = b"".join(b"cm%d\nf\n0" % i for i in range(500_000))
    path.write_bytes(b"\x80\x02" + body + b"N.")


def sevenzip(path: Path) -> bool:
    try:
        import py7zr
    except ImportError:
        return False
    source = Path(str(path) + ".zeros")
    with source.open("wb") as handle:
        handle.truncate(512 * MIB)
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.write(source, "weights.bin")
    source.unlink()
    return True


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], object]
    note: str
    expect: frozenset[str] = frozenset({"error", "malicious", "suspicious"})
    """Verdicts that count as held. A bomb over a limit must end in an error or a finding
    (``clean`` there failed open); one whose benign content fits the limits (zeros inside
    the member limit, memo puts) is read to the end, and ``clean`` is then the truth."""


_READ_WHOLE = frozenset({"clean", "suspicious"})
"""Benign content inside the limits: read to the end, so clean is the right verdict."""

CASES = (
    Case("baseline", benign, "benign 4-protocol pickle, 2,000 lists of 256 floats", _READ_WHOLE),
    Case("proto_1mb", proto(MIB), "PROTO repeated, 1 MB"),
    Case("proto_4mb", proto(4 * MIB), "PROTO repeated, 4 MB"),
    Case("proto_after_pickle", proto_after_pickle, "valid pickle then 4 MB of PROTO"),
    Case("gzip_2gib", gzip_2gib, "gzip member inflating to 2 GiB", _READ_WHOLE),
    Case("zip_2gib", zip_2gib, "zip deflate member inflating to 2 GiB", _READ_WHOLE),
    Case("zip_overlap", zip_overlap, "10,000 entries on one 256 MiB kernel"),
    Case("nested_zip", nested_zip, "zip in zip in zip, 128 GiB in all"),
    Case("nested_pickles", nested_pickles, "pickle.loads 40 levels deep"),
    Case("marks", marks, "4 MB of MARK"),
    Case("memo", memo, "600,000 memo puts of distinct keys", _READ_WHOLE),
    Case("stack", stack, "4 MB of pushes"),
    Case("names", names, "500,000 distinct imported names"),
    Case("sevenzip", sevenzip, "7z member inflating to 512 MiB", _READ_WHOLE),
)


# ---------------------------------------------------------------- measuring
def measure(path: Path) -> dict[str, object]:
    """One scan in a fresh child; its own peak RSS comes from ``wait4``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path)],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        assert child.stdout is not None
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        errors.seek(0)
        err = errors.read()
    rss = usage.ru_maxrss * 1024
    if child.returncode != 0 or not out:
        return {"failed": err.decode("utf-8", "replace")[-300:], "wall": wall, "rss": rss}
    return {**json.loads(out), "wall": wall, "rss": rss}


def run_case(case: Case, folder: Path, runs: int) -> dict[str, object] | None:
    path = folder / case.name
    started = time.perf_counter()
    if case.build(path) is False:
        return None
    built = time.perf_counter() - started
    results = [measure(path)]
    if results[0].get("wall", SLOW) < SLOW:  # type: ignore[operator]
        results += [measure(path) for _ in range(runs - 1)]
    first = results[0]
    if "failed" in first:
        return {"case": case.name, "failed": first["failed"]}
    return {
        "case": case.name,
        "note": case.note,
        "size": path.stat().st_size,
        "build": built,
        "runs": len(results),
        "wall": statistics.median(float(r["wall"]) for r in results),  # type: ignore[arg-type]
        "rss": statistics.median(int(r["rss"]) for r in results),  # type: ignore[call-overload]
        "report": first["report"],
        "verdict": first["verdict"],
        "findings": first["findings"],
        "suppressed": first["suppressed"],
        "errors": first["errors"],
    }


_EXPECT = {case.name: case.expect for case in CASES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--keep", type=Path, help="build the cases here and keep them")
    args = parser.parse_args()
    wanted = {n for n in args.only.split(",") if n} | {"baseline"}
    cases = [c for c in CASES if not args.only or c.name in wanted]
    with tempfile.TemporaryDirectory(prefix="ptmscope-bombs-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for case in cases:
            row = run_case(case, folder, args.runs)
            if row is None:
                print(f"{case.name}: skipped (its builder is not installed)")
                continue
            rows.append(row)
            _print_row(row, rows[0])
            if not args.keep:
                for leftover in folder.iterdir():
                    if leftover.is_dir():
                        shutil.rmtree(leftover)
                    else:
                        leftover.unlink()
    print(
        f"\nbounds: time {TIME_BOUND:g} s (Limits.seconds), peak RSS {RSS_BOUND // MIB} MiB, "
        f"report {REPORT_BOUND // 1024} KiB; xbase = multiple of the benign baseline"
    )
    failed = [
        r for r in rows
        if "failed" in r
        or float(r["wall"]) > TIME_BOUND  # type: ignore[arg-type]
        or int(r["rss"]) > RSS_BOUND  # type: ignore[call-overload]
        or int(r["report"]) > REPORT_BOUND  # type: ignore[call-overload]
        or r["verdict"] not in _EXPECT[str(r["case"])]
    ]  # fmt: skip
    for row in failed:
        print(f"OVER BOUND: {row['case']}")
    return 1 if failed else 0


def _print_row(row: dict[str, object], base: dict[str, object]) -> None:
    if "failed" in row:
        print(f"{row['case']:<20} FAILED {row['failed']}")
        return
    wall, rss, report = float(row["wall"]), int(row["rss"]), int(row["report"])  # type: ignore[arg-type, call-overload]
    if row is base:
        print(
            f"{'case':<20}{'input':>10}{'runs':>5}{'wall s':>9}{'/limit':>8}{'xbase':>7}"
            f"{'RSS MiB':>9}{'/bound':>8}{'xbase':>7}{'report':>9}{'/bound':>8}  verdict"
        )
    if "failed" in base:
        base = row  # no baseline to compare with: ratios read 1.0
    base_wall, base_rss = float(base["wall"]), int(base["rss"])  # type: ignore[arg-type, call-overload]
    print(
        f"{row['case']:<20}{_size(int(row['size'])):>10}{row['runs']:>5}"  # type: ignore[call-overload]
        f"{wall:>9.2f}{wall / TIME_BOUND:>8.3f}{wall / base_wall:>7.1f}"
        f"{rss / MIB:>9.0f}{rss / RSS_BOUND:>8.2f}{rss / base_rss:>7.1f}"
        f"{_size(report):>9}{report / REPORT_BOUND:>8.3f}  {row['verdict']}"
        f" ({row['findings']} findings, {row['suppressed']:,} counted; {row['note']})"
    )
    for message in row["errors"]:  # type: ignore[attr-defined]
        print(f"{'':<20}error: {message}")


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f}{unit}" if unit == "B" else f"{count:.1f}{unit}"
        count /= 1024  # type: ignore[assignment]
    return str(count)


if __name__ == "__main__":
    sys.exit(main())
