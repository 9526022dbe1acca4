"""What ``study report`` measures: rows of (key, numerator, denominator) per measurement.

Every measurement carries its definition and, where the ICSE 2023 paper reported
it, the paper's value, so ours and theirs sit side by side in every format.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ptmscope._version import __version__


@dataclass(frozen=True)
class Row:
    """One line of a measurement: ``numerator`` of ``denominator`` packages have ``key``."""

    key: str
    numerator: int
    denominator: int

    @property
    def share(self) -> float:
        return self.numerator / self.denominator if self.denominator else 0.0


@dataclass(frozen=True)
class Measurement:
    """One registry-wide measurement with its definition (and the paper's value, if any)."""

    id: str
    title: str
    definition: str
    rows: tuple[Row, ...]
    paper: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PaperValue:
    """One number the ICSE 2023 paper reports (shipped with ptmscope, or read from a file)."""

    id: str
    """``M1``…: the id measurements refer to."""
    where: str
    """Table, figure or section of the paper."""
    title: str
    value: str
    denominator: str


@dataclass(frozen=True)
class StudyResult:
    """What ``ptmscope study report`` (or :func:`ptmscope.study.report`) returns."""

    measurements: tuple[Measurement, ...]
    tool_version: str = __version__
    paper: tuple[PaperValue, ...] = ()
    """Every value of the paper, ours or not measured (empty with ``--paper none``)."""
    paper_source: str | None = None
    """Where they came from: ``shipped`` (ptmscope's copy) or a file's path."""

    def __iter__(self) -> Iterator[Measurement]:
        return iter(self.measurements)

    def __len__(self) -> int:
        return len(self.measurements)

    def get(self, measurement_id: str) -> Measurement | None:
        return next((m for m in self.measurements if m.id == measurement_id), None)
