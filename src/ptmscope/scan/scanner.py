"""Scan files and folders: pick each reader by content, run it under the limits, collect results.

This is the scanner's one entry point (``scan_targets`` for what a user names,
``scan_paths``, ``scan_file``, ``scan_bytes``, ``scan_buffer``). Readers come from the ordered registry
(:mod:`ptmscope.scan.registry`), and each gets the scan context back as its way
to scan members and nested payloads, so an archive inside a pickle inside a zip
is read by the same rules at every level.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from ptmscope.errors import InputError
from ptmscope.results.scan import FileScan, ScanError, ScanResult
from ptmscope.scan.context import Limits, ScanContext, ScanTimeout, Span
from ptmscope.scan.policy import Policy, default_policy
from ptmscope.scan.registry import Registry, default_registry
from ptmscope.scan.walk import Skipped, Target, walk
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


def with_digest(scan: FileScan, path: Path) -> FileScan:
    """``scan`` with the SHA-256 of ``path`` when it has findings (what SARIF fingerprints);
    a file that cannot be read again keeps no digest (its fingerprint falls back to size)."""
    if not scan.findings or scan.sha256 is not None:
        return scan
    try:
        with path.open("rb") as handle:
            import hashlib  # only for SARIF fingerprints of files with findings

            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return scan
    return replace(scan, sha256=digest)


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


class Progress(NamedTuple):
    """How far a scan of many files has got (what a progress counter with an ETA shows).

    The files are listed before the first is scanned, so the totals are known from
    the start; bytes are the files' sizes on disk (a scan's cost grows with them far
    more than with their number).
    """

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    seconds: float
    """Since the listing ended."""
    current: str | None = None
    """The file about to be scanned (``None`` once all are done)."""


ProgressCallback = Callable[[Progress], None]


def _size(item: Target | Skipped) -> int:
    if isinstance(item, Skipped):
        return 0
    try:
        return item.path.stat().st_size
    except OSError:
        return 0  # scan_file reports it as unreadable


def scan_paths(
    paths: Iterable[Path],
    policy: Policy | None = None,
    limits: Limits | None = None,
    registry: Registry | None = None,
    progress: ProgressCallback | None = None,
    *,
    digests: bool = False,
) -> list[FileScan]:
    """Scan files and folders; what cannot be read is a result with an error, never dropped.

    ``progress`` is called before each file and once at the end; with it, the paths are
    walked whole first, so that the totals are known. ``digests``: hash the files that
    have findings (:func:`with_digest`).
    """
    policy = policy or default_policy()
    items: Iterable[Target | Skipped] = walk(paths)
    sizes: list[int] = []
    if progress is not None:
        items = list(items)
        sizes = [_size(item) for item in items]
    started = time.perf_counter()
    done_bytes = 0
    results = []
    for number, item in enumerate(items):
        if progress is not None:
            progress(Progress(number, len(sizes), done_bytes, sum(sizes),
                              time.perf_counter() - started, item.display))  # fmt: skip
            done_bytes += sizes[number]
        if isinstance(item, Skipped):
            results.append(
                FileScan(item.display, FileFormat.UNREADABLE, 0, errors=(ScanError(item.reason),))
            )
        else:
            scan = scan_file(item.path, policy, limits, item.display, registry)
            results.append(with_digest(scan, item.path) if digests else scan)
    if progress is not None:
        progress(Progress(len(sizes), len(sizes), done_bytes, done_bytes,
                          time.perf_counter() - started))  # fmt: skip
    return results


def scan_targets(
    targets: Sequence[str | Path],
    policy: Policy | None = None,
    limits: Limits | None = None,
    *,
    token: str | None = None,
    download: bool = False,
    progress: ProgressCallback | None = None,
    digests: bool = False,
) -> ScanResult:
    """Scan what a user names: files, folders (recursively) and Hub models ``owner/name``.

    The body of :func:`ptmscope.scan` and ``ptmscope scan``. A target that exists
    on disk is a path whatever it looks like; only one that does not and reads
    ``owner/name[@revision]`` is fetched from the Hub (its modules load only then).
    ``digests``: hash local files that have findings (SARIF's fingerprints).
    """
    if not targets:
        raise InputError("nothing to scan: give files, folders or Hub models owner/name")
    policy = policy or default_policy()
    files: list[FileScan] = []
    for target in targets:
        if not Path(target).exists() and _hub_ref(str(target)):
            from ptmscope.collector import scan_source
            from ptmscope.sources import open_source

            with open_source(str(target), kind="hub", token=token, download=download) as source:
                files.extend(scan_source(source, policy, limits))
        else:
            files.extend(
                scan_paths([Path(target)], policy, limits, progress=progress, digests=digests)
            )
    return ScanResult(tuple(files))


def _hub_ref(target: str) -> bool:
    from ptmscope.sources.hub import parse_ref

    return parse_ref(target) is not None
