"""Git smart HTTP (read-only): ``git clone http://HOST/<owner>/<name>`` against the registry.

Two requests make a fetch: the ref advertisement (``GET …/info/refs?service=
git-upload-pack``) and the negotiation (``POST …/git-upload-pack``), both answered
by ``git upload-pack --stateless-rpc`` on the package's repository; protocol v2
is passed through from the ``Git-Protocol`` header. Pushing is not offered.

The pack is streamed from ``upload-pack`` to the client as it is produced (the
request body is spooled to a temporary file that becomes git's stdin), under a
deadline after which git is killed. Refusals use the forms the real ``git``
client shows: a ``403`` with a ``text/plain`` body on the advertisement (git
prints ``remote: <body>``), an ``ERR`` pkt-line on the negotiation (git prints
``fatal: remote error: <message>``; it does not show the body of a failed POST).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from starlette.responses import Response, StreamingResponse

from ptmscope.sources.git import git_env

_PROTOCOL = re.compile(r"^[A-Za-z0-9=:._-]{1,64}$")
_CHUNK = 1 << 16
PKT_LENGTH_DIGITS = 4
"""A pkt-line starts with its length as four hex digits, counting those four digits."""
FLUSH_PKT = b"0000"
"""The pkt-line that ends a section (length 0)."""
MAX_PKT_PAYLOAD = 65516
"""The largest pkt-line payload git accepts (65520 bytes in all, less the length digits)."""
MAX_ERR_MESSAGE = 60000
"""An ``ERR`` refusal message is cut to this, well inside one pkt-line."""
SERVICE_LINE = "# service=git-upload-pack\n"
"""The first pkt-line of a protocol v0/v1 smart-HTTP advertisement."""
_UPLOAD_PACK = [
    "git", "-c", "safe.directory=*", "-c", "uploadpack.allowFilter=true",
    "-c", "uploadpack.allowAnySHA1InWant=false", "-c", "uploadpack.allowTipSHA1InWant=false",
    "-c", "uploadpack.allowReachableSHA1InWant=false",
    # Only branches and tags (and HEAD) are offered: they are what the gate judges.
    "-c", "uploadpack.hideRefs=refs/", "-c", "uploadpack.hideRefs=!refs/heads/",
    "-c", "uploadpack.hideRefs=!refs/tags/", "upload-pack", "--stateless-rpc",
]  # fmt: skip


def _env(git_dir: str, protocol: str | None) -> dict[str, str]:
    extra = {}
    if protocol and _PROTOCOL.match(protocol):
        extra["GIT_PROTOCOL"] = protocol
    return git_env(Path(git_dir).parent, **extra)


def _pkt(text: str) -> bytes:
    data = text.encode()
    if len(data) > MAX_PKT_PAYLOAD:
        raise ValueError(f"a pkt-line holds at most {MAX_PKT_PAYLOAD} bytes")
    return f"{len(data) + PKT_LENGTH_DIGITS:0{PKT_LENGTH_DIGITS}x}".encode() + data


def refused_advertisement(message: str) -> Response:
    """A refusal git shows as ``remote: <message>`` (then ``…returned error: 403``)."""
    return Response(
        message.replace("\r", " ").rstrip("\n") + "\n",
        status_code=403,
        media_type="text/plain; charset=utf-8",
    )


def refused_negotiation(message: str) -> Response:
    """A refusal git shows as ``fatal: remote error: <message>``."""
    line = "ERR " + message.replace("\n", " ").replace("\r", " ")[:MAX_ERR_MESSAGE] + "\n"
    return Response(
        _pkt(line),
        headers={
            "Content-Type": "application/x-git-upload-pack-result",
            "Cache-Control": "no-cache",
        },
    )


def advertise(git_dir: str, protocol: str | None, timeout_s: float = 60) -> Response:
    """The ref advertisement (``info/refs``) of ``git_dir``, as ``upload-pack`` makes it."""
    try:
        done = subprocess.run(
            [*_UPLOAD_PACK, "--advertise-refs", git_dir],
            capture_output=True, env=_env(git_dir, protocol), timeout=timeout_s, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return Response("repository unreadable\n", status_code=500)
    if done.returncode != 0:
        return Response("repository unreadable\n", status_code=500)
    body = done.stdout
    if not (protocol and "version=2" in protocol):
        body = _pkt(SERVICE_LINE) + FLUSH_PKT + body
    return Response(
        body,
        headers={
            "Content-Type": "application/x-git-upload-pack-advertisement",
            "Cache-Control": "no-cache",
        },
    )


def upload_pack(git_dir: str, body: bytes, protocol: str | None, timeout_s: float) -> Response:
    """Run ``upload-pack`` on ``body`` and stream its output (killed after ``timeout_s``)."""
    with tempfile.TemporaryFile() as spool:
        spool.write(body)
        spool.seek(0)
        process = subprocess.Popen(
            [*_UPLOAD_PACK, git_dir],
            stdin=spool, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=_env(git_dir, protocol),
        )  # fmt: skip
    watchdog = threading.Timer(timeout_s, process.kill)
    watchdog.daemon = True
    watchdog.start()

    def stream() -> Iterator[bytes]:
        stdout = process.stdout
        try:
            while stdout is not None:
                chunk = stdout.read1(_CHUNK)  # type: ignore[attr-defined]
                if not chunk:
                    break
                yield chunk
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
            process.wait()
            if stdout is not None:
                stdout.close()

    return StreamingResponse(
        stream(),
        headers={
            "Content-Type": "application/x-git-upload-pack-result",
            "Cache-Control": "no-cache",
        },
    )
