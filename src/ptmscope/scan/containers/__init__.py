"""Readers for the containers model files come in, each told from content alone."""

from __future__ import annotations

from collections.abc import Callable

from ptmscope.scan.context import ScanContext, Span

Recurse = Callable[[Span, ScanContext], str]
"""Scan a member or payload by its content; returns the format it was read as."""
