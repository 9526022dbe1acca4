"""The study database: Parquet chunk files per table, queried through DuckDB views.

Ingest is a sequence of deterministic chunks (source × chunk number); each chunk
is written to a temporary file and renamed into place, so a chunk file either
exists whole or not at all. Rerunning after any crash (even SIGKILL) skips the
chunks that exist and writes the rest, which ends with the same tables, nothing
twice and nothing lost.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ptmscope.scoring import FACTORS

FACTOR_COLUMNS = tuple(
    f"f_{attribute}__{factor}" for attribute, factors in FACTORS.items() for factor in factors
)
MODELS = pa.schema(
    [
        ("id", pa.string()), ("author", pa.string()), ("created_at", pa.string()),
        ("downloads", pa.int64()), ("likes", pa.int64()), ("has_card", pa.bool_()),
        ("pipeline_tag", pa.string()), ("library_name", pa.string()), ("license", pa.string()),
        ("author_verified", pa.bool_()), ("_source", pa.string()),
    ]
)  # fmt: skip
PACKAGES = pa.schema(
    [
        ("id", pa.string()), ("task", pa.string()), ("has_card", pa.bool_()), ("card_words", pa.int64()),
        ("template_only", pa.bool_()), ("machine_parseable", pa.bool_()), ("claims", pa.int64()),
        ("datasets", pa.list_(pa.string())), ("model_type", pa.string()), ("license", pa.string()),
        ("base_models", pa.list_(pa.string())), ("finetuned_from", pa.list_(pa.string())),
        ("files_known", pa.bool_()), ("serialization", pa.string()), ("remote_code", pa.bool_()),
        ("error", pa.string()),
        *[(column, pa.bool_()) for column in FACTOR_COLUMNS], ("_source", pa.string()),
    ]
)  # fmt: skip
REPOS = pa.schema(
    [
        ("id", pa.string()), ("commits", pa.int64()), ("signed_commits", pa.int64()),
        ("author_signed_commits", pa.int64()), ("platform_signed_commits", pa.int64()),
        ("error", pa.string()), ("_source", pa.string()),
    ]
)  # fmt: skip
SCHEMAS = {"models": MODELS, "packages": PACKAGES, "repos": REPOS}


def source_key(path: Path) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.name)[:40]
    return f"{name}-{digest}"


class StudyDB:
    """The study database: one folder of Parquet chunks per table, written atomically, queried through DuckDB views."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for table in SCHEMAS:
            (root / table).mkdir(parents=True, exist_ok=True)

    def chunk(self, table: str, key: str, index: int) -> Path:
        return self.root / table / f"{key}-{index:06d}.parquet"

    def has(self, table: str, key: str, index: int) -> bool:
        return self.chunk(table, key, index).exists()

    def write(self, table: str, key: str, index: int, rows: list[dict[str, Any]]) -> None:
        schema = SCHEMAS[table]
        columns = {name: [row.get(name) for row in rows] for name in schema.names}
        batch = pa.Table.from_pydict(columns, schema=schema)
        final = self.chunk(table, key, index)
        partial = final.with_suffix(f".{os.getpid()}.tmp")
        pq.write_table(batch, partial)
        os.replace(partial, final)  # atomic: the chunk exists whole or not at all

    def clean(self) -> None:
        """Remove partial files a killed run left behind."""
        for table in SCHEMAS:
            for stale in (self.root / table).glob("*.tmp"):
                stale.unlink(missing_ok=True)

    def connect(self) -> Any:
        """A DuckDB connection with one view per table over its Parquet chunks: one row per
        id, each field from the first source that has it (an empty table when none)."""
        import duckdb

        connection = duckdb.connect()
        for table, schema in SCHEMAS.items():
            files = sorted((self.root / table).glob("*.parquet"))
            if files:
                pattern = str(self.root / table / "*.parquet").replace("'", "''")
                raw = f"read_parquet('{pattern}', union_by_name = true)"
            else:
                empty = self.root / f".empty-{table}.parquet"
                pq.write_table(schema.empty_table(), empty)
                raw = f"read_parquet('{str(empty).replace(chr(39), chr(39) * 2)}')"
            # One row per model id; each field from the first source (by name) that has it,
            # so a listing without tasks and a snapshot with them complete each other.
            fields = ", ".join(
                f"any_value({name} ORDER BY _source) AS {name}"
                for name in schema.names
                if name != "id"
            )
            connection.execute(f"CREATE VIEW {table} AS SELECT id, {fields} FROM {raw} GROUP BY id")
        return connection
