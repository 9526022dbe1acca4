"""SPDX 3.0.1 AI: the package, its files and hashes, datasets, lineage and metrics, read
back by spdx-python-model; nothing the package does not state is written."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from ptmscope.api import audit, export
from tests.export.conftest import Repo
from tests.export.helpers import by_id, nodes, relationships, spdx, with_measurement


def test_ai_package_files_and_hashes(repo: Repo) -> None:
    document = spdx(export(repo.path, "spdx"))
    [doc] = nodes(document, "SpdxDocument")
    assert {"core", "software", "ai", "dataset"} <= set(doc["profileConformance"])
    elements = by_id(document)
    [model] = [elements[r] for r in doc["rootElement"]]
    assert model["type"] == "ai_AIPackage"
    assert model["software_packageVersion"] == repo.commit
    assert model["software_packageUrl"] == f"pkg:huggingface/acme/tiny-imdb@{repo.commit}"
    assert model["software_primaryPurpose"] == "model"
    assert model["ai_domain"] == ["text-classification"]
    [contains] = relationships(document, "contains")
    assert contains["from"] == model["spdxId"]
    files = {elements[t]["name"]: elements[t] for t in contains["to"]}
    assert set(files) == set(repo.contents)
    for path, data in repo.contents.items():
        [digest] = files[path]["verifiedUsing"]
        assert digest["algorithm"] == "sha256"
        assert digest["hashValue"] == hashlib.sha256(data).hexdigest()
    [declared] = relationships(document, "hasDeclaredLicense")
    assert [elements[t]["simplelicensing_licenseExpression"] for t in declared["to"]] == [
        "Apache-2.0"
    ]


def test_datasets_lineage_and_relationships(repo: Repo) -> None:
    document = spdx(export(repo.path, "spdx"))
    elements = by_id(document)
    [trained] = relationships(document, "trainedOn")
    [tested] = relationships(document, "testedOn")
    for relation in (trained, tested):
        [target] = relation["to"]
        assert elements[target]["type"] == "dataset_DatasetPackage"
        assert elements[target]["name"] == "imdb"
        assert elements[target]["dataset_datasetType"] == ["noAssertion"]  # the card says not
    [ancestry] = relationships(document, "ancestorOf")
    assert elements[ancestry["from"]]["name"] == "bert-base-uncased"
    assert elements[ancestry["to"][0]]["type"] == "ai_AIPackage"
    assert elements[ancestry["to"][0]]["name"] == "acme/tiny-imdb"


def test_metrics_claimed_and_measured(repo: Repo) -> None:
    document = spdx(export(with_measurement(audit(repo.path)), "spdx"))
    [model] = [n for n in nodes(document, "ai_AIPackage") if n["name"] == "acme/tiny-imdb"]
    metrics = {m["key"]: m["value"] for m in model["ai_metric"]}
    assert metrics["accuracy: claimed by the card on imdb (test)"] == "91.3"
    [measured] = [k for k in metrics if k.startswith("accuracy: measured by ptmscope verify")]
    assert metrics[measured] == "0.8875 (95% CI 0.86 to 0.91)"


def test_nothing_invented_for_a_folder_without_history(make_package, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    folder = make_package(safetensors=False, card="# a card without metadata\n")
    document = spdx(export(folder, "spdx"))
    [model] = nodes(document, "ai_AIPackage")
    for unstated in ("software_packageVersion", "software_packageUrl", "releaseTime", "ai_domain"):
        assert unstated not in model, unstated
    [creation] = nodes(document, "CreationInfo")
    assert creation["created"] == "1970-01-01T00:00:00Z"
    assert "unknown" in creation["comment"]
    assert relationships(document, "trainedOn") == []
    assert relationships(document, "hasDeclaredLicense") == []


def test_source_date_epoch(make_package, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = make_package(safetensors=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714564800")
    [creation] = nodes(spdx(export(folder, "spdx")), "CreationInfo")
    assert creation["created"] == "2024-05-01T12:00:00Z"
    assert "comment" not in creation
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "export", str(folder), "-f", "spdx"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "SOURCE_DATE_EPOCH": "yesterday"},
        timeout=120,
    )
    assert done.returncode == 2 and "SOURCE_DATE_EPOCH" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("form", ["spdx", "cyclonedx"])
def test_two_runs_are_byte_identical(repo: Repo, form: str) -> None:
    assert export(repo.path, form) == export(repo.path, form)
