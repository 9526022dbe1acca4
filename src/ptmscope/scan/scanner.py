"""Scan files and folders: pick each reader by content, run it under the limits, collect results.

This is the scanner's one entry point (``scan_paths``, ``scan_file``,
``scan_bytes``). Each container reader gets :func:`_scan_span` back as its way to
scan members and nested payloads, so an archive inside a pickle inside a zip is
read by the same rules at every level.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ptmscope.results.scan import FileScan, ScanError
from ptmscope.scan.bytecode import names_in
from ptmscope.scan.containers import (
    archives,
    compressed,
    gguf,
    keras,
    numpy_files,
    onnx,
    savedmodel,
)
from ptmscope.scan.containers.safetensors import scan_safetensors
from ptmscope.scan.containers.torch_legacy import scan_torch_legacy
from ptmscope.scan.context import Limits, ScanContext, ScanTimeout, Span
from ptmscope.scan.detect import detect, parse_json
from ptmscope.scan.pickles import Nested, scan_pickle
from ptmscope.scan.policy import Policy, default_policy
from ptmscope.scan.templates import check_template
from ptmscope.scan.walk import Skipped, walk
from ptmscope.severity import Severity

_MAX_JSON = 64 << 20


def _nested_for(ctx: ScanContext) -> Nested:
    def nested(payload: Span | bytes, kind: str, offset: int) -> None:
        child = ctx.member(f"payload loaded at offset {offset}")
        if child.too_deep():
            return
        span = payload if isinstance(payload, Span) else Span(payload)
        if kind == "marshal":
            names = names_in(bytes(span.view()))
            child.add(
                "pickle.marshal_code",
                Severity.CRITICAL,
                "marshalled Python code is loaded and can be run"
                + (f" (names used: {', '.join(names)})" if names else ""),
                category="code-execution",
            )
            return
        _scan_span(span, child)

    return nested


def _scan_span(span: Span, ctx: ScanContext) -> str:
    ctx.check_time()
    head = span.read(0, 512)
    kind = detect(head, span.size)
    if kind is None:
        return "empty"
    nested = _nested_for(ctx)
    if kind == "pickle":
        return "joblib" if scan_pickle(span, ctx, nested=nested).joblib else "pickle"
    if kind == "candidate-pickle":
        result = scan_pickle(span, ctx, nested=nested, sniffing=True)
        if result.is_pickle:
            return "joblib" if result.joblib else "pickle"
        return _protobuf(span, ctx) or _prefixed_zip(span, ctx) or "unknown"
    if kind == "pytorch-legacy":
        return scan_torch_legacy(span, ctx, nested)
    if kind == "zip":
        return archives.scan_zip(span, ctx, _scan_span)
    if kind == "7z":
        return archives.scan_7z(span, ctx, _scan_span)
    if kind == "tar":
        return archives.scan_tar(span, ctx, _scan_span)
    if kind == "npy":
        return numpy_files.scan_npy(span, ctx, nested)
    if kind in ("gzip", "bzip2", "xz", "lzma", "zlib", "joblib-zfile"):
        return compressed.scan_compressed(span, ctx, kind, _scan_span)
    if kind == "hdf5":
        return keras.scan_h5(span, ctx)
    if kind == "gguf":
        return gguf.scan_gguf(span, ctx)
    if kind == "safetensors":
        return scan_safetensors(span, ctx)
    if kind == "candidate-json":
        return _json(span, ctx)
    if kind == "candidate-protobuf":
        return _protobuf(span, ctx) or _prefixed_zip(span, ctx) or "unknown"
    if kind == "unknown":
        return _prefixed_zip(span, ctx) or "unknown"
    return kind


def _prefixed_zip(span: Span, ctx: ScanContext) -> str | None:
    """A zip archive behind other bytes (zipfile and most loaders read from the end)."""
    tail_start = max(0, span.size - 65557)
    if b"PK\x05\x06" not in span.read(tail_start, span.size - tail_start):
        return None
    return archives.scan_zip(span, ctx, _scan_span)


def _protobuf(span: Span, ctx: ScanContext) -> str | None:
    if onnx.looks_like_onnx(span):
        return onnx.scan_onnx(span, ctx)
    if savedmodel.looks_like_savedmodel(span):
        return savedmodel.scan_savedmodel(span, ctx)
    if keras.scan_embedded_configs(span, ctx):
        return "keras-metadata"
    return None


_JSON_KEYS = (b"chat_template", b"class_name")
"""The keys :func:`_json` acts on. A JSON key is spelled out in the bytes or escaped as
``\\uXXXX`` (no other escape makes a letter), so JSON holding neither cannot hold them."""


def _json(span: Span, ctx: ScanContext) -> str:
    if span.size > _MAX_JSON:
        if any(span.buf.find(key, span.start, span.end) >= 0 for key in (*_JSON_KEYS, b"\\u")):
            ctx.error(f"JSON over {_MAX_JSON:,} bytes with a template or config key: not parsed")
        return "json"
    raw = span.read(0, span.size)
    if b"\\u" not in raw and not any(key in raw for key in _JSON_KEYS):
        return "json"  # vocabularies and tokenizers: nothing to check, no parse needed
    data = parse_json(raw)
    if not isinstance(data, dict):
        return "json" if data is not None else "unknown"
    templates = data.get("chat_template")
    if isinstance(templates, str):
        templates = [{"name": "default", "template": templates}]
    if isinstance(templates, list):
        for entry in templates:
            ctx.check_time()
            if isinstance(entry, dict) and isinstance(entry.get("template"), str):
                issues, error = check_template(entry["template"])
                key = f"chat_template[{entry.get('name', '?')}]"
                if error:
                    ctx.error(f"{key}: {error}")
                for issue in issues:
                    ctx.add(
                        "template.injection",
                        issue.severity,
                        f"{key}: {issue.message}",
                        target=key,
                        category="code-execution",
                    )
    if "class_name" in data and "config" in data:
        keras.check_config(data, ctx, "Keras config")
        return "keras-json"
    return "json"


def _finish(path: str, span: Span, ctx: ScanContext, started: float) -> FileScan:
    try:
        fmt = _scan_span(span, ctx)
    except ScanTimeout as exc:
        ctx.error(str(exc))
        fmt = "unknown"
    except (RecursionError, MemoryError) as exc:
        ctx.error(f"scan stopped: {type(exc).__name__}")
        fmt = "unknown"
    except OSError as exc:  # a remote file whose content is not there, a vanished file
        ctx.error(f"cannot read: {exc}")
        fmt = "unreadable"
    return FileScan(
        path=path,
        format=fmt,
        size=span.size,
        findings=ctx.ledger.final_findings(),
        errors=ctx.ledger.final_errors(),
        seconds=time.perf_counter() - started,
    )


def scan_bytes(
    data: bytes, name: str = "<bytes>", policy: Policy | None = None, limits: Limits | None = None
) -> FileScan:
    ctx = ScanContext.start(policy or default_policy(), limits or Limits())
    return _finish(name, Span(data), ctx, time.perf_counter())


def scan_buffer(
    buffer: Any, name: str, policy: Policy | None = None, limits: Limits | None = None
) -> FileScan:
    """Scan a bytes-like object that fetches on demand (a remote file): only what is read is fetched."""
    ctx = ScanContext.start(policy or default_policy(), limits or Limits())
    if len(buffer) == 0:
        return FileScan(name, "empty", 0)
    return _finish(name, Span(buffer), ctx, time.perf_counter())


def scan_file(
    path: Path,
    policy: Policy | None = None,
    limits: Limits | None = None,
    display: str | None = None,
) -> FileScan:
    started = time.perf_counter()
    ctx = ScanContext.start(policy or default_policy(), limits or Limits())
    name = display or str(path)
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return FileScan(name, "empty", 0)
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return FileScan(name, "unreadable", 0, errors=(ScanError(f"cannot read: {message}"),))
    try:
        return _finish(name, Span(mapped), ctx, started)
    finally:
        with contextlib.suppress(BufferError):
            mapped.close()


def scan_paths(
    paths: Iterable[Path], policy: Policy | None = None, limits: Limits | None = None
) -> list[FileScan]:
    """Scan files and folders; what cannot be read is a result with an error, never dropped."""
    policy = policy or default_policy()
    results = []
    for item in walk(paths):
        if isinstance(item, Skipped):
            results.append(
                FileScan(item.display, "unreadable", 0, errors=(ScanError(item.reason),))
            )
        else:
            results.append(scan_file(item.path, policy, limits, item.display))
    return results
