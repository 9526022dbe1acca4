"""A scan seen as the part of an audit report the file rules read.

``scan --policy`` decides with the same engine as ``audit --policy``: the report it
hands over has the audit's ``scans`` and ``package.weights`` shapes, built from the
scan alone (formats are told from content by both), so a rule reads the same field
either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.policy.document import AdmissionPolicy, load_admission_policy
from ptmscope.policy.engine import decide
from ptmscope.results.audit_report import scan_entry
from ptmscope.results.scan import ScanResult
from ptmscope.scan.policy import is_admission_policy
from ptmscope.vocab import FileFormat

NOT_WEIGHTS = frozenset({
    FileFormat.EMPTY, FileFormat.UNREADABLE, FileFormat.UNKNOWN, FileFormat.JSON,
    FileFormat.YAML, FileFormat.CHAT_TEMPLATE, FileFormat.GZIP, FileFormat.BZIP2,
    FileFormat.XZ, FileFormat.LZMA, FileFormat.ZLIB,
})  # fmt: skip
"""Formats that hold no model serialization of their own (a compressed stream counts by
what it holds: ``gzip+json`` is JSON, ``gzip+pickle`` a pickle)."""

PICKLE_FORMATS = frozenset({
    FileFormat.PICKLE, FileFormat.JOBLIB, FileFormat.JOBLIB_ZFILE, FileFormat.PYTORCH_ZIP,
    FileFormat.PYTORCH_LEGACY, FileFormat.PYTORCH_TAR,
})  # fmt: skip
"""Formats whose loading runs a pickle."""


def scan_report(result: ScanResult) -> dict[str, Any]:
    """The ``scans`` and ``package.weights`` of an audit report, from a scan."""
    weights = []
    for scan in result.files:
        parts = set(scan.format.split("+"))
        if parts <= NOT_WEIGHTS:
            continue
        weights.append(
            {
                "path": scan.path,
                "format": scan.format.split("+")[-1],
                "pickle_based": bool(parts & PICKLE_FORMATS),
                "size": scan.size,
            }
        )
    return {
        "scans": [scan_entry(scan) for scan in result.files],
        "package": {"weights": weights},
    }


def admission_among(paths: Sequence[Path]) -> AdmissionPolicy | None:
    """The admission policy among ``scan --policy`` files (the others are scan policies of
    the older shape); more than one is an input error: a decision names one policy."""
    found = [path for path in paths if _is_admission_file(path)]
    if len(found) > 1:
        raise InputError(
            f"{found[1]}: a second admission policy (after {found[0]}); a scan is decided by one"
        )
    return load_admission_policy(found[0]) if found else None


def _is_admission_file(path: Path) -> bool:
    from ptmscope.card.safe_yaml import load_yaml

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # the scan policy reader says what is wrong with it
    return is_admission_policy(load_yaml(text).data)


def with_decision(result: ScanResult, admission: AdmissionPolicy) -> ScanResult:
    """The scan with the admission policy's decision on the files it judged."""
    return replace(result, policy=decide(scan_report(result), admission, scan_only=True))
