"""Serialized model files, their format told from their first bytes.

Extensions lie (a ``.bin`` may be a torch zip, a legacy pickle or safetensors),
so the format comes from the content where the bytes are present, through the
scanner's own registry of readers (both name a format the same way); only LFS
pointers, whose bytes are elsewhere, are guessed from their name (``guessed``).
Only headers are read: auditing 2 GB of weights reads a few kilobytes. Deep
inspection of pickles belongs to the scanner; here we only need to know whether
loading a file would run a pickle.
"""

from __future__ import annotations

from collections.abc import Iterable

from ptmscope.package import FileEntry, WeightFile
from ptmscope.scan.containers.base import HEAD_BYTES, WeightInfo, WeightProbe
from ptmscope.scan.registry import Registry, default_registry
from ptmscope.vocab import FileFormat, WeightRole

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
    ".safetensors": FileFormat.SAFETENSORS,
    ".h5": FileFormat.HDF5,
    ".hdf5": FileFormat.HDF5,
    ".keras": FileFormat.KERAS_V3,
    ".onnx": FileFormat.ONNX,
    ".gguf": FileFormat.GGUF,
    ".msgpack": FileFormat.MSGPACK,
    ".tflite": FileFormat.TFLITE,
    ".npy": FileFormat.NPY,
    ".npz": FileFormat.NPZ,
}
"""Formats guessed from a name when only a pointer is here."""
MIN_HEAD = 8
"""Fewer bytes than this tell no format apart: the file is truncated."""
MSGPACK_FIXMAP = range(0x80, 0x90)
MSGPACK_MAP16_32 = (0xDE, 0xDF)
"""A Flax ``.msgpack`` checkpoint starts with a map."""
QUANTIZED_DTYPES = frozenset({"I8", "U8", "I4", "U4", "F8_E4M3", "F8_E5M2", "F4"})


def is_weight_like(entry: FileEntry) -> bool:
    """Named like a weight file (or a Trainer state file)."""
    return entry.suffix in WEIGHT_SUFFIXES or entry.name in TRAINING_STATE


def role(entry: FileEntry) -> WeightRole:
    """Model weights, or training state saved beside them."""
    return WeightRole.TRAINING_STATE if entry.name in TRAINING_STATE else WeightRole.WEIGHTS


def _result(
    entry: FileEntry,
    info: WeightInfo,
    *,
    guessed: bool = False,
) -> WeightFile:
    return WeightFile(
        path=entry.path,
        size=entry.size,
        format=info.format,
        pickle_based=info.pickle_based,
        available=entry.available,
        role=role(entry),
        parameters=info.parameters,
        dtypes=info.dtypes,
        error=info.error,
        guessed=guessed,
    )


def _guess(entry: FileEntry) -> WeightFile:
    guess = _GUESS.get(entry.suffix)
    if guess is None and (entry.suffix in PICKLE_SUFFIXES or entry.name in TRAINING_STATE):
        return _result(entry, WeightInfo(FileFormat.PICKLE, pickle_based=True), guessed=True)
    return _result(entry, WeightInfo(guess or FileFormat.UNKNOWN), guessed=True)


def sniff(entry: FileEntry, registry: Registry | None = None) -> WeightFile:
    """Identify one serialized file from its header (or its name, if only a pointer is here).

    The first reader of the scanner's registry that matches the head says what the
    file is (so the audit and the scanner agree); a reader with nothing to say, or
    none at all, leaves the format ``unknown`` (``msgpack`` if it looks like Flax's).
    """
    if not entry.available:
        return _guess(entry)
    try:
        head = entry.read(0, HEAD_BYTES)
    except OSError as exc:
        return _result(entry, WeightInfo(FileFormat.UNKNOWN, error=f"unreadable: {exc}"))
    if len(head) < MIN_HEAD:
        return _result(
            entry, WeightInfo(FileFormat.UNKNOWN, error=f"truncated: fewer than {MIN_HEAD} bytes")
        )
    pickle_named = entry.suffix in PICKLE_SUFFIXES
    probe = WeightProbe(head, entry.size, entry.read, entry.suffix, pickle_named)
    reader = (registry or default_registry()).identify(head, entry.size)
    info = reader.weight_info(probe) if reader is not None else None
    if info is not None:
        return _result(entry, info)
    if entry.suffix == ".msgpack" and (head[0] in MSGPACK_FIXMAP or head[0] in MSGPACK_MAP16_32):
        return _result(entry, WeightInfo(FileFormat.MSGPACK))
    return _result(entry, WeightInfo(FileFormat.UNKNOWN, pickle_based=pickle_named))


_SERIALIZED_FORMATS = frozenset(
    {
        FileFormat.PICKLE, FileFormat.PYTORCH_LEGACY, FileFormat.PYTORCH_ZIP, FileFormat.NPZ,
        FileFormat.SAFETENSORS, FileFormat.GGUF, FileFormat.HDF5, FileFormat.TFLITE,
    }
)  # fmt: skip
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
                weight.format == FileFormat.NPY and weight.pickle_based
            ):
                found.append(weight)
    return tuple(found)
