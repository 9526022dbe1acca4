"""The official SPDX 3.0.1 JSON schema ptmscope ships, the shapes it is rebuilt from, and
the SHACL check: the shipped file is the published one (by its digest and by
regenerating it from PyPI packages), it refuses what it should, a second implementation
of JSON Schema agrees on real exports, and SHACL catches what the schema cannot."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ptmscope.api import export
from ptmscope.export import InvalidExportError
from ptmscope.export import validate as checks
from ptmscope.export.spdx_model import TERMS, read_model
from tests.export.conftest import Repo
from tests.export.helpers import nodes, spdx

ROOT = Path(__file__).resolve().parents[2]


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def test_shipped_schema_is_the_published_one() -> None:
    data = checks.SPDX_SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == checks.SPDX_SCHEMA_SHA256
    assert data.count(b"\r\n") == data.count(b"\n") > 6000  # published with CRLF line ends
    schema = json.loads(data)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["@context"] == {
        "const": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    }
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.skipif(
    _installed("shacl2code") != "0.0.23", reason="shacl2code 0.0.23 (the test extra) absent"
)
def test_schema_regenerates_from_pypi_packages() -> None:
    """scripts/spdx_schema.py: spdx-python-model's shapes rendered by shacl2code give the
    shipped bytes, so the copy is the published file, not a hand-made approximation."""
    spec = importlib.util.spec_from_file_location("spdx_schema", ROOT / "scripts/spdx_schema.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    generated = script.generate()
    assert hashlib.sha256(generated).hexdigest() == checks.SPDX_SCHEMA_SHA256
    assert generated == checks.SPDX_SCHEMA_PATH.read_bytes()


def test_model_read_back_from_the_bindings() -> None:
    model = read_model()
    classes = {c.compact: c for c in model.classes}
    assert len(classes) == 90
    assert classes["ai_AIPackage"].parent == TERMS + "Software/Package"
    assert classes["Element"].abstract and classes["Element"].node_kind == "IRI"
    assert classes["extension_Extension"].extensible
    assert TERMS + "Core/NoneElement" in classes["IndividualElement"].individuals
    [creation] = [p for p in classes["Element"].properties if p.compact == "creationInfo"]
    assert (creation.min_count, creation.max_count, creation.is_datatype) == (1, 1, False)
    [autonomy] = [p for p in classes["ai_AIPackage"].properties if p.compact == "ai_autonomyType"]
    assert autonomy.range == TERMS + "Core/PresenceType" and len(autonomy.values) == 3
    assert model.context["ai_autonomyType"]["@context"] == {"@vocab": TERMS + "Core/PresenceType/"}
    assert model.context["NoAssertionElement"] == TERMS + "Core/NoAssertionElement"


def test_an_altered_schema_file_is_refused(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    altered = tmp_path / "spdx-3.0.1-json-schema.json"
    altered.write_bytes(
        checks.SPDX_SCHEMA_PATH.read_bytes().replace(b'"minItems": 1', b'"minItems": 0', 1)
    )
    monkeypatch.setattr(checks, "SPDX_SCHEMA_PATH", altered)
    checks.spdx_schema_validator.cache_clear()
    try:
        with pytest.raises(InvalidExportError, match=r"not the published SPDX 3\.0\.1 schema"):
            checks.spdx_schema_validator()
    finally:
        checks.spdx_schema_validator.cache_clear()


def _mutated(document: dict[str, Any], kind: str, **changes: Any) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    [node] = nodes(copied, kind)[:1]
    node.update(changes)
    return copied


def test_the_official_schema_refuses_what_it_should(repo: Repo) -> None:
    document = spdx(export(repo.path, "spdx"))
    assert checks.spdx_schema_errors(document) == []
    # A second, independent implementation of JSON Schema agrees on the real export.
    with_python = jsonschema.Draft202012Validator(json.loads(checks.SPDX_SCHEMA_PATH.read_bytes()))
    assert list(with_python.iter_errors(document)) == []
    cases = {
        "unknown property": _mutated(document, "ai_AIPackage", ai_flavour="vanilla"),
        "enumeration": _mutated(document, "ai_AIPackage", software_primaryPurpose="weights"),
        "timestamp": _mutated(document, "CreationInfo", created="2024-05-01"),
        "context": {**document, "@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"},
    }
    for name, bad in cases.items():
        errors = checks.spdx_schema_errors(bad)
        assert errors, name
        assert not with_python.is_valid(bad), name
        with pytest.raises(InvalidExportError, match="official schema"):
            checks.check_spdx(json.dumps(bad))
    missing = copy.deepcopy(document)
    [package] = nodes(missing, "ai_AIPackage")[:1]
    del package["creationInfo"]
    index = missing["@graph"].index(package)
    assert checks.spdx_schema_errors(missing)[0].startswith(f"@graph/{index}:")


@pytest.mark.skipif(_installed("pyshacl") is None, reason="pyshacl (the shacl extra) absent")
def test_shacl_sees_the_class_of_a_reference(repo: Repo) -> None:
    """A ``createdBy`` naming nothing the document defines: a string IRI the JSON schema
    accepts and the model library keeps as a string; SHACL reports that it names no
    Agent. The real export conforms."""
    document = spdx(export(repo.path, "spdx"))
    assert checks.spdx_shacl_errors(document) == []
    bad = _mutated(document, "CreationInfo", createdBy=["urn:elsewhere:agent"])
    assert checks.spdx_schema_errors(bad) == []
    errors = checks.spdx_shacl_errors(bad)
    assert errors is not None and len(errors) == 1
    assert "createdBy" in errors[0] and "Core/Agent" in errors[0]
    with pytest.raises(InvalidExportError, match="shapes"):
        checks.check_spdx(json.dumps(bad))
    # Naming a File: the library refuses it too (it reads the File), SHACL agrees.
    [file] = nodes(document, "software_File")[:1]
    wrong = _mutated(document, "CreationInfo", createdBy=[file["spdxId"]])
    assert any("Core/Agent" in e for e in checks.spdx_shacl_errors(wrong) or [])
    # A named individual of the model satisfies a class constraint (NoneElement is an
    # Element), and the model's own individuals are not reported.
    fine = _mutated(document, "Annotation", subject="NoneElement")
    assert checks.spdx_schema_errors(fine) == []
    assert checks.spdx_shacl_errors(fine) == []


def test_without_pyshacl_the_other_checks_still_run(repo: Repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A base install (no ``shacl`` extra): SHACL says it did not run (None), and the
    official schema still refuses a bad document."""
    document = spdx(export(repo.path, "spdx"))
    monkeypatch.setitem(sys.modules, "pyshacl", None)
    assert checks.spdx_shacl_errors(document) is None
    checks.check_spdx(json.dumps(document))
    with pytest.raises(InvalidExportError, match="official schema"):
        checks.check_spdx(json.dumps(_mutated(document, "ai_AIPackage", ai_flavour="vanilla")))
