"""Risk · history unsigned, or signed only by the platform."""

from __future__ import annotations

from ptmscope.package import COMMIT_STATES, Package
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
        "Judges every commit's signature: author-verified (a good signature by a key of "
        "--trust-keyring, checked with gpg or ssh-keygen), signed-unknown-key, platform-signed "
        "(Hub key 6A528E38E0733467, GitHub web flow), invalid or unsigned. Detected (high) when "
        "a signature is invalid; (medium) when no commit is signed; (low) when only platforms "
        "or unknown keys signed, or the newest commit is not author-verified. Clear when the "
        "newest commit is author-verified. Unknown without history."
    ),
    remediation="Sign commits with a GPG or SSH key registered on the Hub (`git commit -S`) and enable signed-commit protection.",
    severity=Severity.MEDIUM,
    stride=(Stride.SPOOFING, Stride.TAMPERING, Stride.REPUDIATION),
)


def _examples(package: Package, state: str) -> list[Evidence]:
    found = []
    for commit in package.history or ():
        signature = commit.signature
        if signature is not None and signature.judged == state:
            who = f" ({signature.principal})" if signature.principal else ""
            why = f": {signature.reason}" if signature.reason else ""
            found.append(
                Evidence(
                    f"commit {commit.sha[:SHORT_SHA]}",
                    f"{signature.kind} key {signature.key_id}{who}{why}",
                )
            )
            if len(found) >= MAX_EXAMPLES:
                break
    return found


def run(package: Package) -> Finding:
    """Classify the history by what its signatures prove, newest commit first.

    Counts come from :attr:`Package.signature_summary`, the one count the report and the study
    show too. An invalid signature is a sign of tampering; a platform signature proves where a
    commit was made, and an unknown key proves nothing anyone could not forge, so both only
    lower the severity; only an author-verified newest commit clears the risk, since that
    commit decides what a reuser downloads.
    """
    history = package.history
    counts = package.signature_summary
    if not history or counts is None:
        return unknown(DEFINITION, "no git history to check")
    if not package.signatures_known:
        return unknown(
            DEFINITION, f"{len(history)} commits listed, but this source does not show signatures"
        )
    states = counts.states
    summary = f"{counts.signed} of {counts.commits} commits signed: " + ", ".join(
        f"{states[s]} {s}" for s in COMMIT_STATES if states.get(s) and s != "unsigned"
    )
    if not counts.signed:
        return detected(
            DEFINITION,
            f"no signed commits ({counts.commits} commits)",
            [Evidence("history", f"0 of {counts.commits} commits signed")],
        )
    if states.get("invalid"):
        return detected(
            DEFINITION,
            f"{states['invalid']} commit signature(s) do not verify: {summary}",
            _examples(package, "invalid"),
            Severity.HIGH,
        )
    verified = states.get("author-verified", 0)
    hint = "" if package.keyring else " (pass --trust-keyring to verify author keys)"
    if not verified:
        kinds = "platforms" if not states.get("signed-unknown-key") else "unverified keys"
        evidence = _examples(package, "signed-unknown-key") + _examples(package, "platform-signed")
        return detected(
            DEFINITION,
            f"no author-verified commit, only {kinds}: {summary}{hint}",
            evidence[:MAX_EXAMPLES],
            Severity.LOW,
        )
    evidence = _examples(package, "author-verified")
    head = history[0].signature
    if head is None or head.judged != "author-verified":
        return detected(
            DEFINITION,
            f"the newest commit is not author-verified: {summary}",
            evidence,
            Severity.LOW,
        )
    return clear(DEFINITION, summary, evidence)


PROBE = Probe(DEFINITION, run)
