"""How CPython's unpicklers read protocol 4+ ``FRAME`` s, and where their readings part.

A ``FRAME`` says how many bytes follow; the unpicklers treat that differently:

* ``pickle.loads(data)`` (the C unpickler over memory) checks that the frame's
  bytes are there (``pickle data was truncated`` if not) and otherwise ignores
  frames: an opcode or operand may run across a frame's end and is read on.
* ``pickle.load(file)`` and ``torch.load`` (the C unpickler over a file object
  without ``peek``, such as ``io.BytesIO``) read the frame into a buffer
  (``_Unpickler_ReadImpl``). A read that does not fit in what is left of the
  buffer throws that rest away and reads afresh from the file after the frame;
  a line (``GLOBAL``, protocol 0 operands) not ended inside the buffer is read
  from the file after it. Only the payload of ``BINBYTES``/``BYTEARRAY8``
  (``_Unpickler_ReadInto``) takes the rest of the buffer first. A nested
  ``FRAME`` that fits in the buffer changes nothing; one that does not throws
  the rest away too.
* the Python unpickler (``pickle._Unframer``) refuses a read across a frame's
  end (``pickle exhausted before end of frame``) and a ``FRAME`` before the
  current one is used up, and reads on where a frame is longer than the data.

No pickler writes any of this: frames end between opcodes, large payloads are
written outside them. So a stream where the readings part is an evasion: the
same bytes hide a payload from a reader that frames one way and run it in one
that frames the other. The interpreter reads as ``pickle.loads`` does and, with
this module, notes where a file reader would part from it (a *cut*: the bytes
it skips); :mod:`ptmscope.scan.pickles` then reads the stream again without
them, as ``pickle.load`` from a file would.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

NO_FRAME = 1 << 62
"""The buffer end when no frame is buffered: every read is a plain read of the file."""
FRAME_HEADER = 8
"""Bytes of a ``FRAME`` opcode's length operand."""
MAX_SPLICES = 16
"""Cuts followed when a stream is read again as a file: each is a re-read from the start."""


class ReadKind(Enum):
    """How the C unpickler fetches an operand."""

    READ = "read"
    """``_Unpickler_Read``: from the buffer, or all of it afresh from the file after it."""
    INTO = "into"
    """``_Unpickler_ReadInto``: the rest of the buffer first, then the file (contiguous)."""
    LINE = "line"
    """``_Unpickler_Readline``: a line in the buffer, or a whole line from the file after it."""


class Read(NamedTuple):
    """One read an opcode makes: where it starts, how long it is, how it is fetched."""

    start: int
    length: int
    kind: ReadKind


class Cut(NamedTuple):
    """Bytes ``[start, end)`` that a file reader skips and ``pickle.loads`` reads."""

    start: int
    end: int


class Resplice(Exception):
    """The file reading parts from the bytes here: read again without ``cut``."""

    def __init__(self, cut: Cut) -> None:
        super().__init__(f"file reading skips bytes {cut.start}..{cut.end}")
        self.cut = cut


_FIXED = {
    ord("K"): 1, ord("M"): 2, ord("J"): 4, ord("h"): 1, ord("j"): 4, ord("q"): 1,
    ord("r"): 4, 0x82: 1, 0x83: 2, 0x84: 4, 0x80: 1, ord("G"): 8,
}  # fmt: skip
"""Opcodes with one fixed-size operand (BININT1, BINGET, EXT1, PROTO, BINFLOAT…)."""
_COUNTED = {
    0x8A: (1, ReadKind.READ), 0x8B: (4, ReadKind.READ), ord("T"): (4, ReadKind.READ),
    ord("U"): (1, ReadKind.READ), ord("X"): (4, ReadKind.READ), 0x8C: (1, ReadKind.READ),
    0x8D: (8, ReadKind.READ), ord("B"): (4, ReadKind.INTO), ord("C"): (1, ReadKind.INTO),
    0x8E: (8, ReadKind.INTO), 0x96: (8, ReadKind.INTO),
}  # fmt: skip
"""Opcodes with a length then that many bytes, and how the bytes are fetched."""
_LINES = {
    ord("I"): 1, ord("L"): 1, ord("F"): 1, ord("S"): 1, ord("V"): 1, ord("g"): 1,
    ord("p"): 1, ord("P"): 1, ord("c"): 2, ord("i"): 2,
}  # fmt: skip
"""Opcodes whose operands are lines (GLOBAL and INST have two)."""
_NAMES = {
    0x8A: "LONG1", 0x8B: "LONG4", ord("T"): "BINSTRING", ord("U"): "SHORT_BINSTRING",
    ord("X"): "BINUNICODE", 0x8C: "SHORT_BINUNICODE", 0x8D: "BINUNICODE8", ord("B"): "BINBYTES",
    ord("C"): "SHORT_BINBYTES", 0x8E: "BINBYTES8", 0x96: "BYTEARRAY8", ord("c"): "GLOBAL",
    ord("i"): "INST", 0x95: "FRAME",
}  # fmt: skip


def opcode_name(op: int) -> str:
    """A readable name for an opcode in a finding."""
    return _NAMES.get(op) or f"opcode {bytes([op])!r}"


def reads(buf: object, start: int, end: int) -> list[Read]:
    """The reads of the opcode at ``start`` (which the interpreter read up to ``end``)."""
    op = buf[start]  # type: ignore[index]
    result = [Read(start, 1, ReadKind.READ)]
    pos = start + 1
    size = _FIXED.get(op)
    if size is not None:
        return [*result, Read(pos, size, ReadKind.READ)]
    counted = _COUNTED.get(op)
    if counted is not None:
        width, kind = counted
        length = int.from_bytes(buf[pos : pos + width], "little")  # type: ignore[index]
        return [*result, Read(pos, width, ReadKind.READ), Read(pos + width, length, kind)]
    for _ in range(_LINES.get(op, 0)):
        newline = buf.find(b"\n", pos, end)  # type: ignore[attr-defined]
        stop = newline + 1 if newline >= 0 else end
        result.append(Read(pos, stop - pos, ReadKind.LINE))
        pos = stop
    return result


def straddle(buf: object, start: int, end: int, frame_end: int) -> Read | None:
    """The first read of the opcode at ``start`` that begins inside the buffered frame
    (which ends at ``frame_end``) and runs past it, if any."""
    for read in reads(buf, start, end):
        if read.start >= frame_end:
            return None
        if read.start + read.length > frame_end:
            return read
    return None


class Spliced:
    """A stream without some cuts (offsets from its start): the bytes a file reader reads.

    ``locate`` maps an offset in :attr:`data` back to the stream; ``unlocate`` maps a
    stream offset (a frame's end) forward, an offset inside a cut to where the cut was.
    """

    def __init__(self, read: Callable[[int, int], bytes], size: int, cuts: list[Cut]) -> None:
        self.size = size
        """Bytes in the stream before the cuts."""
        parts: list[bytes] = []
        self._spliced: list[int] = []
        self._original: list[int] = []
        pos = done = 0
        for cut in [*cuts, Cut(size, size)]:
            self._spliced.append(done)
            self._original.append(pos)
            part = read(pos, cut.start - pos)
            parts.append(part)
            done += len(part)
            pos = cut.end
        self.data = b"".join(parts)

    def locate(self, offset: int) -> int:
        index = max(bisect.bisect_right(self._spliced, offset) - 1, 0)
        return self._original[index] + offset - self._spliced[index]

    def unlocate(self, original: int) -> int:
        index = max(bisect.bisect_right(self._original, original) - 1, 0)
        following = self._spliced[index + 1] if index + 1 < len(self._spliced) else len(self.data)
        return min(self._spliced[index] + original - self._original[index], following)
