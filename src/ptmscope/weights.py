"""Serialized model files, their format told from their first bytes.

Extensions lie (a ``.bin`` may be a torch zip, a legacy pickle or safetensors),
so the format comes from the content where the bytes are present; only LFS
pointers, whose bytes are elsewhere, are guessed from their name (marked with a
``?``). Only headers are read: auditing 2 GB of weights reads a few kilobytes.
Deep inspection of pickles belongs to the scanner; here we only need to know
whether loading a file would run a pickle.
"""

from __future__ import annotations

from collections.abc import Iterable

from ptmscope.package import FileEntry, WeightFile
from ptmscope.scan.containers import safetensors

WEIGHT_SUFFIXES = frozenset(
    {
        ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib",
        ".h5", ".hdf5", ".keras", ".onnx", ".gguf", ".ggml", ".msgpack", ".ot", ".tflite",
        ".pb", ".npy", ".npz", ".mlmodel", ".nemo", ".mar", ".pdparams", ".params",
        ".dill", ".sav",
    }
)  # fmt: skip
PICKLE_SUFFIXES = frozenset(
    {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".dill", ".sav", ".nemo",
     ".mar", ".pdparams"}
)  # fmt: skip
TRAINING_STATE = frozenset(
    {"training_args.bin", "optimizer.pt", "scheduler.pt", "scaler.pt", "rng_state.pth"}
)
"""Files the Trainer saves next to checkpoints: pickles, but not the model's weights."""

_GUESS = {
    ".safetensors": "safetensors",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".keras": "zip",
    ".onnx": "onnx",
    ".gguf": "gguf",
    ".msgpack": "msgpack",
    ".tflite": "tflite",
    ".npy": "numpy",
    ".npz": "zip",
}
_TORCH_LEGACY_MAGIC = bytes.fromhex("8a0a6cfc9c46f9206aa85019")
QUANTIZED_DTYPES = frozenset({"I8", "U8", "I4", "U4", "F8_E4M3", "F8_E5M2", "F4"})


def is_weight_like(entry: FileEntry) -> bool:
    return entry.suffix in WEIGHT_SUFFIXES or entry.name in TRAINING_STATE


def role(entry: FileEntry) -> str:
    return "training-state" if entry.name in TRAINING_STATE else "weights"


def _safetensors(entry: FileEntry) -> WeightFile:
    try:
        header = safetensors.parse_header(entry.read, entry.size)
    except safetensors.HeaderError as exc:
        return _result(entry, "safetensors", error=str(exc))
    return _result(entry, "safetensors", parameters=header.parameters, dtypes=header.dtypes)


def _result(
    entry: FileEntry,
    fmt: str,
    *,
    pickle_based: bool = False,
    parameters: int | None = None,
    dtypes: tuple[str, ...] = (),
    error: str | None = None,
) -> WeightFile:
    return WeightFile(
        path=entry.path,
        size=entry.size,
        format=fmt,
        pickle_based=pickle_based,
        available=entry.available,
        role=role(entry),
        parameters=parameters,
        dtypes=dtypes,
        error=error,
    )


def _zip(entry: FileEntry, head: bytes) -> WeightFile:
    name_len = int.from_bytes(head[26:28], "little")
    first = head[30 : 30 + name_len].decode("utf-8", "replace")
    if first.endswith("data.pkl") or first.endswith(".data/version") or "/data/" in first:
        return _result(entry, "torch-zip", pickle_based=True)
    if first.endswith(".npy"):
        return _result(entry, "numpy-zip")
    return _result(entry, "zip", pickle_based=entry.suffix in PICKLE_SUFFIXES)


def sniff(entry: FileEntry) -> WeightFile:
    """Identify one serialized file from its header (or its name, if only a pointer is here)."""
    if not entry.available:
        guess = _GUESS.get(entry.suffix)
        if guess is None and (entry.suffix in PICKLE_SUFFIXES or entry.name in TRAINING_STATE):
            return _result(entry, "pickle?", pickle_based=True)
        return _result(entry, f"{guess or 'unknown'}?")
    try:
        head = entry.read(0, 512)
    except OSError as exc:
        return _result(entry, "unknown", error=f"unreadable: {exc}")
    if len(head) < 8:
        return _result(entry, "unknown", error="truncated: fewer than 8 bytes")
    if len(head) >= 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") > 1:
        return _safetensors(entry)
    if head.startswith(b"PK\x03\x04"):
        return _zip(entry, head)
    if head[0] == 0x80 and 2 <= head[1] <= 5:
        legacy = head[2:14] == _TORCH_LEGACY_MAGIC
        return _result(entry, "torch-legacy" if legacy else "pickle", pickle_based=True)
    if head.startswith(b"\x93NUMPY"):
        return _result(entry, "numpy", pickle_based=b"'descr': '|O'" in head)
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return _result(entry, "hdf5")
    if head.startswith(b"GGUF"):
        return _result(entry, "gguf")
    if head[4:8] == b"TFL3":
        return _result(entry, "tflite")
    if len(head) > 262 and head[257:262] == b"ustar":
        return _result(entry, "tar", pickle_based=entry.suffix in PICKLE_SUFFIXES)
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00")):
        return _result(entry, "compressed", pickle_based=entry.suffix in PICKLE_SUFFIXES)
    if entry.suffix in PICKLE_SUFFIXES and head[:1] in (b"(", b"c", b"]", b"}", b"\x80"):
        return _result(entry, "pickle", pickle_based=True)
    if entry.suffix == ".onnx" and head[:1] == b"\x08":
        return _result(entry, "onnx")
    if entry.suffix == ".msgpack" and (0x80 <= head[0] <= 0x8F or head[0] in (0xDE, 0xDF)):
        return _result(entry, "msgpack")
    return _result(entry, "unknown", pickle_based=entry.suffix in PICKLE_SUFFIXES)


def inspect_all(files: Iterable[FileEntry]) -> tuple[WeightFile, ...]:
    return tuple(sniff(entry) for entry in files if is_weight_like(entry))
