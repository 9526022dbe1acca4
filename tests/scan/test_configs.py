"""Issue 13 config classes: every generated case judged right, each payload named, no canary fires."""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ptmscope.results.scan import FileScan, FileVerdict
from ptmscope.scan.scanner import scan_bytes, scan_file
from ptmscope.severity import Severity
from tests.scan.generated import Case
from tests.scan.generated.config_cases import cases, marker


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Case]]]:
    root = tmp_path_factory.mktemp("config-cases")
    written = cases(root)
    yield root, {str(c.path.relative_to(root)): c for c in written}
    assert not marker(root).exists()  # nothing scanned ran


def _scan(generated: tuple[Path, dict[str, Case]], name: str) -> FileScan:
    root, by_name = generated
    assert name in by_name
    return scan_file(root / name)


def _rules(result: FileScan) -> set[str]:
    return {f.rule for f in result.findings}


def test_every_case_is_judged_by_its_label(generated: tuple[Path, dict[str, Case]]) -> None:
    root, by_name = generated
    wrong = []
    for name, case in by_name.items():
        result = scan_file(case.path)
        flagged = result.verdict is FileVerdict.MALICIOUS
        if flagged != (case.label == "malicious") or (
            case.label == "benign" and result.verdict is FileVerdict.ERROR
        ):
            wrong.append((name, result.verdict, [f.message for f in result.findings]))
    assert not wrong
    labels = {c.label for c in by_name.values()}
    assert labels == {"malicious", "benign"}
    assert len(by_name) >= 30
    assert not marker(root).exists()


@pytest.mark.parametrize(
    ("name", "target", "category"),
    [
        ("malicious/keras/get_file.keras", "keras.utils.get_file", "network"),
        ("malicious/keras/unsafe_switch.keras", "keras.config.enable_unsafe_deserialization",
         "safety-switch"),
        ("malicious/keras/nested_load_model.keras", "keras.src.saving.saving_api.load_model",
         "deserialization"),
        ("malicious/keras/torch_wrapper.keras", "keras.layers.TorchModuleWrapper", "deserialization"),
        ("malicious/keras/tfsm_layer.keras", "keras.layers.TFSMLayer", "deserialization"),
    ],
)  # fmt: skip
def test_keras_internal_helpers_are_judged_by_the_policy(
    generated: tuple[Path, dict[str, Case]], name: str, target: str, category: str
) -> None:
    """Before: any module starting with ``keras`` was skipped (clean or a medium Lambda)."""
    result = _scan(generated, name)
    hits = [f for f in result.findings if f.target == target]
    assert hits and hits[0].severity is Severity.CRITICAL and hits[0].category == category


def test_keras_arguments_are_checked(generated: tuple[Path, dict[str, Case]]) -> None:
    nested = _scan(generated, "malicious/keras/nested_load_model.keras")
    assert {"keras.safety_switch", "keras.external_reference"} <= _rules(nested)
    download = _scan(generated, "malicious/keras/get_file.keras")
    urls = [f for f in download.findings if f.rule == "keras.external_reference"]
    assert urls and "https://attacker.example" in urls[0].message
    lookup = _scan(generated, "malicious/keras/stringlookup_url.keras")
    assert [f.severity for f in lookup.findings if f.rule == "keras.external_reference"] == [
        Severity.HIGH
    ]


def test_torch_wrapper_checkpoint_is_decoded_and_scanned(
    generated: tuple[Path, dict[str, Case]],
) -> None:
    result = _scan(generated, "malicious/keras/torch_wrapper.keras")
    inner = [f for f in result.findings if f.target == "os.system"]
    assert inner and inner[0].severity is Severity.CRITICAL
    assert any("base64 string" in part for part in inner[0].location.members)
    assert "config.embedded_payload" in _rules(result)


@pytest.mark.parametrize(
    "name",
    ["malicious/blobs/preprocessor_config.json", "malicious/blobs/hparams.yaml",
     "malicious/blobs/custom_layer.keras"],
)  # fmt: skip
def test_encoded_pickles_in_configs_are_scanned(
    generated: tuple[Path, dict[str, Case]], name: str
) -> None:
    result = _scan(generated, name)
    assert any(f.target == "os.system" and f.severity is Severity.CRITICAL for f in result.findings)
    assert "config.embedded_payload" in _rules(result)


def test_benign_encoded_array_is_noted_not_alarmed(generated: tuple[Path, dict[str, Case]]) -> None:
    result = _scan(generated, "benign/blobs/embedded_npy.json")
    assert result.verdict is FileVerdict.CLEAN
    assert [f.severity for f in result.findings] == [Severity.INFO]
    assert not result.errors


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("malicious/hydra/exec.yaml", "builtins.exec"),
        ("malicious/hydra/partial_system.yaml", "os.system"),
        ("malicious/hydra/from_pretrained.json", "transformers.AutoModel.from_pretrained"),
        ("malicious/lightning/config.yaml", "subprocess.Popen"),
        ("malicious/yaml/python_tag.yaml", "os.system"),
        ("malicious/nemo/evil.nemo", "runpy.run_path"),
    ],
)
def test_instantiated_targets_are_judged(
    generated: tuple[Path, dict[str, Case]], name: str, target: str
) -> None:
    result = _scan(generated, name)
    assert any(f.target == target and f.severity is Severity.CRITICAL for f in result.findings)


def test_nemo_archive_reads_the_config_and_the_weights(
    generated: tuple[Path, dict[str, Case]],
) -> None:
    result = _scan(generated, "malicious/nemo/evil.nemo")
    members = {f.location.members[0] for f in result.findings if f.location.members}
    assert "./model_config.yaml" in members
    assert any("path_name" in f.message for f in result.findings)  # ../../payload.py
    remote = _scan(generated, "malicious/nemo/init_from.nemo")
    assert any(
        f.rule == "config.external_reference" and f.severity is Severity.HIGH
        for f in remote.findings
    )
    benign = _scan(generated, "benign/nemo/asr.nemo")
    assert benign.verdict is FileVerdict.CLEAN, benign.findings


def test_safety_switch_in_instantiation_arguments(generated: tuple[Path, dict[str, Case]]) -> None:
    result = _scan(generated, "malicious/hydra/from_pretrained.json")
    assert "config.safety_switch" in _rules(result)


def test_benign_configs_have_no_high_finding(generated: tuple[Path, dict[str, Case]]) -> None:
    """Lightning and Hydra configs naming torch and Lightning classes stay below high."""
    for name in ("benign/lightning/cli_config.yaml", "benign/hydra/config.yaml",
                 "benign/keras/dense.keras", "benign/keras/lookup_inline.keras"):  # fmt: skip
        result = _scan(generated, name)
        assert result.format in ("yaml", "keras-v3")
        assert all(f.severity.rank < Severity.HIGH.rank for f in result.findings), name
        assert not result.errors, name


def test_yaml_that_does_not_parse_is_not_taken_for_a_config(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Model\n\nConfigure it with Hydra:\n\n```yaml\nmodel:\n  _target_: my.Model\n```\n"
        "- item: [unclosed\n"
    )
    result = scan_file(readme)
    assert not result.findings and not result.errors


_P0_BLOB = base64.b64encode(b"cposix\nsystem\n(S'id'\ntR.").decode()
_P0_PADDED = base64.b64encode(b"S'" + b"x" * 5000 + b"'\np0\n0cposix\nsystem\n(S'id'\ntR.").decode()
"""The same call after a 5,000-byte string: its ``GLOBAL`` lies past the first kilobytes."""
"""A protocol-0 pickle (no ``PROTO``, so no magic) that calls ``posix.system``."""
_ESCAPED_KERAS = (
    '{"\\u0063lass_name": "Lambda", "config": {"function": {"\\u0063lass_name": "__lambda__",'
    ' "config": {"code": "YQ=="}}}, "module": "keras.layers"}'
)
_REORDERED_KERAS = (
    '{"config": {"function": {"config": {"code": "YQ=="}, "class_name": "__lambda__"}},'
    ' "class_name": "Lambda"}'
)


def _protobuf_with(text: str) -> bytes:
    """A ``keras_metadata.pb``-shaped message: one length-delimited field holding the JSON."""
    data = text.encode()
    assert json.loads(data)
    return b"\x0a\x00\x12" + bytes([len(data) & 0x7F | 0x80, len(data) >> 7]) + data


_SYSTEM_PICKLE = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tag.yaml", b"a: !!python%2Fobject/apply:os.system ['id']\n"),
        ("tag.yaml", b"%TAG !p! tag:yaml.org,2002:pyth\n---\na: !p!on/object/apply:os.system [id]\n"),
        ("key.yaml", b'm:\n  "_t\\x61rget_": os.system\n  command: id\n'),
        ("flow.json", b"{_target_: os.system, command: id}"),
        ("flow.json", b"[{_target_: os.system, command: id}]"),
        ("flow.json", b'{"_target_": "os.system", "command": "id",}'),
        ("flow.json", b"{a: !!python/object/apply:os.system [id]}"),
        ("alias.yaml", b"b: &b\n  trust_remote_code: true\nm:\n  _target_: sentence_transformers."
         b"SentenceTransformer\n  model_name_or_path: x\n  model_kwargs: *b\n"),
        ("wrapped.json", json.dumps({"x": {":serialized:": base64.encodebytes(_SYSTEM_PICKLE * 3).decode()}}).encode()),
        ("utf16.yaml", "a: !!python/object/apply:os.system ['id']\n".encode("utf-16")),
        ("p1.json", json.dumps({"x": {":serialized:": base64.b64encode(b"\x80\x01cposix\nsystem\n(X\x02\x00\x00\x00idtR.").decode()}}).encode()),
        ("p0.json", json.dumps({"weights": _P0_BLOB, "name": "x"}).encode()),
        ("p0.yaml", f"model:\n  blob: {_P0_BLOB}\n  name: x\n".encode()),
        ("p0.txt", f"weights = {_P0_BLOB} ; name: [unclosed\n".encode()),
        ("p0.json", json.dumps({"weights": _P0_PADDED}).encode()),
        ("p0.yaml", ("state: |\n  " + "\n  ".join(textwrap.wrap(_P0_PADDED, 76)) + "\n").encode()),
        ("keras_metadata.pb", _protobuf_with(_ESCAPED_KERAS)),
        ("keras_metadata.pb", _protobuf_with(_REORDERED_KERAS)),
        ("interp.yaml", b"v:\n  cls: posix.system\nm:\n  _target_: ${v.cls}\n  command: id\n"),
        ("interp.yaml", b"v:\n  mod: posix\nm:\n  _target_: ${v.mod}.system\n  command: id\n"),
        ("interp.yaml", b"m:\n  _target_: ${oc.env:TARGET}\n"),
    ],
    ids=["percent-encoded-tag", "tag-shorthand", "escaped-key", "flow-yaml", "flow-list",
         "trailing-comma", "flow-tag", "alias-as-arguments", "mime-base64", "utf-16-yaml", "protocol-1-blob",
         "protocol-0-blob-json", "protocol-0-blob-yaml", "protocol-0-blob-text",
         "protocol-0-global-after-padding", "protocol-0-wrapped-yaml-lines", "keras-escaped-keys",
         "keras-reordered-keys", "interpolated-target", "interpolated-module", "resolver-target"],
)  # fmt: skip
def test_configs_that_hide_their_markers_are_still_read(name: str, data: bytes) -> None:
    """Spellings a YAML/JSON loader accepts but a marker search misses (review of issue 13)."""
    assert scan_bytes(data, name).verdict is FileVerdict.MALICIOUS


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("p0.yaml", b"m:\n  blob: " + base64.b64encode(b"(dp0\nVa\np1\nI1\ns.") + b"\n"),
        (
            "hash.yaml",
            b"sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
        ),
        (
            "interp.yaml",
            b"v:\n  cls: torch.nn.Linear\nm:\n  _target_: ${v.cls}\n  in_features: 3\n",
        ),
    ],
    ids=["protocol-0-plain-data", "hex-digest", "interpolated-allowed-class"],
)
def test_look_alikes_of_hidden_payloads_stay_clean(name: str, data: bytes) -> None:
    result = scan_bytes(data, name)
    assert result.verdict is FileVerdict.CLEAN, result.findings


def test_json_too_large_to_parse_has_its_payloads_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the parse limit the bytes are still searched for encoded payloads, window by
    window (the limits are shrunk here so the test writes kilobytes, not 64 MiB)."""
    from ptmscope.scan.containers import json_file

    monkeypatch.setattr(json_file, "MAX_JSON", 1 << 10)
    monkeypatch.setattr(json_file, "_WINDOW", 1 << 10)
    filler = ",".join(f'"t{i}": {i}' for i in range(400))
    data = f'{{{filler}, "w": "{_P0_BLOB}"}}'.encode()
    assert len(data) > 4 << 10
    result = scan_bytes(data, "big.json")
    assert result.verdict is FileVerdict.MALICIOUS
    assert any("posix.system" in f.message for f in result.findings)
    assert scan_bytes(f"{{{filler}}}".encode(), "big.json").verdict is FileVerdict.CLEAN
