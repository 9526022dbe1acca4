"""Verify renderers: a golden output per format from a fixed :class:`VerifyResult`.

Goldens live in ``tests/formats/golden/verify.*``; after an intended change run
``PTMSCOPE_UPDATE_GOLDEN=1 pytest tests/formats`` and review the diff.
"""

from __future__ import annotations

import pytest

from ptmscope.errors import InputError
from ptmscope.formats import VERIFY_FORMATS
from ptmscope.formats.verify import render
from ptmscope.results.verify import ClaimVerdict
from tests.formats import checks
from tests.formats.fixtures import verify_result
from tests.formats.golden import check


def test_registry_lists_every_verify_format() -> None:
    assert VERIFY_FORMATS.names == ("text", "json", "markdown")


@pytest.mark.parametrize("name", VERIFY_FORMATS.names)
def test_golden(name: str) -> None:
    check("verify", name, VERIFY_FORMATS.render(name, verify_result()))


def test_unknown_format_is_an_input_error() -> None:
    checks.unknown_name_is_an_input_error(VERIFY_FORMATS)


def test_text_on_a_console_is_what_render_writes() -> None:
    checks.console_view_equals_render(VERIFY_FORMATS, "text", verify_result())


@pytest.mark.parametrize("name", ["text", "markdown"])
def test_card_text_cannot_drive_the_terminal(name: str) -> None:
    assert not checks.RAW_CONTROL.search(VERIFY_FORMATS.render(name, verify_result()))


def test_json_matches_the_shipped_schema() -> None:
    data = checks.validate_shipped("verify", VERIFY_FORMATS.render("json", verify_result()))
    assert data["summary"] == {v.value: 1 for v in ClaimVerdict}
    assert data["claims"][1]["measured"] == 0.812346  # rounded to 6 decimals
    assert data["claims"][4]["ci"] is None


def test_deprecated_render_renders_the_same_and_refuses_unknown_names() -> None:
    result = verify_result()
    assert render("markdown", result.ref, result.commit, result.claims) == VERIFY_FORMATS.render(
        "markdown", result
    )
    with pytest.raises(InputError):  # it fell back to text before
        render("html", result.ref, result.commit, result.claims)
