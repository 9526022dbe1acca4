"""Text files that make a loader act: chat templates (``.jinja``) and YAML instantiation configs.

transformers reads a standalone ``chat_template.jinja`` (and
``additional_chat_templates/*.jinja``) and renders it; Hydra, NeMo and Lightning
instantiate what a YAML config names. Both are plain text, told apart from other
text by content: a Jinja tag at the start, or, anywhere in the text, the keys an
instantiation config needs or a template that parses and either looks like a chat
template or reaches past the sandbox. Other text (READMEs, vocabularies) is
passed on to the readers after this one.
"""

from __future__ import annotations

from typing import Any

from ptmscope.scan.configrefs import may_instantiate
from ptmscope.scan.containers.base import Confidence, Container
from ptmscope.scan.context import ScanContext, Span
from ptmscope.vocab import FileFormat

MAX_TEXT = 4 << 20
"""Larger files are not read as text configs or templates (a YAML config is under 1 MiB)."""
CHAT_TEMPLATE_FORMAT = str(FileFormat.CHAT_TEMPLATE)
"""Reported format of a standalone chat template."""
YAML_CONFIG_FORMAT = str(FileFormat.YAML)
"""Reported format of a YAML instantiation config."""
JINJA_OPENINGS = (b"{%", b"{{", b"{#")
"""A Jinja tag: no JSON document starts this way."""
_WHITESPACE = b" \t\n\r\x0b\x0c"
_CHAT_WORDS = ("messages", "add_generation_prompt", "bos_token", "eos_token")
"""Names every chat template reads; other text with ``{{`` is not taken for one."""


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
"""YAML loaders read UTF-16 text with a byte-order mark as readily as UTF-8."""


def _text(head: bytes) -> bool:
    if head.startswith(_UTF16_BOMS):
        return True  # read as UTF-16, as YAML loaders read it
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut by the head's end
    return True


def scan_text(span: Span, ctx: ScanContext, *, tagged: bool) -> str | None:
    """The format read, or ``None`` when the text is neither a template nor a config.

    ``tagged``: the text starts with a Jinja tag, so it is a template or broken."""
    if span.size > MAX_TEXT:
        if tagged:
            ctx.error(f"template-like text of {span.size:,} bytes: too large to check")
            return CHAT_TEMPLATE_FORMAT
        return None
    raw = span.read(0, span.size)
    if b"\x00" in raw and not raw.startswith(_UTF16_BOMS):
        return None
    try:
        text = raw.decode("utf-16" if raw.startswith(_UTF16_BOMS) else "utf-8")
    except UnicodeDecodeError:
        return None
    if may_instantiate(text) and _hydra().scan_yaml_config(text, ctx, "YAML config"):
        return YAML_CONFIG_FORMAT
    from ptmscope.scan.blobs import may_hold_payload  # read text only: not at start-up

    if may_hold_payload(raw):
        _payloads(text, raw, ctx)
    if "{{" not in text and "{%" not in text:
        return None
    from ptmscope.scan.templates import MAX_TEMPLATE, report_template  # when text is read

    if not tagged and len(text) > MAX_TEMPLATE:
        return None
    capture = ctx.capture()
    parses = report_template(text, capture, "chat template")
    claimed = tagged or (parses and (capture.findings or any(w in text for w in _CHAT_WORDS)))
    if not claimed:
        return None  # other text with braces: a template that doesn't parse cannot run
    ctx.merge(capture)
    return CHAT_TEMPLATE_FORMAT


def _payloads(text: str, raw: bytes, ctx: ScanContext) -> None:
    """Encoded payloads in text without instantiation keys: its strings when it parses as YAML
    (block scalars, ``!!binary``), else its base64 runs as they stand."""
    from ptmscope.card.safe_yaml import load_yaml
    from ptmscope.errors import HostileInputError
    from ptmscope.scan.blobs import BlobScanner

    try:
        loaded = load_yaml(text)
    except HostileInputError:
        loaded = None
    if loaded is not None and loaded.error is None and isinstance(loaded.data, (dict, list)):
        _hydra().check_instantiation(loaded.data, ctx, "YAML document")
    else:
        BlobScanner(ctx).runs(raw, "text")


class TemplateContainer(Container):
    """Text starting with a Jinja tag (``{%``, ``{{``, ``{#``): a template, never JSON."""

    kind = FileFormat.CHAT_TEMPLATE

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.SURE if head.lstrip(_WHITESPACE).startswith(JINJA_OPENINGS) else None

    def first_bytes(self) -> frozenset[int] | None:
        return frozenset(b"{" + _WHITESPACE)

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_text(span, hooks, tagged=True)


class TextContainer(Container):
    """UTF-8 text: a chat template or a YAML instantiation config when its content says so."""

    kind = FileFormat.YAML

    def match(self, head: bytes, size: int) -> Confidence | None:
        return Confidence.CANDIDATE if _text(head) else None

    def scan(self, span: Span, hooks: ScanContext) -> str | None:
        return scan_text(span, hooks, tagged=False)


TEMPLATE = TemplateContainer()
TEXT = TextContainer()


def _hydra() -> Any:
    """The instantiation-config reader, loaded when a file looks like one."""
    from ptmscope.scan.containers import hydra

    return hydra
