"""TensorFlow SavedModel (``saved_model.pb``): graph operations that reach outside the graph.

A SavedModel is a graph, not code, but some operations read and write files
(``ReadFile``, ``WriteFile``, ``MatchingFiles``) or call back into Python
(``PyFunc``). The graph and every function in its library are walked; which ops
count, and how badly, is in the scan policy (``tensorflow_ops``).
"""

from __future__ import annotations

import contextlib
import json

from ptmscope.scan.containers.base import Confidence, Container
from ptmscope.scan.containers.protobuf import (
    PROTOBUF_FIRST_BYTES,
    WIRE_LENGTH_DELIMITED,
    WIRE_VARINT,
    WireError,
    fields,
    looks_like_protobuf,
    messages,
    strings,
)
from ptmscope.scan.context import ScanContext, Span
from ptmscope.vocab import FileFormat

# Field numbers from tensorflow/core/protobuf (SavedModel, MetaGraphDef, GraphDef,
# NodeDef, FunctionDefLibrary, FunctionDef, OpDef, SavedObjectGraph, SavedObject,
# SavedUserObject).
SAVED_MODEL_SCHEMA_VERSION = 1
SAVED_MODEL_META_GRAPHS = 2
META_GRAPH_DEF = 2
META_OBJECT_GRAPH = 7
GRAPH_NODE = 1
GRAPH_LIBRARY = 2
LIBRARY_FUNCTION = 1
FUNCTION_SIGNATURE = 1
FUNCTION_NODE_DEF = 3
OP_DEF_NAME = 1
NODE_NAME = 1
NODE_OP = 2
OBJECT_GRAPH_NODES = 1
OBJECT_USER_OBJECT = 7
USER_OBJECT_METADATA = 3
HEAD_FIELDS = 16
"""Fields read from the start to tell a SavedModel from other protobuf."""


def looks_like_savedmodel(span: Span) -> bool:
    try:
        numbers = []
        for number, wire, _ in fields(span):
            numbers.append((number, wire))
            if len(numbers) > HEAD_FIELDS:
                break
    except WireError:
        return False
    allowed = (
        (SAVED_MODEL_SCHEMA_VERSION, WIRE_VARINT),
        (SAVED_MODEL_META_GRAPHS, WIRE_LENGTH_DELIMITED),
    )
    return bool(numbers) and all(n in allowed for n in numbers) and allowed[1] in numbers


def _nodes(
    container: Span, number: int, ctx: ScanContext, where: str, seen: dict[str, int]
) -> None:
    for node in messages(container, number):
        ctx.check_time()
        op = "".join(strings(node, NODE_OP))
        name = "".join(strings(node, NODE_NAME))
        rule = ctx.policy.tensorflow_ops.get(op)
        if rule is None:
            continue
        key = f"{where}:{op}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            continue
        ctx.add(
            "tensorflow.unsafe_op",
            rule.severity,
            f"{where}: operation {op} (node {name!r}) {rule.reason}",
            target=op,
            category="tensorflow-op",
        )


def scan_savedmodel(span: Span, ctx: ScanContext) -> FileFormat:
    """Walk every graph and library function for ops the policy names; Keras metadata too."""
    seen: dict[str, int] = {}
    try:
        for index, meta in enumerate(messages(span, SAVED_MODEL_META_GRAPHS)):
            for graph in messages(meta, META_GRAPH_DEF):
                _nodes(graph, GRAPH_NODE, ctx, f"meta graph {index}", seen)
                for library in messages(graph, GRAPH_LIBRARY):
                    for function in messages(library, LIBRARY_FUNCTION):
                        signature = next(iter(messages(function, FUNCTION_SIGNATURE)), None)
                        fname = (
                            "".join(strings(signature, OP_DEF_NAME))
                            if signature is not None
                            else "?"
                        )
                        _nodes(function, FUNCTION_NODE_DEF, ctx, f"function {fname}", seen)
            for objects in messages(meta, META_OBJECT_GRAPH):
                for node in messages(objects, OBJECT_GRAPH_NODES):
                    for user in messages(node, OBJECT_USER_OBJECT):
                        metadata = "".join(strings(user, USER_OBJECT_METADATA))
                        if metadata.startswith("{"):
                            with contextlib.suppress(ValueError, RecursionError):
                                from ptmscope.scan.containers.keras import check_config

                                check_config(json.loads(metadata), ctx, "saved Keras metadata")
    except WireError as exc:
        ctx.error(f"SavedModel protobuf unreadable: {exc}")
    return FileFormat.TENSORFLOW_SAVEDMODEL


class SavedModelContainer(Container):
    """``saved_model.pb``: protobuf confirmed by a SavedModel's two top-level fields."""

    kind = FileFormat.TENSORFLOW_SAVEDMODEL

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.CANDIDATE if looks_like_protobuf(head) else None

    def first_bytes(self) -> frozenset[int] | None:
        return PROTOBUF_FIRST_BYTES

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_savedmodel(span, hooks) if looks_like_savedmodel(span) else None


SAVEDMODEL = SavedModelContainer()
