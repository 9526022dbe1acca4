"""Study as Markdown: a summary, contents, and per measurement ours beside the paper's."""

from __future__ import annotations

from ptmscope.formats.escape import markdown, markdown_code
from ptmscope.formats.study import numbers
from ptmscope.results.study import Heatmap, Measurement, Method, Reproduction, StudyResult


def _anchor(m: Measurement) -> str:
    return m.id.replace("_", "-")


def _summary(result: StudyResult) -> list[str]:
    caveated = sum(1 for m in result.body if m.caveats)
    out = [
        "## Summary",
        "",
        f"- ptmscope {markdown(result.tool_version)}",
        f"- paper values: {markdown(result.paper_source or 'none (--paper none)')}",
        f"- {len(result.body)} measurements, {caveated} with a caveat",
        "",
    ]
    if result.inputs is not None:
        out += [result.inputs.definition, "", "| table: source | ids | of the table |",
                "|---|---:|---:|"]  # fmt: skip
        out += [
            f"| {markdown(r.key)} | {r.numerator:,} | {numbers.percent(r.ratio)} of "
            f"{r.denominator:,} |"
            for r in result.inputs.rows
        ]
        out += [""] + [f"- {markdown(note)}" for note in result.inputs.notes] + [""]
    return out


def _heatmap(heat: Heatmap) -> list[str]:
    out = [
        f"| {markdown(heat.row_label)} | " + " | ".join(markdown(c) for c in heat.columns) + " |",
        "|---|" + "---:|" * len(heat.columns),
    ]
    out += [
        f"| {markdown(name)} | " + " | ".join(numbers.percent(c.ratio) for c in cells) + " |"
        for name, cells in zip(heat.rows, heat.cells, strict=True)
    ]
    return [*out, ""]


def _table(m: Measurement) -> list[str]:
    with_paper = bool(m.paper_rows)
    head = "| key | ours | n / N |" + (
        " paper (ICSE 2023) | Δ ours − paper |" if with_paper else ""
    )
    out = [head, "|---|---:|---:|" + ("---:|---:|" if with_paper else "")]
    for item in m.comparison():
        line = f"| {markdown(item.key)} | {numbers.ours(item.ours)} | "
        line += f"{numbers.counts(item.ours) if item.ours else numbers.NONE} |"
        if with_paper:
            line += f" {numbers.paper(item.paper)} | {numbers.delta(item)} |"
        out.append(line)
    return out


def reproduction_table(result: StudyResult) -> list[str]:
    """The paper's values beside the paper method's and ptmscope's on this data: one row
    per measurement (the table the README carries)."""
    out = ["| id | measurement | paper (ICSE 2023) | paper's method, here | ptmscope's method, "
           "here | why they differ |", "|---|---|---|---|---|---|"]  # fmt: skip
    out += [
        f"| {r.id} | {markdown(r.title)} | {markdown(numbers.paper_headline(r))} | "
        f"{markdown(numbers.headline(r.paper_method))} | "
        f"{markdown(numbers.headline(r.ptmscope_method))} | {markdown(numbers.why(r))} |"
        for r in result.reproductions
    ]
    return out


def _method(method: Method | None, name: str) -> list[str]:
    if method is None:
        return [f"*{name}:* not measurable on this data.", ""]
    out = [f"*{name}:* {markdown(method.definition)}", "", "| key | value |", "|---|---:|"]
    out += [f"| {markdown(r.key)} | {numbers.value(r, method.unit)} |" for r in method.rows]
    return [*out, ""]


def _reproduction(r: Reproduction) -> list[str]:
    out = [f"### {r.id}: {markdown(r.title)}", "", f"Paper: {markdown(r.paper_value)}", ""]
    if not r.supported:
        return [*out, f"Not measurable on this data. Needs {markdown(r.needs or '')}.", ""]
    out += _method(r.paper_method, "Paper's method")
    out += _method(r.ptmscope_method, "ptmscope's method")
    out += [f"- {markdown(reason)}" for reason in r.reasons]
    return [*out, ""]


def _reproductions(result: StudyResult) -> list[str]:
    out = ['<a id="the-paper-reproduced"></a>', "", "## The paper reproduced: its method and ours", "",
           "Each number of the paper measured on this data by the artifact's procedure (quirks "
           "included) and by ptmscope's definition; measurements the data cannot support say "
           "what they would need.", "", *reproduction_table(result), ""]  # fmt: skip
    for r in result.reproductions:
        out += _reproduction(r)
    return out


class StudyMarkdown:
    """The measurements as GitHub-flavoured Markdown; registry keys escaped."""

    def render(self, result: StudyResult) -> str:
        """Summary, contents, then one section per measurement."""
        out = ["# ptmscope study report", "", *_summary(result), "## Contents", ""]
        out += [f"- [{markdown(m.title)}](#{_anchor(m)})" for m in result.body]
        if result.reproductions:
            out.append("- [The paper reproduced: its method and ours](#the-paper-reproduced)")
        out.append("")
        for m in result.body:
            out += [f'<a id="{_anchor(m)}"></a>', ""]
            out += [f"## {m.title} ({markdown_code(m.id)})", "", m.definition, ""]
            if m.paper:
                out += [f"Paper (ICSE 2023): {m.paper}", ""]
            if m.coverage is not None:
                out += [f"Coverage: {markdown(numbers.coverage(m.coverage))}", ""]
            out += [f"> **Caveat:** {markdown(caveat)}" for caveat in m.caveats]
            out += [""] if m.caveats else []
            out += [f"- {markdown(note)}" for note in m.notes] + ([""] if m.notes else [])
            if m.heatmap is not None:
                out += _heatmap(m.heatmap)
                out += [f"<details><summary>All {len(m.rows)} rows</summary>", ""]
                out += [*_table(m), "", "</details>"]
            else:
                out += _table(m)
            out.append("")
        if result.reproductions:
            out += _reproductions(result)
        if result.paper:
            out += ["## The paper's numbers (ICSE 2023)", "", f"Source: {result.paper_source}", ""]
            out += ["| id | where | what | value | of |", "|---|---|---|---|---|"]
            out += [
                f"| {p.id} | {markdown(p.where)} | {markdown(p.title)} | {markdown(p.value)} "
                f"| {markdown(p.denominator)} |"
                for p in result.paper
            ]
            out.append("")
        return "\n".join(out)
