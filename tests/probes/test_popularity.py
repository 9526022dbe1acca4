"""Popularity probes: downloads and likes from a real registry record (``--metadata``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.audit import AuditOptions
from ptmscope.probes import popularity_downloads, popularity_likes
from ptmscope.probes.base import Outcome
from tests.probes.conftest import Build, probe_finding


def _record(tmp_path: Path, **fields: object) -> AuditOptions:
    path = tmp_path / "model_info.json"
    path.write_text(json.dumps({"id": "acme/tiny", **fields}))
    return AuditOptions(metadata=path)


@pytest.mark.parametrize(
    ("probe_id", "field", "saturation"),
    [
        ("popularity.downloads", "downloads", popularity_downloads.SATURATION),
        ("popularity.likes", "likes", popularity_likes.SATURATION),
    ],
)
def test_count_scores_on_a_log_scale_up_to_saturation(
    build: Build, tmp_path: Path, probe_id: str, field: str, saturation: int
) -> None:
    root = build()
    scores = []
    for count in (0, 9, saturation, saturation * 10):
        finding = probe_finding(root, probe_id, _record(tmp_path, **{field: count}))
        assert finding.outcome is Outcome.PRESENT and finding.score is not None
        assert finding.evidence[0].detail == f"{field}={count:,}"
        scores.append(finding.score)
    assert scores[0] == 0.0 and scores[2] == scores[3] == 10.0
    assert 0.0 < scores[1] < 10.0


@pytest.mark.parametrize("probe_id", ["popularity.downloads", "popularity.likes"])
def test_no_registry_record_is_unknown_not_zero(
    build: Build, tmp_path: Path, probe_id: str
) -> None:
    root = build()
    assert probe_finding(root, probe_id).outcome is Outcome.UNKNOWN
    without_count = probe_finding(root, probe_id, _record(tmp_path))
    assert without_count.outcome is Outcome.UNKNOWN and without_count.score is None


def test_downloads_and_likes_share_one_log_scale(build: Build, tmp_path: Path) -> None:
    """Both use one log scale: the same fraction of saturation gives the same score."""
    options = _record(tmp_path, downloads=1_000, likes=31)
    root = build()
    downloads = probe_finding(root, "popularity.downloads", options).score
    likes = probe_finding(root, "popularity.likes", options).score
    assert downloads is not None and likes is not None
    assert downloads == pytest.approx(10 * 3.0004 / 6.0, abs=0.01)
    assert likes == pytest.approx(10 * 1.505 / 3.0004, abs=0.01)
