"""Keys, a CA chain and OMS bundles made in the test with the real libraries (cryptography,
model-signing): nothing is fetched, nothing is trusted but what the test writes."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

model_signing = pytest.importorskip("model_signing", reason="needs ptmscope[signing]")


def write_key_pair(folder: Path, name: str = "signer") -> tuple[Path, Path]:
    """``(private PEM, public PEM)`` of a fresh P-256 key."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    private = folder / f"{name}.key"
    public = folder / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _certificate(
    subject: str,
    public_key: ec.EllipticCurvePublicKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    )  # fmt: skip
    return builder.sign(issuer_key, hashes.SHA256())


def write_ca_chain(folder: Path, name: str = "ca") -> dict[str, Path]:
    """A root CA, an intermediate and a signing leaf: ``root``, ``intermediate``, ``leaf``,
    ``leaf_key`` (PEM files)."""
    folder.mkdir(parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP256R1())
    mid_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(f"{name} root", root_key.public_key(), f"{name} root", root_key, True)
    mid = _certificate(f"{name} intermediate", mid_key.public_key(), f"{name} root", root_key, True)
    leaf = _certificate(
        "model publisher", leaf_key.public_key(), f"{name} intermediate", mid_key, False
    )
    out = {
        "root": folder / f"{name}-root.pem",
        "intermediate": folder / f"{name}-intermediate.pem",
        "leaf": folder / f"{name}-leaf.pem",
        "leaf_key": folder / f"{name}-leaf.key",
    }
    for label, cert in (("root", root), ("intermediate", mid), ("leaf", leaf)):
        out[label].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out["leaf_key"].write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return out


def write_package(root: Path, weights: bytes = b"\x00" * 64) -> Path:
    """A 3-file package: card, config, weights (safetensors-shaped bytes)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("---\nlicense: mit\n---\n# signed model\n\nA test model.\n")
    (root / "config.json").write_text(
        json.dumps({"model_type": "bert", "architectures": ["BertModel"]})
    )
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [len(weights) // 4], "data_offsets": [0, len(weights)]}}
    ).encode()
    (root / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + weights)
    return root


def sign_with_key(model: Path, private: Path, bundle: Path | None = None) -> Path:
    """Sign ``model`` through model-signing's API (the bundle written outside, then moved in,
    as a publisher would upload it beside the files)."""
    target = bundle or model / "model.sig"
    staging = model.parent / f"{model.name}.sig.tmp"
    model_signing.signing.Config().use_elliptic_key_signer(private_key=private).sign(model, staging)
    staging.replace(target)
    return target


def sign_with_certificate(model: Path, chain: dict[str, Path], extra: Sequence[Path] = ()) -> Path:
    staging = model.parent / f"{model.name}.sig.tmp"
    model_signing.signing.Config().use_certificate_signer(
        private_key=chain["leaf_key"],
        signing_certificate=chain["leaf"],
        certificate_chain=[chain["intermediate"], *extra],
    ).sign(model, staging)
    target = model / "model.sig"
    staging.replace(target)
    return target
