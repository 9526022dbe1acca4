"""CycloneDX ML-BOM: the model component, its model card and pedigree, and the audit as
definitions and declarations, each document checked against the official schema."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest

from ptmscope import cli
from ptmscope.api import audit, export
from ptmscope.export import cyclonedx as cyclonedx_module
from ptmscope.export.facts import file_sha256
from ptmscope.export.identity import NAMESPACE
from ptmscope.package import FileEntry
from ptmscope.probes import all_probes
from ptmscope.vocab import ProbeKind, SourceKind
from tests.conftest import git
from tests.export.conftest import Repo
from tests.export.helpers import cyclonedx, with_measurement


def test_model_component_of_a_git_package(repo: Repo) -> None:
    bom = cyclonedx(export(repo.path))
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model"
    assert model["purl"] == f"pkg:huggingface/acme/tiny-imdb@{repo.commit}"
    assert model["version"] == repo.commit
    hashes = {f["name"]: f["hashes"][0]["content"] for f in model["components"]}
    expected = {path: hashlib.sha256(data).hexdigest() for path, data in repo.contents.items()}
    assert hashes == expected  # the LFS file carries its pointer's oid: the object's SHA-256
    assert model["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert [r["type"] for r in model["externalReferences"]] == ["vcs"]
    [ancestor] = model["pedigree"]["ancestors"]
    assert (ancestor["name"], ancestor["purl"]) == (
        "bert-base-uncased",
        "pkg:huggingface/bert-base-uncased",
    )
    assert bom["metadata"]["timestamp"].startswith("2024-05-01T12:00:00")


def test_model_card_datasets_and_claims(repo: Repo) -> None:
    bom = cyclonedx(export(repo.path))
    card = bom["metadata"]["component"]["modelCard"]
    parameters = card["modelParameters"]
    assert parameters["task"] == "text-classification"
    assert parameters["architectureFamily"] == "bert"
    assert parameters["modelArchitecture"] == "BertForSequenceClassification"
    data = {c["bom-ref"]: c for c in bom["components"] if c["type"] == "data"}
    assert [d["ref"] for d in parameters["datasets"]] == list(data)
    assert data["data:imdb"]["data"][0]["type"] == "dataset"
    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    assert {"type": "accuracy", "value": "91.3", "slice": "claimed by the card on imdb (test)"} in (
        metrics
    )
    assert all("confidenceInterval" not in m for m in metrics)  # claims state none here


def test_measurements_are_kept_apart_and_marked(repo: Repo) -> None:
    bom = cyclonedx(export(with_measurement(audit(repo.path))))
    metrics = bom["metadata"]["component"]["modelCard"]["quantitativeAnalysis"][
        "performanceMetrics"
    ]
    measured = [m for m in metrics if m["slice"].startswith("measured by ptmscope verify")]
    claimed = [m for m in metrics if m["slice"].startswith("claimed by the card")]
    assert len(measured) == 1 and len(claimed) + 1 == len(metrics)
    assert measured[0]["value"] == "0.8875"
    assert measured[0]["confidenceInterval"] == {"lowerBound": "0.86", "upperBound": "0.91"}
    assert "n=400" in measured[0]["slice"] and "over-claimed" in measured[0]["slice"]
    assert metrics.index(measured[0]) == len(metrics) - 1  # after every claim


def test_the_audit_in_standard_form(repo: Repo) -> None:
    result = audit(repo.path)
    bom = cyclonedx(export(result))
    standards = {s["bom-ref"]: s for s in bom["definitions"]["standards"]}
    factors = [r["identifier"] for r in standards["standard:ptmscope-factors"]["requirements"]]
    risks = [r["identifier"] for r in standards["standard:ptmscope-risks"]["requirements"]]
    probes = all_probes()
    assert len(factors) == 17
    assert set(factors) == {p.id for p in probes if p.definition.kind is ProbeKind.FACTOR}
    assert set(risks) == {p.id for p in probes if p.definition.kind is ProbeKind.RISK}

    declarations = bom["declarations"]
    [attestation] = declarations["attestations"]
    mapped = {m["requirement"].removeprefix("requirement:"): m for m in attestation["map"]}
    assert set(mapped) == set(factors) | set(risks)
    outcomes = {f.probe: str(f.outcome) for f in result.findings}
    for probe, entry in mapped.items():
        score = entry["conformance"].get("score")
        want = {"present": 1.0, "clear": 1.0, "missing": 0.0, "detected": 0.0}.get(outcomes[probe])
        assert score == want, probe
    claims = {c["bom-ref"]: c for c in declarations["claims"]}
    evidence = {e["bom-ref"] for e in declarations.get("evidence", [])}
    for entry in attestation["map"]:
        [claim] = entry["claims"]
        assert claims[claim]["target"] == "model"
        assert set(claims[claim].get("evidence", [])) <= evidence
    assert mapped["provenance.performance_table"]["conformance"]["score"] == 1.0
    assert attestation["assessor"] == declarations["assessors"][0]["bom-ref"]


def test_cyclonedx_1_7_on_request(repo: Repo) -> None:
    bom = cyclonedx(export(repo.path, "cyclonedx-1.7"), "1.7")
    assert bom["metadata"]["component"]["modelCard"]["modelParameters"]["task"]


def test_serial_number_from_reference_and_commit_and_byte_identical_runs(repo: Repo) -> None:
    first, second = export(repo.path), export(repo.path)
    assert first == second
    serial = cyclonedx(first)["serialNumber"]
    assert serial == uuid.uuid5(NAMESPACE, f"cyclonedx:acme/tiny-imdb@{repo.commit}").urn
    work = repo.path.parent / "acme__tiny-imdb-work"
    (work / "notes.txt").write_text("a second revision\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "second")
    git(work, "push", "-q", str(repo.path), "main")
    assert cyclonedx(export(repo.path))["serialNumber"] != serial


def test_an_invalid_bom_is_an_internal_error_and_never_written(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A renderer bug (here: a field the schema does not allow) must not reach a file."""
    real = cyclonedx_module.render

    def broken(facts, version="1.6"):  # type: ignore[no-untyped-def]
        document = json.loads(real(facts, version))
        document["metadata"]["component"]["modelCard"]["invented"] = True
        return json.dumps(document)

    monkeypatch.setattr(cyclonedx_module, "render", broken)
    out = tmp_path / "bom.json"
    assert cli.main(["export", str(repo.path), "-o", str(out)]) == 3
    assert not out.exists()
    assert "does not validate" in capsys.readouterr().err


def test_hub_files_are_never_read_to_be_hashed() -> None:
    reads: list[tuple[int, int | None]] = []

    def reader(offset: int, length: int | None) -> bytes:
        reads.append((offset, length))
        return b""

    remote = FileEntry("model.safetensors", 5, "hub:acme/x@c/model.safetensors", reader=reader)
    assert file_sha256(remote, SourceKind.HUB) is None
    lfs = FileEntry("w.bin", 5, "hub:acme/x@c/w.bin", sha256="ab" * 32, reader=reader)
    assert file_sha256(lfs, SourceKind.HUB) == "ab" * 32
    assert reads == []
    local = FileEntry("a.txt", 3, "local:/a.txt", reader=lambda o, n: b"abc"[o : o + (n or 3)])
    assert file_sha256(local, SourceKind.LOCAL) == hashlib.sha256(b"abc").hexdigest()
