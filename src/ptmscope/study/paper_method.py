"""The ICSE 2023 artifact's reading of a card's claims, replicated with its quirks.

The paper's Fig. 7 (machine-parseable claims per task) and Fig. 6 (datasets in
claims) come from ``plotData/ptm.py``: ``PTM.get_claims`` reads
``cardData['model-index'][0]['results']`` only; each result must have a ``task``
and a ``dataset`` that is a mapping with a ``type``; each metric must have a
``name``, a ``type`` and a ``value`` that ``float()`` accepts; any exception
anywhere drops every claim of the model. ptmscope's own reading
(:mod:`ptmscope.card.claims`) takes every model-index entry, ``.eval_results``
and values such as ``"95.3%"``; this module exists so the study can show both,
and say how many models each quirk moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLAIMED = "claimed"
NO_MODEL_INDEX = "no model-index"
EMPTY = "first entry empty"
DROPPED = "dropped on an exception"
STATUSES = (CLAIMED, NO_MODEL_INDEX, EMPTY, DROPPED)
"""What the artifact's reading made of one card, in the order reports list them."""


@dataclass(frozen=True)
class PaperClaims:
    """One card as the artifact read it."""

    status: str
    """One of :data:`STATUSES`."""
    datasets: tuple[str, ...]
    """``dataset['type']`` once per metric claim (the artifact counts metric entries)."""
    later_entries: bool
    """Whether a model-index entry after the first holds claims by the same rules: the
    claims the artifact never read."""
    drop: str | None = None
    """Why a dropped card was dropped: ``a value float() refuses``, ``missing 'dataset'``…"""


def _cause(exc: Exception) -> str:
    """The kind of exception that dropped a card, in words a report can count by."""
    if isinstance(exc, ValueError):
        return "a value float() refuses"
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}" if exc.args else "a missing key"
    if isinstance(exc, IndexError):
        return "an empty model-index"
    return f"a wrong shape ({type(exc).__name__})"


def _entry_claims(entry: Any) -> list[str]:
    """The dataset type of each metric claim of one model-index entry, the artifact's way;
    raises (any exception) where the artifact's code would."""
    found: list[str] = []
    for result in entry["results"]:
        _ = result["task"]
        dataset = result["dataset"]
        if not isinstance(dataset, Mapping):
            raise TypeError("dataset is not a mapping")
        kind = dataset["type"]
        for metric in result["metrics"]:
            _ = metric["name"], metric["type"], float(metric["value"])
            found.append(str(kind))
    return found


def paper_claims(metadata: Mapping[str, Any] | None) -> PaperClaims:
    """The artifact's claims of a card whose parsed front matter is ``metadata``."""
    index = (metadata or {}).get("model-index")
    if index is None:
        return PaperClaims(NO_MODEL_INDEX, (), False)
    later = False
    if isinstance(index, list):
        for entry in index[1:]:
            try:
                later = later or bool(_entry_claims(entry))
            except Exception:
                continue
    try:
        found = _entry_claims(index[0])
    except Exception as exc:  # the artifact's rule: any exception, no claims
        return PaperClaims(DROPPED, (), later, _cause(exc))
    if not found:
        return PaperClaims(EMPTY, (), later)
    return PaperClaims(CLAIMED, tuple(found), later)


def display_dataset(kind: str) -> str:
    """The artifact's label for a dataset type: the author prefix stripped."""
    return kind.rsplit("/", 1)[-1]
