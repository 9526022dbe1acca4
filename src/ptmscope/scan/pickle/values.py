"""The symbolic values on the interpreter's stack: what a pickle builds, never built."""

from __future__ import annotations

import pickletools
from dataclasses import dataclass

from ptmscope.scan.policy import Use

OPCODE_BYTES = frozenset(op.code.encode("latin-1")[0] for op in pickletools.opcodes)
"""Every opcode a pickle may begin with: ``pickle.load`` accepts any of them first (a
NEWTRUE, POP or FRAME before the payload), so a shorter list lets a payload pass unread."""


class Malformed(Exception):
    """The stream is not a valid pickle from here on."""


class _Mark:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MARK"


MARK = _Mark()
"""The ``MARK`` opcode's sentinel on the stack."""


class Ref:
    """A module, class or function the pickle names (``GLOBAL``, ``getattr(os, 'system')``…)."""

    __slots__ = ("offset", "target")

    def __init__(self, target: str, offset: int) -> None:
        self.target = target
        self.offset = offset


class Call:
    """The result of calling or instantiating something: unknown, but remembered."""

    __slots__ = ("args", "func", "offset", "state")

    def __init__(self, func: object, args: object, offset: int) -> None:
        self.func = func
        self.args = args
        self.offset = offset
        self.state: object = None


class Blob:
    """A long string or bytes left in the file: position and length only."""

    __slots__ = ("length", "start", "text")

    def __init__(self, start: int, length: int, text: bool) -> None:
        self.start = start
        self.length = length
        self.text = text


class Opaque:
    """A value the scan cannot know (persistent ids, out-of-band buffers, dropped memo)."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what


class SymDict:
    """A dict as pairs (keys may be unhashable symbolic values), first items only."""

    __slots__ = ("pairs",)

    def __init__(self) -> None:
        self.pairs: list[tuple[object, object]] = []

    def get(self, key: str) -> object:
        for k, v in self.pairs:
            if k == key:
                return v
        return None


@dataclass
class Record:
    """One imported name in a stream's trace: where, through what, and whether it was called."""

    target: str
    offset: int
    via: str | None = None
    called_at: int | None = None
    """Where it was first called or constructed."""
    count: int = 0
    preview: str | None = None
    use: Use = Use.REFERENCED
    """The most open-ended use made of it."""


def target_of(value: object) -> str | None:
    """The dotted name a value refers to, if it is a :class:`Ref`."""
    return value.target if isinstance(value, Ref) else None
