"""The study report as people read it (issue 17 item 5): the paper beside ours per key with a
delta, n/a for 0/0, caveats that state coverage, heatmaps, charts whose labels never clip,
and the HTML page checked in a real headless chromium at 600 px and 1400 px.

The browser tests skip with a message where no chromium is installed (``make`` installs
Debian's when it can); the real-data test skips where ``../shared`` is absent.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from ptmscope.cli import main
from ptmscope.formats import STUDY_FORMATS
from ptmscope.formats.study.chart import fit, text_width
from ptmscope.results.study import (
    Coverage,
    Heatmap,
    Measurement,
    PaperRow,
    Row,
    StudyResult,
)
from ptmscope.study.measure import (
    COVERAGE_MIN,
    SMALL_N,
    caveats,
    parse_paper_rows,
    shipped_paper,
)
from tests import browser
from tests.conftest import SHARED_DATA
from tests.study.test_study import _sources

WIDTHS = (600, 1400)
INK = 0.01
"""A drawn report covers far more than 1% of a screenshot with non-background pixels."""
LONG = "organisation-with-a-very-long-name/" + "a-model-name-that-goes-on-" * 6 + "end"

# After load: labels wider than the room the chart gave them (measured in the real font),
# and SVG text drawn outside its viewBox.
CLIPPED = (
    "[...document.querySelectorAll('svg text.label')]"
    ".filter(t => t.getComputedTextLength() > +t.dataset.room).map(t => t.textContent)"
)
OUTSIDE = (
    "[...document.querySelectorAll('svg.chart')].flatMap(svg => {"
    " const box = svg.viewBox.baseVal;"
    " return [...svg.querySelectorAll('text')].filter(t => { const b = t.getBBox();"
    " return b.x < box.x - 0.5 || b.x + b.width > box.x + box.width + 0.5; })"
    ".map(t => t.textContent); })"
)


def _result(**paper: tuple[PaperRow, ...]) -> StudyResult:
    """A charted measurement with the paper beside it, a 0/0 one, a caveated one, a heatmap."""
    claims = Measurement(
        "claims_by_task",
        "Claims by task",
        "Packages of each task with a machine-parseable claim.",
        (Row("all", 120, 1_000), Row("token-classification", 80, 400), Row(LONG, 3, 12)),
        paper="token-classification 526/3130 (16.8%)",
        paper_rows=paper.get("claims", (PaperRow("token-classification", 526 / 3130, 526, 3130),
                                        PaperRow("translation", 0.06))),
        coverage=Coverage(900, 1_000, "packages whose task is known"),
    )  # fmt: skip
    empty = Measurement(
        "verified_organisations", "Verified organisations", "Flagged authors.",
        (Row("verified", 0, 0),), coverage=Coverage(0, 50, "authors with the flag"),
    )  # fmt: skip
    empty = replace(empty, caveats=caveats(empty.rows, empty.coverage))
    arch = Measurement(
        "architectures", "Architectures", "model_type.",
        (Row("None", 980, 1_000), Row("bert", 7, 1_000)),
        coverage=Coverage(20, 1_000, "packages whose architecture is known"),
    )  # fmt: skip
    arch = replace(arch, caveats=caveats(arch.rows, arch.coverage))
    heat = Heatmap(
        "factor", "task", ("provenance.dataset_details", "portability.license"),
        ("text-classification", "translation"),
        ((Row("text-classification", 5, 10), Row("translation", 0, 0)),
         (Row("text-classification", 10, 10), Row("translation", 1, 4))),
    )  # fmt: skip
    factors = Measurement(
        "factors_by_task", "Factors per task", "Share with each factor.",
        tuple(Row(f"{c.key} · {name}", c.numerator, c.denominator)
              for name, cells in zip(heat.rows, heat.cells, strict=True) for c in cells),
        heatmap=heat,
    )  # fmt: skip
    inputs = Measurement(
        "inputs", "Inputs", "Rows per source.", (Row("models: listing.csv", 1_000, 1_000),),
        notes=("listing.csv: models created 2020-01-01 to 2022-08-15",),
    )  # fmt: skip
    return StudyResult((claims, empty, arch, factors, inputs), paper_source="shipped")


def test_ours_beside_the_papers_with_a_delta_in_every_format() -> None:
    result = _result()
    claims = result.measurements[0]
    items = {item.key: item for item in claims.comparison()}
    assert items["token-classification"].delta == pytest.approx(0.2 - 526 / 3130)
    assert items["translation"].ours is None and items["translation"].delta is None
    assert items["all"].paper is None
    html = STUDY_FORMATS.render("html", result)
    assert "<td>20.0%</td><td>80 / 400</td><td>16.8% (526 / 3,130)</td><td>+3.2 pp</td>" in html
    markdown = STUDY_FORMATS.render("markdown", result)
    assert "| token-classification | 20.0% | 80 / 400 | 16.8% (526 / 3,130) | +3.2 pp |" in markdown
    text = STUDY_FORMATS.render("text", result)
    assert "+3.2 pp" in text and "16.8% (526 / 3,130)" in text
    data = json.loads(STUDY_FORMATS.render("json", result))
    rows = data["measurements"][0]["paper_rows"]
    assert rows[0] == {"key": "token-classification", "share": 526 / 3130, "numerator": 526,
                       "denominator": 3130}  # fmt: skip


@pytest.mark.parametrize("name", ["html", "markdown", "text"])
def test_zero_of_zero_is_na_never_zero_percent(name: str) -> None:
    text = STUDY_FORMATS.render(name, _result())
    if name == "html":
        assert "<td>verified</td><td>n/a</td><td>0 / 0</td>" in text
        assert ">n/a</td>" in text.split('<table class="heat">')[1]  # the 0/0 heatmap cell
    elif name == "markdown":
        assert "| verified | n/a | 0 / 0 |" in text
    else:
        line = next(line for line in text.splitlines() if "verified " in line and "0 / 0" in line)
        assert "n/a" in line and not re.search(r"(?<![\d.])0\.0%", line)
    # the only 0.0% is the coverage of 0 authors out of 50: a measured zero
    assert len(re.findall(r"(?<![\d.])0\.0%", text)) == 1 and "0 of 50" in text


def test_caveats_state_the_coverage_and_small_samples() -> None:
    low = caveats((Row("None", 980, 1_000),), Coverage(20, 1_000, "packages with a config"))
    assert any("20 of 1,000 (2.0%)" in c and "packages with a config" in c for c in low)
    assert any("n = 20" in c for c in low)  # 20 < SMALL_N
    one = caveats((Row("pickle-only", 1, 1),), Coverage(1, 25_185, "packages with a file list"))
    assert any("1 of 25,185" in c for c in one) and any("n = 1 " in c for c in one)
    assert caveats((Row("x", 600, 1_000),), Coverage(900, 1_000, "packages")) == ()
    none = caveats((Row("verified", 0, 0),), Coverage(0, 50, "authors with the flag"))
    assert none and none[0].startswith("No data") and "0 of 50" in none[0]
    small = caveats((Row("any signed commit", 1, 6),), None)
    assert small and "n = 6" in small[0]
    assert SMALL_N > 6 and 0 < COVERAGE_MIN < 1
    html = STUDY_FORMATS.render("html", _result())
    assert html.count('class="caveat"') == 3  # none, low coverage and n = 20 (architectures)
    assert "(caveat)" in html  # marked in the contents too


def test_heatmap_and_contents_read_without_javascript() -> None:
    html = STUDY_FORMATS.render("html", _result())
    assert "<script" not in html and html.count('<table class="heat">') == 1
    assert 'href="#claims_by_task"' in html and 'id="claims_by_task"' in html
    assert 'class="na" title="provenance.dataset_details, translation: 0 / 0">n/a' in html
    assert "<summary>All 4 rows as a table</summary>" in html  # the long table folds away
    markdown = STUDY_FORMATS.render("markdown", _result())
    assert "| factor | text-classification | translation |" in markdown
    assert "| portability.license | 100.0% | 25.0% |" in markdown


def test_long_labels_are_fitted_and_kept_whole_in_the_title() -> None:
    assert text_width("m" * 10) > text_width("i" * 10)
    short = fit(LONG, 198)
    assert short.endswith("…") and text_width(short) <= 198 and len(short) < len(LONG)
    html = STUDY_FORMATS.render("html", _result())
    assert f"<title>{LONG}: ours 25.0% (3 / 12)</title>" in html
    assert f">{short}</text>" in html
    assert 'viewBox="0 0 640 ' in html and 'width="100%"' in html


def test_shipped_paper_values_are_structured_and_match_their_wording() -> None:
    raw = json.loads((resources.files("ptmscope") / "data" / "paper_values.json").read_text())
    shipped = {p.id: p for p in shipped_paper()}
    for value in raw["values"]:
        parsed = parse_paper_rows(value["id"], value["value"], value["denominator"])
        rows = shipped[value["id"]].rows
        assert [r.key for r in rows] == [r.key for r in parsed]
        assert [round(r.share, 6) for r in rows] == [round(r.share, 6) for r in parsed]
    assert {key for key, p in shipped.items() if p.rows} == {"M1", "M2", "M4", "M6", "M7"}
    claims = {r.key: r for r in shipped["M4"].rows}
    assert (claims["all"].numerator, claims["all"].denominator) == (2594, 62467)
    assert parse_paper_rows("M12", "about 80%") == ()  # prose stays prose


def test_paper_file_overrides_and_none_drops_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "db"
    assert main(["study", "ingest", "--db", str(db), "--workers", "1",
                 *map(str, _sources(tmp_path))]) == 0  # fmt: skip
    capsys.readouterr()
    paper = tmp_path / "paper.csv"
    with paper.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "measurement", "paper_value", "denominator"])
        writer.writerow(["M7", "Architectures", "None 50.0%, bert 25.0%. Notes follow.", "-"])
        writer.writerow(["M2", "Signed", "3 (30%)", "10 repositories"])

    def report(*extra: str) -> dict[str, dict]:  # type: ignore[type-arg]
        assert main(["study", "report", "--db", str(db), "--format", "json", *extra]) == 0
        return {m["id"]: m for m in json.loads(capsys.readouterr().out)["measurements"]}

    shipped = report()
    assert [r["key"] for r in shipped["architectures"]["paper_rows"]][:2] == ["None", "bert"]
    assert shipped["architectures"]["paper_rows"][1]["share"] == pytest.approx(0.164)
    assert shipped["inputs"]["rows"]  # the summary's inputs
    overridden = report("--paper", str(paper))
    assert [(r["key"], r["share"]) for r in overridden["architectures"]["paper_rows"]] == [
        ("None", 0.5), ("bert", 0.25)]  # fmt: skip
    signed = overridden["commit_signing"]["paper_rows"]  # the value's own percentage
    assert [(r["key"], r["share"], r["numerator"]) for r in signed] == [
        ("any signed commit", 0.3, 3)]  # fmt: skip
    assert overridden["claims_by_task"]["paper_rows"] == []  # not in that file
    bare = report("--paper", "none")
    assert all(m["paper_rows"] == [] for m in bare.values())


def _check_in_browser(page_url: str, shots: Path, name: str) -> None:
    for width in WIDTHS:
        page = browser.render(page_url, width, evaluate={"clipped": CLIPPED, "outside": OUTSIDE})
        (shots / f"{name}-{width}.png").write_bytes(page.png)
        assert page.console_errors == (), page.console_errors
        assert not page.overflows, f"{width} px: scrollWidth {page.scroll_width}"
        assert page.values["clipped"] == [], page.values["clipped"]
        assert page.values["outside"] == [], page.values["outside"]
        assert browser.png_ink(page.png) > INK, f"{name} at {width} px looks blank"


def _shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``PTMSCOPE_SCREENSHOTS`` if set (kept), else the test's folder."""
    folder = Path(os.environ.get("PTMSCOPE_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    if browser.chromium() is None:
        pytest.skip(browser.NO_BROWSER)
    page = tmp_path / "report.html"
    page.write_text(STUDY_FORMATS.render("html", _result()), encoding="utf-8")
    _check_in_browser(page.as_uri(), _shots(tmp_path), "study-fixture")


def test_browser_check_fails_on_what_it_checks(tmp_path: Path) -> None:
    """The checks above can fail: a page that overflows, logs an error and clips a label."""
    if browser.chromium() is None:
        pytest.skip(browser.NO_BROWSER)
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!doctype html><body><div style='width:2000px'>wide</div>"
        "<svg class='chart' viewBox='0 0 100 20' width='100%'><text class='label' x='60' y='15' "
        "data-room='10'>a label far too long</text></svg>"
        "<script>console.error('boom')</script></body>"
    )
    page = browser.render(bad.as_uri(), 600, evaluate={"clipped": CLIPPED, "outside": OUTSIDE})
    assert page.overflows and any("boom" in e for e in page.console_errors)
    assert page.values["clipped"] == ["a label far too long"]
    assert page.values["outside"] == ["a label far too long"]
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><body style='background:#fff'></body>")
    assert browser.png_ink(browser.render(blank.as_uri(), 600).png) == 0.0


@pytest.mark.slow
@pytest.mark.skipif(
    not (SHARED_DATA / "cards.parquet").exists(), reason="shared registry data absent"
)
def test_real_registry_report_in_headless_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if browser.chromium() is None:
        pytest.skip(browser.NO_BROWSER)
    sources = [SHARED_DATA / "listing_2023.csv.gz", SHARED_DATA / "cards.parquet",
               SHARED_DATA / "git_repos"]  # fmt: skip
    assert main(["study", "ingest", "--db", str(tmp_path / "db"), *map(str, sources)]) == 0
    page = tmp_path / "report.html"
    assert main(["study", "report", "--db", str(tmp_path / "db"), "-o", str(page)]) == 0
    capsys.readouterr()
    html = page.read_text()
    # the architectures of the shared data are known for about 2% of packages: said so
    section = html.split('id="architectures"')[1].split("</section>")[0]
    assert "Caveat:</b> Low coverage" in section and "34.4%" in section
    signing = html.split('id="commit_signing"')[1].split("</section>")[0]
    assert "n = 6" in signing  # six git histories
    assert html.count('<table class="heat">') == 2
    _check_in_browser(page.as_uri(), _shots(tmp_path), "study-real")
