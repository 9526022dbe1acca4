"""TensorFlow Lite flatbuffers: recognised (so they are never "unknown"), not yet read."""

from __future__ import annotations

from ptmscope.scan.containers.base import Confidence, Container, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, Span
from ptmscope.vocab import FileFormat

TFLITE_MAGIC = b"TFL3"
TFLITE_MAGIC_OFFSET = 4
"""The flatbuffer's file identifier follows its 4-byte root offset."""


class TfliteContainer(Container):
    """TFLite models run no Python on load; custom ops are not checked yet."""

    kind = FileFormat.TFLITE

    def match(self, head: bytes, size: int) -> Confidence | None:
        end = TFLITE_MAGIC_OFFSET + len(TFLITE_MAGIC)
        return Confidence.SURE if head[TFLITE_MAGIC_OFFSET:end] == TFLITE_MAGIC else None

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return self.kind

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(self.kind)


TFLITE = TfliteContainer()
