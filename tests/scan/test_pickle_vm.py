"""The static pickle machine: every opcode family, names built at run time, errors that keep findings."""

from __future__ import annotations

import collections
import datetime
import decimal
import pickle
import pickletools

import pytest

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.context import Limits, ScanContext, Span
from ptmscope.scan.pickle.interpreter import Interpreter
from ptmscope.scan.pickle.values import Blob
from ptmscope.scan.pickles import scan_pickle
from ptmscope.scan.policy import default_policy
from ptmscope.scan.scanner import scan_bytes
from ptmscope.severity import Severity


class Plain:
    def __init__(self) -> None:
        self.a = [1, 2]


BENIGN = {
    "containers": {
        "l": [1, 2.5, None, True],
        "t": (1, "x"),
        "s": {1, 2},
        "f": frozenset({3}),
        "b": b"\x00\xff" * 300,
    },
    "text": "é" * 1000,
    "big": 2**200,
    "neg": -(2**70),
    "od": collections.OrderedDict(a=1),
    "dd": collections.defaultdict(list, {"k": [1]}),
    "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
    "dec": decimal.Decimal("1.5"),
    "cplx": complex(1, 2),
    "sl": slice(1, 5, 2),
    "ba": bytearray(b"abc"),
}


@pytest.mark.parametrize("protocol", range(0, 6))
def test_plain_data_every_protocol_is_clean(protocol: int) -> None:
    data = pickle.dumps(BENIGN, protocol=protocol)
    opcodes = {op.name for op, _, _ in pickletools.genops(data)}
    result = scan_bytes(data)
    assert result.verdict is FileVerdict.CLEAN, (opcodes, result.findings, result.errors)
    assert result.format == "pickle"


def test_custom_class_is_flagged_by_default_and_called() -> None:
    result = scan_bytes(pickle.dumps(Plain(), protocol=2))
    finding = next(f for f in result.findings if f.target and f.target.endswith("Plain"))
    assert finding.rule == "pickle.unlisted_callable"
    assert finding.severity is Severity.MEDIUM  # an unlisted class: its constructor runs
    assert finding.message.startswith("constructs ")  # NEWOBJ: a class instantiated as data


def test_unlisted_function_called_is_high() -> None:
    result = scan_bytes(b"\x80\x02cacme_tools\nrun_setup\nX\x01\x00\x00\x00x\x85R.")
    (finding,) = result.findings
    assert finding.target == "acme_tools.run_setup" and finding.severity is Severity.HIGH
    assert result.verdict is FileVerdict.MALICIOUS


def test_partial_is_transparent_and_bunch_is_data() -> None:
    benign = scan_bytes(b"\x80\x02cfunctools\npartial\ncbuiltins\nlen\n\x85R.")
    assert benign.verdict is not FileVerdict.MALICIOUS, benign.findings
    evil = scan_bytes(b"\x80\x02cfunctools\npartial\ncos\nsystem\nX\x01\x00\x00\x00x\x86R)R.")
    assert any(f.target == "os.system" and f.message.startswith("calls") for f in evil.findings)
    bunch = scan_bytes(b"\x80\x02csklearn.datasets.base\nBunch\n)\x81}b.")
    assert bunch.verdict is FileVerdict.CLEAN, bunch.findings


def _short(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def test_dynamic_stack_global_is_critical() -> None:
    # STACK_GLOBAL operands are results of calls the scanner cannot evaluate.
    data = (
        b"\x80\x04"
        + _short("mod")
        + b"\x85"
        + b"0"
        + b"cbuiltins\nbytes\n)R"
        + b"cbuiltins\nbytes\n)R\x93)R."
    )
    result = scan_bytes(data)
    rules = {f.rule for f in result.findings}
    assert "pickle.dynamic_import" in rules
    assert result.verdict is FileVerdict.MALICIOUS


def test_memo_and_getattr_resolution_reach_the_real_callable() -> None:
    data = (
        b"\x80\x04" + _short("builtins") + _short("getattr") + b"\x93\x94"
        + _short("os") + _short("path") + b"\x93\x94" + b"0"
        + b"h\x00h\x01" + _short("join") + b"\x86R."
    )  # fmt: skip
    result = scan_bytes(data)
    targets = {f.target for f in result.findings}
    assert {"builtins.getattr", "os.path.join"} <= targets
    derived = next(f for f in result.findings if f.target == "os.path.join")
    assert "reached through builtins.getattr" in derived.message


def test_ext_opcode_and_build_on_global_are_anomalies() -> None:
    ext = scan_bytes(b"\x80\x02\x82\x05)R.")
    assert any("extension code 5" in f.message for f in ext.findings)
    assert ext.verdict is FileVerdict.MALICIOUS
    build = scan_bytes(b"\x80\x02cpathlib\nPath\n}b.")
    assert any(f.rule == "pickle.anomaly" and "BUILD" in f.message for f in build.findings)


def test_inst_and_obj_opcodes_are_calls() -> None:
    inst = scan_bytes(b"(S'touch x'\nios\nsystem\n.")
    assert inst.findings[0].target == "os.system" and inst.findings[0].message.startswith("calls")
    obj = scan_bytes(b"\x80\x02(csubprocess\nPopen\nS'ls'\no.")
    assert any(f.target == "subprocess.Popen" for f in obj.findings)


def test_error_after_a_finding_keeps_the_finding() -> None:
    data = b"\x80\x02cos\nsystem\nX\x05\x00\x00\x00touch\x85R" + b"\xff\xff"  # junk opcode, no STOP
    result = scan_bytes(data)
    assert result.verdict is FileVerdict.MALICIOUS
    assert result.errors and "unknown opcode" in result.errors[0].message


def test_payload_after_stop_and_junk_is_found() -> None:
    benign = pickle.dumps({"w": [1, 2]}, protocol=2)
    payload = b"\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R."
    for data in (benign + payload, benign + b"\x00JUNK" * 100 + payload):
        result = scan_bytes(data)
        finding = next(f for f in result.findings if f.target == "os.system")
        assert finding.location.offset is not None and finding.location.offset >= len(benign)


def test_nested_pickle_loads_payload_is_scanned_with_its_location() -> None:
    inner = b"\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R."
    data = b"\x80\x03c_pickle\nloads\nC" + bytes([len(inner)]) + inner + b"\x85R."
    result = scan_bytes(data)
    nested = next(f for f in result.findings if f.target == "os.system")
    assert nested.location.members and nested.location.members[0].startswith(
        "payload loaded at offset"
    )


def test_large_blobs_stay_in_the_file() -> None:
    big = b"\x00" * 5_000_000
    data = pickle.dumps(big, protocol=4)
    ctx = ScanContext.start(default_policy(), Limits())
    machine = Interpreter(Span(data), ctx)
    machine.run(0)
    stack_top = machine.memo.get(0)
    assert isinstance(stack_top, Blob) and stack_top.length == len(big)


def test_limits_bound_hostile_streams() -> None:
    deep = b"\x80\x02" + b"(" * 200_000 + b"."
    result = scan_bytes(deep, limits=Limits(stack=1000))
    assert result.verdict is FileVerdict.ERROR
    many = b"\x80\x02" + b"N0" * 100_000 + b"N."
    assert scan_bytes(many, limits=Limits(opcodes=10_000)).errors


def test_stacked_pickles_all_scanned() -> None:
    ctx = ScanContext.start(default_policy(), Limits())
    data = pickle.dumps(1, protocol=2) + pickle.dumps(2, protocol=2) + b"\x80\x02cos\nsystem\n)R."
    result = scan_pickle(Span(data), ctx)
    assert len(result.streams) == 3
    assert any(f.target == "os.system" for f in ctx.findings)


def test_text_is_not_mistaken_for_a_pickle() -> None:
    for text in (b"cat\ndog is here\n", b"import os\n", b"(hello) world", b"# README\n"):
        result = scan_bytes(text)
        assert result.verdict is FileVerdict.CLEAN, (text, result.findings)


def test_out_of_band_buffers_and_persistent_ids() -> None:
    import io

    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(pickle.PickleBuffer(b"x" * 100), protocol=5, buffer_callback=buffers.append)
    assert b"\x97" in data and buffers  # NEXT_BUFFER
    assert scan_bytes(data).verdict is FileVerdict.CLEAN
    readonly = b"\x80\x05\x97\x98."
    assert scan_bytes(readonly).verdict is FileVerdict.CLEAN

    class Persisting(pickle.Pickler):
        def persistent_id(self, obj: object) -> str | None:
            return "tensor-1" if obj == "TENSOR" else None

    for protocol in (0, 2):
        stream = io.BytesIO()
        Persisting(stream, protocol=protocol).dump({"w": "TENSOR"})
        opcodes = {op.name for op, _, _ in pickletools.genops(stream.getvalue())}
        assert opcodes & {"PERSID", "BINPERSID"}
        assert scan_bytes(stream.getvalue()).verdict is FileVerdict.CLEAN


def test_evaluation_never_runs_attacker_chosen_string_code() -> None:
    # str.format would read attributes of its arguments; str.__mul__ would allocate
    # what the attacker asks: neither is evaluated, both stay unknown calls.
    fmt = (
        b"\x80\x04"
        + _short("builtins")
        + _short("str.format")
        + b"\x93"
        + _short("{0.__class__}")
        + _short("x")
        + b"\x86R."
    )
    mul = (
        b"\x80\x04"
        + _short("builtins")
        + _short("str.__mul__")
        + b"\x93"
        + _short("a")
        + b"\x8a\x05\x00\x00\x00\x00\x10\x86R."
    )
    for data in (fmt, mul):
        result = scan_bytes(data)
        assert result.verdict is FileVerdict.MALICIOUS and not result.errors


def test_ufunc_reconstruct_names_are_resolved_and_judged() -> None:
    import numpy as np

    benign = scan_bytes(pickle.dumps(np.log, protocol=2))
    assert benign.verdict is not FileVerdict.MALICIOUS, benign.findings
    evil = (
        b"\x80\x02cnumpy.core\n_ufunc_reconstruct\nX\x02\x00\x00\x00osX\x06\x00\x00\x00system\x86R."
    )
    result = scan_bytes(evil)
    assert any(f.target == "os.system" and "reached through" in f.message for f in result.findings)
