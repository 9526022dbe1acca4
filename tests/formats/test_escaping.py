"""Package-controlled strings (file names, card claims) cannot drive the terminal or the Markdown.

A real package folder holds a pickle (an inert canary: never loaded) whose file
name carries ESC sequences, a newline, a bidi override, rich markup and Markdown
specials; its card's claims carry more. audit, scan and verify render it through
the real CLI in text and Markdown: no raw control character reaches the output,
the escaped forms do, and JSON keeps the raw name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ptmscope.cli import main
from ptmscope.formats.escape import markdown, markdown_code, markup, visible

pytestmark = pytest.mark.adversarial

HOSTILE = "evil\x1b[2J\x1b[31mname\nX\u202e[bold]big[red]|`<b>`\u2066.bin"
# A pickle that would call os.system('echo') if it were ever loaded: scanned, never run.
CANARY = b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00echoq\x01\x85q\x02Rq\x03."
CARD = """---
license: mit
model-index:
- name: m
  results:
  - task: {type: text-classification}
    dataset: {name: "imdb\\e[2J|x\\u202e", type: "imdb\\e[2J"}
    metrics:
    - {type: "accuracy\\e]0;pwned\\a", value: 0.9, name: "[bold]acc\\nX"}
---
# m
"""
# Everything a terminal or an editor obeys instead of showing; the renderers' own line breaks aside.
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


@pytest.fixture
def hostile(make_package: Callable[..., Path]) -> Path:
    return make_package("pkg", card=CARD, safetensors=False, files={HOSTILE: CANARY})


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps at 80 otherwise, splitting "\u202e"


def _assert_safe(out: str) -> None:
    assert not RAW_CONTROL.findall(out), RAW_CONTROL.findall(out)[:5]
    assert "name\nX" not in out  # the file name's newline cannot forge a line


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def test_audit_text_shows_names_escaped(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "audit", str(hostile), "--format", "text")
    assert code == 0
    _assert_safe(out)
    assert "evil\\x1b[2J\\x1b[31mname\\nX\\u202e[bold]big[red]|`<b>`\\u2066.bin" in out
    assert "accuracy\\x1b]0;pwned\\x07" in out  # a claim's metric name (an OSC title sequence)


def test_audit_markdown_escapes_cells(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "audit", str(hostile), "--format", "markdown")
    assert code == 0
    _assert_safe(out)
    assert "\\\\x1b\\[2J" in out and "\\\\u202e" in out  # renders as \x1b[2J and \u202e
    assert "<b>" not in out and "\\<b\\>" in out and "\\|\\`" in out
    header = {"| Severity | Risk | STRIDE | Finding | Evidence |": 5, "| Factor |": 3}
    columns = 0
    for line in out.splitlines():
        if not line.startswith("|"):
            columns = 0
            continue
        cells = len(re.findall(r"(?<!\\)\|", line)) - 1  # unescaped pipes delimit cells
        columns = columns or next((n for h, n in header.items() if line.startswith(h)), cells)
        assert cells == columns, line


def test_json_keeps_the_raw_name(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "audit", str(hostile), "--format", "json")
    assert code == 0
    findings = json.loads(out)["findings"]
    assert HOSTILE in {e["location"] for f in findings for e in f["evidence"]}


def test_scan_text_shows_names_escaped(
    hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, "scan", str(hostile))
    assert code == 1  # the canary is malicious
    _assert_safe(out)
    assert "[bold]big[red]" in out  # literal text, not rich markup
    assert "\\x1b[2J" in out and "\\u2066.bin" in out
    written = tmp_path / "scan.txt"
    assert main(["scan", str(hostile), "-o", str(written)]) == 1
    saved = written.read_text("utf-8")
    _assert_safe(saved)
    assert "\\nX\\u202e" in saved


def test_verify_text_and_markdown_escape_claims(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, "verify", str(hostile))
    assert code == 0
    _assert_safe(out)
    assert "imdb\\x1b[2J" in out and "accuracy\\x1b]0;pwned\\x07" in out
    code, out = _run(capsys, "verify", str(hostile), "--format", "markdown")
    assert code == 0
    _assert_safe(out)
    assert "imdb\\\\x1b\\[2J" in out and "accuracy\\\\x1b]0;pwned\\\\x07" in out
    row = next(line for line in out.splitlines() if line.startswith("| model-index"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 10  # nine cells


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("line\nbreak\r\ttab", "line\\nbreak\\r\\ttab"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("abc\u202edef\u2066\u2069", "abc\\u202edef\\u2066\\u2069"),
        ("plain name.bin", "plain name.bin"),
    ],
)
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_markdown_helpers() -> None:
    assert markdown("a|b") == "a\\|b"
    assert markdown("a\\|b") == "a\\\\\\|b"  # a backslash in the input cannot un-escape the pipe
    assert markdown("<script>x</script>") == "\\<script\\>x\\</script\\>"
    assert markdown("[click](https://evil)") == "\\[click](https://evil)"
    assert markdown("# heading") == "\\# heading"
    assert markdown("1. item") == "1\\. item"
    assert markdown("0.91") == "0.91"
    assert markdown("pytorch_model.bin") == "pytorch_model.bin"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("a|b", table=True) == "`a\\|b`"
    assert markup("[bold]x[/bold]") == "\\[bold]x\\[/bold]"
    assert visible("keep\nlines\x1b", newlines=True) == "keep\nlines\\x1b"
