"""Comparison tables: only this model's numbers are its claims (issue 12's labelled cards)."""

from __future__ import annotations

from ptmscope.card.claims import from_tables
from ptmscope.package import CardLine


def _lines(text: str) -> list[CardLine]:
    return [CardLine(i, line, False) for i, line in enumerate(text.splitlines(), 1)]


def test_this_models_column_with_benchmarks_as_rows() -> None:
    table = (
        "| Benchmark | Metric | Tiny-7B | Other-7B |\n"
        "|---|---|---|---|\n"
        "| MMLU | 5-shot | 64.3 | 60.1 |\n"
        "| HellaSwag | 0-shot | 81.2 | 79.0 |\n"
    )
    claims = from_tables(_lines(table), "README.md", "text-generation", "acme/tiny-7b")
    assert [(c.dataset, c.label, c.raw) for c in claims] == [
        ("MMLU", "5-shot", "64.3"),
        ("HellaSwag", "0-shot", "81.2"),
    ]


def test_this_models_row_with_benchmarks_as_columns() -> None:
    table = (
        "| Model | MNLI | SST-2 |\n"
        "|---|---|---|\n"
        "| Tiny base | 84.6 | 92.9 |\n"
        "| Other base | 81.0 | 90.0 |\n"
    )
    claims = from_tables(_lines(table), "README.md", None, "acme/tiny-base")
    assert [(c.dataset, c.raw) for c in claims] == [("MNLI", "84.6"), ("SST-2", "92.9")]
    assert from_tables(_lines(table), "README.md", None, "acme/unrelated") == []
