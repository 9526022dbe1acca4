"""Risk · history unsigned, or signed only by the platform."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    MAX_EXAMPLES,
    SHORT_SHA,
    Definition,
    Evidence,
    Finding,
    Probe,
    Severity,
    Stride,
    clear,
    detected,
    unknown,
)
from ptmscope.vocab import ProbeKind

DEFINITION = Definition(
    id="risk.history_unsigned",
    kind=ProbeKind.RISK,
    short="Unsigned history",
    motivation=(
        "Without author signatures nothing ties the weights to their claimed publisher: an "
        "account takeover or a spoofed organisation can push commits that look the same. Only "
        "0.21% of Hub repositories had a signed commit in 2022; since 2024 the Hub signs its "
        "own web commits, which proves where a commit was made, not who made it."
    ),
    implementation=(
        "From the signature headers of every commit (gpgsig, SSH, x509): detected (medium) "
        "when no commit is signed, (low) when only platform keys or platform committers signed "
        "(Hub key 6A528E38E0733467, GitHub web flow). Clear when the newest commit carries an "
        "author signature. Unknown without history. Signatures are classified, not verified."
    ),
    remediation="Sign commits with a GPG or SSH key registered on the Hub (`git commit -S`) and enable signed-commit protection.",
    severity=Severity.MEDIUM,
    stride=(Stride.SPOOFING, Stride.TAMPERING, Stride.REPUDIATION),
)


def run(package: Package) -> Finding:
    """Classify the history by its signatures, newest commit first.

    Counts come from :attr:`Package.signature_summary`, the one count the report and the study
    show too. A platform signature proves where a commit was made, not who made it, so it only
    lowers the severity; only an author signature on the newest commit clears the risk, since
    that commit decides what a reuser downloads.
    """
    history = package.history
    counts = package.signature_summary
    if not history or counts is None:
        return unknown(DEFINITION, "no git history to check")
    if not package.signatures_known:
        return unknown(
            DEFINITION, f"{len(history)} commits listed, but this source does not show signatures"
        )
    summary = (
        f"{counts.signed} of {counts.commits} commits signed, "
        f"{counts.author_signed} by an author key"
    )
    if counts.signed == 0:
        return detected(
            DEFINITION,
            f"no signed commits ({counts.commits} commits)",
            [Evidence("history", summary)],
        )
    signed = [c for c in history if c.signature is not None]
    if counts.author_signed == 0:
        platforms = sorted({c.signature.platform or "platform" for c in signed if c.signature})
        evidence = [
            Evidence(
                f"commit {c.sha[:SHORT_SHA]}",
                f"{c.signature.kind} key {c.signature.key_id} ({c.signature.platform})",
            )
            for c in signed[:MAX_EXAMPLES]
            if c.signature is not None
        ]
        return detected(
            DEFINITION,
            f"only platform signatures ({', '.join(platforms)}): {summary}",
            evidence,
            Severity.LOW,
        )
    authors = [c for c in signed if c.signature is not None and c.signature.signer == "author"]
    evidence = [
        Evidence(f"commit {c.sha[:SHORT_SHA]}", f"{c.signature.kind} key {c.signature.key_id}")
        for c in authors[:MAX_EXAMPLES]
        if c.signature is not None
    ]
    head = history[0]
    if head.signature is None or head.signature.signer != "author":
        return detected(
            DEFINITION, f"the newest commit is not author-signed: {summary}", evidence, Severity.LOW
        )
    return clear(DEFINITION, summary, evidence)


PROBE = Probe(DEFINITION, run)
