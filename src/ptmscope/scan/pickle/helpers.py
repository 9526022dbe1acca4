"""Pure evaluation of the helper callables attackers use to build names and payloads.

``str.lower`` on a memoised string, ``getattr`` on a module, ``base64.b64decode``
of a literal: each is evaluated on known values so the callable a name finally
reaches is the one judged. Nothing here imports or runs what a pickle names;
name resolution goes back to the interpreter through :class:`Resolver`, which
records it in the trace.
"""

from __future__ import annotations

import base64
import codecs
from collections.abc import Callable
from typing import Protocol

from ptmscope.scan.context import Buffer, Span
from ptmscope.scan.pickle.values import Blob, Call, Ref, target_of
from ptmscope.scan.policy import PickleRules

STRING_METHODS: dict[str, Callable[..., object]] = {
    f"builtins.str.{name}": getattr(str, name)
    for name in (
        "lower", "upper", "casefold", "strip", "lstrip", "rstrip", "title", "capitalize",
        "swapcase", "replace", "join", "__add__", "removeprefix", "removesuffix",
    )
}  # fmt: skip
"""Pure, bounded string functions. Never ``format`` (it reads attributes of its
arguments) nor ``__mul__`` (its size is the attacker's to choose)."""
SAFE_CODECS = frozenset(
    {"utf-8", "utf8", "latin-1", "latin1", "ascii", "rot13", "rot_13", "hex", "base64"}
)
"""Codecs that turn bytes into text without side effects or unbounded growth."""
MAX_STRING_ARGS = 3
"""Extra arguments a string method may take (``replace(old, new, count)``)."""
MAX_INT_ARG = 1 << 16
"""Largest integer argument passed to a string method (a count, a width)."""
MAX_UNWRAP = 8
"""Wrappers (``io.BytesIO(bytes(...))``) followed to reach a payload's bytes."""

RESOLVERS_PAIR = frozenset({"numpy.core._ufunc_reconstruct", "numpy._core._ufunc_reconstruct"})
RESOLVERS_ATTR = frozenset({"builtins.getattr", "inspect.getattr_static"})
RESOLVERS_MODULE = frozenset(
    {"builtins.__import__", "importlib.import_module", "importlib.__import__"}
)
RESOLVERS_NAME = frozenset({"pkgutil.resolve_name", "pydoc.locate"})
MODULE_LOOKUP = frozenset({"sys.modules.get", "sys.modules.__getitem__"})
GETITEM = frozenset({"operator.getitem", "_operator.getitem"})
ATTRGETTER = frozenset({"operator.attrgetter", "_operator.attrgetter"})
METHODCALLER = frozenset({"operator.methodcaller", "_operator.methodcaller"})
PARTIAL = frozenset({"functools.partial"})
BYTES_DECODE = frozenset({"builtins.bytes.decode", "codecs.decode", "_codecs.decode"})
TEXT_DECODE = frozenset({"codecs.decode", "_codecs.decode"})
B64DECODE = frozenset({"base64.b64decode", "base64.standard_b64decode"})


class Resolver(Protocol):
    """The interpreter's side of name resolution: each resolved name goes into its trace."""

    def resolve(self, module: str, name: str, offset: int, via: str | None = None) -> Ref: ...

    def derive(self, base: object, attr: str, offset: int, via: str) -> Ref | None: ...


def is_str_list(value: object) -> bool:
    """A list or tuple of strings only (``str.join``'s argument)."""
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _string_method(
    target: str, first: str, rest: list[object] | tuple[object, ...], small: int
) -> str | None:
    if len(rest) > MAX_STRING_ARGS or not all(
        isinstance(a, str) or is_str_list(a) or (isinstance(a, int) and abs(a) < MAX_INT_ARG)
        for a in rest
    ):
        return None
    try:
        result = STRING_METHODS[target](first, *rest)
    except Exception:  # any failure just leaves the value unknown
        return None
    return result if isinstance(result, str) and len(result) <= small else None


def evaluate(
    target: str,
    argv: tuple[object, ...] | list[object],
    offset: int,
    names: Resolver,
    small: int,
) -> object:
    """The value of calling ``target`` on known arguments, or ``None`` when it is unknown.

    Resolvers (``getattr``, ``importlib.import_module``, ``pkgutil.resolve_name``…)
    return the :class:`Ref` they reach, recorded through ``names``; string
    functions return strings no longer than ``small``.
    """
    first = argv[0] if argv else None
    if target in STRING_METHODS and isinstance(first, str):
        return _string_method(target, first, argv[1:], small)
    if (
        target in RESOLVERS_PAIR
        and len(argv) >= 2
        and isinstance(first, str)
        and isinstance(argv[1], str)
    ):
        return names.resolve(first, argv[1], offset, target)
    if target in RESOLVERS_MODULE and isinstance(first, str):
        module, _, name = first.partition(".")
        return names.resolve(
            module, name if target != "builtins.__import__" else "", offset, target
        )
    if target in RESOLVERS_ATTR and len(argv) >= 2 and isinstance(argv[1], str):
        return names.derive(first, argv[1], offset, target)
    if target in RESOLVERS_NAME and isinstance(first, str):
        module, _, name = first.replace(":", ".").partition(".")
        return names.resolve(module, name, offset, target)
    if target in MODULE_LOOKUP and isinstance(first, str):
        module, _, name = first.partition(".")
        return names.resolve(module, name, offset, target)
    if target in GETITEM and len(argv) >= 2 and target_of(first) == "sys.modules":
        key = argv[1]
        if isinstance(key, str):
            module, _, name = key.partition(".")
            return names.resolve(module, name, offset, target)
    if target in BYTES_DECODE and isinstance(first, bytes):
        return _decode(first, argv[1] if len(argv) > 1 and isinstance(argv[1], str) else "utf-8")
    if target in TEXT_DECODE and isinstance(first, str):
        encoding = argv[1] if len(argv) > 1 and isinstance(argv[1], str) else ""
        if encoding.replace("_", "").lower() in {"rot13", "rot-13"}:
            return codecs.decode(first, "rot13")
    if target in B64DECODE and isinstance(first, str | bytes):
        try:
            return base64.b64decode(first)
        except ValueError:
            return None
    return None


def _decode(data: bytes, encoding: str) -> str | None:
    if encoding.lower() not in SAFE_CODECS:
        return None
    try:
        text = codecs.decode(data, encoding)
    except Exception:
        return None
    return text if isinstance(text, str) else None


Inflate = Callable[[Span | bytes, str, str], Span | None]
"""Inflate a payload with a codec (data, codec, the decompressing call's name) under the
file's budget; ``None`` when it could not be."""


def payload(
    value: object,
    buf: Buffer,
    rules: PickleRules,
    inflate: Inflate,
) -> Span | bytes | None:
    """Bytes a nested loader would read, when the file holds them literally.

    Follows the policy's byte wrappers and decompressors (``io.BytesIO(zlib.decompress(b"…"))``)
    down to a literal; long literals stay in the file as spans of ``buf``.
    """
    for _ in range(MAX_UNWRAP):
        if isinstance(value, bytes):
            return value
        if isinstance(value, Blob):
            if not value.text:
                return Span(buf, value.start, value.start + value.length)
            raw = bytes(buf[value.start : value.start + value.length])
            return raw.decode("utf-8", "surrogatepass").encode("latin-1", "replace")
        if isinstance(value, str):
            return value.encode("latin-1", "replace")
        if not isinstance(value, Call):
            return None
        func = target_of(value.func) or ""
        args = value.args if isinstance(value.args, tuple) else ()
        if not args:
            return None
        codec = rules.decompressors.get(func)
        if codec is not None:
            inner = payload(args[0], buf, rules, inflate)
            return None if inner is None else inflate(inner, codec, func)
        if func == "base64.b64decode":
            inner = payload(args[0], buf, rules, inflate)
            if inner is None:
                return None
            try:
                return base64.b64decode(bytes(inner.view()) if isinstance(inner, Span) else inner)
            except ValueError:
                return None
        if func not in rules.byte_wrappers:
            return None
        value = args[0]
    return None


def preview(args: object) -> str:
    """A short, safe rendering of a call's first arguments for a finding's message."""
    if not isinstance(args, tuple | list):
        return "…"
    parts = []
    for arg in list(args)[:3]:
        if isinstance(arg, str | bytes | int | float | bool) or arg is None:
            text = repr(arg)
        elif isinstance(arg, Blob):
            text = f"<{arg.length:,} bytes>"
        elif isinstance(arg, Ref):
            text = arg.target
        elif isinstance(arg, Call):
            text = f"{target_of(arg.func) or '…'}(…)"
        else:
            text = "…"
        parts.append(text if len(text) <= 80 else text[:77] + "…")
    if len(args) > 3:
        parts.append("…")
    return ", ".join(parts)
