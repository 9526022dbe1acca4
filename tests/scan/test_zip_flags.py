"""ZIP flag tricks: a member flagged encrypted but stored plainly is read, scanned and reported."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.scanner import scan_bytes
from ptmscope.severity import Severity
from tests.scan.generated.config_cases import _torch_zip, benign_pickle, canary_pickle, marker


def _deflated(payload: bytes, flags: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.pkl", payload)
    raw = bytearray(buffer.getvalue())
    raw[raw.find(b"PK\x03\x04") + 6] |= flags
    raw[raw.find(b"PK\x01\x02") + 8] |= flags
    return bytes(raw)


def test_false_encryption_flag_is_read_and_reported(tmp_path: Path) -> None:
    """Before: 'encrypted member cannot be scanned', an error and no finding."""
    for data in (_torch_zip(canary_pickle(tmp_path), flags=0x1),
                 _deflated(canary_pickle(tmp_path), 0x1)):  # fmt: skip
        result = scan_bytes(data, "model.pt")
        rules = {f.rule: f for f in result.findings}
        assert rules["zip.false_flag"].severity is Severity.HIGH
        assert rules["zip.false_flag"].category == "tampering"
        assert any(f.target == "os.system" for f in result.findings)
        assert not result.errors
    assert not marker(tmp_path).exists()


def test_flags_on_benign_data_still_report_tampering(tmp_path: Path) -> None:
    result = scan_bytes(_torch_zip(benign_pickle(), flags=0x40), "model.pt")
    assert [f.rule for f in result.findings] == ["zip.false_flag"]
    assert result.verdict is FileVerdict.MALICIOUS


def test_central_and_local_flags_that_disagree_are_reported(tmp_path: Path) -> None:
    result = scan_bytes(_torch_zip(benign_pickle(), flags=0x1, central_only=True), "model.pt")
    assert {"zip.header_mismatch", "zip.false_flag"} <= {f.rule for f in result.findings}


def test_really_encrypted_data_stays_an_error() -> None:
    data = bytearray(_torch_zip(benign_pickle(), flags=0x1))
    start = data.find(b"archive/data.pkl") + len("archive/data.pkl")
    data[start : start + 4] = bytes(b ^ 0x5A for b in data[start : start + 4])  # ciphertext
    result = scan_bytes(bytes(data), "model.pt")
    assert any("cannot be scanned" in e.message for e in result.errors)
    assert "zip.false_flag" not in {f.rule for f in result.findings}


def test_data_descriptor_zip_is_clean() -> None:
    from tests.scan.generated.config_cases import _streamed_zip

    result = scan_bytes(_streamed_zip(), "bundle.zip")
    assert result.verdict is FileVerdict.CLEAN, (result.findings, result.errors)


def test_unsupported_method_in_both_headers_is_an_error() -> None:
    """What tests/scan/test_bounds.py should use to make errors (the encryption flag no longer
    makes one): method 99 (AES) in the central and the local header."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(3):
            archive.writestr(f"m{index}.bin", b"x")
    raw = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x01\x02", 10), (b"PK\x03\x04", 8)):
        pos = raw.find(signature)
        while pos >= 0:
            raw[pos + offset] = 99
            pos = raw.find(signature, pos + 4)
    result = scan_bytes(bytes(raw), "enc.zip")
    assert len(result.errors) == 3 and not result.findings
    assert result.verdict is FileVerdict.ERROR
