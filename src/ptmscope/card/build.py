"""One way to turn what a card says into a :class:`Claim`, whatever part of the card said it.

Every reader (model-index, eval results, Trainer prose, metric lists, tables) names a
metric its own way; the canonical metric id, the parsed value and the author's own label
are derived here once, so two readers that find the same result build the same claim.
"""

from __future__ import annotations

from typing import Any

from ptmscope.card.values import metric_id, parse_value
from ptmscope.package import Claim


def text_or_none(value: Any) -> str | None:
    """A scalar as stripped text; containers and blanks are ``None``."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def make_claim(
    *,
    label: object,
    raw: object,
    source: str,
    location: str,
    task: str | None,
    metric: object = None,
    dataset: str | None = None,
    config: str | None = None,
    split: str | None = None,
    dataset_revision: str | None = None,
    subject: str | None = None,
    verified: bool | None = None,
) -> Claim:
    """A claim; ``metric`` is the metric's id when the card gives one apart from its display
    name (model-index ``type`` beside ``name``), else the id is read from ``label``."""
    name = text_or_none(label) or text_or_none(metric) or "unnamed"
    typed = text_or_none(metric)
    canonical = (metric_id(typed) or typed.lower()) if typed else (metric_id(name) or name.lower())
    parsed = parse_value(raw, canonical)
    return Claim(
        task=task,
        dataset=dataset,
        config=config,
        split=split,
        metric=canonical,
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
