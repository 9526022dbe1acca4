"""The paper reproduced: the artifact's claim reading rule by rule, and each measurement by
both methods on a small registry built here (listing, cards, architecture records) through
the real ``study ingest``, with the reasons computed from it."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ptmscope.formats import STUDY_FORMATS
from ptmscope.formats.study.json import build
from ptmscope.formats.study.markdown import reproduction_table
from ptmscope.results.study import Reproduction
from ptmscope.study import ingest, report
from ptmscope.study.measure import top_and_other
from ptmscope.study.paper_method import (
    CLAIMED,
    DROPPED,
    EMPTY,
    NO_MODEL_INDEX,
    paper_claims,
)
from ptmscope.study.reproduce import merge_rare


def _result(dataset: Any = None, value: Any = 0.9, **extra: Any) -> dict[str, Any]:
    metric = {"name": "Accuracy", "type": "accuracy", "value": value}
    return {
        "task": {"type": "text-classification"},
        "dataset": {"name": "GLUE", "type": "glue"} if dataset is None else dataset,
        "metrics": [metric, {**metric, "name": "F1", "type": "f1"}],
        **extra,
    }


def _index(*entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"model-index": [{"name": "m", "results": results} for results in entries]}


def test_the_artifacts_reading_rule_by_rule() -> None:
    found = paper_claims(_index([_result()]))
    assert found.status == CLAIMED and found.datasets == ("glue", "glue")  # per metric entry
    assert paper_claims({}).status == NO_MODEL_INDEX
    assert paper_claims(None).status == NO_MODEL_INDEX
    assert paper_claims(_index([])).status == EMPTY
    # any exception drops every claim: a percent string, a missing type, a list dataset
    percent = paper_claims(_index([_result(value="95.3%")]))
    assert percent.status == DROPPED and percent.drop == "a value float() refuses"
    assert paper_claims(_index([_result(dataset={"name": "x"})])).status == DROPPED
    assert paper_claims(_index([_result(dataset=["glue"])])).status == DROPPED
    assert paper_claims(_index([_result(), _result(value="n/a")])).status == DROPPED
    no_task = _result()
    del no_task["task"]
    assert paper_claims(_index([no_task])).drop == "missing 'task'"
    assert paper_claims({"model-index": {"name": "not a list"}}).status == DROPPED
    # float() accepts a numeric string: the artifact keeps it
    assert paper_claims(_index([_result(value="0.91")])).status == CLAIMED
    # claims in a later entry only: never read, but noticed
    later = paper_claims(_index([], [_result()]))
    assert later.status == EMPTY and later.later_entries
    assert not paper_claims(_index([_result()])).later_entries


def test_figure_layouts() -> None:
    rows = merge_rare([("a", 10, 100), ("b", 0, 5000), ("c", 1, 2000), ("d", 5, 10)])
    keyed = {r.key: (r.numerator, r.denominator) for r in rows}
    assert keyed == {"d": (5, 10), "a": (10, 100), "other": (1, 7000), "all": (16, 7110)}
    assert [r.key for r in rows] == ["d", "a", "other", "all"]  # by ratio, the sum last
    counts = [(f"k{i:02d}", 100 - i) for i in range(14)]
    top = top_and_other(counts, top=10)
    assert len(top) == 11 and sum(r.numerator for r in top) == sum(n for _, n in counts)
    assert next(r for r in top if r.key == "other").numerator == 90 + 89 + 88 + 87


def _card(model_index: dict[str, Any] | None, extra: str = "") -> str:
    import yaml

    front = yaml.safe_dump({"license": "mit", "datasets": ["glue"], **(model_index or {})})
    return f"---\n{front}---\n# model\n\nTrained on GLUE.\n{extra}"


CARDS = {
    "acme/first": _card(_index([_result()])),
    "acme/percent": _card(_index([_result(value="95.3%")])),
    "acme/later": _card(_index([], [_result()])),
    "acme/none": _card(None),
}
# id -> (pipeline_tag, downloads, has_modelcard, created)
LISTING = {
    "acme/first": ("text-classification", 500, True, "2021-01-01"),
    "acme/percent": ("text-classification", 400, True, "2021-02-01"),
    "acme/later": ("translation", 300, True, "2022-09-01"),
    "acme/none": ("", 200, True, "2020-01-01"),
    "acme/nocard": ("fill-mask", 900, False, "2020-06-01"),
    "acme/missing": ("fill-mask", 10, True, "2020-06-01"),  # a card the crawl lacks
}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reproduce")
    cards = root / "cards"
    for model_id, text in CARDS.items():
        folder = cards / model_id.replace("/", "__")
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(text, encoding="utf-8")
    listing = root / "listing.csv"
    with listing.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model_id", "author", "created_at", "downloads", "has_modelcard",
                         "pipeline_tag"])  # fmt: skip
        for model_id, (tag, downloads, has_card, created) in LISTING.items():
            writer.writerow([model_id, "acme", f"{created} 00:00:00+00:00", downloads,
                             has_card, tag])  # fmt: skip
    configs = root / "configs.parquet"
    pq.write_table(
        pa.table({
            "model_id": ["acme/first", "acme/percent", "acme/nocard", "other/unlisted"],
            "model_type": ["bert", "bert", None, "gpt2"],
            "architectures": ['["BertModel"]', None, None, None],
            "kind": ["model_type", "model_type", "no_model_type", "model_type"],
        }),
        configs,
    )  # fmt: skip
    ingest(root / "db", [listing, cards, configs], workers=1)
    return root / "db"


def _get(result: Any, ident: str) -> Reproduction:
    return next(r for r in result.reproductions if r.id == ident)


def test_claims_by_both_methods_with_computed_reasons(study: Path) -> None:
    result = report(study)
    m4 = _get(result, "M4")
    assert m4.paper_method is not None and m4.ptmscope_method is not None
    rows = {r.key: (r.numerator, r.denominator) for r in m4.paper_method.rows}
    # population: four cards read + one listed without a card; acme/missing is left out
    assert rows["all"] == (1, 5)
    assert rows["text-classification"] == (1, 2)  # acme/percent is dropped on float()
    assert m4.ptmscope_method.headline_row is not None
    assert m4.ptmscope_method.headline_row.numerator == 3  # first, percent, later
    text = " | ".join(m4.reasons)
    assert "1 models with claims ptmscope reads are dropped whole" in text
    assert "(1 for a value float() refuses)" in text
    assert "1 models have claims only in later model-index entries" in text
    assert "1 listed models have a card this crawl lacks" in text


def test_architectures_count_absent_records_as_none_only_by_the_papers_method(
    study: Path,
) -> None:
    m7 = _get(report(study), "M7")
    assert m7.paper_method is not None and m7.ptmscope_method is not None
    paper = {r.key: (r.numerator, r.denominator) for r in m7.paper_method.rows}
    assert paper == {"bert": (2, 6), "None": (4, 6)}  # 3 absent + 1 explicit None
    ours = {r.key: (r.numerator, r.denominator) for r in m7.ptmscope_method.rows}
    assert ours == {"bert": (2, 4), "None": (1, 4), "gpt2": (1, 4)}  # unknown left out
    assert any("3 of 6 listed models have no architecture record" in r for r in m7.reasons)


def test_datasets_are_metric_entries_by_the_papers_method(study: Path) -> None:
    m6 = _get(report(study), "M6")
    assert m6.paper_method is not None and m6.ptmscope_method is not None
    paper = {r.key: r.numerator for r in m6.paper_method.rows}
    assert paper == {"glue": 2, "None": 4}  # two metric entries of one model
    ours = {r.key: r.numerator for r in m6.ptmscope_method.rows}
    assert ours["glue"] == 3 and ours["None"] == 2  # models, every claim form
    assert any("glue has 2 entries from 1 models" in r for r in m6.reasons)


def test_unsupported_measurements_name_their_data_and_show_no_zero(study: Path) -> None:
    result = report(study)
    for ident in ("M1", "M2", "M3", "M9", "M14", "M15"):
        item = _get(result, ident)
        assert not item.supported and item.needs, ident
    m11 = _get(result, "M11")
    assert m11.paper_method is not None and m11.paper_method.headline == "acme/nocard"
    assert m11.paper_method.rows[0].numerator == 1  # first by downloads
    m10 = _get(result, "M10")
    assert m10.paper_method is not None and m10.paper_method.rows[0].numerator == 5
    table = reproduction_table(result)
    assert len(table) == 2 + len(result.reproductions)
    assert "0 / 0" not in "\n".join(table)
    assert "not measurable here: needs" in "\n".join(table)


def test_every_format_carries_the_reproduction_and_json_validates(study: Path) -> None:
    from importlib import resources

    result = report(study)
    data = build(result)
    schema = json.loads(
        (resources.files("ptmscope") / "schemas" / "study.schema.json").read_text("utf-8")
    )
    jsonschema.validate(data, schema)
    m4 = next(r for r in data["reproduction"] if r["id"] == "M4")
    assert m4["paper_method"]["rows"][-1] == {"key": "all", "numerator": 1, "denominator": 5}
    for name in STUDY_FORMATS.names:
        rendered = STUDY_FORMATS.render(name, result)
        assert "M15" in rendered and "paper" in rendered.lower(), name
        assert "dropped whole" in rendered, name
    assert report(study, paper=None).reproductions == ()


def test_the_readme_carries_a_generated_reproduction_table() -> None:
    """The README's table sits between the markers scripts/readme_study.py writes between,
    one row per paper measurement, in the shape reproduction_table renders."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- reproduction:start -->", "<!-- reproduction:end -->"
    assert start in readme and end in readme
    table = readme.split(start, 1)[1].split(end, 1)[0].strip().splitlines()
    assert table[0].startswith("| id | measurement | paper (ICSE 2023) | paper's method")
    assert [line.split("|")[1].strip() for line in table[2:]] == [f"M{i}" for i in range(1, 16)]
