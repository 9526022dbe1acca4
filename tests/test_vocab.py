"""Every vocabulary that crosses a module boundary is the same in Python and in the schemas.

The JSON outputs carry enum values as strings; a consumer validates them with the
shipped schemas. Each schema keeps its vocabularies under ``$defs`` (named as
below) and refers to them; this test fails when a Python enum gains, loses or
renames a value that a schema does not (or the other way round), and when an
inline ``enum`` anywhere in a schema uses a value outside the vocabulary it draws from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ptmscope.formats.schemas import SCHEMAS, load
from ptmscope.package import CLAIM_SOURCES
from ptmscope.results.audit import Outcome, Stride
from ptmscope.results.scan import FileVerdict
from ptmscope.results.verify import ClaimVerdict
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat, ProbeKind, ScorecardVerdict, SourceKind, WeightRole

VOCABULARIES: dict[str, list[str]] = {
    "source_kind": [v.value for v in SourceKind],
    "probe_kind": [v.value for v in ProbeKind],
    "scorecard_verdict": [v.value for v in ScorecardVerdict],
    "weight_role": [v.value for v in WeightRole],
    "file_format": [v.value for v in FileFormat],
    "file_verdict": [v.value for v in FileVerdict],
    "claim_verdict": [v.value for v in ClaimVerdict],
    "outcome": [v.value for v in Outcome],
    "severity": [s.label for s in Severity],
    "stride": [v.value for v in Stride],
    "claim_source": list(CLAIM_SOURCES),
}
"""``$defs`` name -> the Python values, in the Python order."""

CARRIERS = {
    "audit": (
        "source_kind",
        "probe_kind",
        "outcome",
        "scorecard_verdict",
        "weight_role",
        "file_format",
        "file_verdict",
        "severity",
        "stride",
        "claim_source",
        "claim_verdict",
    ),
    "scan": ("file_format", "file_verdict", "severity"),
    "verify": ("claim_verdict", "claim_source"),
    "study": (),
    "select": (),
    "compare": (),
}
"""Which vocabularies each JSON output carries."""


def _enums(node: Any, path: str = "#") -> Iterator[tuple[str, list[Any]]]:
    if isinstance(node, dict):
        if "enum" in node:
            yield path, node["enum"]
        if "const" in node:
            yield path, [node["const"]]
        for key, value in node.items():
            yield from _enums(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _enums(value, f"{path}/{index}")


def test_every_json_output_is_covered() -> None:
    assert set(CARRIERS) == set(SCHEMAS)


@pytest.mark.parametrize(
    ("schema", "name"), [(schema, name) for schema, names in CARRIERS.items() for name in names]
)
def test_schema_vocabulary_equals_the_python_enum(schema: str, name: str) -> None:
    data = load(schema)
    assert data["$defs"][name]["enum"] == VOCABULARIES[name], f"{schema}.schema.json {name}"
    assert f'"#/$defs/{name}"' in str(data).replace("'", '"'), f"{name} is defined but unused"


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_no_inline_enum_strays_from_its_vocabulary(schema: str) -> None:
    for path, values in _enums(load(schema)):
        strings = [v for v in values if isinstance(v, str)]
        drawn_from = [v for v in VOCABULARIES.values() if any(s in v for s in strings)]
        if drawn_from:  # values of some vocabulary: all of them from one ("unknown" is shared)
            assert any(all(s in v for s in strings) for v in drawn_from), (
                f"{schema} {path}: {strings} are not all in any one vocabulary"
            )


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_every_carried_vocabulary_is_declared(schema: str) -> None:
    declared = {k for k in load(schema).get("$defs", {}) if k in VOCABULARIES}
    assert declared == set(CARRIERS[schema])
