"""Built-in rules, each enabled by one line under ``templates:`` in a policy file.

Each reads the audit's JSON report and says what it found that breaks the rule
(evidence), or nothing. Where the report cannot say (a local folder has no owner on
record, a report without signature states), the template reports that it cannot tell,
and the policy treats it as a violation of its mode: an enforced rule fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ptmscope.sources.metadata import parse_moment

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
    choices: tuple[str, ...] = ()
    """The values a name setting may take (empty: any)."""

    def check_value(self, value: Any) -> str | None:
        if isinstance(value, bool) and self.kind is not bool:
            return "expects " + _kind_name(self.kind)
        if not isinstance(value, self.kind):
            return "expects " + _kind_name(self.kind)
        if isinstance(value, list) and not all(isinstance(v, str) and v for v in value):
            return "expects a list of names"
        if isinstance(value, dict) and not (value.get("allow") or value.get("deny")):
            return "expects " + _kind_name(dict)
        if self.choices and value not in self.choices:
            return f"expects one of {', '.join(self.choices)} (got {value!r})"
        return None

    def reason(self, value: Any) -> str:
        return self.describe(value)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        bool: "true or false",
        list: "a list of names",
        str: "a name",
        dict: "`allow` and/or `deny` lists of licence ids",
    }
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, "a number") for k in kinds)


def _package(report: Report) -> Mapping[str, Any]:
    package = report.get("package")
    return package if isinstance(package, dict) else {}


def _registry(report: Report) -> Mapping[str, Any] | None:
    """The registry's record (``package.registry``), when the report carries one."""
    record = _package(report).get("registry")
    return record if isinstance(record, dict) else None


def _owner(report: Report) -> str | None:
    record = _registry(report) or {}
    author = record.get("author")
    if isinstance(author, str) and author:
        return author
    name = _package(report).get("name") or record.get("id")
    if isinstance(name, str) and "/" in name:
        return name.split("/", 1)[0]
    return None


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


def _no_keras_lambda(report: Report, on: bool) -> list[str]:
    """Keras ``Lambda`` layers run Python (bytecode, or a function by name) when loaded."""
    if not on:
        return []
    scans = report.get("scans") or []
    if any(isinstance(scan, dict) and "rules" not in scan for scan in scans):
        return ["unknown: the report predates scans[].rules (audit schema 2.4.0); audit again"]
    return [
        f"{scan.get('path')}: {rule}"
        for scan in scans
        for rule in scan.get("rules") or ()
        if str(rule).startswith("keras.lambda")
    ]


_SEVERITIES = ("info", "low", "medium", "high", "critical")


def _scan_severity(report: Report, floor: str) -> list[str]:
    """A scan finding at or above ``floor``, or a file not scanned completely."""
    limit = _SEVERITIES.index(floor)
    found = []
    for scan in report.get("scans") or []:
        if not isinstance(scan, dict):
            continue
        if "worst" not in scan:
            return ["unknown: the report predates scans[].worst (audit schema 2.4.0); audit again"]
        worst = scan.get("worst")
        if worst in _SEVERITIES and _SEVERITIES.index(str(worst)) >= limit:
            found.append(f"{scan.get('path')}: a {worst} finding")
        elif scan.get("errors"):
            found.append(
                f"{scan.get('path')}: not scanned completely ({scan.get('errors')} error(s))"
            )
    return found


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
    record = _registry(report)
    if record is None or record.get("gated") is None:
        return ["gated or not is unknown: the report carries no registry record"]
    gated = record["gated"]
    return [f"gated: {gated}"] if gated not in (False, "false", "False") else []


def _licenses(report: Report, setting: Mapping[str, Any]) -> list[str]:
    """The package's own licence, then each ancestor's whose licence is known."""
    allow = {str(n).lower() for n in setting.get("allow") or ()}
    deny = {str(n).lower() for n in setting.get("deny") or ()}

    def judge(where: str, ids: list[str]) -> list[str]:
        if not ids:
            return [f"{where} declares no licence"] if allow else []
        lowered = [i.lower() for i in ids]
        bad = [i for i, low in zip(ids, lowered, strict=True) if low in deny]
        if allow and not any(low in allow for low in lowered):
            bad += [i for i in ids if i not in bad]
        return [f"{where} is licensed {', '.join(bad)}"] if bad else []

    package = _package(report)
    found = judge("the package", [str(i) for i in package.get("licenses") or ()])
    if package.get("lineage_complete") is False:
        found.append("the lineage is longer than was read: the furthest base models are unknown")
    for ancestor in package.get("lineage") or ():
        if isinstance(ancestor, dict) and isinstance(ancestor.get("licenses"), list):
            where = f"ancestor {ancestor.get('id')} (base model, depth {ancestor.get('depth')})"
            found += judge(where, [str(i) for i in ancestor["licenses"]])
    return found


def _claims_verified(report: Report, on: bool) -> list[str]:
    """Every claim re-measured (``audit --verify``) and none over-claimed."""
    if not on:
        return []
    claims = report.get("claims") or []
    results = report.get("verifications")
    if not claims:
        return ["the card makes no machine-readable performance claim to verify"]
    if results is None:
        return [f"{len(claims)} claim(s) not re-measured (run `audit --verify`)"]
    problems = [
        f"{r.get('metric')} on {r.get('dataset')}: {r.get('verdict')} ({r.get('reason')})"
        for r in results
        if isinstance(r, dict) and r.get("verdict") not in ("consistent", "under-claimed")
    ]
    return problems or ([] if results else ["no claim could be re-measured"])


def _cooldown(report: Report, days: float) -> list[str]:
    """A model, or the audited revision, younger than ``days`` when the audit ran."""
    generated = parse_moment(report.get("generated_at"))
    dates = _package(report).get("dates") or {}
    if generated is None:
        return ["the report has no audit time: the model's age is unknown"]
    found = []
    for key, what in (("revision", "the revision"), ("created", "the model")):
        moment = parse_moment(dates.get(key))
        if moment is None:
            continue
        age = (generated - moment).total_seconds() / 86400
        if age < days:
            found.append(f"{what} is {max(age, 0):.1f} days old ({moment.date().isoformat()})")
    if (
        not found
        and parse_moment(dates.get("revision")) is None
        and parse_moment(dates.get("created")) is None
    ):
        return ["the model's age is unknown: no registry dates and no history"]
    return found


def _pinned(report: Report, on: bool) -> list[str]:
    if not on:
        return []
    revision = (report.get("package") or {}).get("revision")
    if isinstance(revision, str) and _COMMIT.match(revision):
        return []
    return [f"revision {revision!r} is not a full commit id" if revision else "no revision given"]


def _signed(report: Report, on: bool) -> list[str]:
    """A model signature that verifies and covers every file, or an author-verified newest
    commit (it signs the whole tree); an invalid signature of either kind breaks the rule.
    Nothing known is unknown, never a pass.

    A verified signature with files outside its manifest does not pass on its own: what
    lies outside (a code file, another weights file beside the signed one) is as unsigned
    as in a package with no signature at all."""
    if not on:
        return []
    signature = report.get("signature") or {}
    history = (report.get("package") or {}).get("history") or {}
    states = history.get("states") or {}
    found = []
    if signature.get("state") == "invalid":
        found.append(f"model signature invalid: {signature.get('reason', '')}".rstrip(": "))
    if states.get("invalid"):
        found.append(f"{states['invalid']} commit signature(s) do not verify")
    if found:
        return found
    outside = list(signature.get("files_unsigned") or ())
    if signature.get("state") == "verified" and not outside:
        return []
    newest = next(
        (f for f in report.get("findings") or () if f.get("probe") == "risk.history_unsigned"),
        None,
    )
    if states.get("author-verified") and newest is not None and newest.get("outcome") == "clear":
        return []
    if not signature and not states:
        return [
            "signatures are not verified yet: the report carries no model signature and no "
            "commit states (audit schema 2.5.0); unknown"
        ]
    model = signature.get("state") or "unknown"
    if model == "verified":
        model += f" but {len(outside)} file(s) outside it ({', '.join(outside[:3])})"
    commits = (
        ", ".join(f"{count} {state}" for state, count in states.items() if count)
        if states
        else "commit signatures unknown"
    )
    return [f"model signature {model}; commits: {commits}; no author-verified newest commit"]


def _describe_licenses(setting: Mapping[str, Any]) -> str:
    parts = []
    if setting.get("allow"):
        parts.append("licensed " + " or ".join(setting["allow"]))
    if setting.get("deny"):
        parts.append("never " + ", ".join(setting["deny"]))
    return " and ".join(parts) + ", the base models' licences included where known"


TEMPLATES: Mapping[str, Template] = {
    "trusted_owners": Template(
        lambda v: "only packages of these owners: " + ", ".join(v), list, _trusted_owners
    ),
    "formats": Template(lambda v: "only weights in these formats: " + ", ".join(v), list, _formats),
    "no_pickle": Template(
        lambda v: "no weights that load through pickle (code runs on load)", bool, _no_pickle
    ),
    "no_keras_lambda": Template(
        lambda v: "no Keras Lambda layers (they run Python when the model loads)",
        bool,
        _no_keras_lambda,
    ),
    "scan_severity": Template(
        lambda v: f"no scan finding at {v} or above, every file scanned completely",
        str,
        _scan_severity,
        _SEVERITIES,
    ),
    "scan_verdict": Template(
        lambda v: f"every scanned file {v} or better", str, _scan_verdict, ("clean", "suspicious")
    ),
    "min_score": Template(
        lambda v: f"an overall reuse score of at least {v}", (int, float), _minimum("overall")
    ),
    "min_coverage": Template(
        lambda v: f"evidence coverage of at least {v}", (int, float), _minimum("coverage")
    ),
    "not_gated": Template(lambda v: "no gated models", bool, _not_gated),
    "licenses": Template(_describe_licenses, dict, _licenses),
    "claims_verified": Template(
        lambda v: "every performance claim re-measured and none over-claimed",
        bool,
        _claims_verified,
    ),
    "cooldown_days": Template(
        lambda v: f"no model or revision younger than {v:g} days", (int, float), _cooldown
    ),
    "pinned_revision": Template(lambda v: "the revision pinned to a full commit id", bool, _pinned),
    "signed": Template(
        lambda v: (
            "a verified signature (a model signature covering every file, or an "
            "author-verified newest commit)"
        ),
        bool,
        _signed,
    ),
}
"""Template name → rule (``schemas/policy.schema.json`` lists the same names)."""
