from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmscope.audit import audit, evaluate
from ptmscope.probes import all_probes
from ptmscope.probes.base import Outcome, Severity
from ptmscope.scoring import FACTORS


def findings(root: Path) -> dict[str, object]:
    return {f.probe: f for f in audit(root).findings}


def test_every_table_i_factor_has_a_probe_with_a_definition() -> None:
    ids = {p.id for p in all_probes()}
    for attribute, factors in FACTORS.items():
        for factor in factors:
            assert f"{attribute}.{factor}" in ids
    for probe in all_probes():
        d = probe.definition
        assert d.motivation and d.implementation and d.remediation
        if d.kind == "risk":
            assert d.severity is not None and d.stride


def test_full_package_documents_most_factors(make_package) -> None:  # type: ignore[no-untyped-def]
    result = audit(make_package())
    outcome = {f.probe: f.outcome for f in result.findings}
    for probe in (
        "provenance.dataset_details",
        "provenance.performance_table",
        "provenance.architecture_details",
        "provenance.training_logs",
        "reproducibility.hardware_spec",
        "reproducibility.training_config",
        "reproducibility.demos",
        "portability.license",
        "portability.latency",
        "portability.cost_estimate",
    ):
        assert outcome[probe] == Outcome.PRESENT, probe
    assert outcome["portability.quantized_model"] == Outcome.MISSING
    assert outcome["portability.environment_image"] == Outcome.MISSING
    assert outcome["risk.pickle_weights"] == Outcome.CLEAR
    assert outcome["risk.claims_unparseable"] == Outcome.CLEAR
    assert outcome["risk.upstream_unpinned"] == Outcome.DETECTED  # bert-base-uncased, imdb
    # Without metadata or history, popularity and maintenance are unknown, not zero.
    assert result.scorecard.attribute("popularity").score is None
    assert result.scorecard.attribute("maintenance").score is None


def test_pickle_only_weights_and_custom_code(make_package) -> None:  # type: ignore[no-untyped-def]
    root = make_package(
        safetensors=False,
        torch_bin=True,
        config={"auto_map": {"AutoModel": "modeling_tiny.TinyModel"}},
        files={"modeling_tiny.py": "raise SystemExit('imported!')\n"},
    )
    result = audit(root)
    risks = {f.probe: f for f in result.scorecard.risks}
    assert risks["risk.pickle_weights"].severity is Severity.HIGH
    assert "torch-zip" in risks["risk.pickle_weights"].evidence[0].detail
    assert {e.location for e in risks["risk.remote_code"].evidence} == {
        "config.json#auto_map",
        "modeling_tiny.py",
    }
    assert result.scorecard.overall is not None and result.scorecard.overall <= 5.0
    assert result.scorecard.verdict == "review"
    # High risks come before missing factors in what to fix first.
    assert set(result.scorecard.priorities[:2]) == {"risk.pickle_weights", "risk.remote_code"}
    assert "portability.quantized_model" in result.scorecard.priorities


def test_template_only_card_and_unknown_license(make_package) -> None:  # type: ignore[no-untyped-def]
    card = "---\nlicense: my-own-license\n---\n# Model Card for Model ID\n\n## Model Details\n\n[More Information Needed]\n"
    result = audit(make_package(card=card))
    found = {f.probe: f for f in result.findings}
    assert found["risk.license"].outcome == Outcome.DETECTED
    assert "my-own-license" in found["risk.license"].message
    assert found["reproducibility.documentation"].outcome == Outcome.MISSING
    empty = audit(
        make_package("empty-card", card="# Model Card for Model ID\n\n[More Information Needed]\n")
    )
    assert {f.probe for f in empty.scorecard.risks} >= {"risk.card_missing", "risk.license"}


def test_other_license_needs_name_and_link(make_package) -> None:  # type: ignore[no-untyped-def]
    bare = audit(
        make_package("a", card="---\nlicense: other\n---\n# m\ntext text text text text\n")
    )
    named = audit(
        make_package(
            "b",
            card="---\nlicense: other\nlicense_name: acme\nlicense_link: LICENSE\n---\n# m\ntext words\n",
        )
    )
    assert any(f.probe == "risk.license" for f in bare.scorecard.risks)
    assert not any(f.probe == "risk.license" for f in named.scorecard.risks)


def test_unknown_outcomes_are_left_out_of_scores(make_package) -> None:  # type: ignore[no-untyped-def]
    package = audit(make_package()).package
    from dataclasses import FrozenInstanceError

    from ptmscope.probes.base import Finding, Probe

    probes = [p for p in all_probes() if p.definition.attribute == "provenance"]
    unknown = Probe(probes[0].definition, lambda _: Finding(probes[0].id, Outcome.UNKNOWN, "?"))
    with_unknown = evaluate(package, [unknown, *probes[1:]]).scorecard.attribute("provenance")
    without = evaluate(package, probes[1:]).scorecard.attribute("provenance")
    assert with_unknown.score == without.score and with_unknown.known == without.known
    broken = Probe(probes[0].definition, lambda _: 1 / 0)  # type: ignore[arg-type,return-value]
    assert evaluate(package, [broken]).findings[0].outcome == Outcome.UNKNOWN
    with pytest.raises(FrozenInstanceError):
        package.name = "changed"  # type: ignore[misc]


def test_quantized_and_container_evidence(make_package) -> None:  # type: ignore[no-untyped-def]
    root = make_package(
        config={"quantization_config": {"bits": 4}},
        files={
            "Dockerfile": "FROM python:3.11\n",
            "model-q4_k_m.gguf": b"GGUF\x03\x00\x00\x00" + b"\x00" * 64,
        },
    )
    found = findings(root)
    assert found["portability.quantized_model"].outcome == Outcome.PRESENT  # type: ignore[attr-defined]
    assert found["portability.environment_image"].outcome == Outcome.PRESENT  # type: ignore[attr-defined]
    weights = {w.path: w.format for w in audit(root).package.weights}
    assert weights["model-q4_k_m.gguf"] == "gguf"


def test_corrupt_safetensors_header_is_reported(make_package) -> None:  # type: ignore[no-untyped-def]
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 9999]}}
    ).encode()
    blob = len(header).to_bytes(8, "little") + header + b"\x00" * 64
    result = audit(make_package(safetensors=False, files={"model.safetensors": blob}))
    quality = {f.probe: f for f in result.findings}["quality.weights_intact"]
    assert quality.outcome == Outcome.MISSING and "outside the file" in quality.evidence[0].detail


@pytest.mark.parametrize("truncate", [4, 100])
def test_truncated_weights_do_not_crash(make_package, truncate: int) -> None:  # type: ignore[no-untyped-def]
    root = make_package()
    data = (root / "model.safetensors").read_bytes()
    (root / "model.safetensors").write_bytes(data[:truncate])
    result = audit(root)
    weight = result.package.weights[0]
    assert weight.error is not None
