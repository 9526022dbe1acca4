"""Maintenance probes: commit activity from real git history, recency from history or record."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ptmscope.audit import AuditOptions
from ptmscope.probes.base import Finding, Outcome
from ptmscope.probes.maintenance_recent_activity import (
    BASE_STALE_DAYS,
    FRESH_DAYS,
    REVISIT_DAYS,
    REVISITED_FLOOR,
    STALE_DAYS,
)
from tests.conftest import git
from tests.probes.conftest import Build, card_with, probe_finding

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _commit_all(repo: Path, message: str, author: str) -> None:
    git(repo, "add", "-A")
    git(
        repo,
        "commit",
        "-q",
        "-m",
        message,
        env={"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author.lower()}@example.org"},
    )


@needs_git
def test_commit_activity_counts_commits_and_distinct_authors(build: Build) -> None:
    repo = build()
    git(repo, "init", "-q")
    _commit_all(repo, "upload", "Ada")
    (repo / "notes.md").write_text("fix")
    _commit_all(repo, "fix card", "Ada")
    one_author = probe_finding(repo, "maintenance.commit_activity")
    assert one_author.outcome is Outcome.PRESENT
    assert one_author.message == "2 commits by 1 author(s)"
    assert one_author.score == pytest.approx(5 * 2 / 20 + 5 * 1 / 3, abs=0.01)
    (repo / "notes.md").write_text("second fix")
    _commit_all(repo, "another fix", "Grace")
    two_authors = probe_finding(repo, "maintenance.commit_activity")
    assert two_authors.score is not None and two_authors.score > one_author.score


def test_commit_activity_unknown_without_history(build: Build) -> None:
    finding = probe_finding(build(), "maintenance.commit_activity")
    assert finding.outcome is Outcome.UNKNOWN and finding.score is None


def _recent(
    build: Build, tmp_path: Path, age_days: float, card: str | None = None, **record: object
) -> Finding:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    modified = now - timedelta(days=age_days)
    info = tmp_path / "model_info.json"
    info.write_text(json.dumps({"id": "acme/tiny", "lastModified": modified.isoformat(), **record}))
    package = build(card=card) if card is not None else build()
    return probe_finding(
        package, "maintenance.recent_activity", AuditOptions(metadata=info, now=now)
    )


FINE_TUNED = card_with("Tuned for a demo.", "base_model: acme/base\n")


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [(10, 10.0), ((FRESH_DAYS + STALE_DAYS) / 2, 5.0), (STALE_DAYS + 30, 0.0)],
)
def test_recent_activity_of_a_fine_tuned_checkpoint_falls_linearly(
    build: Build, tmp_path: Path, age_days: float, expected: float
) -> None:
    finding = _recent(build, tmp_path, age_days, FINE_TUNED)
    assert finding.outcome is Outcome.PRESENT
    assert finding.score == pytest.approx(expected, abs=0.01)
    assert finding.evidence[0].location.endswith("#lastModified")
    assert "fine-tuned checkpoint" in finding.message


def test_a_base_model_ages_twice_as_slowly(build: Build, tmp_path: Path) -> None:
    age = (FRESH_DAYS + BASE_STALE_DAYS) / 2
    base = _recent(build, tmp_path, age)
    assert "base model" in base.message and base.score == pytest.approx(5.0, abs=0.01)
    assert _recent(build, tmp_path, age, FINE_TUNED).score == 0.0
    trainer = card_with("This model is a fine-tuned version of [acme/base](x) on imdb.")
    assert "fine-tuned" in _recent(build, tmp_path, 30, trainer).message


def test_a_package_revisited_after_release_is_not_abandoned(build: Build, tmp_path: Path) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(days=STALE_DAYS + 100)
    once = _recent(build, tmp_path, STALE_DAYS + 100, FINE_TUNED, createdAt=old.isoformat())
    assert once.score == 0.0
    created = old - timedelta(days=REVISIT_DAYS + 10)
    revisited = _recent(
        build, tmp_path, STALE_DAYS + 100, FINE_TUNED, createdAt=created.isoformat()
    )
    assert revisited.score == REVISITED_FLOOR and "revisited" in revisited.message


@needs_git
def test_recent_activity_prefers_the_newest_commit(build: Build) -> None:
    repo = build()
    git(repo, "init", "-q")
    _commit_all(repo, "upload", "Ada")
    finding = probe_finding(repo, "maintenance.recent_activity")
    assert finding.outcome is Outcome.PRESENT and finding.score == 10.0
    assert finding.evidence[0].location.startswith("commit ")


def test_recent_activity_unknown_without_dates(build: Build) -> None:
    assert probe_finding(build(), "maintenance.recent_activity").outcome is Outcome.UNKNOWN
