"""Study: ingest every source shape, measure, report; survive SIGKILL; run the same on Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ptmscope.cli import main
from ptmscope.study.db import StudyDB
from ptmscope.study.ingest import ingest
from tests.conftest import SHARED_DATA

PARSEABLE = "---\npipeline_tag: token-classification\nmodel-index:\n- name: m\n  results:\n  - task: {type: token-classification}\n    dataset: {name: conll2003, type: conll2003}\n    metrics:\n    - {type: f1, value: 0.91}\n---\n# m\n\nA model trained on conll2003.\n"
TBD = "---\npipeline_tag: token-classification\nmodel-index:\n- name: m\n  results:\n  - task: {type: token-classification}\n    dataset: {name: conll2003, type: conll2003}\n    metrics:\n    - {type: f1, value: TBD}\n---\n# m\n\nText.\n"
PROSE = "---\nlicense: mit\ndatasets: [imdb]\n---\n# m\n\nIt achieves the following results on the evaluation set:\n- Accuracy: 0.9\n"


def _cards(path: Path, count: int = 4) -> Path:
    readmes = [PARSEABLE, TBD, PROSE, None]
    rows = {
        "model_id": [f"org/m{i:05d}" for i in range(count)],
        "readme": [readmes[i % 4] for i in range(count)],
        "config_json": ['{"model_type": "bert"}' if i % 2 else None for i in range(count)],
    }
    pq.write_table(pa.table(rows), path)
    return path


def _sources(tmp_path: Path) -> list[Path]:
    listing = tmp_path / "listing.csv"
    listing.write_text(
        "model_id,author,created_at,downloads,has_modelcard,pipeline_tag\n"
        "org/m00000,org,2022-01-01,1000,True,token-classification\n"
        "org/m00002,org,2022-01-01,10,True,text-classification\n"
        "org/m00003,org,2022-01-01,5,False,\n"
        "other/x,other,2022-01-01,1,False,fill-mask\n"
    )
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps(
            {
                "id": "org/m00003",
                "pipeline_tag": "image-classification",
                "downloads": 7,
                "authorVerified": True,
            }
        )
        + "\n"
        + json.dumps({"id": "solo/y", "authorVerified": False})
        + "\n"
    )
    folder = tmp_path / "packages"
    (folder / "acme" / "one").mkdir(parents=True, exist_ok=True)
    (folder / "acme" / "one" / "README.md").write_text(PARSEABLE)
    (folder / "team__two").mkdir(parents=True, exist_ok=True)
    (folder / "team__two" / "README.md").write_text(PROSE)
    (folder / "team__two" / "pytorch_model.bin").write_bytes(b"\x80\x02N.")
    (folder / "team__two" / "modeling_two.py").write_text("# remote code\n")
    return [listing, records, _cards(tmp_path / "cards.parquet"), folder]


def _report(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    assert main(["study", "report", "--db", str(db), "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_ingest_measure_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db"
    assert (
        main(["study", "ingest", "--db", str(db), "--workers", "1", *map(str, _sources(tmp_path))])
        == 0
    )
    report = _report(db, capsys)
    measurements = {m["id"]: m for m in report["measurements"]}
    assert {
        "claims_by_task",
        "documentation",
        "datasets",
        "architectures",
        "licenses",
        "popularity_concentration",
    } <= set(measurements)
    claims = {
        r["key"]: (r["numerator"], r["denominator"]) for r in measurements["claims_by_task"]["rows"]
    }
    # m00000: parseable, card task; m00001: TBD (not a number); acme/one: parseable;
    # m00002: prose only, task from the listing; m00003: no card, task from the records file.
    assert claims["all"] == (2, 6)
    assert claims["token-classification"] == (2, 3)
    assert claims["text-classification"] == (0, 1)
    assert claims["image-classification"] == (0, 1)
    assert claims["none"] == (0, 1)
    verified = measurements["verified_organisations"]["rows"][0]
    assert (verified["numerator"], verified["denominator"]) == (1, 2)
    documentation = {
        r["key"]: (r["numerator"], r["denominator"]) for r in measurements["documentation"]["rows"]
    }
    assert documentation["no card"] == (1, 6)
    assert documentation["no card (registry listing)"] == (2, 4)
    datasets = {r["key"]: r["numerator"] for r in measurements["datasets"]["rows"]}
    assert datasets["imdb"] == 2
    top = {
        r["key"]: (r["numerator"], r["denominator"])
        for r in measurements["popularity_concentration"]["rows"]
    }
    assert top["top 1%"] == (1000, 1016)  # m00003: the listing (first source) says 5
    formats = {
        r["key"]: (r["numerator"], r["denominator"])
        for r in measurements["serialization_formats"]["rows"]
    }
    assert formats == {"none": (1, 2), "pickle-only": (1, 2), "remote code": (1, 2)}
    by_task = {
        r["key"]: (r["numerator"], r["denominator"])
        for r in measurements["factors_by_task"]["rows"]
    }
    assert by_task["token-classification · provenance.performance_table"] == (2, 3)
    by_decile = measurements["factors_by_decile"]["rows"]
    deciles = {r["key"].split(" · ")[0] for r in by_decile}
    # five packages with a card, two with known downloads: two tiles, three counted apart
    assert deciles == {"1", "2", "unknown popularity (not in a decile)"}
    assert (by_decile[-1]["numerator"], by_decile[-1]["denominator"]) == (3, 5)
    for measurement in report["measurements"]:
        assert measurement["definition"] and isinstance(measurement["rows"], list)
    # Idempotent: a second ingest writes nothing and changes nothing.
    stats = ingest(StudyDB(db), _sources(tmp_path), workers=1)
    assert stats.chunks_written == 0 and stats.chunks_skipped > 0
    assert _report(db, capsys) == report
    html = tmp_path / "report.html"
    assert main(["study", "report", "--db", str(db), "--output", str(html)]) == 0
    text = html.read_text()
    # a chart per measurement of shares (not the two heatmaps, the examples or the inputs)
    assert text.count("<svg") == 10 and "src=" not in text and "<link" not in text
    assert text.count('<table class="heat">') == 2 and "<script" not in text


def _dump(db: Path) -> list[tuple]:  # type: ignore[type-arg]
    connection = StudyDB(db).connect()
    return connection.execute("SELECT * FROM packages ORDER BY id").fetchall()  # type: ignore[no-any-return]


def _processes_naming(text: str) -> list[int]:
    """Live processes whose command line holds ``text`` (Linux /proc; [] elsewhere)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            raw = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text.encode() in raw and state != "Z":
            found.append(int(entry.name))
    return found


def test_sigkill_and_resume_ends_with_the_same_tables(tmp_path: Path) -> None:
    cards = _cards(tmp_path / "cards.parquet", count=1600)
    command = [sys.executable, "-c", "from ptmscope.cli import main; raise SystemExit(main())",
               "study", "ingest", "--db", str(tmp_path / "killed"), "--workers", "1", "--chunk-size", "40", str(cards)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chunks = tmp_path / "killed" / "packages"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(chunks.glob("*.parquet"))) < 3:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    written = len(list(chunks.glob("*.parquet")))
    assert 3 <= written < 40, "the kill must land mid-ingest"
    # the killed ingest's pool workers end with it (they were left blocked forever)
    marker = str(tmp_path / "killed")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _processes_naming(marker):
        time.sleep(0.1)
    assert not _processes_naming(marker), "orphaned ingest workers"
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert not list(chunks.glob("*.tmp"))
    ingest(StudyDB(tmp_path / "clean"), [cards], workers=1, chunk_size=40)
    killed, clean = _dump(tmp_path / "killed"), _dump(tmp_path / "clean")
    assert len(killed) == 1600 and len({row[0] for row in killed}) == 1600
    assert [row[:-1] for row in killed] == [row[:-1] for row in clean]  # _source differs by path


def test_dask_runs_the_same_analysis(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    cards = _cards(tmp_path / "cards.parquet", count=120)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        ingest(
            StudyDB(tmp_path / "dask"),
            [cards],
            engine="dask",
            scheduler=cluster.scheduler_address,
            chunk_size=30,
        )
    ingest(StudyDB(tmp_path / "local"), [cards], workers=1, chunk_size=30)
    assert _dump(tmp_path / "dask") == _dump(tmp_path / "local")


def test_bad_sources_are_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.txt").write_text("hello")
    assert main(["study", "ingest", "--db", str(tmp_path / "db"), str(tmp_path / "x.txt")]) == 2
    assert (
        main(["study", "ingest", "--db", str(tmp_path / "db"), str(tmp_path / "missing.csv")]) == 2
    )
    assert (
        main(
            [
                "study",
                "ingest",
                "--db",
                str(tmp_path / "db"),
                "--engine",
                "dask",
                str(_cards(tmp_path / "c.parquet")),
            ]
        )
        == 2
    )
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    assert (
        main(["study", "ingest", "--db", str(tmp_path / "db"), str(tmp_path / "broken.parquet")])
        == 2
    )
    assert (
        main(
            ["study", "report", "--db", str(tmp_path / "db"), "--paper", str(tmp_path / "nope.csv")]
        )
        == 2
    )
    assert (
        main(
            [
                "study",
                "report",
                "--db",
                str(tmp_path / "db"),
                "-o",
                str(tmp_path / "no" / "dir" / "r.html"),
            ]
        )
        == 2
    )
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(
    not (SHARED_DATA / "cards.parquet").exists(), reason="shared registry data absent"
)
def test_real_registry_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = [
        SHARED_DATA / "listing_2023.csv.gz",
        SHARED_DATA / "snapshot.jsonl.gz",
        SHARED_DATA / "cards.parquet",
    ]
    assert main(["study", "ingest", "--db", str(tmp_path / "db"), *map(str, sources)]) == 0
    report = _report(
        tmp_path / "db", capsys, "--paper", str(SHARED_DATA / "paper_measurements.csv")
    )
    claims = next(m for m in report["measurements"] if m["id"] == "claims_by_task")
    overall = next(r for r in claims["rows"] if r["key"] == "all")
    # The same count test_real_cards makes independently (plain YAML): 9,172 of 25,185
    # (9,084 before the older `model_index` spelling was read, 9,126 before front matter
    # after leading blank lines was read as the Hub reads it: issue 12).
    assert (overall["numerator"], overall["denominator"]) == (9172, 25185)
    assert claims["paper"] and "token-classification" in claims["paper"]


def test_crawl_a_hub_endpoint_with_rate_limits_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.registry.conftest import Server

    root = tmp_path / "root"
    for index in range(60):  # two listing pages of 50, and a README for each model
        package = root / f"org{index % 3}" / f"model-{index:03d}"
        package.mkdir(parents=True)
        card = PARSEABLE if index % 4 == 0 else PROSE
        (package / "README.md").write_text(card)
    server = Server(root, "--rate-limit", "20")  # slower than the crawl: it meets 429s
    said = []
    try:
        db = tmp_path / "db"
        args = ["study", "ingest", "--db", str(db), "--crawl", server.endpoint, "--rate", "40"]
        assert main([*args, "--max-pages", "1"]) == 0  # stops early, like a killed crawl
        said.append(capsys.readouterr().err)
        assert main(args) == 0  # resumes at page 2 (429s along the way are waited out)
        said.append(capsys.readouterr().err)
        assert main(args) == 0  # already complete: nothing to do
        said.append(capsys.readouterr().err)
    finally:
        server.stop()
    # each run reports what it wrote (before: "ingested 0 packages" after writing them)
    assert "ingested 50 listing rows, 50 packages" in said[0]
    assert "ingested 10 listing rows, 10 packages" in said[1]
    assert "ingested 0 listing rows, 0 packages" in said[2]
    report = _report(db, capsys)
    claims = next(m for m in report["measurements"] if m["id"] == "claims_by_task")
    rows = {r["key"]: (r["numerator"], r["denominator"]) for r in claims["rows"]}
    assert rows["all"] == (15, 60) and rows["token-classification"] == (15, 15)
    connection = StudyDB(db).connect()
    assert connection.execute("SELECT count(*), count(DISTINCT id) FROM models").fetchone() == (
        60,
        60,
    )
    # every package analysed from its README text, as `audit` reads it
    assert connection.execute(
        "SELECT count(*) FROM packages WHERE has_card AND card_words > 0 AND error IS NULL"
    ).fetchone() == (60,)


def test_git_repository_collections_measure_signing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from tests.conftest import git

    torrent = tmp_path / "torrent"
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("# m\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    torrent.mkdir()
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(torrent / "acme__model.git")], check=True
    )
    if (SHARED_DATA / "git_repos").is_dir():
        for repo in (SHARED_DATA / "git_repos").glob("*.git"):
            shutil.copytree(repo, torrent / repo.name)
    db = tmp_path / "db"
    assert main(["study", "ingest", "--db", str(db), str(torrent)]) == 0
    report = _report(db, capsys)
    signing = next(m for m in report["measurements"] if m["id"] == "commit_signing")
    rows = {r["key"]: (r["numerator"], r["denominator"]) for r in signing["rows"]}
    repos = 1 + len(list((SHARED_DATA / "git_repos").glob("*.git")))
    signed = 1 if repos > 1 else 0  # audeering's history holds Hub and GitHub web-flow signatures
    assert rows["any signed commit"] == (signed, repos)
    assert rows["platform-signed commit"] == (signed, repos)
    assert rows["author-signed commit"] == (0, repos)
    states = {k: v for k, v in rows.items() if k.endswith("(what the signature proves)")}
    assert len(states) == 5  # author-verified … unsigned: every commit in exactly one state
    assert sum(n for n, _ in states.values()) == rows["signed commits / all commits"][1]
    platform = states["commits platform-signed (what the signature proves)"][0]
    assert (platform > 0) == (repos > 1)
    assert states["commits author-verified (what the signature proves)"][0] == 0  # no keyring
    connection = StudyDB(db).connect()
    assert connection.execute("SELECT commits FROM repos WHERE id = 'acme/model'").fetchone() == (
        1,
    )


def test_lineage_and_name_squatting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cards = {
        "org/root": "---\nlicense: mit\ndatasets: [corpus]\n---\n# root\n",
        "org/child": "---\nbase_model: org/root\n---\n# child\n",
        "other/grandchild": "# g\n\nThis model is a fine-tuned version of [org/child](https://huggingface.co/org/child) on x.\n",
        "third/cousin": "---\nbase_model: [org/root]\ndatasets: [corpus]\n---\n# c\n",
    }
    pq.write_table(
        pa.table({"model_id": list(cards), "readme": list(cards.values())}),
        tmp_path / "cards.parquet",
    )
    listing = tmp_path / "listing.csv"
    listing.write_text(
        "model_id,author,downloads\nbigorg/awesome-model,bigorg,1000000\nevil/awes0me-model,evil,3\n"
        "evil/awesome-mode,evil,2\nfork/awesome-model,fork,9\nbigorg/opt-13b,bigorg,500000\nx/opt-1.3b,x,1\n"
    )
    db = tmp_path / "db"
    assert (
        main(["study", "ingest", "--db", str(db), str(tmp_path / "cards.parquet"), str(listing)])
        == 0
    )
    measurements = {m["id"]: m for m in _report(db, capsys)["measurements"]}
    lineage = {r["key"]: r["numerator"] for r in measurements["lineage"]["rows"]}
    assert lineage["org/root"] == 3  # child, cousin, and the grandchild through child
    assert (
        lineage["org/child"] == 1 and lineage["dataset:corpus"] == 4
    )  # root and cousin, plus their dependents
    squat = measurements["name_squatting"]["rows"]
    assert squat[0]["numerator"] == 2
    assert {r["key"] for r in squat[1:]} == {
        "evil/awes0me-model ~ bigorg/awesome-model",
        "evil/awesome-mode ~ bigorg/awesome-model",
    }


def test_snapshot_clones_bare_repositories_over_git_http(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.registry.conftest import Server, build_root

    root = build_root(tmp_path / "root")
    ids = tmp_path / "ids.txt"
    ids.write_text("model_id\nacme/history\nacme/bare\nacme/tiny\nacme/missing\n")
    out = tmp_path / "torrent"
    server = Server(root)
    try:
        args = [
            "study",
            "snapshot",
            "--ids",
            str(ids),
            "--out",
            str(out),
            "--endpoint",
            server.endpoint,
            "--retries",
            "2",
        ]
        assert main(args) == 1  # two ids cannot be cloned: a folder package and a missing one
        assert main(args) == 1  # rerun: the clones are kept, the failures retried
    finally:
        server.stop()
    capsys.readouterr()
    assert sorted(p.name for p in out.glob("*.git")) == ["acme__bare.git", "acme__history.git"]
    log = subprocess.run(
        ["git", "--git-dir", str(out / "acme__history.git"), "log", "--format=%s"],
        capture_output=True,
        text=True,
    )
    assert log.stdout.split() == ["second", "first"]
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert {m["id"] for m in manifest if m["status"] == "cloned"} == {"acme/history", "acme/bare"}
    assert {m["id"] for m in manifest if m["status"] == "failed"} == {"acme/tiny", "acme/missing"}
    assert all(
        m["attempts"] == 1 for m in manifest if m["status"] == "failed"
    )  # a 404 is not retried
    assert not list(out.glob(".*.partial"))
    db = tmp_path / "db"
    assert main(["study", "ingest", "--db", str(db), str(out)]) == 0
    capsys.readouterr()
    signing = next(m for m in _report(db, capsys)["measurements"] if m["id"] == "commit_signing")
    assert signing["rows"][-1]["denominator"] == 4  # two commits in each clone


def test_the_papers_values_ship_and_appear_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every report carries the ICSE 2023 numbers unless ``--paper none`` (issue 14)."""
    db = tmp_path / "db"
    assert (
        main(["study", "ingest", "--db", str(db), "--workers", "1", *map(str, _sources(tmp_path))])
        == 0
    )
    capsys.readouterr()
    report = _report(db, capsys)
    assert report["paper"]["source"] == "shipped"
    values = {v["id"]: v for v in report["paper"]["values"]}
    assert sorted(values, key=lambda i: int(i[1:])) == [f"M{i}" for i in range(1, 16)]
    assert values["M2"]["value"] == "132 (0.21%)" and "63,182" in values["M2"]["denominator"]
    claims = next(m for m in report["measurements"] if m["id"] == "claims_by_task")
    assert claims["paper"] == values["M4"]["value"]
    signed = next(m for m in report["measurements"] if m["id"] == "commit_signing")
    assert signed["paper"] == "132 (0.21%)"
    bare = _report(db, capsys, "--paper", "none")
    assert bare["paper"] == {"source": None, "values": []}
    assert all(m["paper"] is None for m in bare["measurements"])
    assert main(["study", "report", "--db", str(db), "--format", "markdown"]) == 0
    assert "The paper's numbers (ICSE 2023)" in capsys.readouterr().out
