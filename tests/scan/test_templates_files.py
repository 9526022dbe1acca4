"""Chat templates in every file transformers reads them from, written by transformers itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.scanner import scan_bytes, scan_file
from ptmscope.scan.templates import check_template, template_entries
from tests.scan.generated.config_cases import CHATML, GENERATION_TEMPLATE

ESCAPE = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"


def test_transformers_tags_parse() -> None:
    """``{% generation %}`` and ``{% break %}`` are parsed as transformers parses them;
    before, both were template syntax errors (an error verdict for honest templates)."""
    assert check_template(GENERATION_TEMPLATE) == ([], None)


def test_template_shapes() -> None:
    assert template_entries("x") == [("default", "x")]
    assert template_entries([{"name": "a", "template": "t"}, {"name": "b"}]) == [("a", "t")]
    assert template_entries({"default": "d", "tool_use": "u", "n": 1}) == [
        ("default", "d"),
        ("tool_use", "u"),
    ]


@pytest.mark.parametrize(
    "text",
    [ESCAPE, "  \n{%- set x = 1 -%}" + ESCAPE, "Human: hi\n" + ESCAPE, "{# comment #}" + ESCAPE],
)
def test_standalone_template_is_checked_wherever_the_tag_is(text: str) -> None:
    result = scan_bytes(text.encode(), "chat_template.jinja")
    assert result.verdict is FileVerdict.MALICIOUS
    assert result.format == "chat-template"


def test_text_with_braces_is_not_claimed() -> None:
    result = scan_bytes(b"Use {{ name }} in your prompt, see docs.\n", "README.md")
    assert result.format == "unknown" and not result.findings and not result.errors


def test_json_template_mapping_is_checked() -> None:
    data = json.dumps({"chat_template": {"default": CHATML, "rag": ESCAPE}}).encode()
    result = scan_bytes(data, "chat_template.json")
    assert result.verdict is FileVerdict.MALICIOUS
    assert all("chat_template[rag]" in f.message for f in result.findings)


def test_templates_saved_by_transformers_are_clean(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    model = tokenizers.models.WordLevel({"[UNK]": 0, "hi": 1}, unk_token="[UNK]")
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizers.Tokenizer(model), unk_token="[UNK]"
    )
    tokenizer.chat_template = {"default": CHATML, "tool_use": GENERATION_TEMPLATE}
    tokenizer.save_pretrained(tmp_path)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.jinja"))
    assert written  # transformers writes standalone .jinja files
    for path in tmp_path.rglob("*"):
        if path.is_file():
            result = scan_file(path)
            assert result.verdict is FileVerdict.CLEAN, (path.name, result.findings, result.errors)
    jinja = next(tmp_path.rglob("*.jinja"))
    jinja.write_text(jinja.read_text() + ESCAPE)
    assert scan_file(jinja).verdict is FileVerdict.MALICIOUS
