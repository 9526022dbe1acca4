"""Standard provenance documents of an audited package: CycloneDX ML-BOM and SPDX 3.0.1 AI.

The facts are gathered once from the audit (:func:`ptmscope.export.facts.gather`), each
format renders them, and the document is validated before it is returned: a renderer
that produced an invalid document raises :class:`InvalidExportError` (an internal
error, exit 3) and nothing is written.

An engine, not a renderer of :mod:`ptmscope.formats`: it reads the package's bytes to
hash them, so it runs where the source is open (:func:`ptmscope.api.export`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from ptmscope.errors import InputError
from ptmscope.export.facts import ExportFacts, gather
from ptmscope.export.validate import InvalidExportError, check_cyclonedx, check_spdx
from ptmscope.results.audit import AuditResult

__all__ = [
    "FORMAT_NAMES",
    "ExportFacts",
    "ExportFormat",
    "InvalidExportError",
    "document",
    "export_format",
    "gather",
    "render",
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


FORMAT_NAMES = tuple(form.value for form in ExportFormat)
"""``ptmscope export --format`` choices, the default first."""


def export_format(name: str) -> ExportFormat:
    """The format called ``name``; an unknown name is an :class:`InputError` (exit 2)."""
    try:
        return ExportFormat(name)
    except ValueError:
        raise InputError(
            f"unknown export format {name!r}; choose from {', '.join(FORMAT_NAMES)}"
        ) from None


def render(result: AuditResult, name: str) -> str:
    """``result`` as the export format called ``name``, validated."""
    return document(gather(result), export_format(name))
