"""Registry records in the Hub API ``model_info`` JSON shape.

Offline packages (a folder, a git clone) carry no downloads, likes or dates;
``--metadata FILE`` attaches what the registry said about them, so popularity
and maintenance can be measured instead of guessed.
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


def _int(record: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return int(value)
    return None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def from_record(record: dict[str, Any], origin: str) -> RegistryMetadata:
    """Build metadata from a ``model_info`` dict (camelCase as the API sends it)."""
    siblings = record.get("siblings") or []
    names = tuple(
        str(s.get("rfilename")) for s in siblings if isinstance(s, dict) and s.get("rfilename")
    )
    card_data = record.get("cardData", record.get("card_data"))
    tags = record.get("tags") or []
    gated = record.get("gated")
    model_id = _str(record.get("id")) or _str(record.get("modelId"))
    author = _str(record.get("author"))
    if author is None and model_id and "/" in model_id:
        author = model_id.split("/", 1)[0]
    return RegistryMetadata(
        origin=origin,
        id=model_id,
        author=author,
        sha=_str(record.get("sha")),
        downloads=_int(record, "downloads"),
        downloads_all_time=_int(record, "downloadsAllTime", "downloads_all_time"),
        likes=_int(record, "likes"),
        tags=tuple(str(t) for t in tags if isinstance(t, str | int)),
        pipeline_tag=_str(record.get("pipeline_tag")),
        library_name=_str(record.get("library_name")),
        card_data=MappingProxyType(card_data) if isinstance(card_data, dict) else None,
        siblings=names,
        created_at=_date(record.get("createdAt", record.get("created_at"))),
        last_modified=_date(record.get("lastModified", record.get("last_modified"))),
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
    except FileNotFoundError:
        raise InputError(f"{path}: no such metadata file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: metadata must be a JSON file, not a folder") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nests too deeply") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if not isinstance(record, dict):
        raise InputError(f"{path}: expected a JSON object in the model_info shape")
    return from_record(record, str(path))
