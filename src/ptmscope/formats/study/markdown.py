"""Study as Markdown: a section and a table per measurement."""

from __future__ import annotations

from ptmscope.formats.escape import markdown, markdown_code
from ptmscope.results.study import StudyResult


class StudyMarkdown:
    """The measurements as GitHub-flavoured Markdown; registry keys escaped."""

    def render(self, result: StudyResult) -> str:
        """One section per measurement: definition, the paper's value, the rows."""
        out = ["# ptmscope study", ""]
        for m in result.measurements:
            out += [f"## {m.title} ({markdown_code(m.id)})", "", m.definition, ""]
            if m.paper:
                out += [f"Paper (ICSE 2023): {m.paper}", ""]
            out += [f"- {markdown(note)}" for note in m.notes] + ([""] if m.notes else [])
            out += ["| key | numerator | denominator | share |", "|---|---:|---:|---:|"]
            out += [
                f"| {markdown(r.key)} | {r.numerator:,} | {r.denominator:,} | {r.share:.1%} |"
                for r in m.rows
            ]
            out.append("")
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
