"""One pass over the 25,185 real Hub model cards in shared/ (skipped when absent)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from ptmscope.audit import evaluate
from ptmscope.collector import collect_from as collect
from ptmscope.errors import InputError
from ptmscope.sources.record import RecordSource
from tests.conftest import SHARED_DATA

CARDS = SHARED_DATA / "cards.parquet"
_NUMBER = re.compile(
    r"^\s*[-+]?(\d+([.,]\d*)?|\.\d+)([eE][-+]?\d+)?\s*%?\s*((±|\+/-)\s*[\d.]+\s*%?)?\s*$"
)


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == value and abs(value) != float("inf")
    return isinstance(value, str) and bool(_NUMBER.match(value))


def independent_model_index(readme: str | None) -> bool:
    """Plain PyYAML, written separately from ptmscope: a numeric metric in model-index."""
    if not readme:
        return False
    text = readme.lstrip("\ufeff")
    # leading blank lines allowed, as huggingface_hub's REGEX_YAML_BLOCK allows them
    match = re.match(r"^\s*---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(\r?\n|$)", text, re.DOTALL)
    if not match:
        return False
    try:
        # libyaml, as the Hub's own tooling accepts tabs where pure-Python PyYAML does not.
        meta = yaml.load(match.group(1), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return False
    if not isinstance(meta, dict):
        return False
    # Older cards spell it model_index and give one `metric` mapping per result.
    models = meta.get("model-index", meta.get("model_index"))
    models = models if isinstance(models, list) else [models]
    for model in models:
        results = model.get("results") if isinstance(model, dict) else None
        for result in results if isinstance(results, list) else []:
            metrics = result.get("metrics") if isinstance(result, dict) else None
            if (
                metrics is None
                and isinstance(result, dict)
                and isinstance(result.get("metric"), dict)
            ):
                metrics = [result["metric"]]
            for metric in metrics if isinstance(metrics, list) else []:
                if isinstance(metric, dict) and _numeric(metric.get("value")):
                    return True
    return False


@pytest.mark.slow
@pytest.mark.skipif(not CARDS.is_file(), reason="shared/data/registry/cards.parquet not available")
def test_all_real_cards() -> None:
    import pyarrow.parquet as pq

    rows = pq.read_table(
        CARDS, columns=["model_id", "readme", "config_json", "siblings_json"]
    ).to_pylist()
    assert len(rows) == 25_185
    refused: list[str] = []
    ours = theirs = 0
    probe_errors: list[str] = []
    for row in rows:
        siblings = []
        if row["siblings_json"]:
            try:
                siblings = [
                    s["rfilename"] for s in json.loads(row["siblings_json"]) if isinstance(s, dict)
                ]
            except (ValueError, KeyError, TypeError):
                siblings = []
        theirs += independent_model_index(row["readme"])
        source = RecordSource(
            row["model_id"], readme=row["readme"], config_json=row["config_json"], siblings=siblings
        )
        try:
            package = collect(source)
        except InputError as exc:
            refused.append(f"{row['model_id']}: {exc}")
            continue
        ours += any(c.source == "model-index" and c.value is not None for c in package.claims)
        result = evaluate(package)
        probe_errors += [
            f"{row['model_id']} {f.probe}: {f.message}"
            for f in result.findings
            if f.message.startswith("probe error")
        ]
    assert not probe_errors, probe_errors[:5]
    assert len(refused) <= 5, refused
    assert theirs > 1000
    assert ours == theirs
