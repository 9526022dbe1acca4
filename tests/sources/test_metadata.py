"""``--metadata``: the Hub's ``model_info`` shape and the records ``study ingest`` reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.errors import InputError
from ptmscope.sources.metadata import load_metadata


def test_the_hub_shape_and_the_studys_record_shape_read_alike(tmp_path: Path) -> None:
    hub = tmp_path / "hub.json"
    hub.write_text(json.dumps({
        "id": "acme/tiny", "downloads": 1000, "downloadsAllTime": 50000, "likes": 10,
        "pipeline_tag": "text-classification", "createdAt": "2021-01-01T00:00:00.000Z",
        "lastModified": "2022-01-01T00:00:00.000Z",
    }))  # fmt: skip
    study = tmp_path / "records.jsonl"
    study.write_text(json.dumps({
        "model_id": "acme/tiny", "downloads": {"last_30_days": 1000, "all_time": 50000},
        "likes": "10", "pipeline_tag": ["text-classification"], "created_at": "2021-01-01",
        "last_modified": "2022-01-01T00:00:00Z",
    }) + "\n")  # fmt: skip
    a, b = load_metadata(hub), load_metadata(study)
    for field in ("id", "author", "downloads", "downloads_all_time", "likes", "pipeline_tag"):
        assert getattr(a, field) == getattr(b, field), field
    assert b.downloads == 1000 and b.downloads_all_time == 50000 and b.author == "acme"
    assert b.created_at is not None and b.created_at.year == 2021
    listed = tmp_path / "one.json"
    listed.write_text(json.dumps([{"id": "acme/tiny", "downloads": 7}]))
    assert load_metadata(listed).downloads == 7


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "a/b"}, {"id": "a/c"}]', "found 2 records"),
        ('"acme/tiny"', "found a JSON str"),
        ('{"id": "a/b"}\n{"id": "a/c"}\n', "found 2 records"),
        ("{not json\n", "not valid JSON or JSON Lines"),
    ],
)
def test_what_is_not_one_record_is_an_input_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "meta.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_metadata(path)
