"""A static pickle interpreter: what loading would import and call, without loading.

Denylist scanners list the ``GLOBAL`` opcodes they see; attackers answer with
names built at run time (``STACK_GLOBAL`` fed by ``str.lower`` results laundered
through the memo), resolvers (``getattr``, ``pkgutil.resolve_name``) and nested
pickles. This machine executes every opcode of protocols 0–5 on a symbolic
stack instead: strings and numbers are real values, imported callables are
:class:`Ref`, calls are :class:`Call`, and a few pure functions attackers use to
build names (``str.lower``, ``getattr`` on a module…) are evaluated, so the
callable a name finally reaches is judged, whatever path it took. Nothing is
imported and nothing is run.

Bounds: strings and bytes longer than ``Limits.small`` stay in the file as
:class:`Blob` references; containers keep their first items only; memo, stack,
opcode count and time are capped. Every finding is emitted even when the parse
fails later, and the failure is reported beside it.
"""

from __future__ import annotations

import codecs
import contextlib
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from ptmscope.scan.context import ScanContext, SearchSpent, Span
from ptmscope.scan.decompress import decompressed
from ptmscope.scan.policy import Decision, normalize
from ptmscope.severity import Severity

_MAX_NAME = 4096
"""Longer ``GLOBAL`` operands name nothing importable; they end the parse."""
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_F64 = struct.Struct(">d")


class Malformed(Exception):
    """The stream is not a valid pickle from here on."""


_CHECK_EVERY = 4096
"""Opcodes between checks of the opcode, search and time limits."""


class _Mark:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MARK"


MARK = _Mark()


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
    target: str
    offset: int
    via: str | None = None
    called_at: int | None = None
    count: int = 0
    preview: str | None = None


_STRING_METHODS: dict[str, Callable[..., object]] = {
    f"builtins.str.{name}": getattr(str, name)
    for name in (
        "lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title", "capitalize",
        "swapcase", "replace", "join", "__add__", "removeprefix", "removesuffix",
    )
}  # fmt: skip
"""Pure, bounded string functions. Never ``format`` (it reads attributes of its
arguments) nor ``__mul__`` (its size is the attacker's to choose)."""
_SAFE_CODECS = frozenset(
    {"utf-8", "utf8", "latin-1", "latin1", "ascii", "rot13", "rot_13", "hex", "base64"}
)
_RESOLVERS_PAIR = frozenset({"numpy.core._ufunc_reconstruct", "numpy._core._ufunc_reconstruct"})
_RESOLVERS_ATTR = frozenset({"builtins.getattr", "inspect.getattr_static"})
_RESOLVERS_MODULE = frozenset(
    {"builtins.__import__", "importlib.import_module", "importlib.__import__"}
)
_RESOLVERS_NAME = frozenset({"pkgutil.resolve_name", "pydoc.locate"})
_MODULE_LOOKUP = frozenset({"sys.modules.get", "sys.modules.__getitem__"})
_GETITEM = frozenset({"operator.getitem", "_operator.getitem"})
_ATTRGETTER = frozenset({"operator.attrgetter", "_operator.attrgetter"})
_METHODCALLER = frozenset({"operator.methodcaller", "_operator.methodcaller"})
_PARTIAL = frozenset({"functools.partial"})
_DECOMPRESSORS = {
    "zlib.decompress": "zlib",
    "gzip.decompress": "gzip",
    "bz2.decompress": "bzip2",
    "lzma.decompress": "xz",
}
"""Decompressing calls whose literal argument is inflated and scanned as the payload."""
_JOBLIB_WRAPPERS = frozenset(
    {
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    }
)


def target_of(value: object) -> str | None:
    return value.target if isinstance(value, Ref) else None


class PickleMachine:
    """Runs one pickle stream (one ``STOP``) symbolically; see :func:`scan_pickle_stream`."""

    def __init__(
        self,
        span: Span,
        ctx: ScanContext,
        *,
        nested: Callable[[Span | bytes, str, int], None] | None = None,
        speculative: bool = False,
        searching: bool = False,
    ) -> None:
        self.buf = span.buf
        self.base = span.start
        self.end = span.end
        self.ctx = ctx
        self.limits = ctx.limits
        self.policy = ctx.policy
        self.nested = nested
        self.speculative = speculative
        self.searching = searching
        """Opcodes count against the file's search budget (a stream that only might exist)."""
        self.stack: list[object] = []
        self.metastack: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.records: dict[str, Record] = {}
        self.dynamic = 0
        """STACK_GLOBALs of computed names (each reported as it is met)."""
        self.names_rule = False
        """A name past the ``names`` limit matched a policy rule that is not an allow rule."""
        self.memo_full = False
        self.op_offset = 0
        self.proto = 0
        self.ops = 0
        self.stopped = False
        self.persistent_ids: list[object] = []

    # ------------------------------------------------------------ reading
    def _need(self, pos: int, count: int) -> None:
        if count < 0 or pos + count > self.end:
            raise Malformed("truncated: operand runs past the end of the data")

    def _uint(self, pos: int, size: int) -> int:
        self._need(pos, size)
        return int.from_bytes(self.buf[pos : pos + size], "little")

    def _line(self, pos: int) -> tuple[bytes, int]:
        limit = min(self.end, pos + (1 << 20))
        nl = self.buf.find(b"\n", pos, limit)
        if nl < 0:
            raise Malformed("truncated: text operand has no newline")
        return bytes(self.buf[pos:nl]), nl + 1

    def _text(self, start: int, length: int, encoding: str) -> object:
        self._need(start, length)
        if length > self.limits.small:
            return Blob(start, length, True)
        return bytes(self.buf[start : start + length]).decode(encoding, "surrogatepass")

    def _bytes(self, start: int, length: int) -> object:
        self._need(start, length)
        if length > self.limits.small:
            return Blob(start, length, False)
        return bytes(self.buf[start : start + length])

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
        if len(self.stack) >= self.limits.stack:
            raise Malformed(f"stack deeper than {self.limits.stack} items")
        self.stack.append(value)

    def _top(self) -> object:
        if not self.stack:
            raise Malformed("stack underflow")
        return self.stack[-1]

    # ------------------------------------------------------------ imports and calls
    def _import(self, module: str, name: str, offset: int, via: str | None = None) -> Ref:
        target = normalize(module, name)
        record = self.records.get(target)
        if record is None:
            if len(self.records) >= self.limits.names:
                self._judge_now(target, offset, via)
                return Ref(target, offset)
            record = self.records[target] = Record(target, offset, via)
        record.count += 1
        return Ref(target, offset)

    def _judge_now(self, target: str, offset: int, via: str | None) -> None:
        """A name past the ``names`` limit: not remembered, judged at once as if called,
        so a million distinct names cost no memory and still cannot hide one."""
        decision = self.policy.decide(target)
        severity = self.policy.severity_for(decision, True)
        if severity is None:
            return
        if decision.rule is not None:
            self.names_rule = True
        rule_id, category, reason = _judgement(decision)
        self.ctx.add(
            rule_id,
            severity,
            f"imports {target}"
            + (f", reached through {via}" if via else "")
            + f": {reason} (one of more than {self.limits.names:,} distinct names in the stream; "
            "judged as if called)",
            offset=self._rel(offset),
            target=target,
            category=category,
        )

    def _anomaly(
        self,
        offset: int,
        message: str,
        *,
        target: str | None = None,
        severity: Severity = Severity.MEDIUM,
    ) -> None:
        """Something no pickler writes; reported at once (the ledger caps repeats)."""
        self.ctx.add(
            "pickle.anomaly",
            severity,
            message,
            offset=self._rel(offset),
            target=target,
            category="evasion",
        )

    def _global(self, module: str, name: str, offset: int) -> Ref:
        if len(module) + len(name) > _MAX_NAME:
            raise Malformed(f"GLOBAL operand longer than {_MAX_NAME} characters")
        if not (_IDENT.match(module) and _IDENT.match(name)):
            if self.speculative or self.proto == 0:
                raise Malformed(f"GLOBAL operand {module!r} {name!r} is not a Python name")
            self._anomaly(
                offset,
                f"global with a name Python cannot import: {module!r}.{name!r}",
                target=f"{module}.{name}",
            )
        return self._import(module, name, offset)

    def _derive(self, base: object, attr: str, offset: int, via: str) -> Ref | None:
        if isinstance(base, Ref) and isinstance(attr, str):
            module, _, name = f"{base.target}.{attr}".partition(".")
            return self._import(module, name, offset, via)
        return None

    def _mark_called(self, value: object, offset: int, args: object) -> None:
        if isinstance(value, Ref):
            record = self.records.get(value.target)
            if record is not None and record.called_at is None:
                record.called_at = offset
                record.preview = _preview(args, self)

    def _call(self, func: object, args: object, offset: int) -> object:
        argv = args if isinstance(args, tuple | list) else ()
        target = target_of(func)
        if isinstance(func, Call):
            inner = target_of(func.func)
            fargs = func.args if isinstance(func.args, tuple | list) else ()
            if inner in _ATTRGETTER and fargs and argv and isinstance(fargs[0], str):
                derived = self._derive(argv[0], fargs[0], offset, f"{inner}({fargs[0]!r})")
                return derived if derived is not None else Call(func, args, offset)
            if inner in _METHODCALLER and fargs and argv and isinstance(fargs[0], str):
                derived = self._derive(argv[0], fargs[0], offset, f"{inner}({fargs[0]!r})")
                if derived is not None:
                    self._mark_called(derived, offset, tuple(fargs[1:]))
                return Call(derived or func, args, offset)
            if inner in _PARTIAL and fargs:
                return self._call(fargs[0], (*fargs[1:], *argv), offset)
        self._mark_called(func, offset, args)
        if target is None:
            return Call(func, args, offset)
        for index in self.policy.calls_arguments.get(target, ()):
            if index < len(argv):
                self._mark_called(argv[index], offset, ())
        kind = self.policy.loaders.get(target)
        if kind is not None and argv and self.nested is not None:
            with contextlib.ExitStack() as held:  # decompressed payloads live until scanned
                payload = self._payload(argv[0], held, offset)
                if payload is not None:
                    self.nested(payload, kind, offset)
        value = self._evaluate(target, argv, offset)
        return Call(func, args, offset) if value is None else value

    def _evaluate(
        self, target: str, argv: tuple[object, ...] | list[object], offset: int
    ) -> object:
        """The few pure functions attackers use to build names, evaluated on known values."""
        first = argv[0] if argv else None
        if target in _STRING_METHODS and isinstance(first, str):
            rest = argv[1:]
            if len(rest) <= 3 and all(
                isinstance(a, str) or _is_str_list(a) or (isinstance(a, int) and abs(a) < 1 << 16)
                for a in rest
            ):
                try:
                    result = _STRING_METHODS[target](first, *rest)
                except Exception:  # any failure just leaves the value unknown
                    return None
                if isinstance(result, str) and len(result) <= self.limits.small:
                    return result
            return None
        if (
            target in _RESOLVERS_PAIR
            and len(argv) >= 2
            and isinstance(first, str)
            and isinstance(argv[1], str)
        ):
            return self._import(first, argv[1], offset, target)
        if target in _RESOLVERS_MODULE and isinstance(first, str):
            module, _, name = first.partition(".")
            return self._import(
                module, name if target != "builtins.__import__" else "", offset, target
            )
        if target in _RESOLVERS_ATTR and len(argv) >= 2 and isinstance(argv[1], str):
            return self._derive(first, argv[1], offset, target)
        if target in _RESOLVERS_NAME and isinstance(first, str):
            module, _, name = first.replace(":", ".").partition(".")
            return self._import(module, name, offset, target)
        if target in _MODULE_LOOKUP and isinstance(first, str):
            module, _, name = first.partition(".")
            return self._import(module, name, offset, target)
        if target in _GETITEM and len(argv) >= 2 and target_of(first) == "sys.modules":
            key = argv[1]
            if isinstance(key, str):
                module, _, name = key.partition(".")
                return self._import(module, name, offset, target)
        if target in {"builtins.bytes.decode", "codecs.decode", "_codecs.decode"} and isinstance(
            first, bytes
        ):
            encoding = argv[1] if len(argv) > 1 and isinstance(argv[1], str) else "utf-8"
            if encoding.lower() not in _SAFE_CODECS:
                return None
            try:
                text = codecs.decode(first, encoding)
            except Exception:
                return None
            return text if isinstance(text, str) else None
        if target in {"codecs.decode", "_codecs.decode"} and isinstance(first, str):
            encoding = argv[1] if len(argv) > 1 and isinstance(argv[1], str) else ""
            if encoding.replace("_", "").lower() in {"rot13", "rot-13"}:
                return codecs.decode(first, "rot13")
        if target in {"base64.b64decode", "base64.standard_b64decode"} and isinstance(
            first, str | bytes
        ):
            try:
                import base64

                return base64.b64decode(first)
            except ValueError:
                return None
        return None

    def _payload(
        self, value: object, held: contextlib.ExitStack, offset: int
    ) -> Span | bytes | None:
        """Bytes a nested loader would read, when the file holds them literally
        (decompressed through the scanner's one bounded routine, held open by ``held``)."""
        for _ in range(8):
            if isinstance(value, bytes):
                return value
            if isinstance(value, Blob):
                if not value.text:
                    return Span(self.buf, value.start, value.start + value.length)
                raw = bytes(self.buf[value.start : value.start + value.length])
                return raw.decode("utf-8", "surrogatepass").encode("latin-1", "replace")
            if isinstance(value, str):
                return value.encode("latin-1", "replace")
            if isinstance(value, Call):
                func = target_of(value.func)
                args = value.args if isinstance(value.args, tuple) else ()
                if not args:
                    return None
                codec = _DECOMPRESSORS.get(func or "")
                if codec is not None:
                    inner = self._payload(args[0], held, offset)
                    if inner is None:
                        return None
                    what = f"{func} payload loaded at offset {self._rel(offset)}"
                    inflated = held.enter_context(decompressed(inner, codec, self.ctx, what))
                    return inflated.span if inflated is not None else None
                if func in {
                    "io.BytesIO",
                    "_io.BytesIO",
                    "_codecs.encode",
                    "codecs.encode",
                    "builtins.bytes",
                    "builtins.bytearray",
                    "base64.b64decode",
                }:
                    value = args[0]
                    if func == "base64.b64decode":
                        inner = self._payload(value, held, offset)
                        if inner is None:
                            return None
                        import base64

                        try:
                            return base64.b64decode(
                                bytes(inner.view()) if isinstance(inner, Span) else inner
                            )
                        except ValueError:
                            return None
                    continue
            return None
        return None

    # ------------------------------------------------------------ running
    def run(self, pos: int) -> int:
        """Interpret from ``pos`` to the first ``STOP``; return the offset after it."""
        handlers = _HANDLERS
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
                if self.stopped:
                    return pos
                check += 1
                if check >= _CHECK_EVERY:
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

    # ------------------------------------------------------------ reporting
    def report(self) -> None:
        """Turn what was seen into findings; called whether or not the parse finished."""
        ctx = self.ctx
        for record in self.records.values():
            decision = self.policy.decide(record.target)
            called = record.called_at is not None
            severity = self.policy.severity_for(decision, called)
            if severity is None:
                continue
            rule_id, category, reason = _judgement(decision)
            verb = "calls" if called else "imports"
            message = f"{verb} {record.target}"
            if called and record.preview:
                message += f"({record.preview})"
            if record.via:
                message += f", reached through {record.via}"
            message += f": {reason}"
            offset = record.called_at if record.called_at is not None else record.offset
            ctx.add(
                rule_id,
                severity,
                message,
                offset=self._rel(offset),
                target=record.target,
                category=category,
            )

    def _rel(self, offset: int | None) -> int | None:
        return None if offset is None else offset - self.base + self.origin

    origin = 0
    """Offset of this span within the file the user sees (set by the caller)."""


def _judgement(decision: Decision) -> tuple[str, str, str]:
    """Rule id, category and reason of a finding about an imported name."""
    rule = decision.rule
    if rule is not None:
        return f"pickle.{rule.category.replace('-', '_')}", rule.category, rule.reason
    return (
        "pickle.unlisted_callable",
        "unlisted",
        "not on the allow list of what loading a model needs",
    )


def _is_str_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _preview(args: object, machine: PickleMachine) -> str:
    if not isinstance(args, tuple | list):
        return "…"
    parts = []
    for arg in list(args)[:3]:
        if isinstance(arg, str | bytes | int | float | bool) or arg is None:
            text = repr(arg)
        elif isinstance(arg, Blob):
            text = f"<{arg.length:,} bytes>"
        elif isinstance(arg, Ref):
            text = arg.target
        elif isinstance(arg, Call):
            text = f"{target_of(arg.func) or '…'}(…)"
        else:
            text = "…"
        parts.append(text if len(text) <= 80 else text[:77] + "…")
    if len(args) > 3:
        parts.append("…")
    return ", ".join(parts)


# ---------------------------------------------------------------- opcode handlers
Handler = Callable[[PickleMachine, int], int]
_HANDLERS: list[Handler | None] = [None] * 256


def _op(code: bytes) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[code[0]] = func
        return func

    return register


@_op(b"\x80")
def _proto(m: PickleMachine, pos: int) -> int:
    m._need(pos, 1)
    version = m.buf[pos]
    if version > 5:
        raise Malformed(f"unsupported pickle protocol {version}")
    if m.proto or (m.op_offset != m.base and m.stack):
        if m.searching:
            # A searched candidate ends here; the search resumes at this PROTO. The file's
            # first stream is read on (pickle.load does), or a payload could follow it.
            raise Malformed("PROTO repeated inside the stream")
        m._anomaly(m.op_offset, "PROTO repeated inside the stream (no pickler writes this)")
    m.proto = max(m.proto, version, 1)
    return pos + 1


@_op(b"\x95")
def _frame(m: PickleMachine, pos: int) -> int:
    m._need(pos, 8)
    return pos + 8


@_op(b".")
def _stop(m: PickleMachine, pos: int) -> int:
    m._pop()
    m.stopped = True
    return pos


@_op(b"(")
def _mark(m: PickleMachine, pos: int) -> int:
    if len(m.metastack) >= m.limits.stack:
        raise Malformed("too many nested MARKs")
    m.metastack.append(m.stack)
    m.stack = []
    return pos


@_op(b"0")
def _pop(m: PickleMachine, pos: int) -> int:
    if m.stack:
        m.stack.pop()
    else:
        m._pop_mark()
    return pos


@_op(b"1")
def _pop_mark(m: PickleMachine, pos: int) -> int:
    m._pop_mark()
    return pos


@_op(b"2")
def _dup(m: PickleMachine, pos: int) -> int:
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
        if len(line) > 4000 and line.strip().lstrip(b"-").isdigit():
            return Opaque("huge integer")
        raise Malformed(f"bad integer {line[:20]!r}") from None


@_op(b"I")
def _int(m: PickleMachine, pos: int) -> int:
    line, pos = m._line(pos)
    m._push(_int_text(line))
    return pos


@_op(b"L")
def _long(m: PickleMachine, pos: int) -> int:
    line, pos = m._line(pos)
    m._push(_int_text(line))
    return pos


@_op(b"J")
def _binint(m: PickleMachine, pos: int) -> int:
    m._need(pos, 4)
    m._push(int.from_bytes(m.buf[pos : pos + 4], "little", signed=True))
    return pos + 4


@_op(b"K")
def _binint1(m: PickleMachine, pos: int) -> int:
    m._push(m._uint(pos, 1))
    return pos + 1


@_op(b"M")
def _binint2(m: PickleMachine, pos: int) -> int:
    m._push(m._uint(pos, 2))
    return pos + 2


@_op(b"\x8a")
def _long1(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 1)
    m._need(pos + 1, n)
    m._push(int.from_bytes(m.buf[pos + 1 : pos + 1 + n], "little", signed=True))
    return pos + 1 + n


@_op(b"\x8b")
def _long4(m: PickleMachine, pos: int) -> int:
    m._need(pos, 4)
    n = int.from_bytes(m.buf[pos : pos + 4], "little", signed=True)
    if n < 0:
        raise Malformed("LONG4 with negative length")
    m._need(pos + 4, n)
    if n > 1024:
        m._push(Opaque("huge integer"))
    else:
        m._push(int.from_bytes(m.buf[pos + 4 : pos + 4 + n], "little", signed=True))
    return pos + 4 + n


@_op(b"F")
def _float(m: PickleMachine, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        m._push(float(line))
    except ValueError:
        raise Malformed(f"bad float {line[:20]!r}") from None
    return pos


@_op(b"G")
def _binfloat(m: PickleMachine, pos: int) -> int:
    m._need(pos, 8)
    value = _F64.unpack_from(bytes(m.buf[pos : pos + 8]))[0]
    m._push(0.0 if math.isnan(value) else value)
    return pos + 8


@_op(b"N")
def _none(m: PickleMachine, pos: int) -> int:
    m._push(None)
    return pos


@_op(b"\x88")
def _true(m: PickleMachine, pos: int) -> int:
    m._push(True)
    return pos


@_op(b"\x89")
def _false(m: PickleMachine, pos: int) -> int:
    m._push(False)
    return pos


@_op(b"S")
def _string(m: PickleMachine, pos: int) -> int:
    line, pos = m._line(pos)
    if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b"'", b'"'):
        raise Malformed("STRING operand is not quoted")
    try:
        raw = codecs.escape_decode(line[1:-1])[0]
    except ValueError:
        raise Malformed("bad escape in STRING operand") from None
    m._push(raw.decode("latin-1"))
    return pos


@_op(b"T")
def _binstring(m: PickleMachine, pos: int) -> int:
    m._need(pos, 4)
    n = int.from_bytes(m.buf[pos : pos + 4], "little", signed=True)
    if n < 0:
        raise Malformed("BINSTRING with negative length")
    m._push(m._text(pos + 4, n, "latin-1"))
    return pos + 4 + n


@_op(b"U")
def _short_binstring(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 1)
    m._push(m._text(pos + 1, n, "latin-1"))
    return pos + 1 + n


@_op(b"B")
def _binbytes(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 4)
    m._push(m._bytes(pos + 4, n))
    return pos + 4 + n


@_op(b"C")
def _short_binbytes(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 1)
    m._push(m._bytes(pos + 1, n))
    return pos + 1 + n


@_op(b"\x8e")
def _binbytes8(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 8)
    m._push(m._bytes(pos + 8, n))
    return pos + 8 + n


@_op(b"\x96")
def _bytearray8(m: PickleMachine, pos: int) -> int:
    return _binbytes8(m, pos)


@_op(b"V")
def _unicode(m: PickleMachine, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        m._push(line.decode("raw-unicode-escape"))
    except UnicodeDecodeError:
        raise Malformed("bad UNICODE operand") from None
    return pos


@_op(b"X")
def _binunicode(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 4)
    m._push(_utf8(m, pos + 4, n))
    return pos + 4 + n


@_op(b"\x8c")
def _short_binunicode(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 1)
    m._push(_utf8(m, pos + 1, n))
    return pos + 1 + n


@_op(b"\x8d")
def _binunicode8(m: PickleMachine, pos: int) -> int:
    n = m._uint(pos, 8)
    m._push(_utf8(m, pos + 8, n))
    return pos + 8 + n


def _utf8(m: PickleMachine, start: int, n: int) -> object:
    try:
        return m._text(start, n, "utf-8")
    except UnicodeDecodeError:
        raise Malformed("string operand is not UTF-8") from None


@_op(b"\x97")
def _next_buffer(m: PickleMachine, pos: int) -> int:
    m._push(Opaque("out-of-band buffer"))
    return pos


@_op(b"\x98")
def _readonly_buffer(m: PickleMachine, pos: int) -> int:
    m._top()
    return pos


@_op(b")")
def _empty_tuple(m: PickleMachine, pos: int) -> int:
    m._push(())
    return pos


@_op(b"t")
def _tuple(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    m._push(tuple(items[: m.limits.container_items]))
    return pos


@_op(b"\x85")
def _tuple1(m: PickleMachine, pos: int) -> int:
    m._push((m._pop(),))
    return pos


@_op(b"\x86")
def _tuple2(m: PickleMachine, pos: int) -> int:
    b = m._pop()
    a = m._pop()
    m._push((a, b))
    return pos


@_op(b"\x87")
def _tuple3(m: PickleMachine, pos: int) -> int:
    c = m._pop()
    b = m._pop()
    a = m._pop()
    m._push((a, b, c))
    return pos


@_op(b"]")
def _empty_list(m: PickleMachine, pos: int) -> int:
    m._push([])
    return pos


@_op(b"l")
def _list(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    m._push(items[: m.limits.container_items])
    return pos


def _extend(m: PickleMachine, target: object, items: list[object]) -> None:
    if isinstance(target, list):
        room = m.limits.container_items - len(target)
        if room > 0:
            target.extend(items[:room])
    elif isinstance(target, SymDict):
        raise Malformed("APPEND to a dict")
    elif isinstance(target, Call):
        m._mark_called(target.func, m.op_offset, ())


@_op(b"a")
def _append(m: PickleMachine, pos: int) -> int:
    value = m._pop()
    _extend(m, m._top(), [value])
    return pos


@_op(b"e")
def _appends(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    _extend(m, m._top(), items)
    return pos


@_op(b"}")
def _empty_dict(m: PickleMachine, pos: int) -> int:
    m._push(SymDict())
    return pos


def _set_items(m: PickleMachine, target: object, items: list[object]) -> None:
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
def _dict(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    d = SymDict()
    _set_items(m, d, items)
    m._push(d)
    return pos


@_op(b"s")
def _setitem(m: PickleMachine, pos: int) -> int:
    value = m._pop()
    key = m._pop()
    _set_items(m, m._top(), [key, value])
    return pos


@_op(b"u")
def _setitems(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    _set_items(m, m._top(), items)
    return pos


@_op(b"\x8f")
def _empty_set(m: PickleMachine, pos: int) -> int:
    m._push([])
    return pos


@_op(b"\x90")
def _additems(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    _extend(m, m._top(), items)
    return pos


@_op(b"\x91")
def _frozenset(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    m._push(tuple(items[: m.limits.container_items]))
    return pos


_MISSING = object()


def _memo_get(m: PickleMachine, key: int) -> int:
    value = m.memo.get(key, _MISSING)
    if value is _MISSING:
        if not m.memo_full:
            raise Malformed(f"memo key {key} was never stored")
        value = Opaque("memo entry beyond the scan's memo limit")
    m._push(value)
    return 0


def _memo_put(m: PickleMachine, key: int) -> None:
    if key < 0:
        raise Malformed("negative memo key")
    if len(m.memo) >= m.limits.memo and key not in m.memo:
        m.memo_full = True  # not stored: its GETs see an unknown value
        return
    m.memo[key] = m._top()


@_op(b"g")
def _get(m: PickleMachine, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        key = int(line)
    except ValueError:
        raise Malformed("bad GET key") from None
    _memo_get(m, key)
    return pos


@_op(b"h")
def _binget(m: PickleMachine, pos: int) -> int:
    _memo_get(m, m._uint(pos, 1))
    return pos + 1


@_op(b"j")
def _long_binget(m: PickleMachine, pos: int) -> int:
    _memo_get(m, m._uint(pos, 4))
    return pos + 4


@_op(b"p")
def _put(m: PickleMachine, pos: int) -> int:
    line, pos = m._line(pos)
    try:
        key = int(line)
    except ValueError:
        raise Malformed("bad PUT key") from None
    _memo_put(m, key)
    return pos


@_op(b"q")
def _binput(m: PickleMachine, pos: int) -> int:
    _memo_put(m, m._uint(pos, 1))
    return pos + 1


@_op(b"r")
def _long_binput(m: PickleMachine, pos: int) -> int:
    _memo_put(m, m._uint(pos, 4))
    return pos + 4


@_op(b"\x94")
def _memoize(m: PickleMachine, pos: int) -> int:
    _memo_put(m, len(m.memo))
    return pos


def _names(m: PickleMachine, pos: int) -> tuple[str, str, int]:
    module, pos = m._line(pos)
    name, pos = m._line(pos)
    try:
        return module.decode("utf-8"), name.decode("utf-8"), pos
    except UnicodeDecodeError:
        raise Malformed("GLOBAL operand is not UTF-8") from None


@_op(b"c")
def _global(m: PickleMachine, pos: int) -> int:
    offset = m.op_offset
    module, name, pos = _names(m, pos)
    m._push(m._global(module, name, offset))
    return pos


@_op(b"\x93")
def _stack_global(m: PickleMachine, pos: int) -> int:
    name = m._pop()
    module = m._pop()
    if isinstance(module, str) and isinstance(name, str):
        m._push(m._global(module, name, m.op_offset))
        return pos
    m.dynamic += 1
    m.ctx.add(
        "pickle.dynamic_import",
        Severity.CRITICAL,
        "STACK_GLOBAL imports a name computed at load time "
        f"({_describe(module)} . {_describe(name)}); no scanner can list it in advance",
        offset=m._rel(m.op_offset),
        category="import",
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
def _inst(m: PickleMachine, pos: int) -> int:
    offset = m.op_offset
    module, name, pos = _names(m, pos)
    args = m._pop_mark()
    ref = m._global(module, name, offset)
    m._push(m._call(ref, tuple(args), offset))
    return pos


@_op(b"o")
def _obj(m: PickleMachine, pos: int) -> int:
    items = m._pop_mark()
    if not items:
        raise Malformed("OBJ without a class")
    m._push(m._call(items[0], tuple(items[1:]), m.op_offset))
    return pos


@_op(b"\x81")
def _newobj(m: PickleMachine, pos: int) -> int:
    args = m._pop()
    cls = m._pop()
    m._push(m._call(cls, args, m.op_offset))
    return pos


@_op(b"\x92")
def _newobj_ex(m: PickleMachine, pos: int) -> int:
    m._pop()
    args = m._pop()
    cls = m._pop()
    m._push(m._call(cls, args, m.op_offset))
    return pos


@_op(b"R")
def _reduce(m: PickleMachine, pos: int) -> int:
    args = m._pop()
    func = m._pop()
    m._push(m._call(func, args, m.op_offset))
    return pos


@_op(b"b")
def _build(m: PickleMachine, pos: int) -> int:
    state = m._pop()
    obj = m._top()
    if isinstance(obj, Ref):
        m._anomaly(
            m.op_offset,
            f"BUILD sets attributes on the imported object {obj.target} (patches code at load time)",
            target=obj.target,
        )
        record = m.records.get(obj.target)
        if record is not None and record.called_at is None:
            record.called_at = m.op_offset
    elif isinstance(obj, Call):
        obj.state = state
        if target_of(obj.func) in _JOBLIB_WRAPPERS:
            return _joblib_array(m, pos, state)
    return pos


@_op(b"P")
def _persid(m: PickleMachine, pos: int) -> int:
    _, pos = m._line(pos)
    m._push(Opaque("persistent id"))
    return pos


@_op(b"Q")
def _binpersid(m: PickleMachine, pos: int) -> int:
    pid = m._pop()
    if len(m.persistent_ids) < m.limits.memo:
        m.persistent_ids.append(pid)
    m._push(Opaque("persistent id"))
    return pos


def _ext(size: int) -> Handler:
    def handler(m: PickleMachine, pos: int) -> int:
        code = m._uint(pos, size)
        m._anomaly(
            m.op_offset,
            f"extension code {code} names a callable registered at load time (copyreg "
            "extension); it cannot be checked",
            target=f"<extension {code}>",
            severity=Severity.HIGH,
        )
        m._push(Ref(f"<extension {code}>", m.op_offset))
        return pos + size

    return handler


_HANDLERS[0x82] = _ext(1)
_HANDLERS[0x83] = _ext(2)
_HANDLERS[0x84] = _ext(4)


def _joblib_array(m: PickleMachine, pos: int, state: object) -> int:
    """Step over the array joblib writes right after a ``NumpyArrayWrapper`` BUILD."""
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
        inner = PickleMachine(Span(m.buf, pos, m.end), m.ctx, nested=m.nested)
        inner.origin = m.origin + (pos - m.base)
        inner.base = pos
        try:
            return inner.run(pos)
        finally:
            inner.report()
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
