"""CycloneDX ML-BOM (1.6 by default, 1.7 on request) of an audited model package.

``cyclonedx-python-lib`` builds what it models: the ``machine-learning-model``
component with its purl, hashes, licences, references and pedigree, the file and
``data`` components, and ``definitions.standards``. What it does not model yet
(``modelCard``, a data component's ``data``, ``declarations``) is added to its JSON
output by :mod:`ptmscope.export.cyclonedx_audit`. The caller validates the whole
document against the schema the library bundles before anything is written.
"""

from __future__ import annotations

import json
import warnings
from pathlib import PurePosixPath
from typing import Any

from ptmscope.export.cyclonedx_audit import declarations, model_card
from ptmscope.export.facts import AncestorFact, ExportFacts, FileFact, LicenseFact, hub_purl
from ptmscope.export.identity import document_time, serial_number

MODEL_REF = "model"
"""The ``bom-ref`` of the package's own component (claims and the model card point here)."""

VERSIONS = ("1.6", "1.7")
DEFAULT_VERSION = "1.6"


def data_ref(name: str) -> str:
    """A dataset's ``bom-ref`` (any string is a valid one: the name is kept as written)."""
    return f"data:{name}"


def requirement_ref(probe: str) -> str:
    return f"requirement:{probe}"


def _licenses(found: tuple[LicenseFact, ...]) -> list[Any]:
    from cyclonedx.model.license import DisjunctiveLicense

    return [
        DisjunctiveLicense(id=f.spdx_id) if f.spdx_id else DisjunctiveLicense(name=f.declared)
        for f in found
    ]


def _file(f: FileFact) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType

    properties = [Property(name="ptmscope:size", value=str(f.size))]
    if f.lfs:
        properties.append(Property(name="ptmscope:lfs-pointer", value="true"))
    return Component(
        type=ComponentType.FILE,
        name=f.path,
        bom_ref=f"file:{f.path}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=f.sha256)] if f.sha256 else [],
        properties=properties,
    )


def _purl(text: str | None) -> Any:
    from packageurl import PackageURL

    return PackageURL.from_string(text) if text else None


def _ancestor(a: AncestorFact) -> Any:
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component, ComponentType

    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=a.id,
        bom_ref=f"ancestor:{a.id}",
        purl=_purl(hub_purl(a.id)),
        licenses=_licenses(a.licenses or ()),
        properties=[Property(name="ptmscope:lineage-depth", value=str(a.depth))],
    )


def _properties(facts: ExportFacts) -> list[Any]:
    from cyclonedx.model import Property

    found = {
        "ptmscope:source": facts.source,
        "ptmscope:audit:verdict": facts.verdict,
    }
    if facts.revision:
        found["ptmscope:revision"] = facts.revision
    if facts.overall is not None:
        found["ptmscope:audit:overall"] = f"{facts.overall:g}"
    for key, value in sorted((facts.signature or {}).items()):
        if isinstance(value, str | int | float | bool) and not isinstance(value, bool):
            found[f"ptmscope:signature:{key}"] = str(value)
        elif isinstance(value, bool):
            found[f"ptmscope:signature:{key}"] = "true" if value else "false"
        elif isinstance(value, list):
            found[f"ptmscope:signature:{key}"] = str(len(value))
    return [Property(name=k, value=v) for k, v in found.items()]


def model_name(facts: ExportFacts) -> str:
    """``owner/name``, else the folder or repository the package was read from."""
    return facts.name or PurePosixPath(facts.ref.rstrip("/")).name or facts.ref


def _model(facts: ExportFacts) -> Any:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri
    from cyclonedx.model.component import Component, ComponentType, Pedigree

    kinds = {
        "website": ExternalReferenceType.WEBSITE,
        "vcs": ExternalReferenceType.VCS,
        "distribution": ExternalReferenceType.DISTRIBUTION,
        "model-card": ExternalReferenceType.MODEL_CARD,
    }
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=model_name(facts),
        version=facts.commit,
        bom_ref=MODEL_REF,
        purl=_purl(facts.purl),
        licenses=_licenses(facts.licenses),
        external_references=[
            ExternalReference(type=kinds[link.kind], url=XsUri(link.url)) for link in facts.links
        ],
        pedigree=Pedigree(ancestors=[_ancestor(a) for a in facts.ancestors])
        if facts.ancestors
        else None,
        components=[_file(f) for f in facts.files],
        properties=_properties(facts),
    )


def _standards(facts: ExportFacts) -> Any:
    from cyclonedx.model.definition import Definitions, Requirement, Standard

    def requirements(kind: str) -> list[Requirement]:
        found = facts.factors if kind == "factor" else facts.risks
        return [
            Requirement(
                bom_ref=requirement_ref(r.probe),
                identifier=r.probe,
                title=r.title,
                text=r.text,
                descriptions=[f"How it is decided: {r.implementation}", f"Fix: {r.remediation}"],
            )
            for r in found
        ]

    return Definitions(
        standards=[
            Standard(
                bom_ref="standard:ptmscope-factors",
                name="ptmscope reuse factors",
                version=facts.tool_version,
                owner="ptmscope",
                description="The documentation factors of pre-trained model reuse (provenance, "
                "reproducibility, portability; ICSE 2023, Table I), one ptmscope probe each.",
                requirements=requirements("factor"),
            ),
            Standard(
                bom_ref="standard:ptmscope-risks",
                name="ptmscope risk probes",
                version=facts.tool_version,
                owner="ptmscope",
                description="Risks of reusing a pre-trained model package (STRIDE), one "
                "ptmscope probe each: a requirement is met when the risk is not detected.",
                requirements=requirements("risk"),
            ),
        ]
    )


def _bom(facts: ExportFacts) -> Any:
    from uuid import UUID

    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType

    bom = Bom(serial_number=UUID(serial_number(facts).removeprefix("urn:uuid:")))
    moment = document_time(facts)
    if moment is not None:
        bom.metadata.timestamp = moment
    bom.metadata.component = _model(facts)
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="ptmscope", version=facts.tool_version)
    )
    for dataset in facts.datasets:
        bom.components.add(
            Component(type=ComponentType.DATA, name=dataset.name, bom_ref=data_ref(dataset.name))
        )
    bom.definitions = _standards(facts)
    return bom


def _data(facts: ExportFacts) -> dict[str, list[dict[str, str]]]:
    """Each data component's ``data`` entry (the library has no ``componentData``)."""
    found = {}
    for d in facts.datasets:
        roles = [r for r, on in (("trained on", d.trained), ("evaluated on", d.tested)) if on]
        found[data_ref(d.name)] = [
            {
                "type": "dataset",
                "name": d.name,
                "description": f"The model was {' and '.join(roles)} this dataset "
                "(as the model card states).",
            }
        ]
    return found


def render(facts: ExportFacts, version: str = DEFAULT_VERSION) -> str:
    """The BOM as JSON text (not yet validated: see :func:`ptmscope.export.validate`)."""
    from cyclonedx.output.json import JsonV1Dot6, JsonV1Dot7

    if version not in VERSIONS:
        raise ValueError(f"CycloneDX {version} is not supported ({', '.join(VERSIONS)})")
    writer = JsonV1Dot6 if version == "1.6" else JsonV1Dot7
    with warnings.catch_warnings():
        # "no defined dependencies": true, ptmscope does not know the model's runtime
        # dependencies, and an empty dependsOn would claim it has none.
        warnings.filterwarnings("ignore", message=".*has no defined dependencies.*")
        document: dict[str, Any] = json.loads(writer(_bom(facts)).output_as_string())
    if document_time(facts) is None:
        document["metadata"].pop("timestamp", None)  # the library's default is the clock
    model = document["metadata"]["component"]
    card = model_card(facts, data_ref)
    if card:
        model["modelCard"] = card
    data = _data(facts)
    for component in document.get("components", []):
        if component.get("bom-ref") in data:
            component["data"] = data[component["bom-ref"]]
    document["declarations"] = declarations(facts, MODEL_REF, requirement_ref)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
