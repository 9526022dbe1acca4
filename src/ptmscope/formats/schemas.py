"""The JSON Schemas shipped with ptmscope, one per JSON output.

``audit.schema.json`` (also shipped as ``report.schema.json``, its old name),
``scan.schema.json``, ``verify.schema.json`` and ``study.schema.json`` describe
what the ``json`` format of each command writes; each output names its
``schema_version`` so a reader can tell which shape it holds.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ptmscope.errors import InputError

SCHEMAS = {
    "audit": "audit.schema.json",
    "scan": "scan.schema.json",
    "verify": "verify.schema.json",
    "study": "study.schema.json",
    "select": "select.schema.json",
    "compare": "compare.schema.json",
}
"""Result type -> its schema file in ``ptmscope/schemas``."""


def load(name: str) -> dict[str, Any]:
    """A shipped schema by file name (``audit.schema.json``) or result type (``audit``)."""
    file = SCHEMAS.get(name, name)
    try:
        text = (resources.files("ptmscope") / "schemas" / file).read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"unknown schema {name!r}; choose from {', '.join(SCHEMAS)}") from None
    data: dict[str, Any] = json.loads(text)
    return data
