"""The direction of flow, as a test: source → package → probes → findings → scores → formats.

Every ``import`` in ``src/ptmscope`` (at module level or inside a function) is read
with ``ast`` and checked against the layer it sits in. A module may import from its
own layer and the layers listed as below it; anything else is an upward import and
fails here with the file, line and module named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

BASE = (
    "ptmscope._version",
    "ptmscope.errors",
    "ptmscope.names",
    "ptmscope.severity",
    "ptmscope.vocab",
    "ptmscope.licenses",
)
"""Standard-library-only helpers every layer may use."""

RESULTS_BELOW_PACKAGE = (
    "ptmscope.results.scan",
    "ptmscope.results.verify",
    "ptmscope.results.policy",
)
PACKAGE = ("ptmscope.package",)
RESULTS = ("ptmscope.results",)
ENGINES = (
    "ptmscope.card",
    "ptmscope.probes",
    "ptmscope.scoring",
    "ptmscope.scan",
    "ptmscope.weights",
    "ptmscope.sources",
    "ptmscope.collector",
    "ptmscope.retry",
    "ptmscope.baseline",
    "ptmscope.verify",
    "ptmscope.study",
    "ptmscope.extras",
    "ptmscope.demo",
    "ptmscope.policy",
    "ptmscope.export",
    "ptmscope.signing",
    "ptmscope.selection",
)
ORCHESTRATION = ("ptmscope.audit", "ptmscope.registry", "ptmscope.api")
FORMATS = ("ptmscope.formats",)
FRONT = ("ptmscope.cli", "ptmscope._startup", "ptmscope.__main__", "ptmscope")

RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (BASE, BASE),
    (RESULTS_BELOW_PACKAGE, BASE + RESULTS_BELOW_PACKAGE),
    (PACKAGE, BASE + RESULTS_BELOW_PACKAGE),
    (RESULTS, BASE + PACKAGE + RESULTS),
    (FORMATS, BASE + PACKAGE + RESULTS + FORMATS),
    (ENGINES, BASE + PACKAGE + RESULTS + ENGINES),
    (ORCHESTRATION, BASE + PACKAGE + RESULTS + ENGINES + ORCHESTRATION),
    (FRONT, BASE + PACKAGE + RESULTS + ENGINES + ORCHESTRATION + FORMATS + FRONT),
)
"""(modules, what they may import). The first rule whose prefix matches a module applies;
``ptmscope`` alone (the package ``__init__``) is the public front."""

PROBES_MAY_NOT = (
    "ptmscope.sources",
    "ptmscope.collector",
    "ptmscope.retry",
    "ptmscope.verify",
    "ptmscope.study",
    "ptmscope.scan",
    "ptmscope.card.parse",
)
"""Probes read the package snapshot only: never a source, a parser or an engine."""


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _rule(module: str) -> tuple[str, ...]:
    for owners, allowed in RULES:
        exact = [p for p in owners if p == "ptmscope"]
        if module in exact or _matches(module, tuple(p for p in owners if p != "ptmscope")):
            return allowed
    raise AssertionError(f"{module} is in no layer: add it to tests/test_layers.py")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # ``from ptmscope.x import y`` may name a submodule ``y``: check both.
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "ptmscope"]


def _exists(name: str) -> bool:
    relative = Path(*name.split("."))
    return (SRC / relative).with_suffix(".py").is_file() or (SRC / relative).is_dir()


MODULES = sorted(SRC.joinpath("ptmscope").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_import(path: Path) -> None:
    module = _module_name(path)
    allowed = _rule(module)
    upward = []
    for line, name in _imports(path, module):
        if not _exists(name) and "." in name:
            name = name.rsplit(".", 1)[0]  # ``from m import function``: the module is m
        if name == "ptmscope" and module != "ptmscope":
            upward.append(f"line {line}: ptmscope (the public front)")
        elif name != "ptmscope" and not _matches(name, allowed):
            upward.append(f"line {line}: {name}")
    assert not upward, f"{module} imports upward: " + "; ".join(dict.fromkeys(upward))


@pytest.mark.parametrize(
    "path",
    sorted(SRC.joinpath("ptmscope", "probes").glob("*.py")),
    ids=lambda p: p.name,
)
def test_probes_read_only_the_package(path: Path) -> None:
    module = _module_name(path)
    bad = [
        f"line {line}: {name}"
        for line, name in _imports(path, module)
        if _exists(name) and _matches(name, PROBES_MAY_NOT)
    ]
    assert not bad, f"{module} reaches past the package: " + "; ".join(bad)


def test_the_layers_catch_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a result module importing an engine is reported."""
    fake = SRC / "ptmscope" / "results" / "audit.py"
    module = _module_name(fake)
    imports = _imports(fake, module)
    assert imports, "results.audit imports the package types"
    assert not _matches("ptmscope.scan.scanner", _rule(module))
    assert not _matches("ptmscope.audit", _rule("ptmscope.formats.audit.json"))
    assert _matches("ptmscope.results.audit", _rule("ptmscope.formats.audit.json"))
    assert not _matches("ptmscope.card.claims", _rule("ptmscope.package"))
