"""Standard provenance documents of an audited package: CycloneDX ML-BOM and SPDX 3.0.1 AI.

The facts are gathered once from the audit (:func:`ptmscope.export.facts.gather`), each
format renders them, and the document is validated before it is returned: a renderer
that produced an invalid document raises :class:`InvalidExportError` (an internal
error, exit 3) and nothing is written.
"""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from ptmscope.export.facts import ExportFacts, gather
from ptmscope.export.validate import InvalidExportError, check_cyclonedx, check_spdx
from ptmscope.formats.registry import Formats
from ptmscope.results.audit import AuditResult

__all__ = [
    "EXPORT_FORMATS",
    "ExportFacts",
    "ExportFormat",
    "InvalidExportError",
    "document",
    "gather",
]


class ExportFormat(StrEnum):
    """``ptmscope export --format`` values."""

    CYCLONEDX = "cyclonedx"
    """CycloneDX 1.6 JSON (ECMA-424 1st edition)."""
    CYCLONEDX_1_7 = "cyclonedx-1.7"
    SPDX = "spdx"
    """SPDX 3.0.1 JSON-LD with the AI and Dataset profiles."""


def document(facts: ExportFacts, form: ExportFormat) -> str:
    """``facts`` as ``form``, validated (raises :class:`InvalidExportError` otherwise)."""
    from ptmscope.export import cyclonedx, spdx

    match form:
        case ExportFormat.CYCLONEDX | ExportFormat.CYCLONEDX_1_7:
            version = "1.7" if form is ExportFormat.CYCLONEDX_1_7 else "1.6"
            text = cyclonedx.render(facts, version)
            check_cyclonedx(text, version)
        case ExportFormat.SPDX:
            text = spdx.render(facts)
            check_spdx(text)
        case _:
            assert_never(form)
    return text


class ExportRenderer:
    """One export format as a renderer of audit results (so ``emit`` writes it: whole
    or not at all, and only once it validated)."""

    def __init__(self, form: ExportFormat) -> None:
        self.form = form

    def render(self, result: AuditResult) -> str:
        return document(gather(result), self.form)


EXPORT_FORMATS: Formats[AuditResult] = Formats(
    "export",
    {form.value: ExportRenderer(form) for form in ExportFormat},
    default=ExportFormat.CYCLONEDX.value,
)
"""``ptmscope export``'s formats (its ``--format`` choices are read from here)."""
