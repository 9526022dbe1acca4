"""Models side by side: each model's audit report turned into the rows a chooser reads
(``ptmscope compare``; :func:`ptmscope.api.compare` audits the models).

Every value comes from the audit report (``results.audit_report.build``), the one view all
audit formats render, so ``compare`` never disagrees with ``audit`` about a model; the task
stage (``--data``) adds LogME and probe rows from :func:`ptmscope.selection.transfer.task_stage`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.results.compare import CompareResult, ModelColumn, Row, TaskStage, Value
from ptmscope.selection.facts import parameter_count

MIN_MODELS = 2
"""A comparison needs two models (one is an audit)."""
SCAN_ORDER = ("malicious", "suspicious", "error", "clean")
"""Scan verdicts, worst first: a package's scan verdict is that of its worst file."""
_ATTRIBUTES = (
    "quality",
    "popularity",
    "maintenance",
    "provenance",
    "reproducibility",
    "portability",
)


def _scan_verdict(report: Mapping[str, Any]) -> str | None:
    """The worst verdict of the scanned files; weight files that were not there to scan
    (LFS pointers, a card-only folder) are said, so "clean" never covers them."""
    scanned = {s["path"] for s in report["scans"]}
    verdicts = {s["verdict"] for s in report["scans"]}
    worst = next((v for v in SCAN_ORDER if v in verdicts), None)
    unscanned = [
        w for w in report["package"].get("weights", ())
        if not w.get("available", True) and w["path"] not in scanned
    ]  # fmt: skip
    if not unscanned:
        return worst
    files = f"{len(unscanned)} weight file{'s' if len(unscanned) != 1 else ''} not scanned"
    return f"{worst} ({files})" if worst is not None else files


def _factors(report: Mapping[str, Any]) -> tuple[str, ...]:
    """Documentation factors (Table I) found present, as ``attribute.factor``."""
    return tuple(
        f"{name}.{factor}"
        for name, attribute in report["attributes"].items()
        for factor, found in attribute["factors"].items()
        if found["kind"] == "factor" and found["outcome"] == "present"
    )


def _inherited(package: Mapping[str, Any]) -> tuple[str, ...]:
    """Each ancestor's licences (``id: mit``), ``unknown`` where its record was not read."""
    shown = tuple(
        f"{a['id']}: {', '.join(a['licenses']) if a['licenses'] is not None else 'unknown'}"
        for a in package["lineage"]
    )
    return shown if package["lineage_complete"] else (*shown, "(lineage incomplete)")


def _claims(report: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        f"{c['task'] or '?'} / {c['dataset'] or '?'} / {c['metric']} = {c['raw']}"
        for c in report["claims"]
    )


def _verifications(report: Mapping[str, Any]) -> tuple[str, ...] | None:
    found = report.get("verifications")
    if found is None:
        return None
    return tuple(f"{v['metric']} on {v['dataset'] or '?'}: {v['verdict']}" for v in found)


def _weights(package: Mapping[str, Any]) -> int | None:
    return parameter_count((w["format"], w["role"], w["parameters"]) for w in package["weights"])


_FACTS: tuple[tuple[str, str, Callable[[Mapping[str, Any]], Value]], ...] = (
    ("summary.overall", "overall score", lambda r: r["summary"]["overall"]),
    ("summary.verdict", "verdict", lambda r: r["summary"]["verdict"]),
    ("summary.coverage", "coverage", lambda r: r["summary"]["coverage"]),
    *(
        (f"attribute.{name}", f"{name} score", lambda r, n=name: r["attributes"][n]["score"])
        for name in _ATTRIBUTES
    ),
    ("license", "licence", lambda r: tuple(r["package"]["licenses"])),
    ("license.inherited", "inherited licence", lambda r: _inherited(r["package"])),
    (
        "formats",
        "weight formats",
        lambda r: tuple(
            sorted({w["format"] for w in r["package"]["weights"] if w["role"] == "weights"})
        ),
    ),
    ("scan.verdict", "scan verdict", _scan_verdict),
    (
        "signature.state",
        "signature",
        lambda r: None if r["signature"] is None else r["signature"]["state"],
    ),
    ("card.factors", "card factors present", _factors),
    ("claims", "claims (task / dataset / metric = value)", _claims),
    ("lineage.depth", "lineage depth", lambda r: max((a["depth"] for a in r["package"]["lineage"]), default=0)),
    ("parameters", "parameters", lambda r: _weights(r["package"])),
    ("bytes", "size on disk (bytes)", lambda r: r["package"]["bytes"]),
)  # fmt: skip
"""Row key, label, and how its value is read from one audit report (in display order)."""
_REGISTRY = (("downloads", "downloads"), ("likes", "likes"))


def rows_of(
    reports: Sequence[Mapping[str, Any]],
    refs: Sequence[str],
    decisions: Sequence[str | None] | None = None,
    task: TaskStage | None = None,
) -> tuple[Row, ...]:
    """The comparison rows of audit reports (one per model, in column order; ``refs`` name
    them as the task stage does)."""
    rows = [Row(key, label, tuple(read(r) for r in reports)) for key, label, read in _FACTS]
    verified = [_verifications(r) for r in reports]
    if any(v is not None for v in verified):
        rows.append(Row("claims.verified", "claims verified on --data", tuple(verified)))
    for key, label in _REGISTRY:
        values = tuple(
            None if r["package"]["registry"] is None else r["package"]["registry"][key]
            for r in reports
        )
        if any(v is not None for v in values):  # a row only when some metadata exists
            rows.append(Row(key, label, values))
    if decisions is not None:
        rows.append(Row("policy.decision", "policy decision", tuple(decisions)))
    if task is not None:
        by_ref = {c.ref: c for c in task.candidates}
        scores = [by_ref[ref] for ref in refs]
        rows += [
            Row("task.logme", "LogME on --data", tuple(s.logme for s in scores)),
            Row("task.probe_accuracy", f"{task.folds}-fold probe accuracy",
                tuple(s.probe_accuracy for s in scores)),
            Row("task.error", "task stage error", tuple(s.error for s in scores)),
        ]  # fmt: skip
    return tuple(rows)


def check_inputs(
    refs: Sequence[str], data: Path | None, columns: Mapping[str, str] | None, limit: int | None
) -> None:
    """Refuse a comparison that cannot be made before any model is audited: fewer than two
    models, a model named twice, a ``--data`` file that cannot be used."""
    if len(refs) < MIN_MODELS:
        raise InputError(f"compare needs at least {MIN_MODELS} models (got {len(refs)})")
    if len(set(refs)) != len(refs):
        raise InputError("compare: a model is named twice")
    if data is not None:
        from ptmscope.extras import require
        from ptmscope.selection.transfer import load_sample

        require("verify", "compare --data")
        load_sample(data, columns, limit)


def side_by_side(
    refs: Sequence[str],
    reports: Sequence[Mapping[str, Any]],
    decisions: Sequence[str | None] | None,
    failing: Sequence[str],
    task: TaskStage | None = None,
) -> CompareResult:
    """The comparison of audit ``reports`` (one per ref, in order)."""
    models = tuple(
        ModelColumn(ref, r["package"]["revision"], r["package"]["commit"], r["package"]["name"])
        for ref, r in zip(refs, reports, strict=True)
    )
    return CompareResult(models, rows_of(reports, refs, decisions, task), task, tuple(failing))
