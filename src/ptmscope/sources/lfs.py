"""Git LFS pointer files: ``version https://git-lfs.github.com/spec/v1`` + oid + size."""

from __future__ import annotations

import re

from ptmscope.package import LfsPointer

MAX_POINTER_BYTES = 1024
"""The LFS spec caps pointer files well below this."""

_POINTER = re.compile(
    rb"version https://git-lfs\.github\.com/spec/v1\n"
    rb"(?:ext-\d-\w+ [^\n]{1,256}\n)*"
    rb"oid sha256:(?P<oid>[0-9a-f]{64})\n"
    rb"size (?P<size>\d{1,20})\n?"
)
"""The whole pointer, as git-lfs writes it (spec v1): keys in order, nothing after ``size``.

A file that starts like a pointer but carries more is content, not a pointer: taking
it for a pointer would mark its bytes absent and leave them unscanned."""


def parse_pointer(data: bytes) -> LfsPointer | None:
    """The pointer ``data`` is, or ``None`` when ``data`` is real content."""
    if len(data) > MAX_POINTER_BYTES:
        return None
    match = _POINTER.fullmatch(data)
    if match is None:
        return None
    return LfsPointer(match["oid"].decode(), int(match["size"]))
