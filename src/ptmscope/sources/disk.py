"""Lazy reads of files on disk, shared by the sources that find bytes there."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ptmscope.package import Reader


def _read(path: str, offset: int, length: int | None) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read() if length is None else handle.read(length)


def disk_reader(path: Path | str) -> Reader:
    """A reader that opens ``path`` on each call (no handle kept across a whole audit)."""
    return partial(_read, str(path))
