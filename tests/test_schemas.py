"""Real outputs of every command, from every source kind, validate against the shipped schemas.

Nothing here is hand-built: real packages (safetensors and torch files written by
their libraries, a real git repository, a real ``registry serve`` on 127.0.0.1
read by the real ``huggingface_hub`` client, a registry record as the study reads
it, a real study ingest) go through the CLI or the library as a user would run
them, and the JSON they write is validated with ``jsonschema``. The schemas
themselves must be valid Draft 2020-12 schemas whose ``schema_version`` is the
one the renderers write.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ptmscope.cli import main
from ptmscope.formats import AUDIT_FORMATS, STUDY_FORMATS
from ptmscope.formats.audit.report import SCHEMA_VERSION as AUDIT_VERSION
from ptmscope.formats.scan.json import SCHEMA_VERSION as SCAN_VERSION
from ptmscope.formats.schemas import SCHEMAS, load
from ptmscope.formats.select.json import SCHEMA_VERSION as SELECT_VERSION
from ptmscope.formats.study.json import SCHEMA_VERSION as STUDY_VERSION
from ptmscope.formats.verify.json import SCHEMA_VERSION as VERIFY_VERSION
from ptmscope.results.compare import SCHEMA_VERSION as COMPARE_VERSION
from tests.conftest import FULL_CARD, git, write_safetensors
from tests.formats.checks import validate_official_sarif
from tests.scan import builders as b

VERSIONS = {
    "audit": AUDIT_VERSION,
    "scan": SCAN_VERSION,
    "verify": VERIFY_VERSION,
    "study": STUDY_VERSION,
    "select": SELECT_VERSION,
    "compare": COMPARE_VERSION,
}


def validate(schema: str, data: Any) -> Any:
    jsonschema.Draft202012Validator(load(schema)).validate(data)
    assert data["schema_version"] == VERSIONS[schema]
    return data


def run_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> Any:
    assert main([*args, "--format", "json"]) == code
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_shipped_schema_is_valid_and_names_the_written_version(schema: str) -> None:
    data = load(schema)
    jsonschema.Draft202012Validator.check_schema(data)
    assert data["properties"]["schema_version"] == {"const": VERSIONS[schema]}
    assert VERSIONS[schema] in data["$id"]


def test_report_schema_is_the_audit_schema_under_its_old_name() -> None:
    assert load("report.schema.json") == load("audit.schema.json")


# --- audit ------------------------------------------------------------------------------------


def test_audit_of_a_local_folder(
    make_package: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    report = validate(
        "audit", run_json(capsys, "audit", str(make_package(safetensors=False, torch_bin=True)))
    )
    assert report["package"]["source"] == "local"
    assert [w["pickle_based"] for w in report["package"]["weights"]] == [True]
    assert any(f["probe"] == "risk.pickle_weights" and f["outcome"] == "detected"
               for f in report["findings"])  # fmt: skip


def test_audit_sarif_of_a_local_folder_is_valid_sarif(
    make_package: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "audit.sarif"
    folder = make_package(safetensors=False, torch_bin=True)
    assert main(["audit", str(folder), "--format", "sarif", "--output", str(out)]) == 0
    sarif = validate_official_sarif(out.read_text())
    results = sarif["runs"][0]["results"]
    assert "risk.pickle_weights" in {r["ruleId"] for r in results}


def test_audit_of_a_git_repository(
    make_package: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_package("repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    report = validate("audit", run_json(capsys, "audit", str(repo)))
    assert report["package"]["source"] == "git"
    assert report["package"]["history"]["commits"] == 1
    assert len(report["package"]["commit"]) == 40


def test_audit_of_a_registry_record() -> None:
    from ptmscope.audit import evaluate
    from ptmscope.collector import collect_from
    from ptmscope.sources.record import RecordSource

    source = RecordSource(
        "acme/record",
        readme=FULL_CARD,
        config_json='{"model_type": "bert"}',
        siblings=["README.md", "config.json", "pytorch_model.bin", "modeling_x.py"],
    )
    result = evaluate(collect_from(source))
    report = validate("audit", json.loads(AUDIT_FORMATS.render("json", result)))
    assert report["package"]["source"] == "record"
    assert report["claims"]


# --- scan -------------------------------------------------------------------------------------


def test_scan_of_local_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    b.write_torch_zip(folder / "clean.pt")
    write_safetensors(folder / "model.safetensors")
    (folder / "evil.pkl").write_bytes(b.canary_pickle(tmp_path / "MARKER"))
    (folder / "broken.pkl").write_bytes(b"\x80\x02(")
    report = validate("scan", run_json(capsys, "scan", str(folder), code=1))
    verdicts = {Path(f["path"]).name: f["verdict"] for f in report["files"]}
    assert verdicts["evil.pkl"] == "malicious" and verdicts["clean.pt"] == "clean"
    assert not (tmp_path / "MARKER").exists()


# --- Hub through registry serve -------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    from tests.registry.conftest import Server

    root = tmp_path_factory.mktemp("registry") / "root"
    tiny = root / "acme" / "tiny"
    tiny.mkdir(parents=True)
    (tiny / "README.md").write_text(FULL_CARD)
    (tiny / "config.json").write_text('{"model_type": "bert", "architectures": ["BertModel"]}')
    write_safetensors(tiny / "model.safetensors")
    b.write_torch_zip(tiny / "pytorch_model.bin")
    server = Server(root)
    try:
        yield server, root.parent / "home"
    finally:
        server.stop()
        shutil.rmtree(root.parent / "home", ignore_errors=True)


def test_audit_of_a_hub_id_through_registry_serve(hub: tuple[Any, Path]) -> None:
    from tests.registry.conftest import run_cli

    server, home = hub
    done = run_cli(server, home, "audit", "acme/tiny", "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    report = validate("audit", json.loads(done.stdout))
    assert report["package"]["source"] == "hub"  # was refused by the schema's enum
    assert report["transfer"] is not None


def test_scan_of_a_hub_id_through_registry_serve(hub: tuple[Any, Path]) -> None:
    from tests.registry.conftest import run_cli

    server, home = hub
    done = run_cli(server, home, "scan", "acme/tiny", "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    report = validate("scan", json.loads(done.stdout))
    assert {Path(f["path"]).name for f in report["files"]} >= {
        "model.safetensors",
        "pytorch_model.bin",
    }


# --- verify -----------------------------------------------------------------------------------


UNRUNNABLE_CARD = """---
license: mit
model-index:
- name: m
  results:
  - task: {type: text-classification}
    dataset: {name: imdb, type: imdb}
    metrics:
    - {type: accuracy, value: TBD}
    - {type: bleu, value: 0.3}
---
# m

It achieves the following results on the evaluation set:
- Accuracy: 0.9
"""
"""Claims verify refuses before any data or model is touched: a value that is not a number,
a metric with no recipe for the task, and prose naming neither task nor dataset."""


def test_verify_of_a_package_whose_claims_cannot_run(
    make_package: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numpy")
    for offline in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):  # never the internet
        monkeypatch.setenv(offline, "1")
    report = validate("verify", run_json(capsys, "verify", str(make_package(card=UNRUNNABLE_CARD))))
    assert len(report["claims"]) == 3
    assert {c["verdict"] for c in report["claims"]} == {"unverifiable"}
    assert report["summary"]["unverifiable"] == 3
    assert {c["source"] for c in report["claims"]} == {"model-index", "trainer-prose"}


# --- study ------------------------------------------------------------------------------------


def test_study_of_a_small_ingest(tmp_path: Path) -> None:
    from ptmscope.results.study import StudyResult
    from ptmscope.study.db import StudyDB
    from ptmscope.study.ingest import ingest
    from ptmscope.study.measure import measure

    listing = tmp_path / "listing.csv"
    listing.write_text(
        "model_id,author,created_at,downloads,has_modelcard,pipeline_tag\n"
        "org/a,org,2022-01-01,1000,True,text-classification\n"
        "org/b,org,2022-01-01,10,False,fill-mask\n"
    )
    folder = tmp_path / "packages"
    (folder / "org" / "a").mkdir(parents=True)
    (folder / "org" / "a" / "README.md").write_text(FULL_CARD)
    (folder / "org" / "a" / "pytorch_model.bin").write_bytes(b"\x80\x02N.")
    db = StudyDB(tmp_path / "db")
    ingest(db, [listing, folder], workers=1)
    result = StudyResult(tuple(measure(db.connect(), {})))
    report = validate("study", json.loads(STUDY_FORMATS.render("json", result)))
    assert {"claims_by_task", "documentation"} <= {m["id"] for m in report["measurements"]}
