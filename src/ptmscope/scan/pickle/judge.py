"""Trace × policy → findings: every decision about a pickle's names is made here.

The interpreter reports what loading would import, call and load; this module
asks the policy about each name (first matching rule, or the defaults for
unlisted callables) and gives the interpreter's events their rule ids and
severities, writing findings into the scan's ledger as they come.
"""

from __future__ import annotations

from collections.abc import Mapping

from ptmscope.scan.context import ScanContext
from ptmscope.scan.pickle.interpreter import Event, EventKind, Interpreter
from ptmscope.scan.policy import Decision, Kind, Use, kind_of
from ptmscope.severity import Severity

_EVENT_RULES: dict[EventKind, tuple[str, Severity, str]] = {
    EventKind.ANOMALY: ("pickle.anomaly", Severity.MEDIUM, "evasion"),
    EventKind.EXTENSION: ("pickle.anomaly", Severity.HIGH, "evasion"),
    EventKind.DYNAMIC_IMPORT: ("pickle.dynamic_import", Severity.CRITICAL, "import"),
    EventKind.FRAME: ("pickle.frame", Severity.HIGH, "evasion"),
}
"""Rule id, severity and category of each kind of event the interpreter reports."""


_VERBS = {Use.REFERENCED: "imports", Use.CONSTRUCTED: "constructs", Use.CALLED: "calls"}


def judgement(decision: Decision) -> tuple[str, str, str]:
    """Rule id, category and reason of a finding about an imported name."""
    rule = decision.rule
    if rule is not None:
        return f"pickle.{rule.category.replace('-', '_')}", rule.category, rule.reason
    if decision.use is Use.CALLED and decision.kind is Kind.FUNCTION:
        return (
            "pickle.unlisted_callable",
            "unlisted",
            "a function called at load time that no allowance names (allowances of a "
            "namespace cover the classes it holds as data, not calls to its functions)",
        )
    return (
        "pickle.unlisted_callable",
        "unlisted",
        "not on the allow list of what loading a model needs",
    )


class Judge:
    """Judges one stream's trace (and its inner streams) into ``ctx``'s ledger."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.policy = ctx.policy
        self.names_rule = False
        """A name past the ``names`` limit matched a policy rule that is not an allow rule."""

    def event(self, event: Event) -> None:
        """Record an interpreter event as a finding (the ledger caps repeats)."""
        if event.kind is EventKind.UNRECORDED_IMPORT:
            self._unrecorded(event)
            return
        rule_id, severity, category = _EVENT_RULES[event.kind]
        self.ctx.add(
            rule_id,
            severity,
            event.message,
            offset=event.offset,
            target=event.target,
            category=category,
        )

    def _unrecorded(self, event: Event) -> None:
        """A name past the ``names`` limit: not remembered, judged at once as if called,
        so a million distinct names cost no memory and still cannot hide one."""
        target = event.target or ""
        decision = self.policy.decide(target, kind_of(target), Use.CALLED)
        severity = self.policy.severity_for(decision, Use.CALLED)
        if severity is None:
            return
        if decision.rule is not None:
            self.names_rule = True
        rule_id, category, reason = judgement(decision)
        self.ctx.add(
            rule_id,
            severity,
            f"imports {target}"
            + (f", reached through {event.via}" if event.via else "")
            + f": {reason} (one of more than {self.ctx.limits.names:,} distinct names in the "
            "stream; judged as if called)",
            offset=event.offset,
            target=target,
            category=category,
        )

    def stream_done(self, stream: Interpreter) -> None:
        """An inner stream ended: judge its records now."""
        self.report(stream)

    def report(
        self,
        stream: Interpreter,
        skip: Mapping[str, object] | None = None,
        reading: str | None = None,
    ) -> None:
        """Turn a stream's records into findings; called whether or not the parse finished.

        ``skip``: names already judged in another reading of the same stream;
        ``reading``: which reader sees this one (said in each message).
        """
        ctx = self.ctx
        for record in stream.records.values():
            if skip is not None and record.target in skip:
                continue
            use = record.use
            kind = kind_of(record.target, use)
            decision = self.policy.decide(record.target, kind, use)
            severity = self.policy.severity_for(decision, use)
            if severity is None:
                continue
            rule_id, category, reason = judgement(decision)
            called = use is not Use.REFERENCED
            verb = _VERBS[use]
            message = f"{verb} {record.target}"
            if called and record.preview:
                message += f"({record.preview})"
            if record.via:
                message += f", reached through {record.via}"
            message += f": {reason}"
            if reading:
                message += f" (as {reading} reads the stream)"
            offset = record.called_at if record.called_at is not None else record.offset
            ctx.add(
                rule_id,
                severity,
                message,
                offset=stream.rel(offset),
                target=record.target,
                category=category,
            )

    def names_a_rule(self, stream: Interpreter) -> bool:
        """A stream cut short still counts if it names something a policy rule knows."""
        if self.names_rule:
            return True
        for target in stream.records:
            rule = self.policy.decide(target).rule
            if rule is not None and not rule.allow:
                return True
        return False
