"""``compare`` on real packages: the demo package, a shared git repository at two revisions,
and a folder holding only a model card."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from ptmscope.api import compare
from ptmscope.cli import main
from ptmscope.demo import demo_model_path
from ptmscope.errors import InputError
from ptmscope.formats.compare import COMPARE_FORMATS
from ptmscope.formats.schemas import load

GIT_REPOS = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "registry" / "git_repos"
)
GPT2 = GIT_REPOS / "gpt2-xl.git"
BEFORE_CARD = "82bb810"
"""gpt2-xl before its model card was added (commit 208c706 added it)."""
POLICIES = Path(__file__).resolve().parents[2] / "examples" / "policies"

CARD = """---
license: mit
base_model: acme/base
tags: [text-classification]
---
# Card-only model

Fine-tuned from acme/base on the SST-2 training split. Accuracy on SST-2 validation: 0.91.
"""


@pytest.fixture
def card_only(tmp_path: Path) -> Path:
    folder = tmp_path / "card-only"
    folder.mkdir()
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    return folder


def _schema_valid(data: object) -> None:
    jsonschema.Draft202012Validator(load("compare.schema.json")).validate(data)


def test_demo_and_a_card_only_folder(card_only: Path) -> None:
    result = compare([str(demo_model_path()), str(card_only)])
    assert [m.ref for m in result.models] == [str(demo_model_path()), str(card_only)]
    assert result.row("license").values == (("apache-2.0",), ("mit",))
    assert result.row("license").differs
    assert result.row("formats").values == (("safetensors",), ())
    assert result.row("parameters").values == (22_713_728, None)
    assert result.row("scan.verdict").values[0] == "clean"
    assert result.row("signature.state").values == ("unsigned", "unsigned")
    assert not result.row("signature.state").differs
    inherited = result.row("license.inherited").values[1]
    assert isinstance(inherited, tuple) and inherited and inherited[0].startswith("acme/base:")
    assert result.row("lineage.depth").values == (0, 1)
    overall = result.row("summary.overall").values
    assert isinstance(overall[0], float) and isinstance(overall[1], float)
    assert overall[0] > overall[1]  # weights, config and a fuller card beat a card alone
    keys = [r.key for r in result.rows]
    assert "downloads" not in keys and "policy.decision" not in keys  # no metadata, no policy
    assert result.task is None
    data = result.data()
    _schema_valid(data)
    assert len(data["models"]) == 2 and all(len(r["values"]) == 2 for r in data["rows"])


@pytest.mark.skipif(not GPT2.is_dir(), reason="shared git repositories absent")
def test_a_shared_git_repository_at_two_revisions() -> None:
    result = compare([f"{GPT2}@{BEFORE_CARD}", f"{GPT2}@main"])
    first, second = result.models
    assert first.revision == BEFORE_CARD and second.revision == "main"
    assert first.commit is not None and first.commit.startswith(BEFORE_CARD)
    assert second.commit is not None and second.commit != first.commit
    assert result.row("license").values == ((), ("mit",))  # the card (and licence) came later
    claims = result.row("claims").values
    assert claims[0] == () and isinstance(claims[1], tuple) and len(claims[1]) >= 5
    assert result.row("card.factors").differs
    factors = result.row("card.factors").values
    assert isinstance(factors[0], tuple) and isinstance(factors[1], tuple)
    assert len(factors[1]) > len(factors[0])
    # the weights are LFS pointers in a bare clone: "clean" never covers what was not scanned
    verdict = result.row("scan.verdict").values[1]
    assert isinstance(verdict, str) and verdict.startswith("clean (")
    assert verdict.endswith("weight files not scanned)")
    _schema_valid(result.data())


def test_text_and_markdown_mark_the_rows_that_differ(card_only: Path) -> None:
    result = compare([str(demo_model_path()), str(card_only)])
    text = COMPARE_FORMATS.render("text", result)
    licence = next(
        line for line in text.splitlines() if "licence" in line and "inherited" not in line
    )
    signature = next(line for line in text.splitlines() if "signature" in line)
    assert "≠" in licence and "≠" not in signature
    markdown = COMPARE_FORMATS.render("markdown", result)
    assert "| **licence** ≠ | **apache-2.0** | **mit** |" in markdown
    assert "| signature | unsigned | unsigned |" in markdown


def test_package_text_cannot_forge_markdown(tmp_path: Path) -> None:
    hostile = tmp_path / "a|b"
    hostile.mkdir()
    (hostile / "README.md").write_text("---\nlicense: '<script>x</script>'\n---\n# x\n")
    other = tmp_path / "plain"
    other.mkdir()
    (other / "README.md").write_text("# y\n")
    markdown = COMPARE_FORMATS.render("markdown", compare([str(hostile), str(other)]))
    assert "<script>" not in markdown and "a\\|b" in markdown


def test_cli_json_policy_and_exit_codes(
    card_only: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = POLICIES / "strict.yaml"
    code = main(["compare", str(demo_model_path()), str(card_only), "--policy", str(policy),
                 "--format", "json"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    _schema_valid(data)
    decisions = next(r for r in data["rows"] if r["key"] == "policy.decision")["values"]
    assert decisions[1] == "deny"  # a card alone is far below the strict overall minimum of 6
    assert decisions[0] in ("allow", "warn", "deny")
    assert code == 1 and str(card_only) in data["failing"]
    assert main(["compare", str(card_only)]) == 2
    assert "at least 2 models" in capsys.readouterr().err
    assert main(["compare", str(card_only), str(card_only / "absent")]) == 2
    assert main(["compare", str(card_only), str(demo_model_path()), "--data", "nope.csv"]) == 2


def test_a_model_named_twice_and_a_git_revision_of_a_plain_folder(card_only: Path) -> None:
    with pytest.raises(InputError, match="twice"):
        compare([str(card_only), str(card_only)])
    copy = card_only.parent / "copy"
    shutil.copytree(card_only, copy)
    with pytest.raises(InputError, match="git repository"):
        compare([str(card_only), f"{copy}@main"])
