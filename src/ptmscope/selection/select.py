"""``ptmscope select``: rank a task's candidates from a study database (the registry stage).

Nothing is downloaded: every fact is a row the ``study`` ingest wrote (the listing's
downloads, likes and dates; the probes' verdicts on each card and file list). As npms.io
does for packages, each sub-score is a share of the registry population, not a fixed
scale: a candidate's popularity is the share of the database's models its downloads,
likes and dependents beat (``percent_rank``: ties share a value, the lowest is 0).

- quality: the Table I card factors the probes found, weighted as ``audit`` weighs them
  (:data:`~ptmscope.scoring.PROBE_WEIGHTS`, :data:`~ptmscope.scoring.ATTRIBUTE_WEIGHTS`);
  a listed model without a card has none, one never analysed is unknown (0, said so);
- popularity: the mean of the known shares of downloads, likes and dependents (packages
  naming it as base model or fine-tuned source);
- maintenance: activity, the latest date the database knows for the model (its last
  change from a ``model_info`` record, else its creation date; newer is more active); a
  reason says which date it was, rather than pretending to know a last change.

The combined score is the weighted sum (0.30/0.35/0.35 by default, npms's weights).
Ties are broken by id, so one database and one set of options always give one order.
Plain baselines (by downloads, by size) rank the same candidates, with Kendall's tau-b
between them and ours: a ranking that does not show its baseline misleads.

A policy's hard filters are the rules whose facts the database holds (owners, licences,
the card factors, pickle-only weights, remote code, age); the others are listed as not
judged, and never treated as passed.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError
from ptmscope.names import visible
from ptmscope.results.select import (
    Baseline,
    Candidate,
    PolicyUse,
    Population,
    Reason,
    RuleCount,
    SelectResult,
    Source,
    Subscores,
    Weights,
)
from ptmscope.scoring import ATTRIBUTE_WEIGHTS, DEFAULT_PROBE_WEIGHT, FACTORS, PROBE_WEIGHTS

DEFAULT_WEIGHTS = Weights(quality=0.30, popularity=0.35, maintenance=0.35)
"""npms.io's weights for quality, popularity and maintenance (``--weights``)."""
DEFAULT_TOP = 10
"""Candidates shown (``--top``)."""
MAX_TOP = 10_000
"""The most candidates one answer may show (``--top``): a page, not a dump of the database."""
SCORE_DIGITS = 6
"""Decimals kept of each score before ranking, so a float's last bit never reorders a tie."""
SIZE_KNOWN_SHARE = 0.5
"""Below this share of candidates with a known size, the size baseline says it is weak."""

UNKNOWN = "unknown"


# --------------------------------------------------------------------------- options


def parse_weights(text: str) -> Weights:
    """``q,p,m`` (three non-negative numbers, not all zero), scaled to sum to 1."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 3 or any(not math.isfinite(v) or v < 0 for v in values) or not sum(values):
        raise InputError(
            f"--weights {visible(text)}: expected three non-negative numbers for quality, "
            "popularity and maintenance, not all zero (e.g. 0.30,0.35,0.35)"
        )
    total = sum(values)
    return Weights(*(round(v / total, SCORE_DIGITS) for v in values))


# --------------------------------------------------------------------------- Kendall's tau


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b of two paired sequences (ties in either counted as scipy counts
    them), in O(n log n) by Knight's merge-sort method; ``None`` below two pairs or when
    either side is constant.
    """
    n = len(x)
    if n != len(y):
        raise ValueError("kendall_tau needs paired sequences")
    if n < 2:
        return None
    pairs = sorted(zip(x, y, strict=True))
    total = n * (n - 1) // 2
    tied_x = _tied_pairs([p[0] for p in pairs])
    tied_xy = _tied_pairs(pairs)
    ys = [p[1] for p in pairs]
    swaps = _sort_counting_swaps(ys)
    tied_y = _tied_pairs(ys)  # ys is sorted now
    denominator = math.sqrt((total - tied_x) * (total - tied_y))
    if not denominator:
        return None
    concordant_minus_discordant = total - tied_x - tied_y + tied_xy - 2 * swaps
    return concordant_minus_discordant / denominator


def _tied_pairs(values: Sequence[Any]) -> int:
    """Pairs of equal neighbours in a sorted sequence."""
    count, run = 0, 1
    for previous, current in itertools.pairwise(values):
        if current == previous:
            run += 1
        else:
            count += run * (run - 1) // 2
            run = 1
    return count + run * (run - 1) // 2


def _sort_counting_swaps(values: list[Any]) -> int:
    """Sort ``values`` in place (bottom-up merge sort); the inversions it undid."""
    n = len(values)
    swaps, width = 0, 1
    buffer = list(values)
    while width < n:
        for start in range(0, n, 2 * width):
            middle, end = min(start + width, n), min(start + 2 * width, n)
            i, j, k = start, middle, start
            while i < middle and j < end:
                if values[j] < values[i]:
                    buffer[k] = values[j]
                    swaps += middle - i
                    j += 1
                else:
                    buffer[k] = values[i]
                    i += 1
                k += 1
            buffer[k : k + middle - i] = values[i:middle]
            k += middle - i
            buffer[k : k + end - j] = values[j:end]
            values[start:end] = buffer[start:end]
        width *= 2
    return swaps


# --------------------------------------------------------------------------- the query


def _quality_sql() -> str:
    """The card-factor quality of a ``packages`` row, weighted as ``audit`` weighs the
    factors; NULL when no factor is known (an analysis error)."""
    attributes = []
    for attribute, factors in FACTORS.items():
        known, present = [], []
        for factor in factors:
            column = f"p.f_{attribute}__{factor}"
            weight = PROBE_WEIGHTS.get(f"{attribute}.{factor}", DEFAULT_PROBE_WEIGHT)
            known.append(f"CASE WHEN {column} IS NULL THEN 0 ELSE {weight} END")
            present.append(f"CASE WHEN {column} THEN {weight} ELSE 0 END")
        share = f"(({' + '.join(present)}) / NULLIF({' + '.join(known)}, 0))"
        attributes.append((share, ATTRIBUTE_WEIGHTS.get(attribute, 1.0)))
    weighted = " + ".join(f"COALESCE({s}, 0) * {w}" for s, w in attributes)
    weights = " + ".join(f"CASE WHEN {s} IS NULL THEN 0 ELSE {w} END" for s, w in attributes)
    return f"(({weighted}) / NULLIF({weights}, 0))"


def _share(column: str) -> str:
    """The percentile rank of ``column`` in the population with a known value: the share
    below it plus half the share equal to it (so a tie of 99% at zero is not the bottom)."""
    window = f"(PARTITION BY {column} IS NULL ORDER BY {column})"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE (rank() OVER {window} - 1 + "
        f"0.5 * count(*) OVER (PARTITION BY {column})) / count({column}) OVER () END"
    )


_FACTOR_SELECT = ", ".join(
    f"p.f_{attribute}__{factor} AS f_{attribute}__{factor}"
    for attribute, factors in FACTORS.items()
    for factor in factors
)

_POPULATION_SQL = f"""
CREATE TEMP TABLE ranked AS
WITH ids AS (SELECT id FROM _m UNION SELECT id FROM _p),
links AS (
    SELECT DISTINCT p.id AS child, b.base AS id
    FROM _p p, unnest(list_concat(COALESCE(p.base_models, []::VARCHAR[]),
                                        COALESCE(p.finetuned_from, []::VARCHAR[]))) AS b(base)
),
deps AS (SELECT id, count(*) AS dependents FROM links WHERE id <> child GROUP BY id),
joined AS (
    SELECT ids.id,
        COALESCE(NULLIF(p.task, 'none'), NULLIF(m.pipeline_tag, 'unknown')) AS task,
        m.author AS author, m.downloads AS downloads, m.likes AS likes,
        m.created_at AS created_at, TRY_CAST(m.created_at AS TIMESTAMPTZ) AS created,
        TRY_CAST(m.last_modified AS TIMESTAMPTZ) AS modified,
        GREATEST(TRY_CAST(m.created_at AS TIMESTAMPTZ),
                 TRY_CAST(m.last_modified AS TIMESTAMPTZ)) AS active,
        m.license AS listed_license, p.license AS card_license,
        COALESCE(d.dependents, 0) AS dependents,
        p.id IS NOT NULL AS analysed, p.has_card AS has_card, m.has_card AS listed_card,
        p.error AS error, p.claims AS claims, p.machine_parseable AS machine_parseable,
        p.claim_values AS claim_values,
        p.datasets AS datasets, p.base_models AS base_models,
        p.finetuned_from AS finetuned_from, p.serialization AS serialization,
        p.files_known AS files_known, p.remote_code AS remote_code,
        p.template_only AS template_only, p.parameters AS parameters,
        CASE WHEN p.id IS NOT NULL THEN {_quality_sql()}
             WHEN m.has_card = false THEN 0.0 END AS quality_raw,
        {_FACTOR_SELECT}
    FROM ids LEFT JOIN _m m USING (id) LEFT JOIN _p p USING (id)
        LEFT JOIN deps d USING (id)
)
SELECT *,
    {_share("downloads")} AS p_downloads,
    {_share("likes")} AS p_likes,
    {_share("dependents")} AS p_dependents,
    {_share("quality_raw")} AS p_quality,
    {_share("active")} AS p_active
FROM joined
"""


def _rows(connection: Any, sql: str, parameters: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(parameters))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class _Scored:
    row: Mapping[str, Any]
    subscores: Subscores
    score: float


def _score(row: Mapping[str, Any], weights: Weights) -> _Scored:
    popularity_parts = [row[k] for k in ("p_downloads", "p_likes", "p_dependents")]
    known = [float(v) for v in popularity_parts if v is not None]
    subscores = Subscores(
        quality=round(float(row["p_quality"] or 0.0), SCORE_DIGITS),
        popularity=round(sum(known) / len(known), SCORE_DIGITS) if known else 0.0,
        maintenance=round(float(row["p_active"] or 0.0), SCORE_DIGITS),
    )
    score = (
        weights.quality * subscores.quality
        + weights.popularity * subscores.popularity
        + weights.maintenance * subscores.maintenance
    )
    return _Scored(row, subscores, round(score, SCORE_DIGITS))


def _percent(share: float | None) -> str:
    return "percentile unknown" if share is None else f"percentile {share * 100:.0f}"


def _reasons(row: Mapping[str, Any], population: Population) -> list[Reason]:
    """The facts behind a candidate's sub-scores, each marked by its source."""
    reasons: list[Reason] = []
    downloads, likes = row["downloads"], row["likes"]
    reasons.append(
        Reason(
            Source.LISTING,
            "downloads unknown"
            if downloads is None
            else f"{downloads:,} downloads ({_percent(row['p_downloads'])} of "
            f"{population.with_downloads:,} listed)",
        )
    )
    if likes is not None:
        reasons.append(
            Reason(
                Source.LISTING,
                f"{likes:,} likes ({_percent(row['p_likes'])} of {population.with_likes:,})",
            )
        )
    dependents = int(row["dependents"] or 0)
    reasons.append(
        Reason(
            Source.STUDY,
            f"{dependents:,} package{'s' if dependents != 1 else ''} in the database name it as "
            f"base model ({_percent(row['p_dependents'])} of {population.registry:,})",
        )
    )
    active = _percent(row["p_active"])
    if row["modified"] is not None and row["active"] == row["modified"]:
        reasons.append(
            Reason(
                Source.LISTING,
                f"last changed {row['modified'].date().isoformat()} ({active} of "
                f"{population.with_activity:,} by latest activity)",
            )
        )
    elif row["created"] is not None:
        reasons.append(
            Reason(
                Source.LISTING,
                f"created {row['created'].date().isoformat()} ({active} of "
                f"{population.with_activity:,} by latest activity; last change not recorded, "
                "so creation counts as its latest activity)",
            )
        )
    else:
        reasons.append(Reason(Source.LISTING, "no date known: maintenance counted 0"))
    reasons += _card_reasons(row)
    return reasons


def _card_reasons(row: Mapping[str, Any]) -> list[Reason]:
    if not row["analysed"]:
        if row["listed_card"] is False:
            return [Reason(Source.LISTING, "no model card: no quality factor can be present")]
        return [Reason(Source.STUDY, "card not in the database: quality unknown, counted 0")]
    if row["error"]:
        return [Reason(Source.STUDY, f"card could not be analysed: {row['error']}")]
    reasons = []
    present = [
        f"{attribute}.{factor}"
        for attribute, factors in FACTORS.items()
        for factor in factors
        if row[f"f_{attribute}__{factor}"]
    ]
    total = sum(len(f) for f in FACTORS.values())
    quality = row["p_quality"]
    shown = ", ".join(present[:6]) + (f", +{len(present) - 6} more" if len(present) > 6 else "")
    reasons.append(
        Reason(
            Source.STUDY,
            f"{len(present)} of {total} card factors present ({_percent(quality)} among cards)"
            + (f": {shown}" if present else ""),
        )
    )
    if row["template_only"]:
        reasons.append(Reason(Source.STUDY, "the card is only the Hub's template text"))
    claims = int(row["claims"] or 0)
    if claims:
        kind = "machine-parseable" if row["machine_parseable"] else "prose or tables only"
        reasons.append(
            Reason(
                Source.CARD,
                f"{claims} performance claim{'s' if claims != 1 else ''} ({kind}; not "
                "re-measured: `ptmscope verify` checks them)",
            )
        )
        values = list(row["claim_values"] or ())
        if values:
            more = f" (+{claims - len(values)} more)" if claims > len(values) else ""
            reasons.append(Reason(Source.CARD, "claims: " + "; ".join(values) + more))
    else:
        reasons.append(Reason(Source.CARD, "no performance claim"))
    if row["datasets"]:
        reasons.append(Reason(Source.CARD, "datasets: " + ", ".join(row["datasets"][:5])))
    bases = sorted({*(row["base_models"] or ()), *(row["finetuned_from"] or ())})
    if bases:
        reasons.append(Reason(Source.CARD, "based on " + ", ".join(bases[:3])))
    licence = row["card_license"] or row["listed_license"]
    where = Source.CARD if row["card_license"] else Source.LISTING
    reasons.append(Reason(where, f"licence {licence}" if licence else "no licence declared"))
    if row["serialization"] == "pickle-only":
        reasons.append(Reason(Source.STUDY, "weights only as pickles (code can run on load)"))
    elif row["serialization"]:
        reasons.append(Reason(Source.STUDY, f"weights: {row['serialization']}"))
    if row["remote_code"]:
        reasons.append(Reason(Source.STUDY, "needs remote code (auto_map)"))
    return reasons


# --------------------------------------------------------------------------- policy


Verdict = tuple[str, list[str]]
"""``(state, evidence)``: state ``ok``, ``violated`` or ``unknown``."""
OK, VIOLATED = "ok", "violated"


def _owner(row: Mapping[str, Any]) -> str | None:
    author = row["author"]
    if isinstance(author, str) and author:
        return author
    return str(row["id"]).split("/", 1)[0] if "/" in str(row["id"]) else None


def _judge_owners(row: Mapping[str, Any], owners: list[str], _: Any) -> Verdict:
    from ptmscope.policy.templates import TEMPLATES

    owner = _owner(row)
    if owner is None:
        return UNKNOWN, ["the owner is unknown"]
    report = {"package": {"name": row["id"], "registry": {"author": owner}}}
    evidence = TEMPLATES["trusted_owners"].evaluate(report, owners)
    return (VIOLATED if evidence else OK), evidence


def _judge_licenses(row: Mapping[str, Any], setting: Any, lookup: Any) -> Verdict:
    """The licences template over the package and its base models one level up (those in
    the database); a base model outside it leaves the lineage incomplete (fails closed)."""
    from ptmscope.policy.templates import TEMPLATES

    licence = row["card_license"] or row["listed_license"]
    bases = sorted({*(row["base_models"] or ()), *(row["finetuned_from"] or ())} - {row["id"]})
    lineage, complete = [], True
    for base in bases:
        known = lookup(base)
        if known is None or known[0] is None:
            complete = False
            continue
        lineage.append({"id": base, "depth": 1, "licenses": [known[0]]})
        complete = complete and not known[1]
    report = {
        "package": {
            "licenses": [licence] if licence else [],
            "lineage": lineage,
            "lineage_complete": complete,
        }
    }
    evidence = TEMPLATES["licenses"].evaluate(report, setting)
    if not evidence:
        return OK, []
    unknown = [e for e in evidence if "unknown" in e or "declares no licence" in e]
    return (UNKNOWN if len(unknown) == len(evidence) else VIOLATED), evidence


def _judge_no_pickle(row: Mapping[str, Any], on: bool, _: Any) -> Verdict:
    if not on:
        return OK, []
    kind = row["serialization"]
    if kind == "pickle-only":
        return VIOLATED, ["weights only as pickles"]
    if kind == "none":
        return OK, []
    return UNKNOWN, [
        "the database records whether safe weights exist, not whether pickles sit beside them"
        if kind
        else "the file list is unknown"
    ]


def _judge_cooldown(row: Mapping[str, Any], days: float, now: datetime) -> Verdict:
    from ptmscope.policy.templates import TEMPLATES

    if row["created"] is None:
        return UNKNOWN, ["the creation date is unknown"]
    report = {
        "generated_at": now.isoformat(),
        "package": {"dates": {"created": row["created"].isoformat()}},
    }
    evidence = TEMPLATES["cooldown_days"].evaluate(report, days)
    return (VIOLATED if evidence else OK), evidence


_JUDGES: Mapping[str, Callable[[Mapping[str, Any], Any, Any], Verdict]] = {
    "trusted_owners": _judge_owners,
    "licenses": _judge_licenses,
    "no_pickle": _judge_no_pickle,
}
"""Templates the database's facts can decide (``cooldown_days`` too, with the clock)."""

_NOT_JUDGED = {
    "formats": "the database records a serialization class per package, not each file's format",
    "no_keras_lambda": "needs a scan of the weight files",
    "scan_severity": "needs a scan of the weight files",
    "scan_verdict": "needs a scan of the weight files",
    "min_score": "the overall score needs a full audit (risks, history, scans)",
    "min_coverage": "coverage needs a full audit",
    "not_gated": "the database does not record gating",
    "claims_verified": "claims are re-measured by `ptmscope verify`, not at the registry stage",
    "pinned_revision": "a ranking names models, not revisions",
    "signed": "signatures need the package's git history or model.sig",
}
"""Templates the database cannot decide, and why (listed in the result, never applied)."""

_RISK_OUTCOMES: Mapping[str, Callable[[Mapping[str, Any]], str | None]] = {
    "risk.pickle_weights": lambda row: (
        None
        if not row["files_known"]
        else ("detected" if row["serialization"] == "pickle-only" else "clear")
    ),
    "risk.remote_code": lambda row: (
        None if row["remote_code"] is None else ("detected" if row["remote_code"] else "clear")
    ),
}


def _factor_outcome(target: str) -> Callable[[Mapping[str, Any]], str | None] | None:
    attribute, _, factor = target.partition(".")
    if factor not in FACTORS.get(attribute, ()):
        return None
    column = f"f_{attribute}__{factor}"

    def outcome(row: Mapping[str, Any]) -> str | None:
        if not row["analysed"]:
            return "missing" if row["listed_card"] is False else None
        value = row[column]
        return None if value is None else ("present" if value else "missing")

    return outcome


@dataclass(frozen=True)
class _Filter:
    """One policy rule or check the database can judge."""

    name: str
    enforce: bool
    judge: Callable[[Mapping[str, Any]], Verdict]


def _bound(
    judge: Callable[[Mapping[str, Any], Any, Any], Verdict], value: Any, lookup: Any
) -> Callable[[Mapping[str, Any]], Verdict]:
    """``judge`` with its template setting and the base-model lookup fixed."""

    def bound(row: Mapping[str, Any]) -> Verdict:
        return judge(row, value, lookup)

    return bound


def _filters(
    policy: Any, now: datetime, lookup: Any
) -> tuple[list[_Filter], list[tuple[str, str]]]:
    """The policy's judgeable rules as filters, and ``(rule, why)`` for the others."""
    filters: list[_Filter] = []
    not_judged: list[tuple[str, str]] = []
    for check in policy.checks:
        if check.mode == "off":
            continue
        name = f"checks.{check.target}"
        read = _RISK_OUTCOMES.get(check.target) or _factor_outcome(check.target)
        if check.minimum is not None or read is None:
            why = (
                "scores need a full audit"
                if check.minimum is not None
                else "the database holds no outcome for this probe"
            )
            not_judged.append((name, why))
            continue

        def judge(row: Mapping[str, Any], read: Any = read, check: Any = check) -> Verdict:
            outcome = read(row)
            if outcome is None:
                return UNKNOWN, [f"{check.target}: outcome unknown"]
            if outcome in check.outcomes:
                return OK, []
            return VIOLATED, [f"{check.target} is {outcome}"]

        filters.append(_Filter(name, check.mode == "enforce", judge))
    for rule in policy.rules:
        if rule.template is None:
            not_judged.append((rule.id, "a CEL rule reads the audit report, which needs an audit"))
        elif rule.template == "cooldown_days":
            filters.append(
                _Filter(
                    rule.id,
                    rule.action.value == "deny",
                    partial(_judge_cooldown, days=float(rule.value), now=now),
                )
            )
        elif rule.template in _JUDGES:
            judge_template = _JUDGES[rule.template]
            filters.append(
                _Filter(
                    rule.id,
                    rule.action.value == "deny",
                    _bound(judge_template, rule.value, lookup),
                )
            )
        else:
            not_judged.append(
                (rule.id, _NOT_JUDGED.get(rule.template, "the database cannot decide it"))
            )
    return filters, not_judged


# --------------------------------------------------------------------------- select


CACHE_DIR = ".select-cache"
"""Beside the database's tables: the ranked population, so a later query skips ranking it."""
CACHE_VERSION = 4
"""Bumped when the ranking changes, so an older cache is never read."""


def _cache_path(db: Path) -> Path | None:
    """Where the ranked population of the database as it is now is cached: named by a digest
    of every table file's path, size and modification time, so any ingest makes a new name
    (and a stale cache is never read); ``None`` when the folder cannot be listed."""
    digest = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    try:
        files = sorted(
            p for p in db.rglob("*") if p.is_file() and CACHE_DIR not in p.relative_to(db).parts
        )
        for path in files:
            stat = path.stat()
            digest.update(f"{path.relative_to(db)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    except OSError:
        return None
    return db / CACHE_DIR / f"ranked-{digest.hexdigest()[:24]}.parquet"


def _write_cache(connection: Any, cache: Path) -> None:
    """Write the ranked table atomically, dropping older caches; a read-only database folder
    just goes without (the next query ranks again)."""
    import duckdb

    temporary = cache.with_suffix(f".{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(exist_ok=True)
        quoted = str(temporary).replace("'", "''")
        connection.execute(f"COPY ranked TO '{quoted}' (FORMAT PARQUET)")
        os.replace(temporary, cache)
        for old in cache.parent.glob("ranked-*.parquet"):
            if old != cache:
                old.unlink(missing_ok=True)
    except (OSError, duckdb.Error):  # a folder we cannot write: no cache, nothing lost
        temporary.unlink(missing_ok=True)


class Selector:
    """A study database with its population ranked once: each :meth:`select` after the
    first reads the ranked table only (the benchmark's per-query time; the CLI pays the
    ranking once per run)."""

    def __init__(self, db: str | Path) -> None:
        from ptmscope.study.db import StudyDB

        self.db = str(db)
        self.connection = StudyDB.open(Path(db)).connect()
        cache = _cache_path(Path(db))
        if cache is not None and cache.is_file():  # a view: each query reads its task's rows
            quoted = str(cache).replace("'", "''")
            self.connection.execute(
                f"CREATE TEMP VIEW ranked AS SELECT * FROM read_parquet('{quoted}')"
            )
        else:
            # The views resolve each id across sources; materialised once, not once per use.
            self.connection.execute("CREATE TEMP TABLE _m AS SELECT * FROM models")
            self.connection.execute("CREATE TEMP TABLE _p AS SELECT * FROM packages")
            self.connection.execute(_POPULATION_SQL)
            if cache is not None:
                _write_cache(self.connection, cache)
        counts = self.connection.execute(
            "SELECT count(*), count(downloads), count(likes), count(quality_raw), "
            "count(created), count(modified), count(active) FROM ranked"
        ).fetchone()
        self.counts = tuple(int(c) for c in counts)

    def select(
        self,
        task: str,
        *,
        top: int = DEFAULT_TOP,
        policy: str | Path | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
        now: datetime | None = None,
    ) -> SelectResult:
        """Rank ``task``'s candidates (see :func:`select`)."""
        if not task.strip():
            raise InputError("--task: give a task name (e.g. text-classification)")
        if not 1 <= top <= MAX_TOP:
            raise InputError(f"--top {top}: expected 1 to {MAX_TOP:,}")
        admission = None
        if policy is not None:
            from ptmscope.policy.document import load_admission_policy

            admission = load_admission_policy(policy)
        rows = _rows(self.connection, "SELECT * FROM ranked WHERE task = ?", [task])
        if not rows:
            raise InputError(f"no model in {visible(self.db)} has the task {visible(task)}")
        policy_use: PolicyUse | None = None
        eligible = rows
        warnings: dict[str, list[str]] = {}
        if admission is not None:
            eligible, policy_use, warnings = _apply_policy(
                self.connection, admission, rows, now or datetime.now(UTC)
            )
        registry, downloads, likes, factors, created, modified, activity = self.counts
        population = Population(
            registry=registry, task=len(rows), eligible=len(eligible), with_downloads=downloads,
            with_likes=likes, with_card_factors=factors, with_created=created,
            with_modified=modified, with_activity=activity,
        )  # fmt: skip
        scored = sorted(
            (_score(r, weights) for r in eligible), key=lambda s: (-s.score, s.row["id"])
        )
        candidates = tuple(
            Candidate(
                rank=index,
                id=s.row["id"],
                score=s.score,
                subscores=s.subscores,
                reasons=tuple(
                    _reasons(s.row, population)
                    + [Reason(Source.POLICY, w) for w in warnings.get(s.row["id"], ())]
                ),
                downloads=s.row["downloads"],
            )
            for index, s in enumerate(scored[:top], start=1)
        )
        return SelectResult(
            task=task,
            db=self.db,
            population=population,
            weights=weights,
            candidates=candidates,
            baselines=(_by_downloads(scored, top), _by_size(scored, top)),
            policy=policy_use,
            notes=_notes(population),
        )


def select(
    db: str | Path,
    task: str,
    *,
    top: int = DEFAULT_TOP,
    policy: str | Path | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    now: datetime | None = None,
) -> SelectResult:
    """Rank ``task``'s candidates in the study database ``db`` (see the module docstring).

    ``now`` is the clock a policy's ``cooldown_days`` reads (the current time by default).
    Options are checked before the database is read, so a typo costs nothing.
    """
    if not task.strip():
        raise InputError("--task: give a task name (e.g. text-classification)")
    if not 1 <= top <= MAX_TOP:
        raise InputError(f"--top {top}: expected 1 to {MAX_TOP:,}")
    if policy is not None:
        from ptmscope.policy.document import load_admission_policy

        load_admission_policy(policy)  # a bad policy is an error before the ranking's cost
    return Selector(db).select(task, top=top, policy=policy, weights=weights, now=now)


def _apply_policy(
    connection: Any, admission: Any, rows: list[dict[str, Any]], now: datetime
) -> tuple[list[dict[str, Any]], PolicyUse, dict[str, list[str]]]:
    """Candidates the enforced rules keep (a rule that cannot tell fails closed), the
    policy as used, and each kept candidate's warnings."""
    bases = sorted(
        {b for r in rows for b in (*(r["base_models"] or ()), *(r["finetuned_from"] or ()))}
    )
    known: dict[str, tuple[str | None, bool]] = {}
    if bases:
        for found in _rows(
            connection,
            "SELECT id, COALESCE(card_license, listed_license) AS licence, "
            "len(COALESCE(base_models, []::VARCHAR[])) + "
            "len(COALESCE(finetuned_from, []::VARCHAR[])) > 0 AS has_bases "
            "FROM ranked WHERE list_contains(?, id)",
            [bases],
        ):
            known[found["id"]] = (found["licence"], bool(found["has_bases"]))
    filters, not_judged = _filters(admission, now, known.get)
    kept: list[dict[str, Any]] = []
    warnings: dict[str, list[str]] = {}
    violated = dict.fromkeys((f.name for f in filters if f.enforce), 0)
    unknown = dict(violated)
    for row in rows:
        out = False
        for rule in filters:
            state, evidence = rule.judge(row)
            if state == OK:
                continue
            if rule.enforce:
                (violated if state == VIOLATED else unknown)[rule.name] += 1
                out = True
            else:
                label = "cannot tell" if state == UNKNOWN else "warning"
                warnings.setdefault(row["id"], []).append(
                    f"{rule.name} ({label}): {'; '.join(evidence[:2])}"
                )
        if not out:
            kept.append(row)
    use = PolicyUse(
        origin=admission.origin,
        digest=admission.digest,
        judged=tuple(f.name for f in filters),
        not_judged=tuple(not_judged),
        excluded=tuple(RuleCount(n, violated[n], unknown[n]) for n in violated),
    )
    return kept, use, warnings


def _by_downloads(scored: list[_Scored], top: int) -> Baseline:
    order = sorted(
        scored,
        key=lambda s: (s.row["downloads"] is None, -(s.row["downloads"] or 0), s.row["id"]),
    )
    known = [(position, s.row["downloads"]) for position, s in enumerate(scored)
             if s.row["downloads"] is not None]  # fmt: skip
    tau = kendall_tau([-p for p, _ in known], [float(d) for _, d in known])
    note = None
    if len(known) < len(scored) * SIZE_KNOWN_SHARE:
        note = f"downloads known for only {len(known):,} of {len(scored):,} candidates"
    return Baseline(
        "by_downloads", tuple(s.row["id"] for s in order[:top]), _round(tau), len(known), note
    )


def _by_size(scored: list[_Scored], top: int) -> Baseline:
    """Larger first: parameters estimated from each config (``study.parameters``); the
    candidates whose config does not say are left out of tau and counted."""
    order = sorted(
        scored,
        key=lambda s: (
            s.row.get("parameters") is None,
            -(s.row.get("parameters") or 0),
            s.row["id"],
        ),
    )
    known = [(position, s.row["parameters"]) for position, s in enumerate(scored)
             if s.row.get("parameters") is not None]  # fmt: skip
    if not known:
        return Baseline(
            "by_size", (), None, 0,
            f"size unknown for all {len(scored):,} candidates: none of their configs gives a "
            "hidden size and a layer count (or the database predates the parameters column)",
        )  # fmt: skip
    tau = kendall_tau([-p for p, _ in known], [float(n) for _, n in known])
    note = "parameters estimated from config.json (hidden size, layers, feed-forward, vocabulary)"
    if len(known) < len(scored) * SIZE_KNOWN_SHARE:
        note += f"; known for only {len(known):,} of {len(scored):,} candidates"
    ids = tuple(s.row["id"] for s in order[:top] if s.row.get("parameters") is not None)
    return Baseline("by_size", ids, _round(tau), len(known), note)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _notes(population: Population) -> tuple[str, ...]:
    notes = []
    if population.with_modified == 0:
        notes.append(
            "maintenance reads the creation date only: the database records no last change"
        )
    elif population.with_modified < population.registry * SIZE_KNOWN_SHARE:
        notes.append(
            f"last change known for {population.with_modified:,} of {population.registry:,} "
            "models: the others count their creation date as their latest activity"
        )
    if population.with_likes < population.registry * SIZE_KNOWN_SHARE:
        notes.append(
            f"likes known for {population.with_likes:,} of {population.registry:,} models: "
            "popularity averages what is known (downloads, dependents)"
        )
    return tuple(notes)
