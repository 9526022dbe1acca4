"""The ``ptmscope`` command: parse arguments, call the library, pick a format, set the exit code.

Exit codes: 0 done; 1 a detected risk at or above ``--fail-on``; 2 usage or input
error (one line on stderr, no traceback); 3 internal error.
"""

from __future__ import annotations

# isort: off
import ptmscope._startup as _startup  # first: it pauses the cycle collector while modules load

# isort: on
import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptmscope._version import __version__
from ptmscope.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, PtmscopeError
from ptmscope.formats import (
    AUDIT_FORMATS,
    POLICY_FORMATS,
    SCAN_FORMATS,
    STUDY_FORMATS,
    VERIFY_FORMATS,
    Formats,
)
from ptmscope.formats.output import emit
from ptmscope.severity import Severity
from ptmscope.vocab import SourceKind

if TYPE_CHECKING:
    from ptmscope.verify.engine import Progress as VerifyProgress
    from ptmscope.verify.options import VerifyOptions

if TYPE_CHECKING:
    from ptmscope.scan.scanner import Progress

# Every command imports its engine when it runs (``_scan`` never loads the audit,
# the study tables, rich or the Hub client): ``ptmscope scan FILE`` is started once
# per file by pre-commit hooks and CI gates, where start-up is most of the cost.

SOURCE_KINDS = ("auto", *(kind.value for kind in SourceKind if kind is not SourceKind.RECORD))
"""``--source`` choices (:data:`ptmscope.sources.SOURCE_KINDS`, checked equal by a test)."""

SEVERITIES = [s.label for s in Severity if s is not Severity.INFO]

EPILOG = """exit codes:
  0  audit done, nothing at or above --fail-on
  1  a detected risk at or above --fail-on, or part of the package could not be
     read or scanned (fail closed, whatever --fail-on says)
  2  usage error or unusable input (nothing audited)
  3  internal error (set PTMSCOPE_DEBUG=1 for the traceback)
"""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's raw-description help, its width read as ``shutil`` reads it but without
    importing ``shutil`` (and with it bz2, lzma and zlib): 2 ms of a one-file scan's start."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_columns() - 2)


def _terminal_columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def add_progress_option(sub: argparse.ArgumentParser, what: str) -> None:
    """``--progress auto|always|never``: a line on stderr, by default only on a terminal."""
    sub.add_argument(
        "--progress",
        choices=["auto", "always", "never"],
        default="auto",
        help=f"{what} on stderr (auto: when stderr is a terminal)",
    )


def shows_progress(args: argparse.Namespace) -> bool:
    return bool(args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty()))


def add_package_options(sub: argparse.ArgumentParser) -> None:
    """REF, its revision and a Hub token: how audit and verify name a package."""
    sub.add_argument(
        "ref",
        metavar="REF",
        help="package folder, git repository (bare or not), or Hub model owner/name[@revision]",
    )
    sub.add_argument("--revision", "-r", help="branch, tag or commit (git and Hub sources)")
    sub.add_argument("--token", help="Hub token for private or gated models (default: HF_TOKEN)")


def add_format_options(sub: argparse.ArgumentParser, formats: Formats[Any]) -> None:
    """``--format`` (choices read from the result's renderer registry) and ``--output``."""
    sub.add_argument("--format", "-f", choices=formats.names, default=formats.default)
    sub.add_argument(
        "--output", "-o", metavar="FILE", help="write the report here instead of stdout"
    )


def add_verify_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="local data for a claimed dataset (NAME or *)",
    )
    sub.add_argument(
        "--columns",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="name a column (text, label, tokens, …)",
    )
    sub.add_argument("--limit", type=int, metavar="N", help="evaluate N examples per dataset")


def _add_report_options(sub: argparse.ArgumentParser) -> None:
    add_format_options(sub, AUDIT_FORMATS)
    sub.add_argument(
        "--show-details",
        action="store_true",
        help="text format: every evidence item (default: two per row, '+N more')",
    )
    sub.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        metavar="SEVERITY",
        help=f"exit 1 if a risk at or above this is detected ({', '.join(SEVERITIES)})",
    )


def _add_audit(commands: Any) -> None:
    sub = commands.add_parser(
        "audit",
        help="reuse scorecard for a model package (folder or git repository)",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    add_package_options(sub)
    sub.add_argument(
        "--source", choices=SOURCE_KINDS, default="auto", help="how to read REF (default: auto)"
    )
    sub.add_argument("--metadata", metavar="FILE", help="registry record (Hub model_info JSON)")
    sub.add_argument(
        "--baseline",
        metavar="DB",
        help="rank popularity against this study database (default: the shipped Hub baseline)",
    )
    sub.add_argument(
        "--policy",
        metavar="FILE",
        help="admission policy: its decision in every format, exit 1 on deny (see `policy check`)",
    )
    sub.add_argument(
        "--download",
        action="store_true",
        help="Hub models: fetch whole files (default: byte ranges)",
    )
    sub.add_argument(
        "--verify", action="store_true", help="re-measure the card's claims (runs the model)"
    )
    add_verify_options(sub)
    _add_trust_options(sub)
    _add_report_options(sub)


EXPORT_EPILOG = """formats:
  cyclonedx      CycloneDX 1.6 ML-BOM (JSON): the model component, its files' SHA-256,
                 modelCard, datasets, pedigree, and the audit as definitions + declarations
  cyclonedx-1.7  the same as CycloneDX 1.7
  spdx           SPDX 3.0.1 JSON-LD with the AI and Dataset profiles

Every document is validated before it is written. Set SOURCE_DATE_EPOCH to fix its time.
exit codes: 0 written; 2 usage or input error; 3 internal error (an invalid document
is never written)
"""


def _add_export(commands: Any) -> None:
    from ptmscope.export import FORMAT_NAMES

    sub = commands.add_parser(
        "export",
        help="CycloneDX ML-BOM or SPDX 3 AI document of a package, with its audit",
        epilog=EXPORT_EPILOG,
        formatter_class=Formatter,
    )
    add_package_options(sub)
    sub.add_argument("--metadata", metavar="FILE", help="registry record (Hub model_info JSON)")
    sub.add_argument("--format", "-f", choices=FORMAT_NAMES, default=FORMAT_NAMES[0])
    sub.add_argument(
        "--output", "-o", metavar="FILE", help="write the document here instead of stdout"
    )


def _add_trust_options(sub: argparse.ArgumentParser) -> None:
    """What model (OMS) and commit signatures are verified against; nothing by default."""
    trust = sub.add_argument_group("signatures (see README: Signatures)")
    trust.add_argument("--trust-key", metavar="PEM", help="verify model.sig with this public key")
    trust.add_argument(
        "--trust-cert",
        action="append",
        default=[],
        metavar="PEM",
        help="verify model.sig with this certificate chain (repeatable)",
    )
    trust.add_argument("--trust-identity", metavar="ID", help="Sigstore signer identity")
    trust.add_argument("--trust-issuer", metavar="URL", help="OIDC issuer of --trust-identity")
    trust.add_argument(
        "--trust-root", metavar="JSON", help="Sigstore trusted_root.json (verifies offline)"
    )
    trust.add_argument(
        "--online",
        action="store_true",
        help="without --trust-root, fetch Sigstore's trust root over the network",
    )
    trust.add_argument(
        "--trust-keyring",
        action="append",
        default=[],
        metavar="FILE",
        help="OpenPGP public keys or SSH allowed-signers that commit signatures are checked "
        "against (repeatable)",
    )


def _add_demo(commands: Any) -> None:
    demo = commands.add_parser("demo", help="audit the embedded all-MiniLM-L6-v2 snapshot, offline")
    _add_report_options(demo)


def _add_probes(commands: Any) -> None:
    commands.add_parser("probes", help="list every probe with what it checks and how to fix it")


def _add_scan(commands: Any) -> None:
    scan = commands.add_parser(
        "scan",
        help="scan model files for unsafe serialization, never loading them",
        epilog=SCAN_EPILOG,
        formatter_class=Formatter,
    )
    scan.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files, folders (recursive) or Hub models owner/name[@revision]",
    )
    scan.add_argument("--token", help="Hub token for private or gated models (default: HF_TOKEN)")
    scan.add_argument("--download", action="store_true", help="Hub models: fetch whole files")
    add_format_options(scan, SCAN_FORMATS)
    scan.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML scan policy tried before the default one (repeatable)",
    )
    scan.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="high",
        metavar="SEVERITY",
        help="exit 1 if a finding is at or above this (default: high)",
    )
    scan.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="time limit per file (default 120)",
    )
    scan.add_argument(
        "--show-clean",
        "--verbose",
        "-v",
        action="store_true",
        help="text format: list clean files too (default for folders: findings and errors only)",
    )
    add_progress_option(scan, "a counter with ETA")


def _add_verify(commands: Any) -> None:
    verify = commands.add_parser(
        "verify",
        help="re-measure the performance a model card claims",
        epilog=VERIFY_EPILOG,
        formatter_class=Formatter,
    )
    add_package_options(verify)
    add_verify_options(verify)
    verify.add_argument("--seed", type=int, help="random seed for sampling (default 0)")
    verify.add_argument("--batch-size", type=int, help="texts per forward pass (default 32)")
    verify.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when the card states no claims (default: exit 1, nothing was verified)",
    )
    add_progress_option(verify, "claim group, inputs done and ETA")
    add_format_options(verify, VERIFY_FORMATS)


def _add_study(commands: Any) -> None:
    study = commands.add_parser("study", help="registry-wide measurement: ingest data, then report")
    study_commands = study.add_subparsers(dest="study_command", required=True, metavar="COMMAND")
    ingest = study_commands.add_parser(
        "ingest", help="add listings, cards or package folders to a study database"
    )
    ingest.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="CSV/JSONL listing, cards Parquet, or folder"
    )
    ingest.add_argument(
        "--crawl", metavar="ENDPOINT", help="also crawl this Hub endpoint's listing"
    )
    ingest.add_argument("--rate", type=float, default=5.0, help="crawl: requests per second")
    ingest.add_argument("--max-pages", type=int, help="crawl: stop after N pages (rerun resumes)")
    ingest.add_argument("--token", help="crawl: Hub token (default: HF_TOKEN)")
    ingest.add_argument("--db", required=True, metavar="DIR")
    ingest.add_argument("--workers", type=int, default=2, help="local processes (default 2)")
    ingest.add_argument("--engine", choices=["local", "dask"], default="local")
    ingest.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://127.0.0.1:8786"
    )
    ingest.add_argument("--chunk-size", type=int, default=500)
    snap = study_commands.add_parser(
        "clone",
        aliases=["snapshot"],
        help="bare git clones of packages from a Hub endpoint (`snapshot`: former name)",
    )
    snap.add_argument("--ids", required=True, metavar="FILE", help="one owner/name per line")
    snap.add_argument("--out", required=True, metavar="DIR")
    snap.add_argument("--endpoint", help="default: HF_ENDPOINT or https://huggingface.co")
    snap.add_argument("--retries", type=int, default=3)
    snap.add_argument("--workers", type=int, default=4)
    snap.add_argument("--token", help="Hub token (default: HF_TOKEN)")
    report = study_commands.add_parser(
        "report", help="measurements beside the paper's, as HTML, JSON or Markdown"
    )
    report.add_argument("--db", required=True, metavar="DIR")
    add_format_options(report, STUDY_FORMATS)
    report.add_argument(
        "--paper",
        metavar="CSV|none",
        default="shipped",
        help="the ICSE 2023 paper's values beside ours: ptmscope's copy (default), a "
        "paper_measurements.csv, or 'none'",
    )


def _add_registry(commands: Any) -> None:
    registry = commands.add_parser("registry", help="a Hub-compatible registry: mirror and gateway")
    registry_commands = registry.add_subparsers(
        dest="registry_command", required=True, metavar="COMMAND"
    )
    _add_registry_index(registry_commands)
    serve = registry_commands.add_parser(
        "serve",
        help="serve ROOT/<owner>/<name>/ packages (folders or git repositories) over the Hub API",
        epilog=SERVE_EPILOG,
        formatter_class=Formatter,
    )
    serve.add_argument("root", metavar="ROOT", help="folder holding <owner>/<name>/ packages")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--policy",
        metavar="FILE",
        help="admission policy (YAML, as `policy check` reads): audit, decide and refuse",
    )
    serve.add_argument(
        "--dry-run",
        action="store_true",
        help="serve what the policy denies, logging what would have been refused",
    )
    serve.add_argument(
        "--audit-log",
        metavar="FILE",
        help="JSON-lines log of decisions and refusals (default ROOT/.ptmscope/)",
    )
    serve.add_argument(
        "--rate-limit", type=float, metavar="N", help="requests per second per client (429 beyond)"
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        metavar="N",
        help="largest request body, before and after gzip decoding (413 beyond; default 16 MiB)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        metavar="S",
        help="seconds to receive a request body (408 beyond; default 30)",
    )
    serve.add_argument(
        "--git-timeout",
        type=float,
        metavar="S",
        help="longest git upload-pack run (default 600)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="threads per worker for blocking work such as audits and git (default 32)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes, sharing verdicts and counters through --state (default 1)",
    )
    serve.add_argument(
        "--state",
        metavar="FILE",
        help="shared state (SQLite, WAL) of every worker (default ROOT/.ptmscope/state.sqlite)",
    )
    serve.add_argument(
        "--accel-redirect",
        metavar="PREFIX",
        help="hand file bodies to a front server: X-Accel-Redirect under this URL prefix "
        "(an nginx internal location over ROOT/.ptmscope/objects; see examples/nginx)",
    )


POLICY_EPILOG = """A policy file (version: 1, YAML; schema: ptmscope/schemas/policy.schema.json):

  version: 1
  checks:                       # Scorecard's shape: a minimum or an outcome, and a mode
    overall: {min: 6}
    risk.pickle_weights: {outcome: clear, mode: enforce}
    provenance: {min: 5, mode: warn}
  rules:                        # CEL over the audit's JSON report (the variable `audit`)
    - id: no-remote-code
      when: 'audit.findings.exists(f, f.probe == "risk.remote_code" && f.outcome == "detected")'
      action: deny
      reason: the model needs its own code to load
  templates:                    # built-in rules, one line each
    trusted_owners: [acme, sentence-transformers]
    no_pickle: true
    scan_verdict: clean

REF is a package (as for audit) or a saved `audit --format json` report.
exit codes: 0 allow or warn; 1 deny; 2 usage or input error (a malformed policy
names its line); 3 internal error.
"""


def _add_policy(commands: Any) -> None:
    policy = commands.add_parser("policy", help="admission policy: one decision for a package")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")
    check = policy_commands.add_parser(
        "check",
        help="decide allow, warn or deny for a package (or a saved audit report)",
        epilog=POLICY_EPILOG,
        formatter_class=Formatter,
    )
    check.add_argument(
        "ref", metavar="REF", help="package (folder, git repository, Hub id) or audit JSON file"
    )
    check.add_argument("--policy", required=True, metavar="FILE", help="the policy (YAML)")
    check.add_argument("--revision", "-r", help="branch, tag or commit (git and Hub sources)")
    check.add_argument("--token", help="Hub token for private or gated models (default: HF_TOKEN)")
    add_format_options(check, POLICY_FORMATS)
    test = policy_commands.add_parser(
        "test",
        help="run policy test cases (*_test.yaml: policy, audit report or package, expected "
        "decision)",
    )
    test.add_argument("folder", metavar="DIR", help="folder holding *_test.yaml files")


SELECT_EPILOG = """Ranks the task's models in a study database (`ptmscope study ingest`) without
downloading anything. Each sub-score is a percentile of the database's population:
quality (the card factors the probes found), popularity (downloads, likes and
dependents) and maintenance (creation date: the database records no last change).
Reasons are marked by source: [listing], [card] (the author's words, not re-measured),
[study] (what ptmscope found), [policy]. With --policy, the rules the database can
judge are hard filters (a rule that cannot tell for a candidate removes it: fail
closed); the rest are listed as NOT judged. Baselines rank the same candidates by
downloads and by size, with Kendall's tau-b against ours.

--data FILE (the `verify` extra) is the task stage: the first --embed-top candidates
are fetched as `audit` fetches a Hub id (the local cache, or HF_ENDPOINT such as a
`registry serve` mirror), embed the labelled texts, and get LogME and a k-fold
linear-probe accuracy, with each ranking's Kendall tau against the probe; a candidate
that cannot be fetched or run keeps its error and is ranked by nothing.

exit codes: 0 ranked; 2 usage or input error (no such database, no model with the
task, a bad policy or --weights); 3 internal error.
"""


def _add_select(commands: Any) -> None:
    from ptmscope.formats.select import SELECT_FORMATS

    sub = commands.add_parser(
        "select",
        help="rank a task's candidates from a study database (registry stage, no downloads)",
        epilog=SELECT_EPILOG,
        formatter_class=Formatter,
    )
    sub.add_argument("--task", required=True, help="the task (e.g. text-classification)")
    sub.add_argument("--db", required=True, metavar="DIR", help="a study database")
    sub.add_argument("--top", type=int, default=10, metavar="N", help="candidates shown (10)")
    sub.add_argument("--policy", metavar="FILE", help="admission policy: hard filters")
    sub.add_argument(
        "--weights",
        metavar="Q,P,M",
        help="quality, popularity, maintenance weights (default npms's 0.30,0.35,0.35)",
    )
    sub.add_argument(
        "--data", metavar="FILE", help="labelled texts: LogME and probes on the top candidates"
    )
    sub.add_argument(
        "--embed-top",
        type=int,
        default=3,
        metavar="K",
        help="candidates fetched and run on --data (3)",
    )
    _add_task_stage_options(sub)
    add_format_options(sub, SELECT_FORMATS)


def _add_task_stage_options(parser: Any) -> None:
    """The options of the task stage (``--data``) that ``select`` and ``compare`` share."""
    from ptmscope.selection.probe import FOLDS

    parser.add_argument(
        "--columns",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="name a column of --data (text, label, text_pair)",
    )
    parser.add_argument(
        "--limit", type=int, metavar="N", help="use N examples of --data (default 2000)"
    )
    parser.add_argument(
        "--folds", type=int, default=FOLDS, metavar="K", help=f"probe folds (default {FOLDS})"
    )
    parser.add_argument("--token", help="Hub token for private or gated models (default: HF_TOKEN)")


COMPARE_EPILOG = """Each model is audited as `audit` would (REF: a folder, a git repository at a
revision as PATH@REV, or a Hub id owner/name[@rev]); rows marked with ≠ (bold on a
terminal, **bold** in Markdown) differ between the models. `?` is unknown, `none` is
known to be empty.

--data FILE (CSV, JSON Lines, JSON, Parquet with text and label columns; the `verify`
extra) embeds the labelled texts with each model and reports LogME and a k-fold
linear-probe accuracy beside the size and downloads baselines, with each ranking's
Kendall tau against the probe; a sentence says so when LogME is not better than size.

exit codes: 0 done; 1 a model's content could not be fully checked, or --policy
denies one; 2 usage or input error; 3 internal error.
"""


def _add_compare(commands: Any) -> None:
    from ptmscope.formats.compare import COMPARE_FORMATS

    compare = commands.add_parser(
        "compare",
        help="models side by side: scores, licences, formats, claims, size (and LogME on --data)",
        epilog=COMPARE_EPILOG,
        formatter_class=Formatter,
    )
    compare.add_argument(
        "refs", metavar="REF", nargs="+", help="folder, git repository[@REV] or Hub owner/name"
    )
    compare.add_argument(
        "--data", metavar="FILE", help="labelled texts: verify claims, run LogME and probes"
    )
    compare.add_argument("--policy", metavar="FILE", help="admission policy: a decision per model")
    _add_task_stage_options(compare)
    add_format_options(compare, COMPARE_FORMATS)


_COMMANDS: dict[str, Callable[[Any], None]] = {
    "audit": _add_audit,
    "demo": _add_demo,
    "probes": _add_probes,
    "scan": _add_scan,
    "verify": _add_verify,
    "export": _add_export,
    "study": _add_study,
    "registry": _add_registry,
    "policy": _add_policy,
    "select": _add_select,
    "compare": _add_compare,
}
"""Each command's arguments, added to the parser only when needed: building every
subcommand's parser took 5.3 ms of a one-file scan's start, the scan parser alone 3.4 ms."""


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that command's (the rest are not needed to parse it)."""
    parser = argparse.ArgumentParser(
        prog="ptmscope",
        description="What you are about to reuse when you take a pre-trained model.",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"ptmscope {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, add in _COMMANDS.items():
        if only is None or name == only:
            add(commands)
    return parser


SERVE_EPILOG = """Point any huggingface_hub client at it with HF_ENDPOINT=http://HOST:PORT.
With --policy, each package revision is audited, scanned and decided (allow,
warn, deny) when first served, once per commit and policy. A denied revision is
refused whole: every file gets HTTP 403 with X-Error-Code GatedRepo, so
huggingface_hub and transformers raise an error that quotes the rule and the
reason. Whatever the decision, files whose scan finds code at or above the
policy's gateway.block are refused. Each decision and each refusal is a line
of the audit log (JSON); --dry-run serves denied revisions and logs them.
"""


VERIFY_EPILOG = """Each claim (model-index, .eval_results, Trainer prose, Markdown tables) is
mapped to a recipe by task and metric, its dataset is loaded (from --data, else
from the Hub with `datasets`), the model is run (batched, inference mode, no
remote code) and the value gets a 95% interval (Wilson for proportions,
bootstrap otherwise). Verdicts: consistent, over-claimed, under-claimed,
inconclusive (interval too wide), unverifiable (the reason says why).

Each distinct input is run through the model once (a pair set that repeats its
texts embeds each text once), the model is loaded once per package, and inputs
longer than the model's window are truncated (the claim's reason says how many).

exit codes: 0 done, no claim over-claimed; 1 a claim is over-claimed, or the
card states no claims (unless --allow-empty); 2 usage or input error (a --data
file that is missing, unreadable or lacks the task's columns); 3 internal error.
"""


SCAN_EPILOG = """verdicts: malicious (a critical or high finding), suspicious (low or medium
findings only), error (no finding, but part of the file could not be read),
clean. A file is told apart by its content, never by its name.

exit codes:
  0  every file clean, or findings below --fail-on only
  1  a finding at or above --fail-on, or a file that could not be fully scanned
     (an error never hides a finding, and never passes a gate)
  2  usage error or unusable input (nothing scanned)
  3  internal error (set PTMSCOPE_DEBUG=1 for the traceback)
"""


def _study(args: argparse.Namespace) -> int:
    import ptmscope.study

    if args.study_command in ("clone", "snapshot"):
        cloned = ptmscope.study.clone(
            Path(args.ids), Path(args.out), args.endpoint, retries=args.retries,
            workers=args.workers, token=args.token,
        )  # fmt: skip
        print(
            f"{cloned.cloned} cloned, {cloned.skipped} already there, {len(cloned.failed)} failed "
            f"(see {Path(args.out) / 'manifest.jsonl'})",
            file=sys.stderr,
        )
        return EXIT_FINDINGS if cloned.failed else EXIT_OK
    if args.study_command == "ingest":
        return _ingest(args)
    paper = None if args.paper.lower() == "none" else args.paper
    result = ptmscope.study.report(Path(args.db), paper)
    emit(STUDY_FORMATS, args.format, result, args.output)
    return EXIT_OK


def _ingest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    import ptmscope.study

    if args.chunk_size <= 0 or args.workers <= 0:
        raise PtmscopeError("--chunk-size and --workers must be positive")
    if not args.sources and not args.crawl:
        raise PtmscopeError("give SOURCE files or folders, or --crawl ENDPOINT")
    if not args.rate >= 0 or (args.max_pages is not None and args.max_pages <= 0):
        raise PtmscopeError("--rate must be 0 (no limit) or more and --max-pages positive")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    # bars only on a terminal: elsewhere rich writes a blank line before every other line
    console = Console(stderr=True)
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        tasks: dict[str, Any] = {}

        def show(description: str, done: int, total: int) -> None:
            if description not in tasks:
                tasks[description] = progress.add_task(description, total=total)
            progress.update(tasks[description], completed=done, total=total)
            if done >= total:  # one bar per source (or crawled page) while it runs
                progress.remove_task(tasks.pop(description))

        def report(name: str, done: int, total: int) -> None:
            show(f"chunks of {name}", done, total)

        stats = ptmscope.study.ingest(
            Path(args.db), [Path(s) for s in args.sources], workers=args.workers,
            engine=args.engine, scheduler=args.scheduler, chunk_size=args.chunk_size,
            progress=report,
        )  # fmt: skip
        models, packages, chunks = stats.models, stats.packages, stats.chunks_written
        if args.crawl:
            crawled = ptmscope.study.crawl(
                Path(args.db), args.crawl, token=args.token, rate=args.rate,
                max_pages=args.max_pages, progress=show,
            )  # fmt: skip
            models, packages = models + crawled.models, packages + crawled.packages
            chunks += crawled.chunks_written
            print(
                f"crawled {crawled.pages} page(s) of {args.crawl}: {crawled.models:,} listing rows, "
                f"{crawled.packages:,} packages ({crawled.cards:,} READMEs read, "
                f"{crawled.card_errors:,} unreadable)",
                file=sys.stderr,
            )
    print(
        f"ingested {models:,} listing rows, {packages:,} packages, {stats.repos:,} repositories "
        f"and {stats.configs:,} architecture records "
        f"({chunks} chunks written, {stats.chunks_skipped} already there) into {args.db}",
        file=sys.stderr,
    )
    return EXIT_OK


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, target = value.partition("=")
        if not sep or not name or not target:
            raise PtmscopeError(f"{option} {value!r}: expected NAME=VALUE")
        pairs[name] = target
    return pairs


def _verify_options(args: argparse.Namespace) -> VerifyOptions:
    from ptmscope.verify.options import VerifyOptions  # not on the scan path's start-up

    if args.limit is not None and args.limit <= 0:
        raise PtmscopeError("--limit must be positive")
    seed = getattr(args, "seed", None)
    batch_size = getattr(args, "batch_size", None)
    if batch_size is not None and batch_size <= 0:
        raise PtmscopeError("--batch-size must be positive")
    return VerifyOptions(
        data=_pairs(args.data, "--data"),
        columns=_pairs(args.columns, "--columns"),
        limit=args.limit,
        seed=VerifyOptions.seed if seed is None else seed,
        batch_size=VerifyOptions.batch_size if batch_size is None else batch_size,
    )


def _verify(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ptmscope.api import verify

    options = replace(_verify_options(args), quiet_libraries=True)
    show_progress = shows_progress(args)
    line = VerifyLine(sys.stderr) if show_progress else None
    try:
        result = verify(args.ref, options, revision=args.revision, token=args.token, progress=line)
    finally:
        if line is not None:
            line.clear()
    emit(VERIFY_FORMATS, args.format, result, args.output)
    if not result.claims:
        print(
            f"ptmscope: no claims to verify: the card of {args.ref} states no performance "
            "claims (model-index, .eval_results, results tables or Trainer prose)",
            file=sys.stderr,
        )
        return EXIT_OK if args.allow_empty else EXIT_FINDINGS
    return EXIT_FINDINGS if result.fails() else EXIT_OK


def _scan(args: argparse.Namespace) -> int:
    from ptmscope.scan.context import Limits
    from ptmscope.scan.policy import load_policy
    from ptmscope.scan.scanner import scan_targets

    _startup.resume()  # the engine is loaded: a folder of any size collects as usual

    if args.timeout is not None and not args.timeout > 0:
        raise PtmscopeError("--timeout must be positive")
    show_progress = shows_progress(args)
    counter = ProgressLine(sys.stderr) if show_progress else None
    limits = Limits() if args.timeout is None else Limits(seconds=args.timeout)
    policies = [Path(p) for p in args.policy]
    admission = None
    if policies:  # an admission policy: its scan: rules, then its decision on the files
        from ptmscope.policy.scan_view import admission_among, with_decision

        admission = admission_among(policies)
    try:
        result = scan_targets(
            args.paths, load_policy(policies), limits, token=args.token,
            download=args.download, progress=counter, digests=args.format == "sarif",
        )  # fmt: skip
    finally:
        if counter is not None:
            counter.clear()
    if admission is not None:
        result = with_decision(result, admission)
    formats = SCAN_FORMATS
    if args.format == "text":
        from ptmscope.formats.scan.text import ScanText

        folders = any(Path(p).is_dir() for p in args.paths)
        text = ScanText(show_clean=args.show_clean or not folders)
        terminal = args.output is None and sys.stdout.isatty()
        # Only the text renderer: ``with_renderer`` would copy (and import) every format.
        formats = Formats(SCAN_FORMATS.result, {"text": text if terminal else _Plain(text)})
    emit(formats, args.format, result, args.output)
    denied = result.policy is not None and result.policy.fails()
    return EXIT_FINDINGS if denied or result.fails(Severity.parse(args.fail_on)) else EXIT_OK


class _Plain:
    """A renderer's text only: off a terminal nothing needs rich's console (or its start-up)."""

    def __init__(self, renderer: Any) -> None:
        self._renderer = renderer

    def render(self, result: Any) -> str:
        return str(self._renderer.render(result))


PROGRESS_INTERVAL_S = 0.1
"""Least time between two redraws of the progress counter (a folder of small files
would otherwise spend its time writing to the terminal)."""


class StatusLine:
    """One line on stderr drawn in place (carriage return), only on a terminal, and erased
    before the report is written, so the report is the same with or without it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._last = -PROGRESS_INTERVAL_S
        self._width = 0

    def _due(self, seconds: float, finished: bool) -> bool:
        """At most one redraw per interval, and always the last one."""
        if not finished and 0 <= seconds - self._last < PROGRESS_INTERVAL_S:
            return False
        self._last = seconds
        return True

    def _draw(self, line: str) -> None:
        pad = " " * max(0, self._width - len(line))
        self._stream.write(f"\r{line}{pad}")
        self._stream.flush()
        self._width = len(line)

    def clear(self) -> None:
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


class ProgressLine(StatusLine):
    """``ptmscope scan``'s counter: files, bytes, elapsed time and an ETA (read from bytes,
    which a scan's cost follows more than the file count)."""

    def __call__(self, progress: Progress) -> None:
        if self._due(progress.seconds, progress.files_done == progress.files_total):
            self._draw(progress_text(progress))


class VerifyLine(StatusLine):
    """``ptmscope verify``'s progress: the group of claims (one model pass over one dataset),
    its distinct inputs done, elapsed time and an ETA."""

    def __call__(self, progress: VerifyProgress) -> None:
        if progress.done == 0:
            self._last = -PROGRESS_INTERVAL_S  # a new group: draw it at once
        if self._due(progress.seconds, progress.done == progress.total):
            self._draw(verify_progress_text(progress))


def verify_progress_text(progress: VerifyProgress) -> str:
    """``[1/2] sentence-similarity on lee.csv (1 claim): 32/50 inputs, 0:03 elapsed, ETA 0:02``."""
    line = f"[{progress.group}/{progress.groups}] {progress.label}"
    if progress.total:
        line += f": {progress.done:,}/{progress.total:,} inputs, {_clock(progress.seconds)} elapsed"
        if 0 < progress.done < progress.total:
            left = progress.seconds * (progress.total - progress.done) / progress.done
            line += f", ETA {_clock(left)}"
    else:
        line += ": loading the model and data"
    return line


def progress_text(progress: Progress) -> str:
    """``scanned 12/340 files, 1.2 GB/8.0 GB, 0:07 elapsed, ETA 0:41``."""
    line = (
        f"scanned {progress.files_done:,}/{progress.files_total:,} files, "
        f"{_bytes(progress.bytes_done)}/{_bytes(progress.bytes_total)}, "
        f"{_clock(progress.seconds)} elapsed"
    )
    if 0 < progress.bytes_done < progress.bytes_total:
        left = progress.seconds * (progress.bytes_total - progress.bytes_done) / progress.bytes_done
        line += f", ETA {_clock(left)}"
    return line


def _bytes(count: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:,.1f} {unit}"
    return f"{count} B"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _audit(args: argparse.Namespace) -> int:
    from ptmscope.api import AuditOptions, audit, audit_demo
    from ptmscope.formats.audit.text import AuditText

    if args.command == "demo":
        result = audit_demo()
    else:
        options = AuditOptions(
            revision=args.revision,
            source=args.source,
            metadata=args.metadata,
            token=args.token,
            download=args.download,
            verify=_verify_options(args) if args.verify else None,
            baseline=args.baseline,
            policy=args.policy,
            trust=_trust_options(args),
        )
        result = audit(args.ref, options)
    formats = AUDIT_FORMATS
    if args.show_details:
        formats = formats.with_renderer("text", AuditText(show_details=True))
    emit(formats, args.format, result, args.output)
    threshold = Severity.parse(args.fail_on) if args.fail_on else None
    return EXIT_FINDINGS if result.fails(threshold) else EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from ptmscope.api import export

    text = export(
        args.ref, args.format, revision=args.revision, token=args.token, metadata=args.metadata
    )
    emit(
        Formats("export", {args.format: _Written(text)}, args.format),
        args.format,
        None,
        args.output,
    )
    return EXIT_OK


class _Written:
    """An export already rendered and validated: ``emit`` only writes it (whole, or not
    at all)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def render(self, result: object) -> str:
        return self._text


def _trust_options(args: argparse.Namespace) -> Any:
    """``audit``'s --trust-* flags as :class:`~ptmscope.signing.TrustOptions` (``None``: none)."""
    from ptmscope.signing import TrustOptions

    trust = TrustOptions(
        key=Path(args.trust_key) if args.trust_key else None,
        certs=tuple(Path(c) for c in args.trust_cert),
        identity=args.trust_identity,
        issuer=args.trust_issuer,
        root=Path(args.trust_root) if args.trust_root else None,
        online=args.online,
        keyrings=tuple(Path(k) for k in args.trust_keyring),
    )
    return None if trust == TrustOptions() else trust


def _registry(args: argparse.Namespace) -> int:
    if args.registry_command == "index":
        return _registry_index(args)
    import ptmscope.registry
    from ptmscope.registry.serve import serve

    options = {
        "root": Path(args.root).resolve(), "policy": Path(args.policy) if args.policy else None,
        "audit_log": Path(args.audit_log) if args.audit_log else None,
        "rate_limit": args.rate_limit, "max_body_bytes": args.max_body_bytes,
        "body_timeout": args.body_timeout, "git_timeout": args.git_timeout,
        "threads": args.threads, "dry_run": args.dry_run,
        "state": Path(args.state) if args.state else None, "accel_redirect": args.accel_redirect,
    }  # fmt: skip
    registry = ptmscope.registry.create_registry(**options)  # checks every option once
    serve(registry, args.host, args.port, workers=args.workers, options=options)
    return EXIT_OK


# ---------------------------------------------------------------- registry index
INDEX_EPILOG = """Brings ROOT/.ptmscope/index.sqlite (what `registry serve` lists from) up to
date: packages whose stat signature changed are read again, new ones added, removed
ones dropped. `registry serve` does the same by itself, at most every 2 s per worker;
run this after a large sync (or --rebuild after an upgrade) so the first listing is quick.

Exit codes: 0 indexed; 1 some packages could not be read (named on stderr, left out of
listings); 2 ROOT is not a folder or the index cannot be written."""

MAX_UNREADABLE_SHOWN = 20
"""Unreadable packages named on stderr by `registry index` (then a count)."""


def _add_registry_index(registry_commands: Any) -> None:
    index = registry_commands.add_parser(
        "index",
        help="build or refresh the listing index of ROOT (new and changed packages only)",
        epilog=INDEX_EPILOG,
        formatter_class=Formatter,
    )
    index.add_argument("root", metavar="ROOT", help="folder holding <owner>/<name>/ packages")
    index.add_argument(
        "--rebuild", action="store_true", help="read every package again, whatever changed"
    )


def _registry_index(args: argparse.Namespace) -> int:
    from ptmscope.errors import InputError
    from ptmscope.registry.index import PackageIndex
    from ptmscope.registry.store import Store

    root = Path(args.root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder of packages (ROOT/<owner>/<name>/)")
    store = Store(root)
    index = PackageIndex(store, memory_fallback=False)
    try:
        done = index.rebuild() if args.rebuild else index.refresh(force=True)
    finally:
        index.close()
        store.close()
    assert done is not None
    print(
        f"ptmscope registry index: {index.path}: {done.added} added, {done.changed} changed, "
        f"{done.removed} removed, {done.unchanged} unchanged, {len(done.unreadable)} unreadable "
        f"in {done.seconds:.2f} s"
    )
    for repo_id, why in done.unreadable[:MAX_UNREADABLE_SHOWN]:
        print(f"ptmscope registry index: {repo_id}: unreadable, not listed: {_visible(why)}",
              file=sys.stderr)  # fmt: skip
    if len(done.unreadable) > MAX_UNREADABLE_SHOWN:
        more = len(done.unreadable) - MAX_UNREADABLE_SHOWN
        print(f"ptmscope registry index: and {more} more unreadable", file=sys.stderr)
    return EXIT_FINDINGS if done.unreadable else EXIT_OK


def _probes() -> int:
    from rich.console import Console

    from ptmscope.probes import all_probes

    console = Console(highlight=False)
    for probe in all_probes():
        d = probe.definition
        where = d.attribute or ", ".join(str(s) for s in d.stride)
        severity = f" [{d.severity.label}]" if d.severity else ""
        console.print(f"[bold]{d.id}[/bold]{severity} ({where}): {d.short}")
        console.print(f"  why: {d.motivation}")
        console.print(f"  how: {d.implementation}")
        console.print(f"  fix: {d.remediation}\n")
    return EXIT_OK


def _policy(args: argparse.Namespace) -> int:
    from ptmscope.api import policy_check, policy_test

    if args.policy_command == "test":
        from ptmscope.formats.policy.text import render_tests

        results = policy_test(args.folder)
        sys.stdout.write(render_tests(results))
        return EXIT_FINDINGS if any(not case.passed for case in results) else EXIT_OK
    decision = policy_check(args.ref, args.policy, revision=args.revision, token=args.token)
    emit(POLICY_FORMATS, args.format, decision, args.output)
    return EXIT_FINDINGS if decision.fails() else EXIT_OK


def _select(args: argparse.Namespace) -> int:
    from ptmscope.api import select
    from ptmscope.formats.select import SELECT_FORMATS
    from ptmscope.selection.transfer import MAX_EXAMPLES

    result = select(
        args.db,
        args.task,
        top=args.top,
        policy=args.policy,
        weights=args.weights,
        data=args.data,
        embed_top=args.embed_top,
        k=args.folds,
        columns=_pairs(args.columns, "--columns"),
        limit=MAX_EXAMPLES if args.limit is None else args.limit,
        token=args.token,
    )
    emit(SELECT_FORMATS, args.format, result, args.output)
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from ptmscope.api import compare
    from ptmscope.formats.compare import COMPARE_FORMATS
    from ptmscope.selection.transfer import MAX_EXAMPLES

    result = compare(
        args.refs,
        data=args.data,
        policy=args.policy,
        token=args.token,
        k=args.folds,
        columns=_pairs(args.columns, "--columns"),
        limit=MAX_EXAMPLES if args.limit is None else args.limit,
    )
    emit(COMPARE_FORMATS, args.format, result, args.output)
    return EXIT_FINDINGS if result.fails() else EXIT_OK


COMMANDS = {
    "compare": _compare,
    "policy": _policy,
    "select": _select,
    "audit": _audit,
    "demo": _audit,
    "scan": _scan,
    "verify": _verify,
    "export": _export,
    "study": _study,
    "registry": _registry,
}


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, return its exit code (errors propagate to :func:`main`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser(argv[0] if argv and argv[0] in _COMMANDS else None).parse_args(argv)
    if args.command != "scan":
        _startup.resume()  # only the scan is started per file; the rest collect from here
    if args.command == "probes":
        return _probes()
    return COMMANDS[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: every error becomes one line and an exit code, never a traceback
    (unless ``PTMSCOPE_DEBUG`` is set); the collector is paused while the command loads."""
    _startup.pause(freeze=argv is None)  # argv None: the console script, a process of its own
    try:
        return run(argv)
    except PtmscopeError as exc:
        print(f"ptmscope: error: {_visible(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("ptmscope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("PTMSCOPE_DEBUG"):
            raise
        print(
            f"ptmscope: internal error: {type(exc).__name__}: {_visible(exc)} "
            "(PTMSCOPE_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        _startup.resume()


def _visible(text: object) -> str:
    """Escaped for a terminal (imported on demand: an error path, not start-up)."""
    from ptmscope.names import visible

    return visible(text)


_startup.resume()  # the CLI is loaded; main() pauses again while a command loads
