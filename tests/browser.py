"""A real headless browser for the tests: Debian's ``chromium`` driven over the DevTools protocol.

The protocol runs over a pair of pipes (``--remote-debugging-pipe``: commands on the
child's fd 3, replies on fd 4, each message JSON ended by a NUL byte), so no port is
opened for the browser itself and no websocket client is needed: the standard library
is enough. A page is loaded at a given viewport width; the helper reports console
errors (``console.error``, uncaught exceptions, failed loads from the log domain),
the document's scroll width against the viewport's, anything a test asks to evaluate,
and a PNG screenshot. :func:`png_ink` tells a blank screenshot from a drawn one.

Every wait is bounded (:data:`LOAD_TIMEOUT_S`); the browser runs in its own session
and is killed by process group when the page is done. Tests call :func:`chromium` and
skip with its message when no browser is installed (``make`` installs one when it can).
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
"""Executables tried in order (Debian's package installs ``chromium``)."""
LOAD_TIMEOUT_S = 60.0
"""Longest wait for one protocol reply or page load (a page should take well under 1 s;
the bound only keeps a hung browser from hanging the test run on a loaded machine)."""
HEIGHT = 900
"""Viewport height of every render (the width is the test's parameter)."""
NO_BROWSER = "no chromium installed (make installs Debian's chromium when it can)"


def chromium() -> str | None:
    """The path of a Chromium executable, or None."""
    override = os.environ.get("PTMSCOPE_CHROMIUM")
    if override:
        return override if Path(override).is_file() else None
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class Page:
    """What one load of a page showed."""

    url: str
    width: int
    console_errors: tuple[str, ...]
    scroll_width: int
    """``document.scrollingElement.scrollWidth``: wider than ``inner_width`` = horizontal overflow."""
    inner_width: int
    png: bytes
    """A screenshot of the viewport."""
    values: dict[str, Any] = field(default_factory=dict)
    """Results of the expressions the caller asked to evaluate after load."""

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.inner_width


class BrowserError(RuntimeError):
    """The browser did not answer, or answered with a protocol error."""


class _Pipe:
    """The DevTools protocol over the browser's fds 3 (in) and 4 (out)."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_event(self, method: str) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            event = self._read()
            if event.get("method") == method:
                return event
            self.events.append(event)

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.read_fd], [], [], max(0.0, left))
            if not ready:
                raise BrowserError(f"no reply from the browser in {LOAD_TIMEOUT_S:.0f} s")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise BrowserError("the browser closed its pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed


def _high_fd(fd: int) -> int:
    return fcntl.fcntl(fd, fcntl.F_DUPFD, 10)


@contextmanager
def _browser(executable: str) -> Iterator[_Pipe]:
    commands_r, commands_w = os.pipe()
    replies_r, replies_w = os.pipe()
    child_in, child_out = _high_fd(commands_r), _high_fd(replies_w)

    def wire() -> None:  # runs in the child before exec: fds 3 and 4 as chromium expects
        os.dup2(child_in, 3)
        os.dup2(child_out, 4)

    with tempfile.TemporaryDirectory(prefix="ptmscope-chromium-") as profile:
        arguments = [
            executable, "--headless=new", "--remote-debugging-pipe", "--no-sandbox",
            "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
            "--mute-audio", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--metrics-recording-only",
            f"--user-data-dir={profile}", "about:blank",
        ]  # fmt: skip
        process = subprocess.Popen(
            arguments, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(3, 4), preexec_fn=wire,
            start_new_session=True,
        )  # fmt: skip
        for fd in (commands_r, replies_w, child_in, child_out):
            os.close(fd)
        try:
            yield _Pipe(commands_w, replies_r)
        finally:
            os.close(commands_w)
            os.close(replies_r)
            if process.poll() is None:
                os.killpg(process.pid, 9)
            process.wait(timeout=LOAD_TIMEOUT_S)


def _error_text(event: dict[str, Any]) -> str | None:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
        args = params.get("args", [])
        return "console.error: " + " ".join(str(a.get("value", a.get("description"))) for a in args)
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        return "exception: " + str(details.get("exception", {}).get("description", details))
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return f"log: {entry.get('text')} {entry.get('url', '')}".strip()
    return None


def render(
    url: str, width: int, *, evaluate: dict[str, str] | None = None, executable: str | None = None
) -> Page:
    """Load ``url`` (``http://127.0.0.1…`` or ``file://…``) at ``width`` CSS pixels and return
    what it showed; ``evaluate`` maps names to JavaScript expressions run after load."""
    found = executable or chromium()
    if found is None:
        raise BrowserError(NO_BROWSER)
    with _browser(found) as pipe:
        target = pipe.send("Target.createTarget", url="about:blank")["targetId"]
        session = pipe.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            pipe.send(f"{domain}.enable", session)
        pipe.send(
            "Emulation.setDeviceMetricsOverride", session, width=width, height=HEIGHT,
            deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        navigation = pipe.send("Page.navigate", session, url=url)
        if navigation.get("errorText"):
            raise BrowserError(f"{url}: {navigation['errorText']}")
        pipe.wait_event("Page.loadEventFired")
        values: dict[str, Any] = {}
        for name, expression in {
            "scroll_width": "document.scrollingElement.scrollWidth",
            "inner_width": "window.innerWidth",
            **(evaluate or {}),
        }.items():
            reply = pipe.send(
                "Runtime.evaluate", session, expression=expression, returnByValue=True
            )
            if "exceptionDetails" in reply:
                raise BrowserError(f"{name}: {reply['exceptionDetails']}")
            values[name] = reply["result"].get("value")
        shot = pipe.send("Page.captureScreenshot", session, format="png")
        errors = tuple(text for event in pipe.events if (text := _error_text(event)))
    import base64

    return Page(
        url, width, errors, int(values.pop("scroll_width")), int(values.pop("inner_width")),
        base64.b64decode(shot["data"]), values,
    )  # fmt: skip


def png_ink(png: bytes) -> float:
    """Share of pixels that differ from the most common colour (0.0 for a blank image).

    Pillow when it is installed; otherwise a small decoder of the 8-bit, non-interlaced
    RGB/RGBA PNGs that Chromium writes.
    """
    try:
        from io import BytesIO

        from PIL import Image
    except ImportError:
        return _png_ink_stdlib(png)
    with Image.open(BytesIO(png)) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 24) or []
        total = rgb.width * rgb.height
    return 1.0 - max(count for count, _ in colours) / total if colours else 0.0


def _png_ink_stdlib(png: bytes) -> float:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, data, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError("only 8-bit non-interlaced RGB/RGBA PNGs are decoded here")
    step = 3 if colour == 2 else 4
    stride = width * step
    raw = zlib.decompress(data)
    previous = bytearray(stride)
    counts: dict[bytes, int] = {}
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up = previous[x]
            corner = previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + guess) & 255
        for x in range(0, stride, step):
            pixel = bytes(line[x : x + 3])
            counts[pixel] = counts.get(pixel, 0) + 1
        previous = line
    return 1.0 - max(counts.values()) / (width * height)
