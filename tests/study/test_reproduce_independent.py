"""An independent check of the paper-method numbers on the shared raw files.

Fig. 7 (claims per task, the paper's method) and Fig. 6 (architectures) are recomputed
here with pandas, PyYAML and the Hub client's own front-matter pattern (what the paper's
``cardData`` was), written apart from the study code, and must equal what ``study
report`` gives after a real ``study ingest`` of the same files. The cards are a fixed
sample (every 8th id) so the check stays cheap; the listing and the architecture records
are whole.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from tests.conftest import SHARED_DATA

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (SHARED_DATA / "configs.parquet").exists(), reason="shared registry data absent"
    ),
]
STEP = 8


def _front_matter(readme: str | None) -> Any:
    """The card's YAML as the Hub parses it (huggingface_hub's pattern, libyaml's safe loader)."""
    import yaml
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    if not readme:
        return None
    found = re.search(REGEX_YAML_BLOCK, readme)
    if found is None:
        return None
    try:  # libyaml, as the Hub's YAML 1.2 parser, accepts a tab after a value; pure PyYAML
        data = yaml.load(found.group(2), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _has_claims(card: Any) -> bool:
    """The artifact's get_claims, re-written: first model-index entry, strict, all or none."""
    try:
        claims = 0
        for result in card["model-index"][0]["results"]:
            result["task"]
            if not isinstance(result["dataset"], dict):
                return False
            result["dataset"]["type"]
            for metric in result["metrics"]:
                metric["name"], metric["type"]
                float(metric["value"])
                claims += 1
        return claims > 0
    except Exception:
        return False


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Any]:
    import pandas as pd

    from ptmscope.study import ingest, report

    root = tmp_path_factory.mktemp("independent")
    cards = pd.read_parquet(SHARED_DATA / "cards.parquet", columns=["model_id", "readme"])
    cards = cards.sort_values("model_id").iloc[::STEP].reset_index(drop=True)
    sample = root / "cards-sample.parquet"
    cards.to_parquet(sample)
    listing_path = SHARED_DATA / "listing_2023.csv.gz"
    configs_path = SHARED_DATA / "configs.parquet"
    ingest(root / "db", [listing_path, sample, configs_path], workers=2)
    result = report(root / "db")
    listing = pd.read_csv(listing_path).drop_duplicates("model_id")
    return result, cards, listing


def _rows(result: Any, ident: str) -> dict[str, tuple[int, int]]:
    found = next(r for r in result.reproductions if r.id == ident)
    return {r.key: (r.numerator, r.denominator) for r in found.paper_method.rows}


def test_fig7_claims_per_task_by_the_papers_method(built: tuple[Any, Any, Any]) -> None:
    import pandas as pd

    result, cards, listing = built
    cards = cards.assign(claimed=[_has_claims(_front_matter(t)) for t in cards["readme"]])
    no_card = listing[listing["has_modelcard"] == False]  # noqa: E712
    population = pd.concat(
        [cards[["model_id", "claimed"]],
         no_card.loc[~no_card["model_id"].isin(cards["model_id"]), ["model_id"]].assign(claimed=False)]
    )  # fmt: skip
    tags = listing.set_index("model_id")["pipeline_tag"]
    population["tag"] = population["model_id"].map(tags).fillna("None")
    grouped = population.groupby("tag")["claimed"].agg(["sum", "count"])
    expected: dict[str, tuple[int, int]] = {}
    other = [0, 0]
    for tag, (claimed, total) in grouped.iterrows():
        if claimed / total >= 0.001:
            expected[str(tag)] = (int(claimed), int(total))
        else:
            other[0] += int(claimed)
            other[1] += int(total)
    if other[1]:
        expected["other"] = (other[0], other[1])
    expected["all"] = (int(population["claimed"].sum()), len(population))
    assert _rows(result, "M4") == expected
    assert expected["all"][0] > 50  # the sample holds real claims, not only zeros


def test_fig6_architectures_by_the_papers_method(built: tuple[Any, Any, Any]) -> None:
    import pandas as pd

    result, _cards, listing = built
    configs = pd.read_parquet(SHARED_DATA / "configs.parquet", columns=["model_id", "model_type"])
    types = configs.drop_duplicates("model_id").set_index("model_id")["model_type"]
    listed = listing[listing["downloads"].notna()]
    kinds = listed["model_id"].map(types).fillna("None")
    counts = kinds.value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    total = int(counts.sum())
    expected = {str(k): (int(n), total) for k, n in ordered[:10]}
    expected["other"] = (int(sum(n for _, n in ordered[10:])), total)
    assert _rows(result, "M7") == expected
    none, bert = expected["None"][0] / total, expected["bert"][0] / total
    assert math.isclose(none, 0.392, abs_tol=0.005) and math.isclose(bert, 0.158, abs_tol=0.005)
