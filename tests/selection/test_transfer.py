"""The task stage: rankings against the probe, honest baselines, and real models run the
way ``verify`` runs them (the demo package embeds a small labelled file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from ptmscope.errors import InputError  # noqa: E402
from ptmscope.selection.transfer import (  # noqa: E402
    Embedded,
    kendall_tau,
    load_sample,
    rank,
    task_stage,
)

SENTENCES = {
    "sport": ["The striker scored twice in the final.", "The team won the championship game.",
              "She ran the marathon in record time.", "The coach praised the goalkeeper.",
              "Fans cheered as the match went to penalties.", "He hit a home run in the ninth."],
    "food": ["The soup needs more salt and pepper.", "Bake the bread for forty minutes.",
             "This pasta sauce is rich with garlic.", "Fresh strawberries make a good dessert.",
             "The chef grilled the fish with lemon.", "Add butter and stir the risotto."],
}  # fmt: skip


def _features(y: object, noise: float, seed: int) -> object:
    rng = np.random.default_rng(seed)
    return np.eye(3)[y] @ rng.normal(size=(3, 24)) + noise * rng.normal(size=(len(y), 24))  # type: ignore[arg-type]


def test_tau_ignores_unknowns_and_refuses_what_cannot_be_ranked() -> None:
    assert kendall_tau([1.0, 2.0, 3.0], [0.1, 0.2, 0.3]) == 1.0
    assert kendall_tau([3.0, 2.0, 1.0], [0.1, 0.2, 0.3]) == -1.0
    assert kendall_tau([1.0, None, 3.0], [0.1, 0.2, 0.3]) == 1.0
    assert kendall_tau([1.0, None], [0.1, 0.2]) is None  # one known pair: no order
    assert kendall_tau([1.0, 1.0, 1.0], [0.1, 0.2, 0.3]) is None  # constant: no order


def test_rank_says_plainly_when_size_ranks_as_well_as_logme() -> None:
    y = np.random.default_rng(0).integers(0, 3, 120)
    noises = (0.3, 1.0, 3.0, 9.0)
    candidates = [
        # the biggest model is the best here: size agrees perfectly with the probe
        Embedded(f"m{i}", _features(y, noise, i), parameters=10**9 // (i + 1), downloads=None)
        for i, noise in enumerate(noises)
    ]
    stage = rank(candidates, y, "sample.csv", k=3)
    assert [c.ref for c in stage.candidates] == ["m0", "m1", "m2", "m3"]
    accuracies = [c.probe_accuracy for c in stage.candidates]
    assert accuracies[0] > accuracies[-1]
    assert stage.correlations["size"] is not None and stage.correlations["downloads"] is None
    logme_tau = stage.correlations["logme"]
    assert logme_tau is not None and logme_tau <= stage.correlations["size"]
    assert stage.note is not None and "no better than their size" in stage.note
    assert stage.folds == 3 and stage.classes == 3 and stage.examples == 120


def test_rank_has_no_note_when_logme_beats_size() -> None:
    y = np.random.default_rng(1).integers(0, 3, 120)
    candidates = [
        # sizes are the reverse of quality: the size baseline is wrong, LogME is right
        Embedded(f"m{i}", _features(y, noise, i), parameters=10**6 * (i + 1), downloads=i)
        for i, noise in enumerate((0.3, 1.0, 3.0, 9.0))
    ]
    stage = rank(candidates, y, "sample.csv", k=3)
    assert stage.correlations["logme"] is not None and stage.correlations["logme"] > 0.5
    assert stage.correlations["size"] is not None and stage.correlations["size"] < 0
    assert stage.note is None


def test_a_failed_model_stays_a_candidate_with_its_error_and_is_not_ranked() -> None:
    y = np.random.default_rng(2).integers(0, 3, 90)
    candidates = [
        Embedded("good", _features(y, 0.5, 0), 10, None),
        Embedded("broken", None, 20, None, error="cannot embed: needs remote code"),
        Embedded("nan", np.full((90, 4), np.nan), 30, None),
    ]
    stage = rank(candidates, y, "sample.csv", k=3)
    by_ref = {c.ref: c for c in stage.candidates}
    assert by_ref["broken"].error == "cannot embed: needs remote code"
    assert by_ref["broken"].logme is None and by_ref["broken"].probe_accuracy is None
    assert by_ref["nan"].error is not None and "NaN" in by_ref["nan"].error
    assert by_ref["good"].logme is not None
    assert stage.correlations["logme"] is None and stage.note is not None  # one ranked: no tau


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_sample_that_cannot_be_used_is_an_input_error(tmp_path: Path) -> None:
    one_class = _write(tmp_path / "one.jsonl", [{"text": "a", "label": "x"}] * 4)
    with pytest.raises(InputError, match="single class"):
        load_sample(one_class)
    no_label = _write(tmp_path / "nolabel.jsonl", [{"text": "a", "topic": "x"}] * 4)
    with pytest.raises(InputError, match="no 'label' column"):
        load_sample(no_label)
    with pytest.raises(InputError, match="no such file"):
        load_sample(tmp_path / "absent.csv")


def test_columns_are_named_and_the_sample_is_limited(tmp_path: Path) -> None:
    rows = [{"body": f"text {i}", "topic": "ab"[i % 2]} for i in range(10)]
    sample = load_sample(
        _write(tmp_path / "s.jsonl", rows), columns={"text": "body", "label": "topic"}, limit=6
    )
    assert len(sample.texts) == 6 and sample.classes == ("a", "b")
    assert sorted(set(sample.labels.tolist())) == [0, 1]


def _sample(tmp_path: Path) -> Path:
    rows = [{"text": t, "label": label} for label, texts in SENTENCES.items() for t in texts]
    return _write(tmp_path / "topics.jsonl", rows)


def test_task_stage_runs_real_models_and_refuses_remote_code(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from ptmscope.demo import demo_model_path

    marker = tmp_path / "EXECUTED"
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "config.json").write_text(
        json.dumps({"model_type": "bert", "auto_map": {"AutoModel": "evil.Model"}})
    )
    (remote / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    stage = task_stage([str(demo_model_path()), str(remote)], _sample(tmp_path), k=3)
    demo, refused = stage.candidates
    assert demo.error is None and demo.parameters == 22_713_728
    assert demo.probe_accuracy is not None and demo.probe_accuracy >= 0.75  # topics are easy
    assert demo.logme is not None
    assert refused.error is not None and "trust_remote_code" in refused.error
    assert not marker.exists()
    assert stage.examples == 12 and stage.classes == 2
