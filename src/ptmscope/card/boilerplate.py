"""Template boilerplate: lines a card has only because a generator wrote them.

A near-empty card made from the Hub's template matches most documentation
factors by keyword. Lines identical to the template installed with
``huggingface_hub`` (placeholders rendered with their defaults), the
``[More Information Needed]`` markers and the Trainer's placeholders are
discounted before anything is counted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_JINJA_DEFAULT = re.compile(r"\{\{\s*[\w.]+\s*\|\s*default\(\s*\"((?:[^\"\\]|\\.)*)\"[^}]*\}\}")
_JINJA_ANY = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_SPACES = re.compile(r"\s+")

PLACEHOLDERS = (
    "[more information needed]",
    "more information needed",
    "more information needed.",
    "[optional]",
    "[needs more information]",
)
"""Whole-line placeholders left by the Hub template and by ``transformers.Trainer``."""

_TRAINER_LINES = (
    "this model card has been automatically generated. you should probably proofread and "
    "complete it, then remove this comment.",
    "use the code below to get started with the model.",
    "the following hyperparameters were used during training:",
    "### framework versions",
)


def normalise(line: str) -> str:
    """Compare lines by content: case, surrounding and repeated spaces do not matter."""
    return _SPACES.sub(" ", line.strip().lower())


def _render_defaults(line: str) -> str:
    return _JINJA_ANY.sub("", _JINJA_DEFAULT.sub(lambda m: m.group(1), line))


def _template_text() -> str:
    try:
        ref = resources.files("huggingface_hub") / "templates" / "modelcard_template.md"
        return ref.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return ""


@lru_cache(maxsize=1)
def template_lines() -> frozenset[str]:
    """Normalised lines of the installed Hub model-card template, placeholders rendered."""
    lines: set[str] = set()
    for raw in _template_text().splitlines():
        rendered = normalise(_render_defaults(raw))
        # A line that is only a label ("- **License:**") carries the label, not content.
        if rendered and not rendered.startswith("<!--"):
            lines.add(rendered)
    for bare in list(lines):
        if bare.endswith(":**") or bare.endswith(":** [more information needed]"):
            lines.add(bare.replace(" [more information needed]", ""))
    return frozenset(lines)


def is_boilerplate(line: str) -> bool:
    """True for a line that tells a reader nothing about this particular model."""
    text = normalise(line)
    if not text:
        return True
    if text in PLACEHOLDERS or text in _TRAINER_LINES:
        return True
    if text.endswith("[more information needed]") and len(text) < 120:
        return True
    return text in template_lines()
