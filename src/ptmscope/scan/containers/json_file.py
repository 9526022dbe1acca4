"""JSON files: chat templates, Keras configs, instantiation configs and encoded payloads.

Most JSON in a model repository is vocabulary and configuration with nothing to
run; only the keys that lead to code are acted on: a Jinja chat template
(``tokenizer_config.json``, ``processor_config.json``, ``chat_template.json``, as a
string, a list or a mapping of named templates), a Keras ``class_name`` +
``config``, a Hydra ``_target_`` or Lightning ``class_path``, and base64 strings
that decode to a pickle or container. JSON holding none of them is not parsed.
"""

from __future__ import annotations

import json
import re

from ptmscope.scan.blobs import BlobScanner, may_hold_payload
from ptmscope.scan.configrefs import may_instantiate
from ptmscope.scan.containers import keras
from ptmscope.scan.containers.base import Confidence, Container
from ptmscope.scan.context import ScanContext, Span
from ptmscope.vocab import FileFormat

MAX_JSON = 64 << 20
"""Larger JSON is not parsed; one holding a template or config key is an error."""
JSON_OPENINGS = (b"{", b"[")
_ASCII_WHITESPACE = b" \t\n\r\x0b\x0c"
"""What ``bytes.lstrip()`` strips before the opening."""


def parse_json(data: bytes) -> object:
    """The parsed value, or ``None`` when the bytes are not JSON."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


_JSON_KEYS = (b"chat_template", b"class_name", b"_target_", b"class_path")
"""The keys :func:`scan_json` acts on. A JSON key is spelled out in the bytes or escaped as
``\\uXXXX`` (no other escape makes a letter), so JSON holding none cannot hold them."""

_ESCAPED_ASCII = re.compile(rb"\\u00[2-7][0-9a-fA-F]")
"""Printable ASCII written as ``\\u00XX``: no JSON writer does that, a key or base64 hidden
from the byte checks above does (such JSON is walked; vocabularies with escaped control
characters are not)."""


_YAML_TAGS = (b"!!", b"!<", b"%TAG")
"""YAML tags in a file that opens like JSON: it may be flow-style YAML, parsed to look."""


def scan_json(span: Span, ctx: ScanContext) -> FileFormat:
    """Check chat templates, Keras and instantiation configs, and encoded payloads; other
    JSON is passed over unparsed."""
    if span.size > MAX_JSON:
        if any(span.buf.find(key, span.start, span.end) >= 0 for key in (*_JSON_KEYS, b"\\u")):
            ctx.error(f"JSON over {MAX_JSON:,} bytes with a template or config key: not parsed")
        _scan_unparsed(span, ctx)
        return FileFormat.JSON
    raw = span.read(0, span.size)
    blobs = may_hold_payload(raw)
    if (
        b"\\u" not in raw
        and not any(tag in raw for tag in _YAML_TAGS)
        and not blobs
        and not any(key in raw for key in _JSON_KEYS)
    ):
        return FileFormat.JSON  # vocabularies and tokenizers: nothing to check, no parse needed
    data = parse_json(raw)
    if data is None:
        # flow-style YAML (unquoted keys, trailing commas, tags) opens like JSON: a YAML
        # loader reads it, so it is read as YAML before it is passed over
        text = raw.decode("utf-8", "replace")
        if may_instantiate(text):
            from ptmscope.scan.containers import hydra

            if hydra.scan_yaml_config(text, ctx, "YAML config"):
                return FileFormat.YAML
        return FileFormat.UNKNOWN
    if isinstance(data, dict):
        from ptmscope.scan.templates import report_template, template_entries

        for name, template in template_entries(data.get("chat_template")):
            report_template(template, ctx, f"chat_template[{name}]")
        if "class_name" in data and "config" in data:
            keras.check_config(data, ctx, "Keras config")
            return FileFormat.KERAS_JSON
    if blobs or b"_target_" in raw or b"class_path" in raw or _ESCAPED_ASCII.search(raw):
        from ptmscope.scan.containers import hydra  # loaded when a config calls for it

        hydra.check_instantiation(data, ctx, "JSON config")  # also decodes encoded strings
    return FileFormat.JSON


_WINDOW = 16 << 20
_OVERLAP = 1 << 20
"""Windows of a JSON too large to parse overlap this much: a payload that starts near a
window's end is read whole from the next window (a longer one is larger than any budget)."""


def _scan_unparsed(span: Span, ctx: ScanContext) -> None:
    """Encoded payloads of a JSON too large to parse, found in its bytes a window at a time."""
    scanner = BlobScanner(ctx)
    seen_to = 0
    for base in range(0, span.size, _WINDOW):
        data = span.read(base, _WINDOW + _OVERLAP)
        seen_to = scanner.runs(data, "JSON too large to parse", base=base, after=seen_to)


class JsonContainer(Container):
    """Text starting with ``{`` or ``[`` (after whitespace) is read as JSON, and only as JSON."""

    kind = FileFormat.JSON

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.SURE if head.lstrip()[:1] in JSON_OPENINGS else None

    def first_bytes(self) -> frozenset[int] | None:
        return frozenset(b"".join(JSON_OPENINGS) + _ASCII_WHITESPACE)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_json(span, hooks)


JSON = JsonContainer()
