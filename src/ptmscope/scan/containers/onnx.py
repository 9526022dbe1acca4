"""ONNX models: external-data paths and custom operator domains.

A tensor stored outside the model names a file by a path the runtime opens
relative to the model folder; ``../../etc/passwd`` or an absolute path reads
any file the loading user can (CVE-2024-27318 class). Operators from domains
the standard runtimes do not implement need a custom-op library, which is native
code loaded from elsewhere.
"""

from __future__ import annotations

import posixpath

from ptmscope.scan.containers.base import Confidence, Container, WeightInfo, WeightProbe
from ptmscope.scan.containers.protobuf import (
    PROTOBUF_FIRST_BYTES,
    WireError,
    fields,
    looks_like_protobuf,
    messages,
    strings,
)
from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

# Field numbers from onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
# TensorProto, SparseTensorProto, StringStringEntryProto, OperatorSetIdProto).
MODEL_GRAPH = 7
MODEL_OPSET_IMPORT = 8
MODEL_FUNCTIONS = 25
MODEL_FIELDS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25})
"""Every field a ModelProto has (ir_version … functions): the head must show no other."""
HEAD_FIELDS = 64
"""Fields read from the start to tell ONNX from other protobuf."""
OPSET_DOMAIN = 1
GRAPH_NODE = 1
GRAPH_INITIALIZER = 5
GRAPH_SPARSE_INITIALIZER = 15
SPARSE_VALUES = 1
SPARSE_INDICES = 2
NODE_OP_TYPE = 4
NODE_ATTRIBUTE = 5
NODE_DOMAIN = 7
FUNCTION_NODE = 7
ATTRIBUTE_TENSOR = 5
ATTRIBUTE_GRAPH = 6
ATTRIBUTE_TENSORS = 10
ATTRIBUTE_GRAPHS = 11
TENSOR_NAME = 8
TENSOR_EXTERNAL_DATA = 13
ENTRY_KEY = 1
ENTRY_VALUE = 2
_MAX_GRAPHS = 10_000


def looks_like_onnx(span: Span) -> bool:
    try:
        seen = {number for number, _, _ in _head_fields(span)}
    except WireError:
        return False
    return MODEL_GRAPH in seen and seen <= MODEL_FIELDS


def _head_fields(span: Span) -> list[tuple[int, int, int | Span]]:
    out: list[tuple[int, int, int | Span]] = []
    for item in fields(span):
        out.append(item)
        if len(out) > HEAD_FIELDS:
            break
    return out


def _escapes(location: str) -> bool:
    if location.startswith(("/", "\\")) or (len(location) > 1 and location[1] == ":"):
        return True
    normal = posixpath.normpath(location.replace("\\", "/"))
    return normal == ".." or normal.startswith("../")


def _tensor(tensor: Span, ctx: ScanContext, where: str) -> None:
    name = "".join(strings(tensor, TENSOR_NAME)) or "?"
    for entry in messages(tensor, TENSOR_EXTERNAL_DATA):
        key = "".join(strings(entry, ENTRY_KEY))
        value = "".join(strings(entry, ENTRY_VALUE))
        if key == "location" and _escapes(value):
            ctx.add(
                "onnx.external_data_escape",
                Severity.HIGH,
                f"{where}: tensor {name!r} loads external data from {value!r}, outside the "
                "model folder (arbitrary file read when the model loads)",
                target=value,
                category="filesystem",
            )


def _graph(graph: Span, ctx: ScanContext, where: str, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        return
    for number, _, value in fields(graph):
        ctx.check_time()
        if not isinstance(value, Span):
            continue
        if number == GRAPH_INITIALIZER:
            _tensor(value, ctx, where)
        elif number == GRAPH_SPARSE_INITIALIZER:
            for part in (SPARSE_VALUES, SPARSE_INDICES):
                for tensor in messages(value, part):
                    _tensor(tensor, ctx, where)
        elif number == GRAPH_NODE:
            _node(value, ctx, where, budget)


def _node(node: Span, ctx: ScanContext, where: str, budget: list[int]) -> None:
    domain = "".join(strings(node, NODE_DOMAIN))
    op = "".join(strings(node, NODE_OP_TYPE))
    if domain not in ctx.policy.onnx_domains:
        ctx.add(
            "onnx.custom_domain",
            Severity.MEDIUM,
            f"{where}: operator {op!r} from domain {domain!r} needs a custom-operator library (native code)",
            target=f"{domain}::{op}",
            category="native-code",
        )
    for attribute in messages(node, NODE_ATTRIBUTE):
        ctx.check_time()
        for number, _, value in fields(attribute):
            if not isinstance(value, Span):
                continue
            if number in (ATTRIBUTE_TENSOR, ATTRIBUTE_TENSORS):
                _tensor(value, ctx, where)
            elif number in (ATTRIBUTE_GRAPH, ATTRIBUTE_GRAPHS):
                _graph(value, ctx, f"{where} > subgraph of {op}", budget)


def scan_onnx(span: Span, ctx: ScanContext) -> FileFormat:
    """Walk the graphs, functions and operator sets: escaping external data, custom domains."""
    budget = [_MAX_GRAPHS]
    try:
        for number, _, value in fields(span):
            ctx.check_time()
            if not isinstance(value, Span):
                continue
            if number == MODEL_GRAPH:
                _graph(value, ctx, "graph", budget)
            elif number == MODEL_FUNCTIONS:
                for node in messages(value, FUNCTION_NODE):
                    _node(node, ctx, "function", budget)
            elif number == MODEL_OPSET_IMPORT:
                domain = "".join(strings(value, OPSET_DOMAIN))
                if domain not in ctx.policy.onnx_domains:
                    ctx.add(
                        "onnx.custom_domain",
                        Severity.LOW,
                        f"imports operator set {domain!r}, which standard runtimes do not implement",
                        target=domain,
                        category="native-code",
                    )
    except WireError as exc:
        ctx.error(f"ONNX protobuf unreadable: {exc}")
    return FileFormat.ONNX


class OnnxContainer(Container):
    """ONNX models: protobuf without magic, confirmed by the fields a ModelProto has."""

    kind = FileFormat.ONNX

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.CANDIDATE if looks_like_protobuf(head) else None

    def first_bytes(self) -> frozenset[int] | None:
        return PROTOBUF_FIRST_BYTES

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_onnx(span, hooks) if looks_like_onnx(span) else None

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        """Protobuf proves little from a head: only a ``.onnx`` name confirms it here."""
        return WeightInfo(self.kind) if probe.suffix == ".onnx" else None


ONNX = OnnxContainer()
