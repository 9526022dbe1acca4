"""Git smart HTTP (read-only): ``git clone http://HOST/<owner>/<name>`` against the registry.

Two requests make a fetch: the ref advertisement (``GET …/info/refs?service=
git-upload-pack``) and the negotiation (``POST …/git-upload-pack``), both answered
by ``git upload-pack --stateless-rpc`` on the package's repository; protocol v2
is passed through from the ``Git-Protocol`` header. Pushing is not offered.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess

from starlette.responses import Response

_PROTOCOL = re.compile(r"^[A-Za-z0-9=:._-]{1,64}$")
MAX_REQUEST = 64 << 20


def _env(protocol: str | None) -> dict[str, str]:
    env = {**os.environ, "GIT_ALLOW_PROTOCOL": "file", "GIT_NO_LAZY_FETCH": "1"}
    if protocol and _PROTOCOL.match(protocol):
        env["GIT_PROTOCOL"] = protocol
    return env


def _pkt(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


def advertise(git_dir: str, protocol: str | None) -> Response:
    done = subprocess.run(
        ["git", "-c", "safe.directory=*", "-c", "uploadpack.allowFilter=true", "upload-pack",
         "--stateless-rpc", "--advertise-refs", git_dir],
        capture_output=True, env=_env(protocol), timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return Response("repository unreadable\n", status_code=500)
    body = done.stdout
    if not (protocol and "version=2" in protocol):
        body = _pkt("# service=git-upload-pack\n") + b"0000" + body
    return Response(
        body,
        headers={
            "Content-Type": "application/x-git-upload-pack-advertisement",
            "Cache-Control": "no-cache",
        },
    )


def upload_pack(git_dir: str, body: bytes, encoding: str | None, protocol: str | None) -> Response:
    if encoding == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            return Response("bad gzip body\n", status_code=400)
    if len(body) > MAX_REQUEST:
        return Response("request too large\n", status_code=413)
    done = subprocess.run(
        ["git", "-c", "safe.directory=*", "-c", "uploadpack.allowFilter=true", "upload-pack",
         "--stateless-rpc", git_dir],
        input=body, capture_output=True, env=_env(protocol), timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0 and not done.stdout:
        return Response("upload-pack failed\n", status_code=500)
    return Response(
        done.stdout,
        headers={
            "Content-Type": "application/x-git-upload-pack-result",
            "Cache-Control": "no-cache",
        },
    )
