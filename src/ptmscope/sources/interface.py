"""What every source provides (the pip-audit "dependency source" axis)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ptmscope.licenses import declared_licenses
from ptmscope.package import Commit, FileEntry, RegistryMetadata, Transfer, base_models_of
from ptmscope.vocab import SourceKind


@dataclass(frozen=True)
class SourceInfo:
    """What a source says about the package before any file is read."""

    ref: str
    kind: SourceKind
    name: str | None
    """``owner/name`` when the layout tells it."""
    revision: str | None
    commit: str | None


@dataclass(frozen=True)
class UpstreamRecord:
    """What a registry says about an upstream model: enough to follow the lineage."""

    licenses: tuple[str, ...]
    base_models: tuple[str, ...]
    revision: str | None = None
    """The commit the record describes (the registry's default branch when it was read)."""

    @classmethod
    def from_card(
        cls, card: Mapping[str, Any] | None, tags: tuple[str, ...] = (), revision: str | None = None
    ) -> UpstreamRecord:
        return cls(declared_licenses(card, tags), base_models_of(card), revision)


class Source(ABC):
    """A model package at one revision: its files and, where known, its history."""

    @abstractmethod
    def info(self) -> SourceInfo: ...

    @abstractmethod
    def files(self) -> Sequence[FileEntry]:
        """Every file of the package, LFS pointers marked, bytes readable lazily."""

    @abstractmethod
    def history(self) -> tuple[Commit, ...] | None:
        """Commits reachable from the revision, newest first; ``None`` when there is none."""

    def skipped(self) -> tuple[tuple[str, str], ...]:
        """``(path, reason)`` for what the source refused to read (escaping symlinks…)."""
        return ()

    def signatures_visible(self) -> bool:
        """Whether commit signatures can be seen (git objects: yes; a Hub API listing: no)."""
        return True

    def metadata(self) -> RegistryMetadata | None:
        """The registry's record of the package, for sources that have a registry."""
        return None

    def upstream(self, model_id: str) -> UpstreamRecord | None:
        """The record of another model of the same registry (``None``: not found, or the
        source has no registry to ask)."""
        return None

    def transfer_report(self) -> Transfer | None:
        """Bytes fetched over the network so far, for sources that fetch."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Release processes or handles; safe to call twice."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
