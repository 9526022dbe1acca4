"""Builders for probe tests: a bare package that every factor probe finds empty, plus one change.

Each family test starts from :data:`BARE_CARD` (a card with a few words and nothing any cue
matches, an empty ``config.json``, no weights) and adds the one thing a probe looks for, so a
``present``/``detected`` outcome can only come from that addition.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ptmscope.audit import AuditOptions, audit
from ptmscope.results.audit import Finding, Outcome
from tests.conftest import write_files

BARE_CARD = "# tiny\n\nA small model that sorts reviews into two groups for a demo.\n"

Build = Callable[..., Path]


@pytest.fixture
def build(tmp_path: Path) -> Build:
    """``build(card=..., files={path: text or bytes}, config={...})`` → a package folder."""
    counter = iter(range(1_000))

    def make(
        card: str | None = BARE_CARD,
        files: dict[str, str | bytes] | None = None,
        config: dict[str, object] | None = None,
    ) -> Path:
        root = tmp_path / f"pkg{next(counter)}"
        root.mkdir()
        if card is not None:
            (root / "README.md").write_text(card)
        (root / "config.json").write_text(json.dumps(config or {}))
        write_files(root, files or {})
        return root

    return make


def probe_finding(root: Path | str, probe_id: str, options: AuditOptions | None = None) -> Finding:
    """The finding of one probe when the whole audit runs over ``root``."""
    return next(f for f in audit(root, options).findings if f.probe == probe_id)


def card_with(section: str, front_matter: str = "") -> str:
    """The bare card plus ``section`` (and YAML front matter when given)."""
    head = f"---\n{front_matter}---\n" if front_matter else ""
    return head + BARE_CARD + "\n" + section


def assert_documents(build: Build, probe_id: str, addition: dict[str, object]) -> None:
    """The factor is present (10, with evidence) after the one addition, missing (0) without."""
    present = probe_finding(build(**addition), probe_id)
    assert present.outcome is Outcome.PRESENT and present.score == 10.0, present.message
    assert present.evidence
    missing = probe_finding(build(), probe_id)
    assert missing.outcome is Outcome.MISSING and missing.score == 0.0
