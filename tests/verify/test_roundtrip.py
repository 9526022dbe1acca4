"""Honest and inflated claims, in every claim form, on a model trained here; and a real model.

A small ViT is built from a config and trained on scikit-learn's digits (the data
ships with the package); its test images are written as an image folder. The
card then claims the accuracy we measured independently (honest) or a better one
(inflated), in each of the four claim forms. ``verify`` must call the honest
claims consistent and the inflated ones over-claimed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ptmscope.cli import main

FORMS = ("model-index", "eval_results", "trainer-prose", "markdown-table")


def _card(form: str, value: float) -> tuple[str, dict[str, str]]:
    head = "---\nlicense: mit\npipeline_tag: image-classification\n"
    files: dict[str, str] = {}
    body = "# tiny-digits\n\nA ViT trained on scikit-learn digits.\n"
    if form == "model-index":
        head += (
            "model-index:\n- name: tiny-digits\n  results:\n  - task: {type: image-classification}\n"
            f"    dataset: {{name: digits, type: digits, split: test}}\n    metrics:\n    - {{type: accuracy, value: {value}}}\n"
        )
    elif form == "eval_results":
        files[".eval_results/digits.yaml"] = (
            f"- dataset:\n    id: digits\n    split: test\n  metric: accuracy\n  value: {value}\n"
        )
    elif form == "trainer-prose":
        body += (
            "\nThis model is a fine-tuned version of [vit](https://huggingface.co/vit) on the digits dataset.\n"
            f"It achieves the following results on the evaluation set:\n- Loss: 0.2000\n- Accuracy: {value}\n"
        )
    else:
        body += f"\n## Evaluation\n\n| Dataset | Accuracy |\n|---------|----------|\n| digits | {value} |\n"
    return head + "---\n" + body, files


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    import numpy as np
    import torch
    from PIL import Image
    from sklearn.datasets import load_digits
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    base = tmp_path_factory.mktemp("digits")
    torch.manual_seed(0)
    data = load_digits()
    images, labels = data.images.astype(np.float32) / 16.0, data.target
    order = np.random.default_rng(0).permutation(len(labels))
    train, test = order[:1400], order[1400:]
    config = ViTConfig(
        image_size=8, patch_size=2, num_channels=3, hidden_size=48, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=96, num_labels=10,
        id2label={i: str(i) for i in range(10)}, label2id={str(i): i for i in range(10)},
    )  # fmt: skip
    model = ViTForImageClassification(config)
    pixels = torch.tensor(images[train])[:, None].repeat(1, 3, 1, 1)
    pixels = (pixels - 0.5) / 0.5
    targets = torch.tensor(labels[train])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(25):
        permutation = torch.randperm(len(train))
        for start in range(0, len(train), 64):
            batch = permutation[start : start + 64]
            model(pixel_values=pixels[batch], labels=targets[batch]).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    package = base / "model"
    model.save_pretrained(package)
    processor = ViTImageProcessor(
        size={"height": 8, "width": 8}, image_mean=[0.5] * 3, image_std=[0.5] * 3, resample=0
    )
    processor.save_pretrained(package)
    folder = base / "data"
    for index in test:
        target = folder / str(labels[index]) / f"{index}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray((images[index] * 255).astype(np.uint8), mode="L").save(target)
    # The honest number, measured here with the processor and model directly.
    model.eval()
    correct = 0
    with torch.inference_mode():
        for path in sorted(folder.rglob("*.png")):
            with Image.open(path) as picture:
                encoded = processor(images=picture.convert("RGB"), return_tensors="pt")
            correct += int(model(**encoded).logits.argmax(-1)) == int(path.parent.name)
    accuracy = correct / len(test)
    assert accuracy > 0.85
    return package, folder, accuracy


@pytest.mark.parametrize("form", FORMS)
def test_honest_is_consistent_and_inflated_is_over_claimed(
    form: str, digits, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    model, data, accuracy = digits
    for label, value, expected in (
        ("honest", round(accuracy, 4), "consistent"),
        ("inflated", round(min(accuracy + 0.1, 0.999), 4), "over-claimed"),
    ):
        package = tmp_path / f"{form}-{label}"
        shutil.copytree(model, package)
        card, files = _card(form, value)
        (package / "README.md").write_text(card)
        for name, text in files.items():
            (package / name).parent.mkdir(parents=True, exist_ok=True)
            (package / name).write_text(text)
        code = main(["verify", str(package), "--data", f"digits={data}", "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        claims = [c for c in report["claims"] if c["metric"] == "accuracy"]
        assert len(claims) == 1, report
        claim = claims[0]
        assert claim["source"] == form
        assert claim["verdict"] == expected, claim
        assert claim["task"] == "image-classification" and claim["n"] == 397
        assert claim["measured"] == pytest.approx(accuracy, abs=1e-5)
        low, high = claim["ci"]
        assert low < accuracy < high
        assert code == (1 if expected == "over-claimed" else 0)


def test_missing_data_is_unverifiable_with_a_reason(digits, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    model, _, accuracy = digits
    package = tmp_path / "pkg"
    shutil.copytree(model, package)
    card, _ = _card("model-index", accuracy)
    (package / "README.md").write_text(card)
    env_offline = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    import os

    old = {k: os.environ.get(k) for k in env_offline}
    os.environ.update(env_offline)
    try:
        assert main(["verify", str(package), "--format", "json"]) == 0
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    claim = json.loads(capsys.readouterr().out)["claims"][0]
    assert claim["verdict"] == "unverifiable" and "--data digits=PATH" in claim["reason"]


def test_limit_samples_with_a_fixed_seed(digits, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    model, data, accuracy = digits
    package = tmp_path / "pkg"
    shutil.copytree(model, package)
    (package / "README.md").write_text(_card("model-index", round(accuracy, 4))[0])
    runs = []
    for _ in range(2):
        main(
            [
                "verify",
                str(package),
                "--data",
                f"digits={data}",
                "--limit",
                "40",
                "--format",
                "json",
            ]
        )
        runs.append(json.loads(capsys.readouterr().out)["claims"][0])
    assert runs[0]["n"] == 40 and runs[0]["measured"] == runs[1]["measured"]
    assert runs[0]["verdict"] in ("consistent", "inconclusive")


def test_audit_verify_reports_the_discrepancy(digits, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    model, data, accuracy = digits
    package = tmp_path / "pkg"
    shutil.copytree(model, package)
    (package / "README.md").write_text(
        _card("model-index", round(min(accuracy + 0.1, 0.999), 4))[0]
    )
    main(["audit", str(package), "--verify", "--data", f"digits={data}", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    finding = next(f for f in report["findings"] if f["probe"] == "risk.claims_discrepant")
    assert finding["outcome"] == "detected" and finding["stride"] == ["Repudiation"]
    assert "over-claimed" in finding["message"]
    main(["audit", str(package), "--format", "json"])
    plain = json.loads(capsys.readouterr().out)
    assert (
        next(f for f in plain["findings"] if f["probe"] == "risk.claims_discrepant")["outcome"]
        == "unknown"
    )


def test_verify_reads_git_revisions_and_hub_models(digits, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    from tests.conftest import git
    from tests.registry.conftest import Server, run_cli

    model, data, accuracy = digits
    repo = tmp_path / "root" / "acme" / "digits"
    shutil.copytree(model, repo)
    (repo / "README.md").write_text(_card("model-index", round(accuracy, 4))[0])
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "honest card")
    (repo / "README.md").write_text(_card("model-index", round(min(accuracy + 0.1, 0.999), 4))[0])
    git(repo, "commit", "-q", "-am", "inflated card")
    for revision, expected in (("HEAD~1", "consistent"), ("HEAD", "over-claimed")):
        main(
            [
                "verify",
                str(repo),
                "--revision",
                revision,
                "--data",
                f"digits={data}",
                "--format",
                "json",
            ]
        )
        assert json.loads(capsys.readouterr().out)["claims"][0]["verdict"] == expected
    server = Server(tmp_path / "root")
    try:
        done = run_cli(
            server,
            tmp_path / "home",
            "verify",
            "acme/digits",
            "--data",
            f"digits={data}",
            "--format",
            "json",
        )
    finally:
        server.stop()
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert (
        report["claims"][0]["verdict"] == "over-claimed" and len(report["package"]["commit"]) == 40
    )
    assert (
        subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True
        ).stdout
        == ""
    )


def test_text_and_markdown_reports_and_usage_errors(digits, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    model, data, accuracy = digits
    package = tmp_path / "pkg"
    shutil.copytree(model, package)
    (package / "README.md").write_text(
        _card("markdown-table", round(min(accuracy + 0.1, 0.999), 4))[0]
    )
    assert main(["verify", str(package), "--data", f"digits={data}"]) == 1
    text = capsys.readouterr().out
    assert "over-claimed" in text and "README.md" in text
    assert main(["verify", str(package), "--data", f"digits={data}", "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert "| markdown-table" in markdown and "**over-claimed**" in markdown
    assert main(["verify", str(package), "--data", "nonsense"]) == 2
    assert main(["verify", str(package), "--limit", "0"]) == 2
    assert main(["verify", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("ptmscope: error:") == 3
