"""Zip (PyTorch, Keras 3, npz or plain), 7z and tar archives, scanned member by member.

Every member is scanned by its content, whatever its name: a pickle named
``weights.data`` is still a pickle. PyTorch tensor storages (``<prefix>/data/N``)
are only sniffed, so a 300 MB checkpoint costs the same as a 3 MB one.
"""

from __future__ import annotations

import io
import tarfile

from ptmscope.scan.containers import Recurse, keras, zipread
from ptmscope.scan.context import ScanContext, Span, SpanReader
from ptmscope.severity import Severity

_TORCH_STORAGE_SNIFF = 64


def _zip_kind(names: list[str]) -> str:
    files = [n for n in names if not n.endswith("/")]
    if any(n == "data.pkl" or (n.endswith("/data.pkl") and n.count("/") == 1) for n in files):
        return "pytorch-zip"
    if "config.json" in files and ("metadata.json" in files or "model.weights.h5" in files):
        return "keras-v3"
    if files and all(n.endswith(".npy") for n in files):
        return "npz"
    return "zip"


def _is_storage(kind: str, name: str) -> bool:
    if kind != "pytorch-zip":
        return False
    parts = name.split("/")
    return len(parts) >= 2 and parts[-2] == "data" and not name.endswith(".pkl")


def scan_zip(span: Span, ctx: ScanContext, recurse: Recurse) -> str:
    members = list(zipread.walk(span, ctx))
    kind = _zip_kind([m.name for m in members])
    for member in members:
        if member.is_dir:
            continue
        child = ctx.member(member.name)
        if child.too_deep():
            continue
        ctx.check_time()
        if _is_storage(kind, member.name):
            _storage(span, member, child, recurse)
            continue
        data = zipread.read_member(span, member, child)
        if data is None:
            continue
        if not zipread.crc_matches(member, data):
            child.add(
                "zip.crc_mismatch",
                Severity.HIGH,
                "the member's CRC-32 does not match its content: it was altered after the "
                "archive was written (torch ignores CRCs; zipfile refuses the member)",
                target=member.name,
                category="tampering",
            )
        if kind == "keras-v3" and member.name == "config.json":
            keras.check_config_json(data, child)
            continue
        recurse(data, child)
    return kind


_EMBEDDED = frozenset({"zip", "7z", "npy", "hdf5", "gguf", "pytorch-legacy", "tar"})


def _storage(span: Span, member: zipread.Member, ctx: ScanContext, recurse: Recurse) -> None:
    """Raw tensor bytes, which torch never unpickles: only something with unmistakable
    magic is scanned, and a pickle-like start only counts if it parses as one, so the
    cost does not grow with the tensor bytes and float noise raises no alarm."""
    from ptmscope.scan.detect import detect
    from ptmscope.scan.pickles import scan_pickle

    if member.method != 0:
        data = zipread.read_member(span, member, ctx)
    else:
        data = span.sub(member.data_offset, member.compressed)
    if data is None:
        return
    kind = detect(data.read(0, _TORCH_STORAGE_SNIFF), data.size)
    if kind in _EMBEDDED:
        recurse(data, ctx)
    elif kind == "pickle":
        scan_pickle(data, ctx, sniffing=True)


def scan_7z(span: Span, ctx: ScanContext, recurse: Recurse) -> str:
    try:
        import py7zr
        import py7zr.io
    except ImportError:  # pragma: no cover - py7zr is a dependency
        ctx.error("7z support needs py7zr")
        return "7z"
    limit = min(ctx.limits.member_bytes, ctx.budget.bytes_left)
    try:
        with py7zr.SevenZipFile(io.BufferedReader(SpanReader(span)), "r") as archive:
            if archive.needs_password():
                ctx.error("encrypted 7z archive cannot be scanned")
                return "7z"
            infos = [i for i in archive.list() if not i.is_directory]
            if len(infos) > ctx.limits.members:
                ctx.error(f"{len(infos)} members, above the limit of {ctx.limits.members}")
                return "7z"
            declared = sum(i.uncompressed or 0 for i in infos)
            if declared > limit:
                ctx.error(
                    f"7z archive declares {declared:,} bytes, above the scan budget of {limit:,}"
                )
                return "7z"
            factory = py7zr.io.BytesIOFactory(limit)
            archive.extractall(factory=factory)
    except Exception as exc:  # py7zr raises many unrelated types on hostile input
        ctx.error(f"not a readable 7z archive: {type(exc).__name__}: {exc}")
        return "7z"
    for name, product in sorted(factory.products.items()):
        data = product.getvalue() if hasattr(product, "getvalue") else product.read()
        child = ctx.member(name)
        if child.too_deep():
            continue
        ctx.take_bytes(len(data))
        recurse(Span(bytes(data)), child)
    return "7z"


def scan_tar(span: Span, ctx: ScanContext, recurse: Recurse) -> str:
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
                if info.size > min(ctx.limits.member_bytes, ctx.budget.bytes_left):
                    child.error(f"{info.size:,} bytes, above the scan budget")
                    continue
                handle = archive.extractfile(info)
                if handle is None:
                    continue
                data = handle.read()
                ctx.take_bytes(len(data))
                recurse(Span(data), child)
    except (tarfile.TarError, OSError, EOFError) as exc:
        ctx.error(f"tar archive unreadable: {exc}")
    base = {n.split("/")[-1] for n in names}
    return "pytorch-tar" if {"pickle", "storages"} <= base else "tar"
