"""ONNX models: external-data paths and custom operator domains.

A tensor stored outside the model names a file by a path the runtime opens
relative to the model folder; ``../../etc/passwd`` or an absolute path reads
any file the loading user can (CVE-2024-27318 class). Operators from domains
the standard runtimes do not implement need a custom-op library, which is native
code loaded from elsewhere.
"""

from __future__ import annotations

import posixpath

from ptmscope.scan.containers.protobuf import WireError, fields, messages, strings
from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity

_MAX_GRAPHS = 10_000


def looks_like_onnx(span: Span) -> bool:
    try:
        seen = {number for number, _, _ in _head_fields(span)}
    except WireError:
        return False
    return 7 in seen and seen <= {1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25}


def _head_fields(span: Span) -> list[tuple[int, int, int | Span]]:
    out: list[tuple[int, int, int | Span]] = []
    for item in fields(span):
        out.append(item)
        if len(out) > 64:
            break
    return out


def _escapes(location: str) -> bool:
    if location.startswith(("/", "\\")) or (len(location) > 1 and location[1] == ":"):
        return True
    normal = posixpath.normpath(location.replace("\\", "/"))
    return normal == ".." or normal.startswith("../")


def _tensor(tensor: Span, ctx: ScanContext, where: str) -> None:
    name = "".join(strings(tensor, 8)) or "?"
    for entry in messages(tensor, 13):
        key = "".join(strings(entry, 1))
        value = "".join(strings(entry, 2))
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
        if number in (5,):
            _tensor(value, ctx, where)
        elif number == 15:
            for part in (1, 2):
                for tensor in messages(value, part):
                    _tensor(tensor, ctx, where)
        elif number == 1:
            _node(value, ctx, where, budget)


def _node(node: Span, ctx: ScanContext, where: str, budget: list[int]) -> None:
    domain = "".join(strings(node, 7))
    op = "".join(strings(node, 4))
    if domain not in ctx.policy.onnx_domains:
        ctx.add(
            "onnx.custom_domain",
            Severity.MEDIUM,
            f"{where}: operator {op!r} from domain {domain!r} needs a custom-operator library (native code)",
            target=f"{domain}::{op}",
            category="native-code",
        )
    for attribute in messages(node, 5):
        ctx.check_time()
        for number, _, value in fields(attribute):
            if not isinstance(value, Span):
                continue
            if number in (5, 10):
                _tensor(value, ctx, where)
            elif number in (6, 11):
                _graph(value, ctx, f"{where} > subgraph of {op}", budget)


def scan_onnx(span: Span, ctx: ScanContext) -> str:
    budget = [_MAX_GRAPHS]
    try:
        for number, _, value in fields(span):
            ctx.check_time()
            if not isinstance(value, Span):
                continue
            if number == 7:
                _graph(value, ctx, "graph", budget)
            elif number == 25:
                for node in messages(value, 7):
                    _node(node, ctx, "function", budget)
            elif number == 8:
                domain = "".join(strings(value, 1))
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
    return "onnx"
