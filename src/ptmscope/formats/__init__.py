"""Renderers of every result type; they never compute facts.

One :class:`~ptmscope.formats.registry.Formats` per result type; the CLI's
``--format`` choices and :func:`~ptmscope.formats.output.emit` read these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.console import Console

from ptmscope.errors import InputError
from ptmscope.formats.interface import Format
from ptmscope.formats.json import JsonFormat
from ptmscope.formats.markdown import MarkdownFormat
from ptmscope.formats.registry import Formats
from ptmscope.formats.text import TextFormat
from ptmscope.results.audit import AuditResult
from ptmscope.results.scan import ScanResult
from ptmscope.results.study import StudyResult
from ptmscope.results.verify import VerifyResult

R = TypeVar("R")

FORMATS: dict[str, type[Format]] = {
    "text": TextFormat,
    "json": JsonFormat,
    "markdown": MarkdownFormat,
}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]()
    except KeyError:
        raise InputError(f"unknown format {name!r}; choose from {', '.join(FORMATS)}") from None


@dataclass(frozen=True)
class _Function(Generic[R]):
    """A renderer made of a function (transitional: each moves to its own module)."""

    function: Callable[[R], str]
    printer: Callable[[R, Console], None] | None = None

    def render(self, result: R) -> str:
        return self.function(result)


def _scan(name: str) -> Callable[[ScanResult], str]:
    from ptmscope.formats.scan import render

    return lambda result: render(name, list(result.files))


def _verify(name: str) -> Callable[[VerifyResult], str]:
    from ptmscope.formats.verify import render

    return lambda result: render(name, result.ref, result.commit, list(result.claims))


def _study(name: str) -> Callable[[StudyResult], str]:
    from ptmscope.study.report import render

    return lambda result: render(name, list(result.measurements))


class _ScanText(_Function[ScanResult]):
    def print(self, result: Any, console: Any) -> None:
        from ptmscope.formats.scan.text import print_text

        print_text(list(result.files), console)


AUDIT_FORMATS: Formats[AuditResult] = Formats(
    "audit", {"text": TextFormat(), "json": JsonFormat(), "markdown": MarkdownFormat()}
)
SCAN_FORMATS: Formats[ScanResult] = Formats(
    "scan",
    {
        "text": _ScanText(_scan("text")),
        "json": _Function(_scan("json")),
        "sarif": _Function(_scan("sarif")),
    },
)
VERIFY_FORMATS: Formats[VerifyResult] = Formats(
    "verify", {name: _Function(_verify(name)) for name in ("text", "json", "markdown")}
)
STUDY_FORMATS: Formats[StudyResult] = Formats(
    "study", {name: _Function(_study(name)) for name in ("html", "json", "markdown")}, "html"
)

__all__ = [
    "AUDIT_FORMATS",
    "FORMATS",
    "SCAN_FORMATS",
    "STUDY_FORMATS",
    "VERIFY_FORMATS",
    "Format",
    "Formats",
    "JsonFormat",
    "MarkdownFormat",
    "TextFormat",
    "get_format",
]
