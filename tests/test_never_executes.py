"""Canaries: auditing must never run what it inspects (pickles, repo code, templates)."""

from __future__ import annotations

import pickle
from pathlib import Path

from ptmscope.audit import audit


class _Canary:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        import os

        return (os.system, (f"touch {self.path}",))


def test_audit_never_runs_pickles_or_repo_code(make_package, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    canary = tmp_path / "CANARY"
    payload = pickle.dumps(_Canary(canary), protocol=2)
    root = make_package(
        safetensors=False,
        config={"auto_map": {"AutoModel": "modeling_evil.Evil"}},
        files={
            "pytorch_model.bin": payload,
            "training_args.bin": payload,
            "modeling_evil.py": f"open({str(canary)!r}, 'w').write('imported')\n",
            "__init__.py": f"open({str(canary)!r}, 'w').write('imported')\n",
        },
    )
    result = audit(root)
    assert not canary.exists()
    risks = {f.probe for f in result.scorecard.risks}
    assert {"risk.pickle_weights", "risk.remote_code", "risk.malicious_serialization"} <= risks
    scans = {s.path: s for s in result.package.scans}
    assert scans["pytorch_model.bin"].verdict.value == "malicious"
    assert any(
        "os.system" in (f.target or "") or "posix.system" in (f.target or "")
        for f in scans["training_args.bin"].findings
    )
    assert result.scorecard.verdict == "fail"
    weights = {w.path: w for w in result.package.weights}
    assert (
        weights["pytorch_model.bin"].format == "pickle"
        and weights["pytorch_model.bin"].pickle_based
    )
    assert weights["training_args.bin"].role == "training-state"
