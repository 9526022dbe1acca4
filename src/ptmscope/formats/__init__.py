"""Renderers of every result type; they never compute facts.

One :class:`~ptmscope.formats.registry.Formats` per result type; the CLI's
``--format`` choices and :func:`~ptmscope.formats.output.emit` read these:

- :data:`AUDIT_FORMATS`: ``text``, ``json``, ``markdown``, ``sarif``
- :data:`SCAN_FORMATS`: ``text``, ``json``, ``markdown``, ``sarif``
- :data:`VERIFY_FORMATS`: ``text``, ``json``, ``markdown``
- :data:`STUDY_FORMATS`: ``html`` (the default), ``json``, ``markdown``, ``text``

A new format is one module with a renderer class, registered here.
"""

from __future__ import annotations

from ptmscope.formats.audit import AuditJson, AuditMarkdown, AuditSarif, AuditText
from ptmscope.formats.registry import ConsoleRenderer, Formats, Renderer
from ptmscope.formats.scan import ScanJson, ScanMarkdown, ScanSarif, ScanText
from ptmscope.formats.study import StudyHtml, StudyJson, StudyMarkdown, StudyText
from ptmscope.formats.verify import VerifyJson, VerifyMarkdown, VerifyText
from ptmscope.results.audit import AuditResult
from ptmscope.results.scan import ScanResult
from ptmscope.results.study import StudyResult
from ptmscope.results.verify import VerifyResult

AUDIT_FORMATS: Formats[AuditResult] = Formats(
    "audit",
    {"text": AuditText(), "json": AuditJson(), "markdown": AuditMarkdown(), "sarif": AuditSarif()},
)
SCAN_FORMATS: Formats[ScanResult] = Formats(
    "scan",
    {"text": ScanText(), "json": ScanJson(), "markdown": ScanMarkdown(), "sarif": ScanSarif()},
)
VERIFY_FORMATS: Formats[VerifyResult] = Formats(
    "verify", {"text": VerifyText(), "json": VerifyJson(), "markdown": VerifyMarkdown()}
)
STUDY_FORMATS: Formats[StudyResult] = Formats(
    "study",
    {"html": StudyHtml(), "json": StudyJson(), "markdown": StudyMarkdown(), "text": StudyText()},
    "html",
)

# Deprecated names of the audit renderers (before one registry per result type).
TextFormat = AuditText
JsonFormat = AuditJson
MarkdownFormat = AuditMarkdown
Format = Renderer
FORMATS: dict[str, type[Renderer[AuditResult]]] = {
    name: type(renderer) for name, renderer in AUDIT_FORMATS.renderers.items()
}
"""Deprecated: use :data:`AUDIT_FORMATS` (its ``names`` and ``get``)."""


def get_format(name: str) -> Renderer[AuditResult]:
    """Deprecated: ``AUDIT_FORMATS.get(name)`` (an unknown name is an input error)."""
    return AUDIT_FORMATS.get(name)


__all__ = [
    "AUDIT_FORMATS",
    "FORMATS",
    "SCAN_FORMATS",
    "STUDY_FORMATS",
    "VERIFY_FORMATS",
    "AuditJson",
    "AuditMarkdown",
    "AuditSarif",
    "AuditText",
    "ConsoleRenderer",
    "Format",
    "Formats",
    "JsonFormat",
    "MarkdownFormat",
    "Renderer",
    "ScanJson",
    "ScanMarkdown",
    "ScanSarif",
    "ScanText",
    "StudyHtml",
    "StudyJson",
    "StudyMarkdown",
    "StudyText",
    "TextFormat",
    "VerifyJson",
    "VerifyMarkdown",
    "VerifyText",
    "get_format",
]
