"""TensorFlow SavedModel (``saved_model.pb``): graph operations that reach outside the graph.

A SavedModel is a graph, not code, but some operations read and write files
(``ReadFile``, ``WriteFile``, ``MatchingFiles``) or call back into Python
(``PyFunc``). The graph and every function in its library are walked; which ops
count, and how badly, is in the scan policy (``tensorflow_ops``).
"""

from __future__ import annotations

import contextlib
import json

from ptmscope.scan.containers.keras import check_config
from ptmscope.scan.containers.protobuf import WireError, fields, messages, strings
from ptmscope.scan.context import ScanContext, Span


def looks_like_savedmodel(span: Span) -> bool:
    try:
        numbers = []
        for number, wire, _ in fields(span):
            numbers.append((number, wire))
            if len(numbers) > 16:
                break
    except WireError:
        return False
    return bool(numbers) and all(n in ((1, 0), (2, 2)) for n in numbers) and (2, 2) in numbers


def _nodes(
    container: Span, number: int, ctx: ScanContext, where: str, seen: dict[str, int]
) -> None:
    for node in messages(container, number):
        ctx.check_time()
        op = "".join(strings(node, 2))
        name = "".join(strings(node, 1))
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


def scan_savedmodel(span: Span, ctx: ScanContext) -> str:
    seen: dict[str, int] = {}
    try:
        for index, meta in enumerate(messages(span, 2)):
            for graph in messages(meta, 2):
                _nodes(graph, 1, ctx, f"meta graph {index}", seen)
                for library in messages(graph, 2):
                    for function in messages(library, 1):
                        signature = next(iter(messages(function, 1)), None)
                        fname = "".join(strings(signature, 1)) if signature is not None else "?"
                        _nodes(function, 3, ctx, f"function {fname}", seen)
            for objects in messages(meta, 7):
                for node in messages(objects, 1):
                    for user in messages(node, 7):
                        metadata = "".join(strings(user, 3))
                        if metadata.startswith("{"):
                            with contextlib.suppress(ValueError, RecursionError):
                                check_config(json.loads(metadata), ctx, "saved Keras metadata")
    except WireError as exc:
        ctx.error(f"SavedModel protobuf unreadable: {exc}")
    return "tensorflow-savedmodel"
