"""Request bodies read in the event loop, with a size limit and a deadline.

A body is read in the async handler (never by a worker thread waiting on the
network), so clients that send slowly hold no thread: they hold a coroutine until
the deadline answers them 408. The limit is enforced on the bytes received and,
for ``Content-Encoding: gzip``, on the bytes decompressed so far: decompression is
streamed and stops one byte past the limit (413), so a small gzip bomb costs at
most the limit in memory.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import anyio
from starlette.requests import ClientDisconnect, Request

MAX_BODY_BYTES = 16 << 20
"""Largest request body, before and after decompression (``--max-body-bytes``)."""
BODY_TIMEOUT_S = 30.0
"""Time allowed to receive a whole request body (``--body-timeout``)."""
GIT_TIMEOUT_S = 600.0
"""Longest a ``git upload-pack`` may run for one request (``--git-timeout``)."""
WORKERS = 32
"""Threads doing blocking work (judging, git, file reads) at once (``--workers``)."""


@dataclass(frozen=True)
class ServerLimits:
    """Per-server limits on request bodies, git runs and worker threads (``registry serve`` options)."""

    max_body_bytes: int = MAX_BODY_BYTES
    body_timeout_s: float = BODY_TIMEOUT_S
    git_timeout_s: float = GIT_TIMEOUT_S
    workers: int = WORKERS


class BodyError(Exception):
    """A request body refused before any work: the HTTP status to answer and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limits: ServerLimits, allow_gzip: bool = False) -> bytes:
    """The whole (decoded) body, or :class:`BodyError` with 400, 408, 413 or 415."""
    limit = limits.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyError(400, "bad Content-Length")
        if int(declared) > limit:
            raise BodyError(413, f"request body above the {limit}-byte limit")
    encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip") or (encoding == "gzip" and not allow_gzip):
        raise BodyError(415, f"unsupported Content-Encoding {encoding[:40]!r}")
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
    out = bytearray()
    received = 0
    try:
        with anyio.fail_after(limits.body_timeout_s):
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise BodyError(413, f"request body above the {limit}-byte limit")
                if inflate is None:
                    out += chunk
                    continue
                data = chunk
                while data and not inflate.eof:
                    try:
                        out += inflate.decompress(data, limit + 1 - len(out))
                    except zlib.error:
                        raise BodyError(400, "bad gzip body") from None
                    if len(out) > limit:
                        raise BodyError(413, f"decompressed body above the {limit}-byte limit")
                    data = inflate.unconsumed_tail
    except TimeoutError:
        raise BodyError(408, f"request body not received in {limits.body_timeout_s:g} s") from None
    except ClientDisconnect:
        raise BodyError(400, "client went away") from None
    if inflate is not None and not inflate.eof:
        raise BodyError(400, "truncated gzip body")
    return bytes(out)
