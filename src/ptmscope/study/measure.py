"""Registry-wide measurements as DuckDB SQL over the study tables, each with its definition.

Every measurement is rows of ``(key, numerator, denominator)`` plus its
definition and, where the ICSE 2023 paper reported it, the paper's value (the
copy shipped in ``data/paper_values.json``, or a ``paper_measurements.csv``), so
ours and theirs sit side by side.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ptmscope.package import COMMIT_STATES
from ptmscope.results.study import Measurement, PaperValue, Row
from ptmscope.study.db import FACTOR_COLUMNS, state_column

PAPER_IDS = {
    "claims_by_task": "M4",
    "datasets": "M6",
    "architectures": "M7",
    "documentation": "M12",
}


def _rows(connection: Any, sql: str | list[str]) -> tuple[Row, ...]:
    """Rows of the queries in order; ``UNION ALL`` parts run one by one, so rows keep the
    order they are written in (DuckDB does not promise an order for a union)."""
    parts = sql if isinstance(sql, list) else sql.split(" UNION ALL ")
    out: list[Row] = []
    for part in parts:
        out.extend(
            Row(str(k), int(n or 0), int(d or 0)) for k, n, d in connection.execute(part).fetchall()
        )
    return tuple(out)


def paper_values(path: Path | None) -> dict[str, str]:
    """Id → the paper's value, from a ``paper_measurements.csv`` (id, paper_value columns)."""
    return {value.id: value.value for value in paper_table(path)}


def paper_table(path: Path | None) -> tuple[PaperValue, ...]:
    """The paper's values from a CSV (``id``, ``measurement``, ``paper_value``,
    ``denominator``) or, with no path, the copy shipped with ptmscope."""
    if path is None:
        return shipped_paper()
    if not path.is_file():
        return ()
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(
            PaperValue(
                row.get("id", ""), "", row.get("measurement", ""), row.get("paper_value", ""),
                row.get("denominator", ""),
            )
            for row in csv.DictReader(handle)
            if row.get("id")
        )  # fmt: skip


@cache
def shipped_paper() -> tuple[PaperValue, ...]:
    """The ICSE 2023 paper's numbers as ptmscope ships them (``data/paper_values.json``)."""
    text = (resources.files("ptmscope") / "data" / "paper_values.json").read_text("utf-8")
    return tuple(
        PaperValue(v["id"], v["where"], v["title"], v["value"], v["denominator"])
        for v in json.loads(text)["values"]
    )


@dataclass(frozen=True)
class Context:
    """What every measurement reads: the study database, the paper's values, the top-N size."""

    connection: Any
    paper: Mapping[str, str]
    top: int = 10


MEASUREMENTS: list[Callable[[Context], Iterable[Measurement]]] = []
"""Every measurement, in report order. Adding one is one decorated function in this module."""


def measurement(
    function: Callable[[Context], Iterable[Measurement]],
) -> Callable[[Context], Iterable[Measurement]]:
    """Register ``function`` as the next measurement of the report."""
    MEASUREMENTS.append(function)
    return function


def measure(connection: Any, paper: Mapping[str, str], top: int = 10) -> list[Measurement]:
    """Every registry-wide measurement, each with its definition and, where the paper
    reported it, the paper's value."""
    context = Context(connection, paper, top)
    return [found for function in MEASUREMENTS for found in function(context)]


_TASK = "coalesce(p.task, m.pipeline_tag, 'none')"
_JOINED = "packages p LEFT JOIN models m USING (id)"


def _factor_name(column: str) -> str:
    return column.removeprefix("f_").replace("__", ".")


@measurement
def claims_by_task(c: Context) -> Iterable[Measurement]:
    yield Measurement(
        "claims_by_task",
        "Machine-parseable performance claims per task (Fig. 7)",
        "A package has one if its .eval_results or model-index holds at least one metric whose "
        "value is a number (or a string that parses as one, with % or ± allowed); the task is the "
        "card's pipeline_tag, else the registry's, else `none`. Denominator: packages with that task.",
        _rows(
            c.connection,
            "SELECT 'all', count(*) FILTER (WHERE machine_parseable), count(*) FROM packages UNION ALL "
            f"SELECT {_TASK} AS k, count(*) FILTER (WHERE p.machine_parseable), count(*) FROM {_JOINED} "
            "GROUP BY k ORDER BY 3 DESC, 1",
        ),
        c.paper.get("M4"),
    )


@measurement
def documentation(c: Context) -> Iterable[Measurement]:
    """Missing and template-only cards (study and listing), then each Table I factor's share."""
    with_card = "(SELECT * FROM packages WHERE has_card AND error IS NULL)"
    factor_sql = " UNION ALL ".join(
        f"SELECT '{_factor_name(column)}', count(*) FILTER (WHERE {column}), count(*) FROM {with_card}"
        for column in FACTOR_COLUMNS
    )
    rows = _rows(
        c.connection,
        "SELECT 'no card', count(*) FILTER (WHERE NOT has_card), count(*) FROM packages UNION ALL "
        "SELECT 'template-only card', count(*) FILTER (WHERE template_only), count(*) FROM packages "
        "UNION ALL " + factor_sql,
    )
    listing_cards = _rows(
        c.connection,
        "SELECT 'no card (registry listing)', count(*) FILTER (WHERE has_card = false), "
        "count(*) FILTER (WHERE has_card IS NOT NULL) FROM models",
    )
    yield Measurement(
        "documentation",
        "Documentation: missing cards, template-only cards, Table I factors present",
        "Share of packages without a card or whose card holds only template text; then, over "
        "packages with a card, the share where each of the 17 Table I factors is present (the "
        "same factor probes `audit` runs).",
        rows + listing_cards,
        c.paper.get("M12"),
    )


def _top_values(c: Context, ident: str, title: str, expression: str) -> Measurement:
    rows = _rows(
        c.connection,
        f"WITH v AS (SELECT {expression} AS k FROM packages), t AS (SELECT count(*) AS n FROM packages) "
        f"SELECT k, count(*), (SELECT n FROM t) FROM v GROUP BY k ORDER BY 2 DESC, k LIMIT {c.top}",
    )
    return Measurement(
        ident,
        title,
        f"Top {c.top} values over all packages; a package counts once per value it declares; "
        "`None` when it declares none. Denominator: all packages.",
        rows,
        c.paper.get(PAPER_IDS.get(ident, "")),
    )


@measurement
def datasets(c: Context) -> Iterable[Measurement]:
    yield _top_values(
        c,
        "datasets",
        "Packages per declared dataset (Fig. 6)",
        "unnest(CASE WHEN len(datasets) = 0 THEN ['None'] ELSE datasets END)",
    )


@measurement
def architectures(c: Context) -> Iterable[Measurement]:
    yield _top_values(
        c,
        "architectures",
        "Packages per architecture (Fig. 6; config.json model_type, else the card's)",
        "coalesce(model_type, 'None')",
    )


@measurement
def licenses(c: Context) -> Iterable[Measurement]:
    yield _top_values(c, "licenses", "Licences declared in cards", "coalesce(license, 'None')")


@measurement
def verified_organisations(c: Context) -> Iterable[Measurement]:
    yield Measurement(
        "verified_organisations",
        "Verified organisations (Table IV, organisation verification)",
        "Authors whose listing records carry a verification flag (`author_verified`, "
        "`authorVerified` or `isVerified`) set to true, over authors whose records carry the flag "
        "at all; 0/0 when the data carries no flag (the Hub API lists it per organisation).",
        _rows(
            c.connection,
            "SELECT 'verified', count(DISTINCT author) FILTER (WHERE author_verified), "
            "count(DISTINCT author) FILTER (WHERE author_verified IS NOT NULL) FROM models",
        ),
        c.paper.get("M1"),
    )


@measurement
def commit_signing(c: Context) -> Iterable[Measurement]:
    """The paper's count (any signature header) first, then what the signatures prove:
    the commit states the audit gives, so "signed" is never read as "verified"."""
    yield Measurement(
        "commit_signing",
        "Repositories with signed commits (Table IV, commit signing)",
        "Repositories whose history (every commit reachable from the default branch) holds at "
        "least one commit with a signature header; split into author-signed and platform-signed "
        "(the Hub's or GitHub's web-flow key). Any signature counts, as in the paper; the last "
        "rows split the commits by what their signatures prove (audit's states: author-verified "
        "needs a trusted key, which a study run has none of, so author signatures count as "
        "signed-unknown-key).",
        _rows(
            c.connection,
            "SELECT 'any signed commit', count(*) FILTER (WHERE signed_commits > 0), count(*) FROM repos "
            "WHERE error IS NULL UNION ALL SELECT 'author-signed commit', count(*) FILTER "
            "(WHERE author_signed_commits > 0), count(*) FROM repos WHERE error IS NULL UNION ALL "
            "SELECT 'platform-signed commit', count(*) FILTER (WHERE platform_signed_commits > 0), "
            "count(*) FROM repos WHERE error IS NULL UNION ALL SELECT 'signed commits / all commits', "
            "sum(signed_commits), sum(commits) FROM repos WHERE error IS NULL"
            + "".join(
                f" UNION ALL SELECT 'commits {state} (what the signature proves)', "
                f"sum({state_column(state)}), sum(commits) FROM repos WHERE error IS NULL"
                for state in COMMIT_STATES
            ),
        ),
        c.paper.get("M2"),
    )


@measurement
def popularity_concentration(c: Context) -> Iterable[Measurement]:
    yield Measurement(
        "popularity_concentration",
        "Downloads held by the most downloaded models",
        "Sum of downloads of the top 1% / 10% of listed models (by downloads) over all listed downloads.",
        _rows(
            c.connection,
            [
                "WITH r AS (SELECT downloads, row_number() OVER (ORDER BY downloads DESC, id) AS rank_, "
                "count(*) OVER () AS n FROM models WHERE downloads IS NOT NULL) "
                f"SELECT 'top {label}', sum(downloads) FILTER (WHERE rank_ <= greatest(1, n * {share})), "
                "sum(downloads) FROM r"
                for label, share in (("1%", 0.01), ("10%", 0.1))
            ],
        ),
    )


@measurement
def serialization_formats(c: Context) -> Iterable[Measurement]:
    yield Measurement(
        "serialization_formats",
        "Serialization formats and remote code",
        "Over packages whose file list is known: weights in safetensors, pickle-only weights "
        "(what `audit`'s risk.pickle_weights detects: pickle-based weight files, trainer state "
        "aside, without safetensors), other or no weights; and packages that need their own "
        "code (what risk.remote_code detects: an auto_map or Python files).",
        _rows(
            c.connection,
            "SELECT serialization, count(*), (SELECT count(*) FROM packages WHERE files_known) FROM "
            "packages WHERE files_known GROUP BY serialization ORDER BY 2 DESC, 1 UNION ALL "
            "SELECT 'remote code', count(*) FILTER (WHERE remote_code), count(*) FROM packages WHERE files_known",
        ),
    )


def _factors_by(c: Context, key: str, groups: int) -> tuple[Row, ...]:
    """Factor shares for the ``groups`` largest values of ``key`` (task or decile)."""
    columns = ", ".join(FACTOR_COLUMNS)
    unpivot = " UNION ALL ".join(
        f"SELECT {key}, '{_factor_name(column)}' AS factor, {column} AS present FROM base"
        for column in FACTOR_COLUMNS
    )
    # deciles over known downloads only, ties broken by model id: the same packages give
    # the same deciles whatever order they arrived in (pool, Dask, one worker or many)
    sql = (
        f"WITH known AS (SELECT p.id, ntile(10) OVER (ORDER BY m.downloads, p.id) AS decile "
        f"FROM {_JOINED} WHERE p.has_card AND p.error IS NULL AND m.downloads IS NOT NULL), "
        f"base AS (SELECT {_TASK} AS task, k.decile AS decile, {columns} "
        f"FROM {_JOINED} LEFT JOIN known k ON k.id = p.id WHERE p.has_card AND p.error IS NULL), "
        f"keys AS (SELECT {key} FROM base WHERE {key} IS NOT NULL GROUP BY {key} "
        f"ORDER BY count(*) DESC, {key} LIMIT {groups}), "
        f"long AS ({unpivot}) "
        f"SELECT {key} || ' · ' || factor, count(*) FILTER (WHERE present), count(*) FROM long "
        f"WHERE {key} IN (SELECT {key} FROM keys) GROUP BY {key}, factor ORDER BY {key}, factor"
    )
    rows = tuple(
        Row(str(k), int(n or 0), int(d or 0)) for k, n, d in c.connection.execute(sql).fetchall()
    )
    if key != "decile":
        return rows
    unknown, total = c.connection.execute(
        f"SELECT count(*) FILTER (WHERE m.downloads IS NULL), count(*) FROM {_JOINED} "
        "WHERE p.has_card AND p.error IS NULL"
    ).fetchone() or (0, 0)
    return (*rows, Row("unknown popularity (not in a decile)", int(unknown), int(total)))


_FACTORS_DEFINITION = (
    "Over packages with a card: the share where each factor probe finds the factor present."
)


@measurement
def factors_by_task(c: Context) -> Iterable[Measurement]:
    yield Measurement(
        "factors_by_task",
        "Table I factors present, per task (five largest tasks)",
        _FACTORS_DEFINITION,
        _factors_by(c, "task", 5),
    )


@measurement
def factors_by_decile(c: Context) -> Iterable[Measurement]:
    yield Measurement(
        "factors_by_decile",
        "Table I factors present, per popularity decile (10 = most downloaded; packages of "
        "unknown downloads counted apart)",
        _FACTORS_DEFINITION,
        _factors_by(c, "decile", 10),
    )


@measurement
def lineage_measurement(c: Context) -> Iterable[Measurement]:
    yield lineage(c.connection, c.top)


@measurement
def squatting_measurement(c: Context) -> Iterable[Measurement]:
    yield squatting(c.connection)


def lineage(connection: Any, top: int = 10) -> Measurement:
    """Upstream models and datasets ranked by transitive dependents (their blast radius)."""
    edges: dict[str, set[str]] = {}
    total = 0
    for model_id, bases, mentions, datasets in connection.execute(
        "SELECT id, base_models, finetuned_from, datasets FROM packages"
    ).fetchall():
        total += 1
        for upstream in {*(bases or []), *(mentions or [])}:
            edges.setdefault(upstream, set()).add(model_id)
        for dataset in datasets or []:
            edges.setdefault(f"dataset:{dataset}", set()).add(model_id)
    reach: dict[str, int] = {}
    for node in edges:
        seen: set[str] = set()
        stack = list(edges[node])
        while stack:
            child = stack.pop()
            if child in seen or child == node:
                continue
            seen.add(child)
            stack.extend(edges.get(child, ()))
        reach[node] = len(seen)
    ranked = sorted(reach.items(), key=lambda item: (-item[1], item[0]))
    models = [Row(k, n, total) for k, n in ranked if not k.startswith("dataset:")][:top]
    datasets = [Row(k, n, total) for k, n in ranked if k.startswith("dataset:")][:top]
    direct = sum(1 for targets in edges.values() for _ in targets)
    return Measurement(
        "lineage",
        "Lineage: upstream models and datasets with the most transitive dependents (blast radius)",
        "Edges from `base_model` in card metadata, 'fine-tuned version of X' in card text, and "
        "declared datasets; a node's blast radius is every package reachable downstream of it. "
        f"{direct:,} direct edges. Denominator: all packages.",
        tuple(models + datasets),
    )


_CONFUSABLE = str.maketrans({"0": "o", "1": "l", "i": "l", "_": "-", ".": "-"})


def _skeleton(name: str) -> str:
    return name.lower().replace("rn", "m").translate(_CONFUSABLE)


def _deletions(name: str) -> set[str]:
    return {name} | {name[:i] + name[i + 1 :] for i in range(len(name))}


def _version_change(a: str, b: str) -> bool:
    """Names that differ only in digits or dots (opt-1.3b, opt-13b) are versions, not look-alikes."""
    strip = str.maketrans("", "", "0123456789.")
    return a != b and a.translate(strip) == b.translate(strip) and _skeleton(a) != _skeleton(b)


def squatting(connection: Any, popular: int = 1000, examples: int = 20) -> Measurement:
    """Ids one edit (or a confusable spelling) away from a popular id, under another owner."""
    ids = [
        r[0]
        for r in connection.execute(
            "SELECT id FROM models UNION SELECT id FROM packages"
        ).fetchall()
    ]
    downloads = dict(
        connection.execute(
            "SELECT id, downloads FROM models WHERE downloads IS NOT NULL"
        ).fetchall()
    )
    top = sorted(downloads, key=lambda i: (-downloads[i], i))[:popular]
    index: dict[str, list[str]] = {}
    skeletons: dict[str, list[str]] = {}
    for full in top:
        name = full.split("/")[-1].lower()
        for variant in _deletions(name):
            index.setdefault(variant, []).append(full)
        skeletons.setdefault(_skeleton(name), []).append(full)
    found: dict[str, str] = {}
    for full in ids:
        owner, _, name = full.rpartition("/")
        lowered = name.lower()
        candidates = {c for v in _deletions(lowered) for c in index.get(v, ())}
        candidates |= set(skeletons.get(_skeleton(lowered), ()))
        for target in sorted(candidates):
            target_owner, _, target_name = target.rpartition("/")
            if target == full or target_owner == owner or target_name.lower() == lowered:
                continue  # the same name under another owner is a fork or re-upload, not a look-alike
            if min(len(lowered), len(target_name)) < 5 or _version_change(
                lowered, target_name.lower()
            ):
                continue
            if downloads.get(full, 0) >= downloads[target]:
                continue  # a look-alike imitates something more popular than itself
            found[full] = target
            break
    rows = [Row(f"ids near a top-{popular:,} id under another owner", len(found), len(ids))]
    rows += [
        Row(f"{suspect} ~ {target}", 1, 1) for suspect, target in sorted(found.items())[:examples]
    ]
    return Measurement(
        "name_squatting",
        "Name squatting: look-alike ids of popular models",
        f"Ids whose name is one edit (insert, delete or change of a character) from, or a confusable "
        f"spelling (0/o, 1/l/i, rn/m, _/./-) of, one of the {popular:,} most downloaded ids, under a "
        "different owner; names under 5 characters, version-number changes and the same name under "
        "another owner (forks) are left out. Examples follow the count.",
        tuple(rows),
    )
