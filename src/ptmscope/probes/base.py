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
from enum import StrEnum

from ptmscope.package import Package
from ptmscope.severity import Severity as Severity


class Outcome(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    UNKNOWN = "unknown"
    """Could not be decided from this package (never counted as missing)."""
    DETECTED = "detected"
    CLEAR = "clear"


class Stride(StrEnum):
    SPOOFING = "Spoofing"
    TAMPERING = "Tampering"
    REPUDIATION = "Repudiation"
    INFORMATION_DISCLOSURE = "Information disclosure"
    DENIAL_OF_SERVICE = "Denial of service"
    ELEVATION_OF_PRIVILEGE = "Elevation of privilege"


@dataclass(frozen=True)
class Evidence:
    location: str
    """``README.md:42``, ``README.md#license`` (YAML key), ``config.json#auto_map``, a path."""
    detail: str = ""


@dataclass(frozen=True)
class Definition:
    id: str
    kind: str
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
    probe: str
    outcome: Outcome
    message: str
    evidence: tuple[Evidence, ...] = ()
    score: float | None = None
    """0–10 for signals; 10/0 for present/missing factors; ``None`` when unknown or a risk."""
    severity: Severity | None = None
    """For a detected risk: its severity (a probe may lower its default, never raise past it)."""


@dataclass(frozen=True)
class Probe:
    definition: Definition
    run: Callable[[Package], Finding]

    @property
    def id(self) -> str:
        return self.definition.id


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
