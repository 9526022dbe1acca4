"""What a container reader is: a kind, a content match, a scan, and optional weight info.

A reader is chosen by the file's first bytes, never its name. :meth:`Container.match`
looks at the head (and the size) only: a ``SURE`` match takes the file (its magic
bytes leave no doubt), a ``CANDIDATE`` is confirmed by parsing in :meth:`Container.scan`,
which answers ``None`` when the bytes turn out not to be its format so the next
reader in the registry's order gets them. Members and nested payloads are
scanned through the one hooks object (:class:`ScanContext`: limits, policy,
ledger and ``scan_member``/``load_payload`` for recursion).

The audit reads weights through the same readers: :meth:`Container.weight_info`
tells a weight file's format and what its header says (parameters, dtypes,
whether loading runs a pickle) from a few bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

from ptmscope.scan.context import ScanContext, Span
from ptmscope.vocab import FileFormat

HEAD_BYTES = 512
"""Bytes of a file's start that :meth:`Container.match` sees."""


class Confidence(Enum):
    """How sure a content match is."""

    SURE = "sure"
    """Magic bytes: this reader's answer is final."""
    CANDIDATE = "candidate"
    """Plausible (pickle protocols 0–1, protobuf): the reader confirms by parsing."""


class WeightProbe(NamedTuple):
    """What the audit knows of a weight file before reading it: its head, size and name."""

    head: bytes
    size: int
    read: Callable[[int, int], bytes]
    """Read ``(offset, length)`` bytes; only headers are read."""
    suffix: str
    """The file's extension, lower case (``.bin``): only to break ties where content can't."""
    pickle_named: bool
    """The name is one pickles are saved under (``.bin``, ``.pt``, ``.pkl``…)."""


class WeightInfo(NamedTuple):
    """A weight file's format and what its header says."""

    format: FileFormat
    pickle_based: bool = False
    """Loading it runs a pickle."""
    parameters: int | None = None
    dtypes: tuple[str, ...] = ()
    error: str | None = None
    """Why the header could not be read (truncated, bad offsets…)."""


class Container:
    """A reader for one container format; subclasses set ``kind`` and override the rest.

    Register an instance in :mod:`ptmscope.scan.registry` at the place in the order
    where its match must win over (or give way to) the others.
    """

    kind: FileFormat = FileFormat.UNKNOWN

    def match(self, head: bytes, size: int) -> Confidence | None:
        """``SURE``, ``CANDIDATE`` or ``None`` from the first bytes alone."""
        raise NotImplementedError

    def first_bytes(self) -> frozenset[int] | None:
        """Every first byte :meth:`match` can accept; ``None``: any (the default).

        Only a shortcut: the registry asks ``match`` only of readers whose set holds the
        head's first byte, so a zip member full of tensor bytes is not offered to every
        reader in turn. A reader that narrows it must accept nothing outside the set
        (``tests/scan/test_registry.py`` tries every byte).
        """
        return None

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        """Scan ``span`` into ``hooks``; the format read (``None``: not this format after all)."""
        raise NotImplementedError

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        """The audit's view of a weight file this reader matched; ``None``: nothing to say."""
        return None


class Magic(Container):
    """A container told by a fixed byte string at its start."""

    magic: tuple[bytes, ...] = ()

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.SURE if head.startswith(self.magic) else None

    def first_bytes(self) -> frozenset[int] | None:
        return frozenset(m[0] for m in self.magic if m) if all(self.magic) else None
