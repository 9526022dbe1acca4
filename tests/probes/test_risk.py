"""Risk probes: each detected on a real package that has the risk, clear on one that has not.

Malicious payloads are inert pickle opcodes written by hand; the tests assert the marker file
they would create never appears.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from ptmscope.audit import AuditOptions, audit, collect, evaluate
from ptmscope.probes.base import Outcome, Severity
from ptmscope.results.verify import ClaimResult, ClaimVerdict
from ptmscope.signing import TrustOptions
from tests.conftest import git, lfs_pointer, write_safetensors, write_torch_zip
from tests.probes.conftest import Build, card_with, probe_finding


def _system_pickle(marker: Path) -> bytes:
    """Protocol-0 pickle that would run ``touch marker`` if anyone loaded it."""
    return f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()


CUSTOM_CLASS_PICKLE = b"cmymodule\nMyModel\n)R."
"""Instantiates a class outside what loading a model needs: suspicious, not malicious."""


def test_card_missing_detected_without_readme_or_with_template_only(build: Build) -> None:
    absent = probe_finding(build(card=None, config={"model_type": "bert"}), "risk.card_missing")
    assert absent.outcome is Outcome.DETECTED and absent.severity is Severity.HIGH
    template = build(card="# Model Card for Model ID\n\n[More Information Needed]\n")
    assert probe_finding(template, "risk.card_missing").outcome is Outcome.DETECTED
    assert probe_finding(build(), "risk.card_missing").outcome is Outcome.CLEAR


def test_card_metadata_invalid_detected_on_broken_yaml(build: Build) -> None:
    broken = probe_finding(
        build(card=card_with("", "license: [mit\n")), "risk.card_metadata_invalid"
    )
    assert broken.outcome is Outcome.DETECTED and broken.evidence[0].location == "README.md"
    valid = probe_finding(build(card=card_with("", "license: mit\n")), "risk.card_metadata_invalid")
    assert valid.outcome is Outcome.CLEAR
    no_card = build(card=None, config={"model_type": "bert"})
    assert probe_finding(no_card, "risk.card_metadata_invalid").outcome is Outcome.UNKNOWN


def test_claims_unparseable_prose_only_vs_model_index(build: Build) -> None:
    prose = card_with(
        "It achieves the following results on the evaluation set:\n- Loss: 0.23\n- Accuracy: 0.91\n"
    )
    only_prose = probe_finding(build(card=prose), "risk.claims_unparseable")
    assert only_prose.outcome is Outcome.DETECTED and "only in prose" in only_prose.message
    index = (
        "model-index:\n- name: tiny\n  results:\n  - task: {type: text-classification}\n"
        "    dataset: {name: IMDB, type: imdb}\n    metrics:\n    - {type: accuracy, value: 0.91}\n"
    )
    parseable = probe_finding(build(card=card_with("", index)), "risk.claims_unparseable")
    assert parseable.outcome is Outcome.CLEAR


def _claim(verdict: ClaimVerdict) -> ClaimResult:
    return ClaimResult(
        task="text-classification", dataset="imdb", config=None, split="test",
        metric="accuracy", claimed=0.95, measured=0.80, ci=(0.78, 0.82), n=1000,
        verdict=verdict, reason=f"claimed 0.95, measured 0.80: {verdict}",
        source="model-index", location="README.md#model-index[0]",
    )  # fmt: skip


def test_claims_discrepant_from_real_verify_results(build: Build) -> None:
    package = collect(build())
    assert probe_finding(build(), "risk.claims_discrepant").outcome is Outcome.UNKNOWN

    def outcome(*verdicts: ClaimVerdict) -> Outcome:
        checked = replace(package, verifications=tuple(_claim(v) for v in verdicts))
        return next(
            f for f in evaluate(checked).findings if f.probe == "risk.claims_discrepant"
        ).outcome

    assert outcome(ClaimVerdict.OVER_CLAIMED, ClaimVerdict.CONSISTENT) is Outcome.DETECTED
    assert outcome(ClaimVerdict.CONSISTENT, ClaimVerdict.UNDER_CLAIMED) is Outcome.CLEAR
    assert outcome(ClaimVerdict.UNVERIFIABLE) is Outcome.UNKNOWN


def test_license_missing_unknown_placeholder_and_file(build: Build) -> None:
    def license_of(
        front: str, files: dict[str, str | bytes] | None = None
    ) -> tuple[Outcome, Severity | None]:
        root = build(card=card_with("", front), files=files)
        finding = probe_finding(root, "risk.license")
        return finding.outcome, finding.severity

    assert license_of("") == (Outcome.DETECTED, Severity.MEDIUM)
    assert license_of("", {"LICENSE": "MIT\n"}) == (Outcome.DETECTED, Severity.LOW)
    assert license_of("license: my-own-license\n")[0] is Outcome.DETECTED
    assert license_of("license: other\n")[0] is Outcome.DETECTED
    assert (
        license_of("license: other\nlicense_name: acme\nlicense_link: LICENSE\n")[0]
        is Outcome.CLEAR
    )
    assert license_of("license: apache-2.0\n")[0] is Outcome.CLEAR


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


def test_pickle_weights_detected_only_without_safetensors(build: Build) -> None:
    root = build()
    write_torch_zip(root / "pytorch_model.bin")
    only_pickle = probe_finding(root, "risk.pickle_weights")
    assert only_pickle.outcome is Outcome.DETECTED and only_pickle.severity is Severity.HIGH
    write_safetensors(root / "model.safetensors")
    beside = probe_finding(root, "risk.pickle_weights")
    assert beside.outcome is Outcome.CLEAR and "safetensors available" in beside.message
    assert probe_finding(build(), "risk.pickle_weights").outcome is Outcome.UNKNOWN


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


def test_remote_code_from_auto_map_or_python_files(build: Build, tmp_path: Path) -> None:
    marker = tmp_path / "IMPORTED"
    code = f"open({str(marker)!r}, 'w').write('imported')\n"
    mapped = probe_finding(build(config={"auto_map": {"AutoModel": "m.M"}}), "risk.remote_code")
    assert mapped.outcome is Outcome.DETECTED
    assert mapped.evidence[0].location == "config.json#auto_map"
    module = probe_finding(build(files={"m.py": code}), "risk.remote_code")
    assert module.outcome is Outcome.DETECTED and module.evidence[0].location == "m.py"
    assert probe_finding(build(), "risk.remote_code").outcome is Outcome.CLEAR
    assert not marker.exists()


def test_malicious_serialization_detected_never_run(build: Build, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    root = build(files={"model.dat": _system_pickle(marker)})  # the name hides nothing
    finding = probe_finding(root, "risk.malicious_serialization")
    assert finding.outcome is Outcome.DETECTED and finding.severity is Severity.CRITICAL
    assert finding.evidence[0].location == "model.dat"
    assert not marker.exists()
    assert probe_finding(build(), "risk.malicious_serialization").outcome is Outcome.CLEAR


def test_suspicious_serialization_on_an_unlisted_class(build: Build) -> None:
    root = build(files={"model.pkl": CUSTOM_CLASS_PICKLE})
    finding = probe_finding(root, "risk.suspicious_serialization")
    assert finding.outcome is Outcome.DETECTED and finding.severity is Severity.MEDIUM
    assert probe_finding(root, "risk.malicious_serialization").outcome is Outcome.CLEAR
    assert probe_finding(build(), "risk.suspicious_serialization").outcome is Outcome.CLEAR


def test_unreadable_content_fails_closed(build: Build) -> None:
    truncated = build(files={"model.pkl": b"\x80\x02ccollections\nOrderedDict\n)R"})
    finding = probe_finding(truncated, "risk.unreadable_content")
    assert finding.outcome is Outcome.DETECTED and finding.severity is Severity.HIGH
    assert "scan incomplete" in finding.evidence[0].detail
    binary_card = build(card=None, files={"README.md": b"# tiny\x00\xff\xfe\n"})
    card = probe_finding(binary_card, "risk.unreadable_content")
    assert card.outcome is Outcome.DETECTED and card.evidence[0].location == "README.md"
    assert probe_finding(build(), "risk.unreadable_content").outcome is Outcome.CLEAR


def test_upstream_unpinned_until_pinned_to_a_commit(build: Build) -> None:
    loose = build(card=card_with("", "base_model: acme/base\ndatasets:\n- imdb\n"))
    finding = probe_finding(loose, "risk.upstream_unpinned")
    assert finding.outcome is Outcome.DETECTED
    assert {e.detail for e in finding.evidence} == {"acme/base", "imdb"}
    sha = "0123456789abcdef0123456789abcdef01234567"
    pinned = build(card=card_with("", f"base_model: acme/base@{sha}\n"))
    assert probe_finding(pinned, "risk.upstream_unpinned").outcome is Outcome.CLEAR
    assert probe_finding(build(), "risk.upstream_unpinned").outcome is Outcome.CLEAR


def test_weights_absent_for_lfs_pointers(build: Build) -> None:
    data = b"weights that were never fetched"
    pointer = lfs_pointer(hashlib.sha256(data).hexdigest(), len(data))
    finding = probe_finding(build(files={"model.safetensors": pointer}), "risk.weights_absent")
    assert finding.outcome is Outcome.DETECTED and finding.severity is Severity.LOW
    assert hashlib.sha256(data).hexdigest() in finding.evidence[0].detail
    present = build()
    write_safetensors(present / "model.safetensors")
    assert probe_finding(present, "risk.weights_absent").outcome is Outcome.CLEAR


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_history_unsigned_detected_on_unsigned_commits(build: Build) -> None:
    repo = build()
    assert probe_finding(repo, "risk.history_unsigned").outcome is Outcome.UNKNOWN
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "upload")
    finding = probe_finding(repo, "risk.history_unsigned")
    assert finding.outcome is Outcome.DETECTED and finding.severity is Severity.MEDIUM
    assert finding.evidence[0].detail == "0 of 1 commits signed"


@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("ssh-keygen") is None,
    reason="git or ssh-keygen not installed",
)
def test_history_unsigned_clear_when_the_head_is_author_verified(
    build: Build, tmp_path: Path
) -> None:
    """An SSH-signed head proves nothing until a keyring vouches for its key (low); with the
    key in --trust-keyring's allowed signers the head is author-verified and the risk clear."""
    repo = build()
    git(repo, "init", "-q")
    key = tmp_path / "signing_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(key))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "unsigned upload")
    (repo / "notes.md").write_text("signed change")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-S", "-m", "signed by the author")
    finding = probe_finding(repo, "risk.history_unsigned")
    assert finding.outcome is Outcome.DETECTED and finding.severity is Severity.LOW
    assert "--trust-keyring" in finding.message
    signers = tmp_path / "allowed_signers"
    kind, blob = (tmp_path / "signing_key.pub").read_text().split()[:2]
    signers.write_text(f"ada@example.org {kind} {blob}\n")
    options = AuditOptions(trust=TrustOptions(keyrings=(signers,)))
    finding = probe_finding(repo, "risk.history_unsigned", options)
    assert finding.outcome is Outcome.CLEAR
    assert finding.message == "1 of 2 commits signed: 1 author-verified"


def test_model_signature_unsigned_package_is_a_low_risk(build: Build) -> None:
    finding = probe_finding(build(), "risk.model_signature")
    assert finding.outcome is Outcome.DETECTED and finding.severity is Severity.LOW
    assert "no model signature" in finding.message


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
