"""The licence identifiers the Hugging Face Hub accepts in card metadata."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def hub_licenses() -> frozenset[str]:
    text = (resources.files("ptmscope") / "data" / "hub_licenses.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


PLACEHOLDER_LICENSES = frozenset({"other", "unknown"})
"""Accepted by the Hub, but they name no terms: ``other`` needs ``license_name``/``license_link``."""


def license_ids(value: object) -> tuple[str, ...]:
    """Licence identifiers as a card writes them (a string or a list), trimmed, in order."""
    values = value if isinstance(value, list) else [value]
    return tuple(str(v).strip() for v in values if isinstance(v, str | int) and str(v).strip())


def declared_licenses(
    card: Mapping[str, Any] | None, tags: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """What a package says its licence is: the card's ``license``, else the registry's
    ``license:`` tags (the Hub derives those from the card it indexed)."""
    found = license_ids((card or {}).get("license"))
    if found:
        return found
    return tuple(t.split(":", 1)[1] for t in tags if t.startswith("license:") and t[8:])
