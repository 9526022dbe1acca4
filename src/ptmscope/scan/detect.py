"""Tell a file's format from its first bytes, never from its name.

Extensions are chosen by whoever uploads the file (CVE-2025-1889: a pickle named
``.model``; CVE-2025-10155: protocol 0 named ``.bin``), so routing by extension
lets a payload pick the scanner that cannot see it. Formats without magic bytes
(pickle protocols 0–1, protobuf) are tried by parsing: ``candidate-pickle`` and
``candidate-protobuf`` are confirmed by their readers.
"""

from __future__ import annotations

import json
import pickletools

TORCH_LEGACY_MAGIC = bytes.fromhex("80028a0a6cfc9c46f9206aa8501900")
"""``pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`` without its STOP."""
_PICKLE_START = frozenset(op.code.encode("latin-1")[0] for op in pickletools.opcodes)
"""Every opcode a pickle may begin with: ``pickle.load`` accepts any of them first (a
NEWTRUE, POP or FRAME before the payload), so a shorter list lets a payload pass unread."""


def _zlib_header(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0


def _safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    length = int.from_bytes(head[:8], "little")
    # A header longer than the file is still safetensors: a truncated one, which its reader reports.
    return 2 <= length <= 100_000_000 and head[8:9] == b"{" and head[9:10] in b'"} \n\r\t'


def detect(head: bytes, size: int) -> str | None:
    """The format name, a ``candidate-*`` to confirm by parsing, or ``None`` (empty)."""
    if not head:
        return None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(TORCH_LEGACY_MAGIC[:12]):
        return "pytorch-legacy"
    if _safetensors(head, size):
        return "safetensors"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00"):
        return "lzma"
    if head.startswith(b"ZF0x"):
        return "joblib-zfile"
    if _zlib_header(head):
        return "zlib"
    if head[4:8] == b"TFL3":
        return "tflite"
    if head[0] == 0x80 and len(head) > 1 and 2 <= head[1] <= 5:
        return "pickle"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "candidate-json"
    if head[0] in _PICKLE_START:
        return "candidate-pickle"
    if head[0] in (0x08, 0x0A, 0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42):
        return "candidate-protobuf"
    return "unknown"


def parse_json(data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
