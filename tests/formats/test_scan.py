"""Scan renderers: a golden output per format from a fixed :class:`ScanResult`.

Goldens live in ``tests/formats/golden/scan.*``; after an intended change run
``PTMSCOPE_UPDATE_GOLDEN=1 pytest tests/formats`` and review the diff.
"""

from __future__ import annotations

import json
import re

import pytest

from ptmscope.formats import SCAN_FORMATS
from ptmscope.formats.scan import render
from ptmscope.formats.scan.json import render_json
from ptmscope.formats.scan.sarif import render_sarif
from tests.formats import checks
from tests.formats.fixtures import scan_result
from tests.formats.golden import check


def test_registry_lists_every_scan_format() -> None:
    assert SCAN_FORMATS.names == ("text", "json", "markdown", "sarif")
    assert SCAN_FORMATS.default == "text"


@pytest.mark.parametrize("name", SCAN_FORMATS.names)
def test_golden(name: str) -> None:
    check("scan", name, SCAN_FORMATS.render(name, scan_result()))


def test_unknown_format_is_an_input_error() -> None:
    checks.unknown_name_is_an_input_error(SCAN_FORMATS)


def test_text_on_a_console_is_what_render_writes() -> None:
    checks.console_view_equals_render(SCAN_FORMATS, "text", scan_result())


@pytest.mark.parametrize("name", ["text", "markdown"])
def test_file_names_cannot_drive_the_terminal_or_the_table(name: str) -> None:
    text = SCAN_FORMATS.render(name, scan_result())
    assert not checks.RAW_CONTROL.search(text)
    assert "\\x1b" in text  # shown, not obeyed
    if name == "markdown":
        outside_code = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)
        assert "<b>" not in outside_code and "\\<b\\>" in text  # inside a code span <b> is text
        rows = [line for line in text.splitlines() if line.startswith("| ")]
        columns = {line.replace("\\|", "").count("|") for line in rows[:4]}
        assert columns == {7}  # the pipe in a file name does not add a column


def test_json_matches_the_shipped_schema_and_keeps_raw_names() -> None:
    data = checks.validate_shipped("scan", SCAN_FORMATS.render("json", scan_result()))
    assert data["summary"] == {"files": 3, "clean": 1, "suspicious": 0, "malicious": 1, "error": 1}
    assert "\x1b[31m" in data["files"][2]["path"]


def test_sarif_is_valid_against_the_official_schema() -> None:
    sarif = checks.validate_official_sarif(SCAN_FORMATS.render("sarif", scan_result()))
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == [
        "pickle.dangerous_call",
        "pickle.unknown_global",
    ]
    assert run["results"][0]["occurrenceCount"] == 4
    assert run["invocations"][0]["executionSuccessful"] is False  # one file not fully read


def test_deprecated_functions_render_the_same() -> None:
    result = scan_result()
    assert render_json(result.files) == SCAN_FORMATS.render("json", result)
    assert render_sarif(result.files) == SCAN_FORMATS.render("sarif", result)
    assert render("markdown", list(result.files)) == SCAN_FORMATS.render("markdown", result)
    assert json.loads(render("json", []))["summary"]["files"] == 0
