"""One decision from a policy and an audit report: checks, CEL rules and templates.

The input is the audit's JSON report (what ``audit --format json`` writes, as data),
so a decision can be made from a live audit or from a saved report, and a CEL rule
sees exactly the fields a user reads in that report. A rule that cannot be evaluated
(a field the report lacks, a type error) is a violation of its own action: an
enforced policy fails closed, it never passes because a rule broke.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ptmscope.policy.document import AdmissionPolicy, Check, Rule
from ptmscope.policy.targets import read
from ptmscope.policy.templates import TEMPLATES
from ptmscope.results.policy import PolicyDecision, Verdict, Violation

MAX_EVIDENCE = 10
"""Evidence items kept per violation (the rest are counted)."""


SCAN_TEMPLATES = frozenset(
    {"scan_verdict", "scan_severity", "formats", "no_pickle", "no_keras_lambda"}
)
"""The rules a scan alone can judge: they read files, not a card, scores or a registry."""


def decide(
    report: Mapping[str, Any], policy: AdmissionPolicy, *, scan_only: bool = False
) -> PolicyDecision:
    """The decision for the package the report describes.

    ``scan_only``: the report is a scan's (:func:`ptmscope.policy.scan_view.scan_report`),
    so only :data:`SCAN_TEMPLATES` are judged; every other check and rule is listed as
    ``not_judged`` (it needs an audit), never passed or failed on data the scan lacks.
    """
    violations: list[Violation] = []
    unknown: list[str] = []
    not_judged: list[str] = []
    for check in policy.checks:
        if check.mode == "off":
            continue
        if scan_only:
            not_judged.append(f"checks.{check.target}")
            continue
        found = _check(report, check)
        if found is None:
            continue
        violation, undecided = found
        violations.append(violation)
        if undecided:
            unknown.append(f"checks.{check.target}")
    for rule in policy.rules:
        if scan_only and rule.template not in SCAN_TEMPLATES:
            not_judged.append(rule.id)
            continue
        broken = _template(report, rule) if rule.template else _rule(report, rule)
        if broken is not None:
            violations.append(broken)
    if any(v.action is Verdict.DENY for v in violations):
        decision = Verdict.DENY
    elif violations:
        decision = Verdict.WARN
    else:
        decision = Verdict.ALLOW
    package = report.get("package") or {}
    return PolicyDecision(
        decision=decision,
        violations=tuple(violations),
        policy_digest=policy.digest,
        audited_commit=package.get("commit"),
        ref=str(package.get("ref", "")),
        unknown=tuple(unknown),
        not_judged=tuple(not_judged),
    )


def _action(mode: str) -> Verdict:
    return Verdict.WARN if mode == "warn" else Verdict.DENY


def _check(report: Mapping[str, Any], check: Check) -> tuple[Violation, bool] | None:
    """The violation (and whether it is one because the value is unknown), or ``None``."""
    score, outcome = read(report, check.target)
    rule = f"checks.{check.target}"
    if check.minimum is not None:
        if score is None:
            reason = f"{check.target} has no score (unknown), at least {check.minimum:g} required"
            return Violation(rule, _action(check.mode), reason, ("score: unknown",)), True
        if score < check.minimum:
            reason = f"{check.target} scores {score:g}, at least {check.minimum:g} required"
            return Violation(rule, _action(check.mode), reason, (f"score: {score:g}",)), False
    if check.outcomes:
        if outcome is None:
            reason = f"{check.target} has no outcome, {' or '.join(check.outcomes)} required"
            return Violation(rule, _action(check.mode), reason, ("outcome: unknown",)), True
        if outcome not in check.outcomes:
            reason = f"{check.target} is {outcome}, {' or '.join(check.outcomes)} required"
            return Violation(rule, _action(check.mode), reason, (f"outcome: {outcome}",)), False
    return None


def _rule(report: Mapping[str, Any], rule: Rule) -> Violation | None:
    import cel

    try:
        hit = cel.evaluate(rule.when, {"audit": dict(report)})
    except Exception as exc:  # the library raises several types: any failure fails closed
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = f"{rule.reason} (the rule could not be evaluated: {detail})"
        return Violation(rule.id, rule.action, reason, (f"when: {rule.when}",))
    if hit is True:
        return Violation(rule.id, rule.action, rule.reason, (f"when: {rule.when}",))
    if hit is not False:
        reason = f"{rule.reason} (`when` gave {hit!r}, not true or false)"
        return Violation(rule.id, rule.action, reason, (f"when: {rule.when}",))
    return None


def _template(report: Mapping[str, Any], rule: Rule) -> Violation | None:
    assert rule.template is not None
    evidence = TEMPLATES[rule.template].evaluate(report, rule.value)
    if not evidence:
        return None
    shown = evidence[:MAX_EVIDENCE]
    if len(evidence) > MAX_EVIDENCE:
        shown.append(f"… and {len(evidence) - MAX_EVIDENCE} more")
    return Violation(rule.id, rule.action, rule.reason, tuple(shown))
