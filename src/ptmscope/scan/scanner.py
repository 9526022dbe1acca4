"""Scan files and folders: pick each reader by content, run it under the limits, collect results.

This is the scanner's one entry point (``scan_paths``, ``scan_file``,
``scan_bytes``, ``scan_buffer``). Readers come from the ordered registry
(:mod:`ptmscope.scan.registry`), and each gets the scan context back as its way
to scan members and nested payloads, so an archive inside a pickle inside a zip
is read by the same rules at every level.
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
from ptmscope.scan.context import Limits, ScanContext, ScanTimeout, Span
from ptmscope.scan.policy import Policy, default_policy
from ptmscope.scan.registry import Registry, default_registry
from ptmscope.scan.walk import Skipped, walk
from ptmscope.vocab import FileFormat


def _start(policy: Policy | None, limits: Limits | None, registry: Registry | None) -> ScanContext:
    return ScanContext.start(
        policy or default_policy(), limits or Limits(), registry or default_registry()
    )


def _finish(path: str, span: Span, ctx: ScanContext, started: float) -> FileScan:
    fmt: str
    try:
        fmt = ctx.scan_member(span)
    except ScanTimeout as exc:
        ctx.error(str(exc))
        fmt = FileFormat.UNKNOWN
    except (RecursionError, MemoryError) as exc:
        ctx.error(f"scan stopped: {type(exc).__name__}")
        fmt = FileFormat.UNKNOWN
    except OSError as exc:  # a remote file whose content is not there, a vanished file
        ctx.error(f"cannot read: {exc}")
        fmt = FileFormat.UNREADABLE
    return FileScan(
        path=path,
        format=fmt,
        size=span.size,
        findings=ctx.ledger.final_findings(),
        errors=ctx.ledger.final_errors(),
        seconds=time.perf_counter() - started,
    )


def scan_bytes(
    data: bytes,
    name: str = "<bytes>",
    policy: Policy | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
) -> FileScan:
    """Scan bytes held in memory (``registry``: readers of your own, in their order)."""
    ctx = _start(policy, limits, registry)
    return _finish(name, Span(data), ctx, time.perf_counter())


def scan_buffer(
    buffer: Any,
    name: str,
    policy: Policy | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
) -> FileScan:
    """Scan a bytes-like object that fetches on demand (a remote file): only what is read is fetched."""
    ctx = _start(policy, limits, registry)
    if len(buffer) == 0:
        return FileScan(name, FileFormat.EMPTY, 0)
    return _finish(name, Span(buffer), ctx, time.perf_counter())


def scan_file(
    path: Path,
    policy: Policy | None = None,
    limits: Limits | None = None,
    display: str | None = None,
    registry: Registry | None = None,
) -> FileScan:
    """Scan one file through a read-only memory map (pages are let go of as they are read)."""
    started = time.perf_counter()
    ctx = _start(policy, limits, registry)
    name = display or str(path)
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return FileScan(name, FileFormat.EMPTY, 0)
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return FileScan(
            name, FileFormat.UNREADABLE, 0, errors=(ScanError(f"cannot read: {message}"),)
        )
    try:
        return _finish(name, Span(mapped), ctx, started)
    finally:
        with contextlib.suppress(BufferError):
            mapped.close()


def scan_paths(
    paths: Iterable[Path],
    policy: Policy | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
) -> list[FileScan]:
    """Scan files and folders; what cannot be read is a result with an error, never dropped."""
    policy = policy or default_policy()
    results = []
    for item in walk(paths):
        if isinstance(item, Skipped):
            results.append(
                FileScan(item.display, FileFormat.UNREADABLE, 0, errors=(ScanError(item.reason),))
            )
        else:
            results.append(scan_file(item.path, policy, limits, item.display, registry))
    return results
