"""A real HTTP server on 127.0.0.1 that answers from a script: 429/503 a few times, then 200."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Script:
    """Answers in order; the last one repeats. ``requests`` counts what was asked."""

    answers: list[Answer]
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, path: str) -> Answer:
        with self.lock:
            self.requests.append(path)
            index = min(len(self.requests), len(self.answers)) - 1
            return self.answers[index]


@contextmanager
def flaky_server(script: Script) -> Iterator[str]:
    """Serve ``script`` on 127.0.0.1 (a free port); yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = script.next(self.path)
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    with serving(Handler) as url:
        yield url


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Run ``handler`` on 127.0.0.1 (a free port) in a thread; yields the base URL and stops
    the server (and its thread) afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def rate_limited(times: int, retry_after: str, final: Answer) -> Script:
    """``times`` answers of 429 then 503 alternately (each with ``Retry-After``), then ``final``."""
    busy = [
        Answer(429 if i % 2 == 0 else 503, b"busy", (("Retry-After", retry_after),))
        for i in range(times)
    ]
    return Script([*busy, final])
