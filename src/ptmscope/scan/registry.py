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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from ptmscope.scan.bytecode import names_in
from ptmscope.scan.containers.base import HEAD_BYTES, Confidence, Container
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


def _ordered() -> Sequence[Container]:
    from ptmscope.scan.containers import (
        archives,
        compressed,
        gguf,
        json_file,
        keras,
        numpy_files,
        onnx,
        pickle_file,
        safetensors,
        savedmodel,
        text,
        tflite,
        torch_legacy,
    )

    return (
        archives.ZIP,
        archives.SEVEN_ZIP,
        numpy_files.NPY,
        keras.HDF5,
        gguf.GGUF,
        torch_legacy.PYTORCH_LEGACY,  # before pickle: it starts with PROTO 2 too
        safetensors.SAFETENSORS,
        archives.TAR,
        *compressed.CODECS,
        tflite.TFLITE,
        pickle_file.PICKLE,
        text.TEMPLATE,  # before JSON: "{%" and "{{" open templates, never JSON
        json_file.JSON,
        pickle_file.PICKLE_CANDIDATE,  # protocols 0-1: no magic, confirmed by parsing
        onnx.ONNX,
        savedmodel.SAVEDMODEL,
        keras.KERAS_METADATA,
        text.TEXT,  # chat templates and YAML configs, told by their content
        archives.PREFIXED_ZIP,  # last: any bytes may have a zip appended
    )


@cache
def default_registry() -> Registry:
    """ptmscope's readers in their order."""
    return Registry(tuple(_ordered()))
