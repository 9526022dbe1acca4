"""Registry records: the Hub API ``model_info`` JSON shape and the study's own records.

Offline packages (a folder, a git clone) carry no downloads, likes or dates;
``--metadata FILE`` attaches what the registry said about them, so popularity
and maintenance can be measured instead of guessed. Besides ``model_info``
(camelCase, as the API and ``huggingface_hub`` write it), the records ``study
ingest`` reads are accepted as they are: snake_case keys (``model_id``,
``created_at``), counts nested under a key (``downloads: {last_30_days: N,
all_time: M}``), a ``pipeline_tag`` list, and a file holding one record as a
JSON list or JSON Lines.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ptmscope.errors import InputError
from ptmscope.package import RegistryMetadata

MAX_METADATA_BYTES = 32 << 20


_NESTED_COUNTS = ("last_30_days", "30d", "month", "monthly", "recent", "count", "value", "total")
"""Keys a nested count (``downloads: {...}``) holds its recent number under, in order."""
_NESTED_ALL_TIME = ("all_time", "allTime", "downloadsAllTime", "total_all_time")


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e18:  # not NaN/inf
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _int(
    record: dict[str, Any], *keys: str, nested: tuple[str, ...] = _NESTED_COUNTS
) -> int | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):
            value = next((value[k] for k in nested if _number(value.get(k)) is not None), None)
        found = _number(value)
        if found is not None:
            return found
    return None


def parse_moment(value: Any) -> datetime | None:
    """An ISO 8601 time as registries write it (``Z`` or an offset; none: UTC), else ``None``."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _first(value: Any) -> str | None:
    """A string, or the first of a list of them (the study's records list tasks)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return _str(value)


def from_record(record: dict[str, Any], origin: str) -> RegistryMetadata:
    """Build metadata from a ``model_info`` dict (camelCase as the API sends it)."""
    siblings = record.get("siblings") or []
    names = tuple(
        str(s.get("rfilename")) for s in siblings if isinstance(s, dict) and s.get("rfilename")
    )
    card_data = record.get("cardData", record.get("card_data"))
    tags = record.get("tags") or []
    gated = record.get("gated")
    model_id = _str(record.get("id")) or _str(record.get("modelId")) or _str(record.get("model_id"))
    author = _str(record.get("author"))
    if author is None and model_id and "/" in model_id:
        author = model_id.split("/", 1)[0]
    return RegistryMetadata(
        origin=origin,
        id=model_id,
        author=author,
        sha=_str(record.get("sha")),
        downloads=_int(record, "downloads"),
        downloads_all_time=_int(record, "downloadsAllTime", "downloads_all_time")
        or _int(record, "downloads", nested=_NESTED_ALL_TIME),
        likes=_int(record, "likes"),
        tags=tuple(str(t) for t in tags if isinstance(t, str | int)),
        pipeline_tag=_first(record.get("pipeline_tag")),
        library_name=_str(record.get("library_name")),
        card_data=MappingProxyType(card_data) if isinstance(card_data, dict) else None,
        siblings=names,
        created_at=parse_moment(record.get("createdAt", record.get("created_at"))),
        last_modified=parse_moment(record.get("lastModified", record.get("last_modified"))),
        gated=gated if isinstance(gated, bool | str) else None,
        private=record.get("private") if isinstance(record.get("private"), bool) else None,
    )


def load_metadata(path: str | Path) -> RegistryMetadata:
    """Read a ``model_info`` JSON file; any problem is an :class:`InputError`."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_METADATA_BYTES:
            raise InputError(f"{path}: metadata file is {size} bytes, too large")
        record = json.loads(file.read_bytes())
        records = record if isinstance(record, list) else [record]
    except json.JSONDecodeError:
        records = _json_lines(file)  # JSON Lines: the study's record files
    except FileNotFoundError:
        raise InputError(f"{path}: no such metadata file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: metadata must be a JSON file, not a folder") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nests too deeply") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if len(records) != 1 or not isinstance(records[0], dict):
        found = (
            f"{len(records)} records"
            if len(records) != 1
            else f"a JSON {type(records[0]).__name__}"
        )
        raise InputError(
            f"{path}: expected one record (a JSON object in the model_info shape, or a list or "
            f"JSON Lines file holding one); found {found}"
        )
    return from_record(records[0], str(path))


def _json_lines(file: Path) -> list[Any]:
    """Records of a JSON Lines file; an :class:`InputError` when it is not one either."""
    records: list[Any] = []
    for number, line in enumerate(file.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except RecursionError:
            raise InputError(f"{file}: JSON nests too deeply (line {number})") from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{file}: not valid JSON or JSON Lines (line {number}: {exc})"
            ) from None
    return records
