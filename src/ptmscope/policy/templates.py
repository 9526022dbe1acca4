"""Built-in rules, each enabled by one line under ``templates:`` in a policy file.

Each reads the audit's JSON report and says what it found that breaks the rule
(evidence), or nothing. Where the report cannot say (a local folder has no owner on
record, signatures are not checked yet), the template reports that it cannot tell,
and the policy treats it as a violation of its mode: an enforced rule fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Report = Mapping[str, Any]

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SCAN_ORDER = {"clean": 0, "suspicious": 1, "error": 2, "malicious": 3}


@dataclass(frozen=True)
class Template:
    """A built-in rule: what its setting must be, why it exists, and how it reads a report."""

    describe: Callable[[Any], str]
    """The reason a violation quotes, from the setting."""
    kind: type | tuple[type, ...]
    """What the setting must be."""
    evaluate: Callable[[Report, Any], list[str]]
    """Evidence of each violation (empty: the package meets the rule)."""

    def check_value(self, value: Any) -> str | None:
        if isinstance(value, bool) and self.kind is not bool:
            return "expects " + _kind_name(self.kind)
        if not isinstance(value, self.kind):
            return "expects " + _kind_name(self.kind)
        if isinstance(value, list) and not all(isinstance(v, str) and v for v in value):
            return "expects a list of names"
        return None

    def reason(self, value: Any) -> str:
        return self.describe(value)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {bool: "true or false", list: "a list of names", str: "a name"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, "a number") for k in kinds)


def _metadata(report: Report) -> Mapping[str, Any] | None:
    """The registry record, when the report carries one as data (today's reports name only
    where it came from)."""
    metadata = (report.get("package") or {}).get("metadata")
    return metadata if isinstance(metadata, dict) else None


def _owner(report: Report) -> str | None:
    package = report.get("package") or {}
    metadata = _metadata(report) or {}
    name = package.get("name") or metadata.get("id")
    if isinstance(name, str) and "/" in name:
        return name.split("/", 1)[0]
    author = metadata.get("author")
    return author if isinstance(author, str) and author else None


def _trusted_owners(report: Report, owners: list[str]) -> list[str]:
    owner = _owner(report)
    if owner is None:
        return ["the package's owner is unknown (no Hub id or registry record)"]
    allowed = {o.lower() for o in owners}
    return [] if owner.lower() in allowed else [f"owner {owner!r}"]


def _weights(report: Report) -> list[Mapping[str, Any]]:
    return [w for w in (report.get("package") or {}).get("weights") or [] if isinstance(w, dict)]


def _formats(report: Report, allowed: list[str]) -> list[str]:
    names = {a.lower() for a in allowed}
    return [
        f"{w.get('path')} is {w.get('format')}"
        for w in _weights(report)
        if str(w.get("format", "")).lower() not in names
    ]


def _no_pickle(report: Report, on: bool) -> list[str]:
    if not on:
        return []
    return [f"{w.get('path')} ({w.get('format')}) loads through pickle" for w in _weights(report)
            if w.get("pickle_based")]  # fmt: skip


def _scan_verdict(report: Report, worst: str) -> list[str]:
    limit = _SCAN_ORDER[worst]
    return [
        f"{scan.get('path')}: {scan.get('verdict')}"
        for scan in report.get("scans") or []
        if _SCAN_ORDER.get(str(scan.get("verdict")), 3) > limit
    ]


def _minimum(key: str) -> Callable[[Report, float], list[str]]:
    def evaluate(report: Report, floor: float) -> list[str]:
        value = (report.get("summary") or {}).get(key)
        if not isinstance(value, int | float):
            return [f"{key} is unknown"]
        return [] if value >= floor else [f"{key} {value}"]

    return evaluate


def _not_gated(report: Report, on: bool) -> list[str]:
    if not on:
        return []
    metadata = _metadata(report)
    if metadata is None or "gated" not in metadata:
        return ["gated or not is unknown: the report carries no registry record"]
    gated = metadata.get("gated")
    return [f"gated: {gated}"] if gated not in (None, False, "false", "False") else []


def _pinned(report: Report, on: bool) -> list[str]:
    if not on:
        return []
    revision = (report.get("package") or {}).get("revision")
    if isinstance(revision, str) and _COMMIT.match(revision):
        return []
    return [f"revision {revision!r} is not a full commit id" if revision else "no revision given"]


def _signed(report: Report, on: bool) -> list[str]:
    """Signatures are not verified by ptmscope yet: unknown, never passed silently."""
    return ["commit signatures are not verified yet: unknown"] if on else []


TEMPLATES: Mapping[str, Template] = {
    "trusted_owners": Template(
        lambda v: "only packages of these owners: " + ", ".join(v), list, _trusted_owners
    ),
    "formats": Template(lambda v: "only weights in these formats: " + ", ".join(v), list, _formats),
    "no_pickle": Template(
        lambda v: "no weights that load through pickle (code runs on load)", bool, _no_pickle
    ),
    "scan_verdict": Template(lambda v: f"every scanned file {v} or better", str, _scan_verdict),
    "min_score": Template(
        lambda v: f"an overall reuse score of at least {v}", (int, float), _minimum("overall")
    ),
    "min_coverage": Template(
        lambda v: f"evidence coverage of at least {v}", (int, float), _minimum("coverage")
    ),
    "not_gated": Template(lambda v: "no gated models", bool, _not_gated),
    "pinned_revision": Template(lambda v: "the revision pinned to a full commit id", bool, _pinned),
    "signed": Template(lambda v: "signed commits", bool, _signed),
}
"""Template name → rule (``schemas/policy.schema.json`` lists the same names)."""
