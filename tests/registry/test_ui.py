"""``/ui/`` on a real ``registry serve`` (127.0.0.1), checked at the HTTP level: the HTML is
parsed with :mod:`html.parser` and compared with what the scorecard API says."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from ptmscope.registry.scorecards import HISTORY_FILE
from tests.conftest import FULL_CARD, git, write_safetensors
from tests.registry.conftest import Server, build_root
from tests.scan import builders as b

HOSTILE = "<script>alert(1)</script>"
POLICY = "version: 1\nchecks:\n  risk.malicious_serialization: {outcome: clear}\n"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


# ---------------------------------------------------------------- a tiny DOM
@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return " ".join(
            " ".join((c if isinstance(c, str) else c.text()).split()) for c in self.children
        ).strip()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                wanted = tag is None or child.tag == tag
                if wanted and all(child.attrs.get(k.rstrip("_")) == v for k, v in attrs.items()):
                    found.append(child)
                found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(body: bytes) -> Node:
    builder = _Builder()
    builder.feed(body.decode("utf-8"))
    builder.close()
    return builder.root


def get(server: Server, path: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.endpoint + path)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def page(server: Server, path: str, status: int = 200) -> Node:
    code, headers, body = get(server, path)
    assert code == status, body[:500]
    assert headers["content-type"].startswith("text/html")
    return parse(body)


def api(server: Server, path: str) -> Any:
    code, _, body = get(server, path)
    assert code == 200, body[:500]
    return json.loads(body)


def listed(doc: Node) -> list[str]:
    return [row.attrs["data-package"] for row in doc.one("table", id="packages").all("tr")
            if "data-package" in row.attrs]  # fmt: skip


def score_text(score: float) -> str:
    return "n/a" if score == -1 else f"{score:.1f}"


# ---------------------------------------------------------------- the registry
@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``build_root``'s packages, plus: ``acme/child`` (base model ``acme/tiny``),
    ``acme/vision`` (another task), ``bad/hostile`` (markup in every card field) and the
    git package ``acme/evolving`` whose second commit drops the licence and adds a
    malicious pickle (two audited commits: history and diff)."""
    built = build_root(tmp_path_factory.mktemp("ui") / "root")
    child = built / "acme" / "child"
    child.mkdir()
    (child / "README.md").write_text(
        "---\nlicense: mit\nbase_model: acme/tiny\npipeline_tag: text-classification\n---\n"
        "# child\n"
    )
    vision = built / "acme" / "vision"
    vision.mkdir()
    (vision / "README.md").write_text(
        "---\nlicense: mit\npipeline_tag: image-classification\n---\n"
    )
    write_safetensors(vision / "model.safetensors")
    hostile = built / "bad" / "hostile"
    hostile.mkdir(parents=True)
    (hostile / "README.md").write_text(
        f"---\nlicense: '{HOSTILE}'\npipeline_tag: '{HOSTILE}'\nbase_model: '{HOSTILE}'\n"
        f"tags: ['{HOSTILE}']\n---\n# {HOSTILE}\n\n| metric | value |\n|---|---|\n"
        f"| accuracy {HOSTILE} | 0.9 |\n"
    )
    work = built / "acme" / "evolving"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text(FULL_CARD)
    write_safetensors(work / "model.safetensors")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "first")
    git(work, "tag", "v1")
    (work / "README.md").write_text("---\npipeline_tag: text-classification\n---\n# v2\n")
    b.write_torch_zip(work / "pytorch_model.bin", built.parent / "MARKER")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "second")
    return built


AUDITED = ("acme/tiny", "acme/child", "acme/vision", "evil/zip", "bad/hostile", "acme/evolving")


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[Server]:
    """A registry whose dashboard was opened once before anything was audited, then with
    the packages of :data:`AUDITED` audited through the scorecard API (``acme/evolving`` at
    both commits); ``acme/history`` and ``acme/bare`` stay unaudited."""
    running = Server(root)
    try:
        doc = page(running, "/ui/")
        assert {r.attrs["data-state"] for r in doc.all("tr") if "data-state" in r.attrs} == {
            "not-audited"
        }, "the index audits nothing"
        assert not root.joinpath(".ptmscope", HISTORY_FILE).exists()
        api(running, "/api/v1/scorecards/acme/evolving?revision=v1")
        for repo_id in AUDITED:
            api(running, f"/api/v1/scorecards/{repo_id}")
        yield running
    finally:
        running.stop()


def card_of(server: Server, repo_id: str) -> Any:
    return api(server, f"/api/v1/scorecards/{repo_id}")


# ---------------------------------------------------------------- index
def test_the_index_lists_every_package_with_its_score_and_says_which_are_not_audited(
    server: Server,
) -> None:
    doc = page(server, "/ui/")
    models = [m["id"] for m in api(server, "/api/models?limit=1000")]
    assert sorted(listed(doc)) == sorted(models)
    rows = {r.attrs["data-package"]: r for r in doc.one("table", id="packages").all("tr")
            if "data-package" in r.attrs}  # fmt: skip
    for repo_id in AUDITED:
        card = card_of(server, repo_id)
        assert rows[repo_id].attrs["data-state"] == "audited"
        cells = rows[repo_id].all("td")
        assert cells[0].text() == score_text(card["score"]) and cells[1].text() == card["verdict"]
    for repo_id in ("acme/history", "acme/bare"):
        assert rows[repo_id].attrs["data-state"] == "not-audited"
        assert "not audited yet" in rows[repo_id].text()
    assert "2 not audited yet" in doc.one("p", class_="meta").text()
    assert rows["acme/tiny"].one("a").attrs["href"] == "/ui/acme/tiny"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "TINY"}, {"acme/tiny"}),
        ({"task": "image-classification"}, {"acme/vision"}),
        ({"license": "mit"}, {"acme/child", "acme/vision", "evil/zip"}),
        ({"format": "pytorch-zip"}, {"evil/zip", "acme/evolving"}),
        ({"verdict": "fail"}, {"evil/zip", "acme/evolving"}),
        ({"verdict": "not-audited"}, {"acme/history", "acme/bare"}),
        ({"license": "mit", "format": "safetensors"}, {"acme/vision"}),
        ({"task": "text-classification", "q": "evo"}, {"acme/evolving"}),
        ({"q": "no-such-package"}, set()),
    ],
)
def test_search_and_filters_narrow_the_list(
    server: Server, query: dict[str, str], expected: set[str]
) -> None:
    doc = page(server, "/ui/?" + urllib.parse.urlencode(query))
    assert set(listed(doc)) == expected
    for key, value in query.items():  # the form shows what is applied
        if key == "q":
            assert doc.one("input", id="q").attrs["value"] == value
        else:
            selected = [
                o for o in doc.one("select", name=key).all("option") if "selected" in o.attrs
            ]
            assert [o.attrs["value"] for o in selected] == [value]


def test_the_filters_offer_the_values_the_mirror_has(server: Server) -> None:
    doc = page(server, "/ui/")
    options = {
        key: {o.attrs["value"] for o in doc.one("select", name=key).all("option")}
        for key in ("task", "license", "format", "verdict")
    }
    assert {"text-classification", "image-classification", "(none)"} <= options["task"]
    assert {"mit", "apache-2.0"} <= options["license"]
    assert {"safetensors", "pytorch-zip"} <= options["format"]
    assert {"pass", "review", "fail", "not-audited"} <= options["verdict"]
    assert doc.one("form", role="search").attrs["method"] == "get"  # works without JavaScript


def test_the_leaderboard_per_task_is_sorted_by_score(server: Server) -> None:
    doc = page(server, "/ui/")
    boards = {t.attrs["data-task"]: t for t in doc.one("section", id="leaderboard").all("table")}
    assert {"text-classification", "image-classification"} <= boards.keys()
    board = boards["text-classification"]
    ranked = [r.attrs["data-package"] for r in board.all("tr") if "data-package" in r.attrs]
    assert {"acme/tiny", "acme/child", "acme/evolving"} <= set(ranked)
    scores = [card_of(server, repo_id)["score"] for repo_id in ranked]
    assert scores == sorted(scores, reverse=True)
    shown = [r.one("td", class_=r.all("td")[1].attrs["class"]).text() for r in board.all("tr")[1:]]
    assert shown == [score_text(s) for s in scores]
    assert ranked[0] == "acme/tiny"  # the full card beats the bare one


def test_sorting_by_score_puts_the_best_first_and_the_unaudited_last(server: Server) -> None:
    order = listed(page(server, "/ui/?sort=score"))
    assert order[-2:] and set(order[-2:]) == {"acme/history", "acme/bare"}
    scores = [card_of(server, repo_id)["score"] for repo_id in order[:-2]]
    assert scores == sorted(scores, reverse=True)


# ---------------------------------------------------------------- model page
def test_a_model_page_shows_the_checks_risks_and_scans_of_its_scorecard(server: Server) -> None:
    card = card_of(server, "evil/zip")
    doc = page(server, "/ui/evil/zip")
    assert doc.one(id="score").text() == f"{score_text(card['score'])} / 10"
    assert doc.one(id="verdict").text() == card["verdict"] == "fail"
    rows = [r for r in doc.one("table", id="checks-table").all("tr") if "data-check" in r.attrs]
    checks = {c["name"]: c for c in card["checks"] if c["kind"] != "risk"}
    assert [r.attrs["data-check"] for r in rows] == list(checks)
    for row in rows:
        check = checks[row.attrs["data-check"]]
        cells = row.all("td")
        assert row.one("a").attrs["href"] == check["documentation"]["url"]
        assert cells[1].text() == score_text(check["score"])
        assert cells[2].text() == " ".join(check["reason"].split())
        assert cells[4].text() == " ".join(check["remediation"].split())
        for detail in check["details"] or []:
            assert " ".join(detail.split()) in cells[3].text()
    risks = [r.attrs["data-risk"] for r in doc.one("table", id="risks-table").all("tr")
             if "data-risk" in r.attrs]  # fmt: skip
    assert risks == [r["probe"] for r in card["risks"]]
    assert "risk.malicious_serialization" in risks
    scans = {r.attrs["data-path"]: r.all("td")[1].text()
             for r in doc.one("table", id="scans-table").all("tr") if "data-path" in r.attrs}  # fmt: skip
    assert scans == {s["path"]: s["verdict"] for s in card["scans"]}
    assert scans["pytorch_model.bin"] == "malicious"


def test_a_model_page_shows_lineage_both_ways_and_claims(server: Server) -> None:
    child = page(server, "/ui/acme/child")
    bases = child.one("ul", id="bases")
    assert [a.attrs["href"] for a in bases.all("a")] == ["/ui/acme/tiny"]
    assert "bert-base-uncased" in bases.text() and "not in this mirror" in bases.text()
    tiny = page(server, "/ui/acme/tiny")
    assert [a.attrs["href"] for a in tiny.one("ul", id="dependents").all("a")] == ["/ui/acme/child"]
    claims = tiny.one("table", id="claims-table").all("tr")[1:]
    accuracy = next(r for r in claims if r.one("th").text() == "Accuracy")
    assert accuracy.all("td")[1].text() == "91.3"
    assert "not measured" in accuracy.all("td")[2].text()


def test_the_history_sparkline_and_the_diff_between_two_commits(server: Server) -> None:
    history = api(server, "/api/v1/scorecards/acme/evolving/history")["history"]
    assert len(history) == 2
    doc = page(server, "/ui/acme/evolving")
    spark = doc.one("svg", class_="spark")
    assert spark.attrs["role"] == "img" and spark.attrs["aria-label"].startswith("score history")
    dots = spark.all("circle")
    assert len(dots) == 2 and len(spark.all("polyline")) == 1
    old, new = (h["score"] for h in history)
    assert (float(dots[0].attrs["cy"]) < float(dots[1].attrs["cy"])) == (old > new)
    link = doc.one("a", id="diff-link").attrs["href"]
    assert link == f"/ui/acme/evolving/diff?from={history[0]['commit']}&to={history[1]['commit']}"
    diff = page(server, link)
    changes = api(server, link.replace("/ui/", "/api/v1/scorecards/", 1))
    changed = [r.attrs["data-check"] for r in diff.one("table", id="changed-table").all("tr")
               if "data-check" in r.attrs]  # fmt: skip
    assert changed == [c["name"] for c in changes["checks"]] and changed
    assert "risk.malicious_serialization" in diff.one("ul", id="appeared").text()
    assert diff.one(id="delta").text() == f"{changes['score_delta']:+.2f}"
    # the compare form offers the audited commits
    form = doc.one("form", action="/ui/acme/evolving/diff")
    assert {o.attrs["value"] for o in form.one("select", name="from").all("option")} == {
        h["commit"] for h in history
    }


def test_the_footer_links_the_api_and_every_link_answers(server: Server) -> None:
    doc = page(server, "/ui/acme/tiny")
    links = [a.attrs["href"] for a in doc.one("footer").all("a")]
    for expected in (
        "/api/v1/scorecards/acme/tiny",
        "/api/v1/scorecards/acme/tiny/history",
        "/badge/acme/tiny.svg",
        "/badge/acme/tiny.json",
        "/api/models/acme/tiny",
    ):
        assert expected in links
    for link in links:
        assert get(server, link)[0] == 200, link


@pytest.mark.parametrize("path", ["/ui/", "/ui/acme/evolving", "/ui/evil/zip"])
def test_every_form_control_has_a_label(server: Server, path: str) -> None:
    doc = page(server, path)
    labels = {label.attrs.get("for") for label in doc.all("label")}
    controls = [
        c
        for c in doc.all("input") + doc.all("select") + doc.all("textarea")
        if c.attrs.get("type") not in ("hidden", "submit")
    ]
    assert controls or path != "/ui/"
    for control in controls:
        assert control.attrs.get("id") in labels, control.attrs
    ids = [node.attrs["id"] for node in doc.all() if "id" in node.attrs]
    assert len(ids) == len(set(ids)), "ids are unique (labels and anchors point at one element)"
    for table in doc.all("table"):  # tables have header cells with a scope
        assert all(th.attrs.get("scope") in ("col", "row") for th in table.all("th"))


def test_hostile_cards_and_queries_are_escaped(server: Server) -> None:
    for path in (
        "/ui/bad/hostile",
        "/ui/?" + urllib.parse.urlencode({"q": HOSTILE}),
        "/ui/?" + urllib.parse.urlencode({"task": HOSTILE}),
        "/ui/",
        "/ui/acme/tiny/diff?" + urllib.parse.urlencode({"from": HOSTILE, "to": "main"}),
    ):
        code, headers, body = get(server, path)
        assert code in (200, 404), path
        assert b"<script" not in body.lower(), path
        assert not parse(body).all("script")
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
    text = page(server, "/ui/bad/hostile").text()
    assert HOSTILE in text  # shown as text, not dropped
    index = page(server, "/ui/?" + urllib.parse.urlencode({"q": HOSTILE}))
    assert index.one("input", id="q").attrs["value"] == HOSTILE


def test_errors_are_pages_with_the_right_status(server: Server) -> None:
    assert "not" in page(server, "/ui/acme/nope", 404).one("h1").text().lower()
    page(server, "/ui/acme/tiny?revision=deadbeef", 404)
    page(server, "/ui/acme/tiny/diff", 400)
    page(server, "/ui/acme/tiny/elsewhere", 404)
    page(server, "/ui/a/b/c/d", 404)


def test_pages_and_the_stylesheet_revalidate_with_etags(server: Server) -> None:
    code, headers, body = get(server, "/ui/static/ptmscope.css")
    assert code == 200 and headers["content-type"].startswith("text/css") and body
    request = urllib.request.Request(
        server.endpoint + "/ui/acme/tiny",
        headers={"If-None-Match": get(server, "/ui/acme/tiny")[1]["etag"]},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=60)
    assert raised.value.code == 304


# ---------------------------------------------------------------- style
def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_keep_a_contrast_of_4_5_and_nothing_has_a_fixed_width(server: Server) -> None:
    css = get(server, "/ui/static/ptmscope.css")[2].decode()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    pairs = {name[: -len("-fg")] for name in colours if name.endswith("-fg")}
    assert {"page", "link", "muted", "pass", "review", "fail", "none"} <= pairs
    for name in pairs:
        assert contrast(colours[f"{name}-fg"], colours[f"{name}-bg"]) >= 4.5, name
    # links and muted text sit on the page too, and the focus ring must stand out (3:1)
    for name in ("link", "muted"):
        assert contrast(colours[f"{name}-fg"], colours["page-bg"]) >= 4.5, name
    assert contrast(colours["focus"], colours["page-bg"]) >= 3
    assert ":focus-visible" in css
    assert not re.search(r"(?<![-\w])width:\s*\d+(\.\d+)?px", css)  # fluid: no fixed widths
    assert re.search(r"\.scroll\s*\{[^}]*overflow-x:\s*auto", css)
    assert 'name="viewport"' in get(server, "/ui/")[2].decode()


# ---------------------------------------------------------------- gateway
def test_with_a_gateway_a_denied_package_is_listed_with_its_decision_and_its_files_refused(
    root: Path, tmp_path: Path, make_server: Callable[..., Server]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    gateway = make_server(root, "--policy", str(policy), "--audit-log", str(tmp_path / "a.jsonl"))
    api(gateway, "/api/v1/scorecards/evil/zip")  # judged (and audited) once
    api(gateway, "/api/v1/scorecards/acme/tiny")
    doc = page(gateway, "/ui/")
    rows = {r.attrs["data-package"]: r for r in doc.one("table", id="packages").all("tr")
            if "data-package" in r.attrs}  # fmt: skip
    assert "deny: files refused" in rows["evil/zip"].all("td")[-1].text()
    assert rows["acme/tiny"].all("td")[-1].text().startswith("allow")
    assert rows["acme/history"].all("td")[-1].text() == "not judged yet"
    model = page(gateway, "/ui/evil/zip")
    assert "every file of this revision is refused" in model.one(id="denied").text()
    assert model.one(id="decision").text() == "deny"
    assert get(gateway, "/evil/zip/resolve/main/pytorch_model.bin")[0] == 403
    assert not (root.parent / "MARKER").exists()


def test_nothing_inspected_was_executed(server: Server, root: Path) -> None:
    page(server, "/ui/evil/zip")
    assert not (root.parent / "MARKER").exists()


def test_the_index_keeps_working_while_a_package_cannot_be_read(
    tmp_path: Path, make_server: Callable[..., Server]
) -> None:
    served = tmp_path / "root"
    good = served / "acme" / "good"
    good.mkdir(parents=True)
    (good / "README.md").write_text("---\nlicense: mit\n---\n")
    broken = served / "acme" / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nowhere\n")  # a git file pointing outside ROOT
    running = make_server(served)
    doc = page(running, "/ui/")
    assert listed(doc) == ["acme/good"]
    assert "acme/broken" in doc.one("section", **{"aria-labelledby": "unreadable-title"}).text()
    assert get(running, "/ui/acme/broken")[0] == 403  # refused as on every other route


# ---------------------------------------------------------------- a real browser
SHOT_WIDTHS = (360, 1400)
PAGE_CHECKS = {
    "score": "(document.querySelector('#score') || {}).textContent || null",
    "badge": "Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1)",
    "spark": "(() => { const s = document.querySelector('svg.spark'); "
    "return s ? s.getBoundingClientRect().width : 0; })()",
    "boards": "document.querySelectorAll('table.leaderboard').length",
    "focus": "(() => { const a = document.querySelector('a.skip'); a.focus(); "
    "const shown = document.activeElement === a && getComputedStyle(a).outlineStyle !== 'none'; "
    "a.blur(); return shown; })()",
}


@pytest.mark.parametrize("path", ["/ui/", "/ui/acme/evolving"])
def test_dashboard_pages_in_headless_chromium(server: Server, tmp_path: Path, path: str) -> None:
    """The pages in Debian's chromium at 360 and 1400 px: no console error (the CSP allows no
    script, so a violation would show), no sideways scroll, not blank, the skip link focusable
    with a visible outline, images loaded, and the model page's score equal to the API's."""
    import os

    from tests import browser

    if browser.chromium() is None:
        pytest.skip(browser.NO_BROWSER)
    shots = Path(os.environ.get("PTMSCOPE_SCREENSHOTS", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    name = "dashboard-index" if path == "/ui/" else "dashboard-model"
    for width in SHOT_WIDTHS:
        shown = browser.render(server.endpoint + path, width, evaluate=PAGE_CHECKS)
        (shots / f"{name}-{width}.png").write_bytes(shown.png)
        assert shown.console_errors == (), shown.console_errors
        assert not shown.overflows, f"{width} px: scrollWidth {shown.scroll_width}"
        assert browser.png_ink(shown.png) > 0.01, f"{name} at {width} px looks blank"
        assert shown.values["focus"] is True
        assert all(w > 0 for w in shown.values["badge"]), shown.values["badge"]
        if path == "/ui/":
            assert shown.values["boards"] >= 1
        else:
            score = card_of(server, "acme/evolving")["score"]
            assert shown.values["score"].startswith(f"{score:.1f}"), shown.values["score"]
            assert shown.values["spark"] > 0
