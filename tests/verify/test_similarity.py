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


def _claims(package: Path, *datasets: str, value: float = 0.5) -> None:
    """The snapshot's card with one sentence-similarity claim per dataset (original card
    kept beside it, so tests do not stack claims)."""
    original = package / "README.original.md"
    if not original.exists():
        shutil.copy(package / "README.md", original)
    card = original.read_text().split("---", 2)
    results = "".join(
        f"  - task: {{type: sentence-similarity}}\n"
        f"    dataset: {{name: {name}, type: {name}, split: test}}\n"
        f"    metrics:\n    - {{type: cosine_spearman, value: {value}}}\n"
        for name in datasets
    )
    front = card[1].rstrip() + "\nmodel-index:\n- name: all-MiniLM-L6-v2\n  results:\n" + results
    (package / "README.md").write_text("---" + front + "\n---" + card[2])


def _pairs(path: Path, rows: list[tuple[str, str, float]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sentence1", "sentence2", "score"])
        writer.writerows(rows)
    return path


def test_each_distinct_text_is_embedded_once_with_one_model_load(wordsim) -> None:  # type: ignore[no-untyped-def]
    from ptmscope.verify.run import Runner

    package, _, _ = wordsim
    runner = Runner(package)
    computed: list[int] = []
    embed_library = runner._embed_library

    def counting(todo: list[str]) -> list[object]:
        computed.append(len(todo))
        return embed_library(todo)

    runner._embed_library = counting  # type: ignore[method-assign]
    documents = ["a cat sat on the mat", "stocks fell sharply", "the weather is fine"]
    first = runner.embed([documents[0], documents[1], documents[0], documents[2]])
    model = runner._sentence_model
    second = runner.embed([documents[2], documents[1], "a new text"])
    assert computed == [3, 1]  # three distinct texts, then only the new one
    assert runner._sentence_model is model  # loaded once for every call
    assert first.shape == (4, 384) and (first[0] == first[2]).all()
    assert (second[0] == first[3]).all() and (second[1] == first[1]).all()


def test_repeated_pairs_give_the_script_value_and_say_what_was_truncated(
    wordsim, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    """A pair set built from few documents, one longer than the model's 256-token window."""
    import numpy as np
    from scipy.stats import spearmanr
    from sentence_transformers import SentenceTransformer

    package, _, _ = wordsim
    documents = [
        "the central bank raised interest rates again",
        "a football club signed a new striker",
        "heavy rain flooded the river valley",
        "shares in the mining company rose",
        " ".join(["the long report on inflation and markets"] * 80),  # far past 256 tokens
    ]
    rows = [
        (documents[i], documents[j], float((i * 7 + j * 3) % 5))
        for i in range(len(documents))
        for j in range(i + 1, len(documents))
    ]
    data = _pairs(tmp_path / "docs.csv", rows)
    _claims(package, "docs")
    code = main(
        ["verify", str(package), "--data", f"docs={data}", "--format", "json", "--progress",
         "always"]
    )  # fmt: skip
    captured = capsys.readouterr()
    (claim,) = json.loads(captured.out)["claims"]
    model = SentenceTransformer(str(package), device="cpu")
    vectors = model.encode(documents, normalize_embeddings=True)
    where = {t: i for i, t in enumerate(documents)}
    cosines = [float(vectors[where[a]] @ vectors[where[b]]) for a, b, _ in rows]
    expected = float(spearmanr(cosines, [s for _, _, s in rows])[0])
    assert claim["measured"] == pytest.approx(expected, abs=1e-4)
    assert claim["n"] == len(rows) and code in (0, 1)
    assert "1 input longer than the model's window of 256 tokens truncated" in claim["reason"]
    assert "[1/1] sentence-similarity on docs.csv (1 claim)" in captured.err
    assert "5/5 inputs" in captured.err  # five distinct texts, not twenty
    assert "Loading" not in captured.err and "Batches" not in captured.err
    assert np.isfinite(expected)


def test_a_card_without_claims_says_so(wordsim, capsys) -> None:  # type: ignore[no-untyped-def]
    package, _, _ = wordsim
    _claims(package)  # the card as it ships: no model-index results
    assert main(["verify", str(package), "--format", "json"]) == 1
    assert "no claims to verify" in capsys.readouterr().err
    assert main(["verify", str(package), "--format", "json", "--allow-empty"]) == 0
    assert "no claims to verify" in capsys.readouterr().err


def test_data_that_cannot_be_used_is_an_input_error(wordsim, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    package, _, _ = wordsim
    _claims(package, "docs")
    missing = tmp_path / "nowhere.csv"
    assert main(["verify", str(package), "--data", f"docs={missing}"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "no such file" in err and "Traceback" not in err
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("question,answer\nwhat,that\n")
    assert main(["verify", str(package), "--data", f"docs={wrong}"]) == 2
    err = capsys.readouterr().err
    assert str(wrong) in err and "columns: answer, question" in err
