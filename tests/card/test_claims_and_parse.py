from __future__ import annotations

from pathlib import Path

import pytest

from ptmscope.audit import collect
from ptmscope.card.parse import parse_card
from ptmscope.card.safe_yaml import load_yaml
from ptmscope.errors import HostileInputError
from tests.conftest import FULL_CARD


def test_every_claim_form_is_extracted(make_package) -> None:  # type: ignore[no-untyped-def]
    eval_yaml = "- dataset:\n    id: cais/hle\n    task_id: default\n    revision: abc1234\n  value: 20.90\n"
    package = collect(make_package(files={".eval_results/hle.yaml": eval_yaml}))
    by_source: dict[str, list] = {}  # type: ignore[type-arg]
    for claim in package.claims:
        by_source.setdefault(claim.source, []).append(claim)
    assert set(by_source) == {"eval_results", "model-index", "trainer-prose", "markdown-table"}
    (hle,) = by_source["eval_results"]
    assert (hle.dataset, hle.config, hle.dataset_revision, hle.value) == (
        "cais/hle",
        "default",
        "abc1234",
        20.90,
    )
    acc, f1 = by_source["model-index"]
    assert (acc.task, acc.dataset, acc.split, acc.metric) == (
        "text-classification",
        "imdb",
        "test",
        "accuracy",
    )
    assert acc.value == pytest.approx(0.913) and acc.scale == "percent"
    assert f1.value == pytest.approx(0.90) and f1.uncertainty == pytest.approx(0.01)
    prose = {c.metric: c for c in by_source["trainer-prose"]}
    assert prose["accuracy"].value == pytest.approx(0.913) and prose["accuracy"].dataset == "imdb"
    assert prose["loss"].scale == "absolute"
    table = {c.metric: c for c in by_source["markdown-table"]}
    assert table["accuracy"].value == pytest.approx(0.913) and table["accuracy"].dataset == "imdb"
    assert table["f1"].value is None and table["f1"].raw == "TBD"
    # The training-results table is a log, not a claim.
    assert all(c.raw != "0.90" for c in by_source["markdown-table"])
    assert all(c.machine_parseable for c in by_source["model-index"] + by_source["eval_results"])
    assert not any(c.machine_parseable for c in by_source["trainer-prose"])


def test_model_index_without_dataset_name_keeps_claims_and_reports() -> None:
    card = (
        "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n"
        "    dataset: {type: glue}\n    metrics:\n    - {type: accuracy, value: 0.8}\n---\nbody\n"
    )
    from ptmscope.card.claims import from_model_index

    parsed, _ = parse_card("README.md", card.encode())
    claims, problems = from_model_index(parsed.metadata["model-index"], None, "README.md")
    assert len(claims) == 1 and claims[0].dataset == "glue"
    assert any("has no name" in p for p in problems)


def test_yaml_error_is_kept_as_a_fact_with_its_line() -> None:
    card, _ = parse_card(
        "README.md", b"---\nlicense: mit\ntags: [a, b\n---\n# Title\nSome words here for you.\n"
    )
    assert card.metadata == {}
    assert card.metadata_error is not None and "line" in card.metadata_error
    assert card.sections[0].title == "Title"


def test_template_boilerplate_is_discounted() -> None:
    from importlib import resources

    template = (
        resources.files("huggingface_hub") / "templates" / "modelcard_template.md"
    ).read_text()
    body = template.split("---", 2)[2]
    # Render the placeholders with their defaults, as the Hub does for an empty card.
    import re

    body = re.sub(r"\{\{\s*[\w.]+\s*\|\s*default\(\"((?:[^\"\\]|\\.)*)\"[^}]*\}\}", r"\1", body)
    body = re.sub(r"\{\{.*?\}\}", "", body)
    card, _ = parse_card("README.md", f"---\nlicense: mit\n---\n{body}".encode())
    assert card.boilerplate_lines > 40
    assert card.words < 20
    assert not any(s.filled for s in card.sections)


@pytest.mark.parametrize(
    "document",
    [
        "a: " + "[" * 5000 + "]" * 5000,
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
            for i in range(8)
        ),
    ],
    ids=["deep-nesting", "billion-laughs"],
)
def test_yaml_bombs_are_refused(document: str) -> None:
    with pytest.raises(HostileInputError):
        load_yaml(document)


def test_real_card_text_round_trip(tmp_path: Path) -> None:
    card, problems = parse_card("README.md", FULL_CARD.encode())
    assert not problems and card.metadata["license"] == "apache-2.0"
    titles = [s.title for s in card.sections]
    assert "Training data" in titles and "How to use" in titles
    usage = next(s for s in card.sections if s.title == "How to use")
    assert usage.code_blocks == 1 and usage.filled
