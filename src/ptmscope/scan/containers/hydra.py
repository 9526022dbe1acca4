"""Config-driven instantiation: Hydra/NeMo ``_target_`` and Lightning ``class_path`` configs.

``hydra.utils.instantiate`` imports whatever ``_target_`` names and calls it with
``_args_`` and the other keys as arguments (``_partial_`` only defers the call);
a ``.nemo`` archive's ``model_config.yaml`` is instantiated that way on
``restore_from``, and NeMo picks the model class from its top-level ``target``;
Lightning's CLI does the same with ``class_path`` and ``init_args``
(CVE-2025-23304 class). Every such name is judged by the scan policy like a
pickle global, arguments are checked for safety switches and for paths or URLs
outside the package, and encoded strings are decoded and scanned.

YAML's own ``!!python/object/apply:`` tags (which ``yaml.unsafe_load`` calls) are
judged the same way, read from the text without constructing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ptmscope.errors import HostileInputError
from ptmscope.scan.blobs import BlobScanner
from ptmscope.scan.configrefs import (
    INSTANTIATION_MARKERS,
    check_argument,
    has_instantiation_markers,
    judge,
)
from ptmscope.scan.context import ScanContext
from ptmscope.severity import Severity

TARGET = "_target_"
CLASS_PATH = "class_path"
HYDRA_KEYS = frozenset({TARGET, "_partial_", "_args_", "_recursive_", "_convert_"})
MARKERS = INSTANTIATION_MARKERS
MAX_DEPTH = 200
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


has_markers = has_instantiation_markers


@dataclass(frozen=True)
class PythonTag:
    """A ``!!python/...`` node, kept as data: what ``yaml.unsafe_load`` would import or call."""

    kind: str
    """``object/apply``, ``object/new``, ``object``, ``name`` or ``module``."""
    target: str
    arguments: object


@cache
def _tag_loader() -> Any:
    """The safe loader with Python tags built as inert :class:`PythonTag` values (built on
    first use: the YAML library is not imported on a scan that meets no YAML)."""
    import yaml

    class TagLoader(yaml.SafeLoader):
        pass

    def python_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> PythonTag:
        kind, _, target = suffix.partition(":")
        arguments: object = None
        if isinstance(node, yaml.SequenceNode):
            arguments = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            arguments = loader.construct_mapping(node, deep=True)
        elif isinstance(node, yaml.ScalarNode):
            arguments = loader.construct_scalar(node)
        return PythonTag(kind, target, arguments)

    TagLoader.add_multi_constructor("tag:yaml.org,2002:python/", python_tag)
    return TagLoader


def scan_yaml_config(text: str, ctx: ScanContext, source: str) -> bool:
    """Judge a YAML instantiation config; False when it is none (or does not parse: then no
    loader can instantiate it either)."""
    import yaml

    from ptmscope.card.safe_yaml import load_yaml

    try:
        result = load_yaml(text)
    except HostileInputError as exc:
        ctx.error(f"{source}: {exc}")
        return True
    data = result.data
    if result.error is not None:
        if "python/" not in result.error:
            return False
        try:  # load_yaml measured the document already: its size and depth are bounded
            data = yaml.load(text, Loader=_tag_loader())  # tags become inert PythonTag data
        except (yaml.YAMLError, RecursionError):
            return False
    return check_instantiation(data, ctx, source)


def check_instantiation(data: object, ctx: ScanContext, source: str) -> bool:
    """Judge every ``_target_``/``class_path`` in ``data``; True when there was one."""
    walker = _Walker(ctx, source, BlobScanner(ctx), data)
    walker.walk(data, 0, in_call=False)
    if isinstance(data, dict) and (walker.found or "nemo_version" in data):
        target = data.get("target")
        if isinstance(target, str) and _DOTTED.fullmatch(target):
            walker.found = True  # NeMo imports the model class named here on restore
            judge(target, ctx, f"{source}: target", prefix="config", called=True)
    return walker.found


_INTERPOLATION = re.compile(r"\$\{([^${}]*)\}")
_MAX_RESOLVE = 16


def resolve_interpolation(text: str, root: object) -> str | None:
    """``text`` with OmegaConf ``${a.b.c}`` references to other config keys filled in, as
    Hydra resolves them before it instantiates; ``None`` when a reference is a resolver
    (``${oc.env:X}``), relative, escaped or missing, which only load time can answer."""
    for _ in range(_MAX_RESOLVE):
        if "${" not in text:
            return text
        if "\\${" in text:
            return None
        failed = False

        def fill(match: re.Match[str]) -> str:
            nonlocal failed
            value = _lookup(root, match.group(1).strip())
            if value is None:
                failed = True
                return ""
            return value

        text = _INTERPOLATION.sub(fill, text)
        if failed:
            return None
    return None


def _lookup(root: object, path: str) -> str | None:
    if not path or path.startswith(".") or ":" in path:
        return None
    node = root
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return str(node) if isinstance(node, (str, int, float)) and not isinstance(node, bool) else None


@dataclass
class _Walker:
    ctx: ScanContext
    where: str
    blobs: BlobScanner
    root: object = None
    found: bool = False
    seen: set[tuple[int, bool]] = field(default_factory=set)

    def walk(self, node: object, depth: int, in_call: bool) -> None:
        """``in_call``: inside an instantiated node, whose values are its arguments."""
        ctx = self.ctx
        if self.blobs.leaf(node, depth, MAX_DEPTH, self.where):
            return
        if isinstance(node, PythonTag):
            self.found = True
            judge(
                node.target,
                ctx,
                f"{self.where}: YAML tag !!python/{node.kind}",
                prefix="yaml",
                called=node.kind.startswith("object"),
                unlisted=(Severity.HIGH, "yaml.unsafe_load imports and calls what the tag names"),
            )
            self.walk(node.arguments, depth + 1, True)
            return
        if isinstance(node, bytes):  # YAML !!binary
            self.blobs.data(node, self.where, "YAML binary value")
            return
        if isinstance(node, list):
            for item in node:
                self.walk(item, depth + 1, in_call)
            return
        if not isinstance(node, dict):
            return
        # a YAML alias: the same node again, walked once as data and once as arguments
        if (id(node), in_call) in self.seen:
            return
        self.seen.add((id(node), in_call))
        for key, how in ((TARGET, "_target_"), (CLASS_PATH, "class_path")):
            target = node.get(key)
            if isinstance(target, str):
                self.found = in_call = True
                partial = node.get("_partial_") is True
                where = f"{self.where}: {how}" + (" (_partial_: called later)" if partial else "")
                name = target.strip()
                if "${" in name:
                    resolved = resolve_interpolation(name, self.root)
                    if resolved is None:
                        ctx.add(
                            "config.unresolved_target",
                            Severity.HIGH,
                            f"{where}: {name!r} is an interpolation the scan cannot resolve "
                            "(a resolver or relative path): what it imports is chosen at load "
                            "time",
                            target=name,
                            category="unlisted",
                        )
                        continue
                    where, name = f"{where} {name!r}", resolved
                judge(name, ctx, where, prefix="config", called=True)
        for key, value in node.items():
            if isinstance(key, str) and key not in HYDRA_KEYS and key != CLASS_PATH:
                check_argument(key, value, ctx, self.where, prefix="config", in_call=in_call)
            elif key == "_args_" and isinstance(value, list):
                for item in value:
                    check_argument(key, item, ctx, self.where, prefix="config", in_call=in_call)
            self.walk(value, depth + 1, in_call)
