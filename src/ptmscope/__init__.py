"""ptmscope: what you are about to reuse when you take a pre-trained model.

The public API mirrors the CLI: :func:`audit` turns a reference into an
:class:`AuditResult`; :mod:`ptmscope.formats` renders it.
"""

from __future__ import annotations

from ptmscope._version import __version__
from ptmscope.audit import AuditOptions, audit, collect
from ptmscope.results.audit import AuditResult

__all__ = ["AuditOptions", "AuditResult", "__version__", "audit", "collect"]
