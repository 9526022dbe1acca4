"""Claims written as text rather than as structure: sentences and printed reports.

Two forms the labelled real cards hold and no structured reader sees:

* **sentences** that put a metric next to a number — "achieves **13.39 BLEU** on the
  Menyo-20k test set", "has a top1-accuracy of 82.6% … on the ImageNet evaluation set",
  "WER for the NST test set is 3.95%" — with the dataset the sentence names;
* **scikit-learn classification reports** pasted into a card (a header row ``precision
  recall f1-score support``, a row per class, then accuracy and the averages).

A number is taken only when a metric name sits right next to it (before it, or
introducing it with "of", "is", "=" or ":"), never a relative change ("by 2 points",
"than 80%"); lines other readers already took are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ptmscope.card import markdown
from ptmscope.card.build import make_claim
from ptmscope.card.values import metric_id
from ptmscope.package import Claim

_METRIC = (
    r"(?:WER|CER|BLEU|chrF\+*|ROUGE[-_ ]?(?:1|2|L(?:sum)?)|F1(?:[- ]score)?|[Aa]ccuracy"
    r"|[Tt]op-?[15][- ][Aa]ccuracy|[Tt]op-?[15]|[Pp]recision|[Rr]ecall|[Pp]erplexity|mAP"
    r"|[Ee]xact [Mm]atch|[Ss]pearman|[Pp]earson|AUC|MCC)"
)
_DIGIT = re.compile(r"\d")
_ANY_METRIC = re.compile(_METRIC)
_NUMBER = r"(?P<num>\d{1,3}(?:[.,]\d+)?)(?:\s?%)?"
_NUMBER_FIRST = re.compile(rf"(?<![\w.-]){_NUMBER}\**\s*(?P<metric>{_METRIC})(?![\w-])")
_METRIC_FIRST = re.compile(
    rf"(?<![\w-])(?P<metric>{_METRIC})(?![\w])[^.\n]{{0,60}}?"
    rf"(?:\b(?:of|is|was|=|reaches|achieves)|:)\s*\**\s*{_NUMBER}(?![\d.]*\d)"
    r"(?!\**\s+(?!on\b|in\b|for\b|and\b|with\b|at\b|when\b|using\b|over\b|across\b|which\b|while\b)[A-Za-z])"
)
"""A metric, then its number; "a macro F1 of 3 named entity classes" is a count, not a score."""
_AFTER = re.compile(r"^\**\s*\((?P<ds>[A-Za-z][^()]{1,40})\)")
"""A dataset in parentheses right after the number: "F1-Score: 90.61 (WikiNER)"."""
_OTHER_SUBJECT = re.compile(r"\b(?:while|whereas|compared|versus|vs\.?|than|baseline)\b", re.I)
"""Words that hand a sentence over to another model between a metric and a number."""
_RELATIVE = re.compile(
    r"(?:\bby|\bthan|\bwithin|\btop|\bimprove\w*|\bgain\w*|\breduc\w*|\bdrop\w*)\s*\S*\s*$"
)
_DATASET = re.compile(
    r"\b(?:on|for)\s+(?:the\s+)?\[?(?P<ds>[A-Z][\w\-.+ ]{1,40}?)\]?(?:\([^)]*\))?\s*"
    r"(?P<kind>test set|dev set|validation set|evaluation set|eval set|dataset|benchmark|corpus)",
)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SPLITS = {"test set": "test", "dev set": "validation", "validation set": "validation"}
_SPLITS |= {"evaluation set": "validation", "eval set": "validation"}
_REPORT_HEAD = re.compile(r"\bprecision\s+recall\s+f1-score\s+support\s*$")
_REPORT_ROW = re.compile(
    r"^\s*(?P<label>\S.*?)\s+(?P<nums>(?:\d+(?:\.\d+)?\s+){1,3})(?P<support>\d+)\s*$"
)
_REPORT_COLUMNS = ("precision", "recall", "f1-score")


def _sentence_claims(line: markdown.TextLine, card_path: str, task: str | None) -> list[Claim]:
    text = _LINK.sub(r"\1", line.text)
    dataset_match = _DATASET.search(text)
    dataset = dataset_match["ds"].strip() if dataset_match else None
    split = _SPLITS.get(dataset_match["kind"]) if dataset_match else None
    claims: list[Claim] = []
    used: set[int] = set()
    for pattern in (_NUMBER_FIRST, _METRIC_FIRST):
        for found in pattern.finditer(text):
            start = found.start("num")
            if start in used or _RELATIVE.search(text[max(0, start - 24) : start]):
                continue
            if pattern is _METRIC_FIRST and _OTHER_SUBJECT.search(
                text[found.end("metric") : start]
            ):
                continue
            used.add(start)
            after = _AFTER.match(text[found.end() :])
            claims.append(
                make_claim(
                    label=found["metric"],
                    raw=found["num"] + ("%" if "%" in found.group(0) else ""),
                    source="card-prose",
                    location=f"{card_path}:{line.number}",
                    task=task,
                    dataset=after["ds"].strip() if after else dataset,
                    split=split,
                )
            )
    return claims


def _report_claims(
    lines: Sequence[markdown.TextLine], start: int, card_path: str, task: str | None
) -> tuple[list[Claim], int]:
    """The rows of a classification report whose header is ``lines[start]``; returns the
    claims and the index after the report."""
    claims: list[Claim] = []
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if not line.text.strip():
            i += 1
            continue
        row = _REPORT_ROW.match(line.text)
        if row is None:
            break
        label = row["label"].strip()
        numbers = row["nums"].split()
        columns = ("accuracy",) if len(numbers) == 1 else _REPORT_COLUMNS
        for column, value in zip(columns, numbers, strict=False):
            name = column if column == "accuracy" else f"{column} ({label})"
            claims.append(
                make_claim(
                    label=name,
                    metric=column if column != "f1-score" else "f1",
                    raw=value,
                    source="card-prose",
                    location=f"{card_path}:{line.number}",
                    task=task,
                )
            )
        i += 1
    return claims, i


def claims(
    lines: Sequence[markdown.TextLine],
    card_path: str,
    default_task: str | None,
    taken: set[str],
) -> list[Claim]:
    """Claims in sentences and classification reports, outside code and tables."""
    found: list[Claim] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if (
            "support" in line.text
            and not line.in_code
            and not line.text.lstrip().startswith("|")
            and _REPORT_HEAD.search(line.text)
        ):
            report, i = _report_claims(lines, i - 1, card_path, default_task)
            found += report
            continue
        text = line.text.lstrip()
        if (
            line.in_code
            or text.startswith("#")
            or text.count("|") >= 2
            or f"{card_path}:{line.number}" in taken
            or _DIGIT.search(text) is None
            or _ANY_METRIC.search(text) is None
        ):
            continue
        found += _sentence_claims(line, card_path, default_task)
    return [c for c in found if metric_id(c.label) or c.metric]
