"""Performance claims in the four places authors put them.

1. ``.eval_results/*.yaml`` (the Hub's newer format), 2. ``model-index`` in the
card's YAML, 3. the Trainer's prose ("It achieves the following results on the
evaluation set: - Loss: … - Accuracy: …"), 4. Markdown tables. The first two are
machine-parseable; the last two are what most authors actually write.
Malformed entries never abort extraction: what is valid is kept and what is
not becomes a problem message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ptmscope.card import markdown, prose, tables
from ptmscope.card.build import make_claim, text_or_none
from ptmscope.card.values import metric_id
from ptmscope.package import Claim, model_index

MAX_CLAIMS = 2000


def from_model_index(
    model_index: Any, default_task: str | None, where: str
) -> tuple[list[Claim], list[str]]:
    """Claims from ``model-index``; every shape problem is reported, nothing raises."""
    claims: list[Claim] = []
    problems: list[str] = []
    models = model_index if isinstance(model_index, list) else [model_index]
    for m, model in enumerate(models):
        if not isinstance(model, dict):
            problems.append(f"model-index[{m}] is not a mapping")
            continue
        results = model.get("results")
        if not isinstance(results, list):
            problems.append(f"model-index[{m}].results is missing or not a list")
            continue
        for r, result in enumerate(results):
            key = f"model-index[{m}].results[{r}]"
            if not isinstance(result, dict):
                problems.append(f"{key} is not a mapping")
                continue
            task = result.get("task")
            task_type = (
                text_or_none(task.get("type")) or text_or_none(task.get("name"))
                if isinstance(task, dict)
                else text_or_none(task)
            )
            if task_type is None:
                problems.append(f"{key}.task has no type")
            dataset = result.get("dataset")
            ds_name = ds_config = ds_split = ds_revision = None
            if isinstance(dataset, dict):
                ds_name = text_or_none(dataset.get("type")) or text_or_none(dataset.get("name"))
                ds_config = text_or_none(dataset.get("config"))
                ds_split = text_or_none(dataset.get("split"))
                ds_revision = text_or_none(dataset.get("revision"))
                if text_or_none(dataset.get("name")) is None:
                    problems.append(f"{key}.dataset has no name")
            else:
                ds_name = text_or_none(dataset)
                problems.append(f"{key}.dataset is not a mapping")
            metrics = result.get("metrics")
            if metrics is None and isinstance(result.get("metric"), dict):
                metrics = [result["metric"]]  # the older single-metric shape
            if not isinstance(metrics, list):
                problems.append(f"{key}.metrics is missing or not a list")
                continue
            for k, metric in enumerate(metrics):
                if not isinstance(metric, dict):
                    problems.append(f"{key}.metrics[{k}] is not a mapping")
                    continue
                if "value" not in metric:
                    problems.append(f"{key}.metrics[{k}] has no value")
                    continue
                claims.append(
                    make_claim(
                        label=metric.get("name"),
                        metric=metric.get("type"),
                        raw=metric.get("value"),
                        source="model-index",
                        location=f"{where}#{key}.metrics[{k}]",
                        task=task_type or default_task,
                        dataset=ds_name,
                        config=text_or_none(metric.get("config")) or ds_config,
                        split=ds_split,
                        dataset_revision=ds_revision,
                        verified=metric.get("verified")
                        if isinstance(metric.get("verified"), bool)
                        else None,
                    )
                )
    return claims, problems


def from_eval_results(
    entries: Any, path: str, default_task: str | None
) -> tuple[list[Claim], list[str]]:
    """Claims from one ``.eval_results/*.yaml`` file (a list of results)."""
    claims: list[Claim] = []
    problems: list[str] = []
    if isinstance(entries, dict):
        entries = entries.get("results", [entries])
    if not isinstance(entries, list):
        return claims, [f"{path} is not a list of results"]
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"{path}#{i} is not a mapping")
            continue
        dataset = entry.get("dataset")
        if not isinstance(dataset, dict) or text_or_none(dataset.get("id")) is None:
            problems.append(f"{path}#{i} has no dataset.id")
            dataset = dataset if isinstance(dataset, dict) else {}
        if "value" not in entry:
            problems.append(f"{path}#{i} has no value")
            continue
        claims.append(
            make_claim(
                label=entry.get("metric") or dataset.get("task_id") or "score",
                raw=entry.get("value"),
                source="eval_results",
                location=f"{path}#{i}",
                task=default_task,
                dataset=text_or_none(dataset.get("id")),
                config=text_or_none(dataset.get("task_id")),
                split=text_or_none(dataset.get("split")),
                dataset_revision=text_or_none(dataset.get("revision")),
                verified=bool(entry.get("verifyToken")) or None,
            )
        )
    return claims, problems


_ACHIEVES = re.compile(r"achieves the following results on the (evaluation|test|validation) set")
_FINETUNED_ON = re.compile(
    r"fine-?tuned version of .{0,300}? on (?:the )?(?P<ds>[^\n]{1,120}?)"
    r"(?: dataset\b|\.(?:\s|$)|$)",
    re.IGNORECASE,
)
"""The Trainer's "fine-tuned version of X on the Y dataset" (also "on Y." without the word)."""
_ITEM = re.compile(r"^\s*[-*+]\s+(?P<label>[^:]{1,60}):\s*(?P<value>\S.{0,60}?)\s*$")


def from_trainer_prose(
    lines: Sequence[markdown.TextLine], card_path: str, default_task: str | None
) -> list[Claim]:
    """Claims from the Trainer's auto-generated "achieves the following results" list."""
    claims: list[Claim] = []
    dataset: str | None = None
    for line in lines:
        if line.in_code:
            continue
        found = _FINETUNED_ON.search(line.text)
        if found and dataset is None:
            name = found["ds"].strip().strip("[]`*")
            dataset = None if name.lower() in ("none", "an unknown", "unknown") else name
    for i, line in enumerate(lines):
        if line.in_code:
            continue
        achieves = _ACHIEVES.search(line.text.lower())
        if not achieves:
            continue
        split = {"evaluation": "eval"}.get(achieves.group(1), achieves.group(1))
        for item, match in _items_after(lines, i, _ITEM, skip_blank=False):
            claims.append(
                make_claim(
                    label=match["label"].strip(),
                    raw=match["value"],
                    source="trainer-prose",
                    location=f"{card_path}:{item.number}",
                    task=default_task,
                    dataset=dataset,
                    split=split,
                )
            )
    return claims


def _items_after(
    lines: Sequence[markdown.TextLine], start: int, item: re.Pattern[str], *, skip_blank: bool
) -> Iterator[tuple[markdown.TextLine, re.Match[str]]]:
    """The ``Label: value`` lines right after ``lines[start]`` (a results heading), up to the
    first line that is not one (blank lines skipped when ``skip_blank``)."""
    for line in lines[start + 1 :]:
        if skip_blank and not line.text.strip():
            continue
        match = None if line.in_code else item.match(line.text)
        if match is None:
            return
        yield line, match


_METRIC_LIST = re.compile(r"^\W*validation metrics\W*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]\s+)?(?P<label>[^:|]{1,60}):\s*(?P<value>[-+]?[\d.]+%?)\s*$")
_BULLET_METRIC = re.compile(
    r"^\s*(?:[-*+]\s+)?(?P<label>[^:|]{1,40}?)\s*:\s*(?P<value>[-+]?[\d.]+%?)\s*$"
)
_PROBLEM_TYPE = re.compile(r"^\W*problem type\W*:\s*(?P<kind>.+?)\s*$", re.IGNORECASE)
_PROBLEM_TASKS = {
    "binary classification": "text-classification",
    "multi-class classification": "text-classification",
    "multi class classification": "text-classification",
    "multi-label classification": "text-classification",
    "entity extraction": "token-classification",
    "extractive question answering": "question-answering",
    "summarization": "summarization",
    "translation": "translation",
    "single column regression": "text-classification",
    "regression": "text-classification",
}
"""AutoTrain/AutoNLP's "Problem type" line, the only place such cards name their task."""


def _only_dataset(metadata: Mapping[str, Any]) -> str | None:
    """The card's one declared dataset, the data its metric lists were measured on."""
    datasets = metadata.get("datasets")
    if isinstance(datasets, str):
        return datasets
    if isinstance(datasets, list) and len(datasets) == 1 and isinstance(datasets[0], str):
        return datasets[0]
    return None


def _problem_task(lines: Sequence[markdown.TextLine]) -> str | None:
    for line in lines:
        found = None if line.in_code else _PROBLEM_TYPE.match(line.text)
        if found:
            return _PROBLEM_TASKS.get(found["kind"].strip(" .*`").lower())
    return None


def from_metric_list(
    lines: Sequence[markdown.TextLine],
    card_path: str,
    default_task: str | None,
    dataset: str | None,
) -> list[Claim]:
    """Claims from a "Validation Metrics" list (AutoTrain/AutoNLP cards): ``Label: number``
    lines, bulleted or not, under that heading or line. The card's "Problem type" names
    the task when its metadata does not."""
    claims: list[Claim] = []
    task = default_task
    for i, line in enumerate(lines):
        if line.in_code or not _METRIC_LIST.match(line.text.strip().lower()):
            continue
        task = task or _problem_task(lines)
        for item, match in _items_after(lines, i, _LIST_ITEM, skip_blank=True):
            claims.append(
                make_claim(
                    label=match["label"].strip(),
                    raw=match["value"],
                    source="metric-list",
                    location=f"{card_path}:{item.number}",
                    task=task,
                    dataset=dataset,
                    split="validation",
                )
            )
    return claims


def from_metric_lines(
    lines: Sequence[markdown.TextLine],
    card_path: str,
    default_task: str | None,
    taken: set[str],
) -> list[Claim]:
    """``- bleu: 56.6`` or ``accuracy : 0.86`` anywhere in the prose (OPUS-MT's System
    Info list, hand-written "Eval results"): a line whose key is a known metric and whose
    value is a number. Lines another reader already took (``taken``) are skipped."""
    claims: list[Claim] = []
    for line in lines:
        location = f"{card_path}:{line.number}"
        found = None if line.in_code or location in taken else _BULLET_METRIC.match(line.text)
        if found is None or metric_id(found["label"]) is None:
            continue
        claims.append(
            make_claim(
                label=found["label"].strip(),
                raw=found["value"],
                source="metric-list",
                location=location,
                task=default_task,
            )
        )
    return claims


def extract(
    *,
    card_path: str | None,
    metadata: Mapping[str, Any],
    lines: Sequence[markdown.TextLine],
    eval_results: Iterable[tuple[str, Any]],
    default_task: str | None,
    model_name: str | None = None,
) -> tuple[tuple[Claim, ...], list[tuple[str, str]]]:
    """All claims of a package, machine-parseable ones first, and ``(path, problem)`` pairs.

    ``model_name`` (``owner/name``) picks this model's rows out of comparison tables."""
    claims: list[Claim] = []
    problems: list[tuple[str, str]] = []
    for path, data in eval_results:
        found, bad = from_eval_results(data, path, default_task)
        claims.extend(found)
        problems.extend((path, message) for message in bad)
    if card_path is not None:
        index = model_index(metadata)
        if index is not None:
            found, bad = from_model_index(index, default_task, card_path)
            claims.extend(found)
            problems.extend((card_path, message) for message in bad)
        # each reader runs only when the card holds what it reads (one pass over the text)
        text = "\n".join(line.text for line in lines if not line.in_code).lower()
        if "the following results" in text:
            claims.extend(from_trainer_prose(lines, card_path, default_task))
        if "validation metrics" in text:
            claims.extend(from_metric_list(lines, card_path, default_task, _only_dataset(metadata)))
        if "|" in text:
            claims.extend(tables.claims(lines, card_path, default_task, model_name))
        if ":" in text:
            taken = {claim.location for claim in claims}
            listed = from_metric_lines(lines, card_path, default_task, taken)
            claims.extend(listed)
            taken |= {claim.location for claim in listed}
        else:
            taken = {claim.location for claim in claims}
        claims.extend(prose.claims(lines, card_path, default_task, taken))
    return tuple(_with_datasets(claims[:MAX_CLAIMS], _only_dataset(metadata))), problems


_RESTATEMENTS = frozenset({"metric-list", "card-prose"})
"""Sources that restate a result given elsewhere (a System Info list repeats the table)."""


def _with_datasets(claims: list[Claim], declared: str | None) -> list[Claim]:
    """Give a claim that names no dataset the one its card implies: the dataset of the same
    result stated elsewhere with one (OPUS-MT's System Info repeats its table), else the
    card's only declared dataset (an ESPnet table whose rows name only dev/test)."""
    named = {
        (c.metric, round(c.value, 6)): c.dataset
        for c in claims
        if c.dataset and c.value is not None
    }
    filled = []
    for claim in claims:
        if claim.dataset is None and claim.value is not None:
            restated = (
                named.get((claim.metric, round(claim.value, 6)))
                if claim.source in _RESTATEMENTS
                else None
            )
            dataset = restated or declared
            if dataset is not None:
                claim = replace(claim, dataset=dataset)
        filled.append(claim)
    return filled
