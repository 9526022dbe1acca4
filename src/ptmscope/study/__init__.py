"""``ptmscope study``: registry-wide measurement (ingest, then report), reproducing the ICSE 2023 figures.

The public functions are the Python form of the ``study`` commands:
:func:`ingest` (``study ingest``), :func:`crawl` (``study ingest --crawl``),
:func:`report` (``study report``, returning a :class:`~ptmscope.results.study.StudyResult`
to render with :data:`ptmscope.formats.STUDY_FORMATS`) and :func:`clone`
(``study clone``, formerly ``study snapshot``: bare git clones).

The engine (pyarrow, duckdb, process pools) is imported inside each function, so
``import ptmscope`` stays light. ``ingest`` and ``report`` share their names with
engine modules; :func:`~ptmscope.extras.keep_public_functions` keeps the functions
bound here whatever is imported later (the modules stay importable as usual).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ptmscope.errors import InputError
from ptmscope.extras import keep_public_functions
from ptmscope.results.study import PaperValue, StudyResult

if TYPE_CHECKING:
    from ptmscope.study.clone import CloneStats
    from ptmscope.study.crawl import CrawlStats
    from ptmscope.study.ingest import IngestStats

__all__ = ["CRAWL_RATE", "StudyResult", "clone", "crawl", "ingest", "report"]

CRAWL_RATE = 5.0
"""Default requests per second when crawling a Hub listing (``--rate``)."""


def ingest(
    db: str | Path,
    sources: Sequence[str | Path],
    *,
    workers: int = 2,
    engine: str = "local",
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> IngestStats:
    """Add listings (CSV/JSONL), cards (Parquet) or package folders to the study database ``db``.

    Chunks already written are skipped, so an interrupted ingest resumes. Skipped
    listing records are reported through ``warn`` (default: one line on stderr).
    """
    from ptmscope.study.db import StudyDB
    from ptmscope.study.ingest import CHUNK
    from ptmscope.study.ingest import ingest as ingest_into

    if workers <= 0 or (chunk_size is not None and chunk_size <= 0):
        raise InputError("chunk_size and workers must be positive")
    return ingest_into(
        StudyDB(Path(db)), [Path(s) for s in sources], workers=workers, engine=engine,
        scheduler=scheduler, chunk_size=chunk_size or CHUNK, progress=progress, warn=warn,
    )  # fmt: skip


def crawl(
    db: str | Path,
    endpoint: str,
    *,
    token: str | None = None,
    rate: float = CRAWL_RATE,
    max_pages: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> CrawlStats:
    """Add a Hub endpoint's model listing to ``db``, each model analysed from its README;
    returns the pages, listing rows and packages this run wrote (a rerun resumes)."""
    from ptmscope.study.crawl import crawl as crawl_listing
    from ptmscope.study.db import StudyDB

    return crawl_listing(
        StudyDB(Path(db)), endpoint, token=token, rate=rate, max_pages=max_pages,
        progress=progress,
    )  # fmt: skip


SHIPPED_PAPER = "shipped"
"""``report(paper=...)``: the paper's values as ptmscope ships them (the default)."""


def report(db: str | Path, paper: str | Path | None = SHIPPED_PAPER) -> StudyResult:
    """Every measurement over ``db`` with the ICSE 2023 paper's values beside ours: the copy
    shipped with ptmscope by default, a ``paper_measurements.csv`` when ``paper`` is a path,
    none when ``paper`` is ``None``."""
    from ptmscope.study.db import StudyDB
    from ptmscope.study.measure import measure, paper_table
    from ptmscope.study.reproduce import reproduce

    connection = StudyDB.open(Path(db)).connect()  # first: a missing database creates nothing
    if paper is None:
        table: tuple[PaperValue, ...] = ()
        source = None
    elif str(paper) == SHIPPED_PAPER:
        table, source = paper_table(None), SHIPPED_PAPER
    elif not Path(paper).is_file():
        raise InputError(f"{paper}: no such paper measurements file")
    else:
        table, source = paper_table(Path(paper)), str(paper)
    values = {value.id: value.value for value in table}
    measurements = tuple(measure(connection, values))
    reproductions = reproduce(connection, table, measurements) if table else ()
    return StudyResult(measurements, paper=table, paper_source=source, reproductions=reproductions)


def clone(
    ids: str | Path | Sequence[str],
    out: str | Path,
    endpoint: str | None = None,
    *,
    retries: int = 3,
    workers: int = 4,
    token: str | None = None,
) -> CloneStats:
    """Bare git clones of Hub packages into ``out`` (one ``owner__name.git`` each).

    ``ids`` is a file with one ``owner/name`` per line, or the ids themselves;
    ``endpoint`` defaults to ``HF_ENDPOINT`` (else the Hub) and ``token`` to ``HF_TOKEN``.
    A manifest of every attempt is kept in ``out/manifest.jsonl``.
    """
    import os

    from ptmscope.study.clone import clone_all, read_ids

    if endpoint is None:
        from huggingface_hub import constants

        endpoint = str(constants.ENDPOINT)
    names = read_ids(Path(ids)) if isinstance(ids, str | Path) else list(ids)
    return clone_all(
        names, Path(out), endpoint, retries=max(1, retries), workers=workers,
        token=token or os.environ.get("HF_TOKEN"),
    )  # fmt: skip


keep_public_functions(__name__)
