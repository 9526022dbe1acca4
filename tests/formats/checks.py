"""Checks every result type's format tests share: registry names, unknown names, console views."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ptmscope.errors import InputError
from ptmscope.formats import Formats
from ptmscope.formats.registry import ConsoleRenderer
from ptmscope.formats.terminal import capture

OFFICIAL_SARIF = Path(__file__).resolve().parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"
"""The OASIS SARIF 2.1.0 schema (as Microsoft publishes it), bundled as test data."""
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
"""Characters a terminal or an editor obeys instead of showing (a renderer's newlines aside)."""


def unknown_name_is_an_input_error(formats: Formats[Any]) -> None:
    with pytest.raises(InputError) as raised:
        formats.get("yaml")
    message = str(raised.value)
    assert "'yaml'" in message and formats.result in message
    assert all(name in message for name in formats.names)
    with pytest.raises(InputError):
        formats.render("", object())


def console_view_equals_render(formats: Formats[Any], name: str, result: object) -> None:
    renderer = formats.get(name)
    assert isinstance(renderer, ConsoleRenderer)
    width = renderer.width
    assert capture(lambda console: renderer.print(result, console), width) == renderer.render(
        result
    )


def validate_official_sarif(text: str) -> dict[str, Any]:
    import jsonschema

    sarif: dict[str, Any] = json.loads(text)
    jsonschema.validate(sarif, json.loads(OFFICIAL_SARIF.read_text()))
    return sarif


def validate_shipped(schema: str, text: str) -> dict[str, Any]:
    import jsonschema

    from ptmscope.formats.schemas import load

    data: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator(load(schema)).validate(data)
    return data
