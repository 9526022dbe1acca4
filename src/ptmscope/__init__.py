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

Every name is resolved on first use (PEP 562), because ``python -m ptmscope scan
FILE`` runs this file before the CLI: a pre-commit hook or CI gate starts one
process per file, and importing the audit engine, the study tables or rich for a
scan cost three times the scan itself. ``import ptmscope`` loads no numpy, torch,
transformers, rich or yaml: engines load when called.

``scan``, ``verify`` and ``audit`` are also the names of subpackages/modules; the
functions win here whatever is imported later (an imported submodule is never
bound over them), and the modules stay importable (``from ptmscope.scan.scanner
import scan_paths`` works as before).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ptmscope._version import __version__

if TYPE_CHECKING:
    from ptmscope import registry, study
    from ptmscope.api import AuditOptions, audit, audit_demo, collect, evaluate, scan, verify
    from ptmscope.errors import (
        HostileInputError,
        InputError,
        MissingExtraError,
        PtmscopeError,
        SourceError,
    )
    from ptmscope.results.audit import AuditResult, Finding, Scorecard
    from ptmscope.results.scan import FileScan, FileVerdict, ScanFinding, ScanResult
    from ptmscope.results.study import Measurement, StudyResult
    from ptmscope.results.verify import ClaimResult, ClaimVerdict, VerifyResult
    from ptmscope.severity import Severity
    from ptmscope.verify.options import VerifyOptions

_HOMES = {
    "ptmscope.api": (
        "AuditOptions", "audit", "audit_demo", "collect", "evaluate", "scan", "verify",
    ),
    "ptmscope.errors": (
        "HostileInputError", "InputError", "MissingExtraError", "PtmscopeError", "SourceError",
    ),
    "ptmscope.results.audit": ("AuditResult", "Finding", "Scorecard"),
    "ptmscope.results.scan": ("FileScan", "FileVerdict", "ScanFinding", "ScanResult"),
    "ptmscope.results.study": ("Measurement", "StudyResult"),
    "ptmscope.results.verify": ("ClaimResult", "ClaimVerdict", "VerifyResult"),
    "ptmscope.severity": ("Severity",),
    "ptmscope.verify.options": ("VerifyOptions",),
}  # fmt: skip
_HOME = {name: module for module, names in _HOMES.items() for name in names}
"""Public name → the module that defines it (imported on first access)."""
_SUBPACKAGES = ("registry", "study")
_FUNCTIONS = frozenset({"audit", "scan", "verify"})
"""Public functions that share their name with a submodule: the function wins."""

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
assert sorted(__all__) == sorted([*_HOME, *_SUBPACKAGES, "__version__"])  # one list of names


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        ModuleType.__setattr__(sys.modules[__name__], name, value)
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _FunctionsWin(ModuleType):
    """This package, where an imported submodule never replaces a public function.

    Python binds a submodule as an attribute of its package when the submodule is
    first imported (``import ptmscope.scan.scanner`` sets ``ptmscope.scan``), which
    would hide the function :func:`scan` (resolved lazily by ``__getattr__``, so not
    yet in the namespace) depending on what happened to be imported first. The
    submodule stays reachable through ``sys.modules`` and every ``import`` statement.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name in _FUNCTIONS
            and isinstance(value, ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
        ):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _FunctionsWin
