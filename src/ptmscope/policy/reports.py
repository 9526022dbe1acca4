"""Saved audit reports (``audit --format json``) as a policy reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ptmscope.errors import InputError

MAX_REPORT_BYTES = 256 << 20
"""Larger files are not audit reports (a report is tens of kilobytes)."""


def read_audit_report(path: Path) -> dict[str, Any]:
    """The report in ``path``; an :class:`InputError` when it is not one."""
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise InputError(f"{path}: too large to be an audit report")
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: no such audit report") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not an audit report (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or "attributes" not in data or "summary" not in data:
        raise InputError(f"{path}: not an audit report (`ptmscope audit REF --format json`)")
    return data
