"""Legacy PyTorch files (``_use_new_zipfile_serialization=False``): stacked pickles, then storages.

The format is five pickles (magic number, protocol version, system info, the
object, the storage keys) followed by each storage as an 8-byte element count
and raw data. torch unpickles all five, so a payload in the magic-number or
sys-info pickle runs as surely as one in the object; every one is scanned. The
storage sizes come from the object pickle's persistent ids, so the raw data is
stepped over exactly and anything appended after it is searched too.
"""

from __future__ import annotations

from ptmscope.scan.containers.base import Confidence, Container, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, Span
from ptmscope.scan.pickle.values import Ref
from ptmscope.scan.pickles import scan_pickle
from ptmscope.vocab import FileFormat

TORCH_LEGACY_MAGIC = bytes.fromhex("80028a0a6cfc9c46f9206aa8501900")
"""``pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`` without its STOP."""
MAGIC_MATCHED = 12
"""Bytes of :data:`TORCH_LEGACY_MAGIC` a file must start with."""
PICKLES = 5
"""Pickles a legacy file stacks: magic number, protocol, system info, object, storage keys."""
OBJECT_PICKLE = 3
"""Index of the object pickle, whose persistent ids give the storages' sizes."""
NUMEL_SIZE = 8
"""Bytes of the element count before each storage's raw data."""

_ELEMENT_SIZE = {
    "Double": 8, "Float": 4, "Half": 2, "BFloat16": 2, "Long": 8, "Int": 4, "Short": 2,
    "Char": 1, "Byte": 1, "Bool": 1, "ComplexFloat": 8, "ComplexDouble": 16, "QInt8": 1,
    "QUInt8": 1, "QInt32": 4, "QUInt4x2": 1, "QUInt2x4": 1, "Untyped": 1,
}  # fmt: skip


def _element_size(storage_type: object) -> int | None:
    if not isinstance(storage_type, Ref):
        return None
    name = storage_type.target.rsplit(".", 1)[-1]
    return _ELEMENT_SIZE.get(name.removesuffix("Storage"))


def scan_torch_legacy(span: Span, ctx: ScanContext) -> FileFormat:
    """Scan the five pickles, step over the storages, and search whatever follows them."""
    nested = ctx.load_payload
    result = scan_pickle(span, ctx, nested=nested, max_streams=PICKLES)
    if len(result.streams) < PICKLES or not all(s.stopped for s in result.streams):
        if not ctx.errors:
            ctx.error(
                f"legacy torch file ends after {len(result.streams)} of its {PICKLES} pickles"
            )
        return FileFormat.PYTORCH_LEGACY
    storages: dict[object, int] = {}
    for pid in result.streams[OBJECT_PICKLE].machine.persistent_ids:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            continue
        size = _element_size(pid[1])
        key, numel = pid[2], pid[4]
        if size is None or not isinstance(numel, int):
            ctx.error("a storage of unknown element size: trailing data searched instead")
            storages.clear()
            break
        storages[key] = numel * size
    pos = result.streams[-1].end - span.start
    if storages:
        pos += sum(NUMEL_SIZE + size for size in storages.values())
    if pos > span.size:
        ctx.error(f"tensor storages truncated: {pos - span.size:,} bytes missing")
    elif pos < span.size:
        rest = span.sub(pos, span.size - pos)
        scan_pickle(
            rest, ctx.member(f"data after offset {pos}"), nested=nested, sniffing=True, search=True
        )
    return FileFormat.PYTORCH_LEGACY


class TorchLegacyContainer(Container):
    """``torch.save(_use_new_zipfile_serialization=False)`` files."""

    kind = FileFormat.PYTORCH_LEGACY

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.SURE if head.startswith(TORCH_LEGACY_MAGIC[:MAGIC_MATCHED]) else None

    def first_bytes(self) -> frozenset[int] | None:
        return frozenset(TORCH_LEGACY_MAGIC[:1])

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_torch_legacy(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(self.kind, pickle_based=True)


PYTORCH_LEGACY = TorchLegacyContainer()
