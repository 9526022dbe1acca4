"""What an admission policy decided about one package: ``allow``, ``warn`` or ``deny``.

One object for every place that decides (``policy check``, and later ``audit --policy``
and the registry gateway), so the same package and policy give the same answer
everywhere, and the answer names the policy (its digest) and the commit it was about.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ptmscope._version import __version__


class Verdict(StrEnum):
    """The decision: ``deny`` when an enforced check or a deny rule is violated, ``warn``
    when only warnings are, else ``allow``."""

    ALLOW = "allow"
    WARN = "warn"
    DENY = "deny"


@dataclass(frozen=True)
class Violation:
    """One check or rule the package does not meet."""

    rule: str
    """``checks.<target>`` or the rule's ``id``."""
    action: Verdict
    """``deny`` (enforced) or ``warn``."""
    reason: str
    evidence: tuple[str, ...] = ()
    """What was seen (a score, an outcome, the value a rule read)."""


@dataclass(frozen=True)
class PolicyDecision:
    """The decision, its violations, and what it was about."""

    decision: Verdict
    violations: tuple[Violation, ...]
    policy_digest: str
    """SHA-256 of the policy file's bytes: the decision names the exact policy."""
    audited_commit: str | None
    ref: str
    unknown: tuple[str, ...] = ()
    """Checks that could not be decided (a probe without an outcome): reported, and
    treated as the check's mode says (enforced ones deny: fail closed)."""
    not_judged: tuple[str, ...] = ()
    """Checks and rules the input could not judge at all (a scan has no card or scores):
    neither passed nor failed, listed so nobody takes the decision for more than it is."""
    tool_version: str = __version__

    def fails(self) -> bool:
        """The exit-code gate: a deny fails; allow and warn pass."""
        return self.decision is Verdict.DENY

    def data(self) -> dict[str, Any]:
        """The decision as JSON-ready data (``policy check -f json`` and the audit report's
        ``policy`` both write this)."""
        return {
            "decision": self.decision.value,
            "violations": [
                {"rule": v.rule, "action": v.action.value, "reason": v.reason,
                 "evidence": list(v.evidence)}
                for v in self.violations
            ],
            "unknown": list(self.unknown),
            **({"not_judged": list(self.not_judged)} if self.not_judged else {}),
            "policy_digest": self.policy_digest,
            "audited_commit": self.audited_commit,
        }  # fmt: skip


@dataclass(frozen=True)
class CaseResult:
    """One case: where it is, what was expected and what the policy decided."""

    file: str
    name: str
    expected: Verdict
    decided: Verdict
    missing: tuple[str, ...]
    """Expected violations the decision did not have."""

    @property
    def passed(self) -> bool:
        return self.decided is self.expected and not self.missing
