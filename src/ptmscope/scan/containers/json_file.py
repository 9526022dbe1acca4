"""JSON files: chat templates (``tokenizer_config.json``) and Keras configs.

Most JSON in a model repository is vocabulary and configuration with nothing to
run; only the keys that lead to code (a Jinja chat template, a Keras
``class_name`` + ``config``) are acted on, and JSON holding neither is not parsed.
"""

from __future__ import annotations

import json

from ptmscope.scan.containers import keras
from ptmscope.scan.containers.base import Confidence, Container
from ptmscope.scan.context import ScanContext, Span
from ptmscope.scan.templates import check_template
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


_JSON_KEYS = (b"chat_template", b"class_name")
"""The keys :func:`scan_json` acts on. A JSON key is spelled out in the bytes or escaped as
``\\uXXXX`` (no other escape makes a letter), so JSON holding neither cannot hold them."""


def scan_json(span: Span, ctx: ScanContext) -> FileFormat:
    """Check chat templates and Keras configs; other JSON is passed over unparsed."""
    if span.size > MAX_JSON:
        if any(span.buf.find(key, span.start, span.end) >= 0 for key in (*_JSON_KEYS, b"\\u")):
            ctx.error(f"JSON over {MAX_JSON:,} bytes with a template or config key: not parsed")
        return FileFormat.JSON
    raw = span.read(0, span.size)
    if b"\\u" not in raw and not any(key in raw for key in _JSON_KEYS):
        return FileFormat.JSON  # vocabularies and tokenizers: nothing to check, no parse needed
    data = parse_json(raw)
    if not isinstance(data, dict):
        return FileFormat.JSON if data is not None else FileFormat.UNKNOWN
    templates = data.get("chat_template")
    if isinstance(templates, str):
        templates = [{"name": "default", "template": templates}]
    if isinstance(templates, list):
        for entry in templates:
            ctx.check_time()
            if isinstance(entry, dict) and isinstance(entry.get("template"), str):
                issues, error = check_template(entry["template"])
                key = f"chat_template[{entry.get('name', '?')}]"
                if error:
                    ctx.error(f"{key}: {error}")
                for issue in issues:
                    ctx.add(
                        "template.injection",
                        issue.severity,
                        f"{key}: {issue.message}",
                        target=key,
                        category="code-execution",
                    )
    if "class_name" in data and "config" in data:
        keras.check_config(data, ctx, "Keras config")
        return FileFormat.KERAS_JSON
    return FileFormat.JSON


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
