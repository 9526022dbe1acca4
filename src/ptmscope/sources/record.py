"""A package known only from a registry record: card text, config and file names.

Registry crawls (and the Hub API) give the README, ``config.json`` and the list
of sibling files without any weight bytes. This source serves those, so the same
probes that audit a folder can run over tens of thousands of registry records.
Sibling files are listed with their names only: their content is absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ptmscope.package import Commit, FileEntry, Reader
from ptmscope.sources.interface import Source, SourceInfo
from ptmscope.vocab import SourceKind


def _memory_reader(data: bytes) -> Reader:
    def read(offset: int, length: int | None) -> bytes:
        return data[offset:] if length is None else data[offset : offset + length]

    return read


class RecordSource(Source):
    """A package known only from a registry record (see the module docstring)."""

    def __init__(
        self,
        model_id: str,
        *,
        readme: str | bytes | None = None,
        config_json: str | bytes | None = None,
        siblings: Iterable[str] = (),
        commit: str | None = None,
    ) -> None:
        self._id = model_id
        self._commit = commit
        files: dict[str, FileEntry] = {}
        for path in siblings:
            files[path] = FileEntry(path, 0, f"record:{model_id}/{path}")
        for path, content in (("README.md", readme), ("config.json", config_json)):
            if content is None:
                continue
            data = content.encode("utf-8") if isinstance(content, str) else content
            files[path] = FileEntry(
                path, len(data), f"record:{model_id}/{path}", reader=_memory_reader(data)
            )
        self._files = tuple(sorted(files.values(), key=lambda f: f.path))

    def info(self) -> SourceInfo:
        return SourceInfo(self._id, SourceKind.RECORD, self._id, None, self._commit)

    def files(self) -> Sequence[FileEntry]:
        return self._files

    def history(self) -> tuple[Commit, ...] | None:
        return None
