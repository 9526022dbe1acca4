"""SPDX 3.0.1 with the AI and Dataset profiles, built with ``spdx-python-model``.

The package is an ``ai_AIPackage`` that ``contains`` its files (each ``verifiedUsing``
a SHA-256 when known), is ``trainedOn`` the datasets its card names and ``testedOn``
those its claims name (``dataset_DatasetPackage``, type no-assertion: a card rarely
says), and has each upstream model ``ancestorOf`` it. The card's claims and ptmscope's
measurements are ``ai_metric`` entries whose keys say which is which; the audit's
verdict is an annotation. What the package does not document is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ptmscope.export.cyclonedx import model_name
from ptmscope.export.facts import ExportFacts, LicenseFact, MetricFact, hub_purl
from ptmscope.export.identity import document_time, document_uuid

SPEC_VERSION = "3.0.1"
PROFILES = ("core", "software", "ai", "dataset")
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""``CreationInfo.created`` is required; when neither ``SOURCE_DATE_EPOCH`` nor the
revision tells a time, the epoch stands in and the creation info's comment says so."""


def license_expression(f: LicenseFact) -> str:
    """An SPDX id, or ``LicenseRef-<as declared>`` for a licence SPDX does not list."""
    if f.spdx_id:
        return f.spdx_id
    return "LicenseRef-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in f.declared)


def metric_key(m: MetricFact) -> str:
    """``ai_metric`` key: the metric and what it was computed on, marked as claimed or
    measured (the same words as CycloneDX's ``slice``)."""
    return f"{m.metric}: {m.slice}"


def metric_value(m: MetricFact) -> str:
    if m.ci is None:
        return m.value
    return f"{m.value} (95% CI {m.ci[0]} to {m.ci[1]})"


class _Builder:
    """Holds the object set and the id scheme while one document is built."""

    def __init__(self, facts: ExportFacts) -> None:
        from spdx_python_model import v3_0_1 as spdx

        self.spdx = spdx
        self.facts = facts
        self.base = f"urn:ptmscope:{document_uuid(facts, 'spdx')}:"
        self.objects = spdx.SHACLObjectSet()
        self.elements: list[Any] = []
        self.known: dict[str, Any] = {}
        moment = document_time(facts)
        self.agent = spdx.Tool(_id=self.id("tool", "ptmscope"))
        self.creation = spdx.CreationInfo(
            specVersion=SPEC_VERSION,
            created=moment or UNKNOWN_TIME,
            createdBy=[self.id("agent", "ptmscope")],
            createdUsing=[self.agent],
        )
        if moment is None:
            self.creation.comment = "creation time unknown: the Unix epoch stands in"
        self.agent.creationInfo = self.creation
        self.agent.name = f"ptmscope {facts.tool_version}"
        software_agent = spdx.SoftwareAgent(
            _id=self.id("agent", "ptmscope"), name="ptmscope", creationInfo=self.creation
        )
        self.add(self.agent)
        self.add(software_agent)

    def id(self, kind: str, name: str) -> str:
        return self.base + kind + "/" + quote(name, safe="/-._~@")

    def add(self, element: Any) -> Any:
        self.objects.add(element)
        self.elements.append(element)
        self.known[str(element._id)] = element
        return element

    def relate(self, kind: str, source: Any, targets: Iterable[Any], comment: str = "") -> None:
        targets = sorted(targets, key=lambda t: str(t._id))
        if not targets:
            return
        relation = self.spdx.Relationship(
            _id=self.id(f"relationship/{kind}", str(source._id).removeprefix(self.base)),
            creationInfo=self.creation,
            from_=source,
            to=targets,
            relationshipType=getattr(self.spdx.RelationshipType, kind),
        )
        if comment:
            relation.comment = comment
        self.add(relation)

    def licenses(self, owner: Any, found: Iterable[LicenseFact]) -> None:
        expressions = []
        for f in found:
            text = license_expression(f)
            expression = self.known.get(self.id("license", text))
            if expression is None:
                expression = self.add(
                    self.spdx.simplelicensing_LicenseExpression(
                        _id=self.id("license", text),
                        creationInfo=self.creation,
                        simplelicensing_licenseExpression=text,
                    )
                )
            if expression not in expressions:
                expressions.append(expression)
        self.relate("hasDeclaredLicense", owner, expressions)


def _package(b: _Builder) -> Any:
    spdx, facts = b.spdx, b.facts
    model = spdx.ai_AIPackage(
        _id=b.id("package", model_name(facts)),
        creationInfo=b.creation,
        name=model_name(facts),
        software_primaryPurpose=spdx.software_SoftwarePurpose.model,
    )
    if facts.commit:
        model.software_packageVersion = facts.commit
    if facts.purl:
        model.software_packageUrl = facts.purl
    moment = document_time(facts) if facts.revision_date else None
    if moment is not None and facts.revision_date is not None:
        model.releaseTime = datetime.fromisoformat(facts.revision_date).astimezone(UTC)
    links = {link.kind: link.url for link in facts.links}
    if "distribution" in links:
        model.software_downloadLocation = links["distribution"]
    if "website" in links:
        model.software_homePage = links["website"]
    refs = [("vcs", "vcs"), ("model-card", "documentation")]
    model.externalRef = [
        spdx.ExternalRef(externalRefType=getattr(spdx.ExternalRefType, kind), locator=[links[key]])
        for key, kind in refs
        if key in links
    ]
    if facts.task:
        model.ai_domain = [facts.task]
    model.ai_typeOfModel = [t for t in (facts.model_type, facts.architecture) if t]
    model.ai_metric = [
        spdx.DictionaryEntry(key=metric_key(m), value=metric_value(m))
        for m in (*facts.claims, *facts.measurements)
    ]
    return b.add(model)


def _audit_statement(facts: ExportFacts) -> str:
    lines = [f"ptmscope {facts.tool_version} audit: verdict {facts.verdict}"]
    if facts.overall is not None:
        lines[0] += f", overall {facts.overall:g}/10"
    detected = [r for r in facts.risks if r.outcome == "detected"]
    missing = [r for r in facts.factors if r.outcome == "missing"]
    lines.append("risks detected: " + (", ".join(r.probe for r in detected) or "none"))
    lines.append("factors missing: " + (", ".join(r.probe for r in missing) or "none"))
    for key, value in sorted((facts.signature or {}).items()):
        if not isinstance(value, dict | list):
            lines.append(f"signature {key}: {value}")
    return "\n".join(lines)


def render(facts: ExportFacts) -> str:
    """The SPDX 3.0.1 JSON-LD document (validated by the caller before it is written)."""
    b = _Builder(facts)
    spdx = b.spdx
    model = _package(b)
    b.licenses(model, facts.licenses)
    files = []
    for f in facts.files:
        element = spdx.software_File(_id=b.id("file", f.path), creationInfo=b.creation, name=f.path)
        if f.sha256:
            element.verifiedUsing = [
                spdx.Hash(algorithm=spdx.HashAlgorithm.sha256, hashValue=f.sha256)
            ]
        files.append(b.add(element))
    b.relate("contains", model, files)
    trained: list[Any] = []
    tested: list[Any] = []
    for d in facts.datasets:
        dataset = b.add(
            spdx.dataset_DatasetPackage(
                _id=b.id("dataset", d.name),
                creationInfo=b.creation,
                name=d.name,
                software_primaryPurpose=spdx.software_SoftwarePurpose.data,
                dataset_datasetType=[spdx.dataset_DatasetType.noAssertion],
            )
        )
        if d.trained:
            trained.append(dataset)
        if d.tested:
            tested.append(dataset)
    b.relate("trainedOn", model, trained, "as the model card's datasets state")
    b.relate("testedOn", model, tested, "the datasets of the card's claims and measurements")
    child = model
    for a in facts.ancestors:
        ancestor = spdx.ai_AIPackage(
            _id=b.id("ancestor", a.id),
            creationInfo=b.creation,
            name=a.id,
            software_primaryPurpose=spdx.software_SoftwarePurpose.model,
        )
        purl = hub_purl(a.id)
        if purl:
            ancestor.software_packageUrl = purl
        b.add(ancestor)
        if a.licenses is not None:
            b.licenses(ancestor, a.licenses)
        b.relate("ancestorOf", ancestor, [child], f"lineage depth {a.depth} (base_model)")
        child = ancestor
    b.add(
        spdx.Annotation(
            _id=b.id("annotation", "audit"),
            creationInfo=b.creation,
            annotationType=spdx.AnnotationType.review,
            subject=model,
            statement=_audit_statement(facts),
        )
    )
    document = spdx.SpdxDocument(
        _id=b.id("document", facts.identity),
        creationInfo=b.creation,
        name=f"ptmscope export of {facts.identity}",
        profileConformance=[getattr(spdx.ProfileIdentifierType, p) for p in PROFILES],
        rootElement=[model],
        element=sorted(b.elements, key=lambda e: str(e._id)),
    )
    b.objects.add(document)
    data = spdx.JSONLDSerializer().serialize_data(b.objects, force_at_graph=True)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
