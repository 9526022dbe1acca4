"""Claims from Markdown results tables, read the way a person reads them.

Authors lay results out in a handful of shapes, and the labelled real cards of issue 12
hold every one of them:

* **metric columns**: ``| Dataset | BLEU | chr-F |`` (a claim per metric cell, the row
  naming the dataset or subset); ESPnet's ``### WER`` tables whose columns (Corr, Sub,
  Del, Ins, Err, S.Err) take their metric from the heading;
* **metric rows**: ``| Type | Score |`` with ``TOKEN_ACC`` in the first column (spaCy),
  or a metric per row and datasets or classes as columns (gpt2's LAMBADA/PPL table);
* **comparisons**: several models on benchmarks; only this model's column (a header
  naming it, or its size where columns are sizes: ``7B Params``) or row are its claims,
  and the metric comes from a Metric column, the heading or the sentence introducing the
  table ("reported in terms of Word Error Rate (WER%)").

Columns that are not results (parameters, layers, latency, vocabulary, counts) never
become claims, and training logs (epoch/step columns) are not read at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ptmscope.card import markdown
from ptmscope.card.build import make_claim
from ptmscope.card.values import metric_id, parse_value
from ptmscope.package import Claim

_LOG_COLUMNS = frozenset({"epoch", "step", "training loss", "train loss", "steps"})
_MODEL_COLUMNS = frozenset(
    {
        "model",
        "models",
        "model name",
        "model version",
        "version",
        "checkpoint",
        "variant",
        "system",
        "method",
        "methods",
    }
)
"""First-column headers that make a table a comparison of models."""
_DATASET_COLUMNS = frozenset(
    {
        "dataset",
        "datasets",
        "data",
        "benchmark",
        "benchmarks",
        "task",
        "tasks",
        "test set",
        "testset",
        "eval set",
        "corpus",
        "language",
        "languages",
        "lang",
        "subset",
        "domain",
    }
)
_METRIC_NAME_COLUMNS = frozenset({"metric", "metrics", "type", "measure", "evaluation metric"})
"""First-column headers under which every row names a metric, whatever its spelling."""
_GENERIC_VALUE = frozenset({"value", "score", "scores", "result", "results", "this model", "ours"})
_NOT_RESULTS = re.compile(
    r"\b(?:params?|parameters|#\s*params|size|layers?|heads?|dim|dimensions?|hidden|vocab"
    r"|vocabulary|latency|throughput|speed|time|memory|batch|lr|learning rate|epochs?"
    r"|steps?|tokens?|snt|wrd|count|samples|sentences|words|hours|flops|gflops|macs"
    r"|resolution|img|image size|year|date|version|link|download|url|license|tokenizer)\b",
    re.IGNORECASE,
)
"""Column headers whose numbers describe the model or the data, not its performance."""
_METRIC_WORDS = re.compile(
    r"(?<![A-Za-z])(?P<m>WER|CER|TER|BLEU|chr-?F\+*2?|ROUGE[-_ ]?(?:1|2|L(?:sum)?)|"
    r"[Aa]ccuracy|Acc|F1|[Pp]recision|[Rr]ecall|[Pp]erplexity|PPL|mAP|MAE|MSE|RMSE|AUC|"
    r"[Ss]pearman|[Pp]earson|[Ee]xact [Mm]atch|[Tt]op-?[15])(?![A-Za-z])"
)
"""Metric names a header or a sentence may carry among other words ("Short-Form WER")."""
_ERROR_COLUMNS = frozenset({"corr", "sub", "del", "ins", "err", "s.err"})
"""sclite's columns (ESPnet, Kaldi): Err is the error rate named by the heading."""
_SPLITS = {
    "dev": "validation",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "eval": "validation",
    "test": "test",
    "train": "train",
}
_SPLIT_AT_END = re.compile(r"^(?P<name>.+?)[\s_-]+(?P<split>dev|valid|validation|val|test)$", re.I)
_AGGREGATE = re.compile(r"^(?:avg|average|mean|overall)\b", re.IGNORECASE)
"""A column averaging the others: a summary of this model's results, not a dataset."""
_SPLIT_AT_START = re.compile(
    r"^(?P<split>dev|valid|validation|val|test)[\s_-]+(?P<name>.+)$", re.IGNORECASE
)
_SUBSET_CODE = 3
"""Beside a split, a name this short is a subset code (``gn`` in ``dev_gn``)."""
_SIZE = re.compile(r"^\d+(?:\.\d+)?[bm]$")
"""A parameter count in a name (``7b``, ``350m``); ``128k`` is a context length."""
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")
_PAIR = re.compile(r"^\s*(?P<a>[-+]?\d+(?:\.\d+)?)\s*/\s*(?P<b>[-+]?\d+(?:\.\d+)?)\s*$")
_RULE = re.compile(r"^[-:\s]*$")
_CAPTION_MAX = 40
_EMPHASIS_LEAD = re.compile(r"^\s*(?P<mark>\*\*?|__?)(?P<phrase>[^*_]{2,60}?)(?P=mark)")
"""A caption written as an emphasised phrase opening the line ("*Zero-shot performance.*")."""
_LEAD_IN_LINES = 3


def clean(cell: str) -> str:
    """A cell as a reader sees it: links as their text, tags and emphasis dropped."""
    text = cell
    if "[" in text:
        text = _LINK.sub(r"\1", text)
    if "<" in text:
        text = markdown.HTML_TAG.sub(" ", text)
    text = _SPACE.sub(" ", text).strip().strip("*`~ ")
    while len(text) > 2 and text[0] == text[-1] == "_":
        text = text[1:-1].strip()
    return text


def _key(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "", (text or "").lower())


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9.]+", text.lower()) if t}


def _names_model(cell: str, model_name: str | None) -> bool:
    """Whether a cell names this model: the cell is its repository name or a short form
    of it ("ALBERT-base" for albert-base-v1), or holds its name as a whole identifier;
    a longer identifier that starts with the name ("…_in12k_ft_in1k" for "…_in12k") is a
    sibling model, not this one."""
    if model_name is None:
        return True
    row, name = _key(cell), _key(model_name.rsplit("/", 1)[-1])
    if not row or not name:
        return False
    if row in name:
        return True
    if name not in row:
        return False
    text, base = cell.lower(), model_name.rsplit("/", 1)[-1].lower()
    at = text.find(base)
    return at < 0 or not re.match(r"[-_.]?[a-z0-9]", text[at + len(base) :])


def _names_size(cell: str, model_name: str | None) -> bool:
    """A column named only by a size ("7B Params", "2B") that this model's name carries."""
    if model_name is None:
        return False
    words = _tokens(cell) - {"params", "parameters", "model", "size"}
    sizes = {w for w in words if _SIZE.match(w)}
    mine = {w for w in re.split(r"[-_./]+", model_name.lower()) if _SIZE.match(w)}
    return bool(sizes) and sizes == words and bool(sizes & mine)


def _number(cell: str) -> bool:
    return parse_value(cell, None).value is not None


def _result_value(cell: str) -> bool:
    """A number, or two (``90.2/83.2``: F1/EM in one cell)."""
    return _number(cell) or _PAIR.match(cell) is not None


def _split_name(name: str) -> tuple[str, str | None]:
    """``MCV 11.0 Dev`` → (``MCV 11.0``, ``validation``); a bare split word is a split."""
    low = name.strip().lower()
    if low in _SPLITS:
        return "", _SPLITS[low]
    found = _SPLIT_AT_END.match(name.strip())
    if found is not None:
        return found["name"], _SPLITS[found["split"].lower()]
    found = _SPLIT_AT_START.match(name.strip())
    if found is None:
        return name, None
    rest = found["name"]
    # ``dev_gn``: what follows the split is a subset code (a language), not a dataset
    return ("" if len(rest) <= _SUBSET_CODE else rest), _SPLITS[found["split"].lower()]


def _metric_header(text: str) -> str | None:
    """The metric a header names, alone ("BLEU") or among other words ("Short-Form WER ↓")."""
    if metric_id(text):
        return text
    found = _METRIC_WORDS.search(text)
    if found is None or _NOT_RESULTS.search(text):
        return None
    return text.strip(" ↑↓")


@dataclass(frozen=True)
class _Context:
    """What the text above a table says about it."""

    heading: str | None
    """The heading over the table, when it names a metric (``### WER``)."""
    metric: str | None
    """The metric the table reports, from the heading, a caption line or the lead-in."""


def _context(lines: Sequence[markdown.TextLine], index: int) -> _Context:
    """Read back from the table's header (``lines[index]``) to the nearest heading."""
    heading_metric: str | None = None
    caption: str | None = None
    mentioned: set[str] = set()
    seen = 0
    for line in reversed(lines[max(0, index - 40) : index]):
        if line.in_code:
            break
        text = line.text.strip()
        title = markdown.heading_title(line.text)
        if title is not None:
            name = clean(title)
            if metric_id(name):
                heading_metric = name
            elif len(mentioned) != 1:
                mentioned |= {m.group("m") for m in _METRIC_WORDS.finditer(name)}
            break
        if not text or text.startswith("|"):
            continue
        seen += 1
        if seen > _LEAD_IN_LINES:
            break
        plain = clean(text)
        lead = _EMPHASIS_LEAD.match(text)
        if seen == 1 and plain.endswith(":") and len(plain) <= _CAPTION_MAX:
            caption = clean(plain[:-1])
        elif seen == 1 and lead and len(lead["phrase"]) <= _CAPTION_MAX:
            caption = clean(lead["phrase"]).rstrip(".:")
        mentioned |= {metric_id(m.group("m")) or m.group("m") for m in _METRIC_WORDS.finditer(text)}
    metric = heading_metric or caption or (next(iter(mentioned)) if len(mentioned) == 1 else None)
    return _Context(heading_metric, metric)


@dataclass(frozen=True)
class _Table:
    """A table with cleaned cells, continuation rows filled and rule rows dropped."""

    line: int
    header: tuple[str, ...]
    low: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    groups: tuple[str, ...] = ()
    """The group each row sits under (``V2``, ``V1`` rows that hold only a label), or ``""``."""
    units: tuple[str, ...] = ()
    """Each column's metric from a row under the header (gpt2's ``| (metric) | (PPL) |``)."""


def _units(cells: list[str]) -> tuple[str, ...]:
    """A body row naming each column's metric: ``(metric)`` first, or metric names only."""
    names = [c.strip("() ") for c in cells[1:]]
    if not names or any(_number(n) for n in names if n):
        return ()
    if cells[0].strip("() ").lower() in _METRIC_NAME_COLUMNS or all(
        not n or metric_id(n) for n in names
    ):
        return ("", *names)
    return ()


def _prepare(table: markdown.Table) -> _Table:
    header = tuple(clean(h) for h in table.header)
    rows: list[tuple[int, tuple[str, ...]]] = []
    groups: list[str] = []
    units: tuple[str, ...] = ()
    previous = group = ""
    for number, raw in table.rows:
        cells = [clean(c) for c in raw]
        if all(_RULE.match(c) for c in cells):
            continue
        if not rows and not units and len(cells) > 1 and (units := _units(cells)):
            continue
        if cells and cells[0] and not any(cells[1:]) and len(header) > 2:
            group = cells[0]  # a row holding only a label starts a group of rows
            continue
        if cells and not cells[0] and previous:
            cells[0] = previous  # a blank first cell continues the row above (rowspan)
        previous = cells[0] if cells else previous
        rows.append((number, tuple(cells)))
        groups.append(group)
    return _Table(
        table.line, header, tuple(h.lower() for h in header), tuple(rows), tuple(groups), units
    )


def _my_rows(t: _Table, model: str | None) -> list[tuple[int, tuple[str, ...]]]:
    """Rows naming this model; where rows are grouped (``V1``/``V2``) and this model's name
    carries a group's label, only that group's rows."""
    if model is None:
        return []
    mine = [(i, row) for i, row in enumerate(t.rows) if row[1] and _names_model(row[1][0], model)]
    name = _tokens(model.rsplit("/", 1)[-1].replace("-", " ").replace("_", " "))
    chosen = {g for g in t.groups if g and g.lower() in name}
    if chosen:
        mine = [(i, row) for i, row in mine if t.groups[i] in chosen]
    return [row for _, row in mine]


@dataclass(frozen=True)
class _Site:
    """Where claims of one table go: the card path and the task they default to."""

    card_path: str
    task: str | None

    def claim(
        self,
        number: int,
        label: str,
        raw: str,
        *,
        metric: str | None = None,
        dataset: str | None = None,
        split: str | None = None,
        subject: str | None = None,
    ) -> list[Claim]:
        """One claim per value: a cell holding ``90.2/83.2`` (F1/EM) is two results."""
        pair = _PAIR.match(raw)
        values = [pair["a"], pair["b"]] if pair else [raw]
        labels = label.split("/") if pair and label.count("/") == 1 else [label, label]
        if dataset:
            named, found_split = _split_name(dataset)
            dataset, split = (named or None), split or found_split
        return [
            make_claim(
                label=labels[i].strip() or label,
                metric=metric,
                raw=value,
                source="markdown-table",
                location=f"{self.card_path}:{number}",
                task=self.task,
                dataset=dataset or None,
                split=split,
                subject=subject or None,
            )
            for i, value in enumerate(values)
        ]


def _result_column(header: str) -> bool:
    return bool(header) and header.lower() not in _GENERIC_VALUE and not _NOT_RESULTS.search(header)


def _metric_columns(t: _Table, site: _Site, ctx: _Context, model: str | None) -> list[Claim] | None:
    """``| Dataset | BLEU | chr-F |`` and ESPnet's ``### WER`` tables; ``None`` when the
    table has no metric columns (another shape)."""
    named = {c: _metric_header(h) for c, h in enumerate(t.header)}
    metric_cols = [c for c, name in named.items() if name]
    sclite = ctx.heading is not None and _ERROR_COLUMNS.intersection(t.low)
    if sclite:
        metric_cols = [c for c, h in enumerate(t.low) if h in _ERROR_COLUMNS]
    if not metric_cols:
        return None
    rows = t.rows
    if t.low[0] in _MODEL_COLUMNS and model is not None:
        rows = tuple(_my_rows(t, model))
    dataset_col = next((c for c, h in enumerate(t.low) if h in _DATASET_COLUMNS), None)
    if dataset_col is None and 0 not in metric_cols and t.low[0] not in _MODEL_COLUMNS:
        dataset_col = 0  # the row label names what was measured (a test set, a language)
    claims: list[Claim] = []
    for number, cells in rows:
        subject = cells[0] if cells and 0 not in metric_cols else None
        dataset = (
            cells[dataset_col] if dataset_col is not None and dataset_col < len(cells) else None
        )
        if sclite and dataset and "/" in dataset:
            dataset = dataset.rsplit("/", 1)[-1]  # decode_…/dt05_real → the test set
        for col in metric_cols:
            if col >= len(cells) or not cells[col]:
                continue
            label, metric = named.get(col) or t.header[col], None
            if sclite and ctx.heading:
                label = f"{ctx.heading} {t.header[col]}"
                metric = ctx.heading if t.low[col] == "err" else label
            claims += site.claim(
                number,
                label,
                cells[col],
                metric=metric,
                dataset=dataset,
                subject=None if subject == dataset else subject,
            )
    return claims


def _unit_columns(t: _Table, site: _Site) -> list[Claim]:
    """Datasets as columns with a row of metrics under them (gpt2's LAMBADA table)."""
    claims: list[Claim] = []
    for number, cells in t.rows:
        for col in range(1, min(len(cells), len(t.header), len(t.units))):
            if t.units[col] and _result_value(cells[col]):
                claims += site.claim(number, t.units[col], cells[col], dataset=t.header[col])
    return claims


def _is_class(header: str) -> bool:
    """Entity classes and averages (``PER``, ``Micro-Avg``) are not datasets."""
    low = header.lower()
    return (header.isupper() and len(header) <= 5) or any(
        w in low for w in ("avg", "average", "micro", "macro", "weighted", "overall", "total")
    )


def _metric_rows(t: _Table, site: _Site) -> list[Claim]:
    """A metric per row: spaCy's ``| Type | Score |``, gpt2's LAMBADA/PPL table."""
    any_label = t.low[0] in _METRIC_NAME_COLUMNS
    claims: list[Claim] = []
    for number, cells in t.rows:
        if not cells or not (any_label or metric_id(cells[0])):
            continue
        for col in range(1, min(len(cells), len(t.header))):
            column = t.header[col]
            if not cells[col] or (column and _NOT_RESULTS.search(column)):
                continue
            if not column or column.lower() in _GENERIC_VALUE:
                claims += site.claim(number, cells[0], cells[col])
                continue
            dataset = None if _is_class(column) else column
            claims += site.claim(
                number, f"{cells[0]} ({column})", cells[col], metric=cells[0], dataset=dataset
            )
    return claims


def _comparison(t: _Table, site: _Site, ctx: _Context, model: str | None) -> list[Claim]:
    """Models compared on benchmarks: this model's column, its row, or a table's only row."""
    metric_col = next((c for c, h in enumerate(t.low) if h in ("metric", "metrics")), None)
    mine = [
        c
        for c, cell in enumerate(t.header)
        if c > 0 and (_names_model(cell, model) or _names_size(cell, model))
    ]
    claims: list[Claim] = []
    if mine and model is not None:
        col = mine[0]
        label_cols = [c for c in range(col) if c != metric_col]
        for number, cells in t.rows:
            if col >= len(cells) or not _result_value(cells[col]):
                continue
            dataset = next(
                (
                    cells[c]
                    for c in reversed(label_cols)
                    if c < len(cells) and cells[c] and not _number(cells[c])
                ),
                None,
            )
            written = (
                cells[metric_col] if metric_col is not None and metric_col < len(cells) else ""
            )
            claims += site.claim(
                number, written or ctx.metric or "score", cells[col], dataset=dataset
            )
        return claims
    rows = _my_rows(t, model)
    if not rows and len(t.rows) == 1 and ctx.metric:
        rows = list(t.rows)  # one row under a caption: the card's own result, not a comparison
    metric = ctx.metric or "score"
    headed = len(t.rows) == 1 and bool(rows) and _result_value(rows[0][1][0])
    first = 0 if headed else 1  # a header of benchmark names over one row of numbers
    for number, cells in rows:
        for col in range(first, min(len(cells), len(t.header))):
            column = t.header[col]
            if not _result_column(column) or not _result_value(cells[col]):
                continue
            if _AGGREGATE.match(column):
                claims += site.claim(number, f"{metric} ({column})", cells[col], metric=metric)
            else:
                claims += site.claim(number, metric, cells[col], dataset=column)
    return claims


def claims(
    lines: Sequence[markdown.TextLine],
    card_path: str,
    default_task: str | None,
    model_name: str | None = None,
) -> list[Claim]:
    """Every table's claims, each table read by its shape (see the module docstring)."""
    site = _Site(card_path, default_task)
    index_of = {line.number: i for i, line in enumerate(lines)}
    found: list[Claim] = []
    for raw in markdown.tables(lines):
        if _LOG_COLUMNS.intersection(h.strip(" *_`").lower() for h in raw.header):
            continue  # a training log: read no further
        table = _prepare(raw)
        if not table.header:
            continue
        if table.units:
            found += _unit_columns(table, site)
            continue
        ctx = _context(lines, index_of.get(table.line, 0))
        by_columns = _metric_columns(table, site, ctx, model_name)
        if by_columns is not None:
            found += by_columns
            continue
        if table.low[0] in _METRIC_NAME_COLUMNS or any(
            cells and metric_id(cells[0]) for _, cells in table.rows
        ):
            found += _metric_rows(table, site)
            continue
        found += _comparison(table, site, ctx, model_name)
    return found
