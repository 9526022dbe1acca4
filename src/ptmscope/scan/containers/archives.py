"""Zip (PyTorch, Keras 3, npz or plain), 7z and tar archives, scanned member by member.

Every member is scanned by its content, whatever its name: a pickle named
``weights.data`` is still a pickle. PyTorch tensor storages (``<prefix>/data/N``)
are only sniffed, so a 300 MB checkpoint costs the same as a 3 MB one.
"""

from __future__ import annotations

import io

from ptmscope.scan.containers import zipread
from ptmscope.scan.containers.base import Confidence, Container, Magic, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, Span, SpanReader
from ptmscope.scan.decompress import Sink
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
"""A local file header, or the end record of an empty archive."""
EOCD_MAGIC = b"PK\x05\x06"
EOCD_SEARCH = 65557
"""The end-of-central-directory record lies within this many bytes of the end
(22 bytes of record, up to 65,535 of comment)."""
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
TAR_MAGIC = b"ustar"
TAR_MAGIC_OFFSET = 257
"""Where POSIX tar headers spell ``ustar``."""
LOCAL_HEADER_SIZE = 30
"""Fixed part of a zip local file header; the member's name follows it."""
LOCAL_NAME_LENGTH = slice(26, 28)
"""The name-length field in a local file header."""
_TORCH_STORAGE_SNIFF = 64


def _zip_kind(names: list[str]) -> FileFormat:
    files = [n for n in names if not n.endswith("/")]
    if any(n == "data.pkl" or (n.endswith("/data.pkl") and n.count("/") == 1) for n in files):
        return FileFormat.PYTORCH_ZIP
    if "config.json" in files and ("metadata.json" in files or "model.weights.h5" in files):
        return FileFormat.KERAS_V3
    if files and all(n.endswith(".npy") for n in files):
        return FileFormat.NPZ
    return FileFormat.ZIP


def _is_storage(kind: str, name: str) -> bool:
    if kind != FileFormat.PYTORCH_ZIP:
        return False
    parts = name.split("/")
    return len(parts) >= 2 and parts[-2] == "data" and not name.endswith(".pkl")


def scan_zip(span: Span, ctx: ScanContext) -> FileFormat:
    """Scan every member by content; the zip's flavour (PyTorch, Keras 3, npz or plain)."""
    members = list(zipread.walk(span, ctx))
    kind = _zip_kind([m.name for m in members])
    unread = [m.name for m in members if m.overlapping and not m.is_dir]
    if unread:  # what a loader may read there was never scanned: fail closed
        more = f" and {len(unread) - 1:,} more" if len(unread) > 1 else ""
        ctx.error(f"overlapping member {unread[0]}{more} not scanned (its bytes are another's)")
    for member in members:
        if member.is_dir or member.overlapping:
            continue  # overlapping members are reported by walk and never inflated
        child = ctx.member(member.name)
        if child.too_deep():
            continue
        ctx.check_time()
        if _is_storage(kind, member.name):
            _storage(span, member, child)
            continue
        with zipread.open_member(span, member, child) as data:
            if data is None:
                continue
            if kind == FileFormat.KERAS_V3 and member.name == "config.json":
                from ptmscope.scan.containers import keras  # only for a .keras archive

                keras.check_config_json(data, child)
                continue
            child.scan_member(data)
    return kind


_EMBEDDED = frozenset(
    {
        FileFormat.ZIP, FileFormat.SEVEN_ZIP, FileFormat.NPY, FileFormat.HDF5, FileFormat.GGUF,
        FileFormat.PYTORCH_LEGACY, FileFormat.TAR,
    }
)  # fmt: skip
"""Formats with unmistakable magic that are scanned when a tensor storage starts with them."""


def _storage(span: Span, member: zipread.Member, ctx: ScanContext) -> None:
    """Raw tensor bytes, which torch never unpickles: only something with unmistakable
    magic is scanned, and a pickle-like start only counts if it parses as one, so the
    cost does not grow with the tensor bytes and float noise raises no alarm."""
    if member.method == 0:
        _sniff_storage(span.sub(member.data_offset, member.compressed), ctx)
        return
    with zipread.open_member(span, member, ctx) as data:
        if data is not None:
            _sniff_storage(data, ctx)


def _sniff_storage(data: Span, ctx: ScanContext) -> None:
    from ptmscope.scan.pickles import scan_pickle

    first = next(ctx.readers().matches(data.read(0, _TORCH_STORAGE_SNIFF), data.size), None)
    if first is None or first[1] is not Confidence.SURE:
        return
    kind = first[0].kind
    if kind in _EMBEDDED:
        ctx.scan_member(data)
    elif kind == FileFormat.PICKLE:
        scan_pickle(data, ctx, sniffing=True)


def scan_7z(span: Span, ctx: ScanContext) -> FileFormat:
    """The standard-library reader (:mod:`.sevenzip`) reads what 7z writers produce by
    default; py7zr, imported only then (66 ms of imports), reads the rest: AES, BCJ2,
    PPMd and other coders."""
    from ptmscope.scan.containers import sevenzip

    if not sevenzip.scan(span, ctx):
        _scan_7z_py7zr(span, ctx)
    return FileFormat.SEVEN_ZIP


def _scan_7z_py7zr(span: Span, ctx: ScanContext) -> None:
    """py7zr decompresses; its output goes to bounded sinks: the archive's members share
    one in-memory allowance and spill to temporary files past it, writing stops at the
    member limit or the file's budget, and each member is scanned and released in turn."""
    try:
        import py7zr
    except ImportError:  # pragma: no cover - py7zr is a dependency
        ctx.error("7z support needs py7zr")
        return
    limit = min(ctx.limits.member_bytes, ctx.budget.bytes_left)
    factory = BoundedFactory(ctx, limit)
    try:
        with py7zr.SevenZipFile(io.BufferedReader(SpanReader(span)), "r") as archive:
            if archive.needs_password():
                ctx.error("encrypted 7z archive cannot be scanned")
                return
            infos = [i for i in archive.list() if not i.is_directory]
            if len(infos) > ctx.limits.members:
                ctx.error(f"{len(infos)} members, above the limit of {ctx.limits.members}")
                return
            declared = sum(i.uncompressed or 0 for i in infos)
            if declared > limit:
                ctx.error(
                    f"7z archive declares {declared:,} bytes, above the scan budget of {limit:,}"
                )
                return
            archive.extractall(factory=factory)
    except Exception as exc:  # py7zr raises many unrelated types on hostile input
        factory.close()
        ctx.check_time()
        if not factory.stopped:
            ctx.error(f"not a readable 7z archive: {type(exc).__name__}: {exc}")
            return
    try:
        if factory.stopped:
            ctx.error(
                f"7z archive decompresses past the scan budget of {limit:,} bytes "
                "(decompression bomb?): only what came before was scanned"
            )
        for name, sink in sorted(factory.products.items()):
            child = ctx.member(name)
            if child.too_deep() or not sink.size:
                continue
            ctx.check_time()
            ctx.take_bytes(sink.size)
            try:
                child.scan_member(sink.span())
            finally:
                sink.close()
    finally:
        factory.close()


class _Stopped(Exception):
    """Raised into py7zr to end an extraction that passed the budget or the deadline."""


class BoundedFactory:
    """A py7zr writer factory whose writers share the member limit and the file's deadline."""

    def __init__(self, ctx: ScanContext, limit: int) -> None:
        self.ctx = ctx
        self.limit = limit
        self.written = 0
        self.stopped = False
        self.products: dict[str, Sink] = {}
        self.in_memory = 0
        """Bytes held in memory by all sinks together (spilled ones hold none)."""

    def create(self, filename: str) -> _SevenZipWriter:
        sink = Sink(self.ctx.limits.in_memory_bytes)
        self.products[filename] = sink
        return _SevenZipWriter(self, sink)

    def close(self) -> None:
        for sink in self.products.values():
            sink.close()


class _SevenZipWriter:
    def __init__(self, factory: BoundedFactory, sink: Sink) -> None:
        self.factory = factory
        self.sink = sink

    def write(self, data: bytes | bytearray) -> int:
        factory = self.factory
        factory.written += len(data)
        if factory.written > factory.limit:
            factory.stopped = True
            raise _Stopped
        factory.ctx.check_time()
        sink = self.sink
        if sink.file is None and factory.in_memory + len(data) > factory.ctx.limits.in_memory_bytes:
            factory.in_memory -= sink.size
            sink.spill()
        held = sink.file is None
        sink.write(bytes(data))
        if sink.file is None:
            factory.in_memory += len(data)
        elif held:  # the sink spilled itself past its own threshold
            factory.in_memory -= sink.size - len(data)
        return len(data)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.sink.size

    def close(self) -> None:
        return None


def scan_tar(span: Span, ctx: ScanContext) -> FileFormat:
    """Scan every regular member in place; links and paths that escape are findings."""
    import tarfile  # only when a tar is read (start-up of other scans)

    names: list[str] = []
    try:
        with tarfile.open(fileobj=io.BufferedReader(SpanReader(span)), mode="r:") as archive:
            for count, info in enumerate(archive):
                if count >= ctx.limits.members:
                    ctx.error(f"more than {ctx.limits.members} members: the rest were not scanned")
                    break
                names.append(info.name)
                if info.issym() or info.islnk():
                    target = info.linkname
                    if target.startswith("/") or ".." in target.split("/"):
                        ctx.add(
                            "tar.link_escape",
                            Severity.HIGH,
                            f"member {info.name!r} links outside the archive to {target!r}",
                            target=info.name,
                            category="tampering",
                        )
                    continue
                if not info.isfile():
                    continue
                if info.name.startswith("/") or ".." in info.name.split("/"):
                    ctx.add(
                        "tar.path_escape",
                        Severity.HIGH,
                        f"member path {info.name!r} escapes the extraction folder",
                        target=info.name,
                        category="tampering",
                    )
                child = ctx.member(info.name)
                if child.too_deep():
                    continue
                ctx.check_time()
                if info.issparse() or info.offset_data + info.size > span.size:
                    child.error("sparse or truncated tar member: not scanned")
                    continue
                # Tar stores members whole: a slice of the archive, never copied.
                child.scan_member(span.sub(info.offset_data, info.size))
    except (tarfile.TarError, OSError, EOFError) as exc:
        ctx.error(f"tar archive unreadable: {exc}")
    base = {n.split("/")[-1] for n in names}
    return FileFormat.PYTORCH_TAR if {"pickle", "storages"} <= base else FileFormat.TAR


class ZipContainer(Magic):
    """Zip archives (PyTorch, Keras 3, npz or plain), told apart by their member names."""

    kind = FileFormat.ZIP
    magic = ZIP_MAGIC

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_zip(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        """From the first member's name only (the head holds its local header)."""
        head = probe.head
        name_len = int.from_bytes(head[LOCAL_NAME_LENGTH], "little")
        first = head[LOCAL_HEADER_SIZE : LOCAL_HEADER_SIZE + name_len].decode("utf-8", "replace")
        if first.endswith("data.pkl") or first.endswith(".data/version") or "/data/" in first:
            return WeightInfo(FileFormat.PYTORCH_ZIP, pickle_based=True)
        if first.endswith(".npy"):
            return WeightInfo(FileFormat.NPZ)
        return WeightInfo(FileFormat.ZIP, pickle_based=probe.pickle_named)


class SevenZipContainer(Magic):
    """7z archives, decompressed into bounded sinks (by py7zr only where the standard
    library cannot)."""

    kind = FileFormat.SEVEN_ZIP
    magic = (SEVEN_ZIP_MAGIC,)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_7z(span, hooks)


class TarContainer(Container):
    """POSIX tar archives (and the oldest ``torch.save`` format)."""

    kind = FileFormat.TAR

    def match(self, head: bytes, size: int) -> Confidence | None:
        end = TAR_MAGIC_OFFSET + len(TAR_MAGIC)
        return Confidence.SURE if head[TAR_MAGIC_OFFSET:end] == TAR_MAGIC else None

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_tar(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(FileFormat.TAR, pickle_based=probe.pickle_named)


class PrefixedZipContainer(Container):
    """A zip behind other bytes: zipfile and most loaders read an archive from its end."""

    kind = FileFormat.ZIP

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.CANDIDATE

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        tail_start = max(0, span.size - EOCD_SEARCH)
        if EOCD_MAGIC not in span.read(tail_start, span.size - tail_start):
            return None
        return scan_zip(span, hooks)


ZIP = ZipContainer()
SEVEN_ZIP = SevenZipContainer()
TAR = TarContainer()
PREFIXED_ZIP = PrefixedZipContainer()
