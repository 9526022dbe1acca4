"""Deprecated: the audit's data view moved to :mod:`ptmscope.formats.audit.report`."""

from __future__ import annotations

from ptmscope.formats.audit.report import SCHEMA_VERSION, build, remediations, schema

__all__ = ["SCHEMA_VERSION", "build", "remediations", "schema"]
