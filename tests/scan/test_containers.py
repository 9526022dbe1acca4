"""Container readers: tampering reported, bombs bounded, escapes caught, formats from content."""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from pathlib import Path

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.context import Limits
from ptmscope.scan.scanner import scan_bytes, scan_file
from tests.scan import builders as b

PAYLOAD = b"\x80\x02cos\nsystem\nX\x01\x00\x00\x00x\x85R."


def _torch_zip(tmp_path: Path) -> bytes:
    return b.write_torch_zip(tmp_path / "m.pt").read_bytes()


def test_zip_crc_mismatch_is_tampering_and_still_scanned(tmp_path: Path) -> None:
    raw = bytearray(_torch_zip(tmp_path))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("data.pkl"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    start = raw.index(b"\x80", info.header_offset + 30)
    raw[start + 5] ^= 0x01  # flip a bit inside data.pkl: its CRC no longer matches
    result = scan_bytes(bytes(raw), "flipped.pt")
    assert any(f.rule == "zip.crc_mismatch" for f in result.findings)
    assert result.format == "pytorch-zip"


def test_local_and_central_names_that_disagree_are_reported(tmp_path: Path) -> None:
    raw = bytearray(_torch_zip(tmp_path))
    local = raw.index(b"data.pkl")  # first occurrence: the local header
    raw[local + 7] = ord("X")
    result = scan_bytes(bytes(raw), "m.pt")
    assert any(f.rule == "zip.name_mismatch" for f in result.findings)


def test_prefixed_archive_and_renamed_members_still_found(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("anything/data.pkl", PAYLOAD)
        archive.writestr("anything/version", "3\n")
    result = scan_bytes(b"JUNK" * 10 + buffer.getvalue(), "m.bin")
    assert result.format == "pytorch-zip" and result.verdict is FileVerdict.MALICIOUS


def test_zip_bomb_stops_at_the_budget() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.bin", b"\x00" * (64 << 20))
    data = buffer.getvalue()
    assert len(data) < 200_000
    result = scan_bytes(data, "bomb.zip", limits=Limits(member_bytes=8 << 20))
    assert result.verdict is FileVerdict.ERROR
    assert "budget" in result.errors[0].message


def test_compressed_stream_bomb_stops_at_the_budget() -> None:
    data = zlib.compress(b"\x80\x02" + b"N0" * (16 << 20))
    result = scan_bytes(data, limits=Limits(member_bytes=1 << 20))
    assert result.errors and "budget" in result.errors[0].message


def test_tar_member_escaping_the_folder(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("../../etc/cron.d/evil")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"data"))
    result = scan_bytes(buffer.getvalue(), "x.tar")
    assert any(f.rule == "tar.path_escape" for f in result.findings)


def test_truncated_files_are_errors_not_crashes(tmp_path: Path) -> None:
    sources = [
        _torch_zip(tmp_path),
        b.write_npy(tmp_path / "a.npy").read_bytes(),
        b.write_gguf(tmp_path / "m.gguf", b.BENIGN_TEMPLATE).read_bytes(),
        b.write_torch_zip(tmp_path / "l.pt", legacy=True).read_bytes(),
    ]
    for data in sources:
        result = scan_bytes(data[: len(data) // 2])
        assert result.verdict in (FileVerdict.ERROR, FileVerdict.SUSPICIOUS, FileVerdict.CLEAN)
        assert (
            result.errors or result.verdict is not FileVerdict.CLEAN or result.format == "unknown"
        )


def test_safetensors_header_lies_are_reported(tmp_path: Path) -> None:
    result = scan_file(b.write_safetensors_tampered(tmp_path / "t.safetensors"))
    assert [f.rule for f in result.findings] == ["safetensors.invalid_header"]


def test_onnx_custom_domain_and_escape(tmp_path: Path) -> None:
    custom = scan_file(b.write_onnx(tmp_path / "c.onnx", custom_domain="evil.ops"))
    assert any(f.rule == "onnx.custom_domain" and "evil.ops" in f.message for f in custom.findings)
    absolute = scan_file(b.write_onnx(tmp_path / "a.onnx", external="/etc/shadow"))
    assert any(f.rule == "onnx.external_data_escape" for f in absolute.findings)
    inside = scan_file(b.write_onnx(tmp_path / "i.onnx", external="weights/w.bin"))
    assert not any(f.rule == "onnx.external_data_escape" for f in inside.findings)


def test_savedmodel_file_ops(tmp_path: Path) -> None:
    result = scan_file(b.write_saved_model(tmp_path / "sm", ["Const", "ReadFile", "WriteFile"]))
    assert {f.target for f in result.findings} == {"ReadFile", "WriteFile"}
    assert result.verdict is FileVerdict.MALICIOUS


def test_chat_template_in_tokenizer_config(tmp_path: Path) -> None:
    import json

    path = tmp_path / "tokenizer_config.json"
    path.write_text(json.dumps({"chat_template": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}))
    result = scan_file(path)
    assert result.verdict is FileVerdict.MALICIOUS
    path.write_text(json.dumps({"chat_template": b.BENIGN_TEMPLATE}))
    assert scan_file(path).verdict is FileVerdict.CLEAN


def test_keras_h5_config_read_from_raw_bytes_and_through_h5py(tmp_path: Path) -> None:
    from ptmscope.scan.containers import keras
    from ptmscope.scan.context import ScanContext, Span
    from ptmscope.scan.policy import default_policy

    path = b.write_keras_h5(tmp_path / "m.h5", tmp_path / "MARKER")
    result = scan_file(path)
    assert any(f.rule == "keras.lambda_bytecode" for f in result.findings)
    ctx = ScanContext.start(default_policy(), Limits())
    configs = keras._configs_h5py(Span(path.read_bytes()), ctx)  # the child-process reader
    assert [name for name, _ in configs] == ["/:model_config"] and not ctx.errors
    garbage = ScanContext.start(default_policy(), Limits())
    assert keras._configs_h5py(Span(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100), garbage) == []
    assert garbage.errors and not (tmp_path / "MARKER").exists()


def test_formats_come_from_content_not_names(tmp_path: Path) -> None:
    disguised = {
        "model.safetensors": b.canary_pickle(tmp_path / "M"),
        "config.json": b.canary_pickle(tmp_path / "M", 0),
        "weights.txt": b.write_torch_zip(tmp_path / "z.pt", tmp_path / "M").read_bytes(),
    }
    for name, data in disguised.items():
        target = tmp_path / "d" / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        assert scan_file(target).verdict is FileVerdict.MALICIOUS, name


def test_keras_metadata_protobuf_lambda(tmp_path: Path) -> None:
    import json

    config = json.dumps(b.keras_config(tmp_path / "MARKER")).encode()
    metadata = (
        b"\x0a"
        + bytes([0x80 | (len(config) + 4) & 0x7F, (len(config) + 4) >> 7])
        + b"\x32"
        + bytes([0x80 | len(config) & 0x7F, len(config) >> 7])
        + config
    )
    path = tmp_path / "keras_metadata.pb"
    path.write_bytes(metadata)
    result = scan_file(path)
    assert result.format == "keras-metadata"
    assert any(f.rule == "keras.lambda_bytecode" for f in result.findings)
