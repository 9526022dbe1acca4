"""Renderers of an :class:`~ptmscope.results.audit.AuditResult` (``ptmscope audit``).

Every format reads the one data view in :mod:`ptmscope.results.audit_report`,
so text, Markdown, JSON and SARIF never disagree about a fact.
"""

from __future__ import annotations

from ptmscope.formats.audit.json import AuditJson
from ptmscope.formats.audit.markdown import AuditMarkdown
from ptmscope.formats.audit.sarif import AuditSarif
from ptmscope.formats.audit.text import AuditText

__all__ = ["AuditJson", "AuditMarkdown", "AuditSarif", "AuditText"]
