"""Write the saved audit reports the example policies are tested against (``reports/``).

    python examples/policies/tests/make_reports.py

Each report is a real ``ptmscope audit --format json`` of a small package built here:
four local folders (three with a registry record given by ``--metadata``, as CI would
pass what the Hub said about them), and one fine-tune audited through ``ptmscope
registry serve`` on 127.0.0.1, so its base model's licence is looked up the way a Hub
audit looks it up. Nothing reaches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORTS = HERE / "reports"
CARD = """---
license: {license}
pipeline_tag: text-classification
library_name: transformers
datasets: [imdb]
{extra}---
# {name}

A text classifier fine-tuned on IMDB reviews for sentiment.

## Training

Trained for 3 epochs on one A100 (40 GB) with batch size 32 and learning rate 2e-5,
in the `pytorch/pytorch:2.3.0-cuda12.1` image; `train.py` and `requirements.txt` are here.

## Evaluation

| Dataset | Metric | Value |
|---|---|---|
| imdb (test) | accuracy | 0.91 |

## Usage

```python
from transformers import pipeline
classifier = pipeline("text-classification", model="{name}")
```
"""


def _safetensors(path: Path) -> None:
    """A real safetensors file (one float32 tensor), written without any library."""
    data = struct.pack("<4f", 0.0, 1.0, 2.0, 3.0)
    header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})
    raw = header.encode() + b" " * (-len(header) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def _pickle_weights(path: Path) -> None:
    """A plain pickle of an ordered dict: what old ``pytorch_model.bin`` files hold."""
    path.write_bytes(b"\x80\x02ccollections\nOrderedDict\n)R}X\x01\x00\x00\x00wK\x01sb.")


def _package(
    folder: Path, name: str, license: str, *, pickle: bool = False, extra: str = ""
) -> Path:
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(CARD.format(name=name, license=license, extra=extra))
    (folder / "config.json").write_text('{"model_type": "bert", "architectures": ["BertModel"]}')
    if pickle:
        _pickle_weights(folder / "pytorch_model.bin")
    else:
        _safetensors(folder / "model.safetensors")
    return folder


def _record(folder: Path, name: str, *, gated: object, created: datetime) -> Path:
    record = {
        "id": name, "author": name.split("/")[0], "gated": gated, "private": False,
        "downloads": 12000, "likes": 40, "pipeline_tag": "text-classification",
        "createdAt": created.isoformat(), "lastModified": created.isoformat(),
    }  # fmt: skip
    path = folder.parent / f"{name.replace('/', '-')}.json"
    path.write_text(json.dumps(record))
    return path


def _audit(ref: str, out: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    command = [
        sys.executable,
        "-m",
        "ptmscope",
        "audit",
        ref,
        "-f",
        "json",
        "-o",
        str(REPORTS / out),
    ]
    done = subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"audit {ref} failed: {done.stderr}")


def _serve(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "ptmscope", "registry", "serve", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{endpoint}/api/models", timeout=1).close()
            return server, endpoint
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("registry serve did not start")


def main() -> None:
    REPORTS.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        trusted = _package(work / "trusted-safetensors", "acme/classifier", "apache-2.0")
        legacy = _package(work / "pickle-only", "acme/legacy", "mit", pickle=True)
        nameless = work / "unknown-owner-no-card"
        nameless.mkdir()
        _safetensors(nameless / "model.safetensors")
        (nameless / "config.json").write_text('{"model_type": "bert"}')
        young = _package(work / "gated-young", "bigco/chat-preview", "apache-2.0")
        audits = [
            (trusted, "trusted-safetensors.json", _record(trusted, "acme/classifier",
                                                         gated=False, created=now - timedelta(days=400))),
            (legacy, "pickle-only.json", _record(legacy, "acme/legacy", gated=False,
                                                created=now - timedelta(days=1500))),
            (young, "gated-young.json", _record(young, "bigco/chat-preview", gated="manual",
                                               created=now - timedelta(days=2))),
        ]  # fmt: skip
        for folder, out, record in audits:
            _audit(f"./{folder.name}", out, "--metadata", str(record), cwd=work)
        _audit(f"./{nameless.name}", "unknown-owner-no-card.json", cwd=work)
        root = work / "registry"
        _package(root / "bigco" / "base", "bigco/base", "cc-by-nc-4.0")
        _package(root / "acme" / "finetune", "acme/finetune", "apache-2.0",
                 extra="base_model: bigco/base\n")  # fmt: skip
        server, endpoint = _serve(root)
        try:
            env = {**os.environ, "HF_ENDPOINT": endpoint, "HF_HOME": str(work / "hf")}
            _audit("acme/finetune", "noncommercial-base.json", cwd=work, env=env)
        finally:
            server.terminate()
            server.wait(10)
        shutil.rmtree(root)
    for report in sorted(REPORTS.glob("*.json")):
        print(f"wrote {report.relative_to(HERE)}")


if __name__ == "__main__":
    main()
