"""Popularity probes: downloads and likes from a real registry record (``--metadata``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.audit import AuditOptions
from ptmscope.probes import popularity_likes
from ptmscope.probes.base import Outcome
from tests.probes.conftest import Build, probe_finding


def _record(tmp_path: Path, **fields: object) -> AuditOptions:
    path = tmp_path / "model_info.json"
    path.write_text(json.dumps({"id": "acme/tiny", **fields}))
    return AuditOptions(metadata=path)


def test_likes_without_baseline_points_use_the_log_scale(build: Build, tmp_path: Path) -> None:
    """The shipped baseline counts downloads only: likes fall back to the log scale."""
    root = build()
    saturation = popularity_likes.SATURATION
    scores = []
    for count in (0, 9, saturation, saturation * 10):
        finding = probe_finding(root, "popularity.likes", _record(tmp_path, likes=count))
        assert finding.outcome is Outcome.PRESENT and finding.score is not None
        assert finding.evidence[0].detail == f"likes={count:,}"
        scores.append(finding.score)
    assert scores[0] == 0.0 and scores[2] == scores[3] == 10.0
    assert 0.0 < scores[1] < 10.0


def test_downloads_rank_against_the_registry_baseline(build: Build, tmp_path: Path) -> None:
    """Relative to the registry (npms): the percentile of the shipped Hub listing ÷ 10."""
    from ptmscope.baseline import shipped

    root = build()
    scores = []
    for count in (0, 1, 9, 1_000, 10_000_000):
        finding = probe_finding(root, "popularity.downloads", _record(tmp_path, downloads=count))
        percentile = shipped().percentile("downloads", count)
        assert percentile is not None and finding.score == round(percentile / 10, 2)
        assert "registry baseline" in finding.message
        assert "baseline: Hugging Face Hub listing" in finding.evidence[0].detail
        scores.append(finding.score)
    assert scores == sorted(scores) and scores[0] == 0.0 and scores[-1] == 10.0
    assert 0.0 < scores[1] < scores[2] < scores[3] < 10.0


def test_percentiles_and_a_study_database_baseline(build: Build, tmp_path: Path) -> None:
    """`audit --baseline DB` ranks against a study database's listing, likes included."""
    from ptmscope.baseline import from_study, from_values
    from ptmscope.errors import InputError
    from ptmscope.study.db import StudyDB
    from ptmscope.study.ingest import ingest
    from tests.study.test_study import _sources

    population = from_values("a thousand models", range(1000), range(1000))
    assert [population.percentile("downloads", v) for v in (0, 250, 500, 999, 10**6)] == [
        0.0, 25.0, 50.0, 100.0, 100.0,
    ]  # fmt: skip
    db = tmp_path / "db"
    (tmp_path / "sources").mkdir()
    ingest(StudyDB(db), _sources(tmp_path / "sources"), workers=1)
    baseline = from_study(db)
    assert baseline.models > 0 and baseline.downloads
    options = _record(tmp_path, downloads=10**9, likes=10**6)
    options = AuditOptions(metadata=options.metadata, baseline=db)
    root = build()
    downloads = probe_finding(root, "popularity.downloads", options)
    assert downloads.score == 10.0 and "study database" in downloads.evidence[0].detail
    likes = probe_finding(root, "popularity.likes", options)
    ranked_likes = "study database" in likes.evidence[0].detail
    assert likes.score == 10.0 and ranked_likes == bool(baseline.likes)
    with pytest.raises(InputError, match="not a study database"):
        from_study(tmp_path / "missing")
    elsewhere = tmp_path / "photos"  # an existing folder given by mistake: nothing written
    elsewhere.mkdir()
    with pytest.raises(InputError, match="not a study database"):
        from_study(elsewhere)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("probe_id", ["popularity.downloads", "popularity.likes"])
def test_no_registry_record_is_unknown_not_zero(
    build: Build, tmp_path: Path, probe_id: str
) -> None:
    root = build()
    assert probe_finding(root, probe_id).outcome is Outcome.UNKNOWN
    without_count = probe_finding(root, probe_id, _record(tmp_path))
    assert without_count.outcome is Outcome.UNKNOWN and without_count.score is None
