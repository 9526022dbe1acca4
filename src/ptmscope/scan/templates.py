"""Chat templates (Jinja2) checked for sandbox-escape patterns by parsing, never rendering.

GGUF files, ``tokenizer_config.json``, ``processor_config.json``, ``chat_template.json``
and standalone ``chat_template.jinja`` (and ``additional_chat_templates/*.jinja``)
carry chat templates that loaders render; llama-cpp-python rendered it outside a sandbox (CVE-2024-34359), so a
template reaching ``__globals__`` ran shell commands. Templates are parsed with
Jinja2's sandboxed environment into an AST and walked: any access to an
underscore attribute, or an ``attr`` filter whose name is computed, is what every
published escape needs and no honest template uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ptmscope.severity import Severity

if TYPE_CHECKING:
    from ptmscope.scan.context import ScanContext

_DANGEROUS_NAMES = frozenset(
    {"os", "popen", "system", "subprocess", "eval", "exec", "import_module", "builtins",
     "mro", "subclasses", "func_globals", "f_globals", "gi_frame", "tb_frame", "co_code"}
)  # fmt: skip


MAX_TEMPLATE = 1 << 20


@dataclass(frozen=True)
class TemplateIssue:
    """Something in a chat template that reaches outside the sandbox Jinja offers."""

    severity: Severity
    message: str
    line: int | None


@cache
def _environment() -> Any:
    """A sandbox that parses what transformers' chat templates may use: ``loopcontrols``
    (``{% break %}``) and its ``{% generation %}`` tag; without them honest templates fail to
    parse. Built once (on first use: jinja2 is not imported by scans without templates)."""
    from jinja2 import nodes
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Generation(Extension):
        """Parses ``{% generation %}…{% endgeneration %}`` into a plain block (never run)."""

        tags = frozenset({"generation"})  # type: ignore[assignment]

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return nodes.Scope(body).set_lineno(lineno)

    return ImmutableSandboxedEnvironment(extensions=[loopcontrols, Generation])


def check_template(source: str) -> tuple[list[TemplateIssue], str | None]:
    """Issues found, and a parse error (``None`` when the template parses)."""
    from jinja2 import TemplateSyntaxError, nodes

    if len(source) > MAX_TEMPLATE:
        return (
            [],
            f"template of {len(source):,} characters is too large to check (limit {MAX_TEMPLATE:,})",
        )
    env = _environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        return [], f"template does not parse: {exc.message} (line {exc.lineno})"
    except RecursionError:
        return [], "template nests too deeply to parse"
    issues: list[TemplateIssue] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        line = getattr(node, "lineno", None)
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem):
            name = (
                node.arg.value
                if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)
                else ""
            )
        elif isinstance(node, nodes.Filter):
            if node.name != "attr":
                continue
            arg = node.args[0] if node.args else None
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                name = arg.value
            else:
                issues.append(
                    TemplateIssue(Severity.HIGH, "attr filter with a computed attribute name", line)
                )
                continue
        else:
            name = str(getattr(node, "name", ""))
            if name.startswith("__"):
                issues.append(TemplateIssue(Severity.CRITICAL, f"reads the variable {name}", line))
            continue
        if name.startswith("_"):
            issues.append(
                TemplateIssue(
                    Severity.CRITICAL,
                    f"accesses {name!r}: the first step of every Jinja sandbox escape",
                    line,
                )
            )
        elif name in _DANGEROUS_NAMES:
            issues.append(
                TemplateIssue(
                    Severity.HIGH, f"accesses {name!r}, which no chat template needs", line
                )
            )
    return issues, None


def template_entries(value: object) -> list[tuple[str, str]]:
    """``(name, template)`` pairs from a ``chat_template`` value in any shape transformers
    writes: a string, a list of ``{"name", "template"}`` or a mapping of name to template."""
    if isinstance(value, str):
        return [("default", value)]
    if isinstance(value, list):
        return [
            (str(entry.get("name", "?")), entry["template"])
            for entry in value
            if isinstance(entry, dict) and isinstance(entry.get("template"), str)
        ]
    if isinstance(value, dict):
        return [(str(name), text) for name, text in value.items() if isinstance(text, str)]
    return []


def report_template(source: str, ctx: ScanContext, key: str) -> bool:
    """Check one template into ``ctx``; False when it does not parse (an error is recorded)."""
    ctx.check_time()
    issues, error = check_template(source)
    if error:
        ctx.error(f"{key}: {error}")
    for issue in issues:
        ctx.add(
            "template.injection",
            issue.severity,
            f"{key}: {issue.message}" + (f" (line {issue.line})" if issue.line else ""),
            target=key,
            category="code-execution",
        )
    return error is None
