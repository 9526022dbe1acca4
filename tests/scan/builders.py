"""Real model files, benign and with live canary payloads, written by the real libraries.

A canary payload creates a marker file when the file is loaded; tests scan it
and assert the marker never appears. ``test_canary_is_live`` proves that loading
one really does create it, so the absence means something.
"""

from __future__ import annotations

import base64
import io
import json
import marshal
import os
import pickle
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path


class Canary:
    """Pickles as ``os.system('touch MARKER')``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (os.system, (f"touch {self.marker}",))


class ExecCanary:
    """Pickles as ``builtins.exec("open(MARKER, 'w')")``: no denylisted module name."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        import builtins

        return (builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",))


def canary_pickle(marker: Path, protocol: int = 4) -> bytes:
    return pickle.dumps({"weights": [1.0, 2.0], "hook": Canary(marker)}, protocol=protocol)


def laundered_pickle(marker: Path) -> bytes:
    """``os.system`` reached through names built by ``str.lower`` and fetched from the memo."""
    cmd = f"touch {marker}".encode()

    def short(text: bytes) -> bytes:
        return b"\x8c" + bytes([len(text)]) + text

    return (
        b"\x80\x04"
        + short(b"builtins") + short(b"str.lower") + b"\x93" + short(b"OS") + b"\x85R\x94"
        + short(b"builtins") + short(b"str.lower") + b"\x93" + short(b"SYSTEM") + b"\x85R\x94"
        + b"00" + b"h\x00h\x01\x93" + short(cmd) + b"\x85R."
    )  # fmt: skip


def write_torch_zip(path: Path, marker: Path | None = None, legacy: bool = False) -> Path:
    import torch

    obj: dict[str, object] = {"layer.weight": torch.ones(3, 3)}
    if marker is not None:
        obj["hook"] = Canary(marker)
    torch.save(obj, str(path), _use_new_zipfile_serialization=not legacy)
    return path


def write_torch_tar(path: Path, marker: Path) -> Path:
    """The pre-0.4 tar checkpoint layout: sys_info, pickle, storages, tensors."""
    members = {
        "sys_info": pickle.dumps({"protocol_version": 1000, "little_endian": True}, protocol=2),
        "pickle": canary_pickle(marker, protocol=2),
        "storages": pickle.dumps(0, protocol=2),
        "tensors": pickle.dumps(0, protocol=2),
    }
    with tarfile.open(path, "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def write_npy(path: Path, marker: Path | None = None) -> Path:
    import numpy as np

    if marker is None:
        np.save(path, np.arange(12, dtype=np.float32))
    else:
        np.save(path, np.array([Canary(marker), 1], dtype=object), allow_pickle=True)
    return path


def write_npz(path: Path, marker: Path | None = None) -> Path:
    import numpy as np

    arrays = {"a": np.ones(4)}
    if marker is not None:
        arrays["b"] = np.array([Canary(marker)], dtype=object)
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def write_joblib(path: Path, marker: Path | None = None, compress: object = 0) -> Path:
    import joblib
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    obj: dict[str, object] = {"model": model, "arrays": [np.arange(1000.0), np.ones((3, 3))]}
    if marker is not None:
        obj["hook"] = Canary(marker)
    joblib.dump(obj, path, compress=compress)
    return path


def write_zip(path: Path, member: str, data: bytes, nested: bool = False) -> Path:
    if nested:
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as archive:
            archive.writestr(member, data)
        data, member = inner.getvalue(), "inner.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "weights inside")
        archive.writestr(member, data)
    return path


def write_7z(path: Path, member: str, data: bytes) -> Path:
    import py7zr

    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(data, member)
    return path


def lambda_code(marker: Path) -> str:
    code = compile(f"lambda x: open({str(marker)!r}, 'w').close() or x", "<lambda>", "eval")
    return base64.b64encode(marshal.dumps(code)).decode()


def keras_config(marker: Path | None, nested: bool = True) -> dict[str, object]:
    layers: list[object] = [{"class_name": "Dense", "config": {"name": "dense", "units": 4}}]
    if marker is not None:
        layers.append(
            {
                "class_name": "Lambda",
                "config": {
                    "name": "lambda",
                    "function": [lambda_code(marker), None, None],
                    "function_type": "lambda",
                },
            }
        )
    inner = {"class_name": "Sequential", "config": {"name": "inner", "layers": layers}}
    return {
        "class_name": "Sequential",
        "config": {"name": "outer", "layers": [inner] if nested else layers},
    }


def write_keras_h5(path: Path, marker: Path | None = None) -> Path:
    import h5py
    import numpy as np

    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = json.dumps(keras_config(marker))
        handle.attrs["keras_version"] = "2.15.0"
        handle.create_group("model_weights").create_dataset("kernel", data=np.ones((4, 4)))
    return path


def write_keras_v3(path: Path, marker: Path | None = None, function_ref: bool = False) -> Path:
    if function_ref:
        config: dict[str, object] = {
            "module": "keras", "class_name": "Sequential",
            "config": {"layers": [{"module": "keras.layers", "class_name": "Lambda", "config": {
                "name": "l", "function": {"module": "os", "class_name": "function", "config": "system",
                                          "registered_name": "function"}}}]},
        }  # fmt: skip
    elif marker is not None:
        config = {
            "module": "keras", "class_name": "Sequential",
            "config": {"layers": [{"module": "keras", "class_name": "Sequential", "config": {"layers": [
                {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {
                    "class_name": "__lambda__", "config": {"code": lambda_code(marker)}}}}]}}]},
        }  # fmt: skip
    else:
        config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
            {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}]}}  # fmt: skip
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"")
    return path


def write_onnx(path: Path, external: str | None = None, custom_domain: str | None = None) -> Path:
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Add", ["x", "w"], ["y"])]
    opsets = [helper.make_opsetid("", 17)]
    if custom_domain:
        nodes.append(helper.make_node("Evil", ["y"], ["z"], domain=custom_domain))
        opsets.append(helper.make_opsetid(custom_domain, 1))
    weight = helper.make_tensor("w", TensorProto.FLOAT, [2], [1.0, 2.0])
    if external:
        weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2])
        weight.data_location = TensorProto.EXTERNAL
        entry = weight.external_data.add()
        entry.key, entry.value = "location", external
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("z" if custom_domain else "y", TensorProto.FLOAT, [2])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=opsets)
    path.write_bytes(model.SerializeToString())
    return path


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def write_gguf(path: Path, template: str) -> Path:
    """GGUF v3: magic, version, tensor count, KV count, KVs, one tensor descriptor, data."""
    kvs = [
        (_gguf_string("general.architecture"), 8, _gguf_string("llama")),
        (_gguf_string("tokenizer.chat_template"), 8, _gguf_string(template)),
        (_gguf_string("llama.context_length"), 4, struct.pack("<I", 2048)),
    ]
    body = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs))
    for key, kind, value in kvs:
        body += key + struct.pack("<I", kind) + value
    body += _gguf_string("tok_embd.weight") + struct.pack("<I", 1) + struct.pack("<Q", 4)
    body += struct.pack("<I", 0) + struct.pack("<Q", 0)
    body += b"\x00" * (-len(body) % 32) + b"\x00" * 16
    path.write_bytes(body)
    return path


BENIGN_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] | trim }}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SSTI_TEMPLATE = (
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}"
    "{% for message in messages %}{{ message.content }}{% endfor %}"
)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def write_saved_model(path: Path, ops: list[str]) -> Path:
    """A SavedModel protobuf (schema 1, one meta graph) whose graph holds the given ops."""
    nodes = b"".join(
        _field(1, _field(1, f"n{i}".encode()) + _field(2, op.encode())) for i, op in enumerate(ops)
    )
    function = _field(1, _field(1, b"__inference_f")) + _field(
        3, _field(1, b"x") + _field(2, b"Identity")
    )
    graph = nodes + _field(2, _field(1, function))
    meta = _field(2, graph)
    path.mkdir(parents=True, exist_ok=True)
    target = path / "saved_model.pb"
    target.write_bytes(_varint(1 << 3) + _varint(1) + _field(2, meta))
    return target


def write_safetensors_tampered(path: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    save_file({"a": torch.zeros(2, 2), "b": torch.ones(2, 2)}, str(path))
    raw = path.read_bytes()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + length])
    header["b"]["data_offsets"] = [0, 16]
    text = json.dumps(header).encode()
    text += b" " * (length - len(text)) if len(text) <= length else b""
    path.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + length :])
    return path


Builder = Callable[[Path, Path], Path]
