"""The gateway: audit and scan each package revision once, refuse what the policy forbids, log it.

A gateway policy is a small YAML file::

    version: 1
    block: high                # refuse a file whose scan has a finding at or above this
                               # (critical, high, medium, low; "none" only reports)
    refuse_errors: true        # refuse a model file that could not be scanned completely
    require_license: false     # refuse the model files of a package whose card has no licence
    require_safetensors: false # refuse pickle-based weight files
    allowed_owners: []         # when not empty, serve only these owners
    scan_policy: null          # a `ptmscope scan --policy` file (relative to this one)

Verdicts are cached by commit sha: a revision is immutable, so it is judged
once. Every refusal is appended to the audit log as one JSON object per line.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ptmscope.card.safe_yaml import load_yaml
from ptmscope.errors import InputError
from ptmscope.registry.store import Snapshot, SnapshotSource
from ptmscope.scan.policy import Policy, default_policy, load_policy
from ptmscope.scan.results import Verdict
from ptmscope.severity import Severity

_KEYS = {
    "version",
    "block",
    "refuse_errors",
    "require_license",
    "require_safetensors",
    "allowed_owners",
    "scan_policy",
}


@dataclass(frozen=True)
class GatewayPolicy:
    block: Severity | None = Severity.HIGH
    refuse_errors: bool = True
    require_license: bool = False
    require_safetensors: bool = False
    allowed_owners: frozenset[str] = frozenset()
    scan_policy: Policy = field(default_factory=default_policy)

    @classmethod
    def load(cls, path: Path) -> GatewayPolicy:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read gateway policy: {exc}") from None
        result = load_yaml(text)
        if result.error:
            raise InputError(f"{path}: not valid YAML: {result.error}")
        data = result.data if result.data is not None else {}
        if not isinstance(data, dict):
            raise InputError(f"{path}: a gateway policy is a YAML mapping")
        unknown = set(map(str, data)) - _KEYS
        if unknown:
            raise InputError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
        block_text = str(data.get("block", "high"))
        try:
            block = None if block_text.lower() == "none" else Severity.parse(block_text)
        except ValueError as exc:
            raise InputError(f"{path}: block: {exc}") from None
        owners = data.get("allowed_owners") or []
        if not isinstance(owners, list) or not all(isinstance(o, str) for o in owners):
            raise InputError(f"{path}: allowed_owners is a list of names")
        for key in ("refuse_errors", "require_license", "require_safetensors"):
            if key in data and not isinstance(data[key], bool):
                raise InputError(f"{path}: {key} is true or false")
        scan_policy = default_policy()
        if data.get("scan_policy"):
            scan_policy = load_policy([(path.parent / str(data["scan_policy"])).resolve()])
        return cls(
            block=block,
            refuse_errors=bool(data.get("refuse_errors", True)),
            require_license=bool(data.get("require_license", False)),
            require_safetensors=bool(data.get("require_safetensors", False)),
            allowed_owners=frozenset(owners),
            scan_policy=scan_policy,
        )


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str


@dataclass(frozen=True)
class PackageVerdict:
    refused: dict[str, Refusal]
    scanned: dict[str, str]
    """Path → scan verdict, for the model-info security status."""
    note: str | None = None


class Gateway:
    def __init__(self, policy: GatewayPolicy, log_path: Path) -> None:
        self.policy = policy
        self.log_path = log_path
        self._verdicts: dict[tuple[str, str], PackageVerdict] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        log_path.parent.mkdir(parents=True, exist_ok=True)

    def owner_refusal(self, repo_id: str) -> Refusal | None:
        owner = repo_id.split("/", 1)[0]
        if self.policy.allowed_owners and owner not in self.policy.allowed_owners:
            return Refusal(
                "policy.allowed_owners", f"owner {owner!r} is not on this gateway's allow list"
            )
        return None

    def verdict(self, snapshot: Snapshot) -> PackageVerdict:
        key = (snapshot.repo_id, snapshot.sha)
        with self._lock:
            if key in self._verdicts:
                return self._verdicts[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._verdicts:
                    return self._verdicts[key]
            verdict = self._judge(snapshot)
            with self._lock:
                self._verdicts[key] = verdict
            return verdict

    def _judge(self, snapshot: Snapshot) -> PackageVerdict:
        from ptmscope.audit import evaluate
        from ptmscope.snapshot import collect

        try:
            package = collect(SnapshotSource(snapshot), scan_policy=self.policy.scan_policy)
        except InputError as exc:
            return PackageVerdict({}, {}, note=str(exc))
        result = evaluate(package)
        refused: dict[str, Refusal] = {}
        block = self.policy.block
        for scan in package.scans:
            worst = sorted(scan.findings, key=lambda f: -f.severity.rank)
            if block is not None and worst and worst[0].severity.rank >= block.rank:
                top = worst[0]
                refused[scan.path] = Refusal(top.rule, f"[{top.severity.label}] {top.message}")
            elif self.policy.refuse_errors and scan.verdict is Verdict.ERROR:
                refused[scan.path] = Refusal("scan.error", scan.errors[0].message)
        model_files = [w.path for w in package.weights]
        if self.policy.require_safetensors:
            for weight in package.weights:
                if weight.pickle_based and weight.path not in refused:
                    refused[weight.path] = Refusal(
                        "policy.require_safetensors",
                        f"{weight.format} file: loading it runs a pickle",
                    )
        if self.policy.require_license:
            licence = next((f for f in result.findings if f.probe == "risk.license"), None)
            if licence is not None and licence.outcome.value == "detected":
                for path in model_files:
                    refused.setdefault(path, Refusal("policy.require_license", licence.message))
        scanned = {scan.path: scan.verdict.value for scan in package.scans}
        return PackageVerdict(refused, scanned)

    def log(self, refusal: Refusal, repo_id: str, revision: str, path: str, client: str) -> None:
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "repo": repo_id,
            "revision": revision,
            "file": path,
            "rule": refusal.rule,
            "message": refusal.message,
            "client": client,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._log_lock, self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(line)

    def security_status(self, verdict: PackageVerdict) -> dict[str, Any]:
        return {
            "scansDone": True,
            "filesWithIssues": [
                {"path": path, "level": "unsafe" if path in verdict.refused else value}
                for path, value in sorted(verdict.scanned.items())
                if value != "clean" or path in verdict.refused
            ],
        }
