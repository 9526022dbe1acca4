"""Deterministic result objects for the format tests: fixed clock, fixed values, no engine run.

Each result is built by hand from the data-only result types, so a golden output
changes only when a renderer changes (never because a probe, the scanner or the
scoring changed). Package-controlled strings carry the characters the renderers
must escape (``|``, backticks, HTML, rich markup, an ESC sequence, a newline).
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

from ptmscope.package import (
    Claim,
    Commit,
    FileEntry,
    Package,
    Person,
    Problem,
    Signature,
    Transfer,
    WeightFile,
)
from ptmscope.results.audit import (
    AttributeScore,
    AuditResult,
    Definition,
    Evidence,
    Finding,
    Outcome,
    Scorecard,
    Stride,
)
from ptmscope.results.scan import FileScan, Location, ScanError, ScanFinding, ScanResult
from ptmscope.results.study import (
    PAPER_METHOD,
    PTMSCOPE_METHOD,
    Measurement,
    Method,
    PaperRow,
    Reproduction,
    Row,
    StudyResult,
)
from ptmscope.results.verify import ClaimResult, ClaimVerdict, VerifyResult
from ptmscope.severity import Severity
from ptmscope.vocab import ProbeKind, ScorecardVerdict, SourceKind, WeightRole

CLOCK = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
COMMIT = "3f2a9c1d5e7b8a6c4d2e0f1a3b5c7d9e1f2a4b6c"
HOSTILE = "odd|name `x` <b>[bold]\x1b[31m"
"""A package-controlled string with Markdown, HTML, rich markup and a terminal escape."""


def _scans() -> tuple[FileScan, ...]:
    return (
        FileScan("model.safetensors", "safetensors", 4_096, seconds=0.0125),
        FileScan(
            "pytorch_model.bin",
            "pytorch-zip",
            2_345,
            findings=(
                ScanFinding(
                    "pickle.dangerous_call",
                    Severity.CRITICAL,
                    "calls os.system",
                    Location(("archive/data.pkl",), 57),
                    target="os.system",
                    category="process",
                    suppressed=3,
                ),
                ScanFinding(
                    "pickle.unknown_global",
                    Severity.LOW,
                    f"imports {HOSTILE}",
                    Location((), 12),
                    target="collections.OrderedDict",
                ),
            ),
            seconds=0.5,
        ),
        FileScan(
            f"weights/{HOSTILE}.pkl",
            "pickle",
            77,
            errors=(ScanError("truncated pickle: no STOP opcode", Location((), 76)),),
        ),
    )


def scan_result() -> ScanResult:
    """Three files: clean, malicious (a finding counted 3 more times), unreadable."""
    return ScanResult(_scans())


def _definitions() -> dict[str, Definition]:
    return {
        "quality.license": Definition(
            "quality.license", ProbeKind.FACTOR, "A license is declared",
            "Reuse without a license is not allowed.", "Reads the card's license key.",
            "Declare a license in the card's front matter.", "quality", "license",
        ),
        "quality.card_length": Definition(
            "quality.card_length", ProbeKind.SIGNAL, "The card says enough",
            "A short card leaves reusers guessing.", "Counts the card's words.",
            "Describe data, training and limits.", "quality", "card_length",
        ),
        "provenance.dataset_details": Definition(
            "provenance.dataset_details", ProbeKind.FACTOR, "Training data is named",
            "Unknown data hides licensing and bias.", "Looks for a datasets key or section.",
            "Name the training datasets.", "provenance", "dataset_details",
        ),
        "risk.pickle_weights": Definition(
            "risk.pickle_weights", ProbeKind.RISK, "Weights are pickles",
            "Loading a pickle runs code.", "Reads the scan of each weight file.",
            "Publish safetensors weights.", severity=Severity.CRITICAL,
            stride=(Stride.TAMPERING, Stride.ELEVATION_OF_PRIVILEGE),
        ),
        "risk.unsigned_commits": Definition(
            "risk.unsigned_commits", ProbeKind.RISK, "Commits are unsigned",
            "Anyone with push access can change the weights unnoticed.",
            "Counts signature headers in the history.", "Sign commits.",
            severity=Severity.MEDIUM, stride=(Stride.SPOOFING, Stride.REPUDIATION),
        ),
        "risk.remote_code": Definition(
            "risk.remote_code", ProbeKind.RISK, "Loading runs repository code",
            "trust_remote_code runs the author's Python.", "Reads auto_map in configs.",
            "Use a built-in architecture.", severity=Severity.HIGH,
            stride=(Stride.ELEVATION_OF_PRIVILEGE,),
        ),
    }  # fmt: skip


def audit_result() -> AuditResult:
    """A git package with a critical and a medium risk, one clear risk, two attributes."""
    person = Person("Ada", "ada@example.org", CLOCK)
    history = (
        Commit(COMMIT, ("1" * 40,), person, person, "add weights", None),
        Commit("1" * 40, (), person, person, "first", Signature("gpg", "ABCDEF", "author")),
    )
    files = (
        FileEntry("README.md", 1_200, "git:README.md"),
        FileEntry("config.json", 80, "git:config.json"),
        FileEntry("model.safetensors", 4_096, "git:model.safetensors"),
        FileEntry("pytorch_model.bin", 2_345, "git:pytorch_model.bin"),
    )
    claim = Claim(
        "text-classification", "imdb", None, "test", "accuracy", 0.913, "percent",
        "model-index", "README.md:12", f"91.3 {HOSTILE}", label="Accuracy",
    )  # fmt: skip
    package = Package(
        ref="acme/tiny",
        source=SourceKind.GIT,
        name="acme/tiny",
        revision="main",
        commit=COMMIT,
        files=files,
        card=None,
        config=None,
        claims=(claim,),
        weights=(
            WeightFile(
                "model.safetensors",
                4_096,
                "safetensors",
                False,
                True,
                parameters=32,
                dtypes=("F32",),
            ),
            WeightFile(
                "pytorch_model.bin", 2_345, "pytorch-zip", True, True, role=WeightRole.WEIGHTS
            ),
        ),
        history=history,
        metadata=None,
        problems=(Problem("notes.md", "not UTF-8 text", None, unreadable=False),),
        collected_at=CLOCK,
        scans=_scans()[:2],
        transfer=Transfer(bytes_downloaded=1_280, package_bytes=7_721, requests=4),
    )
    pickles = Finding(
        "risk.pickle_weights", Outcome.DETECTED, f"1 pickle weight file: {HOSTILE}",
        (Evidence("pytorch_model.bin", "pytorch-zip, calls os.system"),),
        severity=Severity.CRITICAL,
    )  # fmt: skip
    unsigned = Finding(
        "risk.unsigned_commits", Outcome.DETECTED, "1 of 2 commits unsigned",
        (Evidence(f"commit {COMMIT[:12]}", "add weights"),), severity=Severity.MEDIUM,
    )  # fmt: skip
    remote = Finding("risk.remote_code", Outcome.CLEAR, "no auto_map")
    license_ = Finding(
        "quality.license", Outcome.PRESENT, "apache-2.0",
        (Evidence("README.md#license", "apache-2.0"),), score=10.0,
    )  # fmt: skip
    length = Finding(
        "quality.card_length", Outcome.PRESENT, "412 words",
        (Evidence("README.md:1", "412 words\nsecond line"),), score=6.5,
    )  # fmt: skip
    data = Finding("provenance.dataset_details", Outcome.UNKNOWN, "no card section")
    scorecard = Scorecard(
        attributes=(
            AttributeScore("quality", 8.2, (license_, length), 2),
            AttributeScore("provenance", None, (data,), 0),
        ),
        risks=(pickles, unsigned),
        overall=3.0,
        uncapped=8.2,
        cap=Severity.CRITICAL,
        verdict=ScorecardVerdict.FAIL,
        priorities=("risk.pickle_weights", "risk.unsigned_commits", "provenance.dataset_details"),
    )
    findings = (license_, length, data, pickles, unsigned, remote)
    return AuditResult(package, findings, scorecard, MappingProxyType(_definitions()))


def verify_result() -> VerifyResult:
    """One claim per verdict, with and without measured values."""

    def claim(
        metric: str, verdict: ClaimVerdict, measured: float | None, reason: str
    ) -> ClaimResult:
        ci = None if measured is None else (measured - 0.02, measured + 0.02)
        return ClaimResult(
            "text-classification", "imdb", None, "test", metric, 0.913, measured, ci,
            0 if measured is None else 500, verdict, reason, "model-index", "README.md:12",
        )  # fmt: skip

    return VerifyResult(
        "acme/tiny",
        COMMIT,
        (
            claim("accuracy", ClaimVerdict.CONSISTENT, 0.905, "within the interval"),
            claim("f1", ClaimVerdict.OVER_CLAIMED, 0.8123456789, "claim above the interval"),
            claim("precision", ClaimVerdict.UNDER_CLAIMED, 0.99, "claim below the interval"),
            claim("recall", ClaimVerdict.INCONCLUSIVE, 0.9, "interval too wide"),
            claim(HOSTILE, ClaimVerdict.UNVERIFIABLE, None, f"no recipe for {HOSTILE!r}"),
        ),
    )


def study_result() -> StudyResult:
    """A charted measurement with the paper's value and a note, and a plain one."""
    return StudyResult(
        (
            Measurement(
                "claims_by_task",
                "Claims by task",
                "Packages of each task whose card makes a machine-parseable claim.",
                (
                    Row("all", 120, 1_000),
                    Row("text-classification", 80, 400),
                    Row(HOSTILE, 3, 12),
                ),
                paper="18.2% of all packages",
                notes=("tasks from the card, else the registry",),
            ),
            Measurement(
                "commit_signing",
                "Signed commits",
                "Repositories with at least one signed commit.",
                (Row("all", 0, 0),),
            ),
        ),
        reproductions=(
            Reproduction(
                "M4",
                "Claims per task",
                "all 2,594/62,467 (4.2%)",
                (PaperRow("all", 2594 / 62467, 2594, 62467),),
                Method(
                    PAPER_METHOD,
                    "First model-index entry only.",
                    (Row("all", 30, 1_000), Row(HOSTILE, 1, 9)),
                    "all",
                ),
                Method(
                    PTMSCOPE_METHOD,
                    "Every claim form.",
                    (Row("all", 120, 1_000),),
                    "all",
                    "claims_by_task",
                ),
                (f"90 models are dropped on an exception ({HOSTILE})",),
            ),
            Reproduction(
                "M11",
                "A popular model without a card",
                "SpanBERT: 9th most downloaded",
                (),
                Method(
                    PAPER_METHOD,
                    "Place by downloads.",
                    (Row("SpanBERT/x", 14, 74_970),),
                    "SpanBERT/x",
                    unit="place",
                ),
                None,
                ("downloads are of 2023",),
            ),
            Reproduction(
                "M14", "Interviews", "12 interviews", (), None, None, needs="interview transcripts"
            ),
        ),
    )
