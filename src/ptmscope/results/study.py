"""What ``study report`` measures: rows of (key, numerator, denominator) per measurement.

Every measurement carries its definition and, where the ICSE 2023 paper reported
it, the paper's value as text and, per key, as numbers (:class:`PaperRow`), so ours
and theirs sit side by side in every format with the difference between them. A
measurement also says how much of the data it could read (:class:`Coverage`) and
carries a caveat when that is too little to compare; the factor measurements carry
a :class:`Heatmap`. Renderers read these; they never derive them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ptmscope._version import __version__

INPUTS = "inputs"
"""Id of the measurement that lists the study's inputs (the report's summary block)."""


@dataclass(frozen=True)
class Row:
    """One line of a measurement: ``numerator`` of ``denominator`` packages have ``key``."""

    key: str
    numerator: int
    denominator: int

    @property
    def share(self) -> float:
        """The share, 0.0 for 0/0 (kept for callers that sort or scale by it)."""
        return self.numerator / self.denominator if self.denominator else 0.0

    @property
    def ratio(self) -> float | None:
        """The share, or None for 0/0: nothing was measured, which is not 0%."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class PaperRow:
    """One number of the paper for one key (``bert``: 16.4%), as structured data."""

    key: str
    share: float
    """0–1, as the paper states it (its own rounding)."""
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class Comparison:
    """Ours and the paper's for one key; either side may be missing."""

    key: str
    ours: Row | None
    paper: PaperRow | None

    @property
    def delta(self) -> float | None:
        """Ours minus the paper's share (a fraction; renderers show percentage points)."""
        if self.ours is None or self.paper is None or self.ours.ratio is None:
            return None
        return self.ours.ratio - self.paper.share


@dataclass(frozen=True)
class Coverage:
    """How much of the data carries what a measurement reads (``covered`` of ``total`` units)."""

    covered: int
    total: int
    what: str
    """The unit and the condition, e.g. ``packages whose architecture is known``."""

    @property
    def ratio(self) -> float | None:
        return self.covered / self.total if self.total else None


@dataclass(frozen=True)
class Heatmap:
    """A measurement's shares as a matrix: ``cells[i][j]`` is row ``rows[i]`` in column ``columns[j]``."""

    row_label: str
    column_label: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[Row, ...], ...]
    """Each cell's ``key`` is its column; 0/0 where a row has no data in a column."""


@dataclass(frozen=True)
class Measurement:
    """One registry-wide measurement with its definition (and the paper's value, if any)."""

    id: str
    title: str
    definition: str
    rows: tuple[Row, ...]
    paper: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    paper_rows: tuple[PaperRow, ...] = ()
    """The paper's value per key, where it reported one (empty with ``--paper none``)."""
    coverage: Coverage | None = None
    caveats: tuple[str, ...] = ()
    """Why a number here should not be compared as it stands (too little data, n = 1)."""
    heatmap: Heatmap | None = None

    def comparison(self) -> tuple[Comparison, ...]:
        """Our rows in order, each beside the paper's for its key; then the paper's keys
        that none of our rows has (outside our top N, or absent from our data)."""
        paper = {row.key: row for row in self.paper_rows}
        ours = {row.key for row in self.rows}
        return (
            *(Comparison(row.key, row, paper.get(row.key)) for row in self.rows),
            *(Comparison(row.key, None, row) for row in self.paper_rows if row.key not in ours),
        )


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
    rows: tuple[PaperRow, ...] = ()
    """``value`` per key, where it has numbers per key (empty for prose values)."""


PAPER_METHOD = "paper"
"""A :class:`Method` that replicates the ICSE 2023 artifact's procedure, quirks included."""
PTMSCOPE_METHOD = "ptmscope"
"""A :class:`Method` that is ptmscope's own, stated, definition."""


@dataclass(frozen=True)
class Method:
    """One way of measuring a paper's number: its definition and its rows on this data."""

    name: str
    """:data:`PAPER_METHOD` or :data:`PTMSCOPE_METHOD`."""
    definition: str
    rows: tuple[Row, ...]
    headline: str | None = None
    """The key of the row that stands beside the paper's headline number."""
    measurement: str | None = None
    """The report measurement these rows come from, when they are one (ptmscope's)."""
    unit: str = "share"
    """How a row reads: ``share`` (numerator of denominator), ``place`` (the numerator is
    a rank among the denominator) or ``count`` (the numerator is a count, such as
    downloads, of the denominator's total)."""

    @property
    def headline_row(self) -> Row | None:
        """The row keyed :attr:`headline`, if there is one."""
        return next((r for r in self.rows if r.key == self.headline), None)


@dataclass(frozen=True)
class Reproduction:
    """One number of the paper (M1…M15) measured by the paper's method and by ptmscope's
    on the data at hand, with why the two (and the paper) differ, computed from the data.

    A measurement the data cannot support has neither method and says what it would need
    (:attr:`needs`): never a 0/0 shown as a value."""

    id: str
    title: str
    paper_value: str
    paper_rows: tuple[PaperRow, ...]
    paper_method: Method | None
    ptmscope_method: Method | None
    reasons: tuple[str, ...] = ()
    """One line each: why the values differ (numbers computed from the data)."""
    needs: str | None = None
    """For an unsupported measurement: the data it needs and how ``study`` would take it."""

    @property
    def supported(self) -> bool:
        """Whether either method could be measured on this data."""
        return self.paper_method is not None or self.ptmscope_method is not None

    def paper_headline(self, key: str | None) -> PaperRow | None:
        """The paper's number for ``key`` (a single-number value has one row)."""
        if key is None:
            return None
        found = next((r for r in self.paper_rows if r.key == key), None)
        if found is None and len(self.paper_rows) == 1:
            return self.paper_rows[0]
        return found


@dataclass(frozen=True)
class StudyResult:
    """What ``ptmscope study report`` (or :func:`ptmscope.study.report`) returns."""

    measurements: tuple[Measurement, ...]
    tool_version: str = __version__
    paper: tuple[PaperValue, ...] = ()
    """Every value of the paper, ours or not measured (empty with ``--paper none``)."""
    paper_source: str | None = None
    """Where they came from: ``shipped`` (ptmscope's copy) or a file's path."""
    reproductions: tuple[Reproduction, ...] = ()
    """Each of the paper's measurements by its method and by ptmscope's (empty with
    ``--paper none``)."""

    def __iter__(self) -> Iterator[Measurement]:
        return iter(self.measurements)

    def __len__(self) -> int:
        return len(self.measurements)

    def get(self, measurement_id: str) -> Measurement | None:
        return next((m for m in self.measurements if m.id == measurement_id), None)

    @property
    def inputs(self) -> Measurement | None:
        """The inputs (sources, rows, dates) the summary block shows, if measured."""
        return self.get(INPUTS)

    @property
    def body(self) -> tuple[Measurement, ...]:
        """Every measurement but the inputs: the report's sections."""
        return tuple(m for m in self.measurements if m.id != INPUTS)
