"""Risk · the model signature (OpenSSF Model Signing) is invalid, absent or unchecked."""

from __future__ import annotations

from ptmscope.package import Package
from ptmscope.probes.base import (
    MAX_EXAMPLES,
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
    id="risk.model_signature",
    kind=ProbeKind.RISK,
    short="Model signature",
    motivation=(
        "An OpenSSF Model Signing bundle (model.sig) ties every file to a digest its publisher "
        "signed: a changed byte, a swapped tokenizer or an added pickle shows. A bundle that "
        "does not verify means the files are not what was signed; a package without one can "
        "be altered anywhere between publisher and reuser without a trace (the study asked "
        "registries for signing; 0.21% of repositories had even a signed commit)."
    ),
    implementation=(
        "Verifies model.sig, *.sig and *.sigstore.json with model-signing against the key, "
        "certificate chain or Sigstore identity given (--trust-*), then compares each signed "
        "digest with the file (a registry's LFS sha256 stands for remote weights). Critical "
        "when invalid (bad signature, changed or missing file); medium when it verifies but "
        "files lie outside it, or when it could not be checked with the trust given; low when "
        "unsigned or when no trust was given. Clear when every file is signed and matches."
    ),
    remediation=(
        "Sign the whole package with `model_signing sign` (OpenSSF Model Signing) and publish "
        "the bundle as model.sig; reusers verify with `ptmscope audit --trust-key/--trust-cert/"
        "--trust-identity`. Do not load a package whose signature is invalid."
    ),
    severity=Severity.CRITICAL,
    stride=(Stride.TAMPERING, Stride.SPOOFING),
)


def _files(label: str, paths: tuple[str, ...]) -> list[Evidence]:
    shown = ", ".join(paths[:MAX_EXAMPLES]) + (
        f" (+{len(paths) - MAX_EXAMPLES} more)" if len(paths) > MAX_EXAMPLES else ""
    )
    return [Evidence(label, shown)] if paths else []


def run(package: Package) -> Finding:
    """Judge :attr:`Package.signature`, the one check the report's ``signature`` shows too."""
    signature = package.signature
    if signature is None:
        return unknown(DEFINITION, "model signatures were not looked for")
    where = signature.bundle or "package"
    evidence = [Evidence(where, signature.reason)]
    if signature.signer:
        evidence.append(Evidence(where, f"signer: {signature.signer}"))
    if signature.state == "invalid":
        evidence += _files("changed", signature.files_mismatched)
        evidence += _files("missing", signature.files_missing)
        return detected(DEFINITION, f"model signature invalid: {signature.reason}", evidence)
    if signature.state == "unsigned":
        return detected(DEFINITION, "no model signature (OMS bundle)", evidence, Severity.LOW)
    if signature.state == "unverifiable":
        severity = Severity.MEDIUM if signature.method is not None else Severity.LOW
        return detected(
            DEFINITION, f"model signature not verified: {signature.reason}", evidence, severity
        )
    uncovered = [name for name, covered in sorted(signature.covers.items()) if covered is False]
    if signature.files_unsigned:
        evidence += _files("not signed", signature.files_unsigned)
        parts = f" (not covered: {', '.join(uncovered)})" if uncovered else ""
        return detected(
            DEFINITION,
            f"signature verifies but {len(signature.files_unsigned)} file(s) lie outside it{parts}",
            evidence,
            Severity.MEDIUM,
        )
    return clear(
        DEFINITION,
        f"signature verifies ({signature.method}): {signature.files_covered} file(s) match",
        evidence,
    )


PROBE = Probe(DEFINITION, run)
