"""A policy decision as plain text: the decision first, then one line per violation."""

from __future__ import annotations

from collections.abc import Sequence

from ptmscope.names import visible
from ptmscope.results.policy import CaseResult, PolicyDecision


class PolicyText:
    """What a CI log shows: the decision, why, and which policy and commit it was about."""

    def render(self, decision: PolicyDecision) -> str:
        commit = decision.audited_commit[:12] if decision.audited_commit else "no commit"
        lines = [
            f"{decision.decision.value.upper()}  {visible(decision.ref)} ({commit}) under policy "
            f"{decision.policy_digest[:12]}"
        ]
        for violation in decision.violations:
            lines.append(
                f"  [{violation.action.value}] {violation.rule}: {visible(violation.reason)}"
            )
            lines += [f"      {visible(item)}" for item in violation.evidence]
        if not decision.violations:
            lines.append("  every check and rule is met")
        return "\n".join(lines) + "\n"


def render_tests(results: Sequence[CaseResult]) -> str:
    """``policy test``: one line per case (``ok`` or ``FAIL`` with what differed), then the
    count."""
    lines = []
    for case in results:
        detail = "" if case.passed else f": expected {case.expected}, decided {case.decided}"
        if case.missing:
            detail += f"; missing violations {', '.join(case.missing)}"
        lines.append(
            f"{'ok  ' if case.passed else 'FAIL'} {visible(case.name)}{detail}  ({case.file})"
        )
    failed = sum(not case.passed for case in results)
    lines.append(f"{len(results)} cases: {len(results) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"
