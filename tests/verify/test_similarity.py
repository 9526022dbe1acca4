"""Sentence similarity on the real all-MiniLM-L6-v2 snapshot and WordSim353 as gensim ships it."""

from __future__ import annotations

import csv
import json
import shutil
from importlib.util import find_spec
from pathlib import Path

import pytest

from ptmscope.cli import main

pytestmark = pytest.mark.skipif(
    find_spec("gensim") is None, reason="gensim (WordSim353) not installed"
)


@pytest.fixture(scope="module")
def wordsim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    import numpy as np
    from gensim.test.utils import datapath
    from scipy.stats import spearmanr
    from sentence_transformers import SentenceTransformer

    from ptmscope.demo import demo_model_path

    base = tmp_path_factory.mktemp("wordsim")
    rows = []
    for line in Path(datapath("wordsim353.tsv")).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        word1, word2, score = line.split("\t")
        rows.append({"word1": word1, "word2": word2, "score": score})
    data = base / "wordsim353.csv"
    with data.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["word1", "word2", "score"])
        writer.writeheader()
        writer.writerows(rows)
    package = base / "minilm"
    shutil.copytree(
        demo_model_path(),
        package,
        ignore=shutil.ignore_patterns("onnx", "openvino", "*.bin", "*.h5", "*.msgpack", "*.ot"),
    )
    model = SentenceTransformer(str(package), device="cpu")
    left = model.encode([r["word1"] for r in rows], normalize_embeddings=True)
    right = model.encode([r["word2"] for r in rows], normalize_embeddings=True)
    honest = float(
        spearmanr((np.asarray(left) * np.asarray(right)).sum(1), [float(r["score"]) for r in rows])[
            0
        ]
    )
    return package, data, honest


@pytest.mark.parametrize("offset, expected", [(0.0, "consistent"), (0.25, "over-claimed")])
def test_real_model_on_wordsim353(wordsim, offset: float, expected: str, capsys) -> None:  # type: ignore[no-untyped-def]
    package, data, honest = wordsim
    claimed = round(honest + offset, 4)
    card = (package / "README.md").read_text().split("---", 2)
    front = card[1].rstrip() + (
        "\nmodel-index:\n- name: all-MiniLM-L6-v2\n  results:\n  - task: {type: sentence-similarity}\n"
        "    dataset: {name: WordSim353, type: wordsim353, split: test}\n"
        f"    metrics:\n    - {{type: cosine_spearman, value: {claimed}}}\n"
    )
    (package / "README.md").write_text("---" + front + "\n---" + card[2])
    code = main(["verify", str(package), "--data", f"wordsim353={data}", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    (claim,) = [c for c in report["claims"] if c["task"] == "sentence-similarity"]
    assert claim["metric"] == "spearman" and claim["n"] == 353
    assert claim["measured"] == pytest.approx(honest, abs=1e-4)
    assert claim["verdict"] == expected, claim
    assert code == (1 if expected == "over-claimed" else 0)
