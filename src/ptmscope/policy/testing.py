"""``ptmscope policy test DIR``: a team's policy checked against fixtures, like ``opa test``.

Every ``*_test.yaml`` under DIR lists cases; a case names a policy, a saved audit report
(``audit:``) or a package to audit (``package:``), the decision it expects and,
optionally, rules that must be among the violations::

    cases:
      - name: pickle-only weights are denied
        policy: ../strict.yaml
        audit: reports/pickle-only.json
        expect: deny
        violations: [checks.risk.pickle_weights]

Paths are relative to the test file. A case whose decision or violations differ fails;
a file that cannot be read is an input error (a test suite that silently ran nothing
would pass every policy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.policy.document import AdmissionPolicy, load_admission_policy
from ptmscope.policy.engine import decide
from ptmscope.policy.reports import read_audit_report
from ptmscope.results.policy import CaseResult, Verdict

CASE_KEYS = frozenset({"name", "policy", "audit", "package", "expect", "violations"})

Auditor = Callable[[str, AdmissionPolicy], Mapping[str, Any]]
"""Audits a package ref into its JSON report, scanning with the policy's ``scan:`` rules
(the CLI passes the real audit)."""


def run_tests(folder: Path, auditor: Auditor) -> list[CaseResult]:
    """Every case of every ``*_test.yaml`` under ``folder``, in file and case order."""
    files = sorted(folder.rglob("*_test.yaml")) if folder.is_dir() else []
    if not files:
        raise InputError(f"{folder}: no *_test.yaml files (nothing to test)")
    policies: dict[Path, AdmissionPolicy] = {}
    results = []
    for file in files:
        for index, case in enumerate(_cases(file)):
            results.append(_run(file, index, case, policies, auditor))
    return results


def _cases(file: Path) -> list[dict[str, Any]]:
    from ptmscope.card.safe_yaml import load_yaml

    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read the test file: {exc}") from None
    result = load_yaml(text)
    data = result.data
    if result.error or not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise InputError(f"{file}: a policy test file holds `cases:`, a list of cases")
    cases: list[dict[str, Any]] = data["cases"]
    for index, case in enumerate(cases):
        where = f"{file}: cases[{index}]"
        if not isinstance(case, dict):
            raise InputError(f"{where}: a case is a mapping")
        unknown = sorted(map(str, set(case) - CASE_KEYS))
        if unknown:
            raise InputError(f"{where}: unknown keys {', '.join(unknown)}")
        if "policy" not in case or "expect" not in case:
            raise InputError(f"{where}: a case needs `policy` and `expect`")
        if ("audit" in case) == ("package" in case):
            raise InputError(f"{where}: give `audit` (a saved report) or `package`, not both")
        if str(case["expect"]) not in {v.value for v in Verdict}:
            raise InputError(f"{where}: expect is allow, warn or deny")
    return cases


def _run(
    file: Path,
    index: int,
    case: Mapping[str, Any],
    policies: dict[Path, AdmissionPolicy],
    auditor: Auditor,
) -> CaseResult:
    base = file.parent
    policy_path = (base / str(case["policy"])).resolve()
    if policy_path not in policies:
        policies[policy_path] = load_admission_policy(policy_path)
    report: Mapping[str, Any]
    if "audit" in case:
        report = read_audit_report(base / str(case["audit"]))
    else:
        report = auditor(str(base / str(case["package"])), policies[policy_path])
    decision = decide(report, policies[policy_path])
    rules = {violation.rule for violation in decision.violations}
    wanted = case.get("violations") or []
    return CaseResult(
        file=str(file),
        name=str(case.get("name", f"case {index}")),
        expected=Verdict(str(case["expect"])),
        decided=decision.decision,
        missing=tuple(str(rule) for rule in wanted if str(rule) not in rules),
    )
