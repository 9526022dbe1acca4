"""The audit pipeline: reference → source → package → probes → scorecard.

:func:`audit` is public as :func:`ptmscope.audit` (the other commands' functions are in
:mod:`ptmscope.api`); :func:`collect` and :func:`evaluate` are its two halves, for
callers that audit one package with several probe sets (the gateway, the study).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from ptmscope.baseline import from_study
from ptmscope.collector import collect_from
from ptmscope.package import Package
from ptmscope.probes import all_probes
from ptmscope.probes.base import Finding, Probe
from ptmscope.results.audit import AuditResult
from ptmscope.scan.policy import Policy as ScanPolicy
from ptmscope.scoring import score
from ptmscope.signing import TrustOptions
from ptmscope.sources import open_source
from ptmscope.sources.metadata import load_metadata
from ptmscope.verify.options import VerifyOptions


@dataclass(frozen=True)
class AuditOptions:
    """How to read the package: revision, source kind, registry record, clock, token."""

    revision: str | None = None
    source: str = "auto"
    """``auto``, ``local``, ``git`` or ``hub`` (:data:`ptmscope.sources.SOURCE_KINDS`)."""
    metadata: str | Path | None = None
    """A Hub ``model_info`` JSON file for popularity and maintenance facts."""
    now: datetime | None = None
    """The audit's clock (for reproducible maintenance scores)."""
    token: str | None = None
    """Hub token (else ``HF_TOKEN`` / the cached login)."""
    download: bool = False
    """Hub sources: fetch whole files instead of reading byte ranges."""
    verify: VerifyOptions | None = None
    """Re-measure the card's claims (runs the model) and report discrepancies."""
    baseline: str | Path | None = None
    """A ``study`` database whose listing popularity is ranked against (default: the
    baseline shipped with ptmscope)."""
    policy: str | Path | None = None
    """An admission policy file: the result carries its decision (``audit --policy``)."""
    trust: TrustOptions | None = None
    """Keys, certificates, a Sigstore identity and keyrings that model and commit signatures
    are checked against (``audit --trust-*``); ``None``: nothing is trusted."""


def collect(
    ref: str | Path, options: AuditOptions | None = None, scan_policy: ScanPolicy | None = None
) -> Package:
    """Read a package once, from a folder or a git repository (its model files scanned with
    ``scan_policy``, by default ptmscope's)."""
    options = options or AuditOptions()
    if options.trust is not None:
        options.trust.check()  # a bad trust file costs no audit
    metadata = load_metadata(options.metadata) if options.metadata is not None else None
    with open_source(
        str(ref),
        revision=options.revision,
        kind=options.source,
        token=options.token,
        download=options.download,
    ) as source:
        baseline = from_study(Path(options.baseline)) if options.baseline is not None else None
        package = collect_from(
            source,
            metadata,
            options.now,
            scan_policy=scan_policy,
            baseline=baseline,
            trust=options.trust,
        )
        if options.verify is not None:
            from ptmscope.extras import require

            require("verify", "audit --verify")
            from ptmscope.verify.engine import verify_package
            from ptmscope.verify.materialize import model_folder

            with model_folder(source, package) as folder:
                results = verify_package(package, folder, options.verify)
            package = replace(package, verifications=tuple(results))
        return package


def run_probe(probe: Probe, package: Package) -> Finding:
    """Deprecated: :meth:`Probe.check`."""
    return probe.check(package)


def evaluate(package: Package, probes: Sequence[Probe] | None = None) -> AuditResult:
    """Run the probes over a collected package and score the outcomes."""
    chosen = tuple(probes) if probes is not None else all_probes()
    findings = tuple(probe.check(package) for probe in chosen)
    definitions = MappingProxyType({probe.id: probe.definition for probe in chosen})
    return AuditResult(package, findings, score(findings, definitions), definitions)


def audit(ref: str | Path, options: AuditOptions | None = None) -> AuditResult:
    """Audit a model package: the Python form of ``ptmscope audit``.

    With ``options.policy`` the policy is read (and its rules compiled) first, so a
    malformed policy costs no audit; the result then carries the policy's decision, made
    from the same report ``policy check`` reads.
    """
    options = options or AuditOptions()
    if options.policy is None:
        return evaluate(collect(ref, options))
    from ptmscope.policy import decide, load_admission_policy
    from ptmscope.results.audit_report import build

    admission = load_admission_policy(options.policy)
    result = collect_and_evaluate(ref, options, admission.scan_policy())
    return replace(result, policy=decide(build(result), admission))


def collect_and_evaluate(
    ref: str | Path, options: AuditOptions, scan_policy: ScanPolicy | None = None
) -> AuditResult:
    """The audit without a decision, its files scanned with ``scan_policy`` (an admission
    policy's ``scan:`` rules, so the decision reads the scans that policy asked for)."""
    return evaluate(collect(ref, options, scan_policy))
