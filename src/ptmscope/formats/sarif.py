"""What the SARIF 2.1.0 renderers of scan and audit share: the log frame and severity maps.

One mapping from a severity to a SARIF ``level`` and a GitHub code-scanning
``security-severity`` score, so a scan finding and an audit risk of the same
severity look the same on a dashboard.
"""

from __future__ import annotations

import hashlib
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
"""GitHub code scanning's ``security-severity`` (a CVSS-like score as a string). GitHub reads
it from the rule: over 9.0 is Critical, 7.0-8.9 High, 4.0-6.9 Medium, 0.1-3.9 Low; a rule
at INFO carries none (0.0 is outside every band)."""

PROBLEM_SEVERITY = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "recommendation",
    Severity.INFO: "recommendation",
}
"""``problem.severity`` of a rule (what GitHub shows for a rule without a security score)."""

MAX_RESULTS_PER_RUN = 25_000
"""GitHub code scanning rejects a run with more results; beyond it the worst are kept and a
notification says how many were left out (the run is then not successful)."""
MAX_RULES_PER_RUN = 25_000
MAX_TAGS_PER_RULE = 20
MAX_DESCRIPTION_CHARS = 1_024
"""GitHub's limit on a rule's ``shortDescription`` and ``fullDescription`` text (messages
of results are kept whole)."""
FINGERPRINT_KEY = "ptmscope/v1"
"""The ``partialFingerprints`` key: bump the version when what is hashed changes."""


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


def description(text: str) -> dict[str, str]:
    """A rule description within GitHub's length limit (cut at a word, with an ellipsis)."""
    if len(text) <= MAX_DESCRIPTION_CHARS:
        return {"text": text}
    cut = text[: MAX_DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0]
    return {"text": cut + "…"}


def rule_properties(severity: Severity, tags: list[str]) -> dict[str, Any]:
    """A rule's ``properties``: ``security`` first among at most 20 tags, the security score
    (GitHub reads it from rules that carry the ``security`` tag) and the problem severity."""
    unique = list(dict.fromkeys(["security", *tags]))[:MAX_TAGS_PER_RULE]
    properties: dict[str, Any] = {
        "tags": unique,
        "severity": severity.label,
        "problem.severity": PROBLEM_SEVERITY[severity],
        "precision": "high",
    }
    if severity is not Severity.INFO:
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    return properties


def fingerprint(*parts: object) -> dict[str, str]:
    """``partialFingerprints``: a SHA-256 over the parts (rule, content hash, location…), so
    a repeated scan of the same content matches the same alert instead of opening a new one."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return {FINGERPRINT_KEY: hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()}
