"""Registry-wide measurements as DuckDB SQL over the study tables, each with its definition.

Every measurement is rows of ``(key, numerator, denominator)`` plus its
definition and, where the ICSE 2023 paper reported it, the paper's value (the
copy shipped in ``data/paper_values.json``, structured per key, or a
``paper_measurements.csv`` whose values are parsed into keys), so ours and theirs
sit side by side. :func:`measure` then adds to each what the report needs to be
read honestly: how much of the data the measurement could read (its coverage)
and a caveat where that is too little, or where n is too small, to compare.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ptmscope.package import COMMIT_STATES
from ptmscope.results.study import (
    INPUTS,
    Coverage,
    Heatmap,
    Measurement,
    PaperRow,
    PaperValue,
    Row,
)
from ptmscope.study.db import FACTOR_COLUMNS, state_column

PAPER_IDS = {
    "claims_by_task": "M4",
    "datasets": "M6",
    "architectures": "M7",
    "documentation": "M12",
    "verified_organisations": "M1",
    "commit_signing": "M2",
}
"""Measurement id → the id of the paper's value it reproduces."""
_TASK = "coalesce(p.task, m.pipeline_tag, 'none')"
_JOINED = "packages p LEFT JOIN models m USING (id)"
ARCHITECTURE_SQL = (
    "SELECT CASE WHEN coalesce(c.model_type, p.model_type) IS NOT NULL "
    "THEN coalesce(c.model_type, p.model_type) WHEN c.kind = 'no_model_type' THEN 'None' "
    "END AS k FROM (SELECT id FROM models UNION SELECT id FROM packages UNION "
    "SELECT id FROM configs) i LEFT JOIN configs c USING (id) LEFT JOIN packages p USING (id)"
)
"""Each id's architecture: the registry's model_type (a configs record), else the package's
(config.json, else the card's); ``None`` only where the registry says there is none; NULL
(unknown) where nothing is known."""


PAPER_SINGLE_KEYS = {"M1": "verified", "M2": "any signed commit"}
"""The row of ours that a one-number paper value (``132 (0.21%)``) stands beside."""

COVERAGE_MIN = 0.5
"""A measurement whose data cover less than this share of the units it is about gets a
caveat stating its coverage (architectures known for 1% of packages are not the registry's)."""
SMALL_N = 30
"""A measurement read from fewer units than this gets a caveat (a share of 1 or 6 is an
anecdote, not a rate)."""


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
                parse_paper_rows(row.get("id", ""), row.get("paper_value", ""),
                                 row.get("denominator", "")),
            )
            for row in csv.DictReader(handle)
            if row.get("id")
        )  # fmt: skip


_COUNTED = re.compile(r"^(?P<key>.*?)\s*(?P<n>\d[\d,]*)\s*/\s*(?P<d>\d[\d,]*)(?:\s*\([\d.]+%\))?$")
_PERCENT = re.compile(r"^(?P<key>[\w./:-]+)\s+(?P<p>\d+(?:\.\d+)?)%$")
_QUALIFIERS = {"about", "around", "approximately", "almost", "nearly", "over", "under"}
"""Words before a percentage that make it prose (``about 80%``), not a key's value."""
_SINGLE = re.compile(r"^(?P<n>\d[\d,]*)(?:\s+[a-z]+)?\s*\((?P<p>\d+(?:\.\d+)?)%\)$")
_SUM = re.compile(r"\.\s*Sum\s+(?P<n>\d[\d,]*)\s*/\s*(?P<d>\d[\d,]*)\s*=\s*[\d.]+%\s*$")


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def parse_paper_rows(ident: str, value: str, denominator: str = "") -> tuple[PaperRow, ...]:
    """The paper's value per key, from its text: ``bert 16.4%, gpt2 10.5%``,
    ``token-classification 526/3130 (16.8%); …; Sum 2,594/62,467 = 4.2%`` (the sum is key
    ``all``) or one number ``132 (0.21%)`` (the key ours uses, :data:`PAPER_SINGLE_KEYS`).
    Prose (``about 80%``, ``<0.1%``) gives no rows: it stays text beside ours."""
    text = value.strip()
    tail: list[PaperRow] = []
    if found := _SUM.search(text):
        n, d = _int(found["n"]), _int(found["d"])
        tail.append(PaperRow("all", n / d, n, d))
        text = text[: found.start()]
    text = re.split(r"\.\s+(?=[A-Z])", text)[0]  # a sentence after the values is commentary
    if (single := _SINGLE.match(text)) and ident in PAPER_SINGLE_KEYS:
        count = _int(single["n"])
        total = re.match(r"\s*(\d[\d,]*)", denominator)
        of = _int(total[1]) if total else None
        share = count / of if of else float(single["p"]) / 100
        return (PaperRow(PAPER_SINGLE_KEYS[ident], share, count, of),)
    rows: list[PaperRow] = []
    for piece in re.split(r";|,(?![\d])", text):
        piece = piece.strip()
        if (counted := _COUNTED.match(piece)) and counted["key"] and _int(counted["d"]):
            n, d = _int(counted["n"]), _int(counted["d"])
            rows.append(PaperRow(counted["key"].strip(), n / d, n, d))
            continue
        if (percent := _PERCENT.match(piece)) and percent["key"].lower() not in _QUALIFIERS:
            rows.append(PaperRow(percent["key"].strip(), float(percent["p"]) / 100))
            continue
        return ()  # one piece that is not a number per key: the value is prose
    return (*rows, *tail)


@cache
def shipped_paper() -> tuple[PaperValue, ...]:
    """The ICSE 2023 paper's numbers as ptmscope ships them (``data/paper_values.json``)."""
    text = (resources.files("ptmscope") / "data" / "paper_values.json").read_text("utf-8")
    return tuple(
        PaperValue(
            v["id"], v["where"], v["title"], v["value"], v["denominator"],
            tuple(
                PaperRow(r["key"], r["share"], r.get("numerator"), r.get("denominator"))
                for r in v.get("rows", ())
            ),
        )
        for v in json.loads(text)["values"]
    )  # fmt: skip


def _paper_rows(ident: str, value: str | None) -> tuple[PaperRow, ...]:
    """Rows for the paper's value ``value`` of ``ident``: the shipped structured rows when the
    value is the shipped one, else parsed from the text (a ``--paper`` file)."""
    if not value:
        return ()
    shipped = next((p for p in shipped_paper() if p.id == ident), None)
    if shipped is not None and shipped.value == value:
        return shipped.rows
    return parse_paper_rows(ident, value)


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
    """Every registry-wide measurement, each with its definition, the paper's value beside
    it (as text and per key), its coverage and the caveats that coverage calls for."""
    context = Context(connection, paper, top)
    return [_annotate(context, found) for function in MEASUREMENTS for found in function(context)]


def _annotate(c: Context, m: Measurement) -> Measurement:
    ident = PAPER_IDS.get(m.id)
    paper_rows = _paper_rows(ident, c.paper.get(ident)) if ident else ()
    coverage = _coverage(c, m.id)
    return dataclasses.replace(
        m, paper_rows=paper_rows, coverage=coverage, caveats=caveats(m.rows, coverage)
    )


def caveats(rows: tuple[Row, ...], coverage: Coverage | None) -> tuple[str, ...]:
    """Why the numbers of a measurement should not be compared as they stand."""
    out: list[str] = []
    if coverage is not None and coverage.covered == 0:
        out.append(f"No data: {coverage.what}: 0 of {coverage.total:,}; nothing here is measured.")
    elif coverage is not None and coverage.ratio is not None and coverage.ratio < COVERAGE_MIN:
        out.append(
            f"Low coverage: {coverage.what}: {coverage.covered:,} of {coverage.total:,} "
            f"({coverage.ratio:.1%}); the shares below describe those only, not the registry."
        )
    if coverage is not None and 0 < coverage.covered < SMALL_N:
        out.append(
            f"Small sample: n = {coverage.covered:,} ({coverage.what}); a share of so few is "
            "an anecdote, not a rate."
        )
    measured = [row for row in rows if row.denominator]
    if rows and not measured and not any("No data" in text for text in out):
        out.append("No data: every row is 0 of 0 (shown as n/a, not 0%).")
    elif measured and coverage is None and max(r.denominator for r in measured) < SMALL_N:
        out.append(
            f"Small sample: n = {max(r.denominator for r in measured):,} at most; a share of "
            "so few is an anecdote, not a rate."
        )
    return tuple(out)


_WITH_CARD = "has_card AND error IS NULL"
COVERAGE: dict[str, tuple[str, str]] = {
    "claims_by_task": (
        "packages whose task is known (card or registry)",
        f"SELECT count(*) FILTER (WHERE {_TASK} <> 'none'), count(*) FROM {_JOINED}",
    ),
    "documentation": (
        "packages whose card could be read (present, without error)",
        "SELECT count(*) FILTER (WHERE has_card IS NOT NULL AND error IS NULL), count(*) "
        "FROM packages",
    ),
    "datasets": (
        "packages with a card (datasets are declared there)",
        f"SELECT count(*) FILTER (WHERE {_WITH_CARD}), count(*) FROM packages",
    ),
    "architectures": (
        "models whose architecture is known (a registry record, config.json or the card)",
        f"SELECT count(k), count(*) FROM ({ARCHITECTURE_SQL})",
    ),
    "licenses": (
        "packages with a card (licences are declared there)",
        f"SELECT count(*) FILTER (WHERE {_WITH_CARD}), count(*) FROM packages",
    ),
    "verified_organisations": (
        "authors whose listing records carry a verification flag",
        "SELECT count(DISTINCT author) FILTER (WHERE author_verified IS NOT NULL), "
        "count(DISTINCT author) FROM models",
    ),
    "commit_signing": (
        "packages whose git history was read",
        "SELECT (SELECT count(*) FROM repos WHERE error IS NULL), "
        "(SELECT count(*) FROM (SELECT id FROM packages UNION SELECT id FROM models "
        "UNION SELECT id FROM repos))",
    ),
    "popularity_concentration": (
        "listed models whose downloads are known",
        "SELECT count(*) FILTER (WHERE downloads IS NOT NULL), count(*) FROM models",
    ),
    "serialization_formats": (
        "packages whose file list is known",
        "SELECT count(*) FILTER (WHERE files_known), count(*) FROM packages",
    ),
    "factors_by_task": (
        "packages with a card",
        f"SELECT count(*) FILTER (WHERE {_WITH_CARD}), count(*) FROM packages",
    ),
    "factors_by_decile": (
        "packages with a card and known downloads",
        f"SELECT count(*) FILTER (WHERE p.{_WITH_CARD.replace(' AND ', ' AND p.')} "
        f"AND m.downloads IS NOT NULL), count(*) FROM {_JOINED}",
    ),
    "lineage": (
        "packages with a card (base models and datasets are declared there)",
        f"SELECT count(*) FILTER (WHERE {_WITH_CARD}), count(*) FROM packages",
    ),
    "name_squatting": (
        "ids whose downloads are known (popularity decides who imitates whom)",
        "SELECT count(*) FILTER (WHERE downloads IS NOT NULL), "
        "(SELECT count(*) FROM (SELECT id FROM models UNION SELECT id FROM packages)) FROM models",
    ),
}
"""Measurement id → (what its data must carry, SQL giving covered and total units)."""


def _coverage(c: Context, ident: str) -> Coverage | None:
    if ident not in COVERAGE:
        return None
    what, sql = COVERAGE[ident]
    covered, total = c.connection.execute(sql).fetchone() or (0, 0)
    return Coverage(int(covered or 0), int(total or 0), what)


_DIGEST = re.compile(r"-[0-9a-f]{10}$")


def inputs(c: Context) -> Iterable[Measurement]:
    """The summary block: which sources gave which rows, and the dates they span."""
    rows: list[Row] = []
    notes: list[str] = []
    for table, dated in (("models", True), ("packages", False), ("repos", False)):
        dates = "min(created_at), max(created_at)" if dated else "NULL, NULL"
        found = c.connection.execute(
            f"SELECT _source, count(*), {dates}, (SELECT count(*) FROM {table}) FROM {table} "
            "GROUP BY _source ORDER BY _source"
        ).fetchall()
        for source, count, first, last, total in found:
            name = _DIGEST.sub("", str(source))
            rows.append(Row(f"{table}: {name}", int(count), int(total)))
            if first and last:
                notes.append(f"{name}: models created {str(first)[:10]} to {str(last)[:10]}")
    yield Measurement(
        INPUTS,
        "Inputs",
        "Rows per source and table: each id is counted once, under the first source that "
        "lists it (sources in name order); the denominator is the table's ids. Dates are the "
        "creation dates of the listed models (a snapshot is no older than its newest model).",
        tuple(rows),
        notes=tuple(notes),
    )


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


def top_and_other(counts: Iterable[tuple[str, int]], top: int = 10) -> tuple[Row, ...]:
    """Fig. 6's layout: the ``top`` largest keys by count (ties by key), the rest summed as
    ``other``, each over the sum of all counts."""
    ordered = sorted(((str(k), int(n)) for k, n in counts if n), key=lambda kn: (-kn[1], kn[0]))
    total = sum(n for _, n in ordered)
    rows = [Row(k, n, total) for k, n in ordered[:top]]
    rest = sum(n for _, n in ordered[top:])
    if rest:
        rows.append(Row("other", rest, total))
    return tuple(sorted(rows, key=lambda r: (-r.numerator, r.key)))


@measurement
def architectures(c: Context) -> Iterable[Measurement]:
    counts = c.connection.execute(
        f"SELECT k, count(*) FROM ({ARCHITECTURE_SQL}) WHERE k IS NOT NULL GROUP BY k"
    ).fetchall()
    yield Measurement(
        "architectures",
        "Models per architecture (Fig. 6)",
        "The registry's model_type (architecture records such as configs.parquet), else the "
        "package's (config.json, else the card's model_type or a tag naming one); `None` only "
        f"where the registry says a model has none; unknown ids are left out. The {c.top} "
        "largest, the rest as `other`, over models whose architecture is known.",
        top_and_other(((str(k), int(n)) for k, n in counts), c.top),
        c.paper.get("M7"),
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


def _factors_by(c: Context, key: str, groups: int) -> tuple[tuple[Row, ...], Heatmap]:
    """Factor shares for the ``groups`` largest values of ``key`` (task or decile), as rows
    (``task · factor``) and as a heatmap (factors × the ``groups`` values)."""
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
        f"keys AS (SELECT {key}, count(*) AS size FROM base WHERE {key} IS NOT NULL "
        f"GROUP BY {key} ORDER BY count(*) DESC, {key} LIMIT {groups}), "
        f"long AS ({unpivot}) "
        f"SELECT {key}, factor, count(*) FILTER (WHERE present), count(*), "
        f"(SELECT size FROM keys WHERE keys.{key} = long.{key}) AS size FROM long "
        f"WHERE {key} IN (SELECT {key} FROM keys) GROUP BY {key}, factor ORDER BY {key}, factor"
    )
    found = [
        (str(group), str(factor), int(n or 0), int(d or 0), int(size or 0))
        for group, factor, n, d, size in c.connection.execute(sql).fetchall()
    ]
    rows = tuple(Row(f"{group} · {factor}", n, d) for group, factor, n, d, _ in found)
    sizes = {group: size for group, _, _, _, size in found}
    if key == "decile":
        order = sorted(sizes, key=int)
    else:
        order = sorted(sizes, key=lambda group: (-sizes[group], group))
    cells = {(group, factor): Row(group, n, d) for group, factor, n, d, _ in found}
    factors = tuple(_factor_name(column) for column in FACTOR_COLUMNS)
    heatmap = Heatmap(
        "factor", key, factors, tuple(order),
        tuple(tuple(cells.get((g, f), Row(g, 0, 0)) for g in order) for f in factors),
    )  # fmt: skip
    if key != "decile":
        return rows, heatmap
    unknown, total = c.connection.execute(
        f"SELECT count(*) FILTER (WHERE m.downloads IS NULL), count(*) FROM {_JOINED} "
        "WHERE p.has_card AND p.error IS NULL"
    ).fetchone() or (0, 0)
    return (*rows, Row("unknown popularity (not in a decile)", int(unknown), int(total))), heatmap


_FACTORS_DEFINITION = (
    "Over packages with a card: the share where each factor probe finds the factor present."
)


@measurement
def factors_by_task(c: Context) -> Iterable[Measurement]:
    rows, heatmap = _factors_by(c, "task", 5)
    yield Measurement(
        "factors_by_task",
        "Table I factors present, per task (five largest tasks)",
        _FACTORS_DEFINITION,
        rows,
        heatmap=heatmap,
    )


@measurement
def factors_by_decile(c: Context) -> Iterable[Measurement]:
    rows, heatmap = _factors_by(c, "decile", 10)
    yield Measurement(
        "factors_by_decile",
        "Table I factors present, per popularity decile (10 = most downloaded; packages of "
        "unknown downloads counted apart)",
        _FACTORS_DEFINITION,
        rows,
        heatmap=heatmap,
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


measurement(inputs)  # registered last: the report's summary, not one of its sections
