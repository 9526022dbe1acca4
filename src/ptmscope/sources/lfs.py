"""Git LFS pointer files: ``version https://git-lfs.github.com/spec/v1`` + oid + size."""

from __future__ import annotations

import re

from ptmscope.package import LfsPointer

MAX_POINTER_BYTES = 1024
"""The LFS spec caps pointer files well below this."""

_SPEC = b"version https://git-lfs.github.com/spec/"
_OID = re.compile(rb"^oid sha256:([0-9a-f]{64})$", re.MULTILINE)
_SIZE = re.compile(rb"^size (\d{1,20})$", re.MULTILINE)


def parse_pointer(data: bytes) -> LfsPointer | None:
    """The pointer in ``data``, or ``None`` when ``data`` is real content."""
    if len(data) > MAX_POINTER_BYTES or not data.startswith(_SPEC):
        return None
    oid = _OID.search(data)
    size = _SIZE.search(data)
    if oid is None or size is None:
        return None
    return LfsPointer(oid.group(1).decode(), int(size.group(1)))
