"""YAML loading that cannot be turned into a denial of service.

Front matter is untrusted. PyYAML builds aliases as shared references, so a
"billion laughs" document is cheap to load but explodes when anything walks it;
deeply nested flow collections overflow the recursive composer. We first walk
the libyaml event stream (a non-recursive state machine) to measure nesting
depth and the size the document would have with every alias expanded, and only
then construct it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ptmscope.errors import HostileInputError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_YAML_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_NODES = 200_000


@dataclass(frozen=True)
class YamlResult:
    """Parsed YAML, or the error that stopped it: a broken block is reported, never raised."""

    data: Any
    error: str | None
    """Syntax error with its (1-based) line, or ``None``."""


def _error_text(exc: yaml.YAMLError, line_offset: int) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1 + line_offset}: {problem}"
    return str(problem)


def _measure(text: str, max_depth: int, max_nodes: int) -> None:
    """Raise :class:`HostileInputError` if the document nests or expands past the limits."""
    sizes: dict[str, int] = {}
    stack: list[tuple[int, str | None]] = []
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append((0, event.anchor))
            if len(stack) > max_depth:
                raise HostileInputError(f"YAML nests deeper than {max_depth} levels")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            count, anchor = stack.pop()
            count += 1
            if anchor is not None:
                sizes[anchor] = count
        elif isinstance(event, yaml.ScalarEvent):
            count = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            count = sizes.get(event.anchor or "", 1)
        else:
            continue
        if stack:
            parent, parent_anchor = stack[-1]
            stack[-1] = (parent + count, parent_anchor)
        else:
            total += count
        if count > max_nodes or total > max_nodes:
            raise HostileInputError(
                f"YAML expands to more than {max_nodes} nodes (alias expansion bomb)"
            )


def load_yaml(
    text: str,
    *,
    line_offset: int = 0,
    max_bytes: int = MAX_YAML_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> YamlResult:
    """Parse one YAML document safely.

    Syntax errors come back in :attr:`YamlResult.error` (they are facts about the
    package); hostile documents raise :class:`HostileInputError`.
    """
    if len(text) > max_bytes:
        raise HostileInputError(f"YAML is {len(text)} bytes, above the {max_bytes}-byte limit")
    try:
        _measure(text, max_depth, max_nodes)
        return YamlResult(yaml.load(text, Loader=_Loader), None)
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # libyaml's own guard against deep nesting
            raise HostileInputError("YAML nests too deeply") from None
        return YamlResult(None, _error_text(exc, line_offset))
    except RecursionError:
        raise HostileInputError("YAML nests too deeply to parse") from None
