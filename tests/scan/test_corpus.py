"""The shared labelled corpus: every malicious file found, no benign one called malicious."""

from __future__ import annotations

import csv

import pytest

from ptmscope.results.scan import FileVerdict
from ptmscope.scan.scanner import scan_file
from tests.conftest import SHARED

CORPUS = SHARED / "data" / "scanner" / "corpus"


@pytest.mark.skipif(not (CORPUS / "labels.csv").exists(), reason="shared scanner corpus absent")
def test_corpus_accuracy() -> None:
    rows = list(csv.DictReader((CORPUS / "labels.csv").open()))
    missed, false_alarms = [], []
    for row in rows:
        result = scan_file(CORPUS / row["path"])
        flagged = result.verdict is FileVerdict.MALICIOUS
        if row["label"] == "malicious" and not flagged:
            missed.append(row["path"])
        if row["label"] == "benign" and flagged:
            false_alarms.append((row["path"], [f.message for f in result.findings]))
    assert len(rows) >= 90
    assert not missed and not false_alarms, (missed, false_alarms)
