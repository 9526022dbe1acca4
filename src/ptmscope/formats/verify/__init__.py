"""Renderers of a :class:`~ptmscope.results.verify.VerifyResult` (``ptmscope verify``)."""

from __future__ import annotations

from collections.abc import Iterable

from ptmscope.formats.verify.json import SCHEMA_VERSION, VerifyJson, build
from ptmscope.formats.verify.markdown import VerifyMarkdown
from ptmscope.formats.verify.text import VerifyText
from ptmscope.results.verify import ClaimResult, VerifyResult

__all__ = ["SCHEMA_VERSION", "VerifyJson", "VerifyMarkdown", "VerifyText", "build", "render"]


def render(fmt: str, ref: str, commit: str | None, results: Iterable[ClaimResult]) -> str:
    """Deprecated: use ``ptmscope.formats.VERIFY_FORMATS.render(fmt, VerifyResult(...))``.

    Unlike before, an unknown ``fmt`` is an input error, not text.
    """
    from ptmscope.formats import VERIFY_FORMATS

    return VERIFY_FORMATS.render(fmt, VerifyResult(ref, commit, tuple(results)))
