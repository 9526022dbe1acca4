from __future__ import annotations

import re

from ptmscope.package import fold_case
from ptmscope.probes.cues import fold_pattern


def test_fold_pattern_keeps_escapes() -> None:
    assert fold_pattern(r"\bA100\b|\S+ GB|[^\W_]|\D") == r"\ba100\b|\S+ gb|[^\W_]|\D"


def test_folded_matching_equals_ignorecase() -> None:
    patterns = [
        r"\b(A100|TPU ?v\d)\b",
        r"\b\d+(\.\d+)?\s*(GiB|GB) of (GPU )?(memory|RAM)\b",
        r"\*\*Model type:\*\*\s*\S",
    ]
    texts = [
        "Trained on 8 a100 and a TPU V3",
        "needs 6 GB of GPU Memory",
        "- **Model Type:** BERT",
        "nothing",
    ]
    for pattern in patterns:
        ignorecase = re.compile(pattern, re.IGNORECASE)
        folded = re.compile(fold_pattern(pattern))
        for text in texts:
            assert bool(ignorecase.search(text)) == bool(folded.search(fold_case(text))), (
                pattern,
                text,
            )


def test_fold_case_keeps_offsets() -> None:
    text = "İstanbul MODEL"  # 'İ' grows when lower-cased
    folded = fold_case(text)
    assert len(folded) == len(text) and folded.endswith("model")


def _all_cue_patterns() -> list[str]:
    import importlib
    import pkgutil

    import ptmscope.probes as probes
    from ptmscope.probes.cues import Cues

    found: list[str] = []
    for module in pkgutil.iter_modules(probes.__path__):
        cues = getattr(importlib.import_module(f"ptmscope.probes.{module.name}"), "CUES", None)
        if isinstance(cues, Cues):
            found += [*cues.prose, *cues.code, *cues.headings, *cues.files]
    return found


def test_required_literals_never_rule_out_a_match() -> None:
    """The prefilter may let a search run in vain, never skip one that would match."""
    from ptmscope.probes.literals import required_literals
    from tests.conftest import FULL_CARD, SHARED_DATA

    texts = [fold_case(line) for line in FULL_CARD.splitlines()]
    cards = SHARED_DATA / "cards.parquet"
    if cards.is_file():
        import pyarrow.parquet as pq

        rows = pq.read_table(cards, columns=["readme"]).slice(0, 1500).to_pylist()
        texts += [fold_case(line) for row in rows for line in (row["readme"] or "").splitlines()]
    checked = 0
    for pattern in _all_cue_patterns():
        folded = fold_pattern(pattern)
        literals = required_literals(folded)
        if literals is None:
            continue
        regex = re.compile(folded, re.MULTILINE)
        for text in texts:
            if regex.search(text):
                checked += 1
                assert any(literal in text for literal in literals), (pattern, literals, text)
    # The fixture card alone gives a few dozen matches; the real cards thousands.
    assert checked > (1000 if cards.is_file() else 20)


def test_required_literals_examples() -> None:
    from ptmscope.probes.literals import required_literals

    assert required_literals(r"\b(a100|tpu ?v\d)\b") == {"a100", "tpu"}
    assert required_literals(r"learning[_ ]rate\s*[:=]") == {"learning"}
    assert required_literals(r"\d+\s*(gb)?") is None  # nothing is required
    assert required_literals(r"^\s*\|") == {"|"}


def test_split_alternatives_keeps_groups_and_classes_whole() -> None:
    from ptmscope.probes.cues import split_alternatives

    assert split_alternatives(r"a(b|c)|[|x]d|\|e") == ("a(b|c)", "[|x]d", r"\|e")
