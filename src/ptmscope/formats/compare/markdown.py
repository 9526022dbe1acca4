"""Compare as Markdown: one column per model; rows where the models differ are in bold."""

from __future__ import annotations

from ptmscope.formats.compare.cells import cell
from ptmscope.formats.escape import markdown
from ptmscope.formats.transfer import taus
from ptmscope.results.compare import CompareResult


def _model(ref: str, commit: str | None) -> str:
    return markdown(ref) + (f" ({markdown(commit[:12])})" if commit else "")


class CompareMarkdown:
    """A GitHub-flavoured table; package text escaped; differing rows marked **bold** and ≠."""

    def render(self, result: CompareResult) -> str:
        """The table, then the task stage's note when there is one."""
        header = ["fact", *(_model(m.ref, m.commit) for m in result.models)]
        lines = [
            "# Compared models",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
        ]
        for row in result.rows:
            label = markdown(row.label)
            values = [markdown(cell(v)) for v in row.values]
            if row.differs:
                label = f"**{label}** ≠"
                values = [f"**{v}**" if v else v for v in values]
            lines.append("| " + " | ".join([label, *values]) + " |")
        lines += ["", "Rows marked ≠ differ between the models."]
        if result.task is not None and result.task.note:
            lines += ["", f"> {markdown(result.task.note)}"]
        if result.task is not None:
            lines += ["", f"Kendall tau with the linear-probe ranking: {taus(result.task)}."]
        return "\n".join(lines) + "\n"
