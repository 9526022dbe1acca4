"""``ptmscope registry``: a Hub-compatible mirror and gateway over a folder of packages.

:func:`create_app` is the Python form of ``ptmscope registry serve``: it returns the
ASGI application (serve it with any ASGI server, or mount it in your own);
:func:`create_registry` returns the :class:`~ptmscope.registry.app.Registry` behind
it (its store, gateway and limits). The server modules (starlette, the gateway) are
imported inside these functions, so ``import ptmscope`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ptmscope.registry.app import Registry

__all__ = ["create_app", "create_registry"]


def create_registry(
    root: str | Path,
    policy: str | Path | None = None,
    *,
    audit_log: str | Path | None = None,
    rate_limit: float | None = None,
    max_body_bytes: int | None = None,
    body_timeout: float | None = None,
    git_timeout: float | None = None,
    threads: int | None = None,
    dry_run: bool = False,
    state: str | Path | None = None,
    accel_redirect: str | None = None,
    workers: int | None = None,
) -> Registry:
    """The registry over ``root/<owner>/<name>/`` packages (folders or git repositories).

    With ``policy`` (an admission policy, or the older gateway file), each revision is
    audited and scanned when first served and decided once per commit; refused files
    get HTTP 403 (``X-Error-Code: GatedRepo``, the reason in the message); decisions and
    refusals go to ``audit_log`` (default ``root/.ptmscope/gateway-audit.jsonl``).
    ``dry_run`` serves what the admission policy denies and logs it as "would refuse".
    ``state`` is the store every worker process shares (verdicts, downloads, sightings,
    the log; default ``root/.ptmscope/state.sqlite``); ``accel_redirect`` hands file
    bodies to a front server (see :mod:`ptmscope.registry.objects`). ``workers`` is the
    former name of ``threads`` (worker *processes* are ``serve(…, workers=N)``). A limit
    left ``None`` keeps its default (see :mod:`ptmscope.registry.serve`); a limit that is
    not positive is an :class:`~ptmscope.errors.InputError`.
    """
    from ptmscope.registry.serve import build

    return build(
        Path(root), Path(policy) if policy is not None else None,
        Path(audit_log) if audit_log is not None else None, rate_limit,
        max_body_bytes, body_timeout, git_timeout, threads if threads is not None else workers,
        dry_run,
        Path(state) if state is not None else None, accel_redirect,
    )  # fmt: skip


def create_app(
    root: str | Path,
    policy: str | Path | None = None,
    *,
    audit_log: str | Path | None = None,
    rate_limit: float | None = None,
    max_body_bytes: int | None = None,
    body_timeout: float | None = None,
    git_timeout: float | None = None,
    threads: int | None = None,
    dry_run: bool = False,
    state: str | Path | None = None,
    accel_redirect: str | None = None,
    workers: int | None = None,
) -> Starlette:
    """The ASGI application that ``ptmscope registry serve`` runs (same arguments as
    :func:`create_registry`); point ``HF_ENDPOINT`` at wherever you serve it."""
    return create_registry(
        root, policy, audit_log=audit_log, rate_limit=rate_limit, max_body_bytes=max_body_bytes,
        body_timeout=body_timeout, git_timeout=git_timeout, threads=threads, dry_run=dry_run,
        state=state, accel_redirect=accel_redirect, workers=workers,
    ).app()  # fmt: skip
