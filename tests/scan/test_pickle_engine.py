"""The pickle engine's three parts: an interpreter that records, a judge that decides,
and nested-load names that come from the policy data, not from the engine."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from ptmscope.errors import InputError
from ptmscope.scan.context import Limits, ScanContext, Span
from ptmscope.scan.pickle.interpreter import EventKind, Interpreter, Trace
from ptmscope.scan.pickle.judge import Judge
from ptmscope.scan.policy import default_policy, load_policy
from ptmscope.scan.scanner import scan_bytes


class Evil:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def _short(text: bytes) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text


def _wrapped_load(wrapper: bytes, payload: bytes) -> bytes:
    """``pickle.loads(<wrapper>(payload))`` as a protocol 4 stream."""
    module, name = wrapper.rsplit(b".", 1)
    return (
        b"\x80\x04"
        + _short(b"pickle") + _short(b"loads") + b"\x93"
        + _short(module) + _short(name) + b"\x93"
        + b"B" + len(payload).to_bytes(4, "little") + payload
        + b"\x85R\x85R."
    )  # fmt: skip


def test_the_interpreter_records_and_decides_nothing() -> None:
    data = pickle.dumps(Evil(), protocol=4)
    ctx = ScanContext.start(default_policy(), Limits())
    trace = Trace()
    machine = Interpreter(Span(data), ctx, listener=trace)
    machine.run(0)
    assert machine.stopped
    assert machine.records["posix.system"].called_at is not None
    assert ctx.findings == []  # no policy was asked; the ledger is untouched
    Judge(ctx).report(machine)
    system = next(f for f in ctx.findings if f.target == "posix.system")
    assert system.severity.name == "CRITICAL" and system.message.startswith("calls posix.system")


def test_events_reach_the_listener_with_file_offsets() -> None:
    # STACK_GLOBAL on a computed name: a dynamic import, reported where it is in the file.
    data = (
        b"\x80\x04" + _short(b"mylib") + _short(b"name") + b"\x93)R"
        + _short(b"system") + b"\x93N."
    )  # fmt: skip
    ctx = ScanContext.start(default_policy(), Limits())
    trace = Trace()
    machine = Interpreter(Span(b"junk" + data, 4), ctx, listener=trace, origin=100)
    machine.run(4)
    assert machine.stopped and machine.dynamic == 1 and ctx.findings == []
    dynamic = [e for e in trace.events if e.kind is EventKind.DYNAMIC_IMPORT]
    assert dynamic and dynamic[0].offset == 100 + data.index(b"\x93N.")


def test_byte_wrappers_come_from_the_policy(tmp_path: Path) -> None:
    data = _wrapped_load(b"mylib.Wrap", pickle.dumps(Evil(), protocol=2))
    nested = [f for f in scan_bytes(data).findings if f.target == "posix.system"]
    # The default policy does not know mylib.Wrap hands bytes on, but a pickle handed to
    # any callable is scanned as one (issue 13), and says where it was found.
    assert nested and "passed to mylib.Wrap" in nested[0].location.members[0]
    extra = tmp_path / "policy.yaml"
    extra.write_text("byte_wrappers: [mylib.Wrap]\n", encoding="utf-8")
    found = scan_bytes(data, policy=load_policy([extra])).findings
    system = next(f for f in found if f.target == "posix.system")
    assert system.location.members[0].startswith("payload loaded at offset")


def test_decompressors_come_from_the_policy(tmp_path: Path) -> None:
    import zlib

    data = _wrapped_load(b"mylib.inflate", zlib.compress(pickle.dumps(Evil(), protocol=2)))
    assert not [f for f in scan_bytes(data).findings if f.target == "posix.system"]
    extra = tmp_path / "policy.yaml"
    extra.write_text("decompressors:\n  zlib: [mylib.inflate]\n", encoding="utf-8")
    found = scan_bytes(data, policy=load_policy([extra])).findings
    assert any(f.target == "posix.system" for f in found)
    default = default_policy()
    assert default.decompressors["zlib.decompress"] == "zlib"
    assert "io.BytesIO" in default.byte_wrappers
    assert "joblib.numpy_pickle.NumpyArrayWrapper" in default.array_wrappers


def test_an_unknown_codec_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("decompressors:\n  brotli: [brotli.decompress]\n", encoding="utf-8")
    with pytest.raises(InputError, match="brotli"):
        load_policy([bad])
