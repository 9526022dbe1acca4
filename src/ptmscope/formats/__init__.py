"""Renderers of every result type; they never compute facts.

One :class:`~ptmscope.formats.registry.Formats` per result type; the CLI's
``--format`` choices and :func:`~ptmscope.formats.output.emit` read these:

- :data:`AUDIT_FORMATS`: ``text``, ``json``, ``markdown``, ``sarif``
- :data:`SCAN_FORMATS`: ``text``, ``json``, ``markdown``, ``sarif``
- :data:`VERIFY_FORMATS`: ``text``, ``json``, ``markdown``
- :data:`POLICY_FORMATS`: ``text``, ``json``
- :data:`STUDY_FORMATS`: ``html`` (the default), ``json``, ``markdown``, ``text``

A new format is one module with a renderer class, registered here by name.
Renderers are imported when first asked for (:class:`LazyRenderers`): ``ptmscope
scan x.pkl -f json`` starts one process per file in a pre-commit hook, and
importing every renderer (rich, the audit report, the study's HTML) cost more than
the scan itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ptmscope.formats.registry import ConsoleRenderer, Formats, Renderer

if TYPE_CHECKING:
    from ptmscope.formats.audit import AuditJson, AuditMarkdown, AuditSarif, AuditText
    from ptmscope.formats.scan import ScanJson, ScanMarkdown, ScanSarif, ScanText
    from ptmscope.formats.study import StudyHtml, StudyJson, StudyMarkdown, StudyText
    from ptmscope.formats.verify import VerifyJson, VerifyMarkdown, VerifyText
    from ptmscope.results.audit import AuditResult
    from ptmscope.results.policy import PolicyDecision
    from ptmscope.results.scan import ScanResult
    from ptmscope.results.study import StudyResult
    from ptmscope.results.verify import VerifyResult


class LazyRenderers(Mapping[str, Any]):
    """Format name → renderer, where each renderer's module is imported on first access.

    ``names`` (the CLI's ``--format`` choices) iterate the keys only, so listing
    the formats imports nothing.
    """

    def __init__(self, classes: Mapping[str, str]) -> None:
        self._classes = dict(classes)
        """Format name → ``module:Class`` of its renderer (built with no arguments)."""
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            module, _, cls = self._classes[name].partition(":")
            self._built[name] = getattr(importlib.import_module(module), cls)()
        return self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)


def _lazy(package: str, classes: Mapping[str, str]) -> LazyRenderers:
    return LazyRenderers({name: f"{package}.{cls}" for name, cls in classes.items()})


AUDIT_FORMATS: Formats[AuditResult] = Formats(
    "audit",
    _lazy("ptmscope.formats.audit", {"text": "text:AuditText", "json": "json:AuditJson",
          "markdown": "markdown:AuditMarkdown", "sarif": "sarif:AuditSarif"}),
)  # fmt: skip
SCAN_FORMATS: Formats[ScanResult] = Formats(
    "scan",
    _lazy("ptmscope.formats.scan", {"text": "text:ScanText", "json": "json:ScanJson",
          "markdown": "markdown:ScanMarkdown", "sarif": "sarif:ScanSarif"}),
)  # fmt: skip
VERIFY_FORMATS: Formats[VerifyResult] = Formats(
    "verify",
    _lazy("ptmscope.formats.verify", {"text": "text:VerifyText", "json": "json:VerifyJson",
          "markdown": "markdown:VerifyMarkdown"}),
)  # fmt: skip
POLICY_FORMATS: Formats[PolicyDecision] = Formats(
    "policy",
    _lazy("ptmscope.formats.policy", {"text": "text:PolicyText", "json": "json:PolicyJson"}),
)
STUDY_FORMATS: Formats[StudyResult] = Formats(
    "study",
    _lazy("ptmscope.formats.study", {"html": "html:StudyHtml", "json": "json:StudyJson",
          "markdown": "markdown:StudyMarkdown", "text": "text:StudyText"}),
    "html",
)  # fmt: skip

_CLASSES = {
    "AuditJson": "ptmscope.formats.audit",
    "AuditMarkdown": "ptmscope.formats.audit",
    "AuditSarif": "ptmscope.formats.audit",
    "AuditText": "ptmscope.formats.audit",
    "ScanJson": "ptmscope.formats.scan",
    "ScanMarkdown": "ptmscope.formats.scan",
    "ScanSarif": "ptmscope.formats.scan",
    "ScanText": "ptmscope.formats.scan",
    "StudyHtml": "ptmscope.formats.study",
    "StudyJson": "ptmscope.formats.study",
    "StudyMarkdown": "ptmscope.formats.study",
    "StudyText": "ptmscope.formats.study",
    "VerifyJson": "ptmscope.formats.verify",
    "VerifyMarkdown": "ptmscope.formats.verify",
    "VerifyText": "ptmscope.formats.verify",
}
_DEPRECATED = {
    "TextFormat": "AuditText",
    "JsonFormat": "AuditJson",
    "MarkdownFormat": "AuditMarkdown",
}
"""Deprecated names of the audit renderers (before one registry per result type)."""
Format = Renderer


def __getattr__(name: str) -> Any:
    """Renderer classes (and the deprecated ``FORMATS``) are imported on first access."""
    if name in _DEPRECATED:
        return __getattr__(_DEPRECATED[name])
    if name in _CLASSES:
        return getattr(importlib.import_module(_CLASSES[name]), name)
    if name == "FORMATS":
        # Deprecated: use AUDIT_FORMATS (its ``names`` and ``get``).
        return {n: type(AUDIT_FORMATS.get(n)) for n in AUDIT_FORMATS.names}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_format(name: str) -> Renderer[AuditResult]:
    """Deprecated: ``AUDIT_FORMATS.get(name)`` (an unknown name is an input error)."""
    return AUDIT_FORMATS.get(name)


__all__ = [
    "AUDIT_FORMATS",
    "FORMATS",
    "POLICY_FORMATS",
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
    "LazyRenderers",
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
