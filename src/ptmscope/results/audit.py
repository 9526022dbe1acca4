"""What an audit returns: findings of the probes, the scorecard they add up to, and the package.

Plain data only: formats, exports and policies read these types and never reach
back to the probes, the sources or the scanner that produced them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ptmscope._version import __version__
from ptmscope.package import Package
from ptmscope.results.policy import PolicyDecision
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind, ScorecardVerdict

UNREADABLE_PROBE = "risk.unreadable_content"
"""The probe that reports content which could not be read: no gate may pass it."""


class Outcome(StrEnum):
    """A probe's answer: attribute probes say present/missing, risk probes detected/clear."""

    PRESENT = "present"
    MISSING = "missing"
    UNKNOWN = "unknown"
    """Could not be decided from this package (never counted as missing)."""
    DETECTED = "detected"
    CLEAR = "clear"


class Stride(StrEnum):
    """The STRIDE threat category of a risk."""

    SPOOFING = "Spoofing"
    TAMPERING = "Tampering"
    REPUDIATION = "Repudiation"
    INFORMATION_DISCLOSURE = "Information disclosure"
    DENIAL_OF_SERVICE = "Denial of service"
    ELEVATION_OF_PRIVILEGE = "Elevation of privilege"


@dataclass(frozen=True)
class Evidence:
    """Where a finding was seen, so a reader can check it."""

    location: str
    """``README.md:42``, ``README.md#license`` (YAML key), ``config.json#auto_map``, a path."""
    detail: str = ""


@dataclass(frozen=True)
class Definition:
    """What a probe checks, why it matters to reuse, and how to fix it."""

    id: str
    kind: ProbeKind
    """``factor`` (Table I documentation factor), ``signal`` (a measured 0–10 value) or ``risk``."""
    short: str
    motivation: str
    """Why this matters to someone reusing the model."""
    implementation: str
    """How the probe decides, so a reader can predict and dispute it."""
    remediation: str
    attribute: str | None = None
    factor: str | None = None
    severity: Severity | None = None
    stride: tuple[Stride, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One probe's outcome on one package, with its evidence."""

    probe: str
    outcome: Outcome
    message: str
    evidence: tuple[Evidence, ...] = ()
    score: float | None = None
    """0–10 for signals; 10/0 for present/missing factors; ``None`` when unknown or a risk."""
    severity: Severity | None = None
    """For a detected risk: its severity (a probe may lower its default, never raise past it)."""


@dataclass(frozen=True)
class AttributeScore:
    """One attribute (popularity, …, portability): its 0–10 score and the findings behind it."""

    name: str
    score: float | None
    """0–10, or ``None`` when every probe of the attribute was unknown."""
    findings: tuple[Finding, ...]
    known: int
    coverage: float = 1.0
    """Share of the attribute's probe weight that was decided (not ``unknown``)."""


@dataclass(frozen=True)
class Scorecard:
    """Attribute scores, detected risks and the overall score and verdict."""

    attributes: tuple[AttributeScore, ...]
    risks: tuple[Finding, ...]
    """Detected risks, most severe first."""
    overall: float | None
    uncapped: float | None
    cap: Severity | None
    """The severity whose cap lowered the overall score; ``None`` when no cap bound."""
    verdict: ScorecardVerdict
    """``fail`` (a critical risk), ``review`` (a high risk or overall < 5), ``pass``."""
    priorities: tuple[str, ...] = ()
    """Probe ids to fix first: detected risks by severity, then missing factors by weight."""
    coverage: float | None = None
    """Share of all attribute probe weight (attribute weights applied) that was decided;
    ``None`` when no attribute probe ran."""
    undecided: tuple[str, ...] = ()
    """Attribute probes whose outcome is ``unknown`` (what the coverage is missing)."""

    def attribute(self, name: str) -> AttributeScore:
        return next(a for a in self.attributes if a.name == name)


@dataclass(frozen=True)
class AuditResult:
    """What ``ptmscope audit`` (or :func:`ptmscope.audit`) returns."""

    package: Package
    findings: tuple[Finding, ...]
    scorecard: Scorecard
    definitions: Mapping[str, Definition]
    tool_version: str = __version__
    policy: PolicyDecision | None = None
    """The admission decision, when the audit ran under a policy (``audit --policy``)."""

    @property
    def incomplete(self) -> bool:
        """Part of the package could not be read or scanned: no gate may pass it."""
        return any(
            f.probe == UNREADABLE_PROBE and f.outcome is Outcome.DETECTED for f in self.findings
        )

    def fails(self, threshold: Severity | None) -> bool:
        """The audit's gate: a risk at or above ``threshold``, content that could not be
        checked (fail closed, whatever the threshold), or a policy that denies."""
        if self.incomplete or (self.policy is not None and self.policy.fails()):
            return True
        return threshold is not None and bool(self.at_or_above(threshold))

    def at_or_above(self, severity: Severity) -> list[Finding]:
        """Detected risks at or above ``severity`` (what ``--fail-on`` checks)."""
        return [
            f
            for f in self.scorecard.risks
            if f.severity is not None and f.severity.weight >= severity.weight
        ]
