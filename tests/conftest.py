"""Fixtures that build real model packages (real file formats) in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_DATA = SHARED / "data" / "registry"

FULL_CARD = """---
license: apache-2.0
pipeline_tag: text-classification
library_name: transformers
datasets:
- imdb
base_model: bert-base-uncased
model-index:
- name: tiny-imdb
  results:
  - task:
      type: text-classification
      name: Text Classification
    dataset:
      name: IMDB
      type: imdb
      split: test
    metrics:
    - type: accuracy
      value: 91.3
      name: Accuracy
    - type: f1
      value: "0.90 ± 0.01"
      name: F1
---

# tiny-imdb

This model is a fine-tuned version of [bert-base-uncased](https://huggingface.co/bert-base-uncased) on the imdb dataset.
It achieves the following results on the evaluation set:
- Loss: 0.2345
- Accuracy: 0.9130

## Training data

We trained on the 25,000 examples of the IMDB train split, lower-cased, truncated to 256 tokens.

## Training procedure

### Training hyperparameters

- learning_rate: 2e-05
- train_batch_size: 16
- num_epochs: 3

Trained for two hours on one NVIDIA A100 GPU; total cost about 4 GPU hours.

### Training results

| Training Loss | Epoch | Step | Validation Loss | Accuracy |
|:-------------:|:-----:|:----:|:---------------:|:--------:|
| 0.3           | 1.0   | 100  | 0.25            | 0.90     |

## Evaluation

| Dataset | Accuracy | F1 |
|---------|----------|----|
| imdb    | 91.3     | TBD |

## How to use

```python
from transformers import pipeline
classifier = pipeline("text-classification", model="acme/tiny-imdb")
print(classifier("A fine film."))
```

## Speed

Inference takes 12 ms per sentence on CPU.
"""


def write_safetensors(path: Path, tensors: int = 2) -> None:
    import torch
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({f"layer{i}.weight": torch.zeros(4, 4) for i in range(tensors)}, str(path))


def write_torch_zip(path: Path) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"layer.weight": torch.ones(2, 2)}, str(path))


def write_config(path: Path, **extra: object) -> None:
    config = {"model_type": "bert", "architectures": ["BertForSequenceClassification"], **extra}
    path.write_text(json.dumps(config))


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write ``files`` (relative path → text or bytes) under ``root``, folders included."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)


@pytest.fixture
def make_package(tmp_path: Path) -> Callable[..., Path]:
    """A package folder: card text, config, and named weight kinds."""

    def make(
        name: str = "pkg",
        card: str | None = FULL_CARD,
        safetensors: bool = True,
        torch_bin: bool = False,
        config: dict[str, object] | None = None,
        files: dict[str, bytes | str] | None = None,
    ) -> Path:
        root = tmp_path / name
        root.mkdir()
        if card is not None:
            (root / "README.md").write_text(card)
        write_config(root / "config.json", **(config or {}))
        if safetensors:
            write_safetensors(root / "model.safetensors")
        if torch_bin:
            write_torch_zip(root / "pytorch_model.bin")
        write_files(root, files or {})
        return root

    return make


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    base = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo.parent),
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={**base, **(env or {})},
    )
    return done.stdout.decode().strip()


def lfs_pointer(data_sha: str, size: int) -> str:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{data_sha}\nsize {size}\n"
