"""The command line as a user meets it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ptmscope.formats.report import schema
from tests.conftest import git


def ptmscope(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptmscope", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_input_error(done: subprocess.CompletedProcess[str], needle: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], done.stderr


def test_json_report_validates_and_has_every_factor(make_package) -> None:  # type: ignore[no-untyped-def]
    done = ptmscope("audit", str(make_package()), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    jsonschema.validate(report, schema())
    prov = report["attributes"]["provenance"]["factors"]
    assert prov["performance_table"]["outcome"] == "present"
    assert prov["training_logs"]["outcome"] == "present"  # the per-epoch table
    assert report["attributes"]["portability"]["factors"]["latency"]["outcome"] == "present"
    assert {c["source"] for c in report["claims"]} >= {
        "model-index",
        "trainer-prose",
        "markdown-table",
    }


def test_markdown_and_text_formats(make_package, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.md"
    done = ptmscope("audit", str(make_package()), "--format", "markdown", "--output", str(out))
    assert done.returncode == 0 and out.read_text().startswith("# ptmscope audit")
    assert "## Provenance" in out.read_text()
    text = ptmscope("audit", str(make_package("other")))
    assert "Provenance" in text.stdout and "Top remediations" in text.stdout


def test_fail_on_sets_exit_code(make_package) -> None:  # type: ignore[no-untyped-def]
    root = make_package(safetensors=False, torch_bin=True)
    assert ptmscope("audit", str(root), "--fail-on", "high", "-f", "json").returncode == 1
    assert ptmscope("audit", str(root), "--fail-on", "critical", "-f", "json").returncode == 0


def test_metadata_feeds_popularity_and_maintenance(make_package, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    meta = tmp_path / "info.json"
    meta.write_text(
        json.dumps(
            {
                "id": "acme/tiny",
                "author": "acme",
                "downloads": 1000,
                "likes": 10,
                "tags": ["pytorch"],
                "pipeline_tag": "text-classification",
                "lastModified": "2020-01-01T00:00:00.000Z",
                "createdAt": "2019-01-01T00:00:00.000Z",
                "siblings": [{"rfilename": "README.md"}],
                "gated": False,
            }
        )
    )
    report = json.loads(
        ptmscope("audit", str(make_package()), "--metadata", str(meta), "-f", "json").stdout
    )
    assert report["package"]["name"] == "acme/tiny"
    popularity = report["attributes"]["popularity"]
    # 1,000 monthly downloads: more than 98% of the shipped Hub baseline (a long tail).
    assert popularity["factors"]["downloads"]["score"] == pytest.approx(9.8, abs=0.01)
    # Last change years ago, but in wide use: stable, not abandoned.
    activity = report["attributes"]["maintenance"]["factors"]["recent_activity"]
    assert activity["score"] == 6.0 and "stable" in activity["message"]
    assert_input_error(
        ptmscope("audit", str(make_package("p2")), "--metadata", str(tmp_path / "nope.json")),
        "no such metadata",
    )


def _bomb_card(kind: str) -> str:
    if kind == "deep":
        return "---\na: " + "[" * 20000 + "]" * 20000 + "\n---\n# hi\n"
    laughs = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        laughs += f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]\n"
    return "---\n" + laughs + "---\n# hi\n"


def test_bad_input_gets_one_line_and_exit_2(tmp_path: Path, make_package) -> None:  # type: ignore[no-untyped-def]
    assert_input_error(ptmscope("audit", str(tmp_path / "missing")), "no such file")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_input_error(ptmscope("audit", str(empty)), "empty package")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("buy milk")
    assert_input_error(ptmscope("audit", str(notes)), "not a model package")
    assert_input_error(
        ptmscope("audit", str(make_package("plain")), "--revision", "main"),
        "needs a git repository",
    )


def assert_fails_closed(done: subprocess.CompletedProcess[str], needle: str) -> None:
    """Audited anyway: exit 1 and ``risk.unreadable_content`` naming the reason."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    jsonschema.validate(report, schema())
    finding = next(f for f in report["findings"] if f["probe"] == "risk.unreadable_content")
    assert finding["outcome"] == "detected"
    assert any(needle in e["detail"] for e in finding["evidence"]), finding


def test_unreadable_card_fails_closed_instead_of_stopping(tmp_path: Path, make_package) -> None:  # type: ignore[no-untyped-def]
    """A card built to break the parser used to end the audit (exit 2) and, in the
    gateway, switch every check off; now the rest is still audited and the gate fails."""
    binary = make_package(
        "binary", card=None, files={"README.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00"}
    )
    assert_fails_closed(ptmscope("audit", str(binary), "-f", "json"), "binary")
    for kind in ("deep", "laughs"):
        bomb = make_package(f"bomb-{kind}", card=_bomb_card(kind))
        assert_fails_closed(ptmscope("audit", str(bomb), "-f", "json", timeout=60), "YAML")
    huge = make_package("huge", card=None)
    with (huge / "README.md").open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    assert_fails_closed(ptmscope("audit", str(huge), "-f", "json", timeout=60), "8 MiB limit")


def test_git_errors_are_input_errors(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "config.json").write_text("{}")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "one")
    assert_input_error(ptmscope("audit", str(work), "--revision", "nope"), "unknown revision")
    corrupt = tmp_path / "corrupt.git"
    corrupt.mkdir()
    (corrupt / "HEAD").write_text("ref: refs/heads/main\n")
    (corrupt / "objects").mkdir()
    assert_input_error(ptmscope("audit", str(corrupt)), "corrupt.git")


def test_usage_error_exit_2() -> None:
    done = ptmscope("audit")
    assert done.returncode == 2 and "usage" in done.stderr


def test_probes_listing() -> None:
    done = ptmscope("probes")
    assert done.returncode == 0
    assert "risk.remote_code" in done.stdout and "fix:" in done.stdout


def test_missing_git_is_an_input_error(tmp_path: Path) -> None:
    bare = tmp_path / "repo.git"
    (bare / "objects").mkdir(parents=True)
    (bare / "HEAD").write_text("ref: refs/heads/main\n")
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "audit", str(bare)],
        capture_output=True,
        text=True,
        env={"PATH": str(tmp_path / "no-bin"), "HOME": str(tmp_path)},
        timeout=60,
    )
    assert_input_error(done, "git is not installed")


def _choices(parser: argparse.ArgumentParser, *path: str) -> list[str]:
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    action = next(a for a in parser._actions if "--format" in a.option_strings)
    return list(action.choices or [])


def test_format_choices_come_from_the_renderer_registries() -> None:
    """A format registered for a result type is offered by its command, with no CLI edit."""
    from ptmscope.cli import _parser
    from ptmscope.formats import AUDIT_FORMATS, SCAN_FORMATS, STUDY_FORMATS, VERIFY_FORMATS

    parser = _parser()
    assert _choices(parser, "audit") == list(AUDIT_FORMATS.names)
    assert _choices(parser, "demo") == list(AUDIT_FORMATS.names)
    assert _choices(parser, "scan") == list(SCAN_FORMATS.names)
    assert _choices(parser, "verify") == list(VERIFY_FORMATS.names)
    assert _choices(parser, "study", "report") == list(STUDY_FORMATS.names)
    done = ptmscope("scan", ".", "--format", "nope")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_study_clone_and_its_former_name_snapshot(tmp_path: Path) -> None:
    for name in ("clone", "snapshot"):
        done = ptmscope(
            "study", name, "--ids", str(tmp_path / "missing.txt"), "--out", str(tmp_path)
        )
        assert_input_error(done, "missing.txt")
