"""Commit signature headers, read without gpg: who signed, with which key.

Git keeps a signature in the ``gpgsig`` (or ``gpgsig-sha256``) header of the
commit object. The Hub API does not expose it, and counting "signed" commits is
misleading since 2024: the Hub signs its own web-UI and merge commits (key
6A528E38E0733467), as GitHub does for its web flow. A platform signature says
which forge wrote the commit, not who authored the content, so it is told
apart from an author's signature. Nothing here verifies a signature: it only
reads which key claims to have made it (:mod:`ptmscope.signing.commits` verifies).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from ptmscope.package import Signature

PLATFORM_KEYS: dict[str, str] = {
    "6A528E38E0733467": "huggingface",
    "B5690EEEBB952194": "github",
    "4AEE18F83AFDEB23": "github",
}
"""Key ids forges sign their own commits with (Hub web UI and merges; GitHub web flow)."""

PLATFORM_COMMITTERS: dict[str, str] = {
    "noreply@huggingface.co": "huggingface",
    "system@huggingface.co": "huggingface",
    "noreply@github.com": "github",
}

_ARMOR_KINDS = {
    "PGP SIGNATURE": "gpg",
    "SSH SIGNATURE": "ssh",
    "SIGNED MESSAGE": "x509",
}


def _armor_payload(armored: str) -> tuple[str, bytes | None]:
    """``(kind, decoded body)`` of an ASCII-armored block."""
    lines = [line.strip() for line in armored.strip().splitlines()]
    kind = "unknown"
    if lines and lines[0].startswith("-----BEGIN "):
        label = lines[0][len("-----BEGIN ") :].rstrip("-").strip()
        kind = _ARMOR_KINDS.get(label, "unknown")
    body: list[str] = []
    in_headers = kind == "gpg"
    for line in lines[1:]:
        if line.startswith("-----END"):
            break
        if in_headers:
            if not line:
                in_headers = False
            elif ":" not in line:
                in_headers = False
                body.append(line)
            continue
        if line.startswith("=") and kind == "gpg":
            continue  # CRC-24 checksum line
        body.append(line)
    try:
        return kind, base64.b64decode("".join(body), validate=False)
    except (binascii.Error, ValueError):
        return kind, None


def _subpacket_issuer(data: bytes) -> str | None:
    pos = 0
    issuer = None
    while pos < len(data):
        first = data[pos]
        if first < 192:
            length, pos = first, pos + 1
        elif first < 255:
            if pos + 1 >= len(data):
                return issuer
            length, pos = ((first - 192) << 8) + data[pos + 1] + 192, pos + 2
        else:
            length, pos = int.from_bytes(data[pos + 1 : pos + 5], "big"), pos + 5
        if length == 0 or pos + length > len(data):
            return issuer
        kind, body = data[pos] & 0x7F, data[pos + 1 : pos + length]
        if kind == 16 and len(body) == 8:
            issuer = body.hex().upper()
        elif kind == 33 and len(body) >= 9 and issuer is None:
            issuer = body[-8:].hex().upper()
        pos += length
    return issuer


def pgp_key_id(packet: bytes) -> str | None:
    """Issuer key id of an OpenPGP signature packet (v3, v4 or v5/v6 fingerprint)."""
    if len(packet) < 2 or not packet[0] & 0x80:
        return None
    tag_byte = packet[0]
    if tag_byte & 0x40:  # new format
        tag = tag_byte & 0x3F
        first = packet[1]
        if first < 192:
            start = 2
        elif first < 224:
            start = 3
        else:
            start = 6
    else:
        tag = (tag_byte >> 2) & 0x0F
        start = 1 + {0: 1, 1: 2, 2: 4}.get(tag_byte & 0x03, 0)
    if tag != 2:
        return None
    body = packet[start:]
    if not body:
        return None
    version = body[0]
    if version == 3 and len(body) >= 15:
        return body[7:15].hex().upper()
    if version in (4, 5, 6) and len(body) >= 6:
        width = 4 if version == 6 else 2
        hashed_len = int.from_bytes(body[4 : 4 + width], "big")
        hashed = body[4 + width : 4 + width + hashed_len]
        rest = body[4 + width + hashed_len :]
        unhashed_len = int.from_bytes(rest[:width], "big")
        unhashed = rest[width : width + unhashed_len]
        return _subpacket_issuer(hashed) or _subpacket_issuer(unhashed)
    return None


def ssh_key_fingerprint(blob: bytes) -> str | None:
    """``SHA256:…`` fingerprint of the public key inside an SSHSIG blob."""
    if not blob.startswith(b"SSHSIG") or len(blob) < 14:
        return None
    length = int.from_bytes(blob[10:14], "big")
    key = blob[14 : 14 + length]
    if len(key) != length:
        return None
    digest = base64.b64encode(hashlib.sha256(key).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def classify(armored: str, committer_email: str, payload: bytes | None = None) -> Signature:
    """Read a signature header and say whether a person or a platform made it.

    ``payload`` (the commit without its signature) is kept with the block, so that
    :mod:`ptmscope.signing.commits` can verify it against a trust keyring later."""
    kind, body = _armor_payload(armored)
    key_id = None
    if body is not None:
        if kind == "gpg":
            key_id = pgp_key_id(body)
        elif kind == "ssh":
            key_id = ssh_key_fingerprint(body)
    platform = PLATFORM_KEYS.get(key_id or "") or PLATFORM_COMMITTERS.get(
        committer_email.strip().lower()
    )
    return Signature(
        kind=kind,
        key_id=key_id,
        signer="platform" if platform else "author",
        platform=platform,
        armored=armored,
        payload=payload,
    )
