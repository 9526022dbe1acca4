"""Score ordering over real packages (issue 12): does the order make sense to a reader?

Audits a fixed set of real packages with a fixed clock and prints them as a Markdown
table ordered by verdict and score, with coverage and the risks that decided: the
all-MiniLM-L6-v2 snapshot, the six shared git repositories (``../shared/data/registry/
git_repos``) at HEAD and at their first commit, and card-only folders written from real
cards (a Trainer card left as generated, an AutoTrain card, a hand-written organisation
card). Skips what is absent.

    python benchmarks/ordering.py
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "registry"
NOW = datetime(2023, 6, 1, tzinfo=UTC)
"""The clock of the shared data (early 2023), so maintenance is judged as it was then."""
CARD_ONLY = {
    "Trainer card as generated": "Chikashi/t5-small-finetuned-cnndm2-wikihow2",
    "AutoTrain card": "EricPeter/comments-text-classification-model",
    "hand-written card (organisation)": "KBLab/sentence-bert-swedish-cased",
}
OLD_TRIES = 20
"""Oldest commits tried until one is a model package (early commits hold only .gitattributes)."""
VERDICT_ORDER = {"pass": 0, "review": 1, "insufficient-evidence": 2, "fail": 3}


def _old_revisions(repo: Path) -> list[str]:
    """Commits oldest first (the shared repositories lack ``refs/``; ptmscope's git source
    reads them through an overlay): the first that is already a model package is used."""
    from ptmscope.sources.git import GitSource

    with GitSource(repo) as source:
        history = source.history() or ()
    return [commit.sha for commit in reversed(history)][:OLD_TRIES]


def _targets(tmp: Path) -> list[tuple[str, str, str | None]]:
    targets: list[tuple[str, str, str | None]] = []
    try:
        from ptmscope.demo import demo_model_path

        targets.append(("all-MiniLM-L6-v2 snapshot (folder)", str(demo_model_path()), None))
    except Exception:  # the demo wheel is not installed
        pass
    for repo in sorted((SHARED / "git_repos").glob("*.git")):
        name = repo.name.removesuffix(".git").replace("__", "/")
        targets.append((f"{name} @ HEAD (git)", str(repo), None))
        targets.append((f"{name} @ oldest model commit (git)", str(repo), "oldest"))
    if (SHARED / "cards.parquet").is_file():
        import pyarrow.parquet as pq

        for label, model_id in CARD_ONLY.items():
            rows = pq.read_table(
                SHARED / "cards.parquet", filters=[("model_id", "=", model_id)]
            ).to_pylist()
            if rows:
                folder = tmp / model_id.replace("/", "__")
                folder.mkdir(parents=True)
                (folder / "README.md").write_text(rows[0]["readme"], encoding="utf-8")
                targets.append((f"{model_id}: {label}", str(folder), None))
    return targets


def main() -> int:
    from ptmscope.audit import AuditOptions, audit
    from ptmscope.errors import InputError

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, ref, revision in _targets(Path(tmp)):
            if revision == "oldest":
                result = None
                for sha in _old_revisions(Path(ref)):
                    try:
                        result = audit(ref, AuditOptions(revision=sha, now=NOW))
                        label = f"{label.split(' @ ')[0]} @ {sha[:8]}, oldest model commit (git)"
                        break
                    except InputError:
                        continue
                if result is None:
                    continue
            else:
                result = audit(ref, AuditOptions(revision=revision, now=NOW))
            card = result.scorecard
            risks = ", ".join(
                f"{f.probe.removeprefix('risk.')} ({f.severity.label})"
                for f in card.risks
                if f.severity is not None and f.severity.weight >= 5.0
            )
            rows.append((label, card.overall, card.coverage, str(card.verdict), risks))
    rows.sort(key=lambda r: (VERDICT_ORDER.get(r[3], 9), -(r[1] or 0.0)))
    print("| package | score | coverage | verdict | medium+ risks |")
    print("|---|---|---|---|---|")
    for label, overall, coverage, verdict, risks in rows:
        score = "n/a" if overall is None else f"{overall:.1f}"
        covered = "n/a" if coverage is None else f"{coverage:.0%}"
        print(f"| {label} | {score} | {covered} | {verdict} | {risks or '—'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
