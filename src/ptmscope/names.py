"""File names as people can read them, whatever bytes the file system holds.

POSIX names are bytes; Python hands undecodable ones over as lone surrogates
(``surrogateescape``), which no UTF-8 writer accepts, so one odd name used to end
a whole report in an internal error. Names are turned into text once, here, with
undecodable bytes shown as ``\\xNN``; renderers then escape control characters.
"""

from __future__ import annotations

import os


def readable_name(name: str) -> str:
    """``name`` with bytes that are not UTF-8 shown as ``\\xNN`` (lossless to the eye)."""
    name = name.replace("\\", "\\\\")  # a literal backslash must not read as an escape
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name
