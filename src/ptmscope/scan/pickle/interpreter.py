"""A static pickle interpreter: what loading would import and call, without loading.

Denylist scanners list the ``GLOBAL`` opcodes they see; attackers answer with
names built at run time (``STACK_GLOBAL`` fed by ``str.lower`` results laundered
through the memo), resolvers (``getattr``, ``pkgutil.resolve_name``) and nested
pickles. This machine executes every opcode of protocols 0–5 on a symbolic
stack instead: strings and numbers are real values, imported callables are
:class:`Ref`, calls are :class:`Call`, and a few pure functions attackers use to
build names are evaluated (:mod:`.helpers`), so the callable a name finally
reaches is recorded, whatever path it took. Nothing is imported and nothing is run.

It decides nothing: it produces a trace (``records`` of imports and calls,
nested payloads handed to ``nested``, events for what no pickler writes) that
:mod:`.judge` weighs against the policy. Everything it needs comes through its
constructor.

Bounds: strings and bytes longer than ``Limits.small`` stay in the file as
:class:`Blob` references; containers keep their first items only; memo, stack,
opcode count and time are capped.
"""

from __future__ import annotations

import codecs
import contextlib
import math
import re
import struct
from collections.abc import Callable
from enum import Enum
from typing import NamedTuple, Protocol

from ptmscope.scan.context import ScanContext, SearchSpent, Span
from ptmscope.scan.pickle import embedded, frames, helpers
from ptmscope.scan.pickle.embedded import MIN_BYTES as _MIN_PAYLOAD
from ptmscope.scan.pickle.embedded import Embedded
from ptmscope.scan.pickle.embedded import maybe as _maybe_payload
from ptmscope.scan.pickle.frames import (
    FRAME_HEADER,
    NO_FRAME,
    Cut,
    ReadKind,
    Resplice,
    Spliced,
)
from ptmscope.scan.pickle.values import (
    MARK,
    Blob,
    Call,
    Malformed,
    Opaque,
    Record,
    Ref,
    SymDict,
    target_of,
)
from ptmscope.scan.policy import PickleRules, Use, normalize

_HEAD_BYTES = embedded.HEAD_BYTES
_TAR_AT = embedded.TAR_MAGIC[0]
_U = embedded.TAR_MAGIC[1][0]
MAX_NAME = 4096
"""Longer ``GLOBAL`` operands name nothing importable; they end the parse."""
MAX_LINE = 1 << 20
"""Longest text operand (protocol 0 lines) searched for its newline."""
MAX_LONG_BYTES = 1024
"""``LONG4`` operands longer than this stay unknown instead of becoming huge integers."""
HUGE_TEXT_INT = 4000
"""Digits past which a text integer is kept as unknown rather than parsed."""
CHECK_EVERY = 4096
"""Opcodes between checks of the opcode, search and time limits."""
MAX_FRAME = (1 << 63) - 1
"""Longest frame either unpickler accepts (``sys.maxsize`` on 64-bit builds)."""
_CALLED, _CONSTRUCTED, _REFERENCED = Use.CALLED, Use.CONSTRUCTED, Use.REFERENCED
"""Module constants: an enum member looked up on its class costs a call in the hot path."""
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_F64 = struct.Struct(">d")


class EventKind(Enum):
    """What an event in the trace is about; the judge gives each its rule and severity."""

    ANOMALY = "anomaly"
    """Something no pickler writes (a repeated PROTO, BUILD on an imported object…)."""
    EXTENSION = "extension"
    """A copyreg extension code: a callable registered at load time, unknowable here."""
    DYNAMIC_IMPORT = "dynamic-import"
    """A STACK_GLOBAL of a computed name."""
    UNRECORDED_IMPORT = "unrecorded-import"
    """A name past the ``names`` limit: not kept in ``records``, so judged at once."""
    FRAME = "frame"
    """A reading that depends on how the unpickler handles FRAMEs (:mod:`.frames`)."""


class Event(NamedTuple):
    """One trace entry handed to the listener as it happens (offsets are the file's)."""

    kind: EventKind
    offset: int | None
    message: str
    target: str | None = None
    via: str | None = None


class Listener(Protocol):
    """Receives the trace as it is made, so a million events cost no memory here."""

    def event(self, event: Event) -> None: ...

    def stream_done(self, stream: Interpreter) -> None:
        """An inner stream (a joblib object array) ended; its records are final."""


class Trace:
    """A listener that keeps events (up to ``limit``): for callers without a judge."""

    def __init__(self, limit: int = 1000) -> None:
        self.events: list[Event] = []
        self.streams: list[Interpreter] = []
        self.limit = limit

    def event(self, event: Event) -> None:
        if len(self.events) < self.limit:
            self.events.append(event)

    def stream_done(self, stream: Interpreter) -> None:
        if len(self.streams) < self.limit:
            self.streams.append(stream)


Nested = Callable[[Span | bytes, str, int], None]
"""Scan a nested payload (its bytes, the loader's kind, the call's offset)."""


class Interpreter:
    """Runs one pickle stream (one ``STOP``) symbolically and records its trace.

    ``ctx`` gives the limits, the file's budget and clock, and the bounded
    inflater for payloads; ``rules`` the policy's data on nested loads (never
    its judgements); ``listener`` receives events; ``nested`` scans payloads;
    ``origin`` is the offset of ``span`` in the file the user sees.
    """

    def __init__(
        self,
        span: Span,
        ctx: ScanContext,
        *,
        rules: PickleRules | None = None,
        listener: Listener | None = None,
        nested: Nested | None = None,
        speculative: bool = False,
        searching: bool = False,
        origin: int = 0,
        spliced: Spliced | None = None,
        embedded: Embedded | None = None,
    ) -> None:
        self.buf = span.buf
        self.base = span.start
        self.end = span.end
        self.ctx = ctx
        self.limits = ctx.limits
        self.rules = rules if rules is not None else PickleRules()
        self.listener: Listener = listener if listener is not None else Trace()
        self.nested = nested
        self.speculative = speculative
        self.searching = searching
        """Opcodes count against the file's search budget (a stream that only might exist)."""
        self.origin = origin
        self.stack: list[object] = []
        self.max_stack = self.limits.stack
        self.metastack: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.records: dict[str, Record] = {}
        """Imported names, each once, with whether and how they were called."""
        self.dynamic = 0
        """STACK_GLOBALs of computed names (each sent as an event when met)."""
        self.memo_full = False
        self.op_offset = 0
        self.proto = 0
        self.ops = 0
        self.stopped = False
        self.persistent_ids: list[object] = []
        self.spliced = spliced
        """Set when this reads ``spliced.data``, a stream without the bytes a file reader
        skips: it reads as the C unpickler reads a file, and a further cut raises
        :class:`Resplice`."""
        self.file_reading = spliced is not None
        self.embedded = embedded
        """Scans literals a call receives that look like a pickle or an archive."""
        self.payloads = 0
        """Literals read so far that may be payloads (see :func:`.embedded.maybe`): calls
        are searched for them only once there is one."""
        self.frame_end = NO_FRAME
        """Where the C unpickler's buffered frame ends (``NO_FRAME``: none buffered)."""
        self.cut: Cut | None = None
        """The first bytes a file reader would skip that this reading reads."""

    # ------------------------------------------------------------ reading
    def _need(self, pos: int, count: int) -> None:
        if count < 0 or pos + count > self.end:
            raise Malformed("truncated: operand runs past the end of the data")

    def _uint(self, pos: int, size: int) -> int:
        self._need(pos, size)
        return int.from_bytes(self.buf[pos : pos + size], "little")

    def _line(self, pos: int) -> tuple[bytes, int]:
        limit = min(self.end, pos + MAX_LINE)
        nl = self.buf.find(b"\n", pos, limit)
        if nl < 0:
            raise Malformed("truncated: text operand has no newline")
        return bytes(self.buf[pos:nl]), nl + 1

    def _text(self, start: int, length: int, encoding: str) -> object:
        self._need(start, length)
        if length >= _MIN_PAYLOAD and self._first_looks(start, length):
            self.payloads += 1
        if length > self.limits.small:
            return Blob(start, length, True)
        return bytes(self.buf[start : start + length]).decode(encoding, "surrogatepass")

    def _bytes(self, start: int, length: int) -> object:
        self._need(start, length)
        if length >= _MIN_PAYLOAD and self._first_looks(start, length):
            self.payloads += 1
        if length > self.limits.small:
            return Blob(start, length, False)
        return bytes(self.buf[start : start + length])

    def _first_looks(self, start: int, length: int) -> bool:
        """:func:`.embedded.maybe`, after a byte or two that rule most literals out."""
        buf = self.buf
        if buf[start] in _HEAD_BYTES or (length > _TAR_AT + 5 and buf[start + _TAR_AT] == _U):
            return _maybe_payload(buf, start, length)
        return False

    # ------------------------------------------------------------ stack
    def _pop(self) -> object:
        if not self.stack:
            raise Malformed("stack underflow")
        value = self.stack.pop()
        if value is MARK:
            raise Malformed("unexpected MARK")
        return value

    def _pop_mark(self) -> list[object]:
        if not self.metastack:
            raise Malformed("no MARK on the stack")
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _push(self, value: object) -> None:
        if len(self.stack) >= self.max_stack:
            raise Malformed(f"stack deeper than {self.max_stack} items")
        self.stack.append(value)

    def _top(self) -> object:
        if not self.stack:
            raise Malformed("stack underflow")
        return self.stack[-1]

    # ------------------------------------------------------------ the trace
    def rel(self, offset: int | None) -> int | None:
        """An offset in the buffer as an offset in the file the user sees."""
        if offset is None:
            return None
        if self.spliced is not None:
            return self.spliced.locate(offset) + self.origin
        return offset - self.base + self.origin

    # ------------------------------------------------------------ frames
    def _crossed(self, end: int) -> None:
        """The opcode just read ended past the buffered frame: was any read across it?"""
        frame_end = self.frame_end
        self.frame_end = NO_FRAME  # past its end, the C unpickler reads the file itself
        start = self.op_offset
        if start >= frame_end:
            return
        read = frames.straddle(self.buf, start, end, frame_end)
        if read is not None:
            self._straddled(read.start, frame_end, read.kind, self.buf[start])

    def _straddled(self, start: int, frame_end: int, kind: ReadKind, op: int) -> None:
        """A read from ``start`` runs past the frame ending at ``frame_end``."""
        name = frames.opcode_name(op)
        if kind is ReadKind.INTO:
            self._frame_event(
                start,
                f"{name} payload runs past the end of its FRAME at offset {self.rel(frame_end)}: "
                "the C unpickler reads on, the Python unpickler refuses it (no pickler writes this)",
            )
            return
        self._diverge(
            Cut(start, frame_end),
            f"{name} {'line' if kind is ReadKind.LINE else 'operand'} runs past the end of its "
            f"FRAME at offset {self.rel(frame_end)}",
        )

    def _diverge(self, cut: Cut, what: str) -> None:
        """``pickle.load`` from a file skips ``cut``; this reading (``pickle.loads``) does not."""
        if self.file_reading:
            raise Resplice(cut)
        if self.cut is None:
            self.cut = cut
        self._frame_event(
            cut.start,
            f"{what}: pickle.loads reads on through it, pickle.load from a file (torch.load) "
            f"skips what is left of the frame ({cut.end - cut.start:,} bytes) and reads "
            "another stream, the Python unpickler refuses it; no pickler writes this (an evasion "
            "technique: both readings are scanned)",
        )

    def _frame_event(self, offset: int, message: str) -> None:
        if not self.file_reading:  # the first reading reported it
            self.event(EventKind.FRAME, offset, message)

    def event(
        self, kind: EventKind, offset: int, message: str, *, target: str | None = None
    ) -> None:
        """Hand an event to the listener at once (its ledger caps repeats)."""
        self.listener.event(Event(kind, self.rel(offset), message, target))

    def resolve(self, module: str, name: str, offset: int, via: str | None = None) -> Ref:
        """Record an import of ``module.name`` (reached through ``via``) and refer to it."""
        target = normalize(module, name)
        record = self.records.get(target)
        if record is None:
            if len(self.records) >= self.limits.names:
                self.listener.event(
                    Event(EventKind.UNRECORDED_IMPORT, self.rel(offset), "", target, via)
                )
                return Ref(target, offset)
            record = self.records[target] = Record(target, offset, via)
        record.count += 1
        return Ref(target, offset)

    def _global(self, module: str, name: str, offset: int) -> Ref:
        if len(module) + len(name) > MAX_NAME:
            raise Malformed(f"GLOBAL operand longer than {MAX_NAME} characters")
        if not (_IDENT.match(module) and _IDENT.match(name)):
            if self.speculative or self.proto == 0:
                raise Malformed(f"GLOBAL operand {module!r} {name!r} is not a Python name")
            self.event(
                EventKind.ANOMALY,
                offset,
                f"global with a name Python cannot import: {module!r}.{name!r}",
                target=f"{module}.{name}",
            )
        return self.resolve(module, name, offset)

    def derive(self, base: object, attr: str, offset: int, via: str) -> Ref | None:
        """``getattr(base, attr)`` when ``base`` is a name: the longer name, recorded."""
        if isinstance(base, Ref) and isinstance(attr, str):
            module, _, name = f"{base.target}.{attr}".partition(".")
            return self.resolve(module, name, offset, via)
        return None

    def _mark_called(self, value: object, offset: int, args: object, use: Use = _CALLED) -> None:
        if isinstance(value, Ref):
            record = self.records.get(value.target)
            if record is None:
                return
            if record.called_at is None:
                record.called_at = offset
                record.preview = helpers.preview(args)
            if use is _CALLED or record.use is _REFERENCED:
                record.use = use

    def _call(self, func: object, args: object, offset: int, use: Use = _CALLED) -> object:
        argv = args if isinstance(args, tuple | list) else ()
        target = target_of(func)
        if isinstance(func, Call):
            inner = target_of(func.func)
            fargs = func.args if isinstance(func.args, tuple | list) else ()
            if inner in helpers.ATTRGETTER and fargs and argv and isinstance(fargs[0], str):
                derived = self.derive(argv[0], fargs[0], offset, f"{inner}({fargs[0]!r})")
                return derived if derived is not None else Call(func, args, offset)
            if inner in helpers.METHODCALLER and fargs and argv and isinstance(fargs[0], str):
                derived = self.derive(argv[0], fargs[0], offset, f"{inner}({fargs[0]!r})")
                if derived is not None:
                    self._mark_called(derived, offset, tuple(fargs[1:]))
                return Call(derived or func, args, offset)
            if inner in helpers.PARTIAL and fargs:
                return self._call(fargs[0], (*fargs[1:], *argv), offset)
        self._mark_called(func, offset, args, use)
        kind = self.rules.loaders.get(target) if target is not None else None
        if self.payloads and self.embedded is not None and kind is None and argv:
            self._embedded(argv, target, offset)
        if target is None:
            return Call(func, args, offset)
        for index in self.rules.calls_arguments.get(target, ()):
            if index < len(argv):
                self._mark_called(argv[index], offset, ())
        for index in self.rules.constructs_arguments.get(target, ()):
            if index < len(argv):
                self._mark_called(argv[index], offset, (), _CONSTRUCTED)
        if kind is not None and argv and self.nested is not None:
            self._load(argv[0], kind, offset)
        value = helpers.evaluate(target, argv, offset, self, self.limits.small)
        if value is None:
            return Call(func, args, offset)
        if isinstance(value, bytes | str) and len(value) >= _MIN_PAYLOAD:
            self.payloads += 1  # a decoded or built literal: looked at by content
        return value

    def _passes_on(self, target: str | None) -> bool:
        """A call whose result is its argument's bytes (a wrapper, a decompressor): the
        bytes are looked at where they are used, not here."""
        return target in self.rules.byte_wrappers or target in self.rules.decompressors

    def _unwrap(self, value: object) -> object:
        for _ in range(helpers.MAX_UNWRAP):
            if not isinstance(value, Call) or not self._passes_on(target_of(value.func)):
                return value
            if target_of(value.func) in self.rules.decompressors:
                return None  # inflated by name only (see the ``embedded`` module)
            args = value.args if isinstance(value.args, tuple) else ()
            if not args:
                return None
            value = args[0]
        return value

    def _embedded(self, values: object, target: str | None, offset: int) -> None:
        """Scan the literals a call receives that are a pickle or an archive themselves."""
        assert self.embedded is not None
        found = embedded.literals(values, self.buf, self.limits.in_memory_bytes, self._unwrap)
        if found and self._passes_on(target):
            return  # its result carries the bytes on to where they are used
        for literal in found:
            self.embedded(literal, target or "a computed callable", offset)

    def _load(self, argument: object, kind: str, offset: int) -> None:
        """Hand a nested loader's payload, when literal in the file, to ``nested``."""
        assert self.nested is not None
        with contextlib.ExitStack() as held:  # decompressed payloads live until scanned

            def inflate(data: Span | bytes, codec: str, func: str) -> Span | None:
                from ptmscope.scan.decompress import decompressed  # a compressed payload

                what = f"{func} payload loaded at offset {self.rel(offset)}"
                inflated = held.enter_context(decompressed(data, codec, self.ctx, what))
                return inflated.span if inflated is not None else None

            payload = helpers.payload(argument, self.buf, self.rules, inflate)
            if payload is not None:
                self.nested(payload, kind, offset)

    # ------------------------------------------------------------ running
    def run(self, pos: int) -> int:
        """Interpret from ``pos`` to the first ``STOP``; return the offset after it."""
        handlers = _HANDLERS
        frame = _HANDLERS[0x95]
        frame_end = self.frame_end
        buf = self.buf
        end = self.end
        budget = self.ctx.budget
        check = 0
        try:
            while True:
                if pos >= end:
                    raise Malformed("truncated: the stream ends before STOP")
                op = buf[pos]
                handler = handlers[op]
                if handler is None:
                    raise Malformed(f"unknown opcode 0x{op:02x}")
                self.op_offset = pos
                pos = handler(self, pos + 1)
                if pos > frame_end or handler is frame:  # past a frame's end, or a new one
                    if pos > self.frame_end:
                        if self.op_offset >= self.frame_end:  # began after it: it was used up
                            self.frame_end = NO_FRAME
                        else:
                            self._crossed(pos)
                    frame_end = self.frame_end
                if self.stopped:
                    return pos
                check += 1
                if check >= CHECK_EVERY:
                    self.ops += check
                    if self.searching:
                        budget.search_ops_left -= check
                        if budget.search_ops_left < 0:
                            raise SearchSpent(self.limits.search_opcodes)
                    check = 0
                    if self.ops > self.limits.opcodes:
                        raise Malformed(f"more than {self.limits.opcodes} opcodes")
                    self.ctx.check_time()
        finally:
            self.ops += check
            if self.searching:
                budget.search_ops_left -= check


# ---------------------------------------------------------------- opcode handlers
Handler = Callable[[Interpreter, int], int]
_HANDLERS: list[Handler | None] = [None] * 256


def _op(code: bytes) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[code[0]] = func
        return func

    return register


@_op(b"\x80")
def _proto(m: Interpreter, pos: int) -> int:
    m._need(pos, 1)
    version = m.buf[pos]
    if version > 5:
        raise Malformed(f"unsupported pickle protocol {version}")
    if m.proto or (m.op_offset != m.base and m.stack):
        if m.searching:
            # A searched candidate ends here; the search resumes at this PROTO. The file's
            # first stream is read on (pickle.load does), or a payload could follow it.
            raise Malformed("PROTO repeated inside the stream")
        m.event(
            EventKind.ANOMALY,
            m.op_offset,
            "PROTO repeated inside the stream (no pickler writes this)",
        )
    m.proto = max(m.proto, version, 1)
    return pos + 1


@_op(b"\x95")
def _frame(m: Interpreter, pos: int) -> int:
    """Model the buffer the C unpickler reads a frame into (see :mod:`.frames`)."""
    start = pos + FRAME_HEADER
    if start > m.end:
        raise Malformed("truncated: operand runs past the end of the data")
    length = int.from_bytes(m.buf[pos:start], "little")
    buffered = m.frame_end
    if m.op_offset >= buffered and m.spliced is None and start + length <= m.end:
        m.frame_end = start + length  # what picklers write: a frame after a frame
        return start
    if m.op_offset >= buffered:
        buffered = NO_FRAME
    elif buffered != NO_FRAME and start > buffered:  # the length operand runs past it
        m._straddled(pos, buffered, ReadKind.READ, 0x95)
        buffered = NO_FRAME
    if length > MAX_FRAME:
        raise Malformed("FRAME longer than any unpickler accepts")
    if buffered != NO_FRAME and start < buffered:
        if start + length <= buffered:
            m._frame_event(
                m.op_offset,
                "FRAME inside a frame that is not used up: the C unpickler reads on, the "
                "Python unpickler refuses it (no pickler writes this)",
            )
            return start  # the C unpickler only checks that the bytes are buffered
        m._diverge(Cut(start, buffered), "FRAME inside a frame that is not used up")
    m.frame_end = start + length
    overlong = m.frame_end > m.end
    if m.spliced is not None:  # where the frame's bytes end, now that some were cut
        original = m.spliced.locate(start) + length
        overlong = original > m.spliced.size
        m.frame_end = m.spliced.unlocate(original)
    if overlong:
        if m.file_reading:
            raise Malformed("FRAME longer than the data (the C unpickler stops here)")
        m._frame_event(
            m.op_offset,
            f"FRAME declares {length:,} bytes but {m.end - start:,} follow: the C unpickler "
            "stops here ('pickle data was truncated'), the Python unpickler runs what follows",
        )
    return start


@_op(b".")
def _stop(m: Interpreter, pos: int) -> int:
    m._pop()
    m.stopped = True
    return pos


@_op(b"(")
def _mark(m: Interpreter, pos: int) -> int:
    if len(m.metastack) >= m.limits.stack:
        raise Malformed("too many nested MARKs")
    m.metastack.append(m.stack)
    m.stack = []
    return pos


@_op(b"0")
def _pop(m: Interpreter, pos: int) -> int:
    if m.stack:
        m.stack.pop()
    else:
        m._pop_mark()
    return pos


@_op(b"1")
def _pop_mark(m: Interpreter, pos: int) -> int:
    m._pop_mark()
    return pos


@_op(b"2")
def _dup(m: Interpreter, pos: int) -> int:
    m._push(m._top())
    return pos


def _int_text(line: bytes) -> object:
    if line == b"00":
        return False
    if line == b"01":
        return True
    try:
        return int(line.rstrip(b"L") or b"x")
    except ValueError:
        if len(line) > HUGE_TEXT_INT and line.strip().lstrip(b"-").isdigit():
            return Opaque("huge integer")
        raise Malformed(f"bad integer {line[:20]!r}") from None


@_op(b"I")
def _int(m: Interpreter, pos: int) -> int:
    line, pos = m._line(pos)
    m._push(_int_text(line))
    return pos


@_op(b"L")
def _long(m: Interpreter, pos: int) -> int:
    line, pos = m._line(pos)
    m._push(_int_text(line))
    return pos


@_op(b"J")
def _binint(m: Interpreter, pos: int) -> int:
    m._need(pos, 4)
    m._push(int.from_bytes(m.buf[pos : pos + 4], "little", signed=True))
    return pos + 4


@_op(b"K")
def _binint1(m: Interpreter, pos: int) -> int:
    m._push(m._uint(pos, 1))
    return pos + 1


@_op(b"M")
def _binint2(m: Interpreter, pos: int) -> int:
    m._push(m._uint(pos, 2))
    return pos + 2


@_op(b"\x8a")
def _long1(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 1)
    m._need(pos + 1, n)
    m._push(int.from_bytes(m.buf[pos + 1 : pos + 1 + n], "little", signed=True))
    return pos + 1 + n


@_op(b"\x8b")
def _long4(m: Interpreter, pos: int) -> int:
    m._need(pos, 4)
    n = int.from_bytes(m.buf[pos : pos + 4], "little", signed=True)
    if n < 0:
        raise Malformed("LONG4 with negative length")
    m._need(pos + 4, n)
    if n > MAX_LONG_BYTES:
        m._push(Opaque("huge integer"))
    else:
        m._push(int.from_bytes(m.buf[pos + 4 : pos + 4 + n], "little", signed=True))
    return pos + 4 + n


@_op(b"F")
def _float(m: Interpreter, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        m._push(float(line))
    except ValueError:
        raise Malformed(f"bad float {line[:20]!r}") from None
    return pos


@_op(b"G")
def _binfloat(m: Interpreter, pos: int) -> int:
    m._need(pos, 8)
    value = _F64.unpack_from(bytes(m.buf[pos : pos + 8]))[0]
    m._push(0.0 if math.isnan(value) else value)
    return pos + 8


@_op(b"N")
def _none(m: Interpreter, pos: int) -> int:
    m._push(None)
    return pos


@_op(b"\x88")
def _true(m: Interpreter, pos: int) -> int:
    m._push(True)
    return pos


@_op(b"\x89")
def _false(m: Interpreter, pos: int) -> int:
    m._push(False)
    return pos


@_op(b"S")
def _string(m: Interpreter, pos: int) -> int:
    line, pos = m._line(pos)
    if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b"'", b'"'):
        raise Malformed("STRING operand is not quoted")
    try:
        raw = codecs.escape_decode(line[1:-1])[0]
    except ValueError:
        raise Malformed("bad escape in STRING operand") from None
    m._push(raw.decode("latin-1"))
    if len(raw) >= embedded.MIN_BYTES:
        m.payloads += 1  # protocol 0 text: rare, so looked at whatever it holds
    return pos


@_op(b"T")
def _binstring(m: Interpreter, pos: int) -> int:
    m._need(pos, 4)
    n = int.from_bytes(m.buf[pos : pos + 4], "little", signed=True)
    if n < 0:
        raise Malformed("BINSTRING with negative length")
    m._push(m._text(pos + 4, n, "latin-1"))
    return pos + 4 + n


@_op(b"U")
def _short_binstring(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 1)
    m._push(m._text(pos + 1, n, "latin-1"))
    return pos + 1 + n


@_op(b"B")
def _binbytes(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 4)
    m._push(m._bytes(pos + 4, n))
    return pos + 4 + n


@_op(b"C")
def _short_binbytes(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 1)
    m._push(m._bytes(pos + 1, n))
    return pos + 1 + n


@_op(b"\x8e")
def _binbytes8(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 8)
    m._push(m._bytes(pos + 8, n))
    return pos + 8 + n


@_op(b"\x96")
def _bytearray8(m: Interpreter, pos: int) -> int:
    return _binbytes8(m, pos)


@_op(b"V")
def _unicode(m: Interpreter, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        m._push(line.decode("raw-unicode-escape"))
    except UnicodeDecodeError:
        raise Malformed("bad UNICODE operand") from None
    if len(line) >= embedded.MIN_BYTES:
        m.payloads += 1  # protocol 0 text: rare, so looked at whatever it holds
    return pos


@_op(b"X")
def _binunicode(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 4)
    m._push(_utf8(m, pos + 4, n))
    return pos + 4 + n


@_op(b"\x8c")
def _short_binunicode(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 1)
    m._push(_utf8(m, pos + 1, n))
    return pos + 1 + n


@_op(b"\x8d")
def _binunicode8(m: Interpreter, pos: int) -> int:
    n = m._uint(pos, 8)
    m._push(_utf8(m, pos + 8, n))
    return pos + 8 + n


def _utf8(m: Interpreter, start: int, n: int) -> object:
    try:
        return m._text(start, n, "utf-8")
    except UnicodeDecodeError:
        raise Malformed("string operand is not UTF-8") from None


@_op(b"\x97")
def _next_buffer(m: Interpreter, pos: int) -> int:
    m._push(Opaque("out-of-band buffer"))
    return pos


@_op(b"\x98")
def _readonly_buffer(m: Interpreter, pos: int) -> int:
    m._top()
    return pos


@_op(b")")
def _empty_tuple(m: Interpreter, pos: int) -> int:
    m._push(())
    return pos


@_op(b"t")
def _tuple(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    m._push(tuple(items[: m.limits.container_items]))
    return pos


@_op(b"\x85")
def _tuple1(m: Interpreter, pos: int) -> int:
    m._push((m._pop(),))
    return pos


@_op(b"\x86")
def _tuple2(m: Interpreter, pos: int) -> int:
    b = m._pop()
    a = m._pop()
    m._push((a, b))
    return pos


@_op(b"\x87")
def _tuple3(m: Interpreter, pos: int) -> int:
    c = m._pop()
    b = m._pop()
    a = m._pop()
    m._push((a, b, c))
    return pos


@_op(b"]")
def _empty_list(m: Interpreter, pos: int) -> int:
    m._push([])
    return pos


@_op(b"l")
def _list(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    m._push(items[: m.limits.container_items])
    return pos


def _extend(m: Interpreter, target: object, items: list[object]) -> None:
    if isinstance(target, list):
        room = m.limits.container_items - len(target)
        if room > 0:
            target.extend(items[:room])
    elif isinstance(target, SymDict):
        raise Malformed("APPEND to a dict")
    elif isinstance(target, Call):
        m._mark_called(target.func, m.op_offset, ())


@_op(b"a")
def _append(m: Interpreter, pos: int) -> int:
    value = m._pop()
    _extend(m, m._top(), [value])
    return pos


@_op(b"e")
def _appends(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    _extend(m, m._top(), items)
    return pos


@_op(b"}")
def _empty_dict(m: Interpreter, pos: int) -> int:
    m._push(SymDict())
    return pos


def _set_items(m: Interpreter, target: object, items: list[object]) -> None:
    if len(items) % 2:
        raise Malformed("odd number of items for a dict")
    if isinstance(target, SymDict):
        room = m.limits.container_items - len(target.pairs)
        pairs = list(zip(items[::2], items[1::2], strict=True))
        target.pairs.extend(pairs[: max(room, 0)])
    elif isinstance(target, Call):
        m._mark_called(target.func, m.op_offset, ())
    elif not isinstance(target, Opaque):
        raise Malformed("SETITEM on a value that is not a mapping")


@_op(b"d")
def _dict(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    d = SymDict()
    _set_items(m, d, items)
    m._push(d)
    return pos


@_op(b"s")
def _setitem(m: Interpreter, pos: int) -> int:
    value = m._pop()
    key = m._pop()
    _set_items(m, m._top(), [key, value])
    return pos


@_op(b"u")
def _setitems(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    _set_items(m, m._top(), items)
    return pos


@_op(b"\x8f")
def _empty_set(m: Interpreter, pos: int) -> int:
    m._push([])
    return pos


@_op(b"\x90")
def _additems(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    _extend(m, m._top(), items)
    return pos


@_op(b"\x91")
def _frozenset(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    m._push(tuple(items[: m.limits.container_items]))
    return pos


_MISSING = object()


def _memo_get(m: Interpreter, key: int) -> int:
    value = m.memo.get(key, _MISSING)
    if value is _MISSING:
        if not m.memo_full:
            raise Malformed(f"memo key {key} was never stored")
        value = Opaque("memo entry beyond the scan's memo limit")
    m._push(value)
    return 0


def _memo_put(m: Interpreter, key: int) -> None:
    if key < 0:
        raise Malformed("negative memo key")
    if len(m.memo) >= m.limits.memo and key not in m.memo:
        m.memo_full = True  # not stored: its GETs see an unknown value
        return
    m.memo[key] = m._top()


@_op(b"g")
def _get(m: Interpreter, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        key = int(line)
    except ValueError:
        raise Malformed("bad GET key") from None
    _memo_get(m, key)
    return pos


@_op(b"h")
def _binget(m: Interpreter, pos: int) -> int:
    _memo_get(m, m._uint(pos, 1))
    return pos + 1


@_op(b"j")
def _long_binget(m: Interpreter, pos: int) -> int:
    _memo_get(m, m._uint(pos, 4))
    return pos + 4


@_op(b"p")
def _put(m: Interpreter, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        key = int(line)
    except ValueError:
        raise Malformed("bad PUT key") from None
    _memo_put(m, key)
    return pos


@_op(b"q")
def _binput(m: Interpreter, pos: int) -> int:
    _memo_put(m, m._uint(pos, 1))
    return pos + 1


@_op(b"r")
def _long_binput(m: Interpreter, pos: int) -> int:
    _memo_put(m, m._uint(pos, 4))
    return pos + 4


@_op(b"\x94")
def _memoize(m: Interpreter, pos: int) -> int:
    _memo_put(m, len(m.memo))
    return pos


def _names(m: Interpreter, pos: int) -> tuple[str, str, int]:
    module, pos = m._line(pos)
    name, pos = m._line(pos)
    try:
        return module.decode("utf-8"), name.decode("utf-8"), pos
    except UnicodeDecodeError:
        raise Malformed("GLOBAL operand is not UTF-8") from None


@_op(b"c")
def _global(m: Interpreter, pos: int) -> int:
    offset = m.op_offset
    module, name, pos = _names(m, pos)
    m._push(m._global(module, name, offset))
    return pos


@_op(b"\x93")
def _stack_global(m: Interpreter, pos: int) -> int:
    name = m._pop()
    module = m._pop()
    if isinstance(module, str) and isinstance(name, str):
        m._push(m._global(module, name, m.op_offset))
        return pos
    m.dynamic += 1
    m.event(
        EventKind.DYNAMIC_IMPORT,
        m.op_offset,
        "STACK_GLOBAL imports a name computed at load time "
        f"({_describe(module)} . {_describe(name)}); no scanner can list it in advance",
    )
    m._push(Ref("<dynamic>", m.op_offset))
    return pos


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Call):
        return f"result of {target_of(value.func) or 'a call'}"
    return type(value).__name__.lower()


@_op(b"i")
def _inst(m: Interpreter, pos: int) -> int:
    offset = m.op_offset
    module, name, pos = _names(m, pos)
    args = m._pop_mark()
    ref = m._global(module, name, offset)
    m._push(m._call(ref, tuple(args), offset))
    return pos


@_op(b"o")
def _obj(m: Interpreter, pos: int) -> int:
    items = m._pop_mark()
    if not items:
        raise Malformed("OBJ without a class")
    m._push(m._call(items[0], tuple(items[1:]), m.op_offset))
    return pos


@_op(b"\x81")
def _newobj(m: Interpreter, pos: int) -> int:
    args = m._pop()
    cls = m._pop()
    m._push(m._call(cls, args, m.op_offset, _CONSTRUCTED))
    return pos


@_op(b"\x92")
def _newobj_ex(m: Interpreter, pos: int) -> int:
    m._pop()
    args = m._pop()
    cls = m._pop()
    m._push(m._call(cls, args, m.op_offset, _CONSTRUCTED))
    return pos


@_op(b"R")
def _reduce(m: Interpreter, pos: int) -> int:
    args = m._pop()
    func = m._pop()
    m._push(m._call(func, args, m.op_offset))
    return pos


@_op(b"b")
def _build(m: Interpreter, pos: int) -> int:
    state = m._pop()
    obj = m._top()
    if isinstance(obj, Ref):
        m.event(
            EventKind.ANOMALY,
            m.op_offset,
            f"BUILD sets attributes on the imported object {obj.target} (patches code at load time)",
            target=obj.target,
        )
        m._mark_called(obj, m.op_offset, state)
    elif isinstance(obj, Call):
        obj.state = state
        target = target_of(obj.func)
        if target in m.rules.array_wrappers:
            return _joblib_array(m, pos, state)
        if m.payloads and m.embedded is not None:
            m._embedded((state,), f"{target or 'a computed object'}.__setstate__", m.op_offset)
    return pos


@_op(b"P")
def _persid(m: Interpreter, pos: int) -> int:
    _, pos = m._line(pos)
    m._push(Opaque("persistent id"))
    return pos


@_op(b"Q")
def _binpersid(m: Interpreter, pos: int) -> int:
    pid = m._pop()
    if len(m.persistent_ids) < m.limits.memo:
        m.persistent_ids.append(pid)
    m._push(Opaque("persistent id"))
    return pos


def _ext(size: int) -> Handler:
    def handler(m: Interpreter, pos: int) -> int:
        code = m._uint(pos, size)
        m.event(
            EventKind.EXTENSION,
            m.op_offset,
            f"extension code {code} names a callable registered at load time (copyreg "
            "extension); it cannot be checked",
            target=f"<extension {code}>",
        )
        m._push(Ref(f"<extension {code}>", m.op_offset))
        return pos + size

    return handler


_HANDLERS[0x82] = _ext(1)
_HANDLERS[0x83] = _ext(2)
_HANDLERS[0x84] = _ext(4)


def _joblib_array(m: Interpreter, pos: int, state: object) -> int:
    """Step over the array joblib writes right after a ``NumpyArrayWrapper`` BUILD."""
    if m.frame_end != NO_FRAME and pos < m.frame_end:
        m._frame_event(
            pos,
            "joblib array data starts inside a FRAME: joblib reads it from the end of the "
            "frame, so the rest of the frame is read as opcodes after it (no writer does this)",
        )
    m.frame_end = NO_FRAME  # joblib reads the array from the file, past any frame
    m._pop()
    m._push(Opaque("joblib array"))
    if not isinstance(state, SymDict):
        raise Malformed("joblib array wrapper without a state dict")
    dtype = state.get("dtype")
    shape = state.get("shape")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise Malformed("joblib array wrapper with an unreadable shape")
    itemsize, has_object = _dtype_size(dtype)
    if has_object:
        inner = Interpreter(
            Span(m.buf, pos, m.end),
            m.ctx,
            rules=m.rules,
            listener=m.listener,
            nested=m.nested,
            origin=m.origin + (pos - m.base),
            embedded=m.embedded,
        )
        try:
            return inner.run(pos)
        finally:
            m.listener.stream_done(inner)
    if itemsize is None:
        raise Malformed("joblib array of a dtype whose size is unknown")
    if state.get("numpy_array_alignment_bytes") is not None:
        padding = m._uint(pos, 1)
        pos += 1 + padding
    size = math.prod(shape) * itemsize
    m._need(pos, size)
    return pos + size


def _dtype_size(dtype: object) -> tuple[int | None, bool]:
    if not isinstance(dtype, Call) or target_of(dtype.func) != "numpy.dtype":
        return None, False
    args = dtype.args if isinstance(dtype.args, tuple) else ()
    spec = args[0] if args and isinstance(args[0], str) else ""
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    has_object = spec.startswith("O") or (
        len(state) > 7 and isinstance(state[7], int) and bool(state[7] & 1)
    )
    if len(state) > 5 and isinstance(state[5], int) and state[5] > 0:
        return state[5], has_object
    digits = spec.lstrip("<>|=").lstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ?")
    return (int(digits) if digits.isdigit() else None), has_object
