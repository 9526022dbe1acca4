"""Severity levels shared by probes and the scanner, with their Scorecard weights."""

from __future__ import annotations

from enum import Enum


class Severity(Enum):
    """Risk levels and their Scorecard weights."""

    INFO = ("info", 0.0)
    LOW = ("low", 2.5)
    MEDIUM = ("medium", 5.0)
    HIGH = ("high", 7.5)
    CRITICAL = ("critical", 10.0)

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def weight(self) -> float:
        return self.value[1]

    @classmethod
    def parse(cls, text: str) -> Severity:
        for level in cls:
            if level.label == text.lower():
                return level
        raise ValueError(
            f"unknown severity {text!r}; choose from {', '.join(s.label for s in cls)}"
        )

    @property
    def rank(self) -> int:
        return list(Severity).index(self)
