"""The ordered registry of container readers that the scanner and the audit's weights share.

Order is the rule that resolves overlaps: readers with magic bytes come first
(``pytorch-legacy`` before ``pickle``: both start with ``PROTO 2``), then JSON,
then the readers that can only confirm by parsing (a pickle without ``PROTO``,
protobuf, a zip behind other bytes). The first ``SURE`` match takes the file; a
``CANDIDATE`` that does not confirm passes it on to the next match.

Adding a reader: a module with a :class:`~ptmscope.scan.containers.base.Container`,
one line in :func:`default_registry` (or :meth:`Registry.with_container` for a
registry of your own), and a test.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from ptmscope.scan.bytecode import names_in
from ptmscope.scan.containers.base import (
    HEAD_BYTES,
    Confidence,
    Container,
    WeightInfo,
    WeightProbe,
)
from ptmscope.scan.context import ScanContext, Span
from ptmscope.severity import Severity
from ptmscope.vocab import FileFormat


@dataclass(frozen=True)
class Registry:
    """Container readers in the order their matches are tried."""

    containers: tuple[Container, ...]

    def with_container(
        self,
        container: Container,
        *,
        before: FileFormat | None = None,
        after: FileFormat | None = None,
    ) -> Registry:
        """A copy with ``container`` placed before or after the first reader of a kind
        (at the end when neither is given)."""
        items = list(self.containers)
        anchor = before if before is not None else after
        if anchor is None:
            return Registry((*items, container))
        index = next((i for i, c in enumerate(items) if c.kind == anchor), None)
        if index is None:
            raise KeyError(f"no reader of kind {anchor} in the registry")
        items.insert(index if before is not None else index + 1, container)
        return Registry(tuple(items))

    @cached_property
    def _by_first_byte(self) -> tuple[tuple[Container, ...], ...]:
        """For each possible first byte, the readers (in order) that may accept it."""
        wanted = [(c, c.first_bytes()) for c in self.containers]
        return tuple(
            tuple(c for c, first in wanted if first is None or byte in first) for byte in range(256)
        )

    def matches(self, head: bytes, size: int) -> Iterator[tuple[Container, Confidence]]:
        """Readers whose content match accepts these bytes, in order, up to the first sure one."""
        for container in self._by_first_byte[head[0]] if head else self.containers:
            confidence = container.match(head, size)
            if confidence is None:
                continue
            yield container, confidence
            if confidence is Confidence.SURE:
                return

    def identify(self, head: bytes, size: int) -> Container | None:
        """The first reader that matches (sure or candidate), from the head alone."""
        return next((c for c, _ in self.matches(head, size)), None)

    def scan(self, span: Span, ctx: ScanContext) -> str:
        """Scan ``span`` with the first reader that takes it; the format it was read as."""
        ctx.check_time()
        head = span.read(0, HEAD_BYTES)
        if not head:
            return FileFormat.EMPTY
        for container, confidence in self.matches(head, span.size):
            found = container.scan(span, ctx)
            if found is not None:
                return found
            if confidence is Confidence.SURE:
                break
        return FileFormat.UNKNOWN

    def load_payload(self, payload: Span | bytes, kind: str, offset: int, ctx: ScanContext) -> None:
        """Scan what a nested loader in a pickle would read: marshalled code is reported
        (it runs), anything else is scanned by content one level deeper."""
        child = ctx.member(f"payload loaded at offset {offset}")
        if child.too_deep():
            return
        span = payload if isinstance(payload, Span) else Span(payload)
        if kind == "marshal":
            names = names_in(bytes(span.view()))
            child.add(
                "pickle.marshal_code",
                Severity.CRITICAL,
                "marshalled Python code is loaded and can be run"
                + (f" (names used: {', '.join(names)})" if names else ""),
                category="code-execution",
            )
            return
        self.scan(span, child)


class LazyContainer(Container):
    """A reader whose module is imported the first time a file may be its format.

    A one-file scan should not pay for every format's code at start-up (``ptmscope scan``
    runs once per file in pre-commit hooks): the registry knows each lazy reader's kind, the
    first bytes it accepts and a necessary condition on the head (its magic), and imports
    the module only when a head passes them. ``tests/scan/test_registry.py`` checks that the
    table agrees with the readers it stands for.
    """

    def __init__(
        self,
        module: str,
        attribute: str,
        kind: FileFormat,
        first: frozenset[int] | None,
        quick: Callable[[bytes], bool] | None = None,
        gate: Callable[[bytes], bool] | None = None,
    ) -> None:
        self.module = module
        self.attribute = attribute
        self.kind = kind
        self.first = first
        self.quick = quick
        self.gate = gate
        """For content no longer than the head: False when the reader's scan would find
        nothing there (a small member need not load a reader that cannot take it)."""

    @cached_property
    def real(self) -> Container:
        """The reader itself (importing its module)."""
        found: Container = getattr(
            importlib.import_module(f"ptmscope.scan.containers.{self.module}"), self.attribute
        )
        return found

    def first_bytes(self) -> frozenset[int] | None:
        return self.first

    def match(self, head: bytes, size: int) -> Confidence | None:
        if self.quick is not None and not self.quick(head):
            return None
        return self.real.match(head, size)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        if (
            self.gate is not None
            and span.size <= HEAD_BYTES
            and not self.gate(span.read(0, HEAD_BYTES))
        ):
            return None  # the whole content is in hand and cannot be this format
        return self.real.scan(span, hooks)

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return self.real.weight_info(probe)

    def __repr__(self) -> str:
        return f"LazyContainer({self.module}.{self.attribute})"


_JSON_FIRST = frozenset(b"{[ \t\n\r\x0b\x0c")


def _starts(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(magic)


def _at(offset: int, magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[offset : offset + len(magic)] == magic


def _names_keras_config(data: bytes) -> bool:
    """An embedded Keras config opens with ``{"module":`` or ``{"class_name":``."""
    return b'"module"' in data or b'"class_name"' in data


def _safetensors_head(head: bytes) -> bool:
    return head[8:9] == b"{"  # after the 8-byte header length, a JSON object opens


def _ordered() -> Sequence[Container]:
    from ptmscope.scan.containers import compressed, pickle_file, text, tflite, torch_legacy
    from ptmscope.scan.containers.protobuf import PROTOBUF_FIRST_BYTES, looks_like_protobuf

    zip_magic = (b"PK\x03\x04", b"PK\x05\x06")
    return (
        LazyContainer("archives", "ZIP", FileFormat.ZIP, frozenset(b"P"), _starts(*zip_magic)),
        LazyContainer(
            "archives",
            "SEVEN_ZIP",
            FileFormat.SEVEN_ZIP,
            frozenset(b"7"),
            _starts(b"7z\xbc\xaf\x27\x1c"),
        ),
        LazyContainer(
            "numpy_files", "NPY", FileFormat.NPY, frozenset(b"\x93"), _starts(b"\x93NUMPY")
        ),
        LazyContainer(
            "keras", "HDF5", FileFormat.HDF5, frozenset(b"\x89"), _starts(b"\x89HDF\r\n\x1a\n")
        ),
        LazyContainer("gguf", "GGUF", FileFormat.GGUF, frozenset(b"G"), _starts(b"GGUF")),
        torch_legacy.PYTORCH_LEGACY,  # before pickle: it starts with PROTO 2 too
        LazyContainer(
            "safetensors", "SAFETENSORS", FileFormat.SAFETENSORS, None, _safetensors_head
        ),
        LazyContainer("archives", "TAR", FileFormat.TAR, None, _at(257, b"ustar")),
        *compressed.CODECS,
        tflite.TFLITE,
        pickle_file.PICKLE,
        text.TEMPLATE,  # before JSON: "{%" and "{{" open templates, never JSON
        LazyContainer("json_file", "JSON", FileFormat.JSON, _JSON_FIRST),
        pickle_file.PICKLE_CANDIDATE,  # protocols 0-1: no magic, confirmed by parsing
        LazyContainer("onnx", "ONNX", FileFormat.ONNX, PROTOBUF_FIRST_BYTES, looks_like_protobuf),
        LazyContainer(
            "savedmodel",
            "SAVEDMODEL",
            FileFormat.TENSORFLOW_SAVEDMODEL,
            PROTOBUF_FIRST_BYTES,
            looks_like_protobuf,
        ),
        LazyContainer(
            "keras",
            "KERAS_METADATA",
            FileFormat.KERAS_METADATA,
            PROTOBUF_FIRST_BYTES,
            looks_like_protobuf,
            _names_keras_config,
        ),
        text.TEXT,  # chat templates and YAML configs, told by their content
        LazyContainer("archives", "PREFIXED_ZIP", FileFormat.ZIP, None),  # any bytes + a zip
    )


@cache
def default_registry() -> Registry:
    """ptmscope's readers in their order."""
    return Registry(tuple(_ordered()))
