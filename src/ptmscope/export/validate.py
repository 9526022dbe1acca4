"""Every export is checked before it is written; an invalid one is a bug, never output.

CycloneDX: the official JSON schema of the requested version, the one
``cyclonedx-python-lib`` bundles (its strict validator, which also checks formats).
SPDX 3.0.1: no package on PyPI ships the official JSON schema (``spdx3-validate``
downloads it at run time, the machine has no internet), so the document is checked with
what ``spdx-python-model`` offers: its serializer refuses a missing required property
or a wrong cardinality, and reading the written JSON-LD back through its deserializer
refuses unknown types, wrong value types and enum values; then the graph is checked
here (unique ``spdxId``s, every relationship end defined, the profiles declared).
"""

from __future__ import annotations

import json
from typing import Any


class InvalidExportError(RuntimeError):
    """A generated document does not validate: ptmscope's bug (exit 3), never written."""


def check_cyclonedx(text: str, version: str) -> None:
    """Raise :class:`InvalidExportError` unless ``text`` validates against CycloneDX
    ``version``'s schema."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    schema = SchemaVersion.from_version(version)
    error = JsonStrictValidator(schema).validate_str(text)
    if error is not None:
        raise InvalidExportError(f"CycloneDX {version} BOM does not validate: {error}")
    document = json.loads(text)
    refs = _bom_refs(document)
    duplicated = sorted({r for r in refs if refs.count(r) > 1})
    if duplicated:
        raise InvalidExportError(f"CycloneDX bom-refs used twice: {', '.join(duplicated)}")


def _bom_refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        ref = node.get("bom-ref")
        if isinstance(ref, str):
            found.append(ref)
        for value in node.values():
            found += _bom_refs(value)
    elif isinstance(node, list):
        for value in node:
            found += _bom_refs(value)
    return found


REQUIRED_PROFILES = frozenset({"core", "software", "ai", "dataset"})


def check_spdx(text: str) -> None:
    """Raise :class:`InvalidExportError` unless ``text`` is an SPDX 3.0.1 document the
    model library reads back whole, with a consistent graph."""
    from spdx_python_model import load_data

    try:
        data = json.loads(text)
        _, objects = load_data(data)
    except Exception as exc:  # the library raises plain TypeError/ValueError/KeyError
        raise InvalidExportError(f"SPDX 3.0.1 document does not load back: {exc}") from exc
    graph = data.get("@graph")
    if not isinstance(graph, list):
        raise InvalidExportError("SPDX document has no @graph")
    ids = [str(n["spdxId"]) for n in graph if isinstance(n, dict) and "spdxId" in n]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise InvalidExportError(f"SPDX ids used twice: {', '.join(duplicated)}")
    known = set(ids)
    for node in graph:
        if node.get("type") != "Relationship":
            continue
        ends = [node.get("from"), *node.get("to", [])]
        missing = [e for e in ends if e not in known and not str(e).startswith("spdx:")]
        if missing:
            raise InvalidExportError(f"relationship {node.get('spdxId')} names {missing}")
    documents = [n for n in graph if n.get("type") == "SpdxDocument"]
    if len(documents) != 1:
        raise InvalidExportError(f"expected one SpdxDocument, found {len(documents)}")
    profiles = set(documents[0].get("profileConformance", []))
    if not profiles >= REQUIRED_PROFILES:
        raise InvalidExportError(f"profiles missing: {sorted(REQUIRED_PROFILES - profiles)}")
    if len(list(objects.foreach())) < len(graph):
        raise InvalidExportError("the library read back fewer elements than were written")
