"""Verify on pair sets whose texts repeat (``make bench-verify-pairs``): whole processes.

Two sentence-similarity claims of all-MiniLM-L6-v2 (the embedded demo snapshot),
checked on data that ships with gensim:

- **Lee**: 50 news documents and their human similarity matrix, 1,225 document
  pairs (each document appears in 49 pairs);
- **SimLex-999**: 999 word pairs (1,028 distinct words).

Three programs, each a whole process timed from start to exit:

1. ``ptmscope verify PACKAGE --data lee=… --data simlex999=… -f json``;
2. the **baseline**: a plain script that embeds each distinct text once with
   sentence-transformers (the package's own library) and computes the same
   Spearman correlations with scipy (what a careful engineer writes by hand);
3. the one-example-at-a-time transformers ``pipeline`` loop (what most evaluation
   scripts do; ``benchmarks/verify.py`` measures it on other data), run once.

Printed: medians of ``REPEATS`` runs of 1 and 2 (interleaved), the ratio
verify/script (target <= 1.5), both measured values to 4 decimals (they must be
equal), and the loop's time. ``--src DIR`` times another checkout's ``src`` as
ptmscope (e.g. ``git worktree add`` of an older commit) for a before/after.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3
TARGET = 1.5
CLAIMED = 0.5
"""The value both claims state (the verdict does not matter here, the measurement does)."""

SCRIPT = r"""
import csv, json, sys
import numpy as np
from scipy.stats import spearmanr
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1], device="cpu")
out = {}
for name, path in zip(sys.argv[2::2], sys.argv[3::2]):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = list(dict.fromkeys([r["sentence1"] for r in rows] + [r["sentence2"] for r in rows]))
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
    where = {t: i for i, t in enumerate(texts)}
    left = vectors[[where[r["sentence1"]] for r in rows]]
    right = vectors[[where[r["sentence2"]] for r in rows]]
    out[name] = float(spearmanr((left * right).sum(1), [float(r["score"]) for r in rows])[0])
print(json.dumps(out))
"""

LOOP = r"""
import csv, json, sys
import numpy as np
from scipy.stats import spearmanr
from transformers import pipeline
pipe = pipeline("feature-extraction", model=sys.argv[1], device="cpu")
def embed(text):
    tokens = np.asarray(pipe(text, truncation=True)[0])
    vector = tokens.mean(0)
    return vector / np.linalg.norm(vector)
out = {}
for name, path in zip(sys.argv[2::2], sys.argv[3::2]):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    cosines = [float(embed(r["sentence1"]) @ embed(r["sentence2"])) for r in rows]
    out[name] = float(spearmanr(cosines, [float(r["score"]) for r in rows])[0])
print(json.dumps(out))
"""


def write_data(folder: Path) -> dict[str, Path]:
    """The two pair sets as CSV (sentence1, sentence2, score), from gensim's test data."""
    from gensim.test.utils import datapath

    documents = [
        line.strip()
        for line in Path(datapath("lee.cor")).read_text(encoding="latin-1").splitlines()
        if line.strip()
    ]
    matrix = [
        [float(x) for x in line.split()]
        for line in Path(datapath("similarities0-1.txt")).read_text().splitlines()
        if line.strip()
    ]
    lee = [
        (documents[i], documents[j], matrix[i][j])
        for i in range(len(documents))
        for j in range(i + 1, len(documents))
    ]
    simlex = []
    for line in Path(datapath("simlex999.txt")).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        word1, word2, score = line.split("\t")[:3]
        simlex.append((word1, word2, float(score)))
    paths = {}
    for name, rows in (("lee", lee), ("simlex999", simlex)):
        path = folder / f"{name}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["sentence1", "sentence2", "score"])
            writer.writerows(rows)
        paths[name] = path
    return paths


def write_package(folder: Path) -> Path:
    """The demo snapshot with two model-index claims (safetensors only, no other formats)."""
    from ptmscope.demo import demo_model_path

    package = folder / "minilm"
    shutil.copytree(
        demo_model_path(),
        package,
        ignore=shutil.ignore_patterns("onnx", "openvino", "*.bin", "*.h5", "*.msgpack", "*.ot"),
    )
    card = (package / "README.md").read_text().split("---", 2)
    results = "".join(
        f"  - task: {{type: sentence-similarity}}\n"
        f"    dataset: {{name: {name}, type: {name}, split: test}}\n"
        f"    metrics:\n    - {{type: cosine_spearman, value: {CLAIMED}}}\n"
        for name in ("lee", "simlex999")
    )
    front = card[1].rstrip() + "\nmodel-index:\n- name: all-MiniLM-L6-v2\n  results:\n" + results
    (package / "README.md").write_text("---" + front + "\n---" + card[2])
    return package


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[:3]} failed: {done.stderr[-2000:]}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="ptmscope source tree")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--no-loop", action="store_true", help="skip the pipeline loop")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.src.resolve()), "HF_HUB_OFFLINE": "1"}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = write_data(folder)
        package = write_package(folder)
        pairs = [item for name, path in data.items() for item in (name, str(path))]
        ours_cmd = [
            sys.executable, "-m", "ptmscope", "verify", str(package), "--format", "json",
            *(f"--data={name}={path}" for name, path in data.items()),
        ]  # fmt: skip
        script_cmd = [sys.executable, "-c", SCRIPT, str(package), *pairs]
        ours, script = [], []
        measured: dict[str, float] = {}
        expected: dict[str, float] = {}
        for _ in range(args.repeats):
            elapsed, out = timed(ours_cmd, env)
            ours.append(elapsed)
            report = json.loads(out)
            measured = {c["dataset"]: c["measured"] for c in report["claims"]}
            elapsed, out = timed(script_cmd, env)
            script.append(elapsed)
            expected = json.loads(out.strip().splitlines()[-1])
        print("two sentence-similarity claims of all-MiniLM-L6-v2, whole processes")
        print("  lee: 1,225 document pairs of 50 documents; simlex999: 999 word pairs")
        print(f"  ptmscope verify     {statistics.median(ours):7.1f} s  (median of {args.repeats})")
        print(
            f"  embed-once script   {statistics.median(script):7.1f} s  (median of {args.repeats})"
        )
        ratio = statistics.median(ours) / statistics.median(script)
        print(f"  ratio verify/script {ratio:7.2f}    (target <= {TARGET})")
        same = True
        for name in data:
            ours_value, script_value = measured.get(name), expected.get(name)
            equal = (
                ours_value is not None
                and script_value is not None
                and round(ours_value, 4) == round(script_value, 4)
            )
            same &= equal
            print(
                f"  {name:10} spearman: verify {ours_value:.4f}  script {script_value:.4f}  "
                f"{'equal' if equal else 'DIFFERENT'}"
            )
        if not args.no_loop:
            loop_cmd = [sys.executable, "-c", LOOP, str(package), *pairs]
            elapsed, out = timed(loop_cmd, env)
            loop = json.loads(out.strip().splitlines()[-1])
            print(
                f"  one-at-a-time pipeline loop {elapsed:7.1f} s (one run; verify is "
                f"{elapsed / statistics.median(ours):.1f}x faster); its values (plain mean "
                "pooling): " + ", ".join(f"{k} {v:.4f}" for k, v in loop.items())
            )
        if ratio > TARGET or not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
