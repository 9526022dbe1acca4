"""Study renderers: a golden output per format from a fixed :class:`StudyResult`.

Goldens live in ``tests/formats/golden/study.*``; after an intended change run
``PTMSCOPE_UPDATE_GOLDEN=1 pytest tests/formats`` and review the diff.
"""

from __future__ import annotations

import pytest

from ptmscope.formats import STUDY_FORMATS
from tests.formats import checks
from tests.formats.fixtures import HOSTILE, study_result
from tests.formats.golden import check


def test_registry_lists_every_study_format() -> None:
    assert STUDY_FORMATS.names == ("html", "json", "markdown", "text")
    assert STUDY_FORMATS.default == "html"


@pytest.mark.parametrize("name", STUDY_FORMATS.names)
def test_golden(name: str) -> None:
    check("study", name, STUDY_FORMATS.render(name, study_result()))


def test_unknown_format_is_an_input_error() -> None:
    checks.unknown_name_is_an_input_error(STUDY_FORMATS)


def test_text_on_a_console_is_what_render_writes() -> None:
    checks.console_view_equals_render(STUDY_FORMATS, "text", study_result())


@pytest.mark.parametrize("name", ["text", "markdown", "html"])
def test_registry_keys_are_escaped(name: str) -> None:
    text = STUDY_FORMATS.render(name, study_result())
    assert not checks.RAW_CONTROL.search(text)
    if name == "text":
        assert "[bold]" in text  # rich markup shown, not applied
    else:
        assert "<b>[bold]" not in text  # HTML in a key is text, never a tag
        assert ("&lt;b&gt;" if name == "html" else "\\<b\\>") in text


def test_html_is_one_file_with_a_chart_for_charted_measurements() -> None:
    text = STUDY_FORMATS.render("html", study_result())
    assert text.count("<svg") == 2 and "<script" not in text and "&lt;b&gt;" in text


def test_json_matches_the_shipped_schema_and_keeps_raw_keys() -> None:
    data = checks.validate_shipped("study", STUDY_FORMATS.render("json", study_result()))
    assert data["schema_version"] == "1.4.0"
    assert [r["id"] for r in data["reproduction"]] == ["M4", "M11", "M14"]
    assert data["reproduction"][0]["paper_method"]["rows"][1]["key"] == HOSTILE
    assert data["reproduction"][2]["paper_method"] is None and data["reproduction"][2]["needs"]
    assert data["measurements"][0]["rows"][2]["key"] == HOSTILE
    assert data["measurements"][0]["notes"] == ["tasks from the card, else the registry"]
