"""ptmscope: what you are about to reuse when you take a pre-trained model.

The public API is equal to the CLI (each command is one of these calls):

- :func:`audit` (``ptmscope audit``) → :class:`AuditResult`
- :func:`scan` (``ptmscope scan``) → :class:`ScanResult`
- :func:`verify` (``ptmscope verify``, needs ``ptmscope[verify]``) → :class:`VerifyResult`
- :func:`ptmscope.study.ingest` / :func:`ptmscope.study.report` (``ptmscope study``)
  → :class:`StudyResult`
- :func:`ptmscope.registry.create_app` (``ptmscope registry serve``) → an ASGI app

Every result knows its gate (``result.fails(...)``, what ``--fail-on`` checks) and
is rendered by :mod:`ptmscope.formats`. Every error raised on purpose is a
:class:`PtmscopeError`; the user's input being unusable is an :class:`InputError`.

``scan``, ``verify`` and ``audit`` are also the names of subpackages/modules; the
functions win here whatever is imported later (see
:func:`ptmscope.extras.keep_public_functions`), and the modules stay importable
(``from ptmscope.scan.scanner import scan_paths`` works as before). Importing
``ptmscope`` loads no numpy, torch or transformers: engines load when called.
"""

from __future__ import annotations

from ptmscope import registry, study
from ptmscope._version import __version__
from ptmscope.api import AuditOptions, audit, audit_demo, collect, evaluate, scan, verify
from ptmscope.errors import (
    HostileInputError,
    InputError,
    MissingExtraError,
    PtmscopeError,
    SourceError,
)
from ptmscope.extras import keep_public_functions
from ptmscope.results.audit import AuditResult, Finding, Scorecard
from ptmscope.results.scan import FileScan, FileVerdict, ScanFinding, ScanResult
from ptmscope.results.study import Measurement, StudyResult
from ptmscope.results.verify import ClaimResult, ClaimVerdict, VerifyResult
from ptmscope.severity import Severity
from ptmscope.verify.options import VerifyOptions

__all__ = [
    "AuditOptions",
    "AuditResult",
    "ClaimResult",
    "ClaimVerdict",
    "FileScan",
    "FileVerdict",
    "Finding",
    "HostileInputError",
    "InputError",
    "Measurement",
    "MissingExtraError",
    "PtmscopeError",
    "ScanFinding",
    "ScanResult",
    "Scorecard",
    "Severity",
    "SourceError",
    "StudyResult",
    "VerifyOptions",
    "VerifyResult",
    "__version__",
    "audit",
    "audit_demo",
    "collect",
    "evaluate",
    "registry",
    "scan",
    "study",
    "verify",
]

keep_public_functions(__name__)
