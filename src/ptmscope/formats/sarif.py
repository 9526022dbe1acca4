"""What the SARIF 2.1.0 renderers of scan and audit share: the log frame and severity maps.

One mapping from a severity to a SARIF ``level`` and a GitHub code-scanning
``security-severity`` score, so a scan finding and an audit risk of the same
severity look the same on a dashboard.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ptmscope.severity import Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/ptmscope/ptmscope"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
"""SARIF ``level`` of a severity."""

SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}
"""GitHub code scanning's ``security-severity`` (a CVSS-like score as a string)."""


def uri(path: str) -> str:
    """A relative path as a URI reference (spaces, ``#`` and ``%`` percent-encoded)."""
    return quote(path.replace("\\", "/"), safe="/:@!$&'()*+,;=-._~")


def log(driver: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """A SARIF log of one run of ptmscope (``driver``: version and rules; ``run``: the rest)."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {"name": "ptmscope", "informationUri": INFORMATION_URI, **driver}
                },
                **run,
            }
        ],
    }
