"""A policy decision as JSON: the decision, each violation with its evidence, and what it
was about (the policy's digest, the audited commit)."""

from __future__ import annotations

import json
from typing import Any

from ptmscope.results.policy import PolicyDecision

SCHEMA_VERSION = "1.0.0"


def build(decision: PolicyDecision) -> dict[str, Any]:
    """The decision as JSON-ready data."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ptmscope", "version": decision.tool_version},
        "ref": decision.ref,
        **decision.data(),
    }


class PolicyJson:
    """The decision as indented JSON."""

    def render(self, decision: PolicyDecision) -> str:
        return json.dumps(build(decision), indent=2) + "\n"
