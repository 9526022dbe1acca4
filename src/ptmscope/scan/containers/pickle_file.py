"""Raw pickle files (``.pkl``, ``.bin``, joblib dumps), with or without a ``PROTO`` opcode.

Protocols 2–5 start with ``PROTO``: that is magic enough. Protocols 0–1 start
with any opcode, so such a file is only a candidate until it parses as a
pickle (or names something the policy knows); random bytes are passed on to
the next reader without a word.
"""

from __future__ import annotations

from ptmscope.scan.containers.base import Confidence, Container, WeightInfo, WeightProbe
from ptmscope.scan.context import ScanContext, Span
from ptmscope.scan.pickle.values import OPCODE_BYTES
from ptmscope.scan.pickles import scan_pickle
from ptmscope.vocab import FileFormat

PROTO = 0x80
"""The ``PROTO`` opcode; its operand is the protocol version."""
MAGIC_PROTOCOLS = range(2, 6)
"""Protocols whose ``PROTO`` opcode is taken as magic (0–1 have none; 2 is torch's too)."""


class PickleContainer(Container):
    """A pickle starting with ``PROTO 2..5``."""

    kind = FileFormat.PICKLE

    def match(self, head: bytes, size: int) -> Confidence | None:
        if len(head) > 1 and head[0] == PROTO and head[1] in MAGIC_PROTOCOLS:
            return Confidence.SURE
        return None

    def first_bytes(self) -> frozenset[int] | None:
        return frozenset({PROTO})

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        result = scan_pickle(span, hooks, nested=hooks.load_payload)
        return FileFormat.JOBLIB if result.joblib else FileFormat.PICKLE

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        return WeightInfo(self.kind, pickle_based=True)


class PickleCandidate(Container):
    """Bytes that start with an opcode: a pickle only if they parse as one."""

    kind = FileFormat.PICKLE

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.CANDIDATE if head and head[0] in OPCODE_BYTES else None

    def first_bytes(self) -> frozenset[int] | None:
        return frozenset(OPCODE_BYTES)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        result = scan_pickle(span, hooks, nested=hooks.load_payload, sniffing=True)
        if not result.is_pickle:
            return None
        return FileFormat.JOBLIB if result.joblib else FileFormat.PICKLE

    def weight_info(self, probe: WeightProbe) -> WeightInfo | None:
        """Only a pickle's name confirms a candidate here (the audit parses nothing)."""
        return WeightInfo(self.kind, pickle_based=True) if probe.pickle_named else None


PICKLE = PickleContainer()
PICKLE_CANDIDATE = PickleCandidate()
