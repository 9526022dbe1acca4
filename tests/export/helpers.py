"""Shared by the export tests: real packages, and the validators every test runs."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from ptmscope.export.validate import check_spdx
from ptmscope.results.audit import AuditResult
from ptmscope.results.verify import ClaimResult, ClaimVerdict

GIT_REPOS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "registry" / "git_repos"
)


def safetensors_bytes() -> bytes:
    """A real two-tensor safetensors file, written by hand (no torch import needed)."""
    header = {
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
    }
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(24)


def cyclonedx(text: str, version: str = "1.6") -> dict[str, Any]:
    """The BOM, after the official schema the CycloneDX library bundles accepted it."""
    error = JsonStrictValidator(SchemaVersion.from_version(version)).validate_str(text)
    assert error is None, error
    document: dict[str, Any] = json.loads(text)
    assert document["specVersion"] == version
    return document


def spdx(text: str) -> dict[str, Any]:
    """The SPDX document, after the official schema, spdx-python-model, the SHACL shapes
    and the graph checks accepted it."""
    check_spdx(text)
    document: dict[str, Any] = json.loads(text)
    return document


def nodes(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in document["@graph"] if n.get("type") == kind]


def relationships(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in nodes(document, "Relationship") if n["relationshipType"] == kind]


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["spdxId"]: n for n in document["@graph"] if "spdxId" in n}


MEASURED = ClaimResult(
    task="text-classification",
    dataset="imdb",
    config=None,
    split="test",
    metric="accuracy",
    claimed=0.913,
    measured=0.8875,
    ci=(0.86, 0.91),
    n=400,
    verdict=ClaimVerdict.OVER_CLAIMED,
    reason="the claim is above the interval",
    source="model-index",
    location="README.md#model-index",
)
"""A re-measured claim, as ``audit --verify`` records it (the model itself is not run here)."""


def with_measurement(result: AuditResult) -> AuditResult:
    return replace(result, package=replace(result.package, verifications=(MEASURED,)))
