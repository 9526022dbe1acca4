"""Ids and times derived from the facts, never from the clock: two runs write the same bytes.

A BOM's serial number and an SPDX document's ids are UUIDv5 of the package's
identity (name or reference, at its commit or content digest) and the format, so the
same revision exported twice gets the same document, and a new commit a new one.
The document's time is ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds
convention), else the audited revision's own date, else unknown.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime

from ptmscope.errors import InputError
from ptmscope.export.facts import ExportFacts

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/ptmscope/ptmscope/export")
"""The UUIDv5 namespace of every id an export derives."""

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"


def document_uuid(facts: ExportFacts, form: str) -> uuid.UUID:
    """The document's UUID: ``form`` (``cyclonedx`` or ``spdx``) and the package identity."""
    return uuid.uuid5(NAMESPACE, f"{form}:{facts.identity}")


def serial_number(facts: ExportFacts) -> str:
    """A CycloneDX ``serialNumber`` (``urn:uuid:…``) for this revision."""
    return document_uuid(facts, "cyclonedx").urn


def document_time(facts: ExportFacts) -> datetime | None:
    """When the document's content was fixed: ``SOURCE_DATE_EPOCH``, else the revision's
    date, else ``None`` (a format that needs a time says it is unknown)."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH)
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise InputError(f"{SOURCE_DATE_EPOCH}={epoch!r} is not a Unix time") from None
    if facts.revision_date is None:
        return None
    moment = datetime.fromisoformat(facts.revision_date)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``2024-05-01T12:00:00Z``: the form both schemas accept."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def slug(text: str) -> str:
    """``text`` as a fragment of an id (letters, digits, dots and dashes)."""
    return _UNSAFE.sub("-", text).strip("-") or "x"
