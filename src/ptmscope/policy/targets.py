"""What a check may name, and how its value is read from the audit's JSON report."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from ptmscope.scoring import ATTRIBUTES

SUMMARY_TARGETS = ("overall", "coverage")
"""Read from the report's ``summary``."""


@cache
def _probe_ids() -> frozenset[str]:
    from ptmscope.probes import all_probes

    return frozenset(probe.definition.id for probe in all_probes())


def known_target(target: object) -> bool:
    """``overall``, ``coverage``, an attribute name or a probe id."""
    return isinstance(target, str) and (
        target in SUMMARY_TARGETS or target in ATTRIBUTES or target in _probe_ids()
    )


def read(report: Mapping[str, Any], target: str) -> tuple[float | None, str | None]:
    """``(score, outcome)`` of ``target`` in the report (``None`` where it has none)."""
    summary = report.get("summary") or {}
    if target in SUMMARY_TARGETS:
        return _number(summary.get(target)), None
    attributes = report.get("attributes") or {}
    if target in attributes:
        return _number((attributes[target] or {}).get("score")), None
    for attribute in attributes.values():
        for factor in ((attribute or {}).get("factors") or {}).values():
            if factor.get("probe") == target:
                return _number(factor.get("score")), factor.get("outcome")
    for finding in report.get("findings") or []:
        if finding.get("probe") == target:
            return None, finding.get("outcome")
    return None, None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
