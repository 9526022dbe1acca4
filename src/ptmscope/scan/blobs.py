"""Payloads hidden as text inside configs: base64 (or YAML ``!!binary``) strings decoded and scanned.

A Keras ``TorchModuleWrapper`` keeps a whole ``torch.save`` checkpoint as a base64
string in its config, and any layer or loader that decodes an argument can do the
same with a pickle. Such strings are decoded and, when the bytes are a pickle or a
container the registry reads, scanned by content one level deeper, under the same
depth limit and the same decompressed-bytes budget as archive members.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat

MIN_BLOB_CHARS = 24
"""Shorter strings are never payloads (the shortest pickle that calls anything is longer)."""
MAX_BLOB_ATTEMPTS = 256
"""Strings decoded per config document; past it the rest are reported as not scanned."""
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2}")
_QUIET = frozenset({FileFormat.UNKNOWN, FileFormat.EMPTY, FileFormat.JSON})
"""Formats a decoded string is not reported as unless its scan found something."""
_PICKLED = frozenset(
    {FileFormat.PICKLE, FileFormat.JOBLIB, FileFormat.PYTORCH_ZIP, FileFormat.PYTORCH_LEGACY,
     FileFormat.PYTORCH_TAR, FileFormat.JOBLIB_ZFILE}
)  # fmt: skip

BLOB_PREFIXES = re.compile(
    rb'"(?:gA[A-X]|UEsDB|UEsFB|H4sI|N3q8|k05VTVBZ|eJ|eNo|eAE|eF|QlpoO|/Td6WFo|iUhERg|R0dVRg)'
    rb"[A-Za-z0-9+/_-]{20}"
)
"""Quoted base64 whose bytes start with a pickle's ``PROTO`` (0-5), zip, gzip, 7z, npy, zlib,
bzip2, xz, HDF5 or GGUF magic: a JSON file holding one is parsed for blobs."""


@dataclass
class BlobScanner:
    """Decodes and scans the strings of one config document (counts its attempts)."""

    ctx: ScanContext
    attempts: int = 0
    reported_cap: bool = False

    def leaf(self, node: object, depth: int, max_depth: int, where: str) -> bool:
        """The steps every config walker takes first at a node: the time check, the depth
        limit (an error past it), and a string's blob check. True when the walker is done
        with the node."""
        self.ctx.check_time()
        if depth > max_depth:
            self.ctx.error(f"{where}: config nests deeper than {max_depth} levels")
            return True
        if isinstance(node, str):
            self.string(node, where)
            return True
        return False

    def string(self, text: str, where: str) -> None:
        """Scan ``text`` if it is base64 of a pickle or container (line breaks allowed, as
        ``base64.b64decode`` and MIME encoders allow them)."""
        if any(c in text for c in " \t\r\n"):
            text = "".join(text.split())
        if len(text) < MIN_BLOB_CHARS or not _BASE64.fullmatch(text):
            return
        if len(text) // 4 * 3 > self.ctx.limits.member_bytes:
            self.ctx.error(f"{where}: base64 string too large to decode and scan")
            return
        urlsafe = "-" in text or "_" in text
        padded = text + "=" * (-len(text) % 4)
        try:
            data = binascii.a2b_base64(
                padded.replace("-", "+").replace("_", "/") if urlsafe else padded
            )
        except (binascii.Error, ValueError):
            return
        self.data(data, where, "base64 string")

    def data(self, data: bytes, where: str, how: str) -> None:
        """Scan decoded bytes by content one level deeper; report what they are."""
        ctx = self.ctx
        if len(data) < MIN_BLOB_CHARS * 3 // 4:
            return
        if self.attempts >= MAX_BLOB_ATTEMPTS:
            if not self.reported_cap:
                self.reported_cap = True
                ctx.error(
                    f"more than {MAX_BLOB_ATTEMPTS} encoded strings: the rest were not decoded"
                )
            return
        self.attempts += 1
        child = ctx.member(f"{how} in {where}")
        if child.too_deep():
            return
        if not ctx.take_bytes(len(data)):
            ctx.error(f"{where}: the scan budget of decompressed bytes is spent: not scanned")
            return
        probe = child.capture()
        found = probe.scan_member(Span(data))
        if found in _QUIET and not probe.ledger.findings:
            return
        ctx.merge(probe)
        pickled = found in _PICKLED
        child.add(
            "config.embedded_payload",
            Severity.MEDIUM if pickled else Severity.INFO,
            f"{where}: a {how} holds {found} data, scanned as a nested file"
            + (" (loading it runs a pickle)" if pickled else ""),
            target=where,
            category="deserialization" if pickled else "embedded-data",
        )
