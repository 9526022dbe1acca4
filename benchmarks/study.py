"""Study benchmark (``make bench-study``).

1. The full pipeline over the real data in ``../shared/data/registry`` (listing, model_info
   snapshot, 25,185 cards): ingest + report, with 1 and with 2 worker processes; prints the
   wall times and the 1-vs-2 scaling ratio. Target: < 60 s on 2 cores.
2. Metadata measurements over a synthetic 1,000,000-model listing drawn from the real
   listing's distributions (authors, tasks, downloads, card flags): ingest + report.
   Target: < 60 s.
"""

from __future__ import annotations

import csv
import gzip
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "registry"

from ptmscope.formats import STUDY_FORMATS  # noqa: E402
from ptmscope.results.study import StudyResult  # noqa: E402
from ptmscope.study.db import StudyDB  # noqa: E402
from ptmscope.study.ingest import ingest  # noqa: E402
from ptmscope.study.measure import measure, paper_values  # noqa: E402


def full_run(db: Path, sources: list[Path], workers: int) -> tuple[float, float]:
    started = time.perf_counter()
    ingest(StudyDB(db), sources, workers=workers)
    ingested = time.perf_counter() - started
    STUDY_FORMATS.render(
        "html",
        StudyResult(
            tuple(measure(StudyDB(db).connect(), paper_values(SHARED / "paper_measurements.csv")))
        ),
    )
    return ingested, time.perf_counter() - started


def real(base: Path) -> None:
    sources = [
        SHARED / "listing_2023.csv.gz",
        SHARED / "snapshot.jsonl.gz",
        SHARED / "cards.parquet",
    ]
    if not all(s.exists() for s in sources):
        print("real data: skipped (shared registry data absent)")
        return
    one = full_run(base / "w1", sources, 1)
    two = full_run(base / "w2", sources, 2)
    print(
        f"real data (25,185 cards + 100,952 listing rows): 1 worker {one[1]:.1f} s (ingest {one[0]:.1f} s), "
        f"2 workers {two[1]:.1f} s (ingest {two[0]:.1f} s) -> scaling {one[1] / two[1]:.2f}x (target < 60 s)"
    )


def synthetic(base: Path, count: int = 1_000_000) -> None:
    listing = SHARED / "listing_2023.csv.gz"
    if not listing.exists():
        print("synthetic listing: skipped (real listing absent)")
        return
    with gzip.open(listing, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(0)
    path = base / "synthetic.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        for index in range(count):
            row = dict(rng.choice(rows))
            row["model_id"] = f"{row['author'] or 'user'}/synthetic-{index}"
            writer.writerow(row)
    started = time.perf_counter()
    ingest(StudyDB(base / "synthetic"), [path], chunk_size=100_000)
    ingested = time.perf_counter() - started
    measure(StudyDB(base / "synthetic").connect(), {})
    total = time.perf_counter() - started
    print(
        f"synthetic listing of {count:,} models: ingest {ingested:.1f} s, ingest + measurements {total:.1f} s (target < 60 s)"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        real(Path(folder))
        synthetic(Path(folder))
