"""The format axis (as pip-audit's ``_format``): one class per output kind."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ptmscope.results.audit import AuditResult


class Format(ABC):
    @abstractmethod
    def render(self, result: AuditResult) -> str:
        """The whole report as text."""
