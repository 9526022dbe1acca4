"""Renderers of an :class:`~ptmscope.audit.AuditResult`; they never compute facts."""

from __future__ import annotations

from ptmscope.errors import InputError
from ptmscope.formats.interface import Format
from ptmscope.formats.json import JsonFormat
from ptmscope.formats.markdown import MarkdownFormat
from ptmscope.formats.text import TextFormat

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


__all__ = ["FORMATS", "Format", "JsonFormat", "MarkdownFormat", "TextFormat", "get_format"]
