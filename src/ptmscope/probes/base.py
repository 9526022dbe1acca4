"""What a probe is: a pure function over a :class:`Package` plus its definition.

As in OpenSSF Scorecard, a probe answers one question and says why it matters
and how to fix it. Attribute probes answer "is this documented?" (``present`` /
``missing`` / ``unknown``) or measure a signal (a 0–10 score); risk probes answer
"is this risk here?" (``detected`` / ``clear`` / ``unknown``) with a STRIDE
category and a severity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ptmscope.package import Package
from ptmscope.results.audit import Definition, Evidence, Finding, Outcome, Stride
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind

__all__ = [
    "MAX_EVIDENCE",
    "MAX_EXAMPLES",
    "SHORT_SHA",
    "Definition",
    "Evidence",
    "Finding",
    "Outcome",
    "Probe",
    "ProbeKind",
    "Severity",
    "Stride",
    "clear",
    "detected",
    "factor_result",
    "unknown",
]

MAX_EVIDENCE = 5
"""Evidence items a finding lists: enough to act on, short enough to read in a terminal."""
MAX_EXAMPLES = 3
"""Examples quoted when a finding summarises many alike items (claims, files, commits)."""
SHORT_SHA = 12
"""Characters of a commit id shown in evidence (as ``git log --abbrev=12``)."""


@dataclass(frozen=True)
class Probe:
    """A check: its definition plus a pure function over the package."""

    definition: Definition
    run: Callable[[Package], Finding]

    @property
    def id(self) -> str:
        return self.definition.id

    def check(self, package: Package) -> Finding:
        """Run the probe; a probe bug becomes an ``unknown`` finding, never a lost audit
        (the audit and the study both run probes this way)."""
        try:
            return self.run(package)
        except Exception as exc:
            return Finding(self.id, Outcome.UNKNOWN, f"probe error: {type(exc).__name__}: {exc}")


def factor_result(
    definition: Definition, evidence: list[Evidence], decidable: bool, found: str, absent: str
) -> Finding:
    """The usual factor outcome: any evidence means present; none means missing, if decidable."""
    if evidence:
        return Finding(definition.id, Outcome.PRESENT, found, tuple(evidence), 10.0)
    if not decidable:
        return Finding(definition.id, Outcome.UNKNOWN, "the model card text is not available")
    return Finding(definition.id, Outcome.MISSING, absent, (), 0.0)


def detected(
    definition: Definition,
    message: str,
    evidence: list[Evidence] | tuple[Evidence, ...] = (),
    severity: Severity | None = None,
) -> Finding:
    return Finding(
        definition.id,
        Outcome.DETECTED,
        message,
        tuple(evidence),
        severity=severity or definition.severity,
    )


def clear(definition: Definition, message: str, evidence: list[Evidence] | None = None) -> Finding:
    return Finding(definition.id, Outcome.CLEAR, message, tuple(evidence or ()))


def unknown(definition: Definition, message: str) -> Finding:
    return Finding(definition.id, Outcome.UNKNOWN, message)
