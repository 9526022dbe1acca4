"""Ingest registry data into the study database: listings, model_info records, cards, package folders.

Sources are told apart by their shape: a CSV/Parquet listing (``model_id``,
``downloads``…), JSON Lines of ``model_info`` records, a Parquet of cards
(``model_id`` + ``readme``), or a folder of packages (``ROOT/<owner>/<name>/``
or ``ROOT/<owner>__<name>/``). Listings become the ``models`` table; cards and
folders are analysed package by package (:mod:`ptmscope.study.analyze`) in a
local process pool or on a Dask cluster, the same function either way, into
the ``packages`` table.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.names import visible
from ptmscope.study import listing
from ptmscope.study.analyze import analyze_repos, analyze_rows, prepare
from ptmscope.study.db import StudyDB, source_key

CHUNK = 500


@dataclass
class IngestStats:
    """What one ingest run wrote: rows in the chunks it wrote, and chunks written or already
    there (a resumed run skips them, and their rows are not counted again)."""

    models: int = 0
    """Listing rows written (one per record with a model id)."""
    packages: int = 0
    """Package rows written (cards, package folders)."""
    chunks_written: int = 0
    chunks_skipped: int = 0
    repos: int = 0
    """Repository rows written (git collections)."""
    configs: int = 0
    """Architecture records written (a ``configs.parquet``: model_type per model id)."""
    malformed: int = 0
    """Listing records skipped as unusable (see :mod:`ptmscope.study.listing`)."""
    warnings: list[str] = field(default_factory=list)
    """One line per source that had skipped records, also written to stderr by :func:`ingest`."""


def warn_stderr(line: str) -> None:
    """The default warning channel: one line on stderr, as the CLI prints its errors."""
    print(f"ptmscope: warning: {line}", file=sys.stderr)


def _open_text(path: Path) -> io.TextIOWrapper:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "" or value == "None":
        return None
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value)


def _listing_row(record: dict[str, Any], source: str) -> dict[str, Any] | None:
    """The ``models`` row of one record; raises :class:`listing.Malformed` on an overflow."""
    model_id = record.get("model_id") or record.get("id") or record.get("modelId")
    if not model_id:
        return None
    raw_card = record.get("cardData")
    card_data: dict[str, Any] = raw_card if isinstance(raw_card, dict) else {}
    listed = record.get("listing_2023")  # the shared snapshot nests the listing's fields
    if isinstance(listed, dict):
        record = {**listed, **{k: v for k, v in record.items() if v is not None}}
    has_card = _bool(record.get("has_modelcard", record.get("has_card")))
    if has_card is None and str(record.get("http_status", "")) == "404":
        has_card = False  # models_without_card.csv: README.md answered 404
    if has_card is None and "card" in record:
        has_card = bool(record.get("card")) and record.get("card") not in ("None", "{}")
    return {
        "id": str(model_id),
        "author": _text(record.get("author")) or str(model_id).split("/")[0],
        "created_at": _text(record.get("created_at") or record.get("createdAt")),
        "downloads": listing.integer(record.get("downloads")),
        "likes": listing.integer(record.get("likes")),
        "has_card": has_card,
        "pipeline_tag": _text(record.get("pipeline_tag")),
        "library_name": _text(record.get("library_name")),
        "license": _text(record.get("license") or card_data.get("license")),
        "author_verified": next(
            (
                _bool(record[k])
                for k in ("author_verified", "authorVerified", "isVerified")
                if k in record
            ),
            None,
        ),
        "last_modified": _text(record.get("last_modified") or record.get("lastModified")),
        "_source": source,
    }


NO_MODEL_TYPE = "no_model_type"
"""A configs record's ``kind`` for a model the registry lists without a model_type."""


def _config_row(record: dict[str, Any], source: str) -> dict[str, Any] | None:
    """The ``configs`` row of one architecture record (``model_id, model_type,
    architectures, kind``); ``architectures`` may be a JSON list in a string."""
    model_id = record.get("model_id") or record.get("id")
    if not model_id:
        return None
    raw = record.get("architectures")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = [raw]
    kind = _text(record.get("kind"))
    model_type = _text(record.get("model_type"))
    if kind is None:
        kind = "model_type" if model_type else NO_MODEL_TYPE
    return {
        "id": str(model_id),
        "model_type": model_type,
        "architectures": _strings_of(raw),
        "kind": kind,
        "_source": source,
    }


def _strings_of(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(v) for v in value if isinstance(v, str | int)]


@dataclass(frozen=True)
class Source:
    """What one source holds: its table, its usable records, and what was skipped (by reason)."""

    table: str
    records: list[dict[str, Any]]
    skipped: Counter[str] = field(default_factory=Counter)


def _records(path: Path) -> Source:
    """The records of one source; unreadable sources are input errors."""
    try:
        return _read_records(path)
    except (OSError, ValueError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise InputError(
            f"{visible(path)}: unreadable study source: {visible(str(exc).splitlines()[0][:200])}"
        ) from None


def _read_records(path: Path) -> Source:
    """The records of one source, in a deterministic order."""
    name = path.name.lower()
    if path.is_dir():
        repos = list(_repo_records(path))
        if repos:
            return Source("repos", repos)
        return Source("packages", list(_folder_records(path)))
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        with _open_text(path) as handle:
            return _listing(*_json_lines(handle))
    if name.endswith((".json", ".json.gz")):
        with _open_text(path) as handle:
            records, skipped = listing.parse_list(handle.read())
        return _listing(records, skipped)
    if name.endswith((".csv", ".csv.gz")):
        with _open_text(path) as handle:
            return _listing(csv.DictReader(handle))
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        rows = table.to_pylist()
        if "readme" in table.column_names:
            return Source("packages", [
                {"id": r.get("model_id") or r.get("id"), "readme": r.get("readme"),
                 "config_json": r.get("config_json"), "pipeline_tag": r.get("pipeline_tag"),
                 "siblings": _siblings(r.get("siblings_json"))}
                for r in rows
            ])  # fmt: skip
        if "model_type" in table.column_names and "downloads" not in table.column_names:
            return Source("configs", rows)
        return _listing(rows)
    raise InputError(
        f"{visible(path)}: not a study source "
        "(CSV, JSON or JSON Lines listing, Parquet, or a folder of packages)"
    )


def _json_lines(handle: Iterable[str]) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Each line on its own: a bad line costs only itself, unless no line is JSON at all."""
    records: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for line in handle:
        if not line.strip():
            continue
        try:
            records.append(listing.parse_record(line))
        except listing.Malformed as exc:
            skipped[exc.reason] += 1
    if not records and skipped and set(skipped) == {listing.NOT_JSON}:
        raise ValueError("no line is a JSON record")  # not JSON Lines at all: a bad source
    return records, skipped


def _listing(rows: Iterable[dict[str, Any]], skipped: Counter[str] | None = None) -> Source:
    """A listing source: the records whose ``models`` row can be built, the others counted.

    JSON records were checked whole as they were decoded; table rows (CSV, Parquet)
    have typed columns, so only the values a ``models`` column holds can overflow.
    """
    counts: Counter[str] = Counter(skipped or {})
    usable: list[dict[str, Any]] = []
    for row in rows:
        try:
            _listing_row(row, "")
        except listing.Malformed as exc:
            counts[exc.reason] += 1
            continue
        usable.append(row)
    return Source("models", usable, counts)


def _repo_records(root: Path) -> Iterator[dict[str, Any]]:
    """Git repositories under ROOT: ``<owner>__<name>.git`` (HFTorrent) or ``<owner>/<name>[.git]``."""
    from ptmscope.sources.git import is_git_repository

    def is_repo(path: Path) -> bool:
        return is_git_repository(path) or (
            (path / "HEAD").is_file() and (path / "objects").is_dir()
        )

    for first in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if is_repo(first):
            name = first.name.removesuffix(".git")
            yield {"id": name.replace("__", "/", 1) if "__" in name else name, "path": str(first)}
            continue
        for second in sorted(p for p in first.iterdir() if p.is_dir()):
            if is_repo(second):
                yield {
                    "id": f"{first.name}/{second.name.removesuffix('.git')}",
                    "path": str(second),
                }


def _siblings(raw: Any) -> list[str] | None:
    if not raw:
        return None
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    return [str(i.get("rfilename")) if isinstance(i, dict) else str(i) for i in items]


def _folder_records(root: Path) -> Iterator[dict[str, Any]]:
    for first in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        candidates = (
            [(first.name.replace("__", "/", 1), first)]
            if "__" in first.name
            else [
                (f"{first.name}/{second.name}", second)
                for second in sorted(first.iterdir())
                if second.is_dir()
            ]
        )
        for model_id, folder in candidates:
            readme = folder / "README.md"
            config = folder / "config.json"
            yield {
                "id": model_id,
                "readme": readme.read_text("utf-8", errors="replace") if readme.is_file() else None,
                "config_json": config.read_text("utf-8", errors="replace")
                if config.is_file()
                else None,
                "siblings": sorted(
                    p.relative_to(folder).as_posix()
                    for p in folder.rglob("*")
                    if p.is_file() and ".git" not in p.parts
                ),
            }


def ingest(
    db: StudyDB,
    sources: list[Path],
    *,
    workers: int = 2,
    engine: str = "local",
    scheduler: str | None = None,
    chunk_size: int = CHUNK,
    progress: Callable[[str, int, int], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> IngestStats:
    """Ingest ``sources``; skipped listing records are warned about (one line per source) at the end."""
    stats = IngestStats()
    db.clean()
    for path in sources:
        if not path.exists():
            raise InputError(f"{visible(path)}: no such file or folder")
        source = _records(path)
        table, records = source.table, source.records
        stats.malformed += sum(source.skipped.values())
        line = listing.summary(source.skipped, visible(path))
        if line:
            stats.warnings.append(line)
        key = source_key(path)
        chunks = [records[i : i + chunk_size] for i in range(0, len(records), chunk_size)]
        pending = [i for i in range(len(chunks)) if not db.has(table, key, i)]
        already = len(chunks) - len(pending)
        stats.chunks_skipped += already
        label = visible(path)  # the path as given: two sources of the same name keep two bars
        if table == "models":
            work: Iterable[tuple[int, list[dict[str, Any]]]] = (
                (i, [r for r in (_listing_row(rec, key) for rec in chunks[i]) if r is not None])
                for i in pending
            )
        elif table == "configs":
            work = (
                (i, [r for r in (_config_row(rec, key) for rec in chunks[i]) if r is not None])
                for i in pending
            )
        else:
            for chunk in chunks:
                for record in chunk:
                    record["_source"] = key
            function = analyze_repos if table == "repos" else analyze_rows
            work = _run(function, engine, scheduler, workers, {i: chunks[i] for i in pending})
        for done, (index, rows) in enumerate(work, start=1):
            db.write(table, key, index, rows)
            stats.chunks_written += 1
            if table == "models":
                stats.models += len(rows)
            elif table == "configs":
                stats.configs += len(rows)
            elif table == "packages":
                stats.packages += len(rows)
            else:
                stats.repos += len(rows)
            if progress:  # this source's chunks only, those of an earlier run included
                progress(label, already + done, len(chunks))
    for line in stats.warnings:
        (warn or warn_stderr)(line)
    return stats


def _run(
    function: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    engine: str,
    scheduler: str | None,
    workers: int,
    work: dict[int, list[dict[str, Any]]],
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Analyse chunks on the chosen engine; yield ``(chunk index, rows)`` as each finishes."""
    if not work:
        return
    if engine == "dask":
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise InputError("--engine dask needs the `distributed` package") from None
        if not scheduler:
            raise InputError("--engine dask needs --scheduler ADDRESS (tcp://host:8786)")
        try:
            client = Client(scheduler, timeout=30)  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        try:
            futures = {
                client.submit(function, chunk, pure=False): index for index, chunk in work.items()
            }
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                yield futures[future], future.result()
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    if engine != "local":
        raise InputError(f"unknown engine {engine!r}; choose local or dask")
    if function is analyze_rows:
        prepare()
    with ProcessPoolExecutor(
        max_workers=max(1, workers), initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        running: dict[Future[list[dict[str, Any]]], int] = {}
        queue = list(work.items())
        while queue or running:
            while queue and len(running) < max(1, workers) * 2:
                index, chunk = queue.pop(0)
                running[pool.submit(function, chunk)] = index
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield running.pop(future), future.result()


PARENT_POLL_S = 1.0
"""How often a worker checks that the ingest that started it is still there."""


def _die_with_parent(parent: int) -> None:
    """Run in each pool worker: end it when the ingest process dies.

    A worker of a killed ingest (SIGKILL, OOM) was left blocked on its task queue forever,
    holding its memory, because it shares the queue's pipe with its siblings. On Linux the
    kernel signals the worker (``PR_SET_PDEATHSIG``); elsewhere, and for a parent that died
    before this ran, a daemon thread checks the parent every :data:`PARENT_POLL_S`.
    """
    import contextlib
    import ctypes
    import signal
    import threading
    import time

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="ptmscope-parent-watch", daemon=True).start()
