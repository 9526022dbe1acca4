"""Every command as a function: the library is what the CLI calls, so both behave alike.

:func:`audit`, :func:`scan` and :func:`verify` each return a frozen result that
knows its own gate (``result.fails(...)``); :mod:`ptmscope.formats` renders it and
:func:`ptmscope.formats.output.emit` writes it. Bad input raises an
:class:`~ptmscope.errors.InputError` (a missing path, an unknown revision, a
hostile file); a feature whose optional dependencies are missing raises
:class:`~ptmscope.errors.MissingExtraError` naming the extra to install.

Engines are imported inside the functions, so ``import ptmscope`` stays light
(no numpy, torch, transformers, duckdb, pyarrow or starlette until a function needs them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ptmscope.audit import AuditOptions, audit, collect, evaluate
from ptmscope.errors import InputError
from ptmscope.results.audit import AuditResult
from ptmscope.results.scan import ScanResult
from ptmscope.results.verify import VerifyResult
from ptmscope.verify.options import VerifyOptions

if TYPE_CHECKING:
    from ptmscope.policy.document import AdmissionPolicy
    from ptmscope.results.compare import CompareResult
    from ptmscope.results.policy import CaseResult, PolicyDecision
    from ptmscope.results.select import SelectResult
    from ptmscope.scan.policy import Policy
    from ptmscope.verify.engine import Progress as VerifyProgress

__all__ = [
    "SCAN_TIMEOUT_S",
    "AuditOptions",
    "PolicyLike",
    "audit",
    "audit_demo",
    "collect",
    "compare",
    "evaluate",
    "export",
    "scan",
    "scorecard",
    "select",
    "verify",
]

SCAN_TIMEOUT_S = 120.0
"""Default wall time for one top-level file in :func:`scan` (``scan --timeout``)."""

PolicyLike: TypeAlias = "Policy | str | Path | Sequence[str | Path] | None"
"""A loaded :class:`~ptmscope.scan.policy.Policy`, or YAML policy files tried (in order)
before the default one; ``None`` or ``()`` is the default policy alone."""


def _policy(policy: PolicyLike) -> Policy:
    from ptmscope.scan.policy import Policy, load_policy

    if isinstance(policy, Policy):
        return policy
    if policy is None:
        return load_policy(())
    paths = [policy] if isinstance(policy, str | Path) else list(policy)
    return load_policy([Path(p) for p in paths])


def scan(
    targets: str | Path | Sequence[str | Path],
    *,
    policy: PolicyLike = None,
    timeout: float = SCAN_TIMEOUT_S,
    token: str | None = None,
    download: bool = False,
) -> ScanResult:
    """Scan files, folders (recursively) and Hub models for unsafe serialization.

    The Python form of ``ptmscope scan``: nothing is loaded or executed; each file is
    told apart by its content. A file that cannot be read or fully scanned is a
    :class:`~ptmscope.results.scan.FileScan` with errors (it fails every gate), never
    dropped. ``timeout`` bounds the seconds spent per top-level file; ``token`` and
    ``download`` apply to Hub models (byte ranges unless ``download``).
    """
    from ptmscope.scan.context import Limits
    from ptmscope.scan.scanner import scan_targets

    items = [targets] if isinstance(targets, str | Path) else list(targets)
    if not timeout > 0:
        raise InputError(f"timeout must be positive (got {timeout})")
    from ptmscope.scan.policy import Policy

    admission = None
    if policy is not None and not isinstance(
        policy, Policy
    ):  # files: one may be an admission policy
        from ptmscope.policy.scan_view import admission_among

        paths = [policy] if isinstance(policy, str | Path) else list(policy)
        admission = admission_among([Path(p) for p in paths])
    result = scan_targets(
        items, _policy(policy), Limits(seconds=timeout), token=token, download=download
    )
    if admission is None:
        return result
    from ptmscope.policy.scan_view import with_decision

    return with_decision(result, admission)


def verify(
    ref: str | Path,
    options: VerifyOptions | None = None,
    *,
    revision: str | None = None,
    token: str | None = None,
    progress: Callable[[VerifyProgress], None] | None = None,
) -> VerifyResult:
    """Re-measure the performance a package's card claims: the Python form of ``ptmscope verify``.

    ``progress`` is called as the model works through each group of claims (what the CLI's
    progress line shows).

    Runs the model (no remote code) on the claimed datasets, so it needs the
    ``verify`` extra; without it this raises :class:`~ptmscope.errors.MissingExtraError`
    naming ``pip install 'ptmscope[verify]'`` before anything is read.
    """
    from ptmscope.extras import require

    require("verify", "ptmscope verify")
    from ptmscope.collector import collect_from
    from ptmscope.sources import open_source
    from ptmscope.verify.engine import verify_package
    from ptmscope.verify.materialize import model_folder

    options = options or VerifyOptions()
    with open_source(str(ref), revision=revision, token=token) as source:
        package = collect_from(source)
        with model_folder(source, package) as folder:
            claims = verify_package(package, folder, options, progress)
    return VerifyResult(package.ref, package.commit, tuple(claims))


def policy_check(
    ref: str | Path,
    policy: str | Path,
    *,
    revision: str | None = None,
    token: str | None = None,
) -> PolicyDecision:
    """The admission decision for ``ref`` under the policy file ``policy``: the Python form of
    ``ptmscope policy check``.

    ``ref`` is a package (audited here, as ``audit`` would) or a saved ``audit --format
    json`` report, so a decision can be made again from what CI kept. The policy is read
    (and every CEL rule compiled) before anything is audited.
    """
    from ptmscope.policy import decide, load_admission_policy
    from ptmscope.policy.reports import read_audit_report

    admission = load_admission_policy(policy)
    saved = Path(ref)
    if str(ref).endswith(".json") and saved.is_file():
        return decide(read_audit_report(saved), admission)
    return decide(audit_report(ref, revision=revision, token=token, policy=admission), admission)


def audit_report(
    ref: str | Path,
    *,
    revision: str | None = None,
    token: str | None = None,
    policy: AdmissionPolicy | None = None,
) -> dict[str, Any]:
    """``ref`` audited, as the JSON-ready report ``audit --format json`` writes (its files
    scanned with ``policy``'s ``scan:`` rules when a policy is given)."""
    from ptmscope.audit import collect_and_evaluate
    from ptmscope.results.audit_report import build

    options = AuditOptions(revision=revision, token=token)
    scan_policy = policy.scan_policy() if policy is not None else None
    return build(collect_and_evaluate(str(ref), options, scan_policy))


def policy_test(folder: str | Path) -> list[CaseResult]:
    """Every case of the ``*_test.yaml`` files under ``folder`` (``ptmscope policy test``)."""
    from ptmscope.policy.testing import run_tests

    return run_tests(Path(folder), lambda ref, policy: audit_report(ref, policy=policy))


def audit_demo() -> AuditResult:
    """Audit the embedded ``all-MiniLM-L6-v2`` snapshot, offline (``ptmscope demo``)."""
    from ptmscope.demo import DEMO_MODEL_ID, demo_model_path

    package = collect(demo_model_path())
    return evaluate(replace(package, name=DEMO_MODEL_ID))


def export(
    ref: str | Path | AuditResult,
    format: str = "cyclonedx",
    *,
    revision: str | None = None,
    token: str | None = None,
    metadata: str | Path | None = None,
) -> str:
    """``ref`` audited and written as a standard document: the Python form of ``ptmscope
    export``. ``format`` is ``cyclonedx`` (CycloneDX 1.6), ``cyclonedx-1.7`` or ``spdx``
    (SPDX 3.0.1 with the AI profile); an :class:`AuditResult` is exported as it is.

    The document is validated before it is returned; one that does not validate raises
    :class:`~ptmscope.export.InvalidExportError` (a bug in ptmscope, not the input's).
    An unknown format is an :class:`~ptmscope.errors.InputError`, raised before the audit.
    Files are hashed through the open source; an :class:`AuditResult` whose source is
    closed keeps the hashes it can still read (local files, LFS oids).
    """
    from ptmscope.export import export_format, render

    export_format(format)  # an unknown format costs no audit
    if isinstance(ref, AuditResult):
        return render(ref, format)
    from ptmscope.collector import collect_from
    from ptmscope.sources import open_source
    from ptmscope.sources.metadata import load_metadata

    record = load_metadata(metadata) if metadata is not None else None
    # Rendered while the source is open: files are hashed through it (a git blob is
    # read from the repository, which closing the source lets go of).
    with open_source(str(ref), revision=revision, token=token) as source:
        return render(evaluate(collect_from(source, record)), format)


def scorecard(
    ref: str | Path | AuditResult,
    *,
    revision: str | None = None,
    token: str | None = None,
    policy: str | Path | None = None,
) -> dict[str, Any]:
    """``ref`` audited, in the OpenSSF Scorecard shape that ``registry serve`` answers at
    ``/api/v1/scorecards/{owner}/{name}`` (``schemas/scorecard.schema.json``): one check per
    factor and risk probe (0-10, ``-1`` undecided) beside ptmscope's own blocks.

    With ``policy`` (an admission policy file, read before anything is audited) its
    decision is the ``policy`` block and the files are scanned with its ``scan:`` rules; an
    :class:`AuditResult` is shaped as it is (``policy`` then decides on its report).
    """
    from ptmscope.results.audit_report import build
    from ptmscope.results.scorecard import build as shape

    admission = None
    if policy is not None:
        from ptmscope.policy import load_admission_policy

        admission = load_admission_policy(policy)
    if isinstance(ref, AuditResult):
        report = build(ref)
    else:
        report = audit_report(ref, revision=revision, token=token, policy=admission)
    decision = None
    if admission is not None:
        from ptmscope.policy import decide

        decision = decide(report, admission).data()
    return shape(report, policy=decision)


def select(
    db: str | Path,
    task: str,
    *,
    top: int = 10,
    policy: str | Path | None = None,
    weights: str | tuple[float, float, float] | None = None,
    data: str | Path | None = None,
    embed_top: int = 3,
    k: int = 5,
    columns: dict[str, str] | None = None,
    limit: int | None = 2000,
    token: str | None = None,
) -> SelectResult:
    """``task``'s candidates in the study database ``db``, ranked without downloading
    anything: the Python form of ``ptmscope select`` (render the result with
    :data:`ptmscope.formats.select.SELECT_FORMATS`).

    ``weights`` are quality, popularity and maintenance (``"0.3,0.35,0.35"`` or a tuple;
    npms's by default), scaled to sum to 1. ``policy`` is an admission policy whose rules
    the database can judge become hard filters; the others are listed as not judged.

    ``data`` (labelled texts, the ``verify`` extra) adds the task stage: the first
    ``embed_top`` ranked candidates are fetched the way ``audit`` fetches a Hub id (from
    the local cache, or through ``HF_ENDPOINT``, e.g. a ``registry serve`` mirror), embed
    the sample, and get LogME and ``k``-fold linear-probe accuracy beside the size and
    downloads baselines; a candidate that cannot be fetched or run keeps its error.
    """
    from ptmscope.selection.select import DEFAULT_WEIGHTS, parse_weights
    from ptmscope.selection.select import select as rank

    if weights is None:
        chosen = DEFAULT_WEIGHTS
    elif isinstance(weights, str):
        chosen = parse_weights(weights)
    else:
        chosen = parse_weights(",".join(str(w) for w in weights))
    sample = Path(data) if data is not None else None
    if sample is not None:
        from ptmscope.extras import require
        from ptmscope.selection.transfer import load_sample

        if embed_top < 1:
            raise InputError(f"the task stage needs at least one candidate (got {embed_top})")
        if k < 2:
            raise InputError(f"k-fold needs k >= 2 (got {k})")
        require("verify", "select --data")
        load_sample(sample, columns, limit)  # a file that cannot be used costs no ranking
    result = rank(db, task, top=top, policy=policy, weights=chosen)
    if sample is None:
        return result
    from ptmscope.selection.transfer import task_stage

    chosen_ids = [c.id for c in result.candidates[:embed_top]]
    known = {c.id: (c.size, c.downloads) for c in result.candidates}
    stage = task_stage(
        chosen_ids, sample, k=k, columns=columns, limit=limit, token=token,
        known=known, fetch_errors=True,
    )  # fmt: skip
    return replace(result, transfer=stage)


def compare(
    refs: Sequence[str | Path],
    *,
    data: str | Path | None = None,
    policy: str | Path | None = None,
    token: str | None = None,
    k: int = 5,
    columns: dict[str, str] | None = None,
    limit: int | None = 2000,
) -> CompareResult:
    """Models side by side: the Python form of ``ptmscope compare``.

    Each of ``refs`` (a folder, a git repository at a revision as ``path@rev``, a Hub id)
    is audited once; the result has one column per model and one row per fact (scores,
    licences, formats and scan verdict, signature, card factors, claims, lineage, size,
    downloads). ``policy`` adds each model's admission decision; ``data`` (labelled texts,
    the ``verify`` extra) adds LogME and ``k``-fold linear-probe accuracy on it, with the
    Kendall tau of LogME, size and downloads against the probe ranking.
    """
    from ptmscope.results.audit_report import build
    from ptmscope.selection.compare import check_inputs, side_by_side
    from ptmscope.selection.facts import split_ref

    names = [str(r) for r in refs]
    sample = Path(data) if data is not None else None
    check_inputs(names, sample, columns, limit)  # bad input costs no audit
    if policy is not None:
        from ptmscope.policy import load_admission_policy

        load_admission_policy(policy)
    checked = (
        None
        if sample is None
        else VerifyOptions(  # claims on a dataset named like the file are re-measured on it
            data={sample.stem: str(sample)},
            columns=dict(columns or {}),
            limit=limit,
            hub_datasets=False,
            quiet_libraries=True,
        )
    )
    reports: list[dict[str, Any]] = []
    decisions: list[str | None] = []
    failing: list[str] = []
    for ref in names:
        path, revision = split_ref(ref)
        options = AuditOptions(revision=revision, token=token, policy=policy, verify=checked)
        result = audit(path, options)
        reports.append(build(result))
        decisions.append(None if result.policy is None else result.policy.decision.value)
        if result.fails(None) or reports[-1]["summary"]["verdict"] == "fail":
            failing.append(ref)
    task = None
    if sample is not None:
        from ptmscope.selection.transfer import task_stage

        task = task_stage(names, sample, k=k, columns=columns, limit=limit, token=token)
    return side_by_side(names, reports, decisions if policy is not None else None, failing, task)
