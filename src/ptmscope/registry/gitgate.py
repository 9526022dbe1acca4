"""What a ``git clone`` through the gateway would carry, judged before any byte is sent.

A clone or fetch carries every object reachable from the advertised refs, history
included: a file deleted from the tip is still in the pack. So the gate is:

1. every branch and tag tip is judged as a package revision (all policy rules,
   exactly as ``resolve`` judges it), and
2. every blob the repository stores (``git cat-file --batch-all-objects``: reachable
   or not, since protocol v2 serves a want of any stored object) is judged by content (scanned once per blob id, ever; blobs already scanned as part of a
   tip reuse that verdict), so a refused file anywhere in history refuses the clone,
   and so do the bytes of a file refused elsewhere (the gateway's digest deny set);
   an admission policy's enforced ``formats`` and ``no_pickle`` hold for every blob too
   (a pickle deleted from the tip is still in the pack).
3. everything reachable from the served refs is stored: what is missing cannot be
   judged, and it could appear later (a fetch into a partial or shallow mirror, a
   push into a repository it borrows objects from through ``alternates``), to be served
   under a verdict that never saw it (:func:`missing_objects`).

The result is cached per repository and ref state (the ``for-each-ref`` listing),
so a repository is walked again only when a ref moves.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ptmscope.errors import SourceError
from ptmscope.package import FileEntry
from ptmscope.policy.document import Rule
from ptmscope.policy.scan_view import NOT_WEIGHTS
from ptmscope.policy.templates import TEMPLATES
from ptmscope.registry.gateway import Gateway, Refusal
from ptmscope.registry.githttp import JUDGED_READING, judged_view, remove_view
from ptmscope.registry.store import Repo, Store
from ptmscope.results.scan import FileScan
from ptmscope.scan.scanner import scan_bytes, scan_file
from ptmscope.sources.git import GIT_TIMEOUT_S, SPOOL_THRESHOLD, GitSource, git_env
from ptmscope.weights import sniff


def _run(source: GitSource, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            [*source.command, *args],
            input=stdin, capture_output=True, env=source.env, timeout=GIT_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git {args[0]} failed: {detail[-1] if detail else done.returncode}")
    return done.stdout


ADVERTISED = ("refs/heads/", "refs/tags/")
"""The refs a clone is offered (``githttp`` hides every other namespace), besides HEAD."""


@dataclass(frozen=True)
class RefState:
    """One reading of a repository's refs: what is judged, and then what is served.

    A clone through the gateway is answered from these refs (``githttp.judged_view``), not
    from the live repository, so a ref that moves between the judgement and ``upload-pack``
    can offer nothing unjudged."""

    fingerprint: str
    """Names the state of every ref and HEAD (hidden refs and the object count too)."""
    tips: Mapping[str, str]
    """HEAD and each advertised ref → the commit it stands for (tags peeled): what is judged."""
    targets: Mapping[str, str]
    """Each advertised ref → the object it names (an annotated tag's tag object)."""
    head: str | None
    """The branch HEAD names, when HEAD is symbolic and that branch is advertised."""


def ref_state(source: GitSource) -> RefState:
    """One reading of the refs: a name for the state of every ref and HEAD (it changes when
    any ref moves, hidden ones too, since their blobs are judged), and the commit each
    advertised ref and HEAD points to. Judging and caching use this same reading, so a
    verdict can never be filed under a newer state than the one it judged."""
    refs = _run(source, "for-each-ref", "--format=%(refname) %(objectname) %(*objectname)")
    head = _run(source, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    symbolic = subprocess.run(
        [*source.command, "symbolic-ref", "-q", "HEAD"],
        capture_output=True, env=source.env, timeout=GIT_TIMEOUT_S, check=False,
    )  # fmt: skip
    # objects can be added without a ref moving (a push of a commit no ref names): the
    # store's size is part of the state, so new objects are judged before they are served
    objects = _run(source, "count-objects", "-v")
    tips = {"HEAD": head.decode().strip()}
    targets = {}
    for line in refs.decode().splitlines():
        name, _, rest = line.partition(" ")
        target, _, peeled = rest.partition(" ")
        if name.startswith(ADVERTISED):
            tips[name] = peeled.strip() or target
            targets[name] = target
    named = symbolic.stdout.decode().strip() if symbolic.returncode == 0 else ""
    fingerprint = hashlib.sha1(refs + b"\n" + head + b"\n" + objects).hexdigest()
    return RefState(fingerprint, tips, targets, named if named in targets else None)


def stored_blobs(source: GitSource) -> list[tuple[str, int]]:
    """Every blob (id, size) the repository holds, reachable or not: protocol v2's
    upload-pack serves a ``want`` of any object it has (a commit force-pushed away, a
    dangling blob), so whatever is stored is what a fetch can carry."""
    listing = _run(
        source,
        "cat-file",
        "--batch-all-objects",
        "--unordered",
        "--batch-check=%(objecttype) %(objectname) %(objectsize)",
    )
    blobs = []
    for line in listing.decode().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "blob":
            oid, _, size = rest.partition(" ")
            blobs.append((oid, int(size)))
        elif rest.endswith("missing") or kind not in ("commit", "tree", "tag"):
            raise SourceError(f"object {line.split()[0]} is missing (partial clone?)")
    return blobs


def missing_objects(source: GitSource, refs: RefState) -> list[str]:
    """The objects reachable from ``refs`` that are not stored, walked on the judged view
    itself (as ``upload-pack`` walks it: no replace refs, grafts or ``shallow`` file).

    A blob that is absent is in no listing, so no verdict covers it; once it is stored
    (a fetch into a partial clone, a push into the repository named by ``alternates``,
    which leaves this repository's ref state as it was) the view would serve it."""
    view = judged_view(source.git_dir, refs, GIT_TIMEOUT_S)
    try:
        done = subprocess.run(
            ["git", "-c", "safe.directory=*", *JUDGED_READING, "--git-dir", view,
             "rev-list", "--objects", "--missing=print", "--all"],
            capture_output=True, env=git_env(Path(view).parent), timeout=GIT_TIMEOUT_S,
            check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SourceError(f"git rev-list took longer than {GIT_TIMEOUT_S} s") from None
    finally:
        remove_view(view)
    if done.returncode != 0:  # a missing commit or tree cannot even be walked
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return [detail[-1] if detail else f"rev-list exit {done.returncode}"]
    return [line[1:] for line in done.stdout.decode().splitlines() if line.startswith("?")]


def _scan_blob(source: GitSource, gateway: Gateway, oid: str, size: int) -> FileScan:
    policy = gateway.policy.scan_policy
    name = f"blob {oid}"
    if size > SPOOL_THRESHOLD:
        return scan_file(Path(source.spooled(oid)), policy, display=name)
    data = source.read_object(oid)
    if data is None:
        raise SourceError(f"git blob {oid} is missing")
    return scan_bytes(data, name, policy)


def clone_refusal(store: Store, gateway: Gateway, repo: Repo) -> tuple[Refusal | None, RefState]:
    """Why a clone or fetch of ``repo`` is refused (``None`` when everything in it may be
    served), and the refs that verdict is about: serve those, not the live ones."""
    source = repo.objects()
    refs = ref_state(source)
    file_rules = gateway.enforced_file_rules()

    def judge() -> Refusal | None:
        missing = missing_objects(source, refs)
        if missing:
            raise SourceError(
                f"{len(missing)} object(s) reachable from the served refs are not stored "
                f"(a partial or shallow repository?), so they cannot be judged: {missing[0]}"
            )
        for name, sha in sorted(refs.tips.items()):
            verdict = gateway.verdict(store.revision(repo, sha))
            if verdict.refused:
                path, refusal = sorted(verdict.refused.items())[0]
                return Refusal(refusal.rule, f"{path} at {name} ({sha[:12]}): {refusal.message}")
        for oid, size in stored_blobs(source):
            found = gateway.blob_refusal(oid, partial(_scan_blob, source, gateway, oid, size))
            if found is None and (gateway.policy.require_safetensors or file_rules):
                found = _format_refusal(source, oid, size, gateway, file_rules)
            if found is not None:
                return Refusal(
                    found.rule,
                    f"blob {oid[:12]} in the history (or stored unreachable: a protocol v2 "
                    f"fetch can ask for it): {found.message}",
                )
        return None

    return gateway.clone_refusal(repo.repo_id, refs.fingerprint, judge), refs


def _format_refusal(
    source: GitSource, oid: str, size: int, gateway: Gateway, rules: tuple[Rule, ...]
) -> Refusal | None:
    """The policy's file-format rules for a blob of the history (a clone carries it even
    when no tip holds it): the older file's ``require_safetensors``, and an admission
    policy's enforced ``formats`` and ``no_pickle``, read with the same sniffing as the
    audit's."""
    entry = FileEntry(f"blob {oid}", size, f"git:{oid}", None, oid, reader=source.reader(oid, size))
    weight = sniff(entry)
    if gateway.policy.require_safetensors and weight.pickle_based:
        return Refusal(
            "policy.require_safetensors", f"{weight.format} file: loading it runs a pickle"
        )
    if str(weight.format) in NOT_WEIGHTS:
        return None
    view = {"package": {"weights": [
        {"path": f"blob {oid[:12]}", "format": str(weight.format), "pickle_based": weight.pickle_based}
    ]}}  # fmt: skip
    for rule in rules:
        assert rule.template is not None
        evidence = TEMPLATES[rule.template].evaluate(view, rule.value)
        if evidence:
            return Refusal(rule.id, f"{rule.reason} [{evidence[0]}]")
    return None
