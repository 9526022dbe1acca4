"""Select benchmark (``make bench-select``): ``select`` for the ten largest tasks.

On the real data in ``../shared/data/registry`` (listing, model_info snapshot, cards,
models without a card), ingested into ``.cache/study`` (the ``make study`` database) unless
it is there already, or into ``--db DIR``. Prints, against the 1 s per query target of
issue 18:

- cold: one ``select`` from nothing (open the database, rank the population, answer), as
  ``ptmscope select`` pays it once per run, median of 3;
- warm: each query once the population is ranked (:class:`Selector`), median over the ten
  tasks and 3 rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared" / "data" / "registry"
TARGET_S = 1.0
ROUNDS = 3
TASKS = 10

from ptmscope.selection.select import Selector, select  # noqa: E402
from ptmscope.study import ingest  # noqa: E402


def database(db: Path) -> Path:
    if (db / "packages").is_dir() and any((db / "packages").glob("*.parquet")):
        print(f"reusing the study database {db}")
        return db
    sources = [SHARED / name for name in ("listing_2023.csv.gz", "snapshot.jsonl.gz",
               "cards.parquet", "models_without_card.csv")]  # fmt: skip
    started = time.perf_counter()
    ingest(db, sources, workers=2)
    print(f"built the study database {db} in {time.perf_counter() - started:.1f} s")
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / ".cache" / "study")
    args = parser.parse_args()
    if not (SHARED / "cards.parquet").exists():
        print(f"skipped: the shared registry data is absent ({SHARED})")
        return 0
    db = database(args.db)
    selector = Selector(db)
    tasks = [
        task
        for task, _ in selector.connection.execute(
            "SELECT task, count(*) AS n FROM ranked WHERE task IS NOT NULL "
            "GROUP BY task ORDER BY n DESC, task LIMIT ?",
            [TASKS],
        ).fetchall()
    ]
    cold = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        select(db, tasks[0])
        cold.append(time.perf_counter() - started)
    warm: dict[str, list[float]] = {task: [] for task in tasks}
    for _ in range(ROUNDS):
        for task in tasks:
            started = time.perf_counter()
            selector.select(task)
            warm[task].append(time.perf_counter() - started)
    print(f"{'task':<32} {'candidates':>10} {'warm median s':>14}")
    for task in tasks:
        count = selector.select(task).population.task
        print(f"{task:<32} {count:>10,} {statistics.median(warm[task]):>14.3f}")
    warm_median = statistics.median(t for times in warm.values() for t in times)
    cold_median = statistics.median(cold)
    print(
        f"cold query (open + rank population + answer), median of {ROUNDS}: "
        f"{cold_median:.3f} s = {cold_median / TARGET_S:.2f} x the {TARGET_S:.0f} s target"
    )
    print(
        f"warm query, median over {len(tasks)} tasks x {ROUNDS}: "
        f"{warm_median:.3f} s = {warm_median / TARGET_S:.2f} x the {TARGET_S:.0f} s target"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
