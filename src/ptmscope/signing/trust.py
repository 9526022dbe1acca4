"""What the user trusts: the keys, certificates, identities and keyrings signatures are checked
against (``audit --trust-*``).

Nothing is trusted by default: a signature checked against nothing proves nothing, so without
trust material a bundle stays ``unverifiable`` and an author's commit signature stays
``signed-unknown-key``. The options are checked before any package byte is read, so a typo in
a path costs no audit (exit 2, one line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ptmscope.errors import InputError

MAX_TRUST_FILE_BYTES = 4 << 20
"""A key, certificate chain, trust root or keyring file larger than this is refused."""


@dataclass(frozen=True)
class TrustOptions:
    """Trust material for model signatures (OMS bundles) and commit signatures."""

    key: Path | None = None
    """A PEM public key (``--trust-key``): bundles signed with its private key verify."""
    certs: tuple[Path, ...] = ()
    """PEM certificates (``--trust-cert``): the chain a signing certificate must lead to."""
    identity: str | None = None
    """The Sigstore signer identity (``--trust-identity``: an e-mail or workflow URI)."""
    issuer: str | None = None
    """The OIDC issuer that vouched for ``identity`` (``--trust-issuer``)."""
    root: Path | None = None
    """A Sigstore ``trusted_root.json`` (or client trust config) to verify offline."""
    online: bool = False
    """Allow fetching Sigstore's production trust root when no ``root`` is given."""
    keyrings: tuple[Path, ...] = ()
    """OpenPGP public keys (armored or binary) and SSH allowed-signers files for commits."""

    @property
    def method(self) -> str | None:
        """``key``, ``certificate`` or ``sigstore``: how bundles are checked; ``None``: not."""
        if self.key is not None:
            return "key"
        if self.certs:
            return "certificate"
        if self.identity is not None:
            return "sigstore"
        return None

    def check(self) -> None:
        """Raise :class:`InputError` (one line, exit 2) for unusable or contradictory options."""
        chosen = [self.key is not None, bool(self.certs), self.identity is not None]
        if sum(chosen) > 1:
            raise InputError(
                "give one of --trust-key, --trust-cert or --trust-identity (a bundle is "
                "checked one way)"
            )
        if (self.identity is None) != (self.issuer is None):
            raise InputError("--trust-identity and --trust-issuer go together")
        if self.root is not None and self.identity is None:
            raise InputError("--trust-root is the Sigstore trust root: it needs --trust-identity")
        if self.identity is not None and self.root is None and not self.online:
            raise InputError(
                "--trust-identity needs --trust-root trusted_root.json to verify offline "
                "(or --online to fetch Sigstore's trust root)"
            )
        for flag, path in (
            ("--trust-key", self.key),
            ("--trust-root", self.root),
            *(("--trust-cert", c) for c in self.certs),
            *(("--trust-keyring", k) for k in self.keyrings),
        ):
            if path is not None:
                _check_content(flag, path, read_trust_file(flag, path))


def _check_content(flag: str, path: Path, data: bytes) -> None:
    """Refuse a trust file that is not what its flag takes: given a certificate as the key
    (or any other file), every bundle would read ``invalid``, which looks like tampering."""
    import json

    if flag == "--trust-root":
        try:
            json.loads(data)
        except ValueError:
            raise InputError(f"{flag} {path}: not JSON (a Sigstore trusted_root.json)") from None
        return
    if flag not in ("--trust-key", "--trust-cert"):
        return
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
    except ImportError:  # no signing extra: bundles stay unverifiable whatever the file holds
        return
    try:
        if flag == "--trust-key":
            load_pem_public_key(data)
        else:
            x509.load_pem_x509_certificates(data)
    except (ValueError, TypeError):
        wanted = "a PEM public key" if flag == "--trust-key" else "PEM certificates"
        found = " (a private key: give its public key)" if b"PRIVATE KEY" in data else ""
        raise InputError(f"{flag} {path}: not {wanted}{found}") from None


def read_trust_file(flag: str, path: Path) -> bytes:
    """The bytes of a trust file, or one line saying why it cannot be used."""
    try:
        size = path.stat().st_size
        if size > MAX_TRUST_FILE_BYTES:
            raise InputError(
                f"{flag} {path}: {size} bytes, above the {MAX_TRUST_FILE_BYTES >> 20} MiB limit"
            )
        if not path.is_file():
            raise InputError(f"{flag} {path}: not a file")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{flag} {path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise InputError(f"{flag} {path}: empty file")
    return data
