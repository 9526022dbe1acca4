"""Risk · history unsigned, or signed only by the platform."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
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
    history = package.history
    if not history:
        return unknown(DEFINITION, "no git history to check")
    if not package.signatures_known:
        return unknown(
            DEFINITION, f"{len(history)} commits listed, but this source does not show signatures"
        )
    signed = [c for c in history if c.signature is not None]
    authors = [c for c in signed if c.signature is not None and c.signature.signer == "author"]
    summary = f"{len(signed)} of {len(history)} commits signed, {len(authors)} by an author key"
    if not signed:
        return detected(
            DEFINITION,
            f"no signed commits ({len(history)} commits)",
            [Evidence("history", summary)],
        )
    if not authors:
        platforms = sorted({c.signature.platform or "platform" for c in signed if c.signature})
        evidence = [
            Evidence(
                f"commit {c.sha[:12]}",
                f"{c.signature.kind} key {c.signature.key_id} ({c.signature.platform})",
            )
            for c in signed[:3]
            if c.signature is not None
        ]
        return detected(
            DEFINITION,
            f"only platform signatures ({', '.join(platforms)}): {summary}",
            evidence,
            Severity.LOW,
        )
    head = history[0]
    evidence = [
        Evidence(f"commit {c.sha[:12]}", f"{c.signature.kind} key {c.signature.key_id}")
        for c in authors[:3]
        if c.signature is not None
    ]
    if head.signature is None or head.signature.signer != "author":
        return detected(
            DEFINITION, f"the newest commit is not author-signed: {summary}", evidence, Severity.LOW
        )
    return clear(DEFINITION, summary, evidence)


PROBE = Probe(DEFINITION, run)
