"""Every export is checked before it is written; an invalid one is a bug, never output.

CycloneDX: the official JSON schema of the requested version, the one
``cyclonedx-python-lib`` bundles (its strict validator, which also checks formats).
SPDX 3.0.1: the official JSON schema (https://spdx.org/schema/3.0.1/spdx-json-schema.json),
shipped as ``data/spdx-3.0.1-json-schema.json`` and checked by its published SHA-256
each time it is loaded (no package ships it; ``scripts/spdx_schema.py`` regenerates it
from PyPI packages and proves it by that digest); then the model library reads the
JSON-LD back (unknown types, wrong value types and enum values); then SHACL over the
model's shapes when ``pyshacl`` is installed (a reference's class, such as
``createdBy`` naming an Agent, which the JSON schema cannot see); then the graph is
checked here (unique ``spdxId``s, every relationship end defined, the profiles declared).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from ptmscope.export.spdx_model import read_model, to_graph

SPDX_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "spdx-3.0.1-json-schema.json"
SPDX_SCHEMA_SHA256 = "582c64e809d5b3ef9bd0c4de13a32391b47b0284a3e8d199569fb96f649234b1"
"""The digest of https://spdx.org/schema/3.0.1/spdx-json-schema.json as published
(CRLF line ends), the same in every pin of it we know of."""


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


@cache
def spdx_schema_validator() -> jsonschema_rs.Draft202012Validator:
    """The official SPDX 3.0.1 schema's validator; a shipped file whose digest is not
    the published one is refused (an internal error: the package was altered).

    ``jsonschema-rs``: the schema tries each of ~90 classes on every element, which the
    pure-Python ``jsonschema`` does some 300 to 600 times slower (seconds for a package of
    1,000 files); ``make bench-spdx`` measures both on the shared repositories' exports."""
    data = SPDX_SCHEMA_PATH.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SPDX_SCHEMA_SHA256:
        raise InvalidExportError(
            f"{SPDX_SCHEMA_PATH.name} is not the published SPDX 3.0.1 schema "
            f"(sha256 {digest}); reinstall ptmscope"
        )
    return jsonschema_rs.Draft202012Validator(json.loads(data))


def spdx_schema_errors(data: Any) -> list[str]:
    """What the official SPDX 3.0.1 JSON schema refuses in ``data`` (at most 5)."""
    found = []
    for error in spdx_schema_validator().iter_errors(data):
        where = "/".join(str(p) for p in error.instance_path) or "(document)"
        found.append(f"{where}: {error.message[:300]}")
        if len(found) == 5:
            break
    return found


@cache
def _shapes() -> tuple[Any, frozenset[Any]]:
    """The model's shapes graph and its named individuals (see :func:`spdx_shacl_errors`)."""
    from rdflib import URIRef

    model = read_model()
    individuals = frozenset(URIRef(i) for c in model.classes for i in c.individuals)
    return to_graph(model), individuals


def spdx_shacl_errors(data: Mapping[str, Any]) -> list[str] | None:
    """What the SPDX 3.0.1 shapes refuse in ``data`` (at most 5), or None when
    ``pyshacl`` is not installed (``ptmscope[shacl]``).

    SHACL sees what the JSON schema cannot: the class of what a reference names (a
    ``createdBy`` naming a File, not an Agent). The document is read as RDF with the
    model's context in place of the URL (nothing is fetched); the class hierarchy and
    the model's named individuals are mixed in so that a subclass or ``NoneElement``
    satisfies ``sh:class``, and results about those individuals themselves (the model's
    declarations, not the document's) are left out."""
    try:
        from pyshacl import validate
        from rdflib import Graph
        from rdflib.namespace import RDF, SH
    except ImportError:
        return None
    shapes, individuals = _shapes()
    document = {**data, "@context": dict(read_model().context)}
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser builds a ConjunctiveGraph itself, which it deprecates.
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = Graph().parse(data=json.dumps(document), format="json-ld")
    _, report, _ = validate(graph, shacl_graph=shapes, ont_graph=shapes, inference="none")
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        if focus in individuals:
            continue
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        found.append(f"{focus} {path}: {message}")
    return sorted(found)[:5]


def check_spdx(text: str) -> None:
    """Raise :class:`InvalidExportError` unless ``text`` is an SPDX 3.0.1 document that
    the official JSON schema accepts, the model library reads back whole, the model's
    SHACL shapes accept (when pyshacl is installed), with a consistent graph."""
    from spdx_python_model import load_data

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidExportError(f"SPDX document is not JSON: {exc}") from exc
    refused = spdx_schema_errors(data)
    if refused:
        raise InvalidExportError(
            "SPDX 3.0.1 document does not validate against the official schema: "
            + "; ".join(refused)
        )
    try:
        _, objects = load_data(data)
    except Exception as exc:  # the library raises plain TypeError/ValueError/KeyError
        raise InvalidExportError(f"SPDX 3.0.1 document does not load back: {exc}") from exc
    refused_shapes = spdx_shacl_errors(data)
    if refused_shapes:
        raise InvalidExportError(
            "SPDX 3.0.1 document does not conform to the model's shapes: "
            + "; ".join(refused_shapes)
        )
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
