"""OpenSSF Model Signing (OMS) bundles: find them, verify them, say what they cover.

A bundle (``model.sig``, ``*.sig``, ``*.sigstore.json``) is a Sigstore bundle whose DSSE
payload lists every signed file with its digest. ``model_signing`` checks the cryptography
(a public key, a certificate chain, or a Sigstore identity under a pinned trust root) and
hands back the manifest; comparing it with the files is ours (:mod:`.remote`), so a package
read from git or from a registry is checked without a folder on disk and without its weights.
Nothing in the package is executed: the bundle is JSON, the files are only hashed.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import posixpath
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ptmscope.package import FileEntry, ModelSignature
from ptmscope.signing.remote import ManifestEntry, compare, parse_identifier
from ptmscope.signing.trust import TrustOptions

BUNDLE_NAME = "model.sig"
BUNDLE_SUFFIXES = (".sig", ".sigstore.json")
MAX_BUNDLE_BYTES = 16 << 20
"""A bundle larger than this is not read (real ones are a few kB)."""
MAX_BUNDLES = 8
"""Bundles checked per package; further candidates are listed, not checked, and a package
with more is never ``verified`` (an unchecked one could show a changed file)."""
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle"
INSTALL_HINT = "install ptmscope[signing] to verify it (pip install 'ptmscope[signing]')"
_PREFERENCE = {"verified": 0, "invalid": 1, "unverifiable": 2}

TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "vocab.txt", "vocab.json", "merges.txt", "tokenizer.model", "spiece.model",
    "sentencepiece.bpe.model",
)  # fmt: skip
"""Root files a tokenizer is loaded from: a swapped vocabulary changes every output."""
CHAT_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
CONFIG_FILES = ("config.json", "generation_config.json")


@dataclass(frozen=True)
class _Bundle:
    entry: FileEntry
    data: Mapping[str, Any] | None
    """The parsed JSON; ``None`` when it is not a Sigstore bundle."""
    problem: str | None = None


def candidates(files: Sequence[FileEntry]) -> list[FileEntry]:
    """Files named like bundles: the root ``model.sig`` first, then by path."""
    found = [f for f in files if f.name == BUNDLE_NAME or f.name.lower().endswith(BUNDLE_SUFFIXES)]
    return sorted(found, key=lambda f: (f.path != BUNDLE_NAME, f.path))


def _read(entry: FileEntry) -> _Bundle:
    if entry.size > MAX_BUNDLE_BYTES:
        return _Bundle(
            entry, None, f"{entry.size} bytes, above the {MAX_BUNDLE_BYTES >> 20} MiB limit"
        )
    try:
        raw = entry.read()
    except OSError as exc:
        return _Bundle(entry, None, f"cannot read: {exc}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _Bundle(entry, None, "not JSON")
    if not isinstance(data, dict) or not str(data.get("mediaType", "")).startswith(
        BUNDLE_MEDIA_TYPE
    ):
        return _Bundle(entry, None, "not a Sigstore bundle (no bundle mediaType)")
    return _Bundle(entry, data)


def _bundle_method(data: Mapping[str, Any]) -> str | None:
    material = data.get("verificationMaterial")
    if not isinstance(material, dict):
        return None
    if "publicKey" in material:
        return "key"
    if "x509CertificateChain" in material:
        return "certificate"
    if "certificate" in material:
        return "sigstore"
    return None


def _leaf_certificate(data: Mapping[str, Any]) -> Any:
    from cryptography import x509

    material = data.get("verificationMaterial") or {}
    raw = None
    if isinstance(material.get("certificate"), dict):
        raw = material["certificate"].get("rawBytes")
    chain = material.get("x509CertificateChain")
    if raw is None and isinstance(chain, dict) and chain.get("certificates"):
        raw = chain["certificates"][0].get("rawBytes")
    return x509.load_der_x509_certificate(base64.b64decode(raw)) if raw else None


def signer_of(data: Mapping[str, Any], method: str | None) -> str | None:
    """Who the bundle says signed it: a key fingerprint, a certificate subject, an identity."""
    try:
        if method == "key":
            hint = (data.get("verificationMaterial") or {}).get("publicKey", {}).get("hint")
            return f"key sha256:{hint}" if hint else None
        cert = _leaf_certificate(data)
        if cert is None:
            return None
        if method == "sigstore":
            from cryptography import x509

            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            for value in (
                *names.get_values_for_type(x509.RFC822Name),
                *names.get_values_for_type(x509.UniformResourceIdentifier),
            ):
                return str(value)
        return str(cert.subject.rfc4514_string())
    except Exception:  # a signer name is context: an odd certificate must not stop the check
        return None


def signing_available() -> bool:
    """Whether the ``signing`` extra (model-signing) can be imported."""
    try:
        import model_signing  # noqa: F401
    except ImportError:
        return False
    return True


def _client_trust_config(root: Path, folder: Path) -> Path:
    """A Sigstore client trust config around ``root``: a ``trusted_root.json`` is wrapped (with
    an empty signing config: nothing is signed here), a client trust config is used as is."""
    data = json.loads(root.read_bytes())
    if str(data.get("mediaType", "")).startswith("application/vnd.dev.sigstore.clienttrustconfig"):
        return root
    wrapped = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": data,
        "signingConfig": {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json"},
    }
    path = folder / "client_trust_config.json"
    path.write_text(json.dumps(wrapped))
    return path


def _verified_manifest(raw: bytes, trust: TrustOptions) -> list[ManifestEntry]:
    """Check the bundle's signature with ``model_signing`` and return its manifest entries.
    Raises on any failure (the caller reports it as ``invalid``).

    ``model_signing`` verifies a folder on disk in one call; we need its manifest to compare
    with files that may live in git or on a registry, so the verifier it configures is called
    directly (``Config._verifier.verify``, the step its own ``verify`` takes first).
    """
    from model_signing import verifying
    from model_signing._signing import sign_sigstore, sign_sigstore_pb

    with tempfile.TemporaryDirectory(prefix="ptmscope-oms-") as tmp:
        folder = Path(tmp)
        bundle = folder / "bundle.sig"
        bundle.write_bytes(raw)
        config: Any = verifying.Config()  # type: ignore[no-untyped-call]
        if trust.method == "key" and trust.key is not None:
            config.use_elliptic_key_verifier(public_key=trust.key)
            signature: Any = sign_sigstore_pb.Signature.read(bundle)
        elif trust.method == "certificate":
            config.use_certificate_verifier(certificate_chain=list(trust.certs))
            signature = sign_sigstore_pb.Signature.read(bundle)
        else:
            root = _client_trust_config(trust.root, folder) if trust.root is not None else None
            config.use_sigstore_verifier(
                identity=str(trust.identity),
                oidc_issuer=str(trust.issuer),
                trust_config=root,
            )
            signature = sign_sigstore.Signature.read(bundle)
        # model_signing prints format warnings to stdout: keep it off the report.
        with contextlib.redirect_stdout(io.StringIO()):
            manifest = config._verifier.verify(signature)  # private: see docstring
    return [
        parse_identifier(rd.identifier, rd.digest.algorithm, rd.digest.digest_hex)
        for rd in manifest.resource_descriptors()
    ]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def _covers(files: Sequence[FileEntry], covered: set[str]) -> dict[str, bool | None]:
    """Whether the card, config, tokenizer and chat template present are all signed."""
    present = {f.path for f in files}

    def judge(names: tuple[str, ...]) -> bool | None:
        here = [n for n in names if n in present]
        return None if not here else all(n in covered for n in here)

    readme = next((f.path for f in files if f.path.lower() == "readme.md"), None)
    template = judge(CHAT_TEMPLATE_FILES)
    if template is None and "tokenizer_config.json" in present:
        template = judge(("tokenizer_config.json",))  # the template may live inside it
    return {
        "readme": None if readme is None else readme in covered,
        "config": judge(CONFIG_FILES),
        "tokenizer": judge(TOKENIZER_FILES),
        "chat_template": template,
    }


def _check(
    bundle: _Bundle, files: Sequence[FileEntry], trust: TrustOptions, names: list[str]
) -> ModelSignature:
    path = bundle.entry.path
    data = bundle.data or {}
    method = _bundle_method(data)
    signer = signer_of(data, method)
    base = ModelSignature("unverifiable", "", None, signer, path)
    if bundle.data is None:
        state = "invalid" if trust.method is not None else "unverifiable"
        return replace(base, state=state, reason=f"{path}: {bundle.problem}")
    if not signing_available():
        return replace(base, reason=f"{path} is an OMS bundle: {INSTALL_HINT}")
    if trust.method is None:
        return replace(
            base,
            reason=(
                f"{path} is signed ({method or 'unknown method'}) but nothing is trusted: "
                "pass --trust-key, --trust-cert or --trust-identity"
            ),
        )
    try:
        entries = _verified_manifest(bundle.entry.read(), trust)
    except Exception as exc:  # any failure to verify is a verdict on the bundle, not a crash
        return replace(
            base,
            state="invalid",
            method=trust.method,
            reason=f"{path} does not verify with the {trust.method} trusted: {_first_line(exc)}",
        )
    result = compare(entries, files, names, posixpath.dirname(path))
    covered = set(result.covered)
    signed = replace(
        base,
        method=trust.method,
        files_covered=len(result.covered),
        files_unsigned=result.unsigned,
        files_mismatched=result.mismatched,
        files_missing=result.missing,
        digests_from_registry=result.from_registry,
        covers=_covers(files, covered),
    )
    if result.mismatched or result.missing:
        changed = len(result.mismatched) + len(result.missing)
        return replace(
            signed,
            state="invalid",
            reason=(
                f"{path} verifies, but {changed} signed file(s) changed or are missing: "
                + ", ".join([*result.mismatched, *result.missing][:5])
            ),
        )
    if not result.covered and not result.unchecked:
        # The manifest lists nothing: a signature over it vouches for none of these files.
        return replace(
            signed,
            reason=f"{path} verifies with the {trust.method} trusted, but its manifest lists "
            "no file of this package",
        )
    if result.unchecked:
        first, why = result.unchecked[0]
        return replace(
            signed,
            reason=f"{len(result.unchecked)} signed file(s) could not be read here ({first}: {why})",
        )
    extra = f"; {len(result.unsigned)} file(s) outside it" if result.unsigned else ""
    return replace(
        signed,
        state="verified",
        reason=f"{path} verifies with the {trust.method} trusted: "
        f"{len(result.covered)} file(s) match{extra}",
    )


def check_package(files: Sequence[FileEntry], trust: TrustOptions | None = None) -> ModelSignature:
    """The package's model signature: a trusted bundle whose files changed, else the
    best-verifying of its bundles (verified, then invalid, then unverifiable), or ``unsigned``
    when no file is an OMS bundle."""
    trust = trust or TrustOptions()
    found = candidates(files)
    bundles: list[_Bundle] = []
    skipped: list[str] = []
    for entry in found:
        bundle = _read(entry)
        strict = entry.name == BUNDLE_NAME or entry.name.lower().endswith(".sigstore.json")
        if bundle.data is None and not strict:
            skipped.append(entry.path)  # a detached GPG ``.sig`` or the like: not OMS
            continue
        bundles.append(bundle)
    names = [b.entry.path for b in bundles]
    if not bundles:
        note = f" ({', '.join(skipped[:3])}: not Sigstore bundles)" if skipped else ""
        return ModelSignature(
            "unsigned", f"no OMS bundle (model.sig, *.sig, *.sigstore.json){note}"
        )
    logging.getLogger("model_signing").setLevel(logging.ERROR)
    results = [_check(b, files, trust, names) for b in bundles[:MAX_BUNDLES]]
    best = min(results, key=_rank)
    if best.state == "verified" and len(bundles) > MAX_BUNDLES:
        # A bundle left unchecked may be the one that shows a changed file: not verified.
        best = replace(
            best,
            state="unverifiable",
            reason=f"{len(bundles)} bundles, only {MAX_BUNDLES} checked: {best.reason}",
        )
    return replace(best, bundles=tuple(names))


def _rank(result: ModelSignature) -> int:
    """Which bundle's verdict stands for the package (lowest first).

    A bundle that verifies with the trusted key but whose files changed or went missing comes
    first: the signer itself says this content is not what was signed, and another bundle that
    verifies (one copied in from an older or smaller release of the same signer) must not
    hide it. Otherwise a verifying bundle beats one that does not (another key's, say).
    """
    if result.state == "invalid" and (result.files_mismatched or result.files_missing):
        return -1
    return _PREFERENCE.get(result.state, len(_PREFERENCE))
