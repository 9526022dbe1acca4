"""From claims to measurements: recipes, data, model runs, statistics, verdicts.

Claims are grouped by task and data so that the model runs once per dataset,
however many metrics the card claims on it. Every claim gets a verdict, with a
reason when it could not be checked.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from ptmscope.errors import InputError
from ptmscope.package import Claim, Package
from ptmscope.results.verify import ClaimResult, ClaimVerdict
from ptmscope.verify.data import (
    DataUnavailable,
    Table,
    load_file,
    load_hub,
    resolve_columns,
    sample,
)
from ptmscope.verify.metrics import METRICS, Estimate, Metric
from ptmscope.verify.options import VerifyOptions as VerifyOptions
from ptmscope.verify.run import ModelUnavailable, Runner, Step, quiet_libraries

TASK_ALIASES = {
    "text-classification": "text-classification",
    "sentiment-analysis": "text-classification",
    "natural-language-inference": "text-classification",
    "token-classification": "token-classification",
    "ner": "token-classification",
    "named-entity-recognition": "token-classification",
    "image-classification": "image-classification",
    "automatic-speech-recognition": "automatic-speech-recognition",
    "asr": "automatic-speech-recognition",
    "summarization": "summarization",
    "translation": "translation",
    "text2text-generation": "translation",
    "question-answering": "question-answering",
    "extractive-question-answering": "question-answering",
    "sentence-similarity": "sentence-similarity",
    "semantic-similarity": "sentence-similarity",
    "feature-extraction": "sentence-similarity",
    "fill-mask": "fill-mask",
}
RECIPES: dict[str, dict[str, str]] = {
    "text-classification": {
        "accuracy": "accuracy", "f1": "f1", "f1_macro": "f1_macro", "f1_micro": "f1_micro",
        "f1_weighted": "f1_weighted", "precision": "precision", "recall": "recall",
    },
    "token-classification": {
        "f1": "seqeval_f1", "precision": "seqeval_precision", "recall": "seqeval_recall",
        "accuracy": "seqeval_accuracy",
    },
    "image-classification": {"accuracy": "accuracy", "top5_accuracy": "top_k_accuracy"},
    "automatic-speech-recognition": {"wer": "wer", "cer": "cer"},
    "summarization": {"rouge1": "rouge1", "rouge2": "rouge2", "rougeL": "rougeL", "rougeLsum": "rougeLsum"},
    "translation": {"bleu": "bleu", "chrf": "chrf"},
    "question-answering": {"exact_match": "exact_match", "f1": "squad_f1"},
    "sentence-similarity": {"spearman": "spearman", "pearson": "pearson"},
    "fill-mask": {"accuracy": "top_k_accuracy", "top5_accuracy": "top_k_accuracy"},
}  # fmt: skip
INCONCLUSIVE_HALF_WIDTH = 0.1
"""On the fraction scale: an interval wider than ±0.1 decides nothing."""
ROUNDING = 0.005
"""Claims are printed rounded; an interval is widened by this much before judging."""
TOP_K = 5
"""Predictions ranked for a ``top5_accuracy`` claim (the cards' top-5 metric)."""
PERCENT_SCALE = 100.0
"""A claimed value above 1 and up to this is read as points on a 0–100 scale (91.3 → 0.913)."""
MAX_ERROR_CHARS = 200
"""Characters of a model's error message kept in an ``unverifiable`` reason."""


class Progress(NamedTuple):
    """Where a verify run is: which group of claims (one pass of the model over one
    dataset) and how far the model has got on its distinct inputs."""

    group: int
    """1-based."""
    groups: int
    label: str
    """``sentence-similarity on lee.csv (2 claims)``."""
    done: int
    total: int
    seconds: float
    """Since the model started on this group's inputs."""


def normalize_task(task: str | None) -> str | None:
    if not task:
        return None
    key = task.strip().lower().replace("_", "-")
    if key.startswith("translation"):
        return "translation"
    return TASK_ALIASES.get(key)


def _key(name: str) -> str:
    return name.strip().lower()


def _data_path(claim: Claim, options: VerifyOptions) -> str | None:
    mapping = {_key(k): v for k, v in options.data.items()}
    for candidate in (claim.dataset, (claim.dataset or "").rsplit("/", 1)[-1]):
        if candidate and _key(candidate) in mapping:
            return mapping[_key(candidate)]
    return mapping.get("*")


def _unverifiable(claim: Claim, task: str | None, reason: str) -> ClaimResult:
    return ClaimResult(
        task=task, dataset=claim.dataset, config=claim.config, split=claim.split, metric=claim.metric,
        claimed=claim.value, measured=None, ci=None, n=0, verdict=ClaimVerdict.UNVERIFIABLE, reason=reason,
        source=claim.source, location=claim.location,
    )  # fmt: skip


def verify_package(
    package: Package,
    folder: Path,
    options: VerifyOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> list[ClaimResult]:
    """Re-measure every claim of ``package`` with the model in ``folder``; one result each.

    Claims that share a task, dataset, config and split share one pass of the model, since
    inference dominates the cost. A claim that cannot be checked (no number, task, recipe,
    data, or a model that will not run) becomes ``unverifiable`` with its reason, never an
    error that loses the other claims.
    """
    options = options or VerifyOptions()
    default_task = package.task
    results: list[ClaimResult | None] = []
    groups: dict[tuple[str, str, str | None, str | None], list[tuple[int, Claim, Metric]]] = (
        defaultdict(list)
    )
    for claim in package.claims:
        task = normalize_task(claim.task) or normalize_task(default_task)
        if claim.value is None:
            results.append(
                _unverifiable(claim, task, f"the claimed value {claim.raw!r} is not a number")
            )
            continue
        if task is None:
            results.append(
                _unverifiable(
                    claim, None, "no task: the card names no pipeline_tag and the claim no task"
                )
            )
            continue
        metric_id = RECIPES[task].get(claim.metric)
        if metric_id is None:
            results.append(_unverifiable(claim, task, f"no recipe for {claim.metric!r} on {task}"))
            continue
        path = _data_path(claim, options)
        if path is None and not claim.dataset:
            results.append(
                _unverifiable(claim, task, "the claim names no dataset; pass --data '*=PATH'")
            )
            continue
        source = f"file:{path}" if path else f"hub:{claim.dataset}"
        groups[(task, source, claim.config, claim.split)].append(
            (len(results), claim, METRICS[metric_id])
        )
        results.append(None)
    for _, source, _, _ in groups:
        if source.startswith("file:") and not Path(source.removeprefix("file:")).exists():
            raise InputError(f"--data {source.removeprefix('file:')}: no such file or folder")
    if groups and options.quiet_libraries:
        quiet_libraries()
    runner: Runner | None = None
    runner_error: str | None = None
    for number, ((task, source, config, split), members) in enumerate(groups.items(), 1):
        plural = "s" if len(members) != 1 else ""
        label = f"{task} on {_source_name(source)} ({len(members)} claim{plural})"
        try:
            if source.startswith("file:"):
                try:
                    table = load_file(Path(source.removeprefix("file:")))
                except DataUnavailable as exc:
                    raise InputError(f"--data {exc}") from None
            elif options.hub_datasets:
                table = load_hub(source.removeprefix("hub:"), config, split)
            else:
                raise DataUnavailable(
                    f"dataset {source.removeprefix('hub:')!r} not mapped; pass --data NAME=PATH"
                )
            rows = sample(table.rows, options.limit, options.seed)
            try:
                columns = resolve_columns(task, Table(rows, table.origin), options.columns)
            except DataUnavailable as exc:
                if source.startswith("file:"):
                    raise InputError(f"--data {exc}") from None
                raise
            if runner is None and runner_error is None:
                try:
                    runner = Runner(folder, options.batch_size)
                except ModelUnavailable as exc:
                    runner_error = str(exc)
            if runner is None:
                raise ModelUnavailable(runner_error or "model unavailable")
            runner.progress = _reporter(progress, number, len(groups), label)
            predictions = _predict(task, runner, rows, columns, members)
        except (DataUnavailable, ModelUnavailable) as exc:
            for index, claim, _ in members:
                results[index] = _unverifiable(claim, task, str(exc))
            continue
        except (ValueError, KeyError, TypeError, RuntimeError, OSError, IndexError) as exc:
            detail = str(exc).splitlines()[0][:MAX_ERROR_CHARS] if str(exc) else ""
            reason = f"the model failed on this data: {type(exc).__name__}: {detail}"
            for index, claim, _ in members:
                results[index] = _unverifiable(claim, task, reason)
            continue
        note = _truncation_note(runner)
        for index, claim, metric in members:
            preds, refs = predictions[metric.id]
            measurement = metric.compute(preds, refs)
            result = judge(claim, task, metric, measurement, table.origin)
            if note:
                result = replace(result, reason=f"{result.reason}; {note}")
            results[index] = result
    return [r for r in results if r is not None]


def _source_name(source: str) -> str:
    """``file:/data/lee.csv`` → ``lee.csv``; ``hub:glue`` → ``glue``."""
    if source.startswith("file:"):
        return Path(source.removeprefix("file:")).name
    return source.removeprefix("hub:")


def _reporter(
    progress: Callable[[Progress], None] | None, group: int, groups: int, label: str
) -> Callable[[Step], None] | None:
    if progress is None:
        return None
    progress(Progress(group, groups, label, 0, 0, 0.0))

    def report(step: Step) -> None:
        progress(Progress(group, groups, label, step.done, step.total, step.seconds))

    return report


def _truncation_note(runner: Runner | None) -> str:
    """What the report says when inputs were cut to the model's window."""
    if runner is None or not runner.truncated:
        return ""
    window = f" of {runner.window} tokens" if runner.window else ""
    count = runner.truncated
    return (
        f"{count} input{'s' if count != 1 else ''} longer than the model's window{window} "
        "truncated to fit, as the model would be run on them"
    )


# ---------------------------------------------------------------- predictions
def _label_key(value: Any) -> str:
    text = str(value).strip()
    return text.lower()


def _normalize_text(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) - {"'"})
    return re.sub(r"\s+", " ", text).strip()


def _as_label(pred: int, labels: Mapping[int, str], reference: Any) -> str:
    """A predicted id in the reference's vocabulary (ids stay ids, names become names)."""
    if isinstance(reference, int) or str(reference).strip().lstrip("-").isdigit():
        return str(pred)
    return _label_key(labels.get(pred, str(pred)))


def _predict(
    task: str,
    runner: Runner,
    rows: list[dict[str, Any]],
    columns: dict[str, str],
    members: Sequence[tuple[int, Claim, Metric]],
) -> dict[str, tuple[list[Any], list[Any]]]:
    metric_ids = {metric.id for _, _, metric in members}
    out: dict[str, tuple[list[Any], list[Any]]] = {}
    if task == "text-classification":
        texts = [str(r[columns["text"]]) for r in rows]
        pairs = [str(r[columns["text_pair"]]) for r in rows] if "text_pair" in columns else None
        ids, labels = runner.classify(texts, pairs)
        refs = [r[columns["label"]] for r in rows]
        _check_labels(refs, labels)
        preds = [_as_label(p, labels, ref) for p, ref in zip(ids, refs, strict=True)]
        keys = [_label_key(ref) for ref in refs]
        return {m: (preds, keys) for m in metric_ids}
    if task == "token-classification":
        sentences = [_as_list(r[columns["tokens"]]) for r in rows]
        tags, labels = runner.tag(sentences)
        refs = [
            [
                labels.get(int(t), str(t)) if str(t).isdigit() else str(t)
                for t in _as_list(r[columns["tags"]])
            ]
            for r in rows
        ]
        return {m: (tags, refs) for m in metric_ids}
    if task == "image-classification":
        ranked, labels = runner.classify_images([str(r[columns["image"]]) for r in rows], k=TOP_K)
        refs = [r[columns["label"]] for r in rows]
        _check_labels(refs, labels)
        keys = [_label_key(ref) for ref in refs]
        names = [
            [_as_label(p, labels, ref) for p in row] for row, ref in zip(ranked, refs, strict=True)
        ]
        for m in metric_ids:
            out[m] = (
                ([row[:TOP_K] for row in names], keys)
                if m == "top_k_accuracy"
                else ([row[0] for row in names], keys)
            )
        return out
    if task == "automatic-speech-recognition":
        heard = runner.transcribe([str(r[columns["audio"]]) for r in rows])
        refs = [_normalize_text(str(r[columns["text"]])) for r in rows]
        return {m: ([_normalize_text(h) for h in heard], refs) for m in metric_ids}
    if task in ("summarization", "translation"):
        source_key, target_key = (
            ("document", "summary") if task == "summarization" else ("source", "target")
        )
        produced = runner.generate([str(r[columns[source_key]]) for r in rows])
        return {m: (produced, [str(r[columns[target_key]]) for r in rows]) for m in metric_ids}
    if task == "question-answering":
        answers = runner.answer(
            [str(r[columns["question"]]) for r in rows], [str(r[columns["context"]]) for r in rows]
        )
        refs = [_answers(r[columns["answers"]]) for r in rows]
        return {m: (answers, refs) for m in metric_ids}
    if task == "sentence-similarity":
        left_texts = [str(r[columns["sentence1"]]) for r in rows]
        right_texts = [str(r[columns["sentence2"]]) for r in rows]
        distinct = list(dict.fromkeys(left_texts + right_texts))  # pair sets repeat texts
        vectors = runner.embed(distinct)
        where = {text: i for i, text in enumerate(distinct)}
        left = vectors[[where[t] for t in left_texts]]
        right = vectors[[where[t] for t in right_texts]]
        cosines = [float(x) for x in (left * right).sum(axis=1)]
        gold = [float(r[columns["score"]]) for r in rows]
        return {m: (cosines, gold) for m in metric_ids}
    if task == "fill-mask":
        k = 5 if any(c.metric == "top5_accuracy" for _, c, _ in members) else 1
        ranked_tokens = runner.fill_mask([str(r[columns["text"]]) for r in rows], k)
        refs = [_label_key(r[columns["answer"]]) for r in rows]
        return {
            m: ([[_label_key(t) for t in row] for row in ranked_tokens], refs) for m in metric_ids
        }
    raise DataUnavailable(f"no runner for {task}")


MAX_LABELS_NAMED = 5
"""Unknown labels named in a mismatch reason (the rest are counted)."""


def _check_labels(refs: Sequence[Any], labels: Mapping[int, str]) -> None:
    """Refuse to score data whose labels the model does not have: a label the model cannot
    predict would count as its mistake (an over-claim) when it is a naming mismatch."""
    names = {_label_key(name) for name in labels.values()}
    unknown: list[str] = []
    for ref in dict.fromkeys(_label_key(ref) for ref in refs):
        known = int(ref) in labels if ref.lstrip("-").isdigit() else ref in names
        if not known:
            unknown.append(ref)
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:MAX_LABELS_NAMED])
        more = (
            f" and {len(unknown) - MAX_LABELS_NAMED} more"
            if len(unknown) > MAX_LABELS_NAMED
            else ""
        )
        model = ", ".join(repr(n) for n in list(labels.values())[:10])
        raise DataUnavailable(
            f"label mismatch: the data's labels {shown}{more} are not among the model's "
            f"id2label ({model}); map them or pass data labelled as the model is"
        )


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    text = str(value).strip()
    if text.startswith("["):
        import json

        try:
            parsed = json.loads(text.replace("'", '"'))
            if isinstance(parsed, list):
                return parsed
        except ValueError:
            pass
    return text.split()


def _answers(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("text", [])
    if isinstance(value, list | tuple):
        return [str(v) for v in value] or [""]
    text = str(value)
    if text.startswith("["):
        return [str(v) for v in _as_list(text)]
    return [text]


# ---------------------------------------------------------------- verdicts
def judge(claim: Claim, task: str, metric: Metric, measured: Estimate, origin: str) -> ClaimResult:
    """Compare a claim with the 95% interval of its re-measurement.

    Only a claim outside the whole interval (widened by :data:`ROUNDING`, since cards print
    rounded values) is over- or under-claimed: a value inside it cannot be told from sampling
    noise, and an interval wider than :data:`INCONCLUSIVE_HALF_WIDTH` decides nothing.
    Claims on a 0–100 scale are brought to fractions first, and the reason says so.
    """
    value, low, high = (
        measured.value / metric.scale,
        measured.low / metric.scale,
        measured.high / metric.scale,
    )
    claimed = float(claim.value or 0.0)
    notes = []
    if abs(claimed) > 1.0 and abs(claimed) <= PERCENT_SCALE:
        claimed /= PERCENT_SCALE
        notes.append(f"claimed {claim.raw} read as {claimed:.4g} (a 0–100 scale)")
    elif claim.scale == "percent":
        notes.append(f"claimed {claim.raw} read as {claimed:.4g}")
    lo, hi = low - ROUNDING, high + ROUNDING
    better = claimed > hi if metric.higher_is_better else claimed < lo
    worse = claimed < lo if metric.higher_is_better else claimed > hi
    interval = f"measured {value:.4f} [{low:.4f}, {high:.4f}] ({measured.method}, n={measured.n}) on {origin}"
    if better:
        verdict, reason = (
            ClaimVerdict.OVER_CLAIMED,
            f"claimed {claimed:.4f} is better than the whole interval: {interval}",
        )
    elif worse:
        verdict, reason = (
            ClaimVerdict.UNDER_CLAIMED,
            f"claimed {claimed:.4f} is worse than the whole interval: {interval}",
        )
    elif (high - low) / 2 > INCONCLUSIVE_HALF_WIDTH:
        verdict, reason = ClaimVerdict.INCONCLUSIVE, f"interval too wide to decide: {interval}"
    else:
        verdict, reason = (
            ClaimVerdict.CONSISTENT,
            f"claimed {claimed:.4f} lies in the interval: {interval}",
        )
    if notes:
        reason += "; " + "; ".join(notes)
    return ClaimResult(
        task=task, dataset=claim.dataset, config=claim.config, split=claim.split, metric=claim.metric,
        claimed=claimed, measured=value, ci=(low, high), n=measured.n, verdict=verdict, reason=reason,
        source=claim.source, location=claim.location,
    )  # fmt: skip
