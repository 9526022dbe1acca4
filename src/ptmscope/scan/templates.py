"""Chat templates (Jinja2) checked for sandbox-escape patterns by parsing, never rendering.

GGUF files and ``tokenizer_config.json`` carry a chat template that loaders
render; llama-cpp-python rendered it outside a sandbox (CVE-2024-34359), so a
template reaching ``__globals__`` ran shell commands. Templates are parsed with
Jinja2's sandboxed environment into an AST and walked: any access to an
underscore attribute, or an ``attr`` filter whose name is computed, is what every
published escape needs and no honest template uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptmscope.severity import Severity

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


def check_template(source: str) -> tuple[list[TemplateIssue], str | None]:
    """Issues found, and a parse error (``None`` when the template parses)."""
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    if len(source) > MAX_TEMPLATE:
        return (
            [],
            f"template of {len(source):,} characters is too large to check (limit {MAX_TEMPLATE:,})",
        )
    env = ImmutableSandboxedEnvironment()
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
