"""Evaluation data: user files mapped with ``--data NAME=PATH``, or ``datasets`` from the Hub.

Local files are CSV, JSON Lines, JSON (a list of objects), Parquet, or an image
folder (``PATH/<label>/<image>``). Columns are found by convention per task
(documented in :data:`ROLES`) and can be named with ``--columns ROLE=COLUMN``.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "text-classification": {
        "text": ("text", "sentence", "content", "review", "premise", "sentence1", "question"),
        "text_pair": ("text_pair", "hypothesis", "sentence2"),
        "label": ("label", "labels", "target", "class", "category"),
    },
    "token-classification": {
        "tokens": ("tokens", "words"),
        "tags": ("ner_tags", "tags", "labels", "pos_tags"),
    },
    "image-classification": {
        "image": ("image", "img", "image_path", "path", "file"),
        "label": ("label", "labels", "class"),
    },
    "automatic-speech-recognition": {
        "audio": ("audio", "audio_path", "path", "file"),
        "text": ("text", "sentence", "transcription", "transcript"),
    },
    "summarization": {
        "document": ("document", "article", "text", "dialogue"),
        "summary": ("summary", "highlights", "target"),
    },
    "translation": {
        "source": ("source", "src", "input"),
        "target": ("target", "tgt", "reference", "translation"),
    },
    "question-answering": {
        "question": ("question",),
        "context": ("context",),
        "answers": ("answers", "answer"),
    },
    "sentence-similarity": {
        "sentence1": ("sentence1", "text1", "word1", "s1"),
        "sentence2": ("sentence2", "text2", "word2", "s2"),
        "score": ("score", "similarity", "label", "gold"),
    },
    "fill-mask": {
        "text": ("text", "sentence", "masked"),
        "answer": ("answer", "label", "target", "token"),
    },
}
OPTIONAL = {"text_pair"}
COLUMN_SAMPLE_ROWS = 50
"""Rows read to learn a table's column names (rows of some formats differ in their keys)."""
_IMAGES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


class DataUnavailable(Exception):
    """The claimed data cannot be had; the claim becomes ``unverifiable`` with this reason."""


@dataclass(frozen=True)
class Table:
    """Evaluation rows as plain dicts, with where they came from (shown in every reason)."""

    rows: list[dict[str, Any]]
    origin: str


def load_file(path: Path) -> Table:
    """Rows from a local file or an image folder (one subfolder per label).

    Local data is how verify runs offline (``--data NAME=PATH``); the format is chosen by
    suffix, and anything unreadable is :class:`DataUnavailable`, so the claim says why.
    """
    if not path.exists():
        raise DataUnavailable(f"{path}: no such file or folder")
    if path.is_dir():
        rows = [
            {"image": str(image), "label": folder.name}
            for folder in sorted(p for p in path.iterdir() if p.is_dir())
            for image in sorted(folder.iterdir())
            if image.suffix.lower() in _IMAGES
        ]
        if not rows:
            raise DataUnavailable(f"{path}: a data folder holds <label>/<image> files; none found")
        return Table(rows, str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ","))
        elif suffix in (".jsonl", ".ndjson"):
            rows = [
                json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()
            ]
        elif suffix == ".json":
            data = json.loads(path.read_text("utf-8"))
            rows = (
                data
                if isinstance(data, list)
                else data.get("data", [])
                if isinstance(data, dict)
                else []
            )
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        else:
            raise DataUnavailable(
                f"{path}: use CSV, TSV, JSON Lines, JSON, Parquet or an image folder"
            )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataUnavailable(f"{path}: unreadable: {exc}") from None
    rows = [r for r in rows if isinstance(r, dict)]
    if not rows:
        raise DataUnavailable(f"{path}: no rows")
    base = path.parent
    for row in rows:  # relative media paths are relative to the data file
        for key in ("image", "audio", "path", "file", "image_path", "audio_path"):
            value = row.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                row[key] = str(base / value)
    return Table(rows, str(path))


def load_hub(name: str, config: str | None, split: str | None) -> Table:
    try:
        import datasets
    except ImportError:
        raise DataUnavailable(
            f"dataset {name!r}: the `datasets` library is not installed; pass --data"
        ) from None
    try:
        loaded = datasets.load_dataset(name, config, split=split or "test")
    except Exception as exc:  # offline, unknown, gated, script datasets: all mean "not available"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataUnavailable(
            f"dataset {name!r} not available ({first[:160]}); pass --data {name}=PATH"
        ) from None
    return Table([dict(row) for row in loaded], f"hub:{name}")


def resolve_columns(task: str, table: Table, overrides: Mapping[str, str]) -> dict[str, str]:
    """Map the task's roles (text, label, …) to the table's columns.

    Datasets name their columns freely, so each role tries the usual names in order;
    ``--columns ROLE=NAME`` overrides the guess, and a role left unmatched is
    :class:`DataUnavailable` rather than a run over the wrong column.
    """
    roles = ROLES[task]
    columns = set().union(*(row.keys() for row in table.rows[:COLUMN_SAMPLE_ROWS]))
    chosen: dict[str, str] = {}
    for role, candidates in roles.items():
        if role in overrides:
            if overrides[role] not in columns:
                raise DataUnavailable(
                    f"--columns {role}={overrides[role]}: no such column in {table.origin}"
                )
            chosen[role] = overrides[role]
            continue
        match = next((c for c in candidates if c in columns), None)
        if match is None and role not in OPTIONAL:
            raise DataUnavailable(
                f"{table.origin}: no {role!r} column for {task} (looked for {', '.join(candidates)}; "
                f"columns: {', '.join(sorted(map(str, columns)))}); name it with --columns {role}=COLUMN"
            )
        if match is not None:
            chosen[role] = match
    if (
        task == "text-classification"
        and "text_pair" in chosen
        and chosen["text_pair"] == chosen["text"]
    ):
        chosen.pop("text_pair")
    return chosen


def sample(rows: Sequence[dict[str, Any]], limit: int | None, seed: int) -> list[dict[str, Any]]:
    if limit is None or limit >= len(rows):
        return list(rows)
    picked = sorted(random.Random(seed).sample(range(len(rows)), limit))
    return [rows[i] for i in picked]
