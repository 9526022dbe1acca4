"""risk.model_signature and risk.history_unsigned over packages whose signature facts are set
directly: each state maps to its outcome and severity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ptmscope.audit import collect
from ptmscope.package import Commit, ModelSignature, Package, Person, Signature
from ptmscope.probes import risk_history_unsigned, risk_model_signature
from ptmscope.results.audit import Outcome
from ptmscope.severity import Severity
from tests.probes.conftest import Build


@pytest.fixture
def package(build: Build) -> Package:
    return collect(build())


@pytest.mark.parametrize(
    ("signature", "outcome", "severity"),
    [
        (ModelSignature("invalid", "changed", "key", files_mismatched=("w.bin",)),
         Outcome.DETECTED, Severity.CRITICAL),
        (ModelSignature("unsigned", "no bundle"), Outcome.DETECTED, Severity.LOW),
        (ModelSignature("unverifiable", "nothing trusted"), Outcome.DETECTED, Severity.LOW),
        (ModelSignature("unverifiable", "unreadable", "key"), Outcome.DETECTED, Severity.MEDIUM),
        (ModelSignature("verified", "ok", "key", files_covered=3, files_unsigned=("x.pkl",)),
         Outcome.DETECTED, Severity.MEDIUM),
        (ModelSignature("verified", "ok", "key", files_covered=3), Outcome.CLEAR, None),
    ],
)  # fmt: skip
def test_model_signature_states(
    package: Package, signature: ModelSignature, outcome: Outcome, severity: Severity | None
) -> None:
    finding = risk_model_signature.PROBE.check(replace(package, signature=signature))
    assert finding.outcome is outcome, finding.message
    assert finding.severity is severity


def test_model_signature_not_looked_for_is_unknown(package: Package) -> None:
    finding = risk_model_signature.PROBE.check(replace(package, signature=None))
    assert finding.outcome is Outcome.UNKNOWN


def test_the_collector_looks_for_a_bundle(package: Package) -> None:
    assert package.signature is not None and package.signature.state == "unsigned"


def _commit(sha: str, state: str | None) -> Commit:
    person = Person("Ada", "ada@example.org", datetime(2024, 1, 1, tzinfo=UTC))
    signature = None
    if state is not None:
        platform = state == "platform-signed"
        signature = Signature(
            "gpg", "0123456789ABCDEF", "platform" if platform else "author",
            "huggingface" if platform else None, state=state,
        )  # fmt: skip
    return Commit(sha * 40, (), person, person, "change", signature)


@pytest.mark.parametrize(
    ("states", "outcome", "severity"),
    [
        ((None, None), Outcome.DETECTED, Severity.MEDIUM),
        (("author-verified", "invalid"), Outcome.DETECTED, Severity.HIGH),
        (("platform-signed", None), Outcome.DETECTED, Severity.LOW),
        (("signed-unknown-key", None), Outcome.DETECTED, Severity.LOW),
        ((None, "author-verified"), Outcome.DETECTED, Severity.LOW),
        (("author-verified", None), Outcome.CLEAR, None),
    ],
)
def test_history_states(
    package: Package,
    states: tuple[str | None, ...],
    outcome: Outcome,
    severity: Severity | None,
) -> None:
    history = tuple(_commit(str(i), s) for i, s in enumerate(states))
    finding = risk_history_unsigned.PROBE.check(replace(package, history=history, keyring=True))
    assert finding.outcome is outcome, finding.message
    assert finding.severity is severity
    summary = replace(package, history=history).signature_summary
    assert summary is not None and sum(summary.states.values()) == len(states)


def test_an_unreadable_signature_header_is_invalid() -> None:
    assert Signature("gpg", None, "author").judged == "invalid"
    assert Signature("gpg", "0123456789ABCDEF", "author").judged == "signed-unknown-key"
    assert Signature("gpg", "6A528E38E0733467", "platform", "huggingface").judged == (
        "platform-signed"
    )
