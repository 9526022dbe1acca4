"""The policy template ``signed`` reads the report's signature and commit states."""

from __future__ import annotations

from typing import Any

import pytest

from ptmscope.policy.templates import TEMPLATES

STATES = {"author-verified": 0, "signed-unknown-key": 0, "platform-signed": 0, "invalid": 0,
          "unsigned": 3}  # fmt: skip


def report(
    signature: str | None,
    history: dict[str, int] | None,
    clear: bool = False,
    unsigned: tuple[str, ...] = (),
) -> Any:
    sign = {"state": signature, "reason": "why", "files_unsigned": list(unsigned)}
    return {
        "signature": None if signature is None else sign,
        "package": {"history": None if history is None else {"states": {**STATES, **history}}},
        "findings": [
            {"probe": "risk.history_unsigned", "outcome": "clear" if clear else "detected"}
        ],
    }


@pytest.mark.parametrize(
    ("data", "passes", "needle"),
    [
        (report("verified", None), True, ""),
        # Signed README, an unsigned code file beside it: not signed.
        (report("verified", None, unsigned=("modeling_evil.py",)), False, "1 file(s) outside"),
        (report("verified", {"author-verified": 1}, clear=True, unsigned=("x.py",)), True, ""),
        (report("invalid", None), False, "model signature invalid"),
        (report("verified", {"invalid": 1}), False, "do not verify"),
        (report("unsigned", {"author-verified": 2}, clear=True), True, ""),
        (report("unsigned", {"author-verified": 1}, clear=False), False, "no author-verified"),
        (report("unsigned", {"signed-unknown-key": 2}), False, "2 signed-unknown-key"),
        ({"package": {}}, False, "unknown"),
    ],
)
def test_signed_template(data: Any, passes: bool, needle: str) -> None:
    evidence = TEMPLATES["signed"].evaluate(data, True)
    assert (evidence == []) is passes, evidence
    assert not needle or needle in evidence[0]
    assert TEMPLATES["signed"].evaluate(data, False) == []
