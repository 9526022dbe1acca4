"""``ptmscope select`` on study databases built here: a small self-made registry (cards as
package folders, a CSV listing) that runs everywhere, and real cards from the shared data
when present. Every database is built by the real ``study ingest``."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from ptmscope.cli import main
from ptmscope.errors import InputError
from ptmscope.formats.select import SELECT_FORMATS, build
from ptmscope.results.select import Source
from ptmscope.selection.select import kendall_tau, parse_weights, select
from ptmscope.study import ingest
from tests.conftest import FULL_CARD, SHARED_DATA

TASK = "text-classification"
RICH = (
    FULL_CARD
    + """
## Training procedure

### Training hyperparameters
- learning_rate: 2e-05
- train_batch_size: 16
- num_epochs: 3

### Framework versions
- Transformers 4.30.0
- Pytorch 2.0.1
"""
)
THIN = "---\nlicense: gpl-3.0\npipeline_tag: text-classification\n---\n# thin\n\nA model.\n"
# id -> (card, weight files, author, created, downloads, has card, task)
MODELS = {
    "acme/rich": (RICH, ["model.safetensors"], "2022-06-01", 1_000, TASK),
    "acme/thin": (THIN, ["pytorch_model.bin"], "2021-01-01", 50_000, TASK),
    "zed/thin": (THIN, ["model.safetensors"], "2020-01-01", 20, TASK),
    "tie/b": (None, [], "2020-05-05", 7, TASK),
    "tie/a": (None, [], "2020-05-05", 7, TASK),
    "bert-base-uncased": (None, [], "2018-11-14", 900_000, "fill-mask"),
    "other/vision": (None, [], "2022-01-01", 3, "image-classification"),
}


def _registry(root: Path) -> list[Path]:
    cards = root / "cards"
    for model_id, (card, files, *_rest) in MODELS.items():
        if card is None:
            continue
        folder = cards / model_id.replace("/", "__")
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(card, encoding="utf-8")
        (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
        for name in files:
            (folder / name).write_bytes(b"\0" * 16)  # names are what the study reads
    listing = root / "listing.csv"
    with listing.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model_id", "author", "created_at", "downloads", "has_modelcard",
                         "pipeline_tag", "license"])  # fmt: skip
        for model_id, (card, _files, created, downloads, task) in MODELS.items():
            author = model_id.split("/")[0] if "/" in model_id else ""
            licence = "apache-2.0" if model_id == "bert-base-uncased" else ""
            writer.writerow([model_id, author, f"{created} 10:00:00+00:00", downloads,
                             card is not None, task, licence])  # fmt: skip
    return [listing, cards]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("select")
    ingest(root / "db", _registry(root), workers=1)
    return root / "db"


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\n" + text, encoding="utf-8")
    return path


def test_the_task_is_ranked_deterministically_with_ties_broken_by_id(db: Path) -> None:
    first = build(select(db, TASK, top=50))
    second = build(select(db, TASK, top=50))
    assert first == second
    ids = [c["id"] for c in first["candidates"]]
    assert sorted(ids) == ["acme/rich", "acme/thin", "tie/a", "tie/b", "zed/thin"]
    assert [c["rank"] for c in first["candidates"]] == [1, 2, 3, 4, 5]
    scores = [c["score"] for c in first["candidates"]]
    assert scores == sorted(scores, reverse=True)
    ties = [c for c in first["candidates"] if c["id"].startswith("tie/")]
    assert ties[0]["score"] == ties[1]["score"] and [t["id"] for t in ties] == ["tie/a", "tie/b"]
    assert first["population"]["registry"] == len(MODELS)
    assert first["population"]["task"] == 5


def test_subscores_are_percentiles_of_the_whole_registry(db: Path) -> None:
    result = select(db, TASK, top=50)
    by_id = {c.id: c for c in result.candidates}
    downloads = sorted(m[3] for m in MODELS.values())

    def percentile(value: int) -> float:
        below = sum(d < value for d in downloads)
        return (below + 0.5 * downloads.count(value)) / len(downloads)

    # acme/thin: 50,000 downloads beats every model but bert-base-uncased (another task,
    # still in the population). acme/rich names bert-base-uncased as its base model, so 6 of
    # the 7 models tie at zero dependents: their mid-rank is 3/7.
    zero_dependents = 3 / 7
    for model_id in ("acme/thin", "zed/thin", "tie/a"):
        expected = (percentile(MODELS[model_id][3]) + zero_dependents) / 2
        assert by_id[model_id].subscores.popularity == pytest.approx(expected, abs=1e-6)
    assert percentile(50_000) < 1.0  # the fill-mask model outranks it: population-relative
    # Quality: the rich card has more factors than the thin ones; cards absent are 0.
    assert by_id["acme/rich"].subscores.quality > by_id["acme/thin"].subscores.quality
    assert by_id["acme/thin"].subscores.quality == by_id["zed/thin"].subscores.quality
    assert by_id["tie/a"].subscores.quality < by_id["zed/thin"].subscores.quality
    # Maintenance: newer creation is a higher percentile.
    assert by_id["acme/rich"].subscores.maintenance > by_id["zed/thin"].subscores.maintenance
    w = result.weights
    for c in result.candidates:
        s = c.subscores
        combined = w.quality * s.quality + w.popularity * s.popularity
        assert c.score == pytest.approx(combined + w.maintenance * s.maintenance, abs=1e-5)


def test_reasons_are_marked_by_source_and_claims_come_from_the_card(db: Path) -> None:
    rich = next(c for c in select(db, TASK, top=50).candidates if c.id == "acme/rich")
    by_source: dict[Source, list[str]] = {}
    for reason in rich.reasons:
        by_source.setdefault(reason.source, []).append(reason.text)
    assert any("1,000 downloads" in t for t in by_source[Source.LISTING])
    assert any(
        "performance claim" in t and "machine-parseable" in t for t in by_source[Source.CARD]
    )
    assert any("datasets: imdb" in t for t in by_source[Source.CARD])
    values = next(t for t in by_source[Source.CARD] if t.startswith("claims: "))
    assert "accuracy = 91.3 on imdb (text-classification)" in values  # the card's own words
    assert any("card factors present" in t for t in by_source[Source.STUDY])
    thin = next(c for c in select(db, TASK, top=50).candidates if c.id == "acme/thin")
    assert any("pickles" in r.text and r.source is Source.STUDY for r in thin.reasons)


def test_weights_change_the_order_and_are_normalised(db: Path) -> None:
    popular = select(db, TASK, weights=parse_weights("0,1,0"))
    assert popular.candidates[0].id == "acme/thin"  # most downloads of the task
    assert popular.weights.popularity == 1.0
    quality = select(db, TASK, weights=parse_weights("3,0,0"))
    assert quality.candidates[0].id == "acme/rich"
    for bad in ("1,2", "a,b,c", "0,0,0", "-1,1,1", "nan,1,1"):
        with pytest.raises(InputError):
            parse_weights(bad)


def test_policy_filters_what_the_database_can_judge_and_lists_the_rest(
    db: Path, tmp_path: Path
) -> None:
    policy = _policy(
        tmp_path,
        "templates:\n  trusted_owners: [acme, zed]\n  licenses: {deny: [gpl-3.0]}\n"
        "  min_score: 5\n  signed: true\n"
        "rules:\n  - id: big\n    when: audit.summary.overall < 3.0\n    action: deny\n"
        "    reason: low score\n",
    )
    result = select(db, TASK, top=50, policy=policy)
    # tie/* are not trusted owners; the thin cards are GPL; acme/rich (Apache, its base
    # model bert-base-uncased Apache in the listing) is all that is left.
    assert [c.id for c in result.candidates] == ["acme/rich"]
    use = result.policy
    assert use is not None
    assert len(use.judged) == 2
    not_judged = dict(use.not_judged)
    assert len(not_judged) == 3 and "big" in not_judged
    assert any("audit" in why for why in not_judged.values())
    excluded = {e.rule: (e.violated, e.unknown) for e in use.excluded}
    assert sorted(excluded.values()) == [(2, 0), (2, 0)]  # owners: tie/a, tie/b; gpl: 2
    assert result.population.eligible == 1 and result.population.task == 5


def test_a_rule_that_cannot_tell_fails_closed(db: Path, tmp_path: Path) -> None:
    """``no_pickle``: pickle-only weights violate it; safetensors may still have pickles
    beside them, and listing-only models have no file list: unknown, so removed."""
    policy = _policy(tmp_path, "templates:\n  no_pickle: true\n")
    result_or_error = select(db, TASK, top=50, policy=policy)
    use = result_or_error.policy
    assert use is not None
    assert [(e.violated, e.unknown) for e in use.excluded] == [(1, 4)]
    assert result_or_error.population.eligible == 0 and not result_or_error.candidates


def test_policy_warnings_become_reasons_and_cooldown_reads_the_clock(
    db: Path, tmp_path: Path
) -> None:
    now = datetime(2022, 6, 10, tzinfo=UTC)  # acme/rich was created at 10:00 nine days before
    warn = _policy(tmp_path, "templates:\n  cooldown_days: {value: 30, mode: warn}\n")
    result = select(db, TASK, top=50, policy=warn, now=now)
    assert len(result.candidates) == 5
    rich = next(c for c in result.candidates if c.id == "acme/rich")
    assert [r.text for r in rich.reasons if r.source is Source.POLICY] == [
        "templates.cooldown_days (warning): the model is 8.6 days old (2022-06-01)"
    ]
    enforce = _policy(tmp_path, "templates:\n  cooldown_days: 30\n")
    result = select(db, TASK, top=50, policy=enforce, now=now)
    assert "acme/rich" not in {c.id for c in result.candidates}
    assert result.policy is not None and result.policy.excluded[0].violated == 1


def test_kendall_tau_closed_forms_and_against_scipy() -> None:
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau([1], [1]) is None
    assert kendall_tau([1, 1, 1], [1, 2, 3]) is None
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(18)
    for n in (2, 3, 10, 57, 400):
        x = [rng.randint(0, 9) for _ in range(n)]  # many ties on both sides
        y = [rng.randint(0, 5) + xi * rng.choice((0, 1)) for xi in x]
        expected = stats.kendalltau(x, y).statistic
        got = kendall_tau(x, y)
        if expected != expected:  # NaN: a constant side
            assert got is None
        else:
            assert got == pytest.approx(expected, abs=1e-12)


def test_baselines_rank_the_same_candidates_and_say_when_size_is_unknown(db: Path) -> None:
    result = select(db, TASK, top=50)
    by_downloads, by_size = result.baselines
    assert by_downloads.ids[0] == "acme/thin"
    assert set(by_downloads.ids) == {c.id for c in result.candidates}
    ours = [c.id for c in result.candidates]
    downloads = {c.id: c.downloads for c in result.candidates}
    expected = kendall_tau([-i for i in range(len(ours))], [float(downloads[i]) for i in ours])
    assert by_downloads.tau == pytest.approx(expected, abs=1e-4)
    assert by_size.tau is None and by_size.known == 0 and by_size.note
    assert "size unknown" in by_size.note


def test_cli_json_validates_and_errors_are_one_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["select", "--task", TASK, "--db", str(db), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, _schema())
    assert data["weights"] == {"quality": 0.3, "popularity": 0.35, "maintenance": 0.35}
    for fmt in ("text", "markdown"):
        assert main(["select", "--task", TASK, "--db", str(db), "--format", fmt]) == 0
        assert "acme/rich" in capsys.readouterr().out
    for argv in (
        ["select", "--task", "nope", "--db", str(db)],
        ["select", "--task", TASK, "--db", str(tmp_path / "missing")],
        ["select", "--task", TASK, "--db", str(db), "--weights", "1,2"],
        ["select", "--task", TASK, "--db", str(db), "--top", "0"],
        ["select", "--task", TASK, "--db", str(db), "--policy", str(tmp_path / "none.yaml")],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("ptmscope: error:") and err.count("\n") == 1


def _schema() -> dict[str, object]:
    from importlib import resources

    text = (resources.files("ptmscope") / "schemas" / "select.schema.json").read_text("utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_every_format_renders_escaped_ids(db: Path) -> None:
    result = select(db, TASK)
    for name in SELECT_FORMATS.names:
        assert "tie/a" in SELECT_FORMATS.render(name, result)


@pytest.mark.skipif(
    not (SHARED_DATA / "cards.parquet").exists(), reason="shared registry data absent"
)
def test_real_cards_and_listing(tmp_path: Path) -> None:
    import gzip

    import pyarrow.parquet as pq

    cards = pq.read_table(SHARED_DATA / "cards.parquet").slice(0, 300)
    ids = set(cards.column("model_id").to_pylist())
    pq.write_table(cards, tmp_path / "cards.parquet")
    with gzip.open(SHARED_DATA / "listing_2023.csv.gz", "rt", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if r["model_id"] in ids]
    with (tmp_path / "listing.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ingest(tmp_path / "db", [tmp_path / "listing.csv", tmp_path / "cards.parquet"], workers=1)
    tasks = [r["pipeline_tag"] for r in rows if r["pipeline_tag"]]
    task = max(set(tasks), key=lambda t: (tasks.count(t), t))
    first = build(select(tmp_path / "db", task, top=20))
    assert first == build(select(tmp_path / "db", task, top=20))
    jsonschema.validate(first, _schema())
    assert first["candidates"] and first["population"]["task"] >= len(first["candidates"])
    assert first["baselines"]["by_downloads"]["tau"] is not None
    sources = {r["source"] for c in first["candidates"] for r in c["reasons"]}
    assert {"listing", "study"} <= sources


def test_the_ranked_population_is_cached_and_a_new_ingest_invalidates_it(tmp_path: Path) -> None:
    """The first query ranks the population and caches it beside the tables; later ones read
    the cache (same answer); a new ingest changes the tables, so the old cache is never read."""
    from ptmscope.selection.select import CACHE_DIR, Selector

    root = tmp_path / "src"
    root.mkdir()
    ingest(tmp_path / "db", _registry(root), workers=1)
    first = Selector(tmp_path / "db").select("text-classification")
    caches = list((tmp_path / "db" / CACHE_DIR).glob("ranked-*.parquet"))
    assert len(caches) == 1
    again = Selector(tmp_path / "db").select("text-classification")
    assert again == first
    extra = tmp_path / "more.csv"
    extra.write_text(
        "model_id,author,created_at,downloads,has_modelcard,pipeline_tag,license\n"
        "zz/new,zz,2022-01-01 10:00:00+00:00,999999999,false,text-classification,\n",
        encoding="utf-8",
    )
    ingest(tmp_path / "db", [extra], workers=1)
    after = Selector(tmp_path / "db").select("text-classification")
    assert "zz/new" in [c.id for c in after.candidates]
    assert [p.name for p in (tmp_path / "db" / CACHE_DIR).glob("ranked-*.parquet")] != [
        caches[0].name
    ]


def test_the_size_baseline_ranks_by_parameters_estimated_from_configs(tmp_path: Path) -> None:
    """Three models whose configs give their size: the baseline orders them larger first,
    and its tau is the one computed by hand against our order."""
    sizes = {"s/small": (128, 2), "s/medium": (256, 4), "s/large": (512, 8)}
    cards = tmp_path / "cards"
    for model_id, (hidden, layers) in sizes.items():
        folder = cards / model_id.replace("/", "__")
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(f"---\npipeline_tag: {TASK}\n---\n# {model_id}\n")
        config = {"model_type": "bert", "hidden_size": hidden, "num_hidden_layers": layers,
                  "vocab_size": 1000}  # fmt: skip
        (folder / "config.json").write_text(json.dumps(config))
    ingest(tmp_path / "db", [cards], workers=1)
    result = select(tmp_path / "db", TASK, top=3)
    by_size = result.baselines[1]
    assert by_size.ids == ("s/large", "s/medium", "s/small")
    assert by_size.known == 3 and by_size.note is not None and "estimated" in by_size.note
    order = {c.id: position for position, c in enumerate(result.candidates)}
    parameters = {"s/small": 1, "s/medium": 2, "s/large": 3}  # same order as the estimates
    expected = kendall_tau([-order[i] for i in sizes], [float(parameters[i]) for i in sizes])
    assert by_size.tau == pytest.approx(expected, abs=1e-4)


def test_data_runs_the_top_candidates_through_a_mirror_and_keeps_the_missing_one(
    db: Path, tmp_path: Path
) -> None:
    """select --data: the first candidates are fetched through a real registry serve (the
    Hub client on HF_ENDPOINT), embed the labelled texts and are scored; one the mirror
    lacks stays a candidate with its error, and the database's downloads fill the baseline."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import shutil

    from ptmscope.demo import demo_model_path
    from tests.registry.conftest import Server, run_cli
    from tests.selection.test_transfer import SENTENCES

    order = [c.id for c in select(db, TASK).candidates]
    present, missing = order[0], order[1]
    root = tmp_path / "mirror"
    shutil.copytree(demo_model_path(), root / present)
    rows = [{"text": t, "label": label} for label, texts in SENTENCES.items() for t in texts]
    sample = tmp_path / "topics.jsonl"
    sample.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    server = Server(root)
    try:
        done = run_cli(
            server, tmp_path / "home", "select", "--task", TASK, "--db", str(db),
            "--data", str(sample), "--embed-top", "2", "--folds", "3", "--format", "json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        data = json.loads(done.stdout)
        jsonschema.validate(data, _schema())
        stage = data["transfer"]
        assert [c["ref"] for c in stage["candidates"]] == [present, missing]
        ran, absent = stage["candidates"]
        assert ran["error"] is None and ran["probe_accuracy"] >= 0.75 and ran["logme"] is not None
        assert ran["parameters"] == 22_713_728
        assert ran["downloads"] == data["candidates"][0]["downloads"]  # from the database
        assert absent["logme"] is None and absent["error"].startswith("cannot fetch")
        assert stage["examples"] == 12 and stage["folds"] == 3
        text = run_cli(
            server, tmp_path / "home", "select", "--task", TASK, "--db", str(db),
            "--data", str(sample), "--embed-top", "1", "--folds", "3",
        )  # fmt: skip
        assert text.returncode == 0 and "Task stage on" in text.stdout
        assert "probe accuracy" in text.stdout
    finally:
        server.stop()


def test_data_that_cannot_be_used_costs_no_ranking(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "one-class.csv"
    bad.write_text("text,label\na,x\nb,x\nc,x\n", encoding="utf-8")
    for extra in (["--data", str(bad)], ["--data", str(tmp_path / "none.csv")],
                  ["--data", str(bad), "--embed-top", "0"]):  # fmt: skip
        assert main(["select", "--task", TASK, "--db", str(db), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ptmscope: error:") and err.count("\n") == 1


def test_maintenance_reads_the_last_change_when_a_record_has_it(tmp_path: Path) -> None:
    """A model_info record's lastModified makes an old model the most active; a snapshot's
    nested listing fields (the shared snapshot's ``listing_2023``) are read as a listing."""
    sources = _registry(tmp_path)
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps({"id": "zed/thin", "lastModified": "2024-03-01T00:00:00.000Z"}) + "\n"
        + json.dumps({"id": "new/nested", "pipeline_tag": TASK, "listing_2023": {
            "downloads": 77, "created_at": "2019-01-01 00:00:00+00:00", "has_modelcard": False}})
        + "\n",
        encoding="utf-8",
    )  # fmt: skip
    ingest(tmp_path / "db", [*sources, records], workers=1)
    result = select(tmp_path / "db", TASK, top=10)
    by_id = {c.id: c for c in result.candidates}
    zed = by_id["zed/thin"]
    assert zed.subscores.maintenance == max(c.subscores.maintenance for c in result.candidates)
    assert any("last changed 2024-03-01" in r.text for r in zed.reasons)
    rich = by_id["acme/rich"]
    assert any("creation counts as its latest activity" in r.text for r in rich.reasons)
    assert result.population.with_modified == 1
    assert by_id["new/nested"].downloads == 77
    assert any("last change known for 1 of" in n for n in result.notes)
