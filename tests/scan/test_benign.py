"""The files people download every day must not be called malicious."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.scanner import scan_file
from tests.scan import builders as b


def _trainer_files(root: Path) -> list[Path]:
    """What transformers' Trainer writes next to a checkpoint, written the way it writes them."""
    import numpy as np
    import torch
    from transformers import TrainingArguments

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.ones(1, 4)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    files = {
        "training_args.bin": TrainingArguments(output_dir=str(root / "out"), report_to=[]),
        "optimizer.pt": optimizer.state_dict(),
        "scheduler.pt": scheduler.state_dict(),
        "rng_state.pth": {
            "python": random.getstate(),
            "numpy": np.random.get_state(),
            "cpu": torch.random.get_rng_state(),
        },
        "pytorch_model.bin": model.state_dict(),
    }
    paths = []
    for name, obj in files.items():
        torch.save(obj, root / name)
        paths.append(root / name)
    return paths


def test_trainer_checkpoint_files_are_not_malicious(tmp_path: Path) -> None:
    for path in _trainer_files(tmp_path):
        result = scan_file(path)
        assert result.verdict in (FileVerdict.CLEAN, FileVerdict.SUSPICIOUS), (
            path.name,
            result.findings,
        )
        assert not result.errors, (path.name, result.errors)
        if path.name != "training_args.bin":
            assert result.verdict is FileVerdict.CLEAN, (path.name, result.findings)


@pytest.mark.parametrize(
    "build",
    [
        lambda d: b.write_torch_zip(d / "state.pt"),
        lambda d: b.write_torch_zip(d / "legacy.pt", legacy=True),
        lambda d: b.write_joblib(d / "model.joblib"),
        lambda d: b.write_joblib(d / "model.joblib", compress=3),
        lambda d: b.write_npy(d / "a.npy"),
        lambda d: b.write_npz(d / "a.npz"),
        lambda d: b.write_keras_h5(d / "m.h5"),
        lambda d: b.write_keras_v3(d / "m.keras"),
        lambda d: b.write_onnx(d / "m.onnx"),
        lambda d: b.write_gguf(d / "m.gguf", b.BENIGN_TEMPLATE),
        lambda d: b.write_saved_model(d / "sm", ["Const", "MatMul", "SaveV2", "RestoreV2"]),
    ],
)
def test_everyday_formats_are_not_malicious(build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = scan_file(build(tmp_path))
    assert result.verdict is not FileVerdict.MALICIOUS, result.findings
    assert not result.errors, result.errors


def test_real_minilm_snapshot_is_clean() -> None:
    from ptmscope.demo import demo_model_path
    from ptmscope.scan.scanner import scan_paths

    results = scan_paths([demo_model_path()])
    assert results and all(r.verdict is FileVerdict.CLEAN for r in results), [
        (r.path, r.findings, r.errors) for r in results if r.verdict is not FileVerdict.CLEAN
    ]
    assert any(r.format == "safetensors" for r in results)
