"""Words that cross module boundaries, as string enums.

Each value is what the JSON outputs carry, so a schema's ``enum`` and the Python
enum can be compared by a test (tests/test_vocab.py) and never drift apart.
They compare equal to their plain strings, so ``package.source == "git"`` keeps
working for callers that hold strings.
"""

from __future__ import annotations

from enum import StrEnum


class SourceKind(StrEnum):
    """Where a package was read from."""

    LOCAL = "local"
    """A folder on disk (a Hub cache snapshot included)."""
    GIT = "git"
    """A git repository at a revision (its history and signatures are known)."""
    HUB = "hub"
    """A Hub-compatible endpoint read over HTTP (``huggingface_hub``)."""
    RECORD = "record"
    """A registry record only: card, config and file names, no weights."""


class ProbeKind(StrEnum):
    """What a probe answers."""

    FACTOR = "factor"
    """A Table I documentation factor: present or missing."""
    SIGNAL = "signal"
    """A measured 0–10 value (downloads, commit activity…)."""
    RISK = "risk"
    """A risk: detected or clear, with a severity and STRIDE categories."""


class ScorecardVerdict(StrEnum):
    """What the scorecard advises a reuser."""

    PASS = "pass"
    REVIEW = "review"
    """A high risk, or an overall score under 5 (or none at all)."""
    FAIL = "fail"
    """A critical risk."""
    INSUFFICIENT_EVIDENCE = "insufficient-evidence"
    """Too little could be decided (no weights, history or metadata) to vouch for the
    package: below the coverage threshold, a high score would reward missing evidence."""


class WeightRole(StrEnum):
    """What a serialized file is for."""

    WEIGHTS = "weights"
    TRAINING_STATE = "training-state"
    """Optimizer, scheduler, ``training_args.bin``: pickles, not the model."""


class FileFormat(StrEnum):
    """What a serialized file is, told from its content (one name for scans and weights).

    ``FileScan.format`` and ``WeightFile.format`` carry these values. A compressed
    stream around something other than a pickle is reported by the scanner as
    ``<codec>+<inner>`` (``gzip+json``), two of these values joined by ``+``.
    """

    EMPTY = "empty"
    """A file of zero bytes."""
    UNREADABLE = "unreadable"
    """The bytes could not be read (a vanished file, a remote file without content)."""
    UNKNOWN = "unknown"
    """No reader recognised the content."""
    PICKLE = "pickle"
    JOBLIB = "joblib"
    """A pickle written by joblib (``NumpyArrayWrapper`` arrays after their wrappers)."""
    PYTORCH_ZIP = "pytorch-zip"
    """``torch.save`` since 1.6: a zip with ``<prefix>/data.pkl`` and tensor storages."""
    PYTORCH_LEGACY = "pytorch-legacy"
    """``torch.save(_use_new_zipfile_serialization=False)``: five stacked pickles, then storages."""
    PYTORCH_TAR = "pytorch-tar"
    """The oldest ``torch.save``: a tar with ``pickle`` and ``storages`` members."""
    ZIP = "zip"
    NPZ = "npz"
    """``numpy.savez``: a zip of ``.npy`` members."""
    KERAS_V3 = "keras-v3"
    """A ``.keras`` zip: ``config.json`` with ``metadata.json`` or ``model.weights.h5``."""
    KERAS_H5 = "keras-h5"
    """HDF5 holding a Keras ``model_config``."""
    KERAS_JSON = "keras-json"
    """A Keras config as a JSON file."""
    KERAS_METADATA = "keras-metadata"
    """Protobuf (SavedModel metadata) holding an embedded Keras config."""
    SEVEN_ZIP = "7z"
    TAR = "tar"
    NPY = "npy"
    HDF5 = "hdf5"
    GGUF = "gguf"
    SAFETENSORS = "safetensors"
    ONNX = "onnx"
    TENSORFLOW_SAVEDMODEL = "tensorflow-savedmodel"
    TFLITE = "tflite"
    MSGPACK = "msgpack"
    """Flax weights (``flax_model.msgpack``); only the audit's weight reading names it."""
    JSON = "json"
    YAML = "yaml"
    """A YAML config (Hydra/NeMo/Lightning instantiation)."""
    CHAT_TEMPLATE = "chat-template"
    """A Jinja chat template file (``chat_template.jinja``)."""
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    LZMA = "lzma"
    ZLIB = "zlib"
    JOBLIB_ZFILE = "joblib-zfile"
    """joblib's own ``ZF0x`` zlib container."""
