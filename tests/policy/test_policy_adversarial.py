"""Adversarial review of admission policies (issue 15): files that parse but decide wrongly.

Each case reads a real policy file with the real loader and decides on an audit report
(as data, the shape ``audit --format json`` writes). Cases marked ``xfail(strict=True)``
are open problems found by this review; each passes once fixed (and must lose its mark).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ptmscope.errors import InputError
from ptmscope.policy.document import load_admission_policy
from ptmscope.policy.engine import decide
from tests.scan import builders as b

MAIN = "from ptmscope.cli import main; raise SystemExit(main())"

REPORT: dict[str, Any] = {
    "generated_at": "2026-01-10T00:00:00Z",
    "summary": {"overall": 2.0, "coverage": 0.2},
    "package": {
        "name": "acme/model",
        "licenses": ["gpl-3.0"],
        "lineage": [],
        "dates": {"revision": "2026-01-09T00:00:00Z", "created": "2026-01-09T00:00:00Z"},
        "weights": [{"path": "model.bin", "format": "pytorch-zip", "pickle_based": True}],
    },
    "scans": [],
    "findings": [],
}
"""A package that every policy below means to deny: GPL, one day old, scores 2."""


def _decision(tmp_path: Path, text: str) -> tuple[str, list[str]]:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    decided = decide(REPORT, load_admission_policy(path))
    return decided.decision.value, sorted(v.rule for v in decided.violations)


# --------------------------------------------------------------------------- wrapped values


def test_a_licence_list_denies(tmp_path: Path) -> None:
    """What holds: the documented shape denies."""
    text = "version: 1\ntemplates:\n  licenses: {value: {deny: [gpl-3.0]}, mode: enforce}\n"
    assert _decision(tmp_path, text) == ("deny", ["templates.licenses"])


def test_a_wrapped_licence_setting_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    """Refused, or read as the one licence it names: never a rule that denies nothing."""
    text = "version: 1\ntemplates:\n  licenses: {value: {deny: gpl-3.0}}\n"
    try:
        decided = _decision(tmp_path, text)
    except InputError as exc:
        assert "templates.licenses" in str(exc)
    else:
        assert decided == ("deny", ["templates.licenses"])


def test_a_wrapped_value_meets_the_same_bounds_as_a_bare_one(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        _decision(tmp_path, "version: 1\ntemplates:\n  cooldown_days: -1\n")
    with pytest.raises(InputError, match=r"templates\.cooldown_days"):
        _decision(tmp_path, "version: 1\ntemplates:\n  cooldown_days: {value: -1}\n")


@pytest.mark.parametrize(
    "section",
    [
        "checks:\n  overall: {min: .nan}\n",
        "templates:\n  cooldown_days: .nan\n",
        "templates:\n  cooldown_days: {value: .nan}\n",
    ],
)
def test_not_a_number_is_refused(tmp_path: Path, section: str) -> None:
    with pytest.raises(InputError):
        _decision(tmp_path, "version: 1\n" + section)


# --------------------------------------------------------------------------- YAML


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\ntemplates:\n  licenses: {deny: [gpl-3.0]}\n"
        "templates:\n  signed: {value: true, mode: warn}\n",
        "version: 1\ntemplates:\n  licenses: {deny: [gpl-3.0]}\n  licenses: {deny: [mit]}\n",
    ],
)
def test_a_duplicate_key_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError, match=r"duplicate|twice|more than once"):
        _decision(tmp_path, text)


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nrules:\n" + "  " + "[" * 200 + "]" * 200 + "\n",
        "version: 1\ntemplate:\n  no_pickle: true\n",  # misspelt section
        "version: 1\n# " + "x" * (1 << 20) + "\n",
    ],
    ids=["deep", "unknown-key", "huge"],
)
def test_hostile_or_huge_policies_are_one_input_error(tmp_path: Path, text: str) -> None:
    """What holds: nesting, size and unknown keys are refused with one error line."""
    with pytest.raises(InputError):
        _decision(tmp_path, text)


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(InputError):
        _decision(tmp_path, "\n".join(lines) + "\n")


# --------------------------------------------------------------------------- CEL


@pytest.mark.parametrize(
    "when",
    [
        'audit.package.licence == "mit"',  # misspelt field
        '!(audit.package.registry.author in ["acme"])',  # a record the report lacks
        "audit.package.weights.exists(w, w.signed)",  # a field of list items
        "audit.summary.overall",  # not a boolean
        "audit.package.weights[3].pickle_based",  # past the end
    ],
)
def test_a_rule_that_cannot_be_evaluated_fails_closed(tmp_path: Path, when: str) -> None:
    """What holds: every error (and every non-boolean) is a violation of the rule's action."""
    text = f"version: 1\nrules:\n  - id: r\n    when: '{when}'\n    reason: because\n"
    assert _decision(tmp_path, text) == ("deny", ["r"])


# --------------------------------------------------------------------------- scan section


def test_an_allow_everything_scan_rule_does_not_silence_code_execution(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "evil.pkl").write_bytes(b.canary_pickle(marker))
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nscan:\n  rules:\n    - allow: true\n      match: ['*']\n"
        "templates:\n  scan_verdict: clean\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "scan", str(tmp_path / "m"), "--policy", str(policy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not marker.exists()
    assert done.returncode in (1, 2), done.stdout
