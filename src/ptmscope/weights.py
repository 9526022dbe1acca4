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
from ptmscope.scan.detect import detect
from ptmscope.vocab import WeightRole

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
QUANTIZED_DTYPES = frozenset({"I8", "U8", "I4", "U4", "F8_E4M3", "F8_E5M2", "F4"})


def is_weight_like(entry: FileEntry) -> bool:
    return entry.suffix in WEIGHT_SUFFIXES or entry.name in TRAINING_STATE


def role(entry: FileEntry) -> WeightRole:
    return WeightRole.TRAINING_STATE if entry.name in TRAINING_STATE else WeightRole.WEIGHTS


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
    kind = detect(head, entry.size)  # the scanner's content sniffing, so both agree
    pickle_named = entry.suffix in PICKLE_SUFFIXES
    if kind == "safetensors":
        return _safetensors(entry)
    if kind == "zip":
        return _zip(entry, head)
    if kind in ("pickle", "pytorch-legacy"):
        return _result(entry, "pickle" if kind == "pickle" else "torch-legacy", pickle_based=True)
    if kind == "npy":
        return _result(entry, "numpy", pickle_based=b"'descr': '|O'" in head)
    if kind in ("hdf5", "gguf", "tflite"):
        return _result(entry, kind)
    if kind == "tar":
        return _result(entry, "tar", pickle_based=pickle_named)
    if kind in ("gzip", "bzip2", "xz", "lzma", "zlib", "joblib-zfile"):
        return _result(entry, "compressed", pickle_based=pickle_named)
    if kind == "candidate-pickle" and pickle_named:
        return _result(entry, "pickle", pickle_based=True)
    if kind == "candidate-protobuf" and entry.suffix == ".onnx":
        return _result(entry, "onnx")
    if entry.suffix == ".msgpack" and (0x80 <= head[0] <= 0x8F or head[0] in (0xDE, 0xDF)):
        return _result(entry, "msgpack")
    return _result(entry, "unknown", pickle_based=pickle_named)


_SERIALIZED_FORMATS = frozenset(
    {"pickle", "torch-legacy", "torch-zip", "numpy-zip", "safetensors", "gguf", "hdf5", "tflite"}
)
"""Formats that are model files whatever they are called (``model.dat``, a name without suffix)."""


def inspect_all(files: Iterable[FileEntry]) -> tuple[WeightFile, ...]:
    """Weight files by name, and serialized model files by content under any other name.

    A pickle renamed ``checkpoint.dat`` is loaded just the same, so a name must not be
    able to take a file out of the weight checks.
    """
    found: list[WeightFile] = []
    for entry in files:
        if is_weight_like(entry):
            found.append(sniff(entry))
        elif entry.available and entry.size >= 8:
            weight = sniff(entry)
            if weight.format in _SERIALIZED_FORMATS or (
                weight.format == "numpy" and weight.pickle_based
            ):
                found.append(weight)
    return tuple(found)
