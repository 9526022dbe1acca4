"""A signed model verified through ``registry serve`` without its weights: the manifest's
SHA-256 of each LFS file is compared with the registry's, and only small files are fetched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.registry.conftest import run_cli

pytest.importorskip("model_signing", reason="needs ptmscope[signing]")

from tests.signing.keys import sign_with_key, write_key_pair

PACKAGE_BYTES = 300_000_000


def write_large_package(root: Path) -> Path:
    """Card, config and a 300 MB safetensors file, sparse on disk (zeros past the header)."""
    root.mkdir(parents=True)
    (root / "README.md").write_text("---\nlicense: mit\n---\n# big signed model\n")
    (root / "config.json").write_text(json.dumps({"model_type": "bert"}))
    count = PACKAGE_BYTES // 4
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [count], "data_offsets": [0, count * 4]}}
    ).encode()
    with open(root / "model.safetensors", "wb") as handle:
        handle.write(len(header).to_bytes(8, "little") + header)
        handle.truncate(8 + len(header) + count * 4)
    return root


def test_remote_signature_verifies_from_registry_digests(make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    private, public = write_key_pair(tmp_path / "keys")
    model = write_large_package(tmp_path / "root" / "acme" / "signed")
    sign_with_key(model, private)
    # The same package with one byte of its weights changed after signing.
    tampered = write_large_package(tmp_path / "root" / "acme" / "tampered")
    (tampered / "model.sig").write_bytes((model / "model.sig").read_bytes())
    with open(tampered / "model.safetensors", "r+b") as handle:
        handle.seek(PACKAGE_BYTES // 2)
        handle.write(b"\x01")
    assert os.stat(model / "model.safetensors").st_blocks * 512 < 10_000_000  # sparse
    server = make_server(tmp_path / "root")
    done = run_cli(
        server, tmp_path / "home", "audit", "acme/signed", "--trust-key", str(public),
        "--format", "json",
    )  # fmt: skip
    assert "Traceback" not in done.stderr and done.stdout, done.stderr
    report = json.loads(done.stdout)
    signature = report["signature"]
    assert signature["state"] == "verified", signature
    assert signature["files_covered"] == 3 and signature["digests_from_registry"] >= 1
    transfer = report["transfer"]
    assert transfer["package_bytes"] >= PACKAGE_BYTES
    assert transfer["bytes_downloaded"] < transfer["package_bytes"] / 100, transfer

    # Changed weights: the registry's digest differs, seen without downloading them either.
    done = run_cli(
        server, tmp_path / "home2", "audit", "acme/tampered", "--trust-key", str(public),
        "--format", "json", "--fail-on", "high",
    )  # fmt: skip
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    assert report["signature"]["state"] == "invalid"
    assert report["signature"]["files_mismatched"] == ["model.safetensors"]
    assert report["transfer"]["bytes_downloaded"] < PACKAGE_BYTES / 100
