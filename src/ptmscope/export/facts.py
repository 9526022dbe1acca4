"""The facts an export carries, gathered once from an audit so both formats say the same.

CycloneDX and SPDX are two renderings of one :class:`ExportFacts`: a renderer never
looks at the package or the report itself, so the parity test compares what each
format wrote against these facts and nothing can drift between them. Every field is
something the package or the audit states; what neither states is ``None`` (and each
renderer omits it or writes its format's no-assertion), never a guess.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptmscope.errors import PtmscopeError
from ptmscope.package import FileEntry, Package
from ptmscope.results.audit import AuditResult, Definition, Finding, Outcome
from ptmscope.results.audit_report import build
from ptmscope.vocab import ProbeKind, SourceKind

HASH_CHUNK_BYTES = 1 << 20
"""Bytes read per step when hashing a local file (memory stays flat for any file size)."""

HASHED_SOURCES = frozenset({SourceKind.LOCAL, SourceKind.GIT})
"""Sources whose bytes are on this machine: their files are hashed here. A Hub file is
never downloaded to be hashed; it carries the registry's LFS SHA-256 or no hash."""

HUB_SITE = "https://huggingface.co"
"""Where a package named ``owner/name`` lives when it was read from the Hub itself."""


@dataclass(frozen=True)
class FileFact:
    """One file of the package with the SHA-256 of its content, when known."""

    path: str
    size: int
    sha256: str | None
    """Computed from the bytes (local and git sources) or the LFS pointer's oid."""
    lfs: bool


@dataclass(frozen=True)
class LicenseFact:
    """A licence as the card (or the registry's tags) declares it."""

    declared: str
    spdx_id: str | None
    """The SPDX identifier it names, case fixed (``apache-2.0`` → ``Apache-2.0``);
    ``None`` when it names no SPDX licence (``other``, ``llama2``)."""


@dataclass(frozen=True)
class DatasetFact:
    """A dataset the package names: trained on (the card's ``datasets``) or evaluated on
    (the dataset of a claim or a ``verify`` measurement)."""

    name: str
    trained: bool
    tested: bool


@dataclass(frozen=True)
class MetricFact:
    """A performance value: claimed by the card, or measured by ``ptmscope verify``."""

    metric: str
    value: str
    """As written (a claim) or as measured (rounded to 6 digits)."""
    dataset: str | None
    config: str | None
    split: str | None
    measured: bool
    """``False``: the card's claim; ``True``: ptmscope's own measurement."""
    location: str
    """Where the claim was read (``README.md:42``), or the claim a measurement re-measured."""
    ci: tuple[str, str] | None = None
    """A measurement's confidence interval (lower, upper)."""
    n: int | None = None
    """Examples a measurement used."""
    verdict: str | None = None
    """A measurement's verdict on the claim (``consistent``, ``over-claimed``…)."""

    @property
    def slice(self) -> str:
        """What the value was computed on, and by whom: formats mark measured values so."""
        on = "/".join(p for p in (self.dataset, self.config) if p) or "unspecified data"
        if self.split:
            on += f" ({self.split})"
        if self.measured:
            return f"measured by ptmscope verify on {on}, n={self.n}, {self.verdict}"
        return f"claimed by the card on {on}"


@dataclass(frozen=True)
class AncestorFact:
    """An upstream model (``base_model``, its own base, …), nearest first."""

    id: str
    depth: int
    licenses: tuple[LicenseFact, ...] | None
    """``None``: the ancestor's record could not be read."""


@dataclass(frozen=True)
class LinkFact:
    """Where the package can be seen or fetched: ``website``, ``vcs``, ``distribution`` or
    ``model-card`` (the CycloneDX reference types; SPDX maps each to its own field)."""

    kind: str
    url: str


@dataclass(frozen=True)
class RequirementFact:
    """One audit probe (a Table I factor or a risk) and what it found on this package."""

    probe: str
    kind: str
    """``factor`` or ``risk``."""
    title: str
    text: str
    """Why it matters (the probe's motivation)."""
    implementation: str
    remediation: str
    outcome: str
    score: float | None
    """Conformance 0–1: a present factor or a clear risk 1, missing or detected 0,
    ``None`` when the audit could not decide."""
    message: str
    severity: str | None
    evidence: tuple[tuple[str, str], ...]
    """``(location, detail)`` pairs."""


@dataclass(frozen=True)
class ExportFacts:
    """Everything an export says about one package at one revision."""

    tool_version: str
    ref: str
    source: str
    name: str | None
    revision: str | None
    commit: str | None
    revision_date: str | None
    card_path: str | None
    """The model card's path in the package (``README.md``), when there is one."""
    """When the audited revision was made (ISO 8601, UTC), when the source tells."""
    files: tuple[FileFact, ...]
    licenses: tuple[LicenseFact, ...]
    task: str | None
    library: str | None
    model_type: str | None
    """``config.json``'s ``model_type`` (``bert``): the architecture family."""
    architecture: str | None
    """``config.json``'s first ``architectures`` entry (``BertModel``)."""
    datasets: tuple[DatasetFact, ...]
    claims: tuple[MetricFact, ...]
    measurements: tuple[MetricFact, ...]
    ancestors: tuple[AncestorFact, ...]
    factors: tuple[RequirementFact, ...]
    risks: tuple[RequirementFact, ...]
    overall: float | None
    verdict: str
    signature: Mapping[str, Any] | None
    """The audit's ``signature`` object (OMS model signing) when the audit has one."""

    @property
    def purl(self) -> str | None:
        """``pkg:huggingface/owner/name@commit``; no version when the commit is unknown."""
        return hub_purl(self.name, self.commit) if self.name else None

    @property
    def links(self) -> tuple[LinkFact, ...]:
        """Where the package was read: its Hub pages when read from the Hub (with the
        commit pinned), the repository or folder as a ``file:`` URI otherwise. A Hub page
        for a package read elsewhere would be a guess, so there is none."""
        if self.source == SourceKind.HUB and self.name is not None:
            page = f"{HUB_SITE}/{self.name}"
            found = [LinkFact("website", page), LinkFact("vcs", page)]
            if self.commit:
                found.append(LinkFact("distribution", f"{page}/tree/{self.commit}"))
                if self.card_path:
                    found.append(
                        LinkFact("model-card", f"{page}/blob/{self.commit}/{self.card_path}")
                    )
            return tuple(found)
        if self.source == SourceKind.LOCAL:
            folder = Path(self.ref).resolve()
            found = [LinkFact("distribution", folder.as_uri())]
            if self.card_path:
                found.append(LinkFact("model-card", (folder / self.card_path).as_uri()))
            return tuple(found)
        if self.source == SourceKind.GIT:
            return (LinkFact("vcs", Path(self.ref).resolve().as_uri()),)
        return ()

    @property
    def identity(self) -> str:
        """What the document describes: the name (else the reference) at the commit (else
        the content's digest), the seed of every derived id so two runs match byte for byte."""
        pinned = self.commit or content_digest(self.files)
        return f"{self.name or self.ref}@{pinned}"


_MODEL_ID = re.compile(r"^[\w.-]{1,96}(/[\w.-]{1,96})?$")
"""A Hub model id (``owner/name``, or a legacy ``name`` without owner)."""


def hub_purl(model_id: str, commit: str | None = None) -> str | None:
    """The purl of a Hub model (purl type ``huggingface``); ``None`` for an id that is not
    one (a path named by a Trainer card, say)."""
    if not _MODEL_ID.match(model_id):
        return None
    from packageurl import PackageURL

    namespace, _, name = model_id.rpartition("/")
    return str(PackageURL("huggingface", namespace or None, name, commit))


def content_digest(files: Iterable[FileFact]) -> str:
    """One SHA-256 over every path, size and known hash: a folder without a commit is
    still named by what it holds."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        digest.update(f"{f.path}\0{f.size}\0{f.sha256 or ''}\n".encode())
    return digest.hexdigest()


def file_sha256(entry: FileEntry, source: SourceKind) -> str | None:
    """The file's SHA-256: the LFS oid when the package holds a pointer, else its bytes
    hashed a chunk at a time for sources on this machine; ``None`` when unreadable."""
    if entry.sha256 is not None:
        return entry.sha256
    if source not in HASHED_SOURCES or not entry.available:
        return None
    digest = hashlib.sha256()
    offset = 0
    try:
        while True:
            chunk = entry.read(offset, HASH_CHUNK_BYTES)
            if not chunk:
                break
            digest.update(chunk)
            offset += len(chunk)
    except (OSError, PtmscopeError):  # a vanished file, or a source already closed
        return None
    return digest.hexdigest() if offset == entry.size else None


def spdx_id(declared: str) -> str | None:
    """The SPDX licence id ``declared`` names (case fixed), from the list the CycloneDX
    library ships; ``None`` when it names none."""
    from cyclonedx.spdx import fixup_id

    return fixup_id(declared)


def _card_datasets(metadata: Mapping[str, Any] | None) -> list[str]:
    value = (metadata or {}).get("datasets")
    values = value if isinstance(value, list) else [value]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _datasets(package: Package, claims: Iterable[MetricFact]) -> tuple[DatasetFact, ...]:
    trained = set(_card_datasets(package.card.metadata if package.card else None))
    tested = {c.dataset for c in claims if c.dataset}
    return tuple(
        DatasetFact(name, name in trained, name in tested) for name in sorted(trained | tested)
    )


def _number(value: float) -> str:
    return f"{value:.6g}"


def _claims(report: Mapping[str, Any]) -> tuple[MetricFact, ...]:
    found = [
        MetricFact(
            metric=c["metric"],
            value=c["raw"],
            dataset=c["dataset"],
            config=c["config"],
            split=c["split"],
            measured=False,
            location=c["location"],
        )
        for c in report["claims"]
    ]
    return tuple(sorted(found, key=_metric_key))


def _measurements(package: Package) -> tuple[MetricFact, ...]:
    found = [
        MetricFact(
            metric=v.metric,
            value=_number(v.measured),
            dataset=v.dataset,
            config=v.config,
            split=v.split,
            measured=True,
            location=v.location,
            ci=None if v.ci is None else (_number(v.ci[0]), _number(v.ci[1])),
            n=v.n,
            verdict=str(v.verdict),
        )
        for v in package.verifications or ()
        if v.measured is not None
    ]
    return tuple(sorted(found, key=_metric_key))


def _metric_key(m: MetricFact) -> tuple[str, ...]:
    return (m.metric, m.dataset or "", m.config or "", m.split or "", m.location, m.value)


def _requirement(definition: Definition, finding: Finding | None) -> RequirementFact:
    outcome = finding.outcome if finding is not None else Outcome.UNKNOWN
    score = {Outcome.PRESENT: 1.0, Outcome.CLEAR: 1.0, Outcome.MISSING: 0.0}.get(outcome)
    if outcome is Outcome.DETECTED:
        score = 0.0
    return RequirementFact(
        probe=definition.id,
        kind=str(definition.kind),
        title=definition.short,
        text=definition.motivation,
        implementation=definition.implementation,
        remediation=definition.remediation,
        outcome=str(outcome),
        score=score,
        message=finding.message if finding is not None else "not run",
        severity=finding.severity.label
        if finding is not None and finding.severity is not None
        else None,
        evidence=tuple((e.location, e.detail) for e in finding.evidence) if finding else (),
    )


def _requirements(result: AuditResult, kind: ProbeKind) -> tuple[RequirementFact, ...]:
    findings = {f.probe: f for f in result.findings}
    return tuple(
        _requirement(d, findings.get(d.id))
        for d in sorted(result.definitions.values(), key=lambda d: d.id)
        if d.kind is kind
    )


def _config_text(config: Mapping[str, Any] | None, key: str) -> str | None:
    value = (config or {}).get(key)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def gather(result: AuditResult) -> ExportFacts:
    """The export's facts from one audit (its report data, its package's files)."""
    report = build(result)
    package = result.package
    info = report["package"]
    card = package.card.metadata if package.card is not None else None
    claims = _claims(report)
    measurements = _measurements(package)
    library = (card or {}).get("library_name")
    if not isinstance(library, str) or not library.strip():
        library = package.metadata.library_name if package.metadata is not None else None
    return ExportFacts(
        tool_version=result.tool_version,
        ref=package.ref,
        source=str(package.source),
        name=package.name,
        revision=package.revision,
        commit=package.commit,
        revision_date=info["dates"]["revision"],
        card_path=package.readme.path if package.readme is not None else None,
        files=tuple(
            FileFact(f.path, f.size, file_sha256(f, package.source), f.lfs is not None)
            for f in sorted(package.files, key=lambda f: f.path)
        ),
        licenses=tuple(LicenseFact(d, spdx_id(d)) for d in info["licenses"]),
        task=package.task,
        library=library.strip() if isinstance(library, str) else None,
        model_type=_config_text(package.config, "model_type"),
        architecture=_config_text(package.config, "architectures"),
        datasets=_datasets(package, (*claims, *measurements)),
        claims=claims,
        measurements=measurements,
        ancestors=tuple(
            AncestorFact(
                a["id"],
                a["depth"],
                None
                if a["licenses"] is None
                else tuple(LicenseFact(d, spdx_id(d)) for d in a["licenses"]),
            )
            for a in info["lineage"]
        ),
        factors=_requirements(result, ProbeKind.FACTOR),
        risks=_requirements(result, ProbeKind.RISK),
        overall=report["summary"]["overall"],
        verdict=report["summary"]["verdict"],
        signature=report.get("signature"),
    )
