"""Per-package analysis for the study: the same collection and probes ``audit`` runs.

A row per package: its task (card ``pipeline_tag``, else the registry's, else
``none``), whether it has a card and whether that card is only template text,
whether it holds a machine-parseable claim (a number in ``.eval_results`` or
``model-index``), its declared datasets, base models, architecture and licence,
and which of the 17 Table I factors the factor probes find present. This
function is what the process pool or the Dask cluster runs, on plain data.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ptmscope.study.db import FACTOR_COLUMNS
from ptmscope.weights import WEIGHT_SUFFIXES

_FINETUNED = re.compile(
    r"fine-?tuned version of \[?`?(?P<name>[\w.-]+(?:/[\w.-]+)?)`?\]?(?:\(https?://huggingface\.co/(?P<link>[\w.-]+(?:/[\w.-]+)?)\))?",
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
    import json

    from ptmscope.audit import evaluate
    from ptmscope.collector import collect_from as collect
    from ptmscope.errors import InputError
    from ptmscope.probes.base import Outcome
    from ptmscope.sources.record import RecordSource

    model_id = str(record["id"])
    readme = record.get("readme")
    registry_task = record.get("pipeline_tag") or None
    row: dict[str, Any] = {
        "id": model_id,
        "_source": record.get("_source"),
        "has_card": bool(readme),
    }
    try:
        package = collect(
            RecordSource(model_id, readme=readme, config_json=record.get("config_json"))
        )
    except InputError as exc:
        row.update(
            task=registry_task or "none", error=str(exc)[:300], machine_parseable=False, claims=0
        )
        return row
    result = evaluate(package, _factor_probes())
    card = package.card
    metadata = card.metadata if card is not None else {}
    task = metadata.get("pipeline_tag") if isinstance(metadata.get("pipeline_tag"), str) else None
    config = package.config or {}
    model_type = config.get("model_type") if isinstance(config.get("model_type"), str) else None
    if model_type is None and record.get("config_json"):
        try:
            model_type = json.loads(record["config_json"]).get("model_type")
        except (ValueError, AttributeError):
            model_type = None
    if not isinstance(model_type, str):
        model_type = _card_architecture(metadata)
    row.update(
        task=task or registry_task,  # NULL: the registry's task (or `none`) is used at report time
        card_words=card.words if card is not None else 0,
        template_only=card is not None and card.words == 0 and card.boilerplate_lines > 0,
        machine_parseable=any(
            c.value is not None and c.source in ("model-index", "eval_results")
            for c in package.claims
        ),
        claims=len(package.claims),
        datasets=_strings(metadata.get("datasets")),
        base_models=_strings(metadata.get("base_model")),
        finetuned_from=sorted(
            {m["link"] or m["name"] for m in _FINETUNED.finditer(readme or "")} - {model_id}
        ),
        model_type=model_type if isinstance(model_type, str) else None,
        license=next(iter(_strings(metadata.get("license"))), None),
        **_files(record.get("siblings"), config),
    )
    for finding in result.findings:
        column = _FACTOR_PROBES.get(finding.probe)
        if column is not None:
            row[column] = (
                None if finding.outcome is Outcome.UNKNOWN else finding.outcome is Outcome.PRESENT
            )
    return row


_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib")


def _files(siblings: Any, config: Any) -> dict[str, Any]:
    """Serialization format and remote code, when the record lists the package's files."""
    names = [str(s) for s in siblings] if isinstance(siblings, list | tuple) else None
    auto_map = isinstance(config, dict) and bool(config.get("auto_map"))
    if names is None:
        return {"files_known": False, "serialization": None, "remote_code": auto_map or None}
    safe = any(n.endswith(".safetensors") for n in names)
    pickled = any(
        n.endswith(_PICKLE_SUFFIXES) and not n.endswith("training_args.bin") for n in names
    )
    other = any(n.lower().endswith(tuple(WEIGHT_SUFFIXES)) for n in names)
    kind = (
        "safetensors"
        if safe
        else "pickle-only"
        if pickled
        else "other weights"
        if other
        else "none"
    )
    remote = auto_map or any(n.endswith(".py") and "/" not in n for n in names)
    return {"files_known": True, "serialization": kind, "remote_code": remote}


@lru_cache(maxsize=1)
def _factor_probes() -> tuple[Any, ...]:
    """The 17 Table I factor probes, chosen once per process rather than once per package."""
    from ptmscope.probes import all_probes

    return tuple(p for p in all_probes() if p.id in _FACTOR_PROBES)


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


def analyze_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [analyze_one(record) for record in records]


def analyze_repos(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Commit signing per git repository (bare clones in the HFTorrent layout or work trees)."""
    from pathlib import Path

    from ptmscope.errors import InputError
    from ptmscope.sources.git import GitSource

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
                error=str(exc)[:300],
            )
            rows.append(row)
            continue
        signed = [c for c in history if c.signature is not None]
        row.update(
            commits=len(history),
            signed_commits=len(signed),
            author_signed_commits=sum(
                1 for c in signed if c.signature is not None and c.signature.signer == "author"
            ),
            platform_signed_commits=sum(
                1 for c in signed if c.signature is not None and c.signature.signer != "author"
            ),
        )
        rows.append(row)
    return rows
