"""Claimed metric values as authors write them, brought to one scale.

Cards mix scales (accuracy 0.91 and 91.0; WER 6.92 and 0.0692) and forms
("20.0 ± 1.2", "0.95+", "TBD", "**88.1**"). Bounded metrics are normalised to a
fraction in [0, 1] so that claims can be compared; unbounded ones (loss,
perplexity, latency) keep their value. The raw text is always kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

_METRIC_ALIASES: dict[str, str] = {
    "acc": "accuracy",
    "accuracy": "accuracy",
    "top1": "accuracy",
    "top-1": "accuracy",
    "top 1": "accuracy",
    "top1 accuracy": "accuracy",
    "top-1 acc": "accuracy",
    "top1 acc": "accuracy",
    "acc@1": "accuracy",
    "top-1 accuracy": "accuracy",
    "top1-accuracy": "accuracy",
    "top-1-accuracy": "accuracy",
    "top5": "top5_accuracy",
    "top-5": "top5_accuracy",
    "top-5 accuracy": "top5_accuracy",
    "top5 accuracy": "top5_accuracy",
    "top5-accuracy": "top5_accuracy",
    "top-5-accuracy": "top5_accuracy",
    "f1": "f1",
    "f1 score": "f1",
    "f1-score": "f1",
    "f-score": "f1",
    "f1 macro": "f1_macro",
    "macro f1": "f1_macro",
    "macro-f1": "f1_macro",
    "f1 micro": "f1_micro",
    "micro f1": "f1_micro",
    "f1 weighted": "f1_weighted",
    "weighted f1": "f1_weighted",
    "precision": "precision",
    "recall": "recall",
    "exact match": "exact_match",
    "exact_match": "exact_match",
    "em": "exact_match",
    "wer": "wer",
    "test wer": "wer",
    "word error rate": "wer",
    "cer": "cer",
    "test cer": "cer",
    "character error rate": "cer",
    "bleu": "bleu",
    "sacrebleu": "bleu",
    "chrf": "chrf",
    "chr-f": "chrf",
    "chrf++": "chrf",
    "chr-f++": "chrf",
    "chrf2": "chrf",
    "chrf2 score": "chrf",
    "chrf score": "chrf",
    "bleu score": "bleu",
    "ter": "ter",
    "mean reward": "mean_reward",
    "mean_reward": "mean_reward",
    "meteor": "meteor",
    "rouge1": "rouge1",
    "rouge-1": "rouge1",
    "rouge 1": "rouge1",
    "rouge2": "rouge2",
    "rouge-2": "rouge2",
    "rouge 2": "rouge2",
    "rougel": "rougeL",
    "rouge-l": "rougeL",
    "rouge l": "rougeL",
    "rougelsum": "rougeLsum",
    "rouge-lsum": "rougeLsum",
    "map": "map",
    "mean average precision": "map",
    "auc": "auc",
    "roc auc": "auc",
    "roc_auc": "auc",
    "spearman": "spearman",
    "spearmanr": "spearman",
    "cosine spearman": "spearman",
    "cos_sim spearman": "spearman",
    "pearson": "pearson",
    "pearsonr": "pearson",
    "cosine pearson": "pearson",
    "mcc": "matthews_correlation",
    "matthews correlation": "matthews_correlation",
    "matthews_correlation": "matthews_correlation",
    "loss": "loss",
    "validation loss": "loss",
    "eval loss": "loss",
    "perplexity": "perplexity",
    "ppl": "perplexity",
    "bertscore": "bertscore",
    "mae": "mae",
    "mse": "mse",
    "rmse": "rmse",
    "gen len": "gen_len",
    "iou": "iou",
    "miou": "mean_iou",
    "mean iou": "mean_iou",
    "dice": "dice",
    "squad": "f1",
}

BOUNDED = frozenset(
    {
        "accuracy",
        "top5_accuracy",
        "f1",
        "f1_macro",
        "f1_micro",
        "f1_weighted",
        "precision",
        "recall",
        "exact_match",
        "wer",
        "cer",
        "bleu",
        "chrf",
        "meteor",
        "rouge1",
        "rouge2",
        "rougeL",
        "rougeLsum",
        "map",
        "auc",
        "spearman",
        "pearson",
        "matthews_correlation",
        "bertscore",
        "iou",
        "mean_iou",
        "dice",
    }
)
"""Metrics whose natural range is [0, 1] (or [-1, 1]) but that authors often write ×100."""

_PUNCT = re.compile(r"[*_`]+")
_MARKUP = re.compile(r"[*`]+")
_SPACES = re.compile(r"[\s_]+")
_PAREN = re.compile(r"\s*\(.*?\)\s*")
_NUMBER = r"[-+]?(?:\d+(?:[.,]\d+)*(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"
_VALUE = re.compile(
    rf"^(?P<approx>[~≈<>≥≤]=?)?\s*(?P<num>{_NUMBER})\s*(?P<pct>%)?\s*"
    rf"(?:(?:±|\+/-|\+-|\(±)\s*(?P<pm>{_NUMBER})\s*%?\)?)?\s*(?P<plus>\+)?$"
)
_NON_NUMERIC = frozenset({"", "tbd", "tba", "n/a", "na", "-", "--", "?", "none", "null", "nan"})


@lru_cache(maxsize=8192)
def metric_id(label: str) -> str | None:
    """The canonical metric behind a label ("Top-1 Acc (%)" → ``accuracy``), or ``None``."""
    text = _MARKUP.sub("", label).strip().lower()
    text = _SPACES.sub(" ", text.replace("_", " ")).strip()
    for candidate in (text, _PAREN.sub(" ", text).strip(), text.replace("eval ", "")):
        candidate = candidate.strip(" :%")
        if candidate in _METRIC_ALIASES:
            return _METRIC_ALIASES[candidate]
        if candidate.replace(" ", "") in _METRIC_ALIASES:
            return _METRIC_ALIASES[candidate.replace(" ", "")]
        for prefix in ("test ", "eval ", "validation ", "dev ", "val "):
            if candidate.startswith(prefix) and candidate[len(prefix) :] in _METRIC_ALIASES:
                return _METRIC_ALIASES[candidate[len(prefix) :]]
    return None


@dataclass(frozen=True)
class Value:
    """A claimed number as read from card text: normalised value, how it was written, and any ± or qualifier."""

    value: float | None
    """Normalised value; ``None`` when the text is not a number ("TBD")."""
    scale: str
    """``fraction``, ``percent`` (converted from ×100), ``absolute`` or ``non-numeric``."""
    uncertainty: float | None = None
    qualifier: str | None = None
    """``>=`` for "0.95+", ``~`` for approximate values, ``<``/``>`` as written."""


def _to_float(text: str) -> float | None:
    text = text.replace(",", "") if text.count(",") and "." in text else text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_value(raw: object, metric: str | None) -> Value:
    """Parse one claimed value written by a human or a tool."""
    if isinstance(raw, bool):
        return Value(None, "non-numeric")
    number: float | None
    uncertainty = None
    qualifier = None
    percent = False
    if isinstance(raw, int | float):
        number = float(raw) if math.isfinite(raw) else None
    else:
        text = _PUNCT.sub("", str(raw)).strip()
        if text.lower() in _NON_NUMERIC or len(text) > 64:
            return Value(None, "non-numeric")
        match = _VALUE.match(text)
        if match is None:
            return Value(None, "non-numeric")
        number = _to_float(match["num"])
        percent = match["pct"] is not None
        if match["pm"]:
            uncertainty = _to_float(match["pm"])
        if match["plus"]:
            qualifier = ">="
        elif match["approx"]:
            qualifier = {"≈": "~", "≥": ">=", "≤": "<="}.get(match["approx"], match["approx"])
    if number is None:
        return Value(None, "non-numeric")
    if metric in BOUNDED:
        if percent or 1.0 < abs(number) <= 100.0:
            return Value(
                number / 100.0,
                "percent",
                None if uncertainty is None else uncertainty / 100.0,
                qualifier,
            )
        return Value(number, "fraction", uncertainty, qualifier)
    return Value(number, "absolute", uncertainty, qualifier)
