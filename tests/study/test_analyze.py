"""The study's per-package facts come from the probes ``audit`` runs, not rules of its own.

Before, the study judged serialization and remote code from file names with
rules of its own (``optimizer.pt`` counted as pickle-only weights, a ``.py`` file
in a sub-folder was not remote code) while ``risk.pickle_weights`` and
``risk.remote_code`` said otherwise for the same package.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from ptmscope.audit import audit
from ptmscope.probes.base import Outcome
from ptmscope.study.analyze import analyze_one
from tests.conftest import write_safetensors

CARD = "---\nlicense: mit\n---\n# A model\n\nTrained with care.\n"


def _package(folder: Path, files: dict[str, bytes]) -> list[str]:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sorted(files)


def _audit_columns(folder: Path) -> tuple[str, bool]:
    """What ``audit`` says, in the study's vocabulary."""
    findings = {f.probe: f for f in audit(folder).findings}
    pickles, remote = findings["risk.pickle_weights"], findings["risk.remote_code"]
    kind = {Outcome.DETECTED: "pickle-only", Outcome.UNKNOWN: "none"}.get(pickles.outcome, "")
    return kind, remote.outcome is Outcome.DETECTED


def test_trainer_state_and_nested_code_agree_with_audit(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    names = _package(
        folder,
        {
            "README.md": CARD.encode(),
            "optimizer.pt": pickle.dumps({"step": 1}),  # written, never loaded
            "code/modeling_tiny.py": b"class Tiny: pass\n",
        },
    )
    row = analyze_one({"id": "acme/pkg", "readme": CARD, "siblings": names})
    expected_kind, expected_remote = _audit_columns(folder)
    # The old rules said ("pickle-only", False) here.
    assert (row["serialization"], row["remote_code"]) == (expected_kind, expected_remote)
    assert (row["serialization"], row["remote_code"]) == ("none", True)
    assert row["files_known"] is True


def test_safetensors_beside_pickles_and_auto_map_agree_with_audit(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    config = json.dumps({"model_type": "bert", "auto_map": {"AutoModel": "m.Tiny"}})
    names = _package(
        folder,
        {"README.md": CARD.encode(), "config.json": config.encode(), "pytorch_model.bin": b"x"},
    )
    write_safetensors(folder / "model.safetensors")
    names.append("model.safetensors")
    row = analyze_one(
        {"id": "acme/pkg", "readme": CARD, "config_json": config, "siblings": sorted(names)}
    )
    findings = {f.probe: f for f in audit(folder).findings}
    assert findings["risk.pickle_weights"].outcome is Outcome.CLEAR
    assert findings["risk.remote_code"].outcome is Outcome.DETECTED
    assert (row["serialization"], row["remote_code"]) == ("safetensors", True)


def test_without_a_file_list_only_a_detected_auto_map_is_known() -> None:
    config = json.dumps({"auto_map": {"AutoModel": "m.Tiny"}})
    with_map = analyze_one({"id": "a/b", "readme": CARD, "config_json": config})
    without = analyze_one({"id": "a/c", "readme": CARD, "config_json": "{}"})
    assert (with_map["files_known"], with_map["serialization"], with_map["remote_code"]) == (
        False,
        None,
        True,
    )
    assert without["remote_code"] is None


def test_task_and_machine_parseable_come_from_package_and_claim() -> None:
    card = (
        "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n"
        "    dataset: {name: imdb, type: imdb}\n    metrics:\n    - {type: accuracy, value: 0.91}\n"
        "---\n# m\n"
    )
    row = analyze_one({"id": "a/b", "readme": card, "pipeline_tag": "  fill-mask  "})
    assert row["task"] == "fill-mask"  # the registry's, trimmed: package_task's rule
    assert row["machine_parseable"] is True
    prose = analyze_one({"id": "a/c", "readme": "# m\n\nAccuracy: 91%\n", "pipeline_tag": None})
    assert prose["task"] is None and prose["machine_parseable"] is False
    tagged = analyze_one(
        {"id": "a/d", "readme": "---\npipeline_tag: ner\n---\n", "pipeline_tag": "x"}
    )
    assert tagged["task"] == "ner"  # the card wins
