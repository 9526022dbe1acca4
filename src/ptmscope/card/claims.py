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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ptmscope.card import markdown
from ptmscope.card.values import metric_id, parse_value
from ptmscope.package import Claim, model_index

MAX_CLAIMS = 2000


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _claim(
    *,
    label: object,
    raw: object,
    source: str,
    location: str,
    task: str | None,
    dataset: str | None = None,
    config: str | None = None,
    split: str | None = None,
    dataset_revision: str | None = None,
    subject: str | None = None,
    verified: bool | None = None,
) -> Claim:
    name = _text(label) or "unnamed"
    metric = metric_id(name) or name.lower()
    parsed = parse_value(raw, metric)
    return Claim(
        task=task,
        dataset=dataset,
        config=config,
        split=split,
        metric=metric,
        value=parsed.value,
        scale=parsed.scale,
        source=source,
        location=location,
        raw=str(raw),
        label=name,
        uncertainty=parsed.uncertainty,
        qualifier=parsed.qualifier,
        dataset_revision=dataset_revision,
        subject=subject,
        verified=verified,
    )


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
                _text(task.get("type")) or _text(task.get("name"))
                if isinstance(task, dict)
                else _text(task)
            )
            if task_type is None:
                problems.append(f"{key}.task has no type")
            dataset = result.get("dataset")
            ds_name = ds_config = ds_split = ds_revision = None
            if isinstance(dataset, dict):
                ds_name = _text(dataset.get("type")) or _text(dataset.get("name"))
                ds_config = _text(dataset.get("config"))
                ds_split = _text(dataset.get("split"))
                ds_revision = _text(dataset.get("revision"))
                if _text(dataset.get("name")) is None:
                    problems.append(f"{key}.dataset has no name")
            else:
                ds_name = _text(dataset)
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
                label = metric.get("type") or metric.get("name")
                claims.append(
                    _claim(
                        label=label,
                        raw=metric.get("value"),
                        source="model-index",
                        location=f"{where}#{key}.metrics[{k}]",
                        task=task_type or default_task,
                        dataset=ds_name,
                        config=_text(metric.get("config")) or ds_config,
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
        if not isinstance(dataset, dict) or _text(dataset.get("id")) is None:
            problems.append(f"{path}#{i} has no dataset.id")
            dataset = dataset if isinstance(dataset, dict) else {}
        if "value" not in entry:
            problems.append(f"{path}#{i} has no value")
            continue
        claims.append(
            _claim(
                label=entry.get("metric") or dataset.get("task_id") or "score",
                raw=entry.get("value"),
                source="eval_results",
                location=f"{path}#{i}",
                task=default_task,
                dataset=_text(dataset.get("id")),
                config=_text(dataset.get("task_id")),
                split=_text(dataset.get("split")),
                dataset_revision=_text(dataset.get("revision")),
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
        for item in lines[i + 1 :]:
            match = _ITEM.match(item.text)
            if match is None:
                break
            claims.append(
                _claim(
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


_METRIC_LIST = re.compile(r"^\W*validation metrics\W*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]\s+)?(?P<label>[^:|]{1,60}):\s*(?P<value>[-+]?[\d.]+%?)\s*$")


def _only_dataset(metadata: Mapping[str, Any]) -> str | None:
    """The card's one declared dataset, the data its metric lists were measured on."""
    datasets = metadata.get("datasets")
    if isinstance(datasets, str):
        return datasets
    if isinstance(datasets, list) and len(datasets) == 1 and isinstance(datasets[0], str):
        return datasets[0]
    return None


def from_metric_list(
    lines: Sequence[markdown.TextLine],
    card_path: str,
    default_task: str | None,
    dataset: str | None,
) -> list[Claim]:
    """Claims from a "Validation Metrics" list (AutoTrain/AutoNLP cards): ``Label: number``
    lines, bulleted or not, under that heading or line."""
    claims: list[Claim] = []
    for i, line in enumerate(lines):
        if line.in_code or not _METRIC_LIST.match(line.text.strip().lower()):
            continue
        for item in lines[i + 1 :]:
            if not item.text.strip():
                continue
            match = _LIST_ITEM.match(item.text)
            if item.in_code or match is None:
                break
            claims.append(
                _claim(
                    label=match["label"].strip(),
                    raw=match["value"],
                    source="metric-list",
                    location=f"{card_path}:{item.number}",
                    task=default_task,
                    dataset=dataset,
                    split="validation",
                )
            )
    return claims


_MODEL_COLUMNS = frozenset({"model", "models", "model name", "checkpoint", "variant", "system"})
"""First-column headers that make a table a comparison of models."""
_LOG_COLUMNS = frozenset({"epoch", "step", "training loss", "train loss", "steps"})
_DATASET_COLUMNS = frozenset(
    {"dataset", "data", "benchmark", "task", "test set", "testset", "eval set", "corpus"}
)
_GENERIC_VALUE = frozenset({"value", "score", "result", "results", "this model", "ours", ""})


def _key(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "", (text or "").lower())


def _is_this_model(subject: str | None, model_name: str | None) -> bool:
    """Whether a comparison table's row names this model (its repository name, either way
    contained in the row label once case and punctuation are dropped)."""
    if model_name is None:
        return True
    row, name = _key(subject), _key(model_name.rsplit("/", 1)[-1])
    return bool(row) and bool(name) and (row in name or name in row)


_NUMBER_CELL = re.compile(r"^\s*[-+]?\d+(?:\.\d+)?\s*%?\s*$")


def _comparison_claims(
    table: markdown.Table,
    header: list[str],
    card_path: str,
    default_task: str | None,
    model_name: str,
) -> list[Claim]:
    """Results tables without metric columns that compare models on benchmarks: this
    model's column (benchmarks as rows, a "metric" column if there is one), or this model's
    row (benchmarks as columns). Other models' numbers are not its claims."""
    claims: list[Claim] = []
    mine = [i for i, cell in enumerate(table.header) if i > 0 and _is_this_model(cell, model_name)]
    metric_col = next((i for i, h in enumerate(header) if h in ("metric", "metrics")), None)
    if mine:
        col = mine[0]
        label_cols = [i for i in range(col) if i != metric_col]
        for number, cells in table.rows:
            if col >= len(cells) or not _NUMBER_CELL.match(cells[col]):
                continue
            dataset = next(
                (
                    cells[i].strip()
                    for i in reversed(label_cols)
                    if i < len(cells) and cells[i].strip()
                ),
                None,
            )
            metric = cells[metric_col] if metric_col is not None and metric_col < len(cells) else ""
            claims.append(
                _claim(
                    label=metric.strip() or "score",
                    raw=cells[col],
                    source="markdown-table",
                    location=f"{card_path}:{number}",
                    task=default_task,
                    dataset=dataset,
                )
            )
        return claims
    for number, cells in table.rows:
        if not cells or not _is_this_model(cells[0], model_name):
            continue
        for col in range(1, min(len(cells), len(table.header))):
            if _NUMBER_CELL.match(cells[col]) and header[col] not in _GENERIC_VALUE:
                claims.append(
                    _claim(
                        label="score",
                        raw=cells[col],
                        source="markdown-table",
                        location=f"{card_path}:{number}",
                        task=default_task,
                        dataset=table.header[col].strip(),
                    )
                )
    return claims


def from_tables(
    lines: Sequence[markdown.TextLine],
    card_path: str,
    default_task: str | None,
    model_name: str | None = None,
) -> list[Claim]:
    """Claims from Markdown tables, by metric columns or by metric rows.

    Tables with epoch/step columns are training logs, not claims. In a comparison table
    (its first column names models) only the rows of this model are its claims; the
    others are other models' results.
    """
    claims: list[Claim] = []
    for table in markdown.tables(lines):
        header = [cell.strip().lower().strip("*_` ") for cell in table.header]
        if _LOG_COLUMNS.intersection(header):
            continue
        if header and header[0] in _MODEL_COLUMNS and model_name is not None:
            mine = tuple(
                (number, cells)
                for number, cells in table.rows
                if cells and _is_this_model(cells[0], model_name)
            )
            table = replace(table, rows=mine)
        metric_cols = [i for i, cell in enumerate(table.header) if metric_id(cell)]
        dataset_col = next((i for i, h in enumerate(header) if h in _DATASET_COLUMNS), None)
        if metric_cols:
            for number, cells in table.rows:
                subject = cells[0] if cells and 0 not in metric_cols else None
                dataset = (
                    cells[dataset_col]
                    if dataset_col is not None and dataset_col < len(cells)
                    else None
                )
                for col in metric_cols:
                    if col < len(cells):
                        claims.append(
                            _claim(
                                label=table.header[col],
                                raw=cells[col],
                                source="markdown-table",
                                location=f"{card_path}:{number}",
                                task=default_task,
                                dataset=dataset or None,
                                subject=None if subject == dataset else subject or None,
                            )
                        )
            continue
        if model_name is not None:
            found = _comparison_claims(table, header, card_path, default_task, model_name)
            if found:
                claims.extend(found)
                continue
        for number, cells in table.rows:
            if not cells or metric_id(cells[0]) is None:
                continue
            for col in range(1, min(len(cells), len(table.header))):
                column = header[col]
                claims.append(
                    _claim(
                        label=cells[0],
                        raw=cells[col],
                        source="markdown-table",
                        location=f"{card_path}:{number}",
                        task=default_task,
                        dataset=None if column in _GENERIC_VALUE else table.header[col].strip(),
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
        claims.extend(from_trainer_prose(lines, card_path, default_task))
        claims.extend(from_metric_list(lines, card_path, default_task, _only_dataset(metadata)))
        claims.extend(from_tables(lines, card_path, default_task, model_name))
    return tuple(claims[:MAX_CLAIMS]), problems
