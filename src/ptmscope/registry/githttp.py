"""Git smart HTTP (read-only): ``git clone http://HOST/<owner>/<name>`` against the registry.

Two requests make a fetch: the ref advertisement (``GET …/info/refs?service=
git-upload-pack``) and the negotiation (``POST …/git-upload-pack``), both answered
by ``git upload-pack --stateless-rpc``; protocol v2 is passed through from the
``Git-Protocol`` header. Pushing is not offered.

Behind a gateway, ``upload-pack`` runs on a judged view (:func:`judged_view`), not on
the live repository: a bare repository holding exactly the refs the gateway judged,
reading the repository's objects through ``alternates``, answered in protocol v0/v1,
whose wants must be reachable from those refs (protocol v2 serves a want of any stored
object, and a ref can move between the judgement and ``upload-pack``). Whatever is
pushed meanwhile is judged by the next request, never served by this one.

The pack is streamed from ``upload-pack`` to the client as it is produced (the
request body is spooled to a temporary file that becomes git's stdin), under a
deadline after which git is killed. Refusals use the forms the real ``git``
client shows: a ``403`` with a ``text/plain`` body on the advertisement (git
prints ``remote: <body>``), an ``ERR`` pkt-line on the negotiation (git prints
``fatal: remote error: <message>``; it does not show the body of a failed POST).
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import Response, StreamingResponse

from ptmscope.errors import SourceError
from ptmscope.sources.git import git_env

if TYPE_CHECKING:
    from ptmscope.registry.gitgate import RefState

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
_OFFER = [
    "-c", "uploadpack.allowFilter=true",
    "-c", "uploadpack.allowAnySHA1InWant=false", "-c", "uploadpack.allowTipSHA1InWant=false",
    # Only branches and tags (and HEAD) are offered: they are what the gate judges.
    "-c", "uploadpack.hideRefs=refs/", "-c", "uploadpack.hideRefs=!refs/heads/",
    "-c", "uploadpack.hideRefs=!refs/tags/",
]  # fmt: skip
JUDGED_READING = [
    # What the view serves is walked from the objects themselves: a commit-graph or bitmap
    # file added to the repository after judging (they do not change its ref state) could
    # name another tree for a judged commit.
    "-c", "core.commitGraph=false", "-c", "pack.useBitmaps=false",
]  # fmt: skip
"""Options for every git run on a judged view (``upload-pack``, and the judge's walk)."""
_UPLOAD_PACK = [
    "git", "-c", "safe.directory=*", *_OFFER,
    "-c", "uploadpack.allowReachableSHA1InWant=false", "upload-pack", "--stateless-rpc",
]  # fmt: skip
_JUDGED = [
    "git", "-c", "safe.directory=*", *JUDGED_READING, *_OFFER,
    # Partial clones fetch blobs by id later: allowed when reachable from the judged refs.
    "-c", "uploadpack.allowReachableSHA1InWant=true",
    # A sparse:oid filter reads the blob it names, whatever it is: not offered.
    "-c", "uploadpackfilter.sparse:oid.allow=false",
    "upload-pack", "--stateless-rpc",
]  # fmt: skip
_live_views: set[str] = set()
_views_lock = threading.Lock()


def _remove_live_views() -> None:
    for view in list(_live_views):
        remove_view(view)


atexit.register(_remove_live_views)  # a view a client abandoned goes with the process


def live_views() -> frozenset[str]:
    """The judged views this process holds now (each is removed once git is done)."""
    with _views_lock:
        return frozenset(_live_views)


def judged_view(git_dir: str, refs: RefState, timeout_s: float = 60) -> str:
    """A temporary bare repository with exactly ``refs`` (HEAD as judged) over the objects
    of ``git_dir``; the caller removes it (:func:`remove_view`) once git is done with it.
    Raises :class:`SourceError` when it cannot be made (nothing is then served)."""
    env = git_env(Path(git_dir).parent)
    base = ["git", "-c", "safe.directory=*", "--git-dir", git_dir, "rev-parse"]
    try:
        paths = subprocess.run(
            [*base, "--path-format=absolute", "--git-path", "objects", "--show-object-format"],
            capture_output=True, env=env, timeout=timeout_s, check=True,
        ).stdout.decode().split("\n")  # fmt: skip
        objects, form = paths[0].strip(), paths[1].strip()
        view = Path(tempfile.mkdtemp(prefix="ptmscope-view-"))
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        raise SourceError(f"cannot make a judged view of {git_dir}: {exc}") from None
    with _views_lock:
        _live_views.add(str(view))
    try:
        for folder in ("refs/heads", "refs/tags", "objects/info", "objects/pack"):
            (view / folder).mkdir(parents=True)
        (view / "objects/info/alternates").write_text(objects + "\n")
        config = "[core]\n\trepositoryformatversion = {}\n\tbare = true\n"
        if form != "sha1":
            config += f"[extensions]\n\tobjectformat = {form}\n"
        (view / "config").write_text(config.format(0 if form == "sha1" else 1))
        lines = ["# pack-refs with: peeled fully-peeled sorted \n"]
        for name in sorted(refs.targets):
            lines.append(f"{refs.targets[name]} {name}\n")
            if refs.tips[name] != refs.targets[name]:
                lines.append(f"^{refs.tips[name]}\n")
        (view / "packed-refs").write_text("".join(lines))
        head = f"ref: {refs.head}" if refs.head else refs.tips["HEAD"]
        (view / "HEAD").write_text(head + "\n")
    except OSError as exc:
        remove_view(str(view))
        raise SourceError(f"cannot make a judged view of {git_dir}: {exc}") from None
    except BaseException:
        remove_view(str(view))
        raise
    return str(view)


def remove_view(view: str) -> None:
    """Delete a judged view (never the repository: only ``ptmscope-view-`` folders)."""
    if Path(view).name.startswith("ptmscope-view-"):
        shutil.rmtree(view, ignore_errors=True)
    with _views_lock:
        _live_views.discard(view)


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


def advertise(
    git_dir: str, protocol: str | None, timeout_s: float = 60, judged: bool = False
) -> Response:
    """The ref advertisement (``info/refs``) of ``git_dir``, as ``upload-pack`` makes it;
    ``judged``: ``git_dir`` is a judged view, answered in protocol v0/v1 and then removed."""
    command = _JUDGED if judged else _UPLOAD_PACK
    protocol = None if judged else protocol
    try:
        done = subprocess.run(
            [*command, "--advertise-refs", git_dir],
            capture_output=True, env=_env(git_dir, protocol), timeout=timeout_s, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return Response("repository unreadable\n", status_code=500)
    finally:
        if judged:
            remove_view(git_dir)
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


def upload_pack(
    git_dir: str, body: bytes, protocol: str | None, timeout_s: float, judged: bool = False
) -> Response:
    """Run ``upload-pack`` on ``body`` and stream its output (killed after ``timeout_s``);
    ``judged``: ``git_dir`` is a judged view, answered in protocol v0/v1 and removed when
    the stream ends."""
    command = _JUDGED if judged else _UPLOAD_PACK
    protocol = None if judged else protocol
    try:
        with tempfile.TemporaryFile() as spool:
            spool.write(body)
            spool.seek(0)
            process = subprocess.Popen(
                [*command, git_dir],
                stdin=spool, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=_env(git_dir, protocol),
            )  # fmt: skip
    except BaseException:
        if judged:
            remove_view(git_dir)
        raise

    def expire() -> None:  # also when the stream never starts (the client left first)
        process.kill()
        if judged:
            remove_view(git_dir)

    watchdog = threading.Timer(timeout_s, expire)
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
            if judged:
                remove_view(git_dir)

    return StreamingResponse(
        stream(),
        headers={
            "Content-Type": "application/x-git-upload-pack-result",
            "Cache-Control": "no-cache",
        },
    )
