"""Whole pickle files: stacked streams, junk after ``STOP``, and parse errors.

``pickle.load`` reads one stream, but a file can hold several (legacy torch
writes five; an attacker can append one after the real model) and loaders differ
in where they start. So after each ``STOP``, and after a parse error, the rest of
the data is searched for further streams. A stream found there counts when it
parses to its ``STOP`` or names a callable; random bytes that merely look like a
``PROTO`` opcode are dropped without a word.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass, field

from ptmscope.scan.containers.base import HEAD_BYTES, Confidence
from ptmscope.scan.context import WINDOW, ScanContext, ScanTimeout, SearchSpent, Span, release
from ptmscope.scan.pickle.embedded import Literal
from ptmscope.scan.pickle.frames import MAX_SPLICES, Cut, Resplice, Spliced
from ptmscope.scan.pickle.interpreter import Event, Interpreter, Nested
from ptmscope.scan.pickle.judge import Judge
from ptmscope.scan.pickle.values import Malformed
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

__all__ = ["Nested", "PickleScan", "StreamResult", "scan_pickle"]

_PROTO = re.compile(rb"\x80[\x02-\x05]")


@dataclass
class StreamResult:
    """One stream of a file: where it lies, whether it reached STOP, and its trace."""

    start: int
    end: int
    stopped: bool
    machine: Interpreter
    judge: Judge


@dataclass
class PickleScan:
    """Every stream found in a span; ``joblib`` when one holds joblib's array wrappers."""

    streams: list[StreamResult] = field(default_factory=list)
    is_pickle: bool = False
    joblib: bool = False


def _search_proto(buf: object, start: int, end: int) -> int | None:
    """Offset of the next ``PROTO 2..5`` opcode, or ``None``."""
    if isinstance(buf, mmap.mmap):  # a window at a time, letting go of the pages read
        for low in range(start, end, WINDOW):
            high = min(end, low + WINDOW + 1)
            match = _PROTO.search(buf, low, high)
            if match is not None:
                return match.start()
            release(buf, low, high - 1)
        return None
    if isinstance(buf, bytes | bytearray):
        match = _PROTO.search(buf, start, end)
        return match.start() if match is not None else None
    find = buf.find  # type: ignore[attr-defined]
    pos = start
    while pos < end:
        index = int(find(b"\x80", pos, end))
        if index < 0 or index + 1 >= end:
            return None
        if 2 <= buf[index + 1] <= 5:  # type: ignore[index]
            return index
        pos = index + 1
    return None


MAX_SEEN = 10_000
"""Events and nested loads of the first reading remembered, so a second reading of the
same stream (as a file reader frames it) does not report them twice."""


class _Once:
    """Forwards events to the judge; in a second reading of the stream, only new ones."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.seen: set[tuple[object, ...]] = set()
        self.again = False

    def event(self, event: Event) -> None:
        key = (event.kind, event.message, event.target)
        if self.again:
            if key in self.seen:
                return
        elif len(self.seen) < MAX_SEEN:
            self.seen.add(key)
        self.judge.event(event)

    def stream_done(self, stream: Interpreter) -> None:
        self.judge.stream_done(stream)


def _run(
    span: Span,
    ctx: ScanContext,
    origin: int,
    nested: Nested | None,
    speculative: bool,
    searching: bool,
) -> tuple[StreamResult, str | None, bool]:
    """One stream; the flag says the search budget ran out during it."""
    judge = Judge(ctx)
    once = _Once(judge)
    loaded: set[int | None] = set()
    holder: list[Interpreter] = []

    def nested_once(payload: Span | bytes, kind: str, offset: int) -> None:
        where = holder[-1].rel(offset)
        if where in loaded or nested is None:
            return
        if len(loaded) < MAX_SEEN:
            loaded.add(where)
        nested(payload, kind, offset)

    def embedded_once(literal: Literal, target: str, offset: int) -> None:
        machine = holder[-1]
        where = machine.rel(offset)
        key = (where, target, literal.how)
        if key in embedded or len(embedded) >= MAX_SEEN:
            return
        embedded.add(key)
        _scan_literal(literal, target, where, machine.rel(literal.offset), ctx)

    embedded: set[tuple[object, ...]] = set()
    machine = Interpreter(
        span,
        ctx,
        rules=ctx.policy.pickle,
        listener=once,
        nested=nested_once if nested is not None else None,
        speculative=speculative,
        searching=searching,
        origin=origin,
        embedded=embedded_once if nested is not None else None,
    )
    holder.append(machine)
    error: str | None = None
    spent = False
    end = span.start
    try:
        end = machine.run(span.start)
    except Malformed as exc:
        error = str(exc)
        end = machine.op_offset
    except SearchSpent:
        spent = True
        end = machine.op_offset
    except (RecursionError, MemoryError):
        error = "the stream exhausted the scanner's resources"
        end = machine.op_offset
    finally:
        judge.report(machine)
    if machine.cut is not None and not spent:
        _reread(span, ctx, machine, once, nested_once if nested is not None else None, holder)
    return StreamResult(span.start, end, machine.stopped, machine, judge), error, spent


def _reread(
    span: Span,
    ctx: ScanContext,
    first: Interpreter,
    once: _Once,
    nested: Nested | None,
    holder: list[Interpreter],
) -> None:
    """Read the stream again as ``pickle.load`` from a file does: without the bytes that
    reader skips at each frame it parts from (:mod:`ptmscope.scan.pickle.frames`).

    Each new cut found on the way is a re-read from the start, up to ``MAX_SPLICES``;
    the spliced copy is held in memory, so streams larger than ``Limits.in_memory_bytes``
    are not re-read (an error: the file fails closed).
    """
    assert first.cut is not None
    once.again = True
    cuts = [Cut(first.cut.start - span.start, first.cut.end - span.start)]
    for _ in range(MAX_SPLICES):
        kept = span.size - sum(c.end - c.start for c in cuts)
        if kept > ctx.limits.in_memory_bytes:
            ctx.error(
                f"stream of {span.size:,} bytes with FRAME tricks not re-read as a file reader "
                f"reads it (over the {ctx.limits.in_memory_bytes:,}-byte in-memory limit)",
                offset=first.rel(first.cut.start),
            )
            return
        spliced = Spliced(span.read, span.size, cuts)
        machine = Interpreter(
            Span(spliced.data),
            ctx,
            rules=ctx.policy.pickle,
            listener=once,
            nested=nested,
            speculative=first.speculative,
            searching=first.searching,
            origin=first.origin,
            spliced=spliced,
            embedded=first.embedded,
        )
        holder.append(machine)
        try:
            machine.run(0)
        except Resplice as again:
            cuts.append(Cut(spliced.locate(again.cut.start), spliced.locate(again.cut.end)))
            continue
        except (Malformed, RecursionError, MemoryError):
            pass  # the file reader fails here too; what it ran before is judged below
        except SearchSpent:
            return
        once.judge.report(machine, skip=first.records, reading="pickle.load from a file")
        return
    ctx.error(
        f"more than {MAX_SPLICES} FRAME tricks: the stream was not re-read as a file reader "
        "reads it",
        offset=first.rel(first.cut.start),
    )


EMBEDDED_CONTAINERS = frozenset(
    {
        FileFormat.ZIP,
        FileFormat.SEVEN_ZIP,
        FileFormat.TAR,
        FileFormat.NPY,
        FileFormat.PYTORCH_LEGACY,
    }
)
"""Containers (besides pickles) that a literal handed to a callable is scanned as."""


def _scan_literal(
    literal: Literal, target: str, call: int | None, offset: int | None, ctx: ScanContext
) -> None:
    """Scan a literal a call receives as what it holds, one level deeper; report it if it
    holds a pickle or a container (anything else is dropped without a word)."""
    data = literal.data
    size = data.size if isinstance(data, Span) else len(data)
    at = f" at offset {offset}" if offset is not None else ""
    child = ctx.member(f"{literal.how} of {size:,} bytes{at} passed to {target}")
    if child.too_deep():
        return
    if literal.how.startswith("base64") and not ctx.take_bytes(size):
        ctx.error(f"decoded payload passed to {target} is over the file's byte budget", call)
        return
    span = data if isinstance(data, Span) else Span(data)
    held = _sniff(span, child)
    if held is not None:
        ctx.add(
            "pickle.embedded_payload",
            Severity.LOW,
            f"passes a {held} ({literal.how} of {size:,} bytes{at}) to {target}: scanned as a "
            "nested load, since any callable can load what it receives",
            offset=call,
            target=target,
            category="deserialization",
        )


def _sniff(span: Span, ctx: ScanContext) -> str | None:
    """The format a literal was read as, if it is a pickle or a container."""
    head = span.read(0, HEAD_BYTES)
    for container, confidence in ctx.readers().matches(head, span.size):
        if confidence is not Confidence.SURE:
            continue
        if container.kind == FileFormat.PICKLE:
            result = scan_pickle(span, ctx, nested=ctx.load_payload, sniffing=True, max_streams=1)
            return "pickle" if result.is_pickle else None
        if container.kind in EMBEDDED_CONTAINERS:
            return container.scan(span, ctx)
        return None
    return None


def scan_pickle(
    span: Span,
    ctx: ScanContext,
    *,
    nested: Nested | None = None,
    sniffing: bool = False,
    search: bool = False,
    max_streams: int | None = None,
) -> PickleScan:
    """Scan every pickle stream in ``span``.

    With ``sniffing`` the data is not known to be a pickle: the first stream is
    parsed speculatively and, if it is not one, nothing is reported (unless
    ``search`` asks for pickles further into the data). Every parse after the
    first draws on the file's search budget (``Limits.search_opcodes``) and the
    candidates tried are capped (``Limits.junk_candidates``): when either runs
    out the search stops with an error, so the file fails closed in bounded time.
    """
    result = PickleScan()

    def origin(pos: int) -> int:
        return pos - span.start

    def attempt(pos: int, speculative: bool, searching: bool) -> StreamResult | None:
        """Parse one stream at ``pos``; a speculative one is kept only if it is a pickle."""
        trial = ctx.capture() if speculative else ctx
        stream, error, spent = _run(
            Span(span.buf, pos, span.end), trial, origin(pos), nested, speculative, searching
        )
        machine = stream.machine
        if spent:
            ctx.error(str(SearchSpent(ctx.limits.search_opcodes)), offset=origin(stream.end))
        if speculative and not (
            stream.stopped or machine.dynamic or stream.judge.names_a_rule(machine)
        ):
            if spent:
                raise _Stop
            return None
        if trial is not ctx:
            ctx.merge(trial)
        result.streams.append(stream)
        result.is_pickle = True
        if any(name in machine.records for name in ctx.policy.array_wrappers):
            result.joblib = True
        if error:
            ctx.error(f"pickle parse stopped: {error}", offset=origin(stream.end))
        if spent:
            raise _Stop
        return stream

    candidates = 0
    pos = span.start
    try:
        first = attempt(pos, sniffing, False)
        if first is None:
            if not search:
                return result
            pos, stopped, failed = span.start - 1, False, False
        else:
            pos, stopped = first.end, first.stopped
            failed = not first.stopped and first.end > first.start
        while pos < span.end:
            ctx.check_time()
            if max_streams is not None and len(result.streams) >= max_streams:
                break
            if stopped:
                stacked = attempt(pos, True, True)
                if stacked is not None:
                    pos, stopped = max(stacked.end, pos + 1), stacked.stopped
                    failed = not stacked.stopped and stacked.end > stacked.start
                    continue
            # After a stream that failed at ``pos``, a pickle may start right there.
            match = _search_proto(span.buf, pos if failed else pos + 1, span.end)
            failed = False
            if match is None:
                break
            candidates += 1
            if candidates > ctx.limits.junk_candidates:
                ctx.error(
                    f"stopped looking for further pickles after {ctx.limits.junk_candidates} "
                    "candidates in trailing data",
                    offset=origin(match),
                )
                break
            found = attempt(match, True, True)
            if found is None:
                pos, stopped = match, False
            else:
                pos, stopped = max(found.end, match + 1), found.stopped
                failed = not found.stopped and found.end > found.start
    except ScanTimeout as exc:
        ctx.error(str(exc), offset=origin(pos))
    except _Stop:
        pass
    return result


class _Stop(Exception):
    """The search budget ran out; the error is already recorded."""
