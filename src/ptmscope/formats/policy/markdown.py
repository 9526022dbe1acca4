"""An admission decision as Markdown, for every report that carries one (audit, scan)."""

from __future__ import annotations

from typing import Any

from ptmscope.formats.escape import markdown as _cell
from ptmscope.formats.escape import markdown_code as _code


def decision_lines(policy: dict[str, Any] | None) -> list[str]:
    """The decision, the policy and commit it names, and a table of its violations."""
    if policy is None:
        return []
    out = [
        f"## Policy: **{policy['decision']}**",
        "",
        f"Policy `{policy['policy_digest'][:12]}`"
        + (f" on commit `{policy['audited_commit'][:12]}`" if policy["audited_commit"] else ""),
        "",
    ]
    if policy["violations"]:
        out += ["| Action | Rule | Reason | Evidence |", "|---|---|---|---|"]
        out += [
            f"| {v['action']} | {_code(v['rule'])} | {_cell(v['reason'])} "
            f"| {_cell('; '.join(v['evidence']))} |"
            for v in policy["violations"]
        ]
        out.append("")
    if policy.get("not_judged"):
        names = ", ".join(_code(n) for n in policy["not_judged"])
        out += [f"Not judged here (they need an audit): {names}", ""]
    return out
