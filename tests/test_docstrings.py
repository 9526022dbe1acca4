"""Every public class, and every long public function, says why it exists.

Docstrings are where a reader learns why a class or a long function is shaped the way it is;
short functions explain themselves by their name and body. Private names (a leading ``_``),
private modules and functions nested in functions are exempt; dataclass fields need none.
The test collects every offender in the tree before failing, so one run lists them all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "ptmscope"

LONG_FUNCTION_LINES = 20
"""A public function or method longer than this (def line to last line) needs a docstring."""

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _private(name: str) -> bool:
    return name.startswith("_")


def _private_module(path: Path) -> bool:
    return any(_private(part) and part not in ("__init__.py", "__main__.py") for part in path.parts)


def _length(node: ast.AST) -> int:
    end = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
    return int(end) - int(node.lineno) + 1  # type: ignore[attr-defined]


def _offenders_in(body: list[ast.stmt], scope: str) -> Iterator[tuple[int, str, str]]:
    """``(line, qualified name, what is missing)`` for the public definitions in ``body``."""
    for node in body:
        if isinstance(node, ast.ClassDef) and not _private(node.name):
            name = f"{scope}{node.name}"
            if ast.get_docstring(node) is None:
                yield node.lineno, name, "class without a docstring"
            yield from _offenders_in(node.body, f"{name}.")
        elif isinstance(node, FunctionNode) and not _private(node.name):
            length = _length(node)
            if length > LONG_FUNCTION_LINES and ast.get_docstring(node) is None:
                yield (
                    node.lineno,
                    f"{scope}{node.name}",
                    f"{length}-line function without a docstring",
                )


def offenders(root: Path = SRC) -> list[str]:
    """Every public class and long public function under ``root`` that has no docstring."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parents[1])
        if _private_module(path.relative_to(root)):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name, problem in _offenders_in(tree.body, ""):
            found.append(f"{relative}:{line}: {name}: {problem}")
    return found


def test_public_classes_and_long_functions_have_docstrings() -> None:
    missing = offenders()
    assert not missing, f"{len(missing)} definitions need a docstring:\n" + "\n".join(missing)


def test_the_checker_finds_what_it_should(tmp_path: Path) -> None:
    """Guards the test above against passing because it checks nothing."""
    package = tmp_path / "pkg"
    package.mkdir()
    long_body = "".join(f"    x{i} = {i}\n" for i in range(LONG_FUNCTION_LINES))
    (package / "mod.py").write_text(
        "class Public:\n    def method(self):\n" + long_body.replace("    ", "        ")
        + "class _Private:\n    pass\n"
        + "def short():\n    return 1\n"
        + "def long():\n" + long_body
        + "def documented():\n    '''Why.'''\n" + long_body
        + "def _long_private():\n" + long_body
    )  # fmt: skip
    (package / "_private.py").write_text("class Hidden:\n    pass\n")
    names = {line.split(": ")[1] for line in offenders(package)}
    assert names == {"Public", "Public.method", "long"}
    assert len(list(SRC.rglob("*.py"))) > 50  # the real tree is where we think it is
