"""The gateway: audit and scan each package revision once, refuse what the policy forbids, log it.

The policy is an admission policy (``ptmscope policy``'s file: ``checks``, ``rules``,
``templates``, ``scan`` and a ``gateway`` section): each revision is audited once and
decided by the same engine as ``policy check`` and ``audit --policy``; a denied
revision is refused whole (every file, its config included, so each client stops at
its first request and shows the rule and the reason), and every decision, allow or
deny, is one line of the JSONL log. ``dry_run`` serves denied revisions and logs what
it would have refused. Whatever the decision, the content floor (``gateway.block``)
refuses single files whose scan finds code at or above a severity.

The older gateway file (before admission policies) still works::

    version: 1
    block: high                # refuse a file whose scan has a finding at or above this
                               # (critical, high, medium, low; "none" only reports)
    refuse_errors: true        # refuse a model file that could not be scanned completely
    require_license: false     # refuse the model files of a package whose card has no licence
    require_safetensors: false # refuse pickle-based weight files
    allowed_owners: []         # when not empty, serve only these owners
    scan_policy: null          # a `ptmscope scan --policy` file (relative to this one)
    on_error: refuse           # a revision that cannot be judged (unreadable card, crash):
                               # refuse every file of it (default), or warn: serve it and
                               # log a warning

Verdicts are cached by commit sha: a revision is immutable, so it is judged
once (a folder's revision id is a hash of its content), once for every worker
process: verdicts, refused content, first sightings and the log live in the
registry's shared state (:mod:`ptmscope.registry.state`), where a restart finds them. Judging fails closed:
any exception while collecting, evaluating or scanning refuses every file of the
revision (rule ``gateway.unreadable``). Refusals made on content (scan findings,
scan errors) are also keyed by content digest (sha256 and git blob id), so the
same bytes under another name, behind a symlink or in another package are
refused too. Every refusal is appended to the audit log as one JSON object per
line, and so is each revision that could not be judged.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ptmscope.card.safe_yaml import load_yaml
from ptmscope.errors import InputError, PtmscopeError
from ptmscope.package import FileEntry
from ptmscope.policy.document import AdmissionPolicy, Rule, load_admission_policy
from ptmscope.registry.firstseen import FirstSeen
from ptmscope.registry.singleflight import SingleFlight
from ptmscope.registry.state import CLAIM_POLL_S, CLAIM_WAIT_S, MemoryState, StateStore
from ptmscope.registry.store import Revision, RevisionSource
from ptmscope.results.policy import PolicyDecision, Verdict, Violation
from ptmscope.results.scan import FileScan
from ptmscope.scan.policy import Policy, default_policy, is_admission_policy, load_policy
from ptmscope.severity import Severity
from ptmscope.sources.interface import UpstreamRecord

ON_ERROR = ("refuse", "warn")
FILE_TEMPLATES = frozenset({"formats", "no_pickle"})
"""Templates judged on single files: they hold for every blob a clone would carry."""
UNREADABLE = "gateway.unreadable"
UNJUDGED_RETRY_S = 60.0
"""A revision that could not be judged is refused, then judged again after this."""
ContentKeys = Callable[[Revision, FileEntry], frozenset[str]]

_KEYS = {
    "version",
    "block",
    "refuse_errors",
    "require_license",
    "require_safetensors",
    "allowed_owners",
    "scan_policy",
    "on_error",
}


@dataclass(frozen=True)
class GatewayPolicy:
    """What a gateway refuses, read from its YAML policy file (see the module docstring).

    ``admission`` is set when the file is an admission policy; the other fields are then
    its ``gateway:`` section (``require_*`` and ``allowed_owners`` belong to the older
    file only: an admission policy says the same with templates).
    """

    block: Severity | None = Severity.HIGH
    refuse_errors: bool = True
    require_license: bool = False
    require_safetensors: bool = False
    allowed_owners: frozenset[str] = frozenset()
    scan_policy: Policy = field(default_factory=default_policy)
    on_error: str = "refuse"
    """``refuse``: a revision that cannot be judged is refused whole; ``warn``: served, logged."""
    admission: AdmissionPolicy | None = None
    digest: str = "-"
    """SHA-256 of the policy file's bytes (and an older file's scan policy): what the
    shared state keys verdicts by, so gateways with different policies never share one."""

    @classmethod
    def load(cls, path: Path) -> GatewayPolicy:
        """Read and check a gateway policy file; any mistake is one :class:`InputError` line."""
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
        if _is_admission(data):
            admission = load_admission_policy(path)
            return replace(cls.of(admission), digest=admission.digest)
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
        on_error = str(data.get("on_error", "refuse"))
        if on_error not in ON_ERROR:
            raise InputError(f"{path}: on_error is one of {', '.join(ON_ERROR)}")
        scan_policy = default_policy()
        digest = hashlib.sha256(text.encode("utf-8"))
        if data.get("scan_policy"):
            scan_path = (path.parent / str(data["scan_policy"])).resolve()
            scan_policy = load_policy([scan_path])
            try:
                digest.update(scan_path.read_bytes())
            except OSError as exc:
                raise InputError(f"{scan_path}: cannot read the scan policy: {exc}") from None
        return cls(
            block=block,
            refuse_errors=bool(data.get("refuse_errors", True)),
            require_license=bool(data.get("require_license", False)),
            require_safetensors=bool(data.get("require_safetensors", False)),
            allowed_owners=frozenset(owners),
            scan_policy=scan_policy,
            on_error=on_error,
            digest=digest.hexdigest(),
        )

    @classmethod
    def of(cls, admission: AdmissionPolicy) -> GatewayPolicy:
        """The gateway an admission policy describes (its ``gateway:`` and ``scan:`` sections)."""
        settings = admission.gateway
        block = None if settings.block == "none" else Severity.parse(settings.block)
        return cls(
            block=block,
            refuse_errors=settings.refuse_errors,
            scan_policy=admission.scan_policy(),
            on_error=settings.on_error,
            admission=admission,
        )


def _is_admission(data: dict[Any, Any]) -> bool:
    """An admission policy rather than the older gateway file: it has sections (or rules)
    only an admission policy has."""
    return is_admission_policy(data) or "rules" in data


@dataclass(frozen=True)
class Refusal:
    """Why something is not served: the rule (``policy.require_license``, a scan rule…) and
    a one-line message quoted to the client and written to the log."""

    rule: str
    message: str


@dataclass(frozen=True)
class Unjudged:
    """Something the gateway could not judge: the refusal it earns, and whether the policy
    (``on_error: warn``) serves it anyway."""

    refusal: Refusal
    served: bool

    @property
    def refused(self) -> Refusal | None:
        """The refusal to apply: ``None`` when it is served anyway."""
        return None if self.served else self.refusal


@dataclass(frozen=True)
class PackageVerdict:
    """A judged revision: the refused paths (with why), and each scan's verdict."""

    refused: dict[str, Refusal]
    scanned: dict[str, str]
    """Path → scan verdict, for the model-info security status."""
    note: str | None = None
    """Why the revision could not be judged (with ``on_error: warn`` it is served anyway)."""
    decision: PolicyDecision | None = None
    """The admission policy's decision, when the gateway has one."""
    expires: float | None = None
    """``time.time()`` after which the decision is made again (a cooldown that ends)."""
    report: dict[str, Any] | None = None
    """The audit report the revision was judged on (the scorecard API reuses it)."""

    def expired(self) -> bool:
        return self.expires is not None and time.time() >= self.expires

    def data(self) -> dict[str, Any]:
        """The verdict as JSON-ready data, for the shared state."""
        decision = self.decision
        return {
            "refused": {path: [r.rule, r.message] for path, r in self.refused.items()},
            "scanned": dict(self.scanned),
            "note": self.note,
            "decision": None
            if decision is None
            else {**decision.data(), "ref": decision.ref, "not_judged": list(decision.not_judged),
                  "tool_version": decision.tool_version},
            "expires": self.expires,
            "report": self.report,
        }  # fmt: skip

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PackageVerdict:
        """A verdict another worker (or an earlier run) stored with :meth:`data`."""
        decided = data.get("decision")
        decision = None
        if decided is not None:
            decision = PolicyDecision(
                Verdict(decided["decision"]),
                tuple(
                    Violation(v["rule"], Verdict(v["action"]), v["reason"], tuple(v["evidence"]))
                    for v in decided["violations"]
                ),
                decided["policy_digest"],
                decided["audited_commit"],
                decided["ref"],
                tuple(decided.get("unknown", ())),
                tuple(decided.get("not_judged", ())),
                decided.get("tool_version", ""),
            )
        return cls(
            {path: Refusal(rule, message) for path, (rule, message) in data["refused"].items()},
            dict(data["scanned"]),
            data.get("note"),
            decision,
            data.get("expires"),
            data.get("report"),
        )


class Gateway:
    """Judges each revision (and each clone) once, caches the verdicts, logs every refusal.

    Fails closed: whatever cannot be judged goes through :meth:`unjudged`.
    """

    def __init__(
        self,
        policy: GatewayPolicy,
        log_path: Path,
        dry_run: bool = False,
        state: StateStore | None = None,
    ) -> None:
        self.policy = policy
        self.log_path = log_path
        self.dry_run = dry_run
        self.state: StateStore = state if state is not None else MemoryState()
        """What every worker shares: verdicts, refused content, sightings, the log."""
        """Serve what the admission policy denies, logging what would have been refused."""
        self.content_keys: ContentKeys = lambda revision, entry: frozenset()
        """How to name a file's bytes; the registry plugs in its store's digests."""
        self.upstream: Callable[[str], UpstreamRecord | None] = lambda model_id: None
        """How to look up a base model's record; the registry plugs in its store."""
        self._verdicts: dict[tuple[Any, ...], PackageVerdict] = {}
        self.first_seen = FirstSeen(log_path.parent / "first-seen.jsonl", self.state)
        """When this registry first saw each package and revision (the cooldown's dates)."""
        self._flight = SingleFlight()
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._blobs: dict[str, Refusal | None] = {}
        """Git blob id → content verdict (``None``: clean), from package scans and clone checks."""
        self._clones: dict[tuple[str, str], Refusal | None] = {}
        log_path.parent.mkdir(parents=True, exist_ok=True)

    def owner_refusal(self, repo_id: str) -> Refusal | None:
        owner = repo_id.split("/", 1)[0]
        if self.policy.allowed_owners and owner not in self.policy.allowed_owners:
            return Refusal(
                "policy.allowed_owners", f"owner {owner!r} is not on this gateway's allow list"
            )
        return None

    def _once(self, cache: dict[Any, Any], key: Any, compute: Callable[[], Any]) -> Any:
        """``cache[key]``, computed by one thread while the others for the same key wait."""

        def lookup() -> tuple[bool, Any]:
            with self._lock:
                value = cache.get(key)
                if isinstance(value, PackageVerdict) and value.expired():
                    del cache[key]  # a time-bound decision (a cooldown) is made again
                    return False, None
                return key in cache, value

        def compute_and_store() -> Any:
            value = compute()
            with self._lock:
                cache[key] = value
            return value

        return self._flight.run((id(cache), key), lookup, compute_and_store)

    def enforced_file_rules(self) -> tuple[Rule, ...]:
        """The admission policy's enforced rules on file formats, which a clone's history
        blobs must meet as well as its tips (none in a dry run: nothing is enforced)."""
        admission = self.policy.admission
        if admission is None or self.dry_run:
            return ()
        return tuple(
            rule
            for rule in admission.rules
            if rule.template in FILE_TEMPLATES and rule.action is Verdict.DENY
        )

    @property
    def identity(self) -> str:
        """What makes two gateways judge alike: the policy's bytes and whether it enforces.
        Shared verdicts and refused content are keyed by it."""
        return f"{self.policy.digest}:{'dry-run' if self.dry_run else 'enforce'}"

    @property
    def policy_digest(self) -> str:
        """Names the policy in cache keys and log lines (``-`` for the older gateway file)."""
        return self.policy.admission.digest if self.policy.admission is not None else "-"

    def verdict(self, revision: Revision) -> PackageVerdict:
        """The revision's verdict, judged once per commit, policy and lineage (a base model
        served here that changes, relicensed say, has its fine-tunes judged again)."""
        key = (revision.repo_id, revision.sha, self.policy_digest, self._lineage_key(revision))
        verdict: PackageVerdict = self._once(
            self._verdicts, key, lambda: self._shared_judgement(revision, self._state_key(key))
        )
        return verdict

    def _shared_judgement(self, revision: Revision, key: str) -> PackageVerdict:
        """The verdict another worker stored, else judged here by the one worker holding the
        claim while the others wait for it (see :mod:`ptmscope.registry.state`). A revision
        that could not be judged is not stored: each worker (and a restart) tries again. A
        store that fails (locked past its timeout, a damaged row) fails closed."""
        try:
            return self._claimed_judgement(revision, key)
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            return self._unjudged(revision, exc)

    def _claimed_judgement(self, revision: Revision, key: str) -> PackageVerdict:
        deadline = time.monotonic() + CLAIM_WAIT_S
        while True:
            stored = self.state.verdict(key)
            if stored is not None:
                return PackageVerdict.from_data(stored)
            if self.state.claim(key):
                try:
                    stored = self.state.verdict(key)
                    if stored is not None:
                        return PackageVerdict.from_data(stored)
                    verdict = self._judge(revision)
                    if verdict.note is None:
                        self.state.put_verdict(
                            key, revision.repo_id, revision.sha, self.policy_digest,
                            verdict.data(), verdict.expires,
                        )  # fmt: skip
                    return verdict
                finally:
                    self.state.release(key)
            if time.monotonic() >= deadline:
                waited = TimeoutError(f"another worker has been judging it for {CLAIM_WAIT_S:g} s")
                return self._unjudged(revision, waited)
            time.sleep(CLAIM_POLL_S)

    def _state_key(self, key: tuple[Any, ...]) -> str:
        """A verdict's key in the shared state: a digest of this gateway's identity and
        (repo, sha, policy, lineage)."""
        return hashlib.sha256(json.dumps([self.identity, key], default=str).encode()).hexdigest()

    def known_verdict(self, revision: Revision) -> PackageVerdict | None:
        """The verdict already made, here or by another worker, without judging (listings)."""
        key = (revision.repo_id, revision.sha, self.policy_digest, self._lineage_key(revision))
        with self._lock:
            known = self._verdicts.get(key)
        if isinstance(known, PackageVerdict) and not known.expired():
            return known
        stored = self.state.verdict(self._state_key(key))
        return None if stored is None else PackageVerdict.from_data(stored)

    def known_verdict_for(
        self, repo_id: str, sha: str, card_data: dict[str, Any] | None
    ) -> PackageVerdict | None:
        """:meth:`known_verdict` of a revision that is not loaded (a listing reads its index
        row): the verdict's key needs only the id, the commit and the card's base models."""
        epoch = datetime.fromtimestamp(0, UTC)
        row = Revision(repo_id, sha, "index", (), None, epoch, epoch, card_data=card_data)
        return self.known_verdict(row)

    def _lineage_key(self, revision: Revision) -> tuple[tuple[str, str | None], ...]:
        if self.policy.admission is None:
            return ()
        from ptmscope.collector import walk_lineage
        from ptmscope.package import base_models_of

        lineage, _ = walk_lineage(base_models_of(revision.card_data), self.upstream)
        return tuple((a.id.lower(), a.revision) for a in lineage)

    def denied(self, verdict: PackageVerdict) -> bool:
        """Whether the admission policy's deny is enforced on this verdict."""
        return verdict.decision is not None and verdict.decision.fails() and not self.dry_run

    def refusal(self, revision: Revision, entry: FileEntry) -> Refusal | None:
        """Why ``entry`` of ``revision`` must not be served: by path, then by its bytes."""
        refused = self.verdict(revision).refused.get(entry.path)
        if refused is not None:
            return refused
        return self._denied_content(revision, entry)

    def _denied_content(self, revision: Revision, entry: FileEntry) -> Refusal | None:
        for key in sorted(self.content_keys(revision, entry)):
            hit = self.state.denied_content(f"{self.identity}:{key}")
            if hit is not None:
                rule, message, where = hit
                return Refusal(rule, f"same bytes as refused {where}: {message}")
        return None

    def _judge(self, revision: Revision) -> PackageVerdict:
        try:
            verdict = self._judge_package(revision)
            if not revision.unchanged():
                raise InputError("package files changed while the revision was being judged")
        except Exception as exc:  # fail closed on anything, whatever raised it
            return self._unjudged(revision, exc)
        aliases = {
            entry.path: refusal
            for entry in revision.files
            if entry.path not in verdict.refused
            and (refusal := self._denied_content(revision, entry)) is not None
        }
        if aliases:
            verdict = PackageVerdict({**verdict.refused, **aliases}, verdict.scanned, verdict.note)
        return verdict

    def unjudged(
        self, what: str, exc: BaseException, repo_id: str, revision: str, path: str, client: str
    ) -> Unjudged:
        """The one decision on something that could not be judged (a revision, a clone).

        Fails closed: refused, unless the policy says ``on_error: warn`` (served, and
        logged as a warning). Every "could not judge" in the registry comes through here.
        """
        warn = self.policy.on_error == "warn"
        message = f"the {what} could not be judged ({_reason_text(exc)}); " + (
            "served anyway (on_error: warn)" if warn else "nothing of it is served"
        )
        refusal = Refusal(UNREADABLE, message)
        self.log(refusal, repo_id, revision, path, client, warning=warn)
        return Unjudged(refusal, served=warn)

    def _unjudged(self, revision: Revision, exc: BaseException) -> PackageVerdict:
        """Fail closed for now, and judge again after :data:`UNJUDGED_RETRY_S`: a passing
        cause (a busy store, another worker's long audit) does not refuse a revision for
        the life of the process."""
        unjudged = self.unjudged("revision", exc, revision.repo_id, revision.sha, "*", "gateway")
        note = unjudged.refusal.message
        retry = time.time() + UNJUDGED_RETRY_S
        if unjudged.served:
            return PackageVerdict({}, {}, note=note, expires=retry)
        refused = {f.path: unjudged.refusal for f in revision.files}
        return PackageVerdict(refused, {}, note=note, expires=retry)

    def scan_refusal(self, scan: FileScan) -> Refusal | None:
        """The policy's judgement of one scan: a finding at or above ``block``, or an error."""
        worst = sorted(scan.findings, key=lambda f: -f.severity.rank)
        block = self.policy.block
        if block is not None and worst and worst[0].severity.rank >= block.rank:
            top = worst[0]
            return Refusal(top.rule, f"[{top.severity.label}] {top.message}")
        if self.policy.refuse_errors and scan.errors:
            return Refusal("scan.error", scan.errors[0].message)
        return None

    def _deny(self, keys: frozenset[str], refusal: Refusal, where: str) -> None:
        named = sorted(f"{self.identity}:{key}" for key in keys)
        self.state.deny_content(named, refusal.rule, refusal.message, where)

    def _judge_package(self, revision: Revision) -> PackageVerdict:
        from ptmscope.audit import evaluate
        from ptmscope.collector import collect_from as collect

        seen = self.first_seen.dates(revision.repo_id, revision.sha)
        source = RevisionSource(revision, self.upstream, seen)
        package = collect(source, scan_policy=self.policy.scan_policy)
        unreadable = [p for p in package.problems if p.unreadable]
        if unreadable:  # a card, config or file collect could not read: judge nothing of it
            more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
            raise InputError(f"{unreadable[0].path}: {unreadable[0].message}{more}")
        result = evaluate(package)
        from ptmscope.results.audit_report import build

        report = build(result)
        decision = None
        expires: float | None = None
        if self.policy.admission is not None:
            from ptmscope.policy import decide

            decision = decide(report, self.policy.admission)
            expires = _cooldown_ends(report, decision, self.policy.admission)
        refused: dict[str, Refusal] = {}
        for scan in package.scans:
            refusal = self.scan_refusal(scan)
            entry = revision.index.get(scan.path)
            if entry is not None and entry.origin.startswith("git:") and entry.git_oid:
                with self._lock:
                    self._blobs.setdefault(entry.git_oid, refusal)
            if refusal is None:
                continue
            refused[scan.path] = refusal
            if entry is not None:
                where = f"{revision.repo_id}@{revision.sha[:12]}/{scan.path}"
                self._deny(self.content_keys(revision, entry), refusal, where)
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
        if decision is not None:
            self.log_decision(revision, decision)
            if decision.fails() and not self.dry_run:
                denial = denial_refusal(revision, decision)
                refused = {entry.path: refused.get(entry.path, denial) for entry in revision.files}
        return PackageVerdict(refused, scanned, decision=decision, expires=expires, report=report)

    # ------------------------------------------------------------------ git
    def blob_refusal(self, oid: str, scan: Callable[[], FileScan]) -> Refusal | None:
        """The content verdict of one git blob (scanned once, ever, per gateway)."""
        hit = self.state.denied_content(f"{self.identity}:git:{oid}")
        if hit is not None:
            return Refusal(hit[0], hit[1])

        def judge() -> Refusal | None:
            refusal = self.scan_refusal(scan())
            if refusal is not None:
                self._deny(frozenset({f"git:{oid}"}), refusal, f"git blob {oid[:12]}")
            return refusal

        result: Refusal | None = self._once(self._blobs, oid, judge)
        return result

    def clone_refusal(
        self, repo_id: str, fingerprint: str, judge: Callable[[], Refusal | None]
    ) -> Refusal | None:
        """Whether a clone of the repository as advertised (``fingerprint``) is refused; cached."""

        def guarded() -> Refusal | None:
            try:
                return judge()
            except Exception as exc:  # fail closed on anything
                unjudged = self.unjudged(
                    "repository", exc, repo_id, fingerprint, "<git>", "gateway"
                )
                return unjudged.refused

        result: Refusal | None = self._once(self._clones, (repo_id, fingerprint), guarded)
        return result

    def log(
        self,
        refusal: Refusal,
        repo_id: str,
        revision: str,
        path: str,
        client: str,
        warning: bool = False,
    ) -> None:
        """Append one refusal (or warning) to the audit log as a JSON line."""
        record = {
            "time": _now(),
            "event": "refusal",
            "repo": repo_id,
            "revision": revision,
            "file": path,
            "rule": refusal.rule,
            "message": refusal.message,
            "client": client,
        }
        if warning:
            record["action"] = "served with a warning"
        self._append(record)

    def _append(self, record: dict[str, Any]) -> None:
        # ASCII only: U+2028 and friends from file names would split a record for readers
        # that split lines the way Python's str.splitlines does
        line = (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")
        with self._log_lock:
            # one write on an O_APPEND descriptor: lines of several workers never interleave
            fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        self.state.record_event(record)

    def log_decision(self, revision: Revision, decision: PolicyDecision) -> None:
        """One JSON line per decided revision, allow and warn included."""
        record = {
            "time": _now(),
            "event": "decision",
            "repo": revision.repo_id,
            "revision": revision.sha,
            "decision": decision.decision.value,
            "enforced": not self.dry_run,
            "policy_digest": decision.policy_digest,
            "violations": [
                {"rule": v.rule, "action": v.action.value, "reason": v.reason,
                 "evidence": list(v.evidence)}
                for v in decision.violations
            ],
        }  # fmt: skip
        if self.dry_run and decision.fails():
            record["action"] = "served (dry run): would have refused every file of the revision"
        self._append(record)

    def security_status(self, verdict: PackageVerdict) -> dict[str, Any]:
        levels = {path: value for path, value in verdict.scanned.items() if value != "clean"}
        levels.update({path: "unsafe" for path in verdict.refused})
        status: dict[str, Any] = {
            "scansDone": verdict.note is None,
            "filesWithIssues": [
                {"path": path, "level": level, **_reason(verdict.refused.get(path))}
                for path, level in sorted(levels.items())
            ],
        }
        if verdict.note is not None:
            status["error"] = verdict.note
        if verdict.decision is not None:
            status["policyDecision"] = {**verdict.decision.data(), "enforced": not self.dry_run}
        return status


def _cooldown_ends(
    report: dict[str, Any], decision: PolicyDecision, policy: AdmissionPolicy
) -> float | None:
    """When a cooldown that this decision broke will have passed (``time.time()``), so the
    revision is judged again then; ``None`` when no cooldown was broken."""
    broken = {v.rule for v in decision.violations}
    days = [r.value for r in policy.rules if r.template == "cooldown_days" and r.id in broken]
    if not days:
        return None
    from ptmscope.sources.metadata import parse_moment

    dates = [parse_moment(v) for v in (report.get("package") or {}).get("dates", {}).values()]
    known = [d for d in dates if d is not None]
    if not known:
        return None  # the age is unknown: it stays unknown
    ends = max(known) + timedelta(days=max(days))
    return time.time() + max(1.0, (ends - datetime.now(UTC)).total_seconds())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


DENIED = "policy.denied"
"""The rule a denied revision's files are refused under (the violations say which rules)."""


def denial_refusal(revision: Revision, decision: PolicyDecision) -> Refusal:
    """The one refusal every file of a denied revision gets: its first lines are what a
    client shows, so they name the enforced rules and their reasons before anything else."""
    denied = [v for v in decision.violations if v.action is Verdict.DENY]
    parts = []
    for violation in denied[:3]:
        evidence = f" [{'; '.join(violation.evidence[:2])}]" if violation.evidence else ""
        parts.append(f"{violation.rule}: {violation.reason}{evidence}")
    more = f"; and {len(denied) - 3} more rule(s)" if len(denied) > 3 else ""
    message = (
        f"{revision.repo_id}@{revision.sha[:12]} denied by admission policy "
        f"{decision.policy_digest[:12]}: " + "; ".join(parts) + more
    )
    return Refusal(DENIED, message)


def _reason_text(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, PtmscopeError) else f"{type(exc).__name__}: {exc}"


def _reason(refusal: Refusal | None) -> dict[str, str]:
    return {} if refusal is None else {"rule": refusal.rule, "message": refusal.message}
