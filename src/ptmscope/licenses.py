"""The licence identifiers the Hugging Face Hub accepts in card metadata."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


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
