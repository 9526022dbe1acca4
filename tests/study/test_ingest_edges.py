"""What ``study ingest`` and ``study report`` tell the user (issue 14): progress per source,
the counts each run wrote, and a database path that cannot be used (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmscope.cli import main
from ptmscope.errors import InputError
from ptmscope.study.db import StudyDB, source_key
from ptmscope.study.ingest import ingest
from tests.study.test_study import _cards


def _listing(path: Path, count: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"org/l{i:05d},org,{i}" for i in range(count)]
    path.write_text("\n".join(["model_id,author,downloads", *rows, ",nobody,3"]) + "\n")
    return path  # the last record has no model id: read, but no row is written for it


def test_progress_counts_each_source_against_its_own_total(tmp_path: Path) -> None:
    """A large listing after other sources counted past its total (202/52) and two sources
    with the same file name shared one bar."""
    small = _listing(tmp_path / "a" / "listing.csv", 3)
    large = _listing(tmp_path / "b" / "listing.csv", 50)  # the same name, another folder
    cards = _cards(tmp_path / "cards.parquet", count=8)
    calls: list[tuple[str, int, int]] = []

    def record(name: str, done: int, total: int) -> None:
        calls.append((name, done, total))

    db = StudyDB(tmp_path / "db")
    stats = ingest(db, [cards, small, large], workers=1, chunk_size=2, progress=record)
    by_source: dict[str, list[tuple[int, int]]] = {}
    for name, done, total in calls:
        by_source.setdefault(name, []).append((done, total))
    assert sorted(by_source) == sorted(map(str, (cards, small, large)))
    expected = {str(cards): 4, str(small): 2, str(large): 26}  # chunks of 2 (+1 record w/o id)
    for name, seen in by_source.items():
        assert [done for done, _ in seen] == list(range(1, expected[name] + 1)), name
        assert {total for _, total in seen} == {expected[name]}, name
    assert (stats.models, stats.packages, stats.chunks_written) == (53, 8, 32)
    # a resumed run counts the chunks an earlier run wrote, and only writes the rest
    for index in (20, 25):
        db.chunk("models", source_key(large), index).unlink()
    calls.clear()
    stats = ingest(db, [cards, small, large], workers=1, chunk_size=2, progress=record)
    assert calls == [(str(large), 25, 26), (str(large), 26, 26)]
    assert (stats.models, stats.packages, stats.chunks_written, stats.chunks_skipped) == (
        2,  # the 2 rows of chunk 20; chunk 25 holds only the record without a model id
        0,
        2,
        30,
    )


def test_the_cli_reports_what_each_run_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = [str(_listing(tmp_path / "listing.csv", 4)), str(_cards(tmp_path / "c.parquet"))]
    args = ["study", "ingest", "--db", str(tmp_path / "db"), "--workers", "1", *sources]
    assert main(args) == 0
    assert (
        "ingested 4 listing rows, 4 packages, 0 repositories and 0 architecture records (2 chunks written, 0 already there)"
        in capsys.readouterr().err
    )
    assert main(args) == 0  # nothing left to write: nothing counted as ingested
    assert (
        "ingested 0 listing rows, 0 packages, 0 repositories and 0 architecture records (0 chunks written, 2 already there)"
        in capsys.readouterr().err
    )


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ptmscope: error: "), err
    return lines[0]


@pytest.mark.parametrize("where", ["/proc/x", "FILE/db"])
def test_a_database_that_cannot_be_created_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    if where == "/proc/x" and not Path("/proc").is_dir():
        pytest.skip("no /proc on this system")
    (tmp_path / "FILE").write_text("not a folder")
    db = where.replace("FILE", str(tmp_path / "FILE"))
    source = str(_listing(tmp_path / "listing.csv", 2))
    assert main(["study", "ingest", "--db", db, source]) == 2  # was 3 (internal error)
    assert "cannot create a study database there" in _one_error_line(capsys)
    assert main(["study", "ingest", "--db", db, "--crawl", "http://127.0.0.1:9"]) == 2
    assert "cannot create a study database there" in _one_error_line(capsys)
    with pytest.raises(InputError):
        ingest(StudyDB(Path(db)), [Path(source)])


def test_report_on_a_database_that_does_not_exist_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new" / "path"
    assert main(["study", "report", "--db", str(new)]) == 2  # was 0, with zeros, and mkdir -p
    assert "not a study database" in _one_error_line(capsys)
    assert not (tmp_path / "new").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["study", "report", "--db", str(empty), "--format", "json"]) == 2
    assert "not a study database" in _one_error_line(capsys)
    assert list(empty.iterdir()) == []


def test_report_reads_without_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Empty tables are in memory: the report used to write `.empty-<table>.parquet` files."""
    db = tmp_path / "db"
    assert main(["study", "ingest", "--db", str(db), str(_listing(tmp_path / "l.csv", 3))]) == 0
    before = sorted(p.relative_to(db) for p in db.rglob("*"))
    assert main(["study", "report", "--db", str(db), "--format", "json"]) == 0
    assert '"popularity_concentration"' in capsys.readouterr().out
    assert sorted(p.relative_to(db) for p in db.rglob("*")) == before


@pytest.mark.parametrize("option", [["--rate", "-1"], ["--rate", "nan"], ["--max-pages", "0"]])
def test_crawl_options_out_of_range_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    db = tmp_path / "db"
    assert main(["study", "ingest", "--db", str(db), "--crawl", "http://127.0.0.1:9", *option]) == 2
    assert "--rate" in _one_error_line(capsys)
    assert not db.exists()
