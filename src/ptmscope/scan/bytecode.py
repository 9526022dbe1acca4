"""Names inside marshalled Python code, read without unmarshalling it.

Keras Lambda layers and ``marshal.loads`` payloads carry compiled bytecode;
loading it runs it. Unmarshalling is itself unsafe, so the names the code uses
(``os``, ``system``) are read straight from marshal's short-string records to
show a reader what the code would touch.
"""

from __future__ import annotations

import base64
import binascii
import re

_SHORT_ASCII = re.compile(rb"[\x5a\x7a\xda\xfa]([\x01-\x3f])")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def names_in(code: bytes, limit: int = 12) -> list[str]:
    found: list[str] = []
    for match in _SHORT_ASCII.finditer(code):
        length = match.group(1)[0]
        start = match.end()
        text = code[start : start + length].decode("ascii", "replace")
        if _NAME.match(text) and text not in found and not text.startswith("<"):
            found.append(text)
            if len(found) >= limit:
                break
    return found


def names_in_base64(text: str) -> list[str]:
    try:
        return names_in(base64.b64decode(text, validate=False))
    except (binascii.Error, ValueError):
        return []
