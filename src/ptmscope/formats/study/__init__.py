"""Renderers of a :class:`~ptmscope.results.study.StudyResult` (``ptmscope study report``).

Every measurement is shown with its definition and, where the ICSE 2023 paper
reported it, the paper's value, so ours and theirs sit side by side in every format.
"""

from __future__ import annotations

from ptmscope.formats.study.html import StudyHtml
from ptmscope.formats.study.json import StudyJson
from ptmscope.formats.study.markdown import StudyMarkdown
from ptmscope.formats.study.text import StudyText

__all__ = ["StudyHtml", "StudyJson", "StudyMarkdown", "StudyText"]
