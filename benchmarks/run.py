"""Benchmarks for ``ptmscope audit`` (run: ``make bench``; prints medians and ratios).

1. Card-probe throughput over the 25,185 real cards in shared/ (skipped when absent):
   parse + all probes per card, and probes alone, on one core. Target >= 500 cards/s.
   Baseline, same run: ``huggingface_hub.ModelCard`` parsing the same cards (YAML only,
   with ``ignore_metadata_errors``), the loader most tools use.
   Also prints, over those cards, the share where each of the 17 Table I factors is present.
2. Local audit of a package with 2 GB of safetensors weights (a sparse file): target < 1 s,
   against the baseline of merely hashing the weights (what a naive auditor reading every
   byte would pay), measured in the same run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CARDS = ROOT.parent / "shared" / "data" / "registry" / "cards.parquet"
REPEATS = 3


def _siblings(raw: str | None) -> list[str]:
    """File names from a crawled ``siblings`` list (so file-based evidence counts)."""
    try:
        items = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [
        s["rfilename"] for s in items if isinstance(s, dict) and isinstance(s.get("rfilename"), str)
    ]


def bench_cards() -> None:
    if not CARDS.is_file():
        print(f"cards: skipped ({CARDS} not available)")
        return
    import pyarrow.parquet as pq

    from ptmscope.audit import evaluate
    from ptmscope.collector import collect_from as collect
    from ptmscope.errors import InputError
    from ptmscope.probes import all_probes
    from ptmscope.probes.base import Outcome
    from ptmscope.sources.record import RecordSource

    rows = pq.read_table(
        CARDS, columns=["model_id", "readme", "config_json", "siblings_json"]
    ).to_pylist()
    probes = all_probes()
    full, only = [], []
    packages = []
    for _ in range(REPEATS):
        packages = []
        start = time.perf_counter()
        for row in rows:
            try:
                package = collect(
                    RecordSource(
                        row["model_id"], readme=row["readme"], config_json=row["config_json"]
                    )
                )
            except InputError:
                continue
            evaluate(package, probes)
            packages.append(package)
        full.append(len(rows) / (time.perf_counter() - start))
        start = time.perf_counter()
        for package in packages:
            for probe in probes:
                probe.run(package)
        only.append(len(packages) / (time.perf_counter() - start))
    from huggingface_hub import ModelCard

    logging.getLogger("huggingface_hub").setLevel(logging.CRITICAL)

    baseline = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for row in rows:
            with contextlib.suppress(Exception):  # the baseline raises on some real cards
                ModelCard(row["readme"] or "", ignore_metadata_errors=True)
        baseline.append(len(rows) / (time.perf_counter() - start))
    print(f"cards: {len(rows)} real cards, {len(packages)} audited, {REPEATS} runs")
    print(
        f"  baseline huggingface_hub.ModelCard (YAML only): median "
        f"{statistics.median(baseline):,.0f} cards/s"
    )
    print(
        f"  parse + all {len(probes)} probes: median {statistics.median(full):,.0f} cards/s (target 500)"
    )
    print(f"  probes alone:            median {statistics.median(only):,.0f} cards/s")
    ratio = statistics.median(full) / statistics.median(baseline)
    print(f"  ratio ptmscope (parse + probes) / ModelCard (parse only): {ratio:.2f}x")
    present: Counter[str] = Counter()
    for package in packages:
        for finding in evaluate(package, probes).findings:
            if finding.outcome is Outcome.PRESENT and "." in finding.probe:
                present[finding.probe] += 1
    print("  share of cards with each Table I factor present:")
    for probe in probes:
        if probe.definition.kind == "factor":
            print(f"    {probe.id:40s} {100 * present[probe.id] / len(packages):5.1f}%")


def bench_large_package() -> None:
    from safetensors.torch import save_file  # noqa: F401 - proves the format library is there

    from ptmscope.audit import audit

    size = 2 * 1024**3
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        root.mkdir()
        count = size // (4 * 1024 * 1024)
        header: dict[str, object] = {}
        offset = 0
        for i in range(count):
            header[f"layer{i}.weight"] = {
                "dtype": "F32",
                "shape": [1024, 1024],
                "data_offsets": [offset, offset + 4 * 1024 * 1024],
            }
            offset += 4 * 1024 * 1024
        blob = json.dumps(header).encode()
        with (root / "model.safetensors").open("wb") as handle:
            handle.write(len(blob).to_bytes(8, "little") + blob)
            handle.truncate(8 + len(blob) + offset)
        (root / "config.json").write_text('{"model_type": "llama"}')
        (root / "README.md").write_text("---\nlicense: mit\n---\n# big\nA large model.\n")
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            result = audit(root)
            timings.append(time.perf_counter() - start)
        weight = result.package.weights[0]
        assert weight.parameters == count * 1024 * 1024, weight
        start = time.perf_counter()
        digest = hashlib.sha256()
        with (root / "model.safetensors").open("rb") as handle:
            while chunk := handle.read(16 << 20):
                digest.update(chunk)
        baseline = time.perf_counter() - start
    median = statistics.median(timings)
    print(f"large package: {size / 1e9:.1f} GB safetensors, {weight.parameters:,} parameters")
    print(f"  audit median {median * 1000:.0f} ms (target < 1000 ms)")
    print(f"  baseline (sha256 of the weights, every byte read): {baseline * 1000:.0f} ms")
    print(f"  ratio baseline/audit: {baseline / median:,.0f}x")


if __name__ == "__main__":
    bench_large_package()
    bench_cards()
