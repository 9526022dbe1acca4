"""Per-package analysis for the study: the same collection and probes ``audit`` runs.

A row per package: its task (:func:`~ptmscope.package.package_task`), whether it
has a card and whether that card is only template text, whether it holds a
machine-parseable claim (:attr:`~ptmscope.package.Claim.machine_parseable`), its
declared datasets, base models, architecture and licence, which of the 17 Table I
factors the factor probes find present, and its serialization and remote code as
``risk.pickle_weights`` and ``risk.remote_code`` judge them. Commit signing per
repository is :class:`~ptmscope.package.SignatureSummary`. This function is what
the process pool or the Dask cluster runs, on plain data; it never imports the
audit orchestrator (the layer above it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ptmscope.package import Package, SignatureSummary, package_task
from ptmscope.probes.base import Finding, Outcome, Probe
from ptmscope.study.db import FACTOR_COLUMNS
from ptmscope.vocab import WeightRole

PICKLE_WEIGHTS = "risk.pickle_weights"
REMOTE_CODE = "risk.remote_code"

_FINETUNED = re.compile(
    r"fine-?tuned version of (?!(?:the|a|an|this|our|my|their)\s)"
    r"\[?`?(?P<name>[\w.-]+(?:/[\w.-]+)?)`?\]?(?:\(https?://huggingface\.co/(?P<link>[\w.-]+(?:/[\w.-]+)?)\))?",
    re.IGNORECASE,
)
_FACTOR_PROBES = {column.removeprefix("f_").replace("__", "."): column for column in FACTOR_COLUMNS}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int) and str(v)]
    return []


def analyze_one(record: dict[str, Any]) -> dict[str, Any]:
    """One ``packages`` row from a registry record (card text, config, file names).

    Every fact comes from its one owner: the collector reads the package, the
    probes ``audit`` runs decide the factors, pickle-only weights
    (``risk.pickle_weights``) and remote code (``risk.remote_code``), and
    :func:`~ptmscope.package.package_task` / :attr:`Claim.machine_parseable` the task
    and the claims column. A record that cannot be read is a row with its error.
    """
    import json

    from ptmscope.collector import collect_from
    from ptmscope.errors import InputError
    from ptmscope.sources.record import RecordSource
    from ptmscope.study.parameters import estimate_parameters

    model_id = str(record["id"])
    readme = record.get("readme")
    registry_task = record.get("pipeline_tag") or None
    siblings = record.get("siblings")
    names = [str(s) for s in siblings] if isinstance(siblings, list | tuple) else None
    row: dict[str, Any] = {
        "id": model_id,
        "_source": record.get("_source"),
        "has_card": bool(readme),
    }
    try:
        package = collect_from(
            RecordSource(
                model_id,
                readme=readme,
                config_json=record.get("config_json"),
                siblings=names or (),
            )
        )
    except InputError as exc:
        row.update(
            task=package_task(None, registry_task) or "none",
            error=str(exc)[:300],
            machine_parseable=False,
            claims=0,
        )
        return row
    findings = {probe.id: probe.check(package) for probe in _study_probes()}
    card = package.card
    metadata = card.metadata if card is not None else {}
    config = package.config or {}
    if not config and record.get("config_json"):
        try:
            loaded = json.loads(record["config_json"])
        except (ValueError, RecursionError):
            loaded = None
        config = loaded if isinstance(loaded, dict) else {}
    model_type = config.get("model_type") if isinstance(config.get("model_type"), str) else None
    if not isinstance(model_type, str):
        model_type = _card_architecture(metadata)
    row.update(
        task=package_task(metadata, registry_task),
        card_words=card.words if card is not None else 0,
        template_only=card is not None and card.words == 0 and card.boilerplate_lines > 0,
        machine_parseable=any(claim.machine_parseable for claim in package.claims),
        claims=len(package.claims),
        claim_datasets=sorted(
            {c.dataset for c in package.claims if c.machine_parseable and c.dataset}
        ),
        claim_values=_claim_values(package),
        datasets=_strings(metadata.get("datasets")),
        base_models=_strings(metadata.get("base_model")),
        finetuned_from=sorted(
            {m["link"] or m["name"] for m in _FINETUNED.finditer(readme or "")} - {model_id}
        ),
        model_type=model_type if isinstance(model_type, str) else None,
        parameters=estimate_parameters(config),
        license=next(iter(_strings(metadata.get("license"))), None),
        **_paper_columns(metadata),
        **_files(package, names is not None, findings),
    )
    for probe_id, finding in findings.items():
        column = _FACTOR_PROBES.get(probe_id)
        if column is not None:
            row[column] = (
                None if finding.outcome is Outcome.UNKNOWN else finding.outcome is Outcome.PRESENT
            )
    return row


CLAIM_VALUES = 5
"""Claims kept as text per package (machine-parseable first), for ``select``'s reasons."""


def _claim_values(package: Package) -> list[str]:
    """``metric = value on dataset (task)`` of the first claims, machine-parseable first."""
    ordered = sorted(package.claims, key=lambda c: not c.machine_parseable)
    return [
        f"{c.metric} = {c.raw} on {c.dataset or '?'}" + (f" ({c.task})" if c.task else "")
        for c in ordered[:CLAIM_VALUES]
    ]


def _paper_columns(metadata: Any) -> dict[str, Any]:
    """The card's claims as the paper's artifact read them (for the study's paper method)."""
    from ptmscope.study.paper_method import paper_claims

    found = paper_claims(metadata if hasattr(metadata, "get") else None)
    return {
        "paper_status": found.status,
        "paper_datasets": list(found.datasets),
        "paper_later_entries": found.later_entries,
        "paper_drop": found.drop,
    }


def _files(package: Package, files_known: bool, findings: dict[str, Finding]) -> dict[str, Any]:
    """Serialization and remote code, decided by ``risk.pickle_weights``/``risk.remote_code``.

    ``pickle-only`` exactly when the pickle probe detects; ``none`` when it finds no weight
    files; remote code exactly when the remote-code probe detects. Without a file list only
    a detected ``auto_map`` is known (``None`` otherwise).
    """
    remote = findings[REMOTE_CODE].outcome is Outcome.DETECTED
    if not files_known:
        return {"files_known": False, "serialization": None, "remote_code": remote or None}
    pickles = findings[PICKLE_WEIGHTS].outcome
    weights = [w for w in package.weights if w.role is WeightRole.WEIGHTS]
    if pickles is Outcome.DETECTED:
        kind = "pickle-only"
    elif not weights:
        kind = "none"
    elif any(w.format.rstrip("?") == "safetensors" for w in weights):
        kind = "safetensors"
    else:
        kind = "other weights"
    return {"files_known": True, "serialization": kind, "remote_code": remote}


@lru_cache(maxsize=1)
def _study_probes() -> tuple[Probe, ...]:
    """The 17 Table I factor probes and the two risk probes the study reports, chosen once
    per process rather than once per package."""
    from ptmscope.probes import all_probes

    wanted = set(_FACTOR_PROBES) | {PICKLE_WEIGHTS, REMOTE_CODE}
    return tuple(p for p in all_probes() if p.id in wanted)


@lru_cache(maxsize=1)
def _model_types() -> frozenset[str]:
    """Architecture names transformers knows (``bert``, ``wav2vec2``…), when it is installed."""
    try:
        from transformers.models.auto.configuration_auto import (  # type: ignore[attr-defined]
            CONFIG_MAPPING_NAMES,
        )
    except ImportError:
        return frozenset()
    return frozenset(CONFIG_MAPPING_NAMES)


def _card_architecture(metadata: Any) -> str | None:
    """The architecture the card metadata names: ``model_type``, else a tag that is one."""
    if not hasattr(metadata, "get"):
        return None
    declared = metadata.get("model_type")
    if isinstance(declared, str) and declared:
        return declared
    known = _model_types()
    for tag in _strings(metadata.get("tags")):
        if tag.lower() in known:
            return tag.lower()
    return None


def prepare() -> None:
    """Import what :func:`analyze_one` needs, once, in the process that starts the pool.

    Forked workers inherit it: each worker of each source's pool paid the imports
    (about 2 s, transformers' architecture names included) on its first package before.
    """
    import ptmscope.collector
    import ptmscope.sources.record  # noqa: F401

    _study_probes()
    _model_types()


def analyze_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`analyze_one` over a chunk (what one worker process runs)."""
    return [analyze_one(record) for record in records]


def analyze_repos(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Commit signing per git repository (bare clones in the HFTorrent layout or work trees)."""
    from pathlib import Path

    from ptmscope.errors import InputError
    from ptmscope.package import COMMIT_STATES
    from ptmscope.sources.git import GitSource
    from ptmscope.study.db import state_column

    rows = []
    for record in records:
        row: dict[str, Any] = {"id": record["id"], "_source": record.get("_source")}
        try:
            with GitSource(Path(record["path"])) as source:
                history = source.history() or ()
        except InputError as exc:
            row.update(
                commits=0,
                signed_commits=0,
                author_signed_commits=0,
                platform_signed_commits=0,
                **{state_column(state): 0 for state in COMMIT_STATES},
                error=str(exc)[:300],
            )
            rows.append(row)
            continue
        summary = SignatureSummary.of(history)
        row.update(
            commits=summary.commits,
            signed_commits=summary.signed,
            author_signed_commits=summary.author_signed,
            platform_signed_commits=summary.platform_signed,
            **{state_column(state): summary.states.get(state, 0) for state in COMMIT_STATES},
        )
        rows.append(row)
    return rows
