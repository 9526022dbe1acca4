"""The study database: Parquet chunk files per table, queried through DuckDB views.

Ingest is a sequence of deterministic chunks (source × chunk number); each chunk
is written to a temporary file and renamed into place, so a chunk file either
exists whole or not at all. Rerunning after any crash (even SIGKILL) skips the
chunks that exist and writes the rest, which ends with the same tables, nothing
twice and nothing lost.

Reading never writes: :meth:`StudyDB.open` refuses a folder that is not a study
database (``study report --db /new/path`` used to create it and report zeros), and
an empty table is an in-memory one, so a report works on a read-only database.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ptmscope.errors import InputError
from ptmscope.names import visible
from ptmscope.package import COMMIT_STATES
from ptmscope.scoring import FACTORS

FACTOR_COLUMNS = tuple(
    f"f_{attribute}__{factor}" for attribute, factors in FACTORS.items() for factor in factors
)
MODELS = pa.schema(
    [
        ("id", pa.string()), ("author", pa.string()), ("created_at", pa.string()),
        ("downloads", pa.int64()), ("likes", pa.int64()), ("has_card", pa.bool_()),
        ("pipeline_tag", pa.string()), ("library_name", pa.string()), ("license", pa.string()),
        ("author_verified", pa.bool_()), ("last_modified", pa.string()), ("_source", pa.string()),
    ]
)  # fmt: skip
PACKAGES = pa.schema(
    [
        ("id", pa.string()), ("task", pa.string()), ("has_card", pa.bool_()), ("card_words", pa.int64()),
        ("template_only", pa.bool_()), ("machine_parseable", pa.bool_()), ("claims", pa.int64()),
        ("datasets", pa.list_(pa.string())), ("model_type", pa.string()), ("license", pa.string()),
        ("base_models", pa.list_(pa.string())), ("finetuned_from", pa.list_(pa.string())),
        ("files_known", pa.bool_()), ("serialization", pa.string()), ("remote_code", pa.bool_()),
        ("parameters", pa.int64()), ("paper_status", pa.string()),
        ("paper_datasets", pa.list_(pa.string())), ("paper_later_entries", pa.bool_()),
        ("claim_datasets", pa.list_(pa.string())), ("paper_drop", pa.string()),
        ("claim_values", pa.list_(pa.string())),
        ("error", pa.string()),
        *[(column, pa.bool_()) for column in FACTOR_COLUMNS], ("_source", pa.string()),
    ]
)  # fmt: skip


def state_column(state: str) -> str:
    """The repos column counting commits in one signature state (``commits_signed_unknown_key``)."""
    return "commits_" + state.replace("-", "_")


REPOS = pa.schema(
    [
        ("id", pa.string()), ("commits", pa.int64()), ("signed_commits", pa.int64()),
        ("author_signed_commits", pa.int64()), ("platform_signed_commits", pa.int64()),
        *[(state_column(state), pa.int64()) for state in COMMIT_STATES],
        ("error", pa.string()), ("_source", pa.string()),
    ]
)  # fmt: skip
CONFIGS = pa.schema(
    [
        ("id", pa.string()), ("model_type", pa.string()), ("architectures", pa.list_(pa.string())),
        ("kind", pa.string()), ("_source", pa.string()),
    ]
)  # fmt: skip
"""Architecture records from the registry's metadata (``configs.parquet``): ``kind`` says
whether a model has a model_type or is known to have none (the paper's ``None``)."""
SCHEMAS = {"models": MODELS, "packages": PACKAGES, "repos": REPOS, "configs": CONFIGS}
_DUCK_TYPES = {
    "string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN", "double": "DOUBLE",
    "list<item: string>": "VARCHAR[]", "timestamp[us, tz=UTC]": "TIMESTAMPTZ",
}  # fmt: skip
"""Arrow column types → DuckDB's, for columns an older database lacks."""


def source_key(path: Path) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.name)[:40]
    return f"{name}-{digest}"


class StudyDB:
    """The study database: one folder of Parquet chunks per table, written atomically, queried through DuckDB views."""

    def __init__(self, root: Path, *, create: bool = True) -> None:
        """A database at ``root``, its table folders created unless ``create`` is false;
        a folder that cannot be created (``/proc/x``, a path under a file) is an input error."""
        self.root = root
        if not create:
            return
        try:
            for table in SCHEMAS:
                (root / table).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InputError(
                f"{visible(root)}: cannot create a study database there ({visible(reason)})"
            ) from None

    @classmethod
    def open(cls, root: Path) -> StudyDB:
        """An existing database, for reading: nothing is created, and a folder without any
        table folder (a typo, a path that does not exist) is an input error."""
        if not root.is_dir() or not any((root / table).is_dir() for table in SCHEMAS):
            raise InputError(
                f"{visible(root)}: not a study database "
                f"(run `ptmscope study ingest --db {visible(root)} SOURCE…` first)"
            )
        return cls(root, create=False)

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
        id, each field from the first source that has it (an empty table when none).

        "First" is a total order (source key, then chunk file, then row within the chunk),
        so an id listed twice resolves the same way whatever order the chunks were written
        in, by one worker or many, locally or on Dask.
        """
        import duckdb

        connection = duckdb.connect()
        for table, schema in SCHEMAS.items():
            files = sorted((self.root / table).glob("*.parquet"))
            if files:
                pattern = str(self.root / table / "*.parquet").replace("'", "''")
                raw = (
                    f"read_parquet('{pattern}', union_by_name = true, filename = true, "
                    "file_row_number = true)"
                )
                order = "_source, filename, file_row_number"
                present = {
                    row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {raw}").fetchall()
                }
            else:
                connection.register(f"empty_{table}", schema.empty_table())
                raw, order = f"empty_{table}", "_source"
                present = set(schema.names)
            # One row per model id; each field from the first source (by name) that has it,
            # so a listing without tasks and a snapshot with them complete each other.
            # A column newer than the database's chunks reads as unknown (NULL), so a
            # database ingested by an older ptmscope still opens.
            fields = ", ".join(
                f"any_value({name} ORDER BY {order}) AS {name}"
                if name in present
                else f"CAST(NULL AS {_DUCK_TYPES[str(schema.field(name).type)]}) AS {name}"
                for name in schema.names
                if name != "id"
            )
            connection.execute(f"CREATE VIEW {table} AS SELECT id, {fields} FROM {raw} GROUP BY id")
        return connection
