"""Fuzz campaign for the scanner (``make fuzz``): no crash, no hang, bounded memory.

Runs at least 100,000 inputs through ``scan_bytes``: random bytes, and real seed
files of every container (tests/scan/seeds.py) mutated by bit flips, byte
insertions and deletions, truncation, splicing and opcode-aware pickle edits.
Every input must return a result (an exception escaping the scanner is a crash,
saved under .cache/fuzz-crashes/); the slowest input and the process's peak
memory are reported. With ``--atheris SECONDS`` a coverage-guided atheris run on
the same entry point follows.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ptmscope.scan.context import Limits  # noqa: E402
from ptmscope.scan.scanner import scan_bytes  # noqa: E402
from tests.scan.seeds import seed_files  # noqa: E402

# The HDF5 library runs in a child process (it can hang on corrupt files); fuzzing
# exercises our own readers, so it is left out here.
LIMITS = Limits(seconds=5.0, member_bytes=64 << 20, total_bytes=128 << 20, hdf5_library=False)
CRASHES = ROOT / ".cache" / "fuzz-crashes"
OPCODES = b"(.0123FIJKLMNPQRSTUVXabcdeghijlopqrstu}])\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98"


def mutate(rng: random.Random, seeds: list[bytes]) -> bytes:
    choice = rng.random()
    if choice < 0.1:
        return rng.randbytes(rng.randint(0, 4096))
    data = bytearray(rng.choice(seeds))
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        if not data:
            data += rng.randbytes(8)
        pos = rng.randrange(len(data))
        if op < 0.35:
            data[pos] ^= 1 << rng.randrange(8)
        elif op < 0.5:
            data[pos] = rng.choice(OPCODES)
        elif op < 0.6:
            data[pos:pos] = rng.randbytes(rng.randint(1, 16))
        elif op < 0.7:
            del data[pos : pos + rng.randint(1, 64)]
        elif op < 0.8:
            data = data[: rng.randrange(len(data) + 1)]
        elif op < 0.9:
            other = rng.choice(seeds)
            cut = rng.randrange(len(other))
            data = data[:pos] + other[cut : cut + rng.randint(1, 512)] + data[pos:]
        else:
            data[pos : pos + 4] = rng.choice(
                [b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff\xff\xff\xff"]
            )
    return bytes(data)


def campaign(count: int, seed: int) -> int:
    rng = random.Random(seed)
    seeds = seed_files()
    crashes = slowest = 0.0
    slowest_size = 0
    errors = findings = 0
    started = time.perf_counter()
    for index in range(count):
        data = mutate(rng, seeds)
        t0 = time.perf_counter()
        try:
            result = scan_bytes(data, limits=LIMITS)
        except Exception:
            crashes += 1
            CRASHES.mkdir(parents=True, exist_ok=True)
            (CRASHES / f"crash-{seed}-{index}.bin").write_bytes(data)
            traceback.print_exc(limit=4)
            continue
        elapsed = time.perf_counter() - t0
        if elapsed > slowest:
            slowest, slowest_size = elapsed, len(data)
        errors += bool(result.errors)
        findings += bool(result.findings)
        if (index + 1) % 20_000 == 0:
            print(
                f"  {index + 1:,} inputs, {crashes:.0f} crashes, {time.perf_counter() - started:,.0f} s",
                flush=True,
            )
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"fuzz: {count:,} inputs in {total:,.0f} s ({count / total:,.0f}/s): {crashes:.0f} crashes; "
        f"{errors:,} reported parse errors, {findings:,} had findings; slowest input "
        f"{slowest * 1000:,.1f} ms ({slowest_size:,} bytes); peak RSS {peak:,.0f} MiB"
    )
    return int(crashes)


def atheris_run(seconds: int) -> None:
    import atheris

    def target(data: bytes) -> None:
        scan_bytes(data, limits=LIMITS)

    sys.argv = [sys.argv[0], f"-max_total_time={seconds}", "-rss_limit_mb=4096", "-max_len=65536"]
    atheris.instrument_all()
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--atheris", type=int, metavar="SECONDS", default=0)
    args = parser.parse_args()
    crashes = campaign(args.count, args.seed)
    if args.atheris:
        atheris_run(args.atheris)
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
